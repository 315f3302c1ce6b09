"""CNN dreams (Mordvintsev et al. 2015, 'Inceptionism'): gradient ascent on the feature
network's own activations, so the picture fills with what a layer, a channel or an ImageNet
class responds to. Octaves (small to large) give structure at several scales; random jitter
keeps the patterns from locking to the pixel grid. Streams previews like the Gatys path.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from engines.jobs import StopToken
from engines.stylize import features
from engines.stylize.gatys import to_image, to_tensor

LAYERS = {
    "edges and dots (block 1)": "b1",
    "textures (block 3)": "b3",
    "patterns (block 5)": "b5",
    "parts (block 8)": "b8",
    "things (block 11)": "b11",
    "whole objects (block 14)": "b14",
}


@dataclass(frozen=True)
class DreamSettings:
    """What a dream reaches for and how (the CLI's `dream` options are made from it)."""

    target: str = "layer:b8"  # 'layer:b8', 'channel:b8:17' or 'class:<ImageNet index 0-999>'
    octaves: int = 3  # scales, small to large
    octave_scale: float = 1.5  # size ratio between neighbouring octaves
    steps: int = 12  # gradient steps per octave
    strength: float = 0.03  # step size in pixel units
    jitter: int = 16  # random shift in pixels before each step
    size: int = 384  # longer side of the dream, in pixels
    seed: int = 0  # the jitter's (and the starting noise's) seed


@dataclass
class DreamEvent:
    step: int
    total: int
    objective: float
    preview: Image.Image
    done: bool = False
    message: str = ""
    seconds: float = 0.0


def parse_target(target: str) -> tuple[str, str, int | None]:
    """'layer:b8' -> ('layer', 'b8', None); 'channel:b8:17'; 'class:546' -> ('class', 'logits', 546)."""
    parts = target.split(":")
    kind = parts[0]
    if kind == "layer" and len(parts) == 2:
        return kind, parts[1], None
    if kind == "channel" and len(parts) == 3 and parts[2].isdigit():
        return kind, parts[1], int(parts[2])
    if kind == "class" and len(parts) == 2 and parts[1].isdigit() and 0 <= int(parts[1]) < 1000:
        return kind, "logits", int(parts[1])
    raise ValueError(f"dream target {target!r} is not 'layer:<tap>', 'channel:<tap>:<n>' or 'class:<0-999>'")


def _objective(acts: torch.Tensor, kind: str, index: int | None) -> torch.Tensor:
    if kind == "layer":
        return acts.pow(2).mean()
    if kind == "channel":
        if index is None or index >= acts.shape[1]:
            raise ValueError(f"that layer has {acts.shape[1]} channels; choose 0 to {acts.shape[1] - 1}")
        return acts[:, index].mean()
    return acts[0, index]


def dream(
    image: Image.Image | None,
    settings: DreamSettings = DreamSettings(),
    stop: StopToken | None = None,
    device: str = "cpu",
) -> Iterator[DreamEvent]:
    """Dream on `image` (or on soft noise when None); yields a preview after each few steps."""
    kind, tap, index = parse_target(settings.target)
    net = features.load(features.LITE0, (tap,), device)
    if image is None:
        rng = np.random.default_rng(settings.seed)
        noise = (0.5 + 0.08 * rng.standard_normal((settings.size, settings.size, 3))).clip(0, 1)
        image = Image.fromarray((noise * 255).astype(np.uint8))
    gen = torch.Generator().manual_seed(settings.seed)
    base = to_tensor(image, settings.size, device)
    sizes = [
        tuple(max(32, int(d / settings.octave_scale**o)) for d in base.shape[-2:])
        for o in reversed(range(settings.octaves))
    ]
    total, step, t0 = settings.steps * len(sizes), 0, time.time()
    x = F.interpolate(base, size=sizes[0], mode="bilinear", align_corners=False)
    detail = torch.zeros_like(x)
    value = 0.0
    for size in sizes:
        # carry the dreamed detail up to the next octave, on top of the original picture
        detail = F.interpolate(detail, size=size, mode="bilinear", align_corners=False)
        x = (F.interpolate(base, size=size, mode="bilinear", align_corners=False) + detail).clamp(0, 1)
        for _ in range(settings.steps):
            dy, dx = (int(v) for v in torch.randint(-settings.jitter, settings.jitter + 1, (2,), generator=gen))
            shifted = torch.roll(x, (dy, dx), (2, 3)).detach().requires_grad_(True)
            obj = _objective(net(shifted)[tap], kind, index)
            obj.backward()
            g = shifted.grad
            g = torch.roll(g / g.abs().mean().clamp_min(1e-8), (-dy, -dx), (2, 3))
            x = (x + settings.strength * g).clamp(0, 1).detach()
            value = float(obj.detach())
            step += 1
            stopped = bool(stop and stop.stopped)
            if step % 4 == 0 or stopped:
                yield DreamEvent(
                    step, total, value, to_image(x), stopped, "stopped" if stopped else "", time.time() - t0
                )
            if stopped:
                return
        detail = x - F.interpolate(base, size=size, mode="bilinear", align_corners=False)
    yield DreamEvent(step, total, value, to_image(x), True, "finished", time.time() - t0)
