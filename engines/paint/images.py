"""Tensor <-> picture helpers for Paint."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image


def to_pil(x: torch.Tensor) -> Image.Image:
    """One image tensor (3, H, W) in [-1, 1] -> RGB picture."""
    arr = ((x.detach().float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(arr)


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 pictures (N, H, W, 3) -> float tensor (N, 3, H, W) in [-1, 1]."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float().div(127.5).sub(1)


def grid(x: torch.Tensor, cols: int, pad: int = 2, fill: int = 255) -> Image.Image:
    """A batch (N, 3, H, W) in [-1, 1] laid out as a picture grid with `cols` columns."""
    n, _, h, w = x.shape
    rows = (n + cols - 1) // cols
    canvas = Image.new("RGB", (cols * (w + pad) + pad, rows * (h + pad) + pad), (fill, fill, fill))
    for i in range(n):
        canvas.paste(to_pil(x[i]), (pad + (i % cols) * (w + pad), pad + (i // cols) * (h + pad)))
    return canvas
