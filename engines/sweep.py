"""Sweeps: one setting along X, another along Y, every pair made once, laid out as a grid.

Any tab's "settings -> output" function becomes a sweep: `run(fn, x_axis, y_axis)` calls
fn(x, y) cell by cell (rows of Y, then columns of X), streaming progress and honouring a
StopToken; an output is a picture (PIL), a sound ((sample rate, wave)) or a text (str). Then:
- pictures: `grid_picture` (engines/sweep_grid.py) draws them in a grid with the axis names and
  values in the margins;
- sounds: `sound_track` plays the cells in order with short gaps (one WAV), `cell_sounds` lists them;
- texts: `text_table`, a header row of X values then one row per Y value.
`recipe` keeps the axes and the base settings, so `replay` makes the same sweep again. The axes
(typed, checked, labelled) and the cells live in engines/sweep_axes.py.

Bounds: at most MAX_CELLS (limits.MAX_SWEEP_CELLS, 100) cells, 25 values on one axis.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from engines import limits
from engines.jobs import StopToken
from engines.sweep_axes import Axis, Cell, Output, check_axes, format_value
from engines.sweep_grid import grid_picture

MAX_CELLS = limits.MAX_SWEEP_CELLS
GAP_SECONDS = 0.35  # silence between cells in the sweep's sound
KINDS = ("picture", "sound", "text")


@dataclass
class SweepEvent:
    """A streamed step: cells made so far (row-major), the fraction done, a preview grid when asked."""

    fraction: float
    cells: list[Cell]
    message: str = ""
    done: bool = False
    stopped: bool = False
    preview: Image.Image | None = None


# ---------------------------------------------------------------- running
def run(
    fn: Callable[[Any, Any], Output], x_axis: Any, y_axis: Any, stop: StopToken | None = None, preview_every: int = 0
) -> Iterator[SweepEvent]:
    """Make fn(x, y) for every cell, row by row; yield a SweepEvent after each (with a preview grid
    every `preview_every` cells of pictures, when > 0). A stop ends it with the cells made so far;
    the last event has done=True. An error in one cell ends the sweep with that cell's message."""
    xa, ya = check_axes(x_axis, y_axis)
    total = len(xa.values) * len(ya.values)
    cells: list[Cell] = []
    for r, yv in enumerate(ya.values):
        for c, xv in enumerate(xa.values):
            if stop is not None and stop.stopped:
                yield SweepEvent(
                    len(cells) / total, cells, f"stopped after {len(cells)} of {total} cells", done=True, stopped=True
                )
                return
            t = time.time()
            try:
                out = fn(xv, yv)
            except ValueError as err:
                where = f"{xa.name} = {format_value(xv)}, {ya.name} = {format_value(yv)}"
                raise ValueError(f"Cell {where}: {err}") from None
            check_output(out)
            cells.append(Cell(c, r, xv, yv, out, time.time() - t))
            preview = None
            if preview_every and kind_of(out) == "picture" and (len(cells) % preview_every == 0 or len(cells) == total):
                preview = grid_picture(cells, xa, ya)
            yield SweepEvent(len(cells) / total, cells, f"cell {len(cells)} of {total}", preview=preview)
    yield SweepEvent(1.0, cells, f"{total} cells", done=True)


def run_all(fn: Callable[[Any, Any], Output], x_axis: Any, y_axis: Any, stop: StopToken | None = None) -> list[Cell]:
    """`run` to the end; the cells made."""
    cells: list[Cell] = []
    for event in run(fn, x_axis, y_axis, stop):
        cells = event.cells
    return cells


def settings_sweep(
    make: Callable[[dict], Output],
    base: dict,
    x_axis: Any,
    y_axis: Any,
    stop: StopToken | None = None,
    preview_every: int = 0,
) -> Iterator[SweepEvent]:
    """A sweep over a tab's settings dict: each cell is make({**base, x name: x, y name: y}).
    The two axes must name different settings."""
    xa, ya = check_axes(x_axis, y_axis)
    if xa.name == ya.name:
        raise ValueError(f"Both axes move {xa.name}; choose two different settings.")
    return run(lambda x, y: make({**base, xa.name: x, ya.name: y}), xa, ya, stop, preview_every)


def kind_of(output: Output) -> str:
    """'picture', 'sound' or 'text'."""
    if isinstance(output, Image.Image):
        return "picture"
    if isinstance(output, str):
        return "text"
    if isinstance(output, tuple) and len(output) == 2 and isinstance(output[1], np.ndarray):
        return "sound"
    raise TypeError(f"a sweep cell made {type(output).__name__}; expected a picture, (sr, wave) or text")


