"""My picture in Paint: find the z and class blend whose drawing is closest to an artist's picture
(the generator's weights fixed), then let every Paint control act on it.

GAN inversion by optimisation (Zhu et al. 2016, https://arxiv.org/abs/1609.03552; Abdal et al.
2019, Image2StyleGAN, https://arxiv.org/abs/1904.03189), as `anchors.invert` does for the
training pictures: start from the nearest of many known latents, then Adam steps on z with z kept
at the typical length of a standard normal vector. Here the class is free too: each start is
tried with every class, the best class opens a soft blend (softmax of learnt logits), and z and
the blend are optimised together on L1 at full and half size (`anchors.distance`).

Starts: the model's anchors (one z per training picture, drawn once per model and cached at half
size), or, for a model without anchors, STARTS_PER_CLASS seeds of every class. Bounded: at most
MAX_STEPS steps and MAX_SECONDS seconds (defaults STEPS and SECONDS), a StopToken ends it early
with the best so far. On 2 shared CPU cores a 64 px picture takes about 3-6 s once the model's
starts are cached (the first inversion per model and process adds about 5 s to draw them).

The found z becomes the picture's *base*, which `inverted.BasePicture` puts under every Paint control.
"""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps

from engines import imageio, limits
from engines.jobs import StopToken
from engines.paint import anchors as anchoring
from engines.paint import explore
from engines.paint.explore import PaintModel
from engines.paint.images import to_pil

STEPS, MAX_STEPS = 150, 1000  # Adam steps on z and the blend
SECONDS, MAX_SECONDS = 6.0, 60.0  # wall-clock cap on the optimisation
STARTS, MAX_STARTS = 4, 16  # starting latents optimised side by side
STARTS_PER_CLASS = 128  # seeds per class for a model without anchors
LR_Z, LR_CLASS = 0.05, 0.1  # Adam step sizes for z and the class logits
OFF_LOGIT = -6.0  # initial logit of the classes a start does not use
MIN_WEIGHT = 0.02  # blend weights below this are dropped from the result
MAX_INPUT_SIDE = 2048  # pictures are shrunk to this on reading (any size accepted)
MIN_INPUT_SIDE = 16  # smaller pictures are refused
FITS = ("pad", "crop")  # pad to a square with white (keeps it all) or centre-crop
PREVIEW_EVERY = 10  # steps between streamed previews
GOOD_ENOUGH = 0.02  # stop once the distance (full + half size L1) is below this
PATIENCE, MIN_GAIN = 25, 0.01  # ... or once PATIENCE steps gained less than MIN_GAIN of it


@dataclass
class Inversion:
    """What inverting a picture found."""

    z: torch.Tensor  # (z_dim,) at the typical length sqrt(z_dim), on the CPU
    blend: dict[str, float]  # class name -> weight (sums to 1)
    reconstruction: Image.Image  # the model's drawing of (z, blend) at its resolution
    target: Image.Image  # the picture as it was compared (square, model resolution)
    l1: float  # mean |drawing - target|, pixels in [-1, 1]
    steps: int  # Adam steps taken
    seconds: float  # wall-clock time of the whole inversion
    stopped: bool = False  # ended early by the stop token


@dataclass
class InvertEvent:
    """One streamed step: how far along (0-1), the current best drawing, and the result at the end."""

    fraction: float
    preview: Image.Image
    message: str = ""
    result: Inversion | None = None

    @property
    def done(self) -> bool:
        return self.result is not None


# ---------------------------------------------------------------- reading the picture
def read_picture(source: Any, name: str = "the picture") -> Image.Image:
    """An RGB picture from a PIL image, a path or bytes; a ValueError that says why otherwise
    (not a picture, smaller than MIN_INPUT_SIDE, larger than limits.MAX_PICTURE_PIXELS)."""
    if isinstance(source, Image.Image):
        w, h = source.size
        if w * h > limits.MAX_PICTURE_PIXELS:
            raise ValueError(
                f"{name} is {w}x{h}; pictures over {limits.MAX_PICTURE_PIXELS // 1_000_000} megapixels are refused"
            )
        if min(w, h) < MIN_INPUT_SIDE:
            raise ValueError(f"{name} is only {w}x{h}; pictures need at least {MIN_INPUT_SIDE} pixels on each side.")
        image = imageio.to_rgb(source)
        if max(image.size) > MAX_INPUT_SIDE:
            image = image.copy()
            image.thumbnail((MAX_INPUT_SIDE, MAX_INPUT_SIDE), Image.Resampling.LANCZOS)
        return image
    if isinstance(source, (str, os.PathLike)):
        if not Path(source).is_file():
            raise ValueError(f"{name} is not a file Atelier can find")
        return imageio.load_picture(source, max_side=MAX_INPUT_SIDE, name=name, min_side=MIN_INPUT_SIDE)
    if isinstance(source, (bytes, bytearray)):
        return imageio.load_picture(bytes(source), max_side=MAX_INPUT_SIDE, name=name, min_side=MIN_INPUT_SIDE)
    if isinstance(source, np.ndarray) and source.ndim in (2, 3) and source.dtype == np.uint8:
        return read_picture(Image.fromarray(source), name)
    raise ValueError(f"{name} is not a picture (got {type(source).__name__}); give a PNG, JPEG or WebP file")


