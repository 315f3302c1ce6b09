"""Recipes: the settings that made an output, written into the output and read back.

A recipe is a JSON-able dict with at least `engine`. It travels inside the file itself, so a
downloaded picture, sound or text still knows what made it:

- PNG: an iTXt chunk named ``atelier-recipe``.
- WAV: a RIFF chunk ``atlr`` after the audio data (players skip unknown chunks).
- TXT: a trailer after a marker line; `read_text` returns the text without it.
- GIF: the comment extension holds ``atelier-recipe:`` followed by the JSON.

A JSON sidecar ``<file>.recipe.json`` is also honoured when reading, for any other format.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, PngImagePlugin

from engines import __version__
from engines.fsutil import atomic_write, atomic_write_bytes

PNG_KEY = "atelier-recipe"
WAV_CHUNK = b"atlr"
TXT_MARKER = "\n\n-- atelier recipe --\n"
SIDECAR_SUFFIX = ".recipe.json"

Recipe = dict[str, Any]


class RecipeError(ValueError):
    """The file carries no Atelier recipe, or a damaged one."""


def _stamp(recipe: Recipe) -> Recipe:
    if "engine" not in recipe:
        raise ValueError("a recipe needs an 'engine' key")
    return {"atelier_version": __version__, **recipe}


def _dumps(recipe: Recipe) -> str:
    return json.dumps(recipe, ensure_ascii=False, sort_keys=True, default=_jsonable)


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"recipe value of type {type(value).__name__} is not JSON-able")


def _loads(text: str) -> Recipe:
    try:
        recipe = json.loads(text)
    except json.JSONDecodeError as err:
        raise RecipeError(f"the recipe in this file is damaged ({err.msg})") from None
    if not isinstance(recipe, dict) or "engine" not in recipe:
        raise RecipeError("the recipe in this file is not an Atelier recipe")
    return recipe


# ---------------------------------------------------------------- images
def write_png(path: str | os.PathLike, image: Image.Image, recipe: Recipe) -> Path:
    """Save `image` as PNG at `path` with `recipe` in an iTXt chunk (atomic)."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt(PNG_KEY, _dumps(_stamp(recipe)))
    return atomic_write(path, lambda fh: image.save(fh, format="PNG", pnginfo=info))


def _read_png(path: Path) -> Recipe | None:
    with Image.open(path) as im:
        text = im.text.get(PNG_KEY) if hasattr(im, "text") else None  # type: ignore[attr-defined]
    return None if text is None else _loads(text)


# ---------------------------------------------------------------- sound
def wav_bytes(sample_rate: int, wave: np.ndarray, recipe: Recipe | None = None) -> bytes:
    """16-bit PCM WAV of `wave` (float in [-1, 1], shape (n,) or (n, channels)), with recipe chunk."""
    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim == 1:
        wave = wave[:, None]
    if wave.ndim != 2:
        raise ValueError("audio must have shape (samples,) or (samples, channels)")
    pcm = (np.clip(wave, -1.0, 1.0) * 32767.0).round().astype("<i2")
    channels = pcm.shape[1]
    data = pcm.tobytes()
    fmt = struct.pack("<HHIIHH", 1, channels, int(sample_rate), int(sample_rate) * channels * 2, channels * 2, 16)
    chunks = _chunk(b"fmt ", fmt) + _chunk(b"data", data)
    if recipe is not None:
        chunks += _chunk(WAV_CHUNK, _dumps(_stamp(recipe)).encode("utf-8"))
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def _chunk(tag: bytes, body: bytes) -> bytes:
    pad = b"\0" if len(body) % 2 else b""
    return tag + struct.pack("<I", len(body)) + body + pad


def write_wav(path: str | os.PathLike, sample_rate: int, wave: np.ndarray, recipe: Recipe) -> Path:
    """Save `wave` as a 16-bit WAV at `path` with `recipe` in an `atlr` chunk (atomic)."""
    return atomic_write_bytes(path, wav_bytes(sample_rate, wave, recipe))


