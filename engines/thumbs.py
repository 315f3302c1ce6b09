"""Small preview pictures for the Gallery: a picture shrunk, a sound's waveform, a text's opening."""

from __future__ import annotations

import textwrap

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SIZE = 256
PAPER = (250, 247, 242)
INK = (60, 56, 74)
ACCENT = (196, 120, 92)


def image_thumb(image: Image.Image, size: int = SIZE) -> Image.Image:
    """The picture shrunk to fit a `size` square, centred on paper, keeping its aspect ratio."""
    thumb = image.convert("RGB").copy()
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (size, size), PAPER)
    canvas.paste(thumb, ((size - thumb.width) // 2, (size - thumb.height) // 2))
    return canvas


def sound_thumb(wave: np.ndarray, size: int = SIZE) -> Image.Image:
    """A waveform drawing: per-column peak amplitude, mirrored around the middle line."""
    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim == 2:
        wave = wave.mean(axis=1)
    canvas = Image.new("RGB", (size, size), PAPER)
    draw = ImageDraw.Draw(canvas)
    mid, half = size // 2, size * 0.42
    draw.line([(8, mid), (size - 8, mid)], fill=(220, 214, 206), width=1)
    if wave.size:
        cols = size - 16
        edges = np.linspace(0, wave.size, cols + 1).astype(int)
        peak = float(np.abs(wave).max()) or 1.0
        for x in range(cols):
            seg = wave[edges[x] : max(edges[x + 1], edges[x] + 1)]
            amp = float(np.abs(seg).max()) / peak if seg.size else 0.0
            draw.line([(8 + x, mid - amp * half), (8 + x, mid + amp * half)], fill=ACCENT, width=1)
    return canvas


def text_thumb(text: str, size: int = SIZE) -> Image.Image:
    """The opening lines of a text set on paper, so a poem is recognisable in the grid."""
    canvas = Image.new("RGB", (size, size), PAPER)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=max(10, size // 17))
    lines: list[str] = []
    opening = text[:2000]  # only the opening is drawn; wrapping a huge line whole would take minutes
    for para in opening.strip().splitlines() or [""]:
        lines.extend(textwrap.wrap(para, width=26) or [""])
        if len(lines) >= 11:
            break
    draw.multiline_text((14, 14), "\n".join(lines[:11]), fill=INK, font=font, spacing=4)
    draw.rectangle([0, 0, 3, size], fill=ACCENT)
    return canvas
