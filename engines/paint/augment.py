"""DiffAugment (Zhao et al. 2020, https://arxiv.org/abs/2006.10738): differentiable colour,
translation and cutout applied to real and fake images alike, so D cannot memorise a small set."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def color(x: torch.Tensor) -> torch.Tensor:
    """Random brightness, saturation and contrast per image."""
    b = x.shape[0]
    x = x + (torch.rand(b, 1, 1, 1, device=x.device) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (torch.rand(b, 1, 1, 1, device=x.device) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (torch.rand(b, 1, 1, 1, device=x.device) + 0.5) + mean


def translation(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to `ratio` of its size, filling with zeros."""
    b, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-sh, sh + 1, (b, 1, 1), device=x.device)
    dx = torch.randint(-sw, sw + 1, (b, 1, 1), device=x.device)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    gy = (gy[None] + dy + 1).clamp(0, h + 1)
    gx = (gx[None] + dx + 1).clamp(0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])
    idx = (gy * (w + 2) + gx).view(b, 1, -1).expand(-1, x.shape[1], -1)
    return padded.flatten(2).gather(2, idx).view_as(x)


def cutout(x: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    """Zero a random square of `ratio` of the image side in each image (the box may overhang)."""
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = torch.randint(0, h, (b, 1, 1), device=x.device)
    cx = torch.randint(0, w, (b, 1, 1), device=x.device)
    gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    inside = ((gy[None] - cy).abs() < ch / 2) & ((gx[None] - cx).abs() < cw / 2)
    return x * (~inside)[:, None].to(x.dtype)


POLICIES = {"color": color, "translation": translation, "cutout": cutout}


def diff_augment(x: torch.Tensor, policy: str = "color,translation,cutout") -> torch.Tensor:
    """Apply the comma-separated augmentations in `policy` (empty string: none)."""
    for name in filter(None, (p.strip() for p in policy.split(","))):
        x = POLICIES[name](x)
    return x
