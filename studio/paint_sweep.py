"""Paint's Sweep panel (/paint_sweep): two of the picture's settings (seed, truncation, class, a
direction by name) across and down, every pair drawn, kept in the Gallery as a labelled grid with its
recipe; clicking a cell opens that picture in the tab."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
from PIL import Image

from engines import sweep
from engines.jobs import StopToken
from engines.paint import based, controls, explore, inverted
from engines.paint import replay as paint_replay
from engines.paint import sweep as paint_sweep
from studio import common, sweeps
from studio.common import friendly
from studio.paint_base import N_SLIDERS, load, models, native, restore_recipe
from studio.paint_based import with_base

SWEEP_FIELDS = ("x_axis", "x_values", "y_axis", "y_values", "grid", "cells", "recipe")
X_DEFAULT, Y_DEFAULT = (paint_sweep.PSI, "0, 0.3, 0.6, 1"), (paint_sweep.SEED, "1, 2, 3")
_STOPS: dict[str, StopToken] = {}
_STOPS_LOCK = threading.Lock()


def _stop_token(request: gr.Request | None) -> StopToken:
    """The Stop token of the caller's workspace (Stop works from any of its pages)."""
    with _STOPS_LOCK:
        return _STOPS.setdefault(common.workspace(request).name, StopToken())


def base_settings(model: explore.PaintModel, pic: controls.Picture) -> dict:
    """The settings every cell shares: the tab's current picture."""
    return {
        "seed": pic.seed,
        "psi": pic.psi,
        "classes": dict(pic.blend),
        "sliders": list(pic.sliders),
        "nudges": [list(n) for n in pic.nudges],
        "truncation": pic.truncation,
    }


def from_base_settings(model: explore.PaintModel, base: dict | None, psi: float, sliders: list, nudges: list) -> dict:
    """The settings every cell shares when the tab draws from the artist's picture: its z and classes
    with the tab's truncation, sliders and variation steps."""
    pic = based.picture(model, base, psi, sliders, nudges)
    return {
        "base": list(pic.base),
        "psi": pic.psi,
        "classes": dict(pic.blend),
        "sliders": list(pic.sliders),
        "nudges": [list(n) for n in pic.nudges],
        "truncation": pic.truncation,
    }


def cell_recipe(model: explore.PaintModel, rec: dict, index: int) -> dict:
    """The picture recipe of cell `index` (row by row) of a Paint sweep recipe: a seed's picture, or
    one drawn from the artist's picture when the sweep was."""
    xa, ya = sweep.axes_of(rec)
    if not 0 <= int(index) < len(xa.values) * len(ya.values):
        raise ValueError("That cell is not in the sweep.")
    row, col = divmod(int(index), len(xa.values))
    s = paint_sweep.cell_settings(
        model, paint_sweep.check_base(model, rec.get("base") or {}), {xa.name: xa.values[col], ya.name: ya.values[row]}
    )
    if "base" in s:
        pic = inverted.BasePicture(
            tuple(s["base"]),
            s["psi"],
            s["classes"],
            tuple(s["sliders"]),
            tuple(map(tuple, s["nudges"])),
            s["truncation"],
        )
        return {**inverted.recipe(model, pic), "kind": based.KIND}
    return {
        **explore.recipe(model, s["seed"], s["psi"], s["classes"], s["sliders"], s["nudges"]),
        "truncation": s["truncation"],
    }


def cell_picture(model: explore.PaintModel, rec: dict) -> Image.Image:
    """A cell recipe's picture at the model's size (a seed's, or drawn from the artist's picture)."""
    if rec.get("kind") == based.KIND:
        return inverted.draw(model, based.picture(model, *based.from_recipe({**rec, "checkpoint": model.hash})))
    return native(model, paint_replay.picture_of(rec))


@friendly
def paint_sweep_run(
    model_label: str,
    class_a: str,
    class_b: str,
    amount: float,
    seed: float | None,
    psi: float,
    sliders: list[float],
    nudges: list | None,
    x_axis: str,
    x_values: str,
    y_axis: str,
    y_values: str,
    request: gr.Request | None = None,
) -> Iterator[tuple]:
    """A sweep around the current picture: streams (grid, status, cells, kept file, recipe); the
    finished grid is kept in the caller's Gallery with a recipe that replays it."""
    pic = controls.picture(seed, psi, class_a, class_b, amount, sliders, nudges)
    model = load(model_label, request)
    yield from _sweep(model, base_settings(model, pic), (x_axis, x_values), (y_axis, y_values), request)


@friendly
def base_sweep_run(
    model_label: str,
    base: dict | None,
    psi: float,
    sliders: list[float],
    nudges: list | None,
    x_axis: str,
    x_values: str,
    y_axis: str,
    y_values: str,
    request: gr.Request | None = None,
) -> Iterator[tuple]:
    """The sweep while the tab draws from the artist's picture: every cell drawn from it (the seed,
    which plays no part, cannot be an axis)."""
    model = load(model_label, request)
    settings = from_base_settings(model, base, psi, sliders, nudges or [])
    yield from _sweep(model, settings, (x_axis, x_values), (y_axis, y_values), request)


