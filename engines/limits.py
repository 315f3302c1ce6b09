"""The bounds every request lives within, and the checks that turn bad numbers and oversized
inputs into plain-words ValueErrors before any work starts (no NaN pictures, no runaway jobs).

The README's "Limits" table lists these numbers; change them here and there together.
"""

from __future__ import annotations

import math
from typing import Any

MAX_SEED = 2**31 - 1  # seeds are 0..MAX_SEED
MAX_KEYFRAMES = 32  # Paint morphs
MAX_FRAMES = 600  # frames in one morph or animation
MAX_TEXT_CHARS = 200_000  # a kept text, a prompt, a line
MAX_LINE_CHARS = 20_000  # longest single line laid out in a thumbnail
MAX_TRAIN_TEXT_BYTES = 20_000_000  # text a Words model trains on in the studio
MAX_SOUND_SECONDS = 30.0  # a generated or uploaded sound
MAX_TRAIN_STEPS = 200_000  # steps one training run may ask for
MAX_SWEEP_CELLS = 100  # cells in one sweep grid
MAX_PICTURE_SIDE = 4096  # longest side of a picture a request works at
MAX_PICTURE_PIXELS = 40_000_000  # pictures over this are refused before decoding


def number(value: Any, name: str, lo: float | None = None, hi: float | None = None) -> float:
    """`value` as a finite float within [lo, hi], or a ValueError that names the control."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number (got {str(value)[:40]!r}).") from None
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number (got {x}).")
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        raise ValueError(f"{name} must be between {_fmt(lo)} and {_fmt(hi)} (got {_fmt(x)}).")
    return x


def whole(value: Any, name: str, lo: int, hi: int) -> int:
    """`value` as an int within [lo, hi] (a float with no fraction is accepted)."""
    x = number(value, name, lo, hi)
    if x != int(x):
        raise ValueError(f"{name} must be a whole number (got {_fmt(x)}).")
    return int(x)


def seed(value: Any) -> int:
    """A seed: a whole number from 0 to MAX_SEED. An empty seed box is an error, not a silent 0."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("Type a seed (a whole number from 0 to 2147483647), or press the dice for a new one.")
    return whole(value, "The seed", 0, MAX_SEED)


def numbers(values: Any, name: str, lo: float | None = None, hi: float | None = None) -> list[float]:
    """A list of finite numbers (slider values), each within [lo, hi]."""
    return [number(v, f"{name} {i + 1}", lo, hi) for i, v in enumerate(values or [])]


def text(value: Any, name: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """`value` as a str of at most `max_chars` characters (None reads as empty)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text.")
    if len(value) > max_chars:
        raise ValueError(f"{name} is {len(value):,} characters long; the limit is {max_chars:,}.")
    return value


def _fmt(x: float | None) -> str:
    if x is None:
        return "any"
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"
