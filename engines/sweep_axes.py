"""A sweep's axes and cells: the setting each axis moves and its values as typed (`0.2, 0.5, 1` or
`start:stop:count`), checked against the bounds, labelled for the grid's margins; a cell is one made
output and where it sits. `engines/sweep.py` runs sweeps over them.

Bounds: at most limits.MAX_SWEEP_CELLS (100) cells in a sweep, MAX_VALUES (25) values on one axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from engines import limits

MAX_VALUES = 25  # values on one axis
MAX_NAME_CHARS = 60  # an axis name
MAX_VALUE_CHARS = 200  # one value as typed
MAX_SPEC_CHARS = 2_000  # an axis's values as typed
MAX_LABEL_CHARS = 28  # a value as the grid's margin shows it

Output = Any  # a picture (PIL.Image), a sound ((sample rate, np.ndarray)) or a text (str)


@dataclass(frozen=True)
class Axis:
    """One axis of a sweep: the setting it moves and the values it takes, in order."""

    name: str
    values: tuple

    def labels(self) -> list[str]:
        """Each value as the grid's margin shows it."""
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
    """Two axes as Axis or (name, values); the grid must have at most limits.MAX_SWEEP_CELLS cells."""
    xa = x_axis if isinstance(x_axis, Axis) else axis(*_pair(x_axis, "The X axis"))
    ya = y_axis if isinstance(y_axis, Axis) else axis(*_pair(y_axis, "The Y axis"))
    cells = len(xa.values) * len(ya.values)
    if cells > limits.MAX_SWEEP_CELLS:
        raise ValueError(
            f"That sweep has {len(xa.values)} x {len(ya.values)} = {cells} cells; "
            f"a sweep makes at most {limits.MAX_SWEEP_CELLS}. Take fewer values."
        )
    return xa, ya


def _pair(value: Any, what: str) -> tuple[Any, Any]:
    if isinstance(value, dict) and "name" in value:
        return value["name"], value.get("values")
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return value[0], value[1]
    raise ValueError(f"{what} must be (name, values).")
