"""DiffAugment (Zhao et al. 2020, https://arxiv.org/abs/2006.10738): differentiable colour,
translation and cutout applied to real and fake images alike, so D cannot memorise a small set.

With `group` > 1 each run of `group` consecutive pictures shares one draw of every random
parameter. Minibatch std needs that: drawn per picture, the shifts and holes make four copies of
one picture differ as much as four real pictures do, and D could not see a class collapse."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _draw(sample: torch.Tensor, group: int) -> torch.Tensor:
    """Repeat each of the b / group draws in `sample` for its group of consecutive pictures."""
    return sample.repeat_interleave(group, dim=0)


def _n(x: torch.Tensor, group: int) -> int:
    """How many draws a batch needs: one per group (refusing a batch that does not split)."""
    if x.shape[0] % group:
        raise ValueError(f"a batch of {x.shape[0]} does not split into groups of {group}")
    return x.shape[0] // group


def color(x: torch.Tensor, group: int = 1) -> torch.Tensor:
    """Random brightness, saturation and contrast per image (or per group)."""
    b = _n(x, group)
    x = x + _draw(torch.rand(b, 1, 1, 1, device=x.device) - 0.5, group)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * _draw(torch.rand(b, 1, 1, 1, device=x.device) * 2, group) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * _draw(torch.rand(b, 1, 1, 1, device=x.device) + 0.5, group) + mean


def translation(x: torch.Tensor, ratio: float = 0.125, group: int = 1) -> torch.Tensor:
    """Shift each image (or group) by up to `ratio` of its size, filling with zeros."""
    b, _, h, w = x.shape
    sh, sw, n = int(h * ratio + 0.5), int(w * ratio + 0.5), _n(x, group)
    dy = _draw(torch.randint(-sh, sh + 1, (n, 1, 1), device=x.device), group)
    dx = _draw(torch.randint(-sw, sw + 1, (n, 1, 1), device=x.device), group)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    gy = (gy[None] + dy + 1).clamp(0, h + 1)
    gx = (gx[None] + dx + 1).clamp(0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])
    idx = (gy * (w + 2) + gx).view(b, 1, -1).expand(-1, x.shape[1], -1)
    return padded.flatten(2).gather(2, idx).view_as(x)


def cutout(x: torch.Tensor, ratio: float = 0.5, group: int = 1) -> torch.Tensor:
    """Zero a random square of `ratio` of the image side in each image or group (the box may overhang)."""
    _, _, h, w = x.shape
    ch, cw, n = int(h * ratio + 0.5), int(w * ratio + 0.5), _n(x, group)
    cy = _draw(torch.randint(0, h, (n, 1, 1), device=x.device), group)
    cx = _draw(torch.randint(0, w, (n, 1, 1), device=x.device), group)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    inside = ((gy[None] - cy).abs() < ch / 2) & ((gx[None] - cx).abs() < cw / 2)
    return x * (~inside)[:, None].to(x.dtype)


POLICIES = {"color": color, "translation": translation, "cutout": cutout}


def diff_augment(x: torch.Tensor, policy: str = "color,translation,cutout", group: int = 1) -> torch.Tensor:
    """Apply the comma-separated augmentations in `policy` (empty string: none), one draw per
    run of `group` pictures."""
    for name in filter(None, (p.strip() for p in policy.split(","))):
        x = POLICIES[name](x, group=group)
    return x