def fit_square(image: Image.Image, side: int, fit: str = "pad") -> Image.Image:
    """The picture as a `side` px square: padded with white around it, or centre-cropped."""
    if fit not in FITS:
        raise ValueError(f"fit must be one of {', '.join(FITS)}")
    if fit == "crop":
        return imageio.square(image, side)
    return ImageOps.pad(image, (side, side), Image.Resampling.LANCZOS, color=(255, 255, 255))


def to_target(image: Image.Image, device: torch.device | str = "cpu") -> torch.Tensor:
    """A square RGB picture -> (1, 3, H, W) in [-1, 1]."""
    arr = np.asarray(image.convert("RGB"), dtype=np.float32) / 127.5 - 1
    return torch.from_numpy(arr).permute(2, 0, 1)[None].to(device)


# ---------------------------------------------------------------- starts (cached per model)
@dataclass
class Starts:
    """Known latents, their classes, and their drawings at half size (for the nearest search)."""

    z: torch.Tensor  # (N, z_dim)
    labels: torch.Tensor  # (N,)
    small: torch.Tensor  # (N, 3, res/2, res/2) in [-1, 1], float16


_starts_cache: dict[tuple[str, str], Starts] = {}
_starts_lock = threading.Lock()


def _draw_small(model: PaintModel, z: torch.Tensor, labels: torch.Tensor, batch: int = 64) -> torch.Tensor:
    n_cls = len(model.class_names)
    out = []
    with torch.no_grad():
        for i in range(0, len(z), batch):
            y = F.one_hot(labels[i : i + batch], n_cls).float().to(model.device)
            x = model.generator(z[i : i + batch].to(model.device), y)
            out.append(F.avg_pool2d(x, 2).half().cpu())
    return torch.cat(out)


def starts(model: PaintModel) -> Starts:
    """The model's starting latents: its anchors, or STARTS_PER_CLASS seeds per class (drawn
    once per model file and device, then kept)."""
    key = (model.hash, str(model.device))
    with _starts_lock:
        if key in _starts_cache:
            return _starts_cache[key]
        if model.anchors is not None:
            z, labels = model.anchors.z.float().cpu(), model.anchors.labels.long().cpu()
        else:
            n_cls = len(model.class_names)
            gen = torch.Generator().manual_seed(20_231)
            z = torch.randn(STARTS_PER_CLASS * n_cls, model.z_dim, generator=gen)
            labels = torch.arange(n_cls).repeat_interleave(STARTS_PER_CLASS)
        z = z * (model.z_dim**0.5 / z.norm(dim=1, keepdim=True))
        found = Starts(z, labels, _draw_small(model, z, labels))
        _starts_cache[key] = found
        return found


