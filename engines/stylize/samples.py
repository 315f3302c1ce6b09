"""Bold procedural style pictures painted by code, shipped as Stylize's sample styles.

    python -m engines.stylize.samples --out assets/samples/styles

Texture-rich, high-contrast pictures transfer best; these are made to be exactly that.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from engines.settings import assets_dir

SIZE = 512


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def swirls(seed: int = 1) -> Image.Image:
    """Short thick strokes flowing around whirlpools, in night blues and star yellows."""
    rng = _rng(seed)
    img = Image.new("RGB", (SIZE, SIZE), (20, 40, 90))
    draw = ImageDraw.Draw(img)
    centres = rng.uniform(0, SIZE, (5, 2))
    palette = [(250, 210, 60), (240, 240, 200), (40, 90, 170), (70, 140, 210), (15, 30, 70), (230, 160, 40)]
    for _ in range(9000):
        x, y = rng.uniform(0, SIZE, 2)
        angle = sum(math.atan2(y - cy, x - cx) + math.pi / 2 for cx, cy in centres[:1])
        d = min(math.hypot(x - cx, y - cy) for cx, cy in centres)
        angle += 0.6 * math.sin(x / 40) + 0.4 * math.cos(y / 55)
        length = rng.uniform(8, 22)
        col = palette[int(rng.integers(0, 2))] if d < 60 else palette[int(rng.integers(2, 6))]
        dx, dy = math.cos(angle) * length, math.sin(angle) * length
        draw.line([(x, y), (x + dx, y + dy)], fill=col, width=int(rng.integers(3, 7)))
    return img.filter(ImageFilter.SMOOTH)


def mosaic(seed: int = 2) -> Image.Image:
    """Voronoi tiles in saturated colours with dark grout."""
    rng = _rng(seed)
    pts = rng.uniform(0, SIZE, (260, 2))
    cols = rng.integers(0, 4, 260)
    palette = np.array([(200, 40, 40), (240, 190, 30), (30, 90, 180), (30, 150, 90)], dtype=np.float64)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    d = (xx[..., None] - pts[:, 0]) ** 2 + (yy[..., None] - pts[:, 1]) ** 2
    order = np.argsort(d, axis=-1)
    nearest, second = order[..., 0], order[..., 1]
    d1 = np.take_along_axis(d, nearest[..., None], -1)[..., 0] ** 0.5
    d2 = np.take_along_axis(d, second[..., None], -1)[..., 0] ** 0.5
    shade = 0.8 + 0.2 * rng.uniform(size=260)[nearest]
    rgb = palette[cols[nearest]] * shade[..., None]
    rgb[(d2 - d1) < 3.0] = (25, 20, 20)
    return Image.fromarray(rgb.clip(0, 255).astype(np.uint8))


def waves(seed: int = 3) -> Image.Image:
    """Curling bands of deep blue and foam white, like a woodblock sea."""
    rng = _rng(seed)
    yy, xx = np.mgrid[:SIZE, :SIZE].astype(np.float64)
    phase = yy / 18 + 2.5 * np.sin(xx / 45 + yy / 90) + 0.8 * np.sin(xx / 13)
    band = (np.sin(phase) + 1) / 2
    foam = (band > 0.86).astype(np.float64)
    base = np.stack([20 + 60 * band, 50 + 90 * band, 110 + 120 * band], -1)
    rgb = base * (1 - foam[..., None]) + np.array([240, 240, 225]) * foam[..., None]
    rgb += rng.normal(0, 6, rgb.shape)
    return Image.fromarray(rgb.clip(0, 255).astype(np.uint8))


def shards(seed: int = 4) -> Image.Image:
    """Overlapping angular planes with bold outlines, after the cubists."""
    rng = _rng(seed)
    img = Image.new("RGB", (SIZE, SIZE), (210, 190, 150))
    draw = ImageDraw.Draw(img)
    palette = [(120, 80, 50), (200, 150, 90), (90, 100, 110), (170, 60, 40), (230, 210, 170), (50, 50, 45)]
    for _ in range(140):
        cx, cy = rng.uniform(0, SIZE, 2)
        n = int(rng.integers(3, 6))
        pts = [(cx + rng.uniform(-90, 90), cy + rng.uniform(-90, 90)) for _ in range(n)]
        draw.polygon(pts, fill=palette[int(rng.integers(0, len(palette)))], outline=(30, 25, 20), width=3)
    return img


def ink(seed: int = 5) -> Image.Image:
    """Black brush strokes and splashes on warm paper."""
    rng = _rng(seed)
    img = Image.new("RGB", (SIZE, SIZE), (236, 226, 205))
    draw = ImageDraw.Draw(img)
    for _ in range(70):
        x, y = rng.uniform(0, SIZE, 2)
        angle, width = rng.uniform(0, math.pi), rng.uniform(4, 18)
        pts = []
        for _ in range(int(rng.integers(4, 10))):
            angle += rng.normal(0, 0.4)
            x, y = x + math.cos(angle) * 25, y + math.sin(angle) * 25
            pts.append((x, y))
        draw.line(pts, fill=(20, 18, 22), width=int(width), joint="curve")
    for _ in range(300):
        x, y, r = *rng.uniform(0, SIZE, 2), rng.exponential(2.5)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(20, 18, 22))
    return img.filter(ImageFilter.GaussianBlur(0.7))


STYLES = {"swirls": swirls, "mosaic": mosaic, "waves": waves, "shards": shards, "ink": ink}


def main(argv: list[str] | None = None) -> None:
    """Paint every sample style into --out (default: the bundled assets' samples/styles)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(assets_dir() / "samples" / "styles"))
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, paint in STYLES.items():
        paint().save(out / f"{name}.jpg", quality=92)
        print(out / f"{name}.jpg")


if __name__ == "__main__":
    main()
