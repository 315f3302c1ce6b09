"""The bundled model's training data: single-codepoint emoji from Noto Color Emoji, rendered at
64x64 on white, labelled by Unicode emoji group, or by *kind* (Unicode subgroups gathered into 33
classes such as "animals & nature: birds", each inside one group). Training-time only (needs
Debian's fonts-noto-color-emoji and unicode-data packages); `python -m engines.paint emoji` writes it
once as a prepared .npz that any machine can train on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_PATHS = ("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",)
EMOJI_TEST_PATHS = ("/usr/share/unicode/emoji/emoji-test.txt",)
GROUPS = (
    "Smileys & Emotion",
    "People & Body",
    "Animals & Nature",
    "Food & Drink",
    "Travel & Places",
    "Activities",
    "Objects",
    "Symbols",
)
CLASS_NAMES = (
    "faces",
    "people",
    "animals & nature",
    "food & drink",
    "travel & places",
    "activities",
    "objects",
    "symbols",
)
# kinds: (group index, name, Unicode subgroups); every subgroup of the eight groups is in exactly one
KINDS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (
        0,
        "smileys",
        (
            "face-smiling",
            "face-affection",
            "face-tongue",
            "face-hand",
            "face-neutral-skeptical",
            "face-sleepy",
            "face-unwell",
            "face-hat",
            "face-glasses",
            "face-concerned",
            "face-negative",
        ),
    ),
    (0, "costume & animal faces", ("face-costume", "cat-face", "monkey-face")),
    (0, "hearts & emotions", ("heart", "emotion")),
    (
        1,
        "hands",
        (
            "hand-fingers-open",
            "hand-fingers-partial",
            "hand-single-finger",
            "hand-fingers-closed",
            "hands",
            "hand-prop",
        ),
    ),
    (1, "body parts", ("body-parts",)),
    (
        1,
        "persons",
        ("person", "person-gesture", "person-role", "person-fantasy", "person-resting", "family", "person-symbol"),
    ),
    (1, "persons in action", ("person-activity", "person-sport")),
    (2, "mammals", ("animal-mammal",)),
    (2, "birds", ("animal-bird",)),
    (2, "sea life & reptiles", ("animal-marine", "animal-amphibian", "animal-reptile")),
    (2, "bugs", ("animal-bug",)),
    (2, "plants & flowers", ("plant-flower", "plant-other")),
    (3, "fruit & vegetables", ("food-fruit", "food-vegetable")),
    (3, "meals", ("food-prepared", "food-asian", "food-marine")),
    (3, "sweets", ("food-sweet",)),
    (3, "drinks & dishes", ("drink", "dishware")),
    (
        4,
        "places & buildings",
        ("place-map", "place-geographic", "place-building", "place-religious", "place-other", "hotel"),
    ),
    (4, "vehicles", ("transport-ground", "transport-water", "transport-air")),
    (4, "clocks & time", ("time",)),
    (4, "sky & weather", ("sky & weather",)),
    (5, "sport & medals", ("sport", "award-medal")),
    (5, "games", ("game",)),
    (5, "events & crafts", ("event", "arts & crafts")),
    (6, "clothing", ("clothing",)),
    (6, "music & sound", ("sound", "music", "musical-instrument")),
    (6, "phones, computers & light", ("phone", "computer", "light & video")),
    (6, "paper & office", ("book-paper", "money", "mail", "writing", "office")),
    (6, "tools & household", ("lock", "tool", "science", "medical", "household", "other-object")),
    (7, "signs & warnings", ("transport-sign", "warning")),
    (7, "arrows & marks", ("arrow", "math", "punctuation", "currency", "gender")),
    (7, "religion & zodiac", ("religion", "zodiac")),
    (7, "buttons & letters", ("av-symbol", "keycap", "alphanum", "other-symbol")),
    (7, "shapes", ("geometric",)),
)
KIND_NAMES = tuple(f"{CLASS_NAMES[g]}: {name}" for g, name, _ in KINDS)
_KIND_OF = {sub: k for k, (_, _, subs) in enumerate(KINDS) for sub in subs}
NATIVE_SIZE = 109  # Noto Color Emoji is a bitmap font drawn at this size


def _first(paths: tuple[str, ...], what: str, package: str) -> Path:
    for p in paths:
        if Path(p).is_file():
            return Path(p)
    raise FileNotFoundError(f"{what} not found; install it with: apt-get install -y {package}")


def emoji_by_group(kinds: bool = False) -> Iterator[tuple[str, int]]:
    """(emoji character, class index) for every fully-qualified single-codepoint emoji in GROUPS;
    the index is the group's, or with `kinds` the kind's (see KINDS)."""
    group = subgroup = None
    seen: set[str] = set()
    for line in _first(EMOJI_TEST_PATHS, "emoji-test.txt", "unicode-data").read_text(encoding="utf-8").splitlines():
        if line.startswith("# group:"):
            group = line.split(":", 1)[1].strip()
            continue
        if line.startswith("# subgroup:"):
            subgroup = line.split(":", 1)[1].strip()
            continue
        if not line or line.startswith("#") or "; fully-qualified" not in line:
            continue
        codes = [c for c in line.split(";")[0].split() if c != "FE0F"]
        if len(codes) != 1 or group not in GROUPS:
            continue
        char = chr(int(codes[0], 16))
        if char not in seen:
            seen.add(char)
            if kinds and subgroup not in _KIND_OF:
                raise ValueError(f"emoji subgroup {subgroup!r} (group {group!r}) has no kind; add it to KINDS")
            yield char, (_KIND_OF[subgroup] if kinds else GROUPS.index(group))


def render(char: str, size: int = 64, font: ImageFont.FreeTypeFont | None = None) -> Image.Image | None:
    """One emoji as an RGB picture on white, or None if the font has no glyph for it."""
    font = font or ImageFont.truetype(
        str(_first(FONT_PATHS, "Noto Color Emoji", "fonts-noto-color-emoji")), NATIVE_SIZE
    )
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


def dataset(size: int = 64, kinds: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """All emoji as uint8 images (N, size, size, 3) and int64 labels (N,): groups, or kinds."""
    font = ImageFont.truetype(str(_first(FONT_PATHS, "Noto Color Emoji", "fonts-noto-color-emoji")), NATIVE_SIZE)
    images, labels = [], []
    for char, label in emoji_by_group(kinds):
        img = render(char, size, font)
        if img is not None and np.asarray(img).min() < 250:  # skip blank (missing glyph) renders
            images.append(np.asarray(img))
            labels.append(label)
    return np.stack(images), np.asarray(labels, dtype=np.int64)
