"""Stylize's controls and their bounds, and the checks every job runs before any work: NaN,
infinity, out-of-range and non-numbers get a plain ValueError, and pictures are read header-first
(`pictures.py`), the same for the studio and for scripts.

Bounds (the Stylize sliders' own ranges; the README's limits table names them):
- fast path and presets: strength 0-1, style and preset weights 0-1, size 128-4096 px (longer side);
- Gatys: 20-1000 steps, size 128-1024 px, style weight 0-5, content weight 0-2, smoothness 0-3;
- Dream: 1-6 octaves, 2-60 steps per octave, strength 0.005-0.1, channel 0-4095; it reads the size
  slider (128-4096) and dreams at most 768 px.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from engines import limits
from engines.stylize.pictures import read_picture

N_STYLES = 4
SIDE = (128, limits.MAX_PICTURE_SIDE)  # fast path and presets: longer side of the result
STYLE_SIDE = 1024  # styles are read at most this large (the predictor sees 256)
GATYS_STEPS = (20, 1000)
GATYS_SIDE = (128, 1024)
GATYS_STYLE_WEIGHT = (0.0, 5.0)
GATYS_CONTENT_WEIGHT = (0.0, 2.0)
GATYS_TV_WEIGHT = (0.0, 3.0)
OPTIMIZERS = ("lbfgs", "adam")
COLOR_MODES = ("none", "luminance", "histogram")
DREAM_OCTAVES = (1, 6)
DREAM_STEPS = (2, 60)
DREAM_STRENGTH = (0.005, 0.1)
DREAM_SIDE = (128, 768)  # the shared size slider goes higher; dreams stop at 768
DREAM_KINDS = ("layer", "channel", "class")
DREAM_STARTS = ("my picture", "noise")
MAX_CHANNEL = 4095
PRESET_NAMES = (  # the network came without names: each is named by what it paints
    "soft pastel",
    "bold black lines",
    "charcoal sketch",
    "vivid ribbons",
    "warm oils",
    "orange impasto",
    "indigo cells",
    "night blue and gold",
    "pencil and ink",
    "teal mosaic",
    "sepia oils",
    "ink outline",
    "lavender wash",
    "green expressionist",
    "pale blue wash",
    "stained glass",
    "blue crayon",
    "red weave",
    "sepia woodcut",
    "starry swirls",
    "red fauve",
    "paper cut-outs",
    "blue woodcut",
    "smoky grey",
    "blue etching",
    "bronze etching",
)
NO_CONTENT = "Add your picture first (or click a sample picture)."
NO_STYLE = "Add a style picture (or click a sample style)."

Styled = tuple[Image.Image, str, list[Image.Image], list[float], list[str], list[int]]
"""The pictures of a styled job: (picture, its path, style pictures, their weights, their paths, their slots)."""


def flag(value: Any, name: str) -> bool:
    """A checkbox: True or False (None reads as False); anything else is refused."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    raise ValueError(f"{name} must be true or false (got {str(value)[:40]!r}).")


def choice(value: Any, name: str, options: Sequence[str]) -> str:
    """One of `options`, or a message listing them."""
    if value not in options:
        shown = ", ".join(list(options)[:8]) + (", ..." if len(options) > 8 else "")
        raise ValueError(f"{name} must be one of: {shown} (got {str(value)[:60]!r}).")
    return str(value)


def content_picture(path: str | None, max_side: int) -> Image.Image:
    """The artist's picture, header-checked, at most `max_side` pixels on its longer side."""
    return read_picture(path, "Your picture", max_side, NO_CONTENT)


def style_pictures(
    paths: Sequence[str | None], weights: Sequence[Any]
) -> tuple[list[Image.Image], list[float], list[int]]:
    """The style slots in use: (pictures, their weights, their slot numbers 0-3). Every weight is
    checked (0-1), empty slots are skipped, and at least one style is needed."""
    checked = limits.numbers(weights, "Style weight", 0.0, 1.0)
    if len(paths) != N_STYLES or len(checked) != N_STYLES:
        raise ValueError(f"Give {N_STYLES} style slots and {N_STYLES} weights.")
    pics, used, names = [], [], []
    for i, (path, w) in enumerate(zip(paths, checked)):
        if path:
            pics.append(read_picture(path, f"Style {i + 1}", STYLE_SIDE, NO_STYLE))
            used.append(w)
            names.append(i)
    if not pics:
        raise ValueError(NO_STYLE)
    return pics, used, names


def styled_pictures(content: str | None, styles: Sequence[str | None], weights: Sequence[Any], side: int) -> Styled:
    """The artist's picture (at most `side` px) and the style slots in use, checked and read, in the
    order a styled job (fast or Gatys) takes them."""
    pic = content_picture(content, side)
    pics, used, slots = style_pictures(styles, weights)
    return pic, str(content), pics, used, [str(styles[i]) for i in slots], slots
