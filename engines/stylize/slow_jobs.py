"""Stylize's slow jobs: a Gatys painting (the picture repainted step by step, optionally only where
a brushed mask says) and a dream. Build one with `gatys_job` or `dream_job` (every control checked
first: controls.py), then run it: both stream events with previews and stop on a StopToken. Each job
names its recipe, its title and the inputs kept with it; nothing here knows the UI."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from engines import limits
from engines.jobs import StopToken
from engines.outputs import OutputStore
from engines.stylize import dream as dreams
from engines.stylize import features
from engines.stylize.controls import (
    COLOR_MODES,
    DREAM_KINDS,
    DREAM_OCTAVES,
    DREAM_SIDE,
    DREAM_STARTS,
    DREAM_STEPS,
    DREAM_STRENGTH,
    GATYS_CONTENT_WEIGHT,
    GATYS_SIDE,
    GATYS_STEPS,
    GATYS_STYLE_WEIGHT,
    GATYS_TV_WEIGHT,
    MAX_CHANNEL,
    OPTIMIZERS,
    SIDE,
    choice,
    content_picture,
    styled_pictures,
)
from engines.stylize.gatys import GatysEvent, GatysSettings, paint
from engines.stylize.inputs import keep_inputs, remembered
from engines.stylize.jobs import ENGINE, StyledJob
from engines.stylize.pictures import read_mask


# ---------------------------------------------------------------- Gatys
@dataclass
class GatysJob(StyledJob):
    """One slow painting: the pictures, the settings, the brushed mask (None: everywhere)."""

    settings: GatysSettings
    mask: Image.Image | None = None

    def run(self, stop: StopToken | None, device: str, allow_downloads: bool = False) -> Iterator[GatysEvent]:
        """The optimisation's events (see gatys.paint)."""
        return paint(self.content, self.styles, self.weights, self.settings, self.mask, stop, device, allow_downloads)

    def recipe(self, ev: GatysEvent, refs: dict | None = None) -> dict:
        """What made the painting `ev` shows: every setting, the steps done and asked, the last losses."""
        s = self.settings
        return {
            "engine": ENGINE,
            "method": "gatys",
            **self.named(),
            "steps": ev.step,
            "steps_asked": s.steps,
            "size": s.size,
            "style_weight": s.style_weight,
            "content_weight": s.content_weight,
            "tv_weight": s.tv_weight,
            "backbone": s.backbone,
            "optimizer": s.optimizer,
            "keep_colours": s.preserve_color,
            "masked": self.mask is not None,
            "style_loss": round(ev.style_loss, 5),
            "content_loss": round(ev.content_loss, 5),
            **self.files(refs),
        }

    def keep_inputs(self, store: OutputStore) -> dict:
        """Keep the picture, the styles and the brushed mask with the output; the recipe's references."""
        return keep_inputs(store, self.content_path, self.style_paths, self.mask)

    def title(self) -> str:
        """The Gallery's title."""
        return f"Painted slowly · {' + '.join(self.style_names)}"


def gatys_job(
    content: str | None,
    styles: Sequence[str | None],
    weights: Sequence[Any],
    steps: Any,
    size: Any,
    style_weight: Any,
    content_weight: Any,
    tv_weight: Any,
    backbone: Any,
    optimizer: Any,
    color_mode: Any,
    mask_layers: Sequence[str | None] | None = None,
) -> GatysJob:
    """Check every Gatys input against its bounds, then read the pictures and the brushed mask."""
    settings = GatysSettings(
        steps=limits.whole(steps, "Steps", *GATYS_STEPS),
        size=limits.whole(size, "The size", *GATYS_SIDE),
        style_weight=limits.number(style_weight, "Style weight", *GATYS_STYLE_WEIGHT),
        content_weight=limits.number(content_weight, "Content weight", *GATYS_CONTENT_WEIGHT),
        tv_weight=limits.number(tv_weight, "Smoothness (TV)", *GATYS_TV_WEIGHT),
        backbone=choice(backbone, "The feature network", (features.LITE0, features.VGG19)),
        optimizer=choice(optimizer, "The optimiser", OPTIMIZERS),
        preserve_color=choice(color_mode, "Keep colours", COLOR_MODES),
    )
    return GatysJob(*styled_pictures(content, styles, weights, settings.size), settings, read_mask(mask_layers))


