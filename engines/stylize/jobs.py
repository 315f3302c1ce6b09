"""Stylize's quick jobs as the studio and scripts ask for them: the fast path (the artist's picture in
up to four styles) and the blend of the 26 presets. Build one with `fast_job` or `preset_job` (every
control checked first: controls.py), then paint it; each job names its recipe, its title and the
inputs kept with it. The slow jobs (Gatys, Dream) are in slow_jobs.py; nothing here knows the UI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from engines import limits
from engines.outputs import OutputStore
from engines.stylize import fast
from engines.stylize.controls import PRESET_NAMES, SIDE, content_picture, flag, styled_pictures
from engines.stylize.inputs import keep_inputs, remembered
from engines.stylize.shown import SHOWN, pixels_key

ENGINE = "stylize"


@dataclass
class StyledJob:
    """What every styled job (fast or Gatys) paints with: the artist's picture and the styles in
    use, with their weights, files and slots (0-3)."""

    content: Image.Image
    content_path: str
    styles: list[Image.Image]
    weights: list[float]
    style_paths: list[str]
    slots: list[int]

    @property
    def style_names(self) -> list[str]:
        """The style pictures' file names."""
        return [Path(p).name for p in self.style_paths]

    def named(self) -> dict:
        """The recipe's part that names the pictures: styles, their slots and weights, the content."""
        return {
            "styles": self.style_names,
            "slots": self.slots,
            "weights": list(self.weights),
            "content": Path(self.content_path).name,
        }

    def files(self, refs: dict | None) -> dict:
        """The recipe's references to the inputs: `refs` from keep_inputs, else the remembered paths."""
        return refs if refs is not None else remembered(self.content_path, self.style_paths)

    def input_paths(self) -> list[str]:
        """The input files (what keeping them may add to the workspace)."""
        return [self.content_path, *self.style_paths]

    def keep_inputs(self, store: OutputStore) -> dict:
        """Keep the picture and the styles with the output; the recipe's references to them."""
        return keep_inputs(store, self.content_path, self.style_paths)


# ---------------------------------------------------------------- the fast path
@dataclass
class FastJob(StyledJob):
    """One fast stylisation: content, styles with weights, strength, colours, size."""

    strength: float
    keep_colours: bool
    size: int

    def paint(self) -> Image.Image:
        """The stylised picture (painted afresh)."""
        return fast.stylize(self.content, self.styles, self.weights, self.strength, self.keep_colours, self.size)

    def shown(self) -> Image.Image:
        """The stylised picture, reused when these very inputs and controls were painted just before."""
        return SHOWN.get(
            pixels_key("fast", self.content, *self.styles, self.weights, self.strength, self.keep_colours, self.size),
            self.paint,
        )

    def recipe(self, refs: dict | None = None) -> dict:
        """What made it (restores the controls; with `refs` from keep_inputs, remakes it exactly)."""
        return {
            "engine": ENGINE,
            "method": "fast",
            **self.named(),
            "strength": self.strength,
            "keep_colours": self.keep_colours,
            "size": self.size,
            **self.files(refs),
        }

    def title(self) -> str:
        """The Gallery's title."""
        return f"Stylized · {' + '.join(self.style_names)}"


def fast_job(
    content: str | None,
    styles: Sequence[str | None],
    weights: Sequence[Any],
    strength: Any,
    keep_colours: Any,
    size: Any,
) -> FastJob:
    """Check every input of the fast path (numbers first, then pictures) and read the pictures."""
    strength_v = limits.number(strength, "Strength", 0.0, 1.0)
    keep = flag(keep_colours, "Keep my colours")
    side = limits.whole(size, "The size", *SIDE)
    return FastJob(*styled_pictures(content, styles, weights, side), strength_v, keep, side)


# ---------------------------------------------------------------- presets
@dataclass
class PresetJob:
    """A blend of the 26 preset styles on the artist's picture."""

    content: Image.Image
    content_path: str
    weights: list[float]
    keep_colours: bool
    size: int

    def paint(self) -> Image.Image:
        """The blend (painted afresh)."""
        return fast.presets(self.content, self.weights, self.keep_colours, self.size)

    def shown(self) -> Image.Image:
        """The blend, reused when these very inputs were painted just before."""
        return SHOWN.get(pixels_key("presets", self.content, self.weights, self.keep_colours, self.size), self.paint)

    def recipe(self, refs: dict | None = None) -> dict:
        """What made it: the picture, the presets in the blend by number, colours and size."""
        return {
            "engine": ENGINE,
            "method": "presets",
            "content": Path(self.content_path).name,
            "presets": self.used(),
            "keep_colours": self.keep_colours,
            "size": self.size,
            **(refs if refs is not None else remembered(self.content_path)),
        }

    def input_paths(self) -> list[str]:
        """The input file (what keeping it may add to the workspace)."""
        return [self.content_path]

    def keep_inputs(self, store: OutputStore) -> dict:
        """Keep the picture with the output; the recipe's reference to it."""
        return keep_inputs(store, self.content_path)

    def used(self) -> dict[str, float]:
        """Preset number -> weight, for the presets in the blend."""
        return {str(i + 1): w for i, w in enumerate(self.weights) if w > 0}

    def title(self) -> str:
        """The Gallery's title."""
        return f"Presets {' + '.join(PRESET_NAMES[int(i) - 1] for i in self.used())}"


def preset_job(content: str | None, keep_colours: Any, size: Any, weights: Sequence[Any]) -> PresetJob:
    """Check the preset blend's inputs: 26 weights of 0-1, the size, then the picture."""
    if len(weights) != fast.N_PRESETS:
        raise ValueError(f"Give {fast.N_PRESETS} preset weights (got {len(weights)}).")
    ws = limits.numbers(weights, "Preset", 0.0, 1.0)
    keep = flag(keep_colours, "Keep my colours")
    side = limits.whole(size, "The size", *SIDE)
    return PresetJob(content_picture(content, side), str(content), ws, keep, side)


def preset_sheet(content: str | None, side: int = 192) -> list[tuple[Image.Image, str]]:
    """Each preset alone on a small copy of the picture, labelled with its number and name."""
    pic = content_picture(content, side)
    return [
        (fast.presets(pic, np.eye(fast.N_PRESETS)[i]), f"{i + 1} · {PRESET_NAMES[i]}") for i in range(fast.N_PRESETS)
    ]
