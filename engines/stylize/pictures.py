"""Pictures as Stylize receives them (uploads, API files, brushed mask layers), checked from their
header before anything decodes them: an empty file, text named .png, a format Atelier does not take,
a picture over the pixel limit or an animation each get a plain-words ValueError, the same for the
studio and for scripts. Only then is the picture decoded (`engines.imageio.load_picture`)."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from engines import limits
from engines.imageio import load_picture, open_image

PICTURE_TYPES = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF", "MPO")  # what Pillow may decode for us
TYPE_NAMES = "PNG, JPEG, WebP, GIF, BMP or TIFF"
MAX_PIXELS = limits.MAX_PICTURE_PIXELS  # 40 megapixels; refused before decoding
MIN_SIDE = 32  # smaller pictures carry too little to paint with


def _refuse(label: str, why: str) -> ValueError:
    return ValueError(f"{label} {why}")


def check_picture(path: str | os.PathLike, label: str) -> tuple[int, int, str]:
    """Read only the header of `path`: its type, size and frame count. Returns (width, height, type),
    or raises a ValueError that says, in words, why the file cannot be used."""
    file = Path(path)
    if not file.is_file():
        raise _refuse(label, "could not be found; add it again.")
    if file.stat().st_size == 0:
        raise _refuse(label, f"is an empty file; add a picture ({TYPE_NAMES}).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as probe:
                kind, (width, height) = probe.format, probe.size
                frames = getattr(probe, "n_frames", 1) if kind != "MPO" else 1  # MPO: a phone's photo pair
    except Image.DecompressionBombError as err:  # Pillow refuses it from the header; say how large
        found = re.search(r"\((\d+) pixels\)", str(err))
        size = f"{int(found.group(1)) / 1e6:.0f} megapixels" if found else "far too large"
        raise _refuse(
            label, f"is {size}; pictures over {MAX_PIXELS // 1_000_000} megapixels are refused. Shrink it first."
        ) from None
    except UnidentifiedImageError:
        raise _refuse(label, f"is not a picture Atelier can read; add a {TYPE_NAMES} file.") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise _refuse(label, f"is damaged or not a picture; add a {TYPE_NAMES} file.") from None
    if kind not in PICTURE_TYPES:
        raise _refuse(label, f"is a {kind} file; add a {TYPE_NAMES} file.")
    if width * height > MAX_PIXELS:
        raise _refuse(
            label,
            f"is {width}x{height} ({width * height / 1e6:.0f} megapixels); pictures over "
            f"{MAX_PIXELS // 1_000_000} megapixels are refused. Shrink it first.",
        )
    if frames > 1:
        raise _refuse(label, f"is animated ({frames} frames); use a still picture.")
    return width, height, kind


def read_picture(path: str | os.PathLike | None, label: str, max_side: int, missing: str) -> Image.Image:
    """An artist's picture as RGB with its longer side at most `max_side`, header checked first;
    `missing` is the message when no picture was given."""
    if not path:
        raise ValueError(missing)
    if check_picture(path, label)[2] == "MPO":  # the first frame of a phone's photo pair is the photo
        image = open_image(path, max_side=max_side, name=label)
        if min(image.size) < MIN_SIDE:
            raise _refuse(
                label, f"is only {image.width}x{image.height}; pictures need at least {MIN_SIDE} pixels on each side."
            )
        return image
    return load_picture(path, max_side=max_side, name=label, min_side=MIN_SIDE)


def read_mask(layers: Sequence[str | os.PathLike | None] | None) -> Image.Image | None:
    """The brushed mask: the opacity of the editor's layers (files), combined; None when nothing
    is brushed (the style then goes everywhere). Layers are header-checked like any picture."""
    alpha: np.ndarray | None = None
    for i, path in enumerate(p for p in (layers or []) if p):
        check_picture(path, f"Brushed layer {i + 1}")
        with Image.open(path) as layer:
            layer.load()
            a = np.asarray(layer.convert("RGBA").getchannel("A"))
        if alpha is not None and a.shape != alpha.shape:
            a = np.asarray(Image.fromarray(a).resize(alpha.shape[::-1], Image.Resampling.BILINEAR))
        alpha = a if alpha is None else np.maximum(alpha, a)
    if alpha is None or alpha.max() == 0:
        return None
    return Image.fromarray(alpha.astype(np.uint8))
