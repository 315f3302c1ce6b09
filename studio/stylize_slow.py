"""Stylize's slower handlers (Gatys, Dream, the Sweep) and the presets, as plain functions a test can
call; `studio/stylize.py` wires them (and re-exports them under its name). The work lives in
`engines.stylize`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from PIL import Image

from engines import limits, sweep
from engines import recipe as recipes
from engines.jobs import StopToken
from engines.outputs import OutputStore
from engines.stylize import fast, jobs
from engines.stylize import sweep as stylize_sweep
from engines.stylize.pictures import read_picture
from studio.common import friendly, one_input_per_slider, studio, workspace

EDITOR_SIDE = 1024  # the brushing canvas shows the picture at most this large

_stops: dict[str, StopToken] = {}
"""Stop tokens of the running Gatys, Dream and sweep jobs, keyed '<workspace>:<job>'."""
last_kept: dict[str, tuple[str, dict]] = {}
"""The last output Gatys or Dream kept, keyed '<workspace>:<job>' (the history strip takes it)."""


# ---------------------------------------------------------------- handlers: helpers
def keep_picture(image: Image.Image, job: Any, title: str, request: gr.Request | None, *recipe_args: Any) -> str:
    """Keep `image` and the inputs it was made from (room checked first) with its recipe; returns its path."""
    ws = workspace(request)
    ws.check_room(
        image.width * image.height * 3 + jobs.input_size([job.content_path, *getattr(job, "style_paths", [])])
    )
    rec = job.recipe(*recipe_args, refs=job.keep_inputs(ws.store))
    return str(ws.store.save_image(image, rec, title=title).path)


def _token(request: gr.Request | None, job: str) -> StopToken:
    """A fresh stop token for this workspace's `job` ('gatys', 'dream' or 'sweep')."""
    token = _stops.setdefault(f"{workspace(request).name}:{job}", StopToken())
    token.reset()
    return token


def _stop(job: str, request: gr.Request | None) -> None:
    token = _stops.get(f"{workspace(request).name}:{job}")
    if token:
        token.stop()


def store_of(request: gr.Request | None) -> OutputStore | None:
    try:
        return workspace(request).store
    except (ValueError, KeyError):
        return None


# ---------------------------------------------------------------- handlers: Gatys
def to_editor(content: str | None) -> dict | None:
    """The brushing canvas: the artist's picture as background, no strokes yet."""
    if not content:
        return None
    try:
        pic = read_picture(content, "Your picture", EDITOR_SIDE, jobs.NO_CONTENT)
    except ValueError:
        return None  # the fast path's handler says what is wrong with the picture
    return {"background": pic, "layers": [], "composite": None}


def _mask_layers(value: Any) -> list[str]:
    """The layer files of the editor's value (paths; a dict with 'layers'), or none."""
    if not isinstance(value, dict):
        return []
    return [str(p) for p in (value.get("layers") or []) if isinstance(p, (str, Path))]


