"""Remaking an output from its recipe, and telling whether the remake is the kept file.

Each engine offers `engines/<engine>/replay.py` with two functions:
- `remake(recipe, ctx) -> Made`: the output again, from the recipe alone (and the inputs kept with it);
- `exact(recipe) -> bool`: whether that path is deterministic, so a remake on the same machine must
  equal the kept file (Paint, Stylize fast, Sound notes, Words at a seed).
The modules are imported on first use, so this file imports no engine.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from engines import recipe as recipes
from engines.outputs import OutputStore

Made = Any  # a PIL picture, a (sample_rate, wave) pair, or a text
ENGINES = ("paint", "stylize", "sound", "words")


@dataclass(frozen=True)
class ReplayContext:
    """Where a remake finds what it needs: the workspace's models and its Gallery (kept inputs)."""

    models_dir: Path  # the workspace's models folder (<engine>/<name>.pt below it)
    store: OutputStore  # the workspace's Gallery, for inputs kept with outputs
    device: str = "cpu"


def _module(engine: str) -> Any:
    if engine not in ENGINES:
        raise ValueError(f"Outputs of {str(engine)[:40]!r} cannot be remade here.")
    try:
        return importlib.import_module(f"engines.{engine}.replay")
    except ModuleNotFoundError as err:
        if err.name == f"engines.{engine}.replay":
            raise ValueError(f"{engine.capitalize()} outputs cannot be remade yet.") from None
        raise


def remake(recipe: dict, ctx: ReplayContext) -> Made:
    """The output its recipe describes, made again."""
    return _module(str(recipe.get("engine"))).remake(recipe, ctx)


def exact(recipe: dict) -> bool:
    """Whether remaking this recipe on the same machine gives the kept file bit for bit."""
    try:
        return bool(_module(str(recipe.get("engine"))).exact(recipe))
    except ValueError:
        return False


def same(made: Made, kept: Path) -> bool:
    """Whether a remade output equals the kept file (pixels, samples or characters)."""
    if isinstance(made, Image.Image):
        with Image.open(kept) as im:
            im.seek(0)
            return np.array_equal(np.asarray(im.convert("RGB")), np.asarray(made.convert("RGB")))
    if isinstance(made, tuple) and len(made) == 2:  # as 16-bit WAV, the way the Gallery keeps sounds
        return recipes.wav_sound_bytes(recipes.wav_bytes(int(made[0]), made[1])) == recipes.wav_sound_bytes(
            kept.read_bytes()
        )
    if isinstance(made, str):
        return recipes.read_text(kept) == made
    return False
