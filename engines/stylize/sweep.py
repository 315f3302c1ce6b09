"""Stylize sweeps: a grid of stylisations of the artist's picture, one control along X, another along Y.

What a sweep can move (`axis_names`): the strength, each style's weight, the size, keep colours,
and any of the 26 presets' weights (then every cell is a preset blend). A sweep works on recipes: the
base is a fast or preset recipe (the tab's current controls and pictures), each cell is that recipe
with the two axes' values put in, so a cell reopens in the tab like any kept output, and the grid's
own recipe (`engines.sweep.recipe`) replays. Bounds: the tab's own ranges, cells at most 1024 px
(SWEEP_SIDE), at most 100 cells (engines.sweep).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from PIL import Image

from engines import limits, sweep
from engines.jobs import StopToken
from engines.outputs import OutputStore
from engines.stylize import fast, restore
from engines.stylize.controls import N_STYLES, PRESET_NAMES
from engines.stylize.jobs import ENGINE
from engines.sweep_axes import Axis, Cell, check_axes
from engines.sweep_grid import grid_picture

STRENGTH, SIZE, KEEP = "strength", "size", "keep colours"
WEIGHTS = tuple(f"style {i + 1} weight" for i in range(N_STYLES))
PRESETS = tuple(f"preset: {name}" for name in PRESET_NAMES)
SWEEP_SIDE = (128, 1024)
YES, NO = ("true", "yes", "on", "1", "kept"), ("false", "no", "off", "0", "not kept")


def axis_names() -> list[str]:
    """What a Stylize sweep can move, for the axis pickers."""
    return [STRENGTH, *WEIGHTS, SIZE, KEEP, *PRESETS]


def preset_index(name: str) -> int | None:
    """0-25 for 'preset: starry swirls', 'starry swirls' or 'preset 20'; None for other names."""
    low = name.strip().lower()
    bare = low.removeprefix("preset:").strip()
    if bare in PRESET_NAMES:
        return PRESET_NAMES.index(bare)
    head = low.removeprefix("preset").strip(" :")
    if low.startswith("preset") and head.isdigit() and 1 <= int(head) <= fast.N_PRESETS:
        return int(head) - 1
    return None


def method_of(xa: Axis, ya: Axis) -> str:
    """'presets' when either axis moves a preset's weight, else 'fast'."""
    return "presets" if preset_index(xa.name) is not None or preset_index(ya.name) is not None else "fast"


def _yes_no(value: Any) -> bool:
    text = str(value).strip().lower()
    if isinstance(value, bool) or text in YES + NO:
        return value if isinstance(value, bool) else text in YES
    raise ValueError(f"Keep colours takes yes or no (got {str(value)[:40]!r}).")


def check_axis(ax: Axis, method: str) -> Axis:
    """An axis whose name Stylize knows and whose values are within the tab's bounds."""
    name = ax.name.strip().lower()
    if name == STRENGTH or name in WEIGHTS:
        if method == "presets":
            raise ValueError(f"A preset sweep cannot move {ax.name}; move the size, keep colours or presets.")
        label = "Strength" if name == STRENGTH else name.capitalize()
        return Axis(name, tuple(limits.number(v, label, 0.0, 1.0) for v in ax.values))
    if name == SIZE:
        return Axis(name, tuple(limits.whole(v, "The size in a sweep", *SWEEP_SIDE) for v in ax.values))
    if name == KEEP:
        return Axis(name, tuple(_yes_no(v) for v in ax.values))
    i = preset_index(name)
    if i is None:
        raise ValueError(
            f"A Stylize sweep cannot move {ax.name!r}; choose strength, a style's weight, size, "
            "keep colours or a preset (e.g. 'preset: starry swirls')."
        )
    return Axis(PRESETS[i], tuple(limits.number(v, f"Preset {PRESET_NAMES[i]}", 0.0, 1.0) for v in ax.values))


def axes(x_axis: Any, y_axis: Any) -> tuple[Axis, Axis, str]:
    """Both axes checked (two different controls, at most 100 cells) and the sweep's method."""
    xa, ya = check_axes(x_axis, y_axis)
    method = method_of(xa, ya)
    xa, ya = check_axis(xa, method), check_axis(ya, method)
    if xa.name == ya.name:
        raise ValueError(f"Both axes move {xa.name}; choose two different controls.")
    return xa, ya, method


def cell_recipe(base: dict, moves: dict[str, Any]) -> dict:
    """The base recipe with each axis's value put in its place (a recipe the tab reopens)."""
    rec = {**base, "weights": list(base.get("weights") or []), "presets": dict(base.get("presets") or {})}
    for name, value in moves.items():
        if name == STRENGTH:
            rec["strength"] = value
        elif name == SIZE:
            rec["size"] = value
        elif name == KEEP:
            rec["keep_colours"] = value
        elif name in WEIGHTS:
            slot = WEIGHTS.index(name)
            slots = list(base.get("slots") or [])
            if slot not in slots:
                raise ValueError(f"Style {slot + 1} is empty: add a picture there to sweep its weight.")
            rec["weights"][slots.index(slot)] = value
        else:
            number = str(preset_index(name) + 1)
            rec["presets"] = {k: w for k, w in {**rec["presets"], number: value}.items() if w > 0}
    if base.get("method") == "fast":
        rec.pop("presets", None)
    return rec


def paint_cell(rec: dict, store: OutputStore | None) -> Image.Image:
    """One cell's picture (reused when the same picture was just painted)."""
    return restore.job(rec, store).shown()


def base_recipe(base: dict, method: str) -> dict:
    """The recipe every cell starts from, for the sweep's method, with the size capped at SWEEP_SIDE."""
    rec = {**base, "method": method, "size": min(int(base.get("size", 512)), SWEEP_SIDE[1])}
    for key in (
        ("strength", "weights", "styles", "slots", "style_refs", "style_files") if method == "presets" else ("presets",)
    ):
        rec.pop(key, None)
    return rec


def run(
    base: dict,
    x_axis: Any,
    y_axis: Any,
    store: OutputStore | None,
    stop: StopToken | None = None,
    preview_every: int = 5,
) -> tuple[Axis, Axis, dict, Iterator[sweep.SweepEvent]]:
    """A Stylize sweep: (x axis, y axis, the base recipe, the events); each cell paints
    cell_recipe(base, {x: x value, y: y value})."""
    xa, ya, method = axes(x_axis, y_axis)
    rec = base_recipe(base, method)
    events = sweep.run(
        lambda x, y: paint_cell(cell_recipe(rec, {xa.name: x, ya.name: y}), store), xa, ya, stop, preview_every
    )
    return xa, ya, rec, events


def cell_recipes(base: dict, xa: Axis, ya: Axis, cells: list[Cell]) -> list[dict]:
    """Each made cell's recipe, in the order the cells were made (row by row)."""
    return [cell_recipe(base, {xa.name: c.x, ya.name: c.y}) for c in cells]


def recipe(base: dict, xa: Axis, ya: Axis) -> dict:
    """The grid's recipe: both axes and the base recipe (with its kept inputs)."""
    return sweep.recipe(ENGINE, xa, ya, base, method=base.get("method"))


def title(xa: Axis, ya: Axis) -> str:
    """The grid's title (in the Gallery and above the grid)."""
    return f"Stylize sweep · {xa.name} × {ya.name}"


def grid(cells: list[Cell], xa: Axis, ya: Axis) -> Image.Image:
    """The cells' pictures as one labelled grid."""
    return grid_picture(cells, xa, ya, title=title(xa, ya))