def check_output(output: Output) -> None:
    """TypeError unless the output is a picture, a sound or a text."""
    kind_of(output)


# ---------------------------------------------------------------- sounds
def cell_sounds(cells: Sequence[Cell]) -> list[tuple[str, tuple[int, np.ndarray]]]:
    """Each sound cell as (label 'x, y', (sr, wave)), in the order they were made."""
    return [(f"{format_value(c.x)}, {format_value(c.y)}", c.output) for c in cells if kind_of(c.output) == "sound"]


def sound_track(cells: Sequence[Cell], gap_s: float = GAP_SECONDS) -> tuple[int, np.ndarray]:
    """One mono float32 wave that plays the sound cells in order with `gap_s` of silence between
    (all at the first cell's rate; another rate is resampled linearly)."""
    sounds = [c.output for c in cells if kind_of(c.output) == "sound"]
    if not sounds:
        raise ValueError("the sweep has no sounds yet")
    sr = int(sounds[0][0])
    gap = np.zeros(int(round(gap_s * sr)), np.float32)
    parts: list[np.ndarray] = []
    for i, (rate, wave) in enumerate(sounds):
        w = np.asarray(wave, dtype=np.float32)
        if w.ndim > 1:
            w = w.mean(axis=0 if w.shape[0] <= 2 else 1)
        if w.dtype.kind in "iu":
            w = w / float(np.iinfo(np.asarray(wave).dtype).max)
        if int(rate) != sr and len(w) > 1:
            n = int(round(len(w) * sr / int(rate)))
            w = np.interp(np.linspace(0, len(w) - 1, n), np.arange(len(w)), w).astype(np.float32)
        parts += [w] + ([gap] if i < len(sounds) - 1 else [])
    return sr, np.concatenate(parts).astype(np.float32)


# ---------------------------------------------------------------- texts
def text_table(cells: Sequence[Cell], x_axis: Axis, y_axis: Axis) -> list[list[str]]:
    """Rows for a table: ['Y \\ X', x values...], then [y value, texts...] (empty where not made)."""
    table = [[f"{y_axis.name} \\ {x_axis.name}", *x_axis.labels()]]
    body = [[label] + [""] * len(x_axis.values) for label in y_axis.labels()]
    for c in cells:
        body[c.row][c.col + 1] = c.output if isinstance(c.output, str) else format_value(c.output)
    return table + body


# ---------------------------------------------------------------- recipes
def recipe(engine: str, x_axis: Axis, y_axis: Axis, base: dict | None = None, **extra: Any) -> dict:
    """What made a sweep: the engine, both axes and the settings every cell shares."""
    return {
        "engine": engine,
        "kind": "sweep",
        "x": {"name": x_axis.name, "values": list(x_axis.values)},
        "y": {"name": y_axis.name, "values": list(y_axis.values)},
        "base": dict(base or {}),
        **extra,
    }


def axes_of(rec: dict) -> tuple[Axis, Axis]:
    """The two axes a sweep recipe keeps, checked again."""
    if not isinstance(rec, dict) or rec.get("kind") != "sweep":
        raise ValueError("That recipe is not a sweep's.")
    return check_axes(rec.get("x"), rec.get("y"))


def replay(make: Callable[[dict], Output], rec: dict, stop: StopToken | None = None) -> Iterator[SweepEvent]:
    """The sweep a recipe describes, made again with `make` (a settings dict -> output)."""
    xa, ya = axes_of(rec)
    return settings_sweep(make, dict(rec.get("base") or {}), xa, ya, stop)


@dataclass
class SweepResult:
    """A finished sweep as the studio shows it."""

    cells: list[Cell]
    x_axis: Axis
    y_axis: Axis
    kind: str
    picture: Image.Image | None = None
    track: tuple[int, np.ndarray] | None = None
    table: list[list[str]] = field(default_factory=list)


def finish(cells: Sequence[Cell], x_axis: Axis, y_axis: Axis, title: str = "") -> SweepResult:
    """The presentation of a sweep's cells: a grid picture, a sound track or a table by their kind."""
    if not cells:
        raise ValueError("The sweep made no cells.")
    kind = kind_of(cells[0].output)
    res = SweepResult(list(cells), x_axis, y_axis, kind)
    if kind == "picture":
        res.picture = grid_picture(cells, x_axis, y_axis, title=title)
    elif kind == "sound":
        res.track = sound_track(cells)
    else:
        res.table = text_table(cells, x_axis, y_axis)
    return res