def loss_rows(history: Sequence[tuple[int, float, float]]) -> list[dict]:
    """A Gatys run's history as plot rows: (step, loss, part) with part 'style' or 'content'."""
    rows = []
    for step, style, content in history:
        rows += [{"step": step, "loss": style, "part": "style"}, {"step": step, "loss": content, "part": "content"}]
    return rows


# ---------------------------------------------------------------- Dream
@dataclass
class DreamJob:
    """One dream: what to dream of, the settings, the starting picture (None: noise)."""

    picture: Image.Image | None
    settings: dreams.DreamSettings
    subject: str  # the layer's or class's name, for the title
    start: str
    content_path: str | None = None
    controls: dict = field(default_factory=dict)  # kind, layer, channel, class as the tab showed them

    def run(self, stop: StopToken | None, device: str) -> Iterator[dreams.DreamEvent]:
        """The dream's events (see dream.dream)."""
        return dreams.dream(self.picture, self.settings, stop, device)

    def recipe(self, refs: dict | None = None) -> dict:
        """What made it: the target, every setting, the start and the controls as the tab showed them."""
        s = self.settings
        own = self.content_path if self.picture is not None else None
        return {
            "engine": ENGINE,
            "method": "dream",
            "target": s.target,
            "octaves": s.octaves,
            "steps": s.steps,
            "strength": s.strength,
            "start": self.start,
            "size": s.size,
            **self.controls,
            **({"content": Path(own).name} if own else {}),
            **(refs if refs is not None else remembered(own)),
        }

    def input_paths(self) -> list[str]:
        """The input file, when the dream starts from the artist's picture."""
        return [self.content_path] if self.picture is not None and self.content_path else []

    def keep_inputs(self, store: OutputStore) -> dict:
        """Keep the starting picture (if any) with the output; the recipe's reference to it."""
        return keep_inputs(store, self.content_path if self.picture is not None else None)

    def title(self) -> str:
        """The Gallery's title."""
        return f"Dream of {self.subject}"


def dream_target(kind: str, layer: str, channel: Any, class_name: Any) -> tuple[str, str]:
    """(engine target string, subject for the title) from the Dream controls."""
    tap = dreams.LAYERS[layer]
    if kind == "channel":
        n = limits.whole(channel, "The channel", 0, MAX_CHANNEL)
        return f"channel:{tap}:{n}", f"{layer}, channel {n}"
    if kind == "class":
        classes = features.imagenet_classes()
        return f"class:{classes.index(choice(class_name, 'The class', classes))}", str(class_name)
    return f"layer:{tap}", layer


def dream_job(
    content: str | None,
    kind: Any,
    layer: Any,
    channel: Any,
    class_name: Any,
    octaves: Any,
    steps: Any,
    strength: Any,
    start: Any,
    size: Any,
) -> DreamJob:
    """Check every Dream input against its bounds; read the picture unless it starts from noise."""
    kind = choice(kind, "Dream of", DREAM_KINDS)
    layer = choice(layer, "The layer", tuple(dreams.LAYERS))
    start = choice(start, "Start from", DREAM_STARTS)
    target, subject = dream_target(kind, layer, channel, class_name)
    side = min(limits.whole(size, "The size", *SIDE), DREAM_SIDE[1])
    settings = dreams.DreamSettings(
        target=target,
        octaves=limits.whole(octaves, "Octaves", *DREAM_OCTAVES),
        steps=limits.whole(steps, "Steps per octave", *DREAM_STEPS),
        strength=limits.number(strength, "Strength", *DREAM_STRENGTH),
        size=side,
    )
    pic = None if start == "noise" else content_picture(content, side)
    shown = {
        "kind": kind,
        "layer": layer,
        "channel": limits.whole(channel, "The channel", 0, MAX_CHANNEL) if kind == "channel" else 0,
        "class_name": str(class_name) if kind == "class" else None,
    }
    return DreamJob(pic, settings, subject, start, str(content) if content else None, shown)
