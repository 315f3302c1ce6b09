"""Reading pictures the way an artist hands them over: any mode, EXIF-rotated, huge ones
shrunk, transparency laid on white, with plain-words errors for files that are not pictures."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # larger pictures are refused (decompression-bomb guard)
MIN_SIDE = 32  # smaller pictures carry too little to work with
Image.MAX_IMAGE_PIXELS = MAX_PIXELS * 2


class ImageInputError(ValueError):
    """A file that cannot be used as a picture; the message says why."""


def to_rgb(image: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """Any PIL mode (L, P, CMYK, RGBA, I;16...) -> RGB, laying transparency on `background`."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, background)
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


def to_srgb(image: Image.Image) -> Image.Image:
    """Convert a picture with an embedded colour profile (Adobe RGB, Display P3...) to sRGB,
    the space the networks were trained in; pictures without a profile are taken as sRGB."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    from PIL import ImageCms

    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, src, ImageCms.createProfile("sRGB"), outputMode=out_mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile: use the pixels as they are


def open_image(source: str | os.PathLike | bytes, max_side: int | None = None, name: str | None = None) -> Image.Image:
    """Open a picture from a path or bytes as RGB, upright per EXIF, optionally shrunk so its
    longer side is at most `max_side`. Raises ImageInputError for non-pictures and huge ones."""
    label = name or (Path(source).name if not isinstance(source, bytes) else "the upload")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
            if image.width * image.height > MAX_PIXELS:
                raise ImageInputError(
                    f"{label} is {image.width}x{image.height}; pictures over "
                    f"{MAX_PIXELS // 1_000_000} megapixels are refused"
                )
            if max_side:
                image.draft("RGB", (max_side, max_side))  # fast JPEG downscale while decoding
            image.seek(0)
            image.load()
    except ImageInputError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        why = (
            "it is far too large"
            if isinstance(err, (Image.DecompressionBombError, Image.DecompressionBombWarning))
            else "add a PNG, JPEG or WebP file"
        )
        raise ImageInputError(f"{label} is not a picture Atelier can read ({why})") from None
    except (OSError, SyntaxError, ValueError):
        raise ImageInputError(f"{label} is damaged or not a picture; add a PNG, JPEG or WebP file") from None
    image = to_rgb(to_srgb(ImageOps.exif_transpose(image)))
    if max_side and max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image


def square(image: Image.Image, size: int) -> Image.Image:
    """Centre-crop to a square and resize to `size` pixels."""
    return ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)


def load_picture(
    source: str | os.PathLike | bytes, max_side: int | None = None, name: str | None = None, min_side: int = MIN_SIDE
) -> Image.Image:
    """`open_image` for an artist's upload, refusing animations and pictures under `min_side`."""
    label = name or (Path(source).name if not isinstance(source, bytes) else "the upload")
    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as probe:
            if probe.format != "MPO" and getattr(probe, "n_frames", 1) > 1:  # MPO: a phone's photo pair
                raise ImageInputError(f"{label} is animated ({probe.n_frames} frames); use a still picture")
    except ImageInputError:
        raise
    except Exception:  # noqa: BLE001 - open_image below gives the clear message
        pass
    image = open_image(source, max_side=max_side, name=label)
    if min(image.size) < min_side:
        raise ImageInputError(
            f"{label} is only {image.width}x{image.height}; pictures need at least {min_side} pixels on each side."
        )
    return image
