"""Style transfer by optimisation (Gatys et al. 2016, https://arxiv.org/abs/1508.06576): find
a picture whose deep features match the content picture and whose feature correlations (Gram
matrices) match the style pictures. A generator of GatysEvent, so previews stream and a stop
token ends it cleanly with the last picture kept.

Recipe tuned for EfficientNet-lite0 (see features.py): raw Gram F F^T / (C H W); each layer's
squared Gram error divided by the content picture's own error on that layer (so the style loss
starts near 1 and every layer counts alike); content loss as MSE over the target's mean square;
total variation on neighbouring pixels; L-BFGS from the content picture, coarse to fine.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageFilter

from engines.jobs import StopToken
from engines.stylize import color, features


@dataclass(frozen=True)
class GatysSettings:
    """What the artist controls in 'Paint it slowly' (the CLI's `gatys` options are made from it)."""

    steps: int = 200  # loss evaluations over all scales
    size: int = 384  # longer side of the result, in pixels
    style_weight: float = 1.0  # how much the style's textures count
    content_weight: float = 0.15  # how much the picture's own shapes count
    tv_weight: float = 0.3  # smoothness: how much neighbouring pixels are pulled together
    optimizer: str = "lbfgs"  # "lbfgs" or "adam"
    adam_lr: float = 0.02  # Adam's step size (L-BFGS finds its own)
    preserve_color: str = "none"  # "none", "luminance" or "histogram"
    backbone: str = features.LITE0  # the feature network: efficientnet-lite0 (offline) or vgg19
    multiscale: bool = True  # start at 256 px when the result is larger
    preview_every: int = 10  # evaluations between previews
    naive: bool = False  # benchmark baseline: full network, style targets recomputed every step


@dataclass
class GatysEvent:
    step: int
    total: int
    style_loss: float
    content_loss: float
    tv_loss: float
    preview: Image.Image
    done: bool = False
    message: str = ""
    seconds: float = 0.0
    history: list[tuple[int, float, float]] = field(default_factory=list)


def gram(f: torch.Tensor) -> torch.Tensor:
    """Raw Gram matrix F F^T / (C H W) of activations (B, C, H, W) -> (B, C, C)."""
    b, c, h, w = f.shape
    flat = f.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def tv_loss(x: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels."""
    return ((x[:, :, 1:] - x[:, :, :-1]) ** 2).mean() + ((x[:, :, :, 1:] - x[:, :, :, :-1]) ** 2).mean()


def to_tensor(image: Image.Image, side: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Picture resized so its longer side is `side` -> (1, 3, H, W) in [0, 1]."""
    scale = side / max(image.size)
    size = (max(8, round(image.width * scale)), max(8, round(image.height * scale)))
    arr = np.asarray(image.convert("RGB").resize(size, Image.Resampling.LANCZOS), dtype=np.float32) / 255.0
    return torch.from_numpy(arr).permute(2, 0, 1)[None].contiguous().to(device)


def to_image(x: torch.Tensor) -> Image.Image:
    """(1, 3, H, W) in [0, 1] -> an RGB picture."""
    arr = x[0].detach().clamp(0, 1).permute(1, 2, 0).cpu().numpy()
    return Image.fromarray((arr * 255 + 0.5).astype(np.uint8))


class StyleLoss:
    """Style, content and TV losses against fixed targets, computed once per scale."""

    def __init__(
        self,
        net: torch.nn.Module,
        taps: features.Taps,
        content: torch.Tensor,
        styles: Sequence[torch.Tensor],
        weights: Sequence[float],
        cache: bool = True,
    ) -> None:
        self.net, self.taps, self.cache = net, taps, cache
        self.styles, self.weights = list(styles), np.asarray(weights, np.float64) / np.sum(weights)
        with torch.no_grad():
            c_feats = net(content)
            self.content_target = c_feats[taps.content].detach()
            self.content_scale = self.content_target.pow(2).mean().clamp_min(1e-8)
            self.style_targets = self._style_targets()
            # each layer's error for the content picture itself: the yardstick that balances layers
            self.norms = {
                k: (gram(c_feats[k]) - self.style_targets[k]).pow(2).sum().clamp_min(1e-12) for k in taps.style
            }

    def _style_targets(self) -> dict[str, torch.Tensor]:
        targets: dict[str, torch.Tensor] = {}
        for img, w in zip(self.styles, self.weights):
            feats = self.net(img)
            for k in self.taps.style:
                targets[k] = targets.get(k, 0) + float(w) * gram(feats[k])
        return targets

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        feats = self.net(x)
        targets = self.style_targets if self.cache else {k: v.detach() for k, v in self._style_targets().items()}
        style = torch.stack(
            [(gram(feats[k]) - targets[k]).pow(2).sum() / self.norms[k] for k in self.taps.style]
        ).mean()
        content = F.mse_loss(feats[self.taps.content], self.content_target) / self.content_scale
        return style, content, tv_loss(x)


def _scales(settings: GatysSettings) -> list[tuple[int, int]]:
    """(side, evaluations) per scale: 60% of the budget at 256 px, the rest at full size."""
    if settings.multiscale and settings.size > 300 and settings.steps >= 20:
        first = int(settings.steps * 0.6)
        return [(256, first), (settings.size, settings.steps - first)]
    return [(settings.size, settings.steps)]


def _finish(x: torch.Tensor, content: Image.Image, settings: GatysSettings, mask: Image.Image | None) -> Image.Image:
    out = to_image(x)
    if settings.preserve_color == "luminance":
        out = color.keep_luminance_only(out, content)
    if mask is not None:  # the style goes where the mask is light
        base = content.convert("RGB").resize(out.size, Image.Resampling.LANCZOS)
        soft = mask.convert("L").resize(out.size, Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(2))
        out = Image.composite(out, base, soft)
    return out


def paint(
    content: Image.Image,
    styles: Sequence[Image.Image],
    weights: Sequence[float],
    settings: GatysSettings = GatysSettings(),
    mask: Image.Image | None = None,
    stop: StopToken | None = None,
    device: str = "cpu",
    allow_downloads: bool = False,
) -> Iterator[GatysEvent]:
    """Optimise a picture; yields a GatysEvent with a preview every `preview_every` evaluations.
    The last event has done=True (also when stopped, keeping the last picture)."""
    if not styles or len(styles) != len(weights):
        raise ValueError("give at least one style picture and one weight per style")
    if min(weights) < 0:
        raise ValueError("style weights cannot be negative")
    if sum(weights) <= 0:
        raise ValueError("all style weights are zero: raise at least one style's weight to paint with it")
    if settings.optimizer not in ("lbfgs", "adam"):
        raise ValueError("optimizer must be 'lbfgs' or 'adam'")
    if settings.preserve_color == "histogram":
        styles = [color.match_colors(s, content) for s in styles]
    taps = features.DEFAULT_TAPS[settings.backbone]
    net = features.load(
        settings.backbone,
        (*taps.style, taps.content),
        device,
        truncate=not settings.naive,
        allow_downloads=allow_downloads,
    )
    total = sum(n for _, n in _scales(settings))
    step, t0, history = 0, time.time(), []
    x: torch.Tensor | None = None
    last = (float("nan"),) * 3
    for side, budget in _scales(settings):
        target = to_tensor(content, side, device)
        x = (
            target.clone()
            if x is None
            else F.interpolate(x.detach(), size=target.shape[-2:], mode="bicubic", align_corners=False).clamp(0, 1)
        )
        x.requires_grad_(True)
        loss_fn = StyleLoss(
            net, taps, target, [to_tensor(s, side, device) for s in styles], weights, cache=not settings.naive
        )
        evals = 0

        def closure() -> torch.Tensor:
            nonlocal evals, last
            opt.zero_grad(set_to_none=True)
            s, c, t = loss_fn(x)
            total_loss = settings.style_weight * s + settings.content_weight * c + settings.tv_weight * t
            total_loss.backward()
            evals += 1
            last = (s.item(), c.item(), t.item())
            return total_loss

        if settings.optimizer == "lbfgs":
            opt = torch.optim.LBFGS(
                [x],
                lr=1,
                max_iter=settings.preview_every,
                max_eval=settings.preview_every,
                history_size=50,
                line_search_fn="strong_wolfe",
                tolerance_grad=1e-9,
                tolerance_change=1e-12,
            )
        else:
            opt = torch.optim.Adam([x], lr=settings.adam_lr)
        while evals < budget:
            before = evals
            if settings.optimizer == "lbfgs":
                # never plan more evaluations than the budget has left (a line search may still add a few)
                opt.param_groups[0]["max_eval"] = min(settings.preview_every, budget - evals)
                opt.step(closure)
            else:
                for _ in range(min(settings.preview_every, budget - evals)):
                    closure()
                    opt.step()
            with torch.no_grad():
                x.clamp_(0, 1)
            step = min(step + evals - before, total)  # the reported step never passes the total
            history.append((step, round(last[0], 5), round(last[1], 5)))
            stopped = bool(stop and stop.stopped)
            if evals == before:  # converged: nothing left to improve at this scale
                break
            yield GatysEvent(
                step,
                total,
                *last,
                _finish(x, content, settings, mask),
                stopped,
                "stopped" if stopped else "",
                time.time() - t0,
                list(history),
            )
            if stopped:
                return
        step = min(max(step, sum(n for s_, n in _scales(settings) if s_ <= side)), total)
    assert x is not None
    yield GatysEvent(
        step, total, *last, _finish(x, content, settings, mask), True, "finished", time.time() - t0, list(history)
    )
