"""Stylize's Sweep handler, a plain function a test can call: two controls over their ranges with
the current pictures, painted cell by cell, streamed, kept in the Gallery with its recipe and inputs,
each cell's recipe ready to reopen. The work lives in `engines.stylize.sweep`."""

from __future__ import annotations

from typing import Any

import gradio as gr

from engines import limits
from engines.stylize import fast, jobs
from engines.stylize import sweep as stylize_sweep
from engines.stylize.controls import SIDE
from engines.stylize.inputs import input_size
from engines.sweep_axes import format_value
from studio.common import friendly, one_input_per_slider, workspace
from studio.stylize_jobs import stop, token


# ---------------------------------------------------------------- handlers: the Sweep
def _sweep_job(
    method: str, content: str | None, styles: list, weights: list, strength: Any, keep: Any, size: Any, presets: list
) -> Any:
    """The job whose recipe every cell starts from (fast or preset), its inputs checked."""
    side = min(int(limits.whole(size, "The size", *SIDE)), stylize_sweep.SWEEP_SIDE[1])
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
    ws.check_room(input_size(job.input_paths()))
    base = job.recipe(job.keep_inputs(ws.store))
    xa, ya, base, events = stylize_sweep.run(base, xa, ya, ws.store, token(request, "sweep"))
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
        cells = [(c.output, f"{format_value(c.x)}, {format_value(c.y)}") for c in ev.cells]
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
    stop("sweep", request)