def _wav_chunks(blob: bytes) -> dict[bytes, bytes]:
    if len(blob) < 12 or blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise RecipeError("not a WAV file")
    chunks, pos = {}, 12
    while pos + 8 <= len(blob):
        tag, size = blob[pos : pos + 4], struct.unpack("<I", blob[pos + 4 : pos + 8])[0]
        chunks[tag] = blob[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size % 2)
    return chunks


def wav_sound_bytes(blob: bytes) -> tuple[bytes, bytes]:
    """The format and sample chunks of a WAV (what is heard, without the recipe), for comparing sounds."""
    chunks = _wav_chunks(blob)
    return chunks.get(b"fmt ", b""), chunks.get(b"data", b"")


def _read_wav(path: Path) -> Recipe | None:
    body = _wav_chunks(path.read_bytes()).get(WAV_CHUNK)
    return None if body is None else _loads(body.decode("utf-8", errors="replace"))


# ---------------------------------------------------------------- text
def write_txt(path: str | os.PathLike, text: str, recipe: Recipe) -> Path:
    """Save `text` as UTF-8 at `path`, followed by the recipe trailer (atomic)."""
    return atomic_write_bytes(path, (text + TXT_MARKER + _dumps(_stamp(recipe)) + "\n").encode("utf-8"))


def read_text(path: str | os.PathLike) -> str:
    """The text of an Atelier TXT output without its recipe trailer."""
    raw = Path(path).read_text(encoding="utf-8", errors="replace")
    return raw.split(TXT_MARKER, 1)[0]


def _read_txt(path: Path) -> Recipe | None:
    raw = path.read_text(encoding="utf-8", errors="replace")
    if TXT_MARKER not in raw:
        return None
    return _loads(raw.rsplit(TXT_MARKER, 1)[1].strip())


# ---------------------------------------------------------------- animations
def gif_comment(recipe: Recipe) -> bytes:
    """The GIF comment that carries `recipe` (pass as `comment=` to Pillow's GIF writer)."""
    return (PNG_KEY + ":" + _dumps(_stamp(recipe))).encode("utf-8")


def _read_gif(path: Path) -> Recipe | None:
    with Image.open(path) as im:
        comment = im.info.get("comment", b"")
    text = comment.decode("utf-8", errors="replace") if isinstance(comment, bytes) else str(comment)
    return _loads(text.split(":", 1)[1]) if text.startswith(PNG_KEY + ":") else None


# ---------------------------------------------------------------- any file
def write_sidecar(path: str | os.PathLike, recipe: Recipe) -> Path:
    """Write `recipe` as ``<path>.recipe.json`` for formats that cannot carry it inside."""
    return atomic_write_bytes(str(path) + SIDECAR_SUFFIX, _dumps(_stamp(recipe)).encode("utf-8"))


def read(path: str | os.PathLike) -> Recipe:
    """The recipe carried by an Atelier file (PNG, WAV, TXT, or any file with a sidecar).

    Raises RecipeError with a plain message when the file carries none.
    """
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"no file at {path}")
    sidecar = Path(str(path) + SIDECAR_SUFFIX)
    if sidecar.is_file():
        return _loads(sidecar.read_text(encoding="utf-8"))
    head = path.read_bytes()[:16]
    found: Recipe | None
    try:
        if head.startswith(b"\x89PNG"):
            found = _read_png(path)
        elif head.startswith(b"RIFF") and head[8:12] == b"WAVE":
            found = _read_wav(path)
        elif head.startswith((b"GIF87a", b"GIF89a")):
            found = _read_gif(path)
        elif path.suffix.lower() in {".txt", ".md"}:
            found = _read_txt(path)
        else:
            raise RecipeError(f"{path.name} is not a PNG, GIF, WAV or TXT file, so it cannot carry an Atelier recipe")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise RecipeError(f"{path.name} declares a picture far too large to open; it was not made here") from None
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError) as err:
        raise RecipeError(f"{path.name} could not be read ({str(err)[:80]})") from None
    if found is None:
        raise RecipeError(f"{path.name} carries no Atelier recipe: it was not made here, or the recipe was stripped")
    return found
