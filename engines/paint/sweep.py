"""Paint sweeps: a grid of pictures with one Paint setting along X and another along Y.

Settings a Paint sweep moves (AXES): the seed, the truncation (psi), the class (a class or group
name per value), and any principal direction ('direction 1'..'direction 10' or its name, such as
'smaller ↔ bigger', in standard deviations). The base settings are a Paint picture's: {seed, psi,
classes, sliders, nudges, truncation}, or an inverted picture's with `base` (its z) instead of
the seed (then the seed cannot be an axis). Every value is checked with the tab's own bounds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from PIL import Image

from engines import limits, sweep
from engines.jobs import StopToken
from engines.paint import controls, explore, inverted
from engines.paint.explore import PaintModel

SEED, PSI, CLASS = "seed", "truncation", "class"
AXES = (SEED, PSI, CLASS)  # plus 'direction N' and the directions' names
CELL_SIDE = 128  # each cell is drawn (smoothly enlarged) to at least this


def axis_names(model: PaintModel) -> list[str]:
    """What a Paint sweep can move, for the tab's axis pickers."""
    return [*AXES, *(f"direction {i + 1}: {d.name}" for i, d in enumerate(model.directions))]


def _direction_index(model: PaintModel, name: str) -> int | None:
    low = name.strip().lower()
    if low.startswith("direction "):
        head = low[len("direction ") :].split(":")[0].strip()
        if head.isdigit() and 1 <= int(head) <= len(model.directions):
            return int(head) - 1
    for i, d in enumerate(model.directions):
        if d.name.lower() == low:
            return i
    return None


def check_axis(model: PaintModel, ax: sweep.Axis, has_base: bool) -> sweep.Axis:
    """An axis whose name Paint knows and whose values are within the tab's bounds."""
    name = ax.name
    if name == SEED:
        if has_base:
            raise ValueError("An inverted picture has no seed to sweep; sweep truncation, class or a direction.")
        return sweep.Axis(name, tuple(limits.seed(v) for v in ax.values))
    if name == PSI:
        return sweep.Axis(name, tuple(limits.number(v, "The truncation", 0.0, controls.PSI_MAX) for v in ax.values))
    if name == CLASS:
        for v in ax.values:
            explore.class_vector(model, str(v))  # names an unknown class
        return sweep.Axis(name, tuple(str(v) for v in ax.values))
    i = _direction_index(model, name)
    if i is None:
        raise ValueError(f"A Paint sweep cannot move {name!r}; choose one of: {', '.join(axis_names(model))}.")
    return sweep.Axis(
        name,
        tuple(limits.number(v, f"Direction {i + 1}", -controls.SLIDER_MAX, controls.SLIDER_MAX) for v in ax.values),
    )


def check_base(model: PaintModel, base: dict) -> dict:
    """The settings every cell shares, checked: a seed picture's or an inverted one's (`base`)."""
    if not isinstance(base, dict):
        raise ValueError("The base settings must be a dict like {'seed': 1, 'psi': 0.2, 'classes': {...}}.")
    out = {
        "psi": limits.number(base.get("psi", explore.default_psi(model)), "The truncation", 0.0, controls.PSI_MAX),
        "classes": base.get("classes") or {model.class_names[0]: 1.0},
        "sliders": list(controls.sliders(base.get("sliders"))),
        "nudges": [list(n) for n in controls.nudges(base.get("nudges"))],
        "truncation": base.get("truncation", explore.truncation_of(model)),
    }
    if out["truncation"] not in explore.TRUNCATIONS:
        raise ValueError(f"The truncation kind must be one of {', '.join(explore.TRUNCATIONS)}.")
    explore.class_vector(model, out["classes"])
    if base.get("base") is not None:
        out["base"] = inverted.check_base(model, base["base"]).tolist()
    else:
        out["seed"] = limits.seed(base.get("seed", 0))
    return out


def cell_settings(model: PaintModel, base: dict, moves: dict[str, Any]) -> dict:
    """The base settings with each axis's value put in its place."""
    s = {**base, "sliders": list(base["sliders"]) + [0.0] * (len(model.directions) - len(base["sliders"]))}
    for name, value in moves.items():
        if name == SEED:
            s["seed"] = value
        elif name == PSI:
            s["psi"] = value
        elif name == CLASS:
            s["classes"] = {value: 1.0}
        else:
            s["sliders"][_direction_index(model, name)] = value
    return s


def draw_settings(model: PaintModel, s: dict, side: int = CELL_SIDE) -> Image.Image:
    """The picture a settings dict describes, enlarged to at least `side`."""
    if "base" in s:
        z = inverted.base_latent(model, s["base"], s["psi"], s["sliders"], s["nudges"], s["classes"], s["truncation"])
    else:
        z = explore.latent(model, s["seed"], s["psi"], s["sliders"], s["nudges"], s["classes"], s["truncation"])
    scale = max(1, -(-side // model.config.resolution))
    return explore.render(model, z, explore.class_vector(model, s["classes"]), scale)[0]


def paint_sweep(
    model: PaintModel, base: dict, x_axis: Any, y_axis: Any, stop: StopToken | None = None, preview_every: int = 5
) -> Iterator[sweep.SweepEvent]:
    """A Paint sweep: yields sweep.SweepEvents (cells so far, a preview grid every few cells);
    `sweep.finish(event.cells, *axes)` or `grid(...)` draws the final grid."""
    xa, ya = axes(model, base, x_axis, y_axis)
    settings = check_base(model, base)
    return sweep.run(
        lambda x, y: draw_settings(model, cell_settings(model, settings, {xa.name: x, ya.name: y})),
        xa,
        ya,
        stop,
        preview_every,
    )


def axes(model: PaintModel, base: dict, x_axis: Any, y_axis: Any) -> tuple[sweep.Axis, sweep.Axis]:
    """Both axes checked for Paint (and for each other: two different settings)."""
    xa, ya = sweep.check_axes(x_axis, y_axis)
    has_base = isinstance(base, dict) and base.get("base") is not None
    xa, ya = check_axis(model, xa, has_base), check_axis(model, ya, has_base)
    if xa.name == ya.name or (
        _direction_index(model, xa.name) is not None
        and _direction_index(model, xa.name) == _direction_index(model, ya.name)
    ):
        raise ValueError(f"Both axes move {xa.name}; choose two different settings.")
    return xa, ya


def grid(model: PaintModel, cells: list[sweep.Cell], xa: sweep.Axis, ya: sweep.Axis) -> Image.Image:
    """The finished grid, titled with the model's name."""
    return sweep.grid_picture(cells, xa, ya, title=f"{model.name} · sweep")


def recipe(model: PaintModel, base: dict, x_axis: sweep.Axis, y_axis: sweep.Axis) -> dict:
    """A Paint sweep's recipe (replay it with `paint_sweep(model, rec['base'], rec['x'], rec['y'])`)."""
    return sweep.recipe(
        explore.ENGINE, x_axis, y_axis, check_base(model, base), model=model.name, checkpoint=model.hash
    )


def run_sweep(model: PaintModel, base: dict, x_axis: Any, y_axis: Any) -> Image.Image:
    """A whole Paint sweep to its grid (for the bench and scripts)."""
    xa, ya = axes(model, base, x_axis, y_axis)
    cells: list[sweep.Cell] = []
    for event in paint_sweep(model, base, xa, ya, preview_every=0):
        cells = event.cells
    return grid(model, cells, xa, ya)
