"""Paint's reopening (a kept picture, morph or sweep back in the tab), its Recent strip (the last 12
pictures; a click goes back) and A/B (hold the current picture as A beside the live one; swap). While
an artist's picture is the base (`base`, see paint_panels), A/B holds and swaps the picture drawn from it."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
from PIL import Image

from engines import recipe as recipes
from engines.paint import based, controls, inverted
from engines.paint import replay as paint_replay
from studio import history
from studio import paint_morph as morph_panel
from studio import paint_sweep as sweep_panel
from studio.common import friendly
from studio.paint_base import NAME, PANEL_RESTORERS, RESTORE_FIELDS, current, display, load, native, restore_recipe

N_MORPH, N_SWEEP = len(morph_panel.MORPH_FIELDS), len(sweep_panel.SWEEP_FIELDS)


@friendly
def restore(path: str | None, request: gr.Request | None = None) -> list:
    """Reopen a kept Paint output: a picture (controls and the picture, redrawn), a morph (its first
    keyframe's picture, its keyframes and settings, the GIF) or a sweep (its first cell, axes, grid and
    cells); updates for RESTORE_FIELDS, then MORPH_FIELDS, then SWEEP_FIELDS."""
    if not path:
        return [gr.update()] * (len(RESTORE_FIELDS) + N_MORPH + N_SWEEP)
    rec = recipes.read(path)
    if rec.get("engine") != NAME:
        raise ValueError("That file's recipe was not made by Paint.")
    if rec.get("kind") in PANEL_RESTORERS:
        return [*restore_recipe(rec, request), *[gr.update()] * (N_MORPH + N_SWEEP)]
    kind = paint_replay.kind(rec)
    if kind == paint_replay.MORPH:
        picture, morph = morph_panel.restore_morph(path, rec, request)
        return [*picture, *morph, *[gr.update()] * N_SWEEP]
    if kind == paint_replay.SWEEP:
        picture, swept = sweep_panel.restore_sweep(path, rec, request)
        return [*picture, *[gr.update()] * N_MORPH, *swept]
    picture = restore_recipe(rec, request)
    picture[7] = f"Restored the controls and the picture from **{Path(path).name}**."
    return [*picture, *[gr.update()] * (N_MORPH + N_SWEEP)]


def accepts(rec: dict) -> bool:
    """The recipes 'Open in Paint' takes: pictures, morphs, sweeps and the other Paint panels' kinds."""
    if rec.get("kind") in PANEL_RESTORERS:
        return True
    try:
        return bool(paint_replay.kind(rec))
    except ValueError:
        return False


@friendly
def remember(
    model_label: str,
    class_a: str,
    class_b: str,
    amount: float,
    seed: float | None,
    psi: float,
    sliders: list[float],
    nudges: list | None,
    entries: list | None,
    request: gr.Request | None = None,
) -> tuple[list, list]:
    """Put the settled picture at the front of the Recent strip (not again if it is already there).
    Settings that draw no picture (an emptied seed box) leave the strip as it is: the live picture,
    which listens to the same controls, already says what is wrong, once."""
    try:
        model, pic = current(model_label, class_a, class_b, amount, seed, psi, sliders, nudges, request)
    except ValueError:
        return gr.skip(), gr.skip()
    rec = controls.recipe(model, pic)
    entries = list(entries or [])
    if any(e["recipe"] == rec for e in entries):
        return entries, gr.update()
    return history.push(entries, native(model, pic), rec, f"seed {pic.seed}")


@friendly
def undo(entries: list | None, evt: gr.SelectData, request: gr.Request | None = None) -> list:
    """Go back to a picture of the Recent strip: its controls and the picture."""
    return restore_recipe(history.picked(entries, evt), request)


def live(
    model_label: str,
    class_a: str,
    class_b: str,
    amount: float,
    seed: float | None,
    psi: float,
    sliders: list[float],
    nudges: list | None,
    base: dict | None = None,
    request: gr.Request | None = None,
) -> tuple[Image.Image, dict]:
    """The live picture (native size) and its recipe: drawn from the base while one is set, else the seed's."""
    if base:
        model = load(model_label, request)
        checked = based.check_state(model, base)
        pic = based.picture(model, checked, psi, sliders, nudges)
        return inverted.draw(model, pic), based.recipe(model, pic, checked)
    model, pic = current(model_label, class_a, class_b, amount, seed, psi, sliders, nudges, request)
    return native(model, pic), controls.recipe(model, pic)


@friendly
def hold_a(
    model_label: str,
    class_a: str,
    class_b: str,
    amount: float,
    seed: float | None,
    psi: float,
    sliders: list[float],
    nudges: list | None,
    base: dict | None = None,
    request: gr.Request | None = None,
) -> tuple:
    """Hold the current picture (a seed's or the base's) as A, shown beside the live one; returns (A's
    picture, A's recipe, Swap)."""
    image, rec = live(model_label, class_a, class_b, amount, seed, psi, sliders, nudges, base, request)
    return gr.update(value=display(image), visible=True), rec, gr.Button(interactive=True)


@friendly
def swap_ab(
    held: dict | None,
    model_label: str,
    class_a: str,
    class_b: str,
    amount: float,
    seed: float | None,
    psi: float,
    sliders: list[float],
    nudges: list | None,
    base: dict | None = None,
    request: gr.Request | None = None,
) -> list:
    """Swap A and the live picture: A's controls and picture (and base, or none) come back, the live one
    becomes A."""
    if not held:
        raise ValueError("Hold a picture as A first.")
    image, rec = live(model_label, class_a, class_b, amount, seed, psi, sliders, nudges, base, request)
    back = restore_recipe(held, request)
    back[RESTORE_FIELDS.index("note")] = "Swapped: this is A; the picture you had is now held as A."
    return [*back, gr.update(value=display(image), visible=True), rec]
