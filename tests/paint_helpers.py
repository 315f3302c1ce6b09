"""Small synthetic picture sets and tiny Paint models for fast tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from engines.paint.data import ImageSet
from engines.paint.model import GANConfig
from engines.paint.recipe import TrainConfig
from engines.paint.train import train

TINY = GANConfig(resolution=32, z_dim=16, embed_dim=8, ngf=8, ndf=8)


def shapes(n: int = 32, size: int = 32, seed: int = 0) -> ImageSet:
    """Red discs (class 0) and blue squares (class 1) on white, at random places and sizes."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    yy, xx = np.mgrid[:size, :size]
    for i in range(n):
        img = np.full((size, size, 3), 255, np.uint8)
        cy, cx, r = rng.integers(10, size - 10, 2).tolist() + [int(rng.integers(5, 9))]
        mask = ((yy - cy) ** 2 + (xx - cx) ** 2 < r * r) if i % 2 == 0 else ((abs(yy - cy) < r) & (abs(xx - cx) < r))
        img[mask] = (220, 30, 30) if i % 2 == 0 else (30, 40, 220)
        images.append(img)
        labels.append(i % 2)
    return ImageSet(np.stack(images), np.array(labels), ["discs", "squares"])


def write_pictures(folder: Path, data: ImageSet, by_class: bool = True) -> Path:
    """Save an ImageSet as PNG files (in one sub-folder per class if `by_class`)."""
    for i, (img, lab) in enumerate(zip(data.images, data.labels)):
        sub = folder / data.class_names[lab] if by_class else folder
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(sub / f"{i:03d}.png")
    return folder


def tiny_model(path: Path, steps: int = 30) -> Path:
    """Train a tiny Paint model for a few steps and return its checkpoint."""
    for _ in train(
        shapes(),
        path,
        TINY,
        TrainConfig(steps=steps, batch=16, preview_every=steps, checkpoint_every=steps),
        device="cpu",
    ):
        pass
    return path