def _gatys_status(ev: Any) -> str:
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
    job = jobs.gatys_job(
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
    token = _token(request, "gatys")
    yield None, "Starting… (the first preview comes after a few steps)", gr.update()
    for ev in job.run(token, studio().device, studio().settings.allow_downloads):
        status = _gatys_status(ev)
        if ev.done:
            path = keep_picture(ev.preview, job, job.title(), request, ev)
            last_kept[f"{workspace(request).name}:gatys"] = (path, recipes.read(path))
            status = f"**{'Stopped' if ev.message == 'stopped' else 'Done'}** ({status}); kept in the Gallery."
        yield ev.preview, status, pd.DataFrame(jobs.loss_rows(ev.history))


def stop_gatys(request: gr.Request | None = None) -> None:
    """Stop this workspace's slow painting (from any of its pages); the last picture is kept."""
    _stop("gatys", request)


# ---------------------------------------------------------------- handlers: presets and dreams
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


def _dream_status(ev: Any) -> str:
    if ev.done:
        word = "Stopped" if ev.message == "stopped" else "Done"
        return f"**{word}** after step {ev.step} of {ev.total} ({ev.seconds:.0f} s); kept in the Gallery."
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
    job = jobs.dream_job(content, kind, layer, channel, class_name, octaves, steps, strength, start, size)
    workspace(request).check_room()
    token = _token(request, "dream")
    for ev in job.run(token, studio().device):
        if ev.done:
            path = keep_picture(ev.preview, job, job.title(), request)
            last_kept[f"{workspace(request).name}:dream"] = (path, recipes.read(path))
        _DREAM_STATUS[workspace(request).name] = _dream_status(ev)
        yield ev.preview


_DREAM_STATUS: dict[str, str] = {}
"""The Dream's latest status line per workspace (`stylize_dream` keeps its one output for the API)."""


def dream_status(request: gr.Request | None = None) -> str:
    """The status line of this workspace's dream (progress while it runs, then the done message)."""
    return _DREAM_STATUS.get(workspace(request).name, "")


def stop_dream(request: gr.Request | None = None) -> None:
    """Stop this workspace's dream (from any of its pages); the last picture is kept."""
    _stop("dream", request)


def dream_timer(active: bool) -> gr.Timer:
    """Start or stop polling the dream's status line."""
    return gr.Timer(active=bool(active))


def dream_finished(request: gr.Request | None = None) -> tuple[str, gr.Timer]:
    """After a dream: its done (or stopped) message, and no more polling."""
    return dream_status(request), gr.Timer(active=False)


# ---------------------------------------------------------------- handlers: the Sweep
def _sweep_job(
    method: str, content: str | None, styles: list, weights: list, strength: Any, keep: Any, size: Any, presets: list
) -> Any:
    """The job whose recipe every cell starts from (fast or preset), its inputs checked."""
    side = min(int(limits.whole(size, "The size", *jobs.SIDE)), stylize_sweep.SWEEP_SIDE[1])
    if method == "presets":
        return jobs.preset_job(content, keep, side, presets)
    return jobs.fast_job(content, styles, weights, strength, keep, side)


@friendly
def stylize_sweep_run(
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
    presets: list[float],
    x_axis: str,
    x_values: str,
    y_axis: str,
    y_values: str,
    request: gr.Request | None = None,
) -> Any:
    """A sweep over two controls with the current pictures: streams (grid, status, cells, kept, cell recipes)
    and keeps the grid (with its recipe and inputs) in the Gallery."""
    xa, ya, method = stylize_sweep.axes((x_axis, x_values), (y_axis, y_values))
    job = _sweep_job(method, content, [s1, s2, s3, s4], [w1, w2, w3, w4], strength, keep_colours, size, presets)
    ws = workspace(request)
    ws.check_room(jobs.input_size([job.content_path, *getattr(job, "style_paths", [])]))
    base = job.recipe(job.keep_inputs(ws.store))
    xa, ya, base, events = stylize_sweep.run(base, xa, ya, ws.store, _token(request, "sweep"))
    yield None, f"Painting {len(xa.values) * len(ya.values)} cells…", [], None, []
    for ev in events:
        if not ev.done:
            yield ev.preview or gr.update(), f"{ev.message} · {ev.fraction:.0%}", gr.update(), None, gr.update()
            continue
        if not ev.cells:
            yield None, "Stopped before the first cell; nothing was kept.", [], None, []
            return
        grid = stylize_sweep.grid(ev.cells, xa, ya)
        ws.check_room(grid.width * grid.height * 3)
        path = str(ws.store.save_image(grid, stylize_sweep.recipe(base, xa, ya), stylize_sweep.title(xa, ya)).path)
        cells = [(c.output, f"{sweep.format_value(c.x)}, {sweep.format_value(c.y)}") for c in ev.cells]
        word = "Stopped" if ev.stopped else "Done"
        yield (
            grid,
            f"**{word}**: {ev.message}; the grid is kept in the Gallery.",
            cells,
            path,
            stylize_sweep.cell_recipes(base, xa, ya, ev.cells),
        )


stylize_sweep_event = one_input_per_slider(stylize_sweep_run, fast.N_PRESETS, "preset", "presets")


def stop_sweep(request: gr.Request | None = None) -> None:
    """Stop this workspace's sweep after the cell it is painting."""
    _stop("sweep", request)