def _sweep(model: explore.PaintModel, base: dict, x: tuple, y: tuple, request: gr.Request | None) -> Iterator[tuple]:
    """Draw the sweep's cells around `base` (streaming), then keep the grid with its recipe."""
    xa, ya = paint_sweep.axes(model, base, x, y)
    ws = common.workspace(request)
    ws.check_room()
    stop = _stop_token(request)
    stop.reset()
    cells: list[sweep.Cell] = []
    for ev in paint_sweep.paint_sweep(model, base, xa, ya, stop=stop):
        cells = ev.cells
        if not ev.done:
            yield (
                ev.preview if ev.preview is not None else gr.update(),
                f"Drawing: {ev.message}…",
                gr.update(),
                gr.update(),
                gr.update(),
            )
    if not cells:
        raise ValueError("Stopped before the first cell; nothing was kept.")
    grid = paint_sweep.grid(model, cells, xa, ya)
    rec = paint_sweep.recipe(model, base, xa, ya)
    out = ws.store.save_image(grid, rec, title=f"{model.name} · sweep of {xa.name} × {ya.name}")
    note = f"stopped: {len(cells)} cells kept" if stop.stopped else f"{len(cells)} cells"
    yield (
        grid,
        f"**Kept in the Gallery** ({note}). Click a cell to open it.",
        _cell_pictures(cells),
        str(out.path),
        rec,
    )


def _cell_pictures(cells: list[sweep.Cell]) -> list[tuple[Image.Image, str]]:
    return [(c.output, f"{sweep.format_value(c.x)}, {sweep.format_value(c.y)}") for c in cells]


def stop_sweep(request: gr.Request | None = None) -> str:
    """Stop the caller's sweep after the cell it is drawing."""
    _stop_token(request).stop()
    return "Stopping after this cell…"


@friendly
def open_cell(rec: dict | None, evt: gr.SelectData, request: gr.Request | None = None) -> list:
    """Clicking a cell: its picture in the tab, every control set to its values."""
    if not rec:
        raise ValueError("Run a sweep first.")
    model = paint_sweep_model(rec, request)
    return restore_recipe(cell_recipe(model, rec, evt.index), request)


def paint_sweep_model(rec: dict, request: gr.Request | None) -> explore.PaintModel:
    """The model a sweep recipe names, for this caller."""
    return load(common.label_for_recipe(models(request), rec), request)


def restore_sweep(path: str, rec: dict, request: gr.Request | None) -> tuple[list, list]:
    """A kept sweep -> (picture updates of its first cell, updates for SWEEP_FIELDS: its axes and
    values, its grid (the kept file), its cells (drawn small) and its recipe)."""
    model = paint_sweep_model(rec, request)
    xa, ya = sweep.axes_of(rec)
    n = len(xa.values) * len(ya.values)
    cells = [cell_recipe(model, rec, i) for i in range(n)]
    picture = restore_recipe(cells[0], request)
    picture[7] = f"Reopened a sweep of {xa.name} × {ya.name} from **{Path(path).name}**."
    thumbs = [
        (cell_picture(model, c), f"{sweep.format_value(x)}, {sweep.format_value(y)}")
        for c, (y, x) in zip(cells, ((y, x) for y in ya.values for x in xa.values))
    ]
    values = [", ".join(str(v) for v in a.values) for a in (xa, ya)]
    return picture, [xa.name, values[0], ya.name, values[1], path, thumbs, rec]


# ------------------------------------------------------------------ layout and wiring
def panel(model: explore.PaintModel | None) -> SimpleNamespace:
    """The Sweep accordion, its axes from the tab's first model, and the state keeping the last sweep's recipe."""
    axes = paint_sweep.axis_names(model) if model is not None else list(paint_sweep.AXES)
    s = sweeps.panel("paint", axes, X_DEFAULT, Y_DEFAULT, "picture")
    s.recipe = gr.State(None)
    return s


def outputs(s: SimpleNamespace) -> list:
    """The components SWEEP_FIELDS names."""
    return [s.x_axis, s.x_values, s.y_axis, s.y_values, s.grid, s.cells, s.recipe]


def wire(s: SimpleNamespace, picture_inputs: list, restore_outputs: list, base: gr.State) -> None:
    """Run (/paint_sweep: from the seed's picture, or from the artist's picture while `base` is set),
    Stop, and a cell's click (opens it in the tab)."""
    s.run.click(
        with_base(common.one_input_per_slider(paint_sweep_run, N_SLIDERS, "direction"), base_sweep_run),
        [*picture_inputs, s.x_axis, s.x_values, s.y_axis, s.y_values, base],
        [s.grid, s.status, s.cells, s.kept, s.recipe],
        api_name="paint_sweep",
        concurrency_id="paint_export",
        concurrency_limit=1,
        show_progress="minimal",
    )
    s.stop.click(stop_sweep, None, s.status, api_visibility="private", queue=False)
    s.cells.select(open_cell, s.recipe, restore_outputs, api_visibility="private", show_progress="hidden")
