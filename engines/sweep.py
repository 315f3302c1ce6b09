"""Sweeps: one setting along X, another along Y, every pair made once, laid out as a grid.

Any tab's "settings -> output" function becomes a sweep: `run(fn, x_axis, y_axis)` calls
fn(x, y) cell by cell (rows of Y, then columns of X), streaming progress and honouring a
StopToken; an output is a picture (PIL), a sound ((sample rate, wave)) or a text (str). Then:
- pictures: `grid_picture` draws them in a grid with the axis names and values in the margins;
- sounds: `sound_track` plays the cells in order with short gaps (one WAV), `cell_sounds` lists them;
- texts: `text_table`, a header row of X values then one row per Y value.
`recipe` keeps the axes and the base settings, so `replay` makes the same sweep again.

Bounds: at most limits.MAX_SWEEP_CELLS (100) cells, MAX_VALUES (25) values on one axis.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from engines import limits
from engines.jobs import StopToken

MAX_CELLS = limits.MAX_SWEEP_CELLS
MAX_VALUES = 25  # values on one axis
MAX_NAME_CHARS = 60  # an axis name
MAX_VALUE_CHARS = 200  # one value as typed
MAX_SPEC_CHARS = 2_000  # an axis's values as typed
GAP_SECONDS = 0.35  # silence between cells in the sweep's sound
MAX_LABEL_CHARS = 28  # a value as the grid's margin shows it
KINDS = ("picture", "sound", "text")

Output = Any  # Image.Image | tuple[int, np.ndarray] | str


@dataclass(frozen=True)
class Axis:
    """One axis of a sweep: the setting it moves and the values it takes, in order."""

    name: str
    values: tuple

    def labels(self) -> list[str]:
        return [format_value(v) for v in self.values]


@dataclass
class Cell:
    """One made output and where it sits."""

    col: int  # index along X
    row: int  # index along Y
    x: Any
    y: Any
    output: Output
    seconds: float = 0.0


@dataclass
class SweepEvent:
    """A streamed step: cells made so far (row-major), the fraction done, a preview grid when asked."""

    fraction: float
    cells: list[Cell]
    message: str = ""
    done: bool = False
    stopped: bool = False
    preview: Image.Image | None = None


# ---------------------------------------------------------------- axes
def format_value(value: Any) -> str:
    """A value as a short label: 0.5, 3, 'faces', ... (long ones cut with an ellipsis)."""
    if isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, dict):
        text = " + ".join(f"{k} {v:g}" if isinstance(v, (int, float)) else str(k) for k, v in value.items())
    else:
        text = str(value)
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"


def parse_values(spec: Any, name: str = "the axis") -> list:
    """Values as typed in a box: '0.2, 0.5, 1' (numbers become numbers, words stay words), or
    'start:stop:count' for evenly spaced numbers ('0:1:5' -> 0, 0.25, 0.5, 0.75, 1). A list is
    taken as it is."""
    if isinstance(spec, (list, tuple)):
        return list(spec)
    text = limits.text(spec, f"The values of {name}", MAX_SPEC_CHARS).strip()
    if not text:
        raise ValueError(f"Type the values of {name}, separated by commas (or start:stop:count).")
    parts = text.split(":")
    if len(parts) == 3 and "," not in text:
        lo = limits.number(parts[0], f"The start of {name}")
        hi = limits.number(parts[1], f"The end of {name}")
        count = limits.whole(parts[2], f"The count of {name}", 1, MAX_VALUES)
        values = [lo + (hi - lo) * i / max(count - 1, 1) for i in range(count)]
        return [
            int(v) if float(v).is_integer() and float(lo).is_integer() and float(hi).is_integer() else round(v, 6)
            for v in values
        ]
    out: list = []
    for raw in text.split(","):
        raw = raw.strip()
        if not raw:
            continue
        if len(raw) > MAX_VALUE_CHARS:
            raise ValueError(f"A value of {name} is {len(raw)} characters long; the limit is {MAX_VALUE_CHARS}.")
        out.append(_number_or_word(raw))
    return out


def _number_or_word(raw: str) -> Any:
    try:
        x = float(raw)
    except ValueError:
        return raw
    if not math.isfinite(x):
        raise ValueError(f"{raw!r} is not a finite number.")
    return int(x) if x.is_integer() and "." not in raw and "e" not in raw.lower() else x


def axis(name: Any, values: Any) -> Axis:
    """A checked axis: a name (1-60 characters) and 1-MAX_VALUES values (typed text or a list)."""
    name = limits.text(name, "An axis name", MAX_NAME_CHARS).strip()
    if not name:
        raise ValueError("Choose the setting each axis moves.")
    vals = parse_values(values, name)
    if not vals:
        raise ValueError(f"Give {name} at least one value.")
    if len(vals) > MAX_VALUES:
        raise ValueError(f"{name} has {len(vals)} values; one axis takes at most {MAX_VALUES}.")
    return Axis(name, tuple(vals))


def check_axes(x_axis: Any, y_axis: Any) -> tuple[Axis, Axis]:
    """Two axes as Axis or (name, values); the grid must have at most MAX_CELLS cells."""
    xa = x_axis if isinstance(x_axis, Axis) else axis(*_pair(x_axis, "The X axis"))
    ya = y_axis if isinstance(y_axis, Axis) else axis(*_pair(y_axis, "The Y axis"))
    cells = len(xa.values) * len(ya.values)
    if cells > MAX_CELLS:
        raise ValueError(
            f"That sweep has {len(xa.values)} x {len(ya.values)} = {cells} cells; "
            f"a sweep makes at most {MAX_CELLS}. Take fewer values."
        )
    return xa, ya


def _pair(value: Any, what: str) -> tuple[Any, Any]:
    if isinstance(value, dict) and "name" in value:
        return value["name"], value.get("values")
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return value[0], value[1]
    raise ValueError(f"{what} must be (name, values).")


def single(name: str = "") -> Axis:
    """An axis of one value, for a one-dimensional sweep (a row or a column)."""
    return Axis(name or " ", (None,))


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
    kind_of(output)


# ---------------------------------------------------------------- pictures
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: the bitmap font, one size
        return ImageFont.load_default()


_PLAIN = str.maketrans({"↔": "<->", "→": "->", "←": "<-", "↓": "v", "…": "...", "·": "-"})


def plain(text: str) -> str:
    """Text the default font can draw (it lacks arrows and a few other signs)."""
    return text.translate(_PLAIN)


def _text_size(draw: ImageDraw.ImageDraw, text: str, font) -> tuple[int, int]:
    box = draw.textbbox((0, 0), text, font=font)
    return box[2] - box[0], box[3] - box[1]


def grid_picture(
    cells: Sequence[Cell], x_axis: Axis, y_axis: Axis, cell_side: int | None = None, title: str = ""
) -> Image.Image:
    """The cells' pictures in a grid (X across, Y down), each at `cell_side` px (default: the
    first picture's size, at least 128 and at most 384), X values above the columns with X's name
    over them, Y values left of the rows with Y's name above them; cells not made yet stay blank."""
    pictures = [c for c in cells if isinstance(c.output, Image.Image)]
    if not pictures:
        raise ValueError("the sweep has no pictures yet")
    first = pictures[0].output
    side = cell_side or min(384, max(128, max(first.size)))
    font_size = max(14, min(22, side // 9))
    font, bold = _font(font_size), _font(font_size + 2)
    pad, gap = 10, 4
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    y_labels, x_labels = [plain(t) for t in y_axis.labels()], [plain(t) for t in x_axis.labels()]
    x_name, y_name, title = f"{plain(x_axis.name)} ->", f"<- {plain(y_axis.name)}", plain(title)
    line_h = _text_size(probe, "Ag", font)[1] + 6
    label_w = max(_text_size(probe, t, font)[0] for t in y_labels)
    left = pad + line_h + pad + label_w + pad  # the Y name runs up the left edge, then the values
    top = pad + (line_h + 4 if title else 0) + 2 * line_h + pad
    cols, rows = len(x_axis.values), len(y_axis.values)
    width = max(left + cols * (side + gap) + pad, pad + _text_size(probe, title, bold)[0] + pad)
    height = top + rows * (side + gap) + pad
    canvas = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    ink, soft = (20, 20, 20), (90, 90, 90)
    y0 = pad
    if title:
        draw.text((pad, y0), title, fill=ink, font=bold)
        y0 += line_h + 4
    # X axis name centred over the columns, then each X value over its column
    name_w = _text_size(draw, x_name, bold)[0]
    draw.text((left + max(0, (cols * (side + gap) - name_w) // 2), y0), x_name, fill=ink, font=bold)
    for c, label in enumerate(x_labels):
        w = _text_size(draw, label, font)[0]
        draw.text((left + c * (side + gap) + (side - w) // 2, y0 + line_h), label, fill=soft, font=font)
    # Y axis name turned to read upward beside the rows, each Y value beside its row
    tw = _text_size(draw, y_name, bold)[0] + 4
    strip = Image.new("RGB", (tw, line_h), (255, 255, 255))
    ImageDraw.Draw(strip).text((0, 0), y_name, fill=ink, font=bold)
    strip = strip.rotate(90, expand=True)
    rows_h = rows * (side + gap)
    canvas.paste(strip, (pad, top + max(0, (rows_h - strip.height) // 2)))
    for r, label in enumerate(y_labels):
        h = _text_size(draw, label, font)[1]
        draw.text((pad + line_h + pad, top + r * (side + gap) + (side - h) // 2), label, fill=soft, font=font)
    for cell in pictures:
        im = cell.output.convert("RGB")
        if im.size != (side, side):
            im = im.copy()
            im.thumbnail((side, side), Image.Resampling.LANCZOS if max(im.size) > side else Image.Resampling.NEAREST)
            if max(im.size) < side:
                im = im.resize(
                    (side, round(side * im.height / im.width))
                    if im.width >= im.height
                    else (round(side * im.width / im.height), side),
                    Image.Resampling.LANCZOS,
                )
        x = left + cell.col * (side + gap) + (side - im.width) // 2
        y = top + cell.row * (side + gap) + (side - im.height) // 2
        canvas.paste(im, (x, y))
    return canvas


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