def nearest_starts(model: PaintModel, target: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The k known latents (and their classes) whose drawings are nearest the target at half size."""
    pool = starts(model)
    small = F.avg_pool2d(target.cpu(), 2)
    dist = (pool.small.float() - small).abs().mean(dim=(1, 2, 3))
    idx = torch.argsort(dist)[:k]
    return pool.z[idx].clone(), pool.labels[idx].clone()


# ---------------------------------------------------------------- inversion
def _check_settings(steps: Any, seconds: Any, n_starts: Any) -> tuple[int, float, int]:
    return (
        limits.whole(steps, "The inversion steps", 0, MAX_STEPS),
        limits.number(seconds, "The inversion time", 0.5, MAX_SECONDS),
        limits.whole(n_starts, "The inversion starts", 1, MAX_STARTS),
    )


def blend_of(model: PaintModel, weights: torch.Tensor) -> dict[str, float]:
    """Class weights (n_classes,) -> {name: weight}, small weights dropped, renormalised, rounded."""
    names = model.class_names
    w = weights.detach().float().cpu().clamp_min(0)
    keep = w >= MIN_WEIGHT
    if not keep.any():
        keep[int(w.argmax())] = True
    w = torch.where(keep, w, torch.zeros_like(w))
    w = w / w.sum()
    return {names[i]: round(float(w[i]), 4) for i in range(len(names)) if keep[i]}


def invert(
    model: PaintModel,
    picture: Any,
    steps: int = STEPS,
    seconds: float = SECONDS,
    n_starts: int = STARTS,
    fit: str = "pad",
    stop: StopToken | None = None,
) -> Iterator[InvertEvent]:
    """Invert `picture` (PIL, path or bytes, any size): yields InvertEvents (fraction, preview of
    the best drawing so far); the last one carries the Inversion. Bad pictures and settings raise
    ValueError before any work."""
    t0 = time.time()
    steps, seconds, n_starts = _check_settings(steps, seconds, n_starts)
    image = fit_square(read_picture(picture), model.config.resolution, fit)
    target = to_target(image, model.device)
    g, radius = model.generator, model.z_dim**0.5
    n_cls = len(model.class_names)

    # 1. starts: the nearest known latents, each tried with every class (one batch)
    z0, labels = nearest_starts(model, target, n_starts)
    z0 = z0.to(model.device)
    with torch.no_grad():
        eye = torch.eye(n_cls, device=model.device)
        trial = distance_batch(g(z0.repeat_interleave(n_cls, 0), eye.repeat(len(z0), 1)), target)
        best_class = trial.view(len(z0), n_cls).argmin(1)
    logits0 = torch.full((len(z0), n_cls), OFF_LOGIT, device=model.device)
    logits0[torch.arange(len(z0)), best_class] = 0.0
    yield InvertEvent(0.05, to_pil(g(z0[:1], torch.softmax(logits0[:1], 1))[0].detach()), "searching")

    # 2. Adam on z and the class logits together, keeping each start's best
    z = z0.clone().requires_grad_(True)
    logits = logits0.clone().requires_grad_(n_cls > 1)
    params = [{"params": [z], "lr": LR_Z}] + ([{"params": [logits], "lr": LR_CLASS}] if n_cls > 1 else [])
    opt = torch.optim.Adam(params)
    best = torch.full((len(z0),), float("inf"), device=model.device)
    best_z, best_logits = z0.clone(), logits0.clone()
    step, stopped, started, checkpoint = 0, False, time.time(), float("inf")
    while True:
        fake = g(z, torch.softmax(logits, 1))
        dist = anchoring.distance(fake, target.expand(len(z), -1, -1, -1))
        with torch.no_grad():
            better = dist < best
            best = torch.where(better, dist, best)
            best_z[better] = z[better]
            best_logits[better] = logits[better]
        stopped = bool(stop and stop.stopped)
        out_of_time = time.time() - started > seconds
        lowest = float(best.min())
        if step % PATIENCE == 0:
            settled, checkpoint = lowest > checkpoint * (1 - MIN_GAIN), lowest
        else:
            settled = False
        if step >= steps or stopped or out_of_time or settled or lowest < GOOD_ENOUGH:
            break
        opt.zero_grad(set_to_none=True)
        dist.sum().backward()
        opt.step()
        with torch.no_grad():
            z.mul_(radius / z.norm(dim=1, keepdim=True))
        step += 1
        if step % PREVIEW_EVERY == 0:
            i = int(best.argmin())
            frac = 0.05 + 0.9 * max(step / max(steps, 1), (time.time() - started) / seconds)
            yield InvertEvent(min(frac, 0.95), to_pil(fake[i].detach()), f"step {step}")

    # 3. the best start, its blend rounded as a recipe keeps it, drawn afresh
    i = int(best.argmin())
    blend = blend_of(model, torch.softmax(best_logits[i], 0))
    zf = best_z[i].detach().cpu()
    with torch.no_grad():
        x = g(zf[None].to(model.device), explore.class_vector(model, blend)[None].to(model.device))
        l1 = float((x - target).abs().mean())
    result = Inversion(zf, blend, to_pil(x[0]), image, l1, step, time.time() - t0, stopped)
    yield InvertEvent(1.0, result.reconstruction, "stopped" if stopped else "finished", result)


def distance_batch(fake: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """`anchors.distance` of each drawing in a batch to one target (1, 3, H, W)."""
    return anchoring.distance(fake, target.expand(len(fake), -1, -1, -1))


def invert_picture(model: PaintModel, picture: Any, **kw: Any) -> Inversion:
    """`invert` run to the end (for scripts and the bench)."""
    result = None
    for event in invert(model, picture, **kw):
        result = event.result or result
    assert result is not None
    return result


def picture_bytes(image: Image.Image) -> bytes:
    """PNG bytes of a picture (handy for tests that feed `invert` bytes)."""
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()
