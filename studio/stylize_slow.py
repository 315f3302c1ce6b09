"""Stylize's slow handlers, as plain functions a test can call: 'Paint it slowly' (Gatys, with the
brushed mask) and Dream. Both stream previews, keep their last picture in the caller's Gallery and
stop from any page of the workspace; `studio/stylize.py` wires them. The work lives in
`engines.stylize.slow_jobs`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from engines.stylize import slow_jobs
from engines.stylize.controls import NO_CONTENT
from engines.stylize.pictures import read_picture
from studio.common import friendly, studio, workspace
from studio.stylize_jobs import keep_last, stop, token

EDITOR_SIDE = 1024  # the brushing canvas shows the picture at most this large


# ---------------------------------------------------------------- handlers: Gatys
def to_editor(content: str | None) -> dict | None:
    """The brushing canvas: the artist's picture as background, no strokes yet."""
    if not content:
        return None
    try:
        pic = read_picture(content, "Your picture", EDITOR_SIDE, NO_CONTENT)
    except ValueError:
        return None  # the fast path's handler says what is wrong with the picture
    return {"background": pic, "layers": [], "composite": None}


def _mask_layers(value: Any) -> list[str]:
    """The layer files of the editor's value (paths; a dict with 'layers'), or none."""
    if not isinstance(value, dict):
        return []
    return [str(p) for p in (value.get("layers") or []) if isinstance(p, (str, Path))]


def _ended(ev: Any) -> str:
    """How a slow job's last event ended: 'Stopped' or 'Done'."""
    return "Stopped" if ev.message == "stopped" else "Done"


def _gatys_status(ev: Any) -> str:
    """A painting's progress line: step, both losses, seconds."""
    return (
        f"step {min(ev.step, ev.total)} of {ev.total} · style {ev.style_loss:.4f} · "
        f"content {ev.content_loss:.4f} · {ev.seconds:.0f} s"
    )


@friendly
def stylize_gatys(
    content: str | None,
    s1: str | None,
    s2: str | None,
    s3: str | None,
    s4: str | None,
    w1: float,
    w2: float,
    w3: float,
    w4: float,
    steps: float,
    size: float,
    style_weight: float,
    content_weight: float,
    tv_weight: float,
    backbone: str,
    optimizer: str,
    color_mode: str,
    mask: Any,
    request: gr.Request | None = None,
) -> Any:
    """Gatys optimisation; streams (preview, status, losses) and keeps the result in the Gallery."""
    job = slow_jobs.gatys_job(
        content,
        [s1, s2, s3, s4],
        [w1, w2, w3, w4],
        steps,
        size,
        style_weight,
        content_weight,
        tv_weight,
        backbone,
        optimizer,
        color_mode,
        _mask_layers(mask),
    )
    workspace(request).check_room()
    stopper = token(request, "gatys")
    yield None, "Starting… (the first preview comes after a few steps)", gr.update()
    for ev in job.run(stopper, studio().device, studio().settings.allow_downloads):
        status = _gatys_status(ev)
        if ev.done:
            keep_last(ev.preview, job, "gatys", request, ev)
            status = f"**{_ended(ev)}** ({status}); kept in the Gallery."
        yield ev.preview, status, pd.DataFrame(slow_jobs.loss_rows(ev.history))


def stop_gatys(request: gr.Request | None = None) -> None:
    """Stop this workspace's slow painting (from any of its pages); the last picture is kept."""
    stop("gatys", request)


# ---------------------------------------------------------------- handlers: Dream
def _dream_status(ev: Any) -> str:
    """A dream's progress line, or how it ended."""
    if ev.done:
        return f"**{_ended(ev)}** after step {ev.step} of {ev.total} ({ev.seconds:.0f} s); kept in the Gallery."
    return f"step {ev.step} of {ev.total} · {ev.seconds:.0f} s"


@friendly
def stylize_dream(
    content: str | None,
    kind: str,
    layer: str,
    channel: float,
    class_name: str,
    octaves: float,
    steps: float,
    strength: float,
    start: str,
    size: float,
    request: gr.Request | None = None,
) -> Any:
    """CNN dream; streams pictures (and a status line) and keeps the last in the Gallery."""
    job = slow_jobs.dream_job(content, kind, layer, channel, class_name, octaves, steps, strength, start, size)
    workspace(request).check_room()
    stopper = token(request, "dream")
    for ev in job.run(stopper, studio().device):
        if ev.done:
            keep_last(ev.preview, job, "dream", request)
        _DREAM_STATUS[workspace(request).name] = _dream_status(ev)
        yield ev.preview


_DREAM_STATUS: dict[str, str] = {}
"""The Dream's latest status line per workspace (`stylize_dream` keeps its one output for the API)."""


def dream_status(request: gr.Request | None = None) -> str:
    """The status line of this workspace's dream (progress while it runs, then the done message)."""
    return _DREAM_STATUS.get(workspace(request).name, "")


def stop_dream(request: gr.Request | None = None) -> None:
    """Stop this workspace's dream (from any of its pages); the last picture is kept."""
    stop("dream", request)


def dream_timer(active: bool) -> gr.Timer:
    """Start or stop polling the dream's status line."""
    return gr.Timer(active=bool(active))


def dream_finished(request: gr.Request | None = None) -> tuple[str, gr.Timer]:
    """After a dream: its done (or stopped) message, and no more polling."""
    return dream_status(request), gr.Timer(active=False)
