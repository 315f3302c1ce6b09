"""Image sets for training Paint models: the artist's files, folders or zip, made square."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from engines.archive import gather_files
from engines.imageio import ImageInputError, open_image, square

MIN_IMAGES = 16
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


@dataclass
class ImageSet:
    """Square uint8 pictures (N, res, res, 3), integer labels (N,), class names, and a report."""

    images: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    skipped: list[str] = field(default_factory=list)

    def describe(self) -> str:
        text = f"{len(self.images)} pictures in {len(self.class_names)} class(es)"
        if self.skipped:
            text += f"; skipped {len(self.skipped)} file(s) that were not readable pictures"
        return text


def load_image_set(sources: Iterable[str | os.PathLike], resolution: int = 64, use_folders: bool = True) -> ImageSet:
    """Read pictures from files, folders or zips; sub-folder names become classes when there
    are at least two. Unreadable files are skipped and counted; fewer than MIN_IMAGES refuse."""
    with tempfile.TemporaryDirectory(prefix="atelier-images-") as work:
        files = gather_files(sources, work)
        images, folders, skipped = [], [], []
        for path in files:
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                skipped.append(path.name)
                continue
            try:
                img = open_image(path, max_side=max(4 * resolution, 512))
            except ImageInputError:
                skipped.append(path.name)
                continue
            images.append(np.asarray(square(img, resolution)))
            folders.append(path.parent.name)
    if len(images) < MIN_IMAGES:
        raise ValueError(f"found {len(images)} usable picture(s); training needs at least {MIN_IMAGES}"
                         + (f" ({len(skipped)} file(s) were skipped as unreadable)" if skipped else ""))
    names = sorted(set(folders)) if use_folders and len(set(folders)) >= 2 else ["all"]
    labels = np.array([names.index(f) if len(names) > 1 else 0 for f in folders], dtype=np.int64)
    return ImageSet(np.stack(images), labels, names, skipped)
