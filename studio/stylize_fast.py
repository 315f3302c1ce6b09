"""Stylize's quick handlers, as plain functions a test can call: the fast path (live on Strength and
the style weights, Keep, a clicked sample style) and the 26 presets (what each does, the blend, Keep).
Their parameters are the API's (`/stylize_fast`, `/stylize_keep`, `/stylize_presets`): keep their order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr
from PIL import Image

from engines.stylize import jobs
from engines.stylize.controls import N_STYLES
from studio.common import friendly
from studio.stylize_inputs import sample_paths
from studio.stylize_jobs import keep_picture


def has_pictures(content: str | None, *styles: str | None) -> bool:
    """Whether there is a picture and at least one style (what the automatic triggers wait for)."""
    return bool(content) and any(styles)


def fast_job_of(controls: Sequence[Any]) -> jobs.FastJob:
    """The fast job from /stylize_fast's parameters in their order (picture, four styles, four
    weights, strength, keep colours, size), for handlers that take them all as one sequence."""
    return jobs.fast_job(controls[0], list(controls[1:5]), list(controls[5:9]), *controls[9:12])


# ---------------------------------------------------------------- the fast path
@friendly
def stylize_fast(
    content: str | None,
    s1: str | None,
    s2: str | None,
    s3: str | None,
    s4: str | None,
    w1: float,
    w2: float,
    w3: float,
    w4: float,
    strength: float,
    keep_colours: bool,
    size: float,
) -> tuple[str, Image.Image] | None:
    """Fast arbitrary-style transfer: (before, after); nothing until a picture is given."""
    if not content:
        return None
    job = jobs.fast_job(content, [s1, s2, s3, s4], [w1, w2, w3, w4], strength, keep_colours, size)
    # "before" is the uploaded file itself: gradio caches a file once, whereas a picture object
    # would be re-encoded and rewritten on every slider move (racing the browser's fetch)
    return content, job.shown()


def auto_fast(
    content: str | None, s1: str | None, s2: str | None, s3: str | None, s4: str | None, *rest: Any
) -> tuple[str, Image.Image] | None:
    """The same, for automatic triggers: quietly nothing until a picture and a style are there."""
    if not has_pictures(content, s1, s2, s3, s4):
        return None
    return stylize_fast(content, s1, s2, s3, s4, *rest)


@friendly
def keep_fast(
    content: str | None,
    s1: str | None,
    s2: str | None,
    s3: str | None,
    s4: str | None,
    w1: float,
    w2: float,
    w3: float,
    w4: float,
    strength: float,
    keep_colours: bool,
    size: float,
    request: gr.Request | None = None,
) -> str:
    """Keep the picture on screen (painted again only if the controls changed), its inputs and recipe."""
    job = jobs.fast_job(content, [s1, s2, s3, s4], [w1, w2, w3, w4], strength, keep_colours, size)
    path = keep_picture(job.shown(), job, job.title(), request)
    gr.Info("Kept in the Gallery.")
    return path


def pick_style(s1: str | None, s2: str | None, s3: str | None, s4: str | None, evt: gr.SelectData) -> list:
    """A clicked sample style goes into the first empty slot (else the last)."""
    paths = [s1, s2, s3, s4]
    picked = sample_paths("styles")[evt.index]
    slot = next((i for i, p in enumerate(paths) if not p), len(paths) - 1)
    return [gr.update(value=picked) if i == slot else gr.update() for i in range(N_STYLES)]


# ---------------------------------------------------------------- presets
@friendly
def preset_sheet(content: str | None) -> list[tuple[Image.Image, str]]:
    """What each of the 26 presets does, on a small copy of the picture."""
    return jobs.preset_sheet(content)


@friendly
def stylize_presets(content: str | None, keep_colours: bool, size: float, *weights: float) -> Image.Image | None:
    """Blend of the 26 preset styles."""
    if not content:
        return None
    return jobs.preset_job(content, keep_colours, size, weights).shown()


@friendly
def keep_presets(
    content: str | None, keep_colours: bool, size: float, *weights: float, request: gr.Request | None = None
) -> str:
    """Keep the preset blend on screen (26 weights), its picture and recipe, in the caller's Gallery."""
    job = jobs.preset_job(content, keep_colours, size, weights)
    path = keep_picture(job.shown(), job, job.title(), request)
    gr.Info("Kept in the Gallery.")
    return path


def keep_presets_event(
    request: gr.Request, content: str | None, keep_colours: bool, size: float, *weights: float
) -> str:
    """keep_presets for gradio, which passes the request only to parameters before the 26 weights."""
    return keep_presets(content, keep_colours, size, *weights, request=request)
