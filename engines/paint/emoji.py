"""The bundled model's training data: single-codepoint emoji from Noto Color Emoji, rendered at
64x64 on white, labelled by Unicode emoji group. Training-time only (needs Debian's
fonts-noto-color-emoji and unicode-data packages)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_PATHS = ("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",)
EMOJI_TEST_PATHS = ("/usr/share/unicode/emoji/emoji-test.txt",)
GROUPS = ("Smileys & Emotion", "People & Body", "Animals & Nature", "Food & Drink", "Travel & Places",
          "Activities", "Objects", "Symbols")
CLASS_NAMES = ("faces", "people", "animals & nature", "food & drink", "travel & places", "activities",
               "objects", "symbols")
NATIVE_SIZE = 109  # Noto Color Emoji is a bitmap font drawn at this size


def _first(paths: tuple[str, ...], what: str, package: str) -> Path:
    for p in paths:
        if Path(p).is_file():
            return Path(p)
    raise FileNotFoundError(f"{what} not found; install it with: apt-get install -y {package}")


def emoji_by_group() -> Iterator[tuple[str, int]]:
    """(emoji character, class index) for every fully-qualified single-codepoint emoji in GROUPS."""
    group = None
    seen: set[str] = set()
    for line in _first(EMOJI_TEST_PATHS, "emoji-test.txt", "unicode-data").read_text(encoding="utf-8").splitlines():
        if line.startswith("# group:"):
            group = line.split(":", 1)[1].strip()
            continue
        if not line or line.startswith("#") or "; fully-qualified" not in line:
            continue
        codes = [c for c in line.split(";")[0].split() if c != "FE0F"]
        if len(codes) != 1 or group not in GROUPS:
            continue
        char = chr(int(codes[0], 16))
        if char not in seen:
            seen.add(char)
            yield char, GROUPS.index(group)


def render(char: str, size: int = 64, font: ImageFont.FreeTypeFont | None = None) -> Image.Image | None:
    """One emoji as an RGB picture on white, or None if the font has no glyph for it."""
    font = font or ImageFont.truetype(str(_first(FONT_PATHS, "Noto Color Emoji", "fonts-noto-color-emoji")),
                                      NATIVE_SIZE)
    canvas = Image.new("RGBA", (160, 160), (255, 255, 255, 0))
    ImageDraw.Draw(canvas).text((80, 80), char, font=font, embedded_color=True, anchor="mm")
    box = canvas.getbbox()
    if box is None:
        return None
    glyph = canvas.crop(box)
    side = max(glyph.size)
    square = Image.new("RGBA", (side, side), (255, 255, 255, 0))
    square.paste(glyph, ((side - glyph.width) // 2, (side - glyph.height) // 2))
    square = square.resize((int(size * 0.875), int(size * 0.875)), Image.Resampling.LANCZOS)
    out = Image.new("RGB", (size, size), (255, 255, 255))
    pad = (size - square.width) // 2
    out.paste(square, (pad, pad), square)
    return out


def dataset(size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """All emoji as uint8 images (N, size, size, 3) and int64 class labels (N,)."""
    font = ImageFont.truetype(str(_first(FONT_PATHS, "Noto Color Emoji", "fonts-noto-color-emoji")), NATIVE_SIZE)
    images, labels = [], []
    for char, label in emoji_by_group():
        img = render(char, size, font)
        if img is not None and np.asarray(img).min() < 250:  # skip blank (missing glyph) renders
            images.append(np.asarray(img))
            labels.append(label)
    return np.stack(images), np.asarray(labels, dtype=np.int64)


def main(argv: list[str] | None = None) -> None:
    """Render the emoji set once into a prepared .npz that any machine can train on."""
    import argparse

    from engines.paint.data import EMOJI_NOTE, ImageSet, save_prepared
    p = argparse.ArgumentParser(description="Render the bundled model's emoji set into a prepared .npz.")
    p.add_argument("--out", required=True)
    p.add_argument("--size", type=int, default=64, choices=(32, 64, 128))
    args = p.parse_args(argv)
    images, labels = dataset(args.size)
    save_prepared(args.out, ImageSet(images, labels, list(CLASS_NAMES)), EMOJI_NOTE.format(n=len(images), res=args.size))
    print(f"wrote {args.out}: {len(images)} emoji at {args.size}px")


if __name__ == "__main__":
    main()
