"""A tab's recent results: a strip of the last 12, newest first; clicking one restores the controls
that made it (undo). Each entry is a small thumbnail and the recipe; the tab turns a recipe back
into control updates with the same function that reopens Gallery items."""

from __future__ import annotations

from typing import Any

import gradio as gr
from PIL import Image

from engines import thumbs

SIZE = 12
THUMB = 96


def strip(elem_id: str) -> tuple[gr.Gallery, gr.State]:
    """The strip (a row of small thumbnails) and the state holding its entries."""
    gallery = gr.Gallery(
        label="Recent (click to go back)",
        columns=SIZE,
        rows=1,
        height="auto",
        allow_preview=False,
        object_fit="contain",
        elem_id=elem_id,
        elem_classes=["atelier-history", "atelier-secondary"],
        format="png",
    )
    return gallery, gr.State([])


def thumb_of(made: Any) -> Image.Image:
    """A small thumbnail of a picture, a (sample_rate, wave) sound or a text."""
    if isinstance(made, Image.Image):
        return thumbs.image_thumb(made, THUMB)
    if isinstance(made, tuple) and len(made) == 2:
        return thumbs.sound_thumb(made[1], THUMB)
    return thumbs.text_thumb(str(made)[:400], THUMB)


def push(entries: list[dict] | None, made: Any, recipe: dict, caption: str = "") -> tuple[list[dict], list]:
    """Add a result in front (unless its recipe is the newest's), keep SIZE; returns the entries and
    the strip's new value."""
    entries = list(entries or [])
    if entries and entries[0]["recipe"] == recipe:
        return entries, shown(entries)
    entries = [{"thumb": thumb_of(made), "recipe": recipe, "caption": caption}, *entries][:SIZE]
    return entries, shown(entries)


def shown(entries: list[dict]) -> list[tuple[Image.Image, str]]:
    """The strip's value for these entries."""
    return [(e["thumb"], e.get("caption", "")) for e in entries]


def picked(entries: list[dict] | None, evt: gr.SelectData) -> dict:
    """The recipe of the clicked entry; ValueError if the strip changed under the click."""
    entries = entries or []
    if evt.index is None or not 0 <= int(evt.index) < len(entries):
        raise ValueError("That result is no longer in the strip.")
    return entries[int(evt.index)]["recipe"]
