"""The outputs folder behind the Gallery: everything made is saved with its recipe, listed
newest first, searched, and deleted on request. It lives on disk, so it survives restarts.

Each output is three files named by its id: the media (``.png``, ``.wav`` or ``.txt``, each
carrying its recipe), a ``.thumb.png`` preview, and a ``.json`` record for fast listing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from PIL import Image

from engines import recipe as recipes
from engines import thumbs
from engines.fsutil import atomic_write, atomic_write_bytes

KINDS = ("image", "sound", "text")
_EXT = {"image": ".png", "sound": ".wav", "text": ".txt"}
_KIND_OF = {".png": "image", ".gif": "image", ".wav": "sound", ".txt": "text"}
_INPUT_REF = re.compile(r"inputs/[0-9a-f]{24}\.[a-z0-9]{1,5}")
_ID = re.compile(r"^\d{8}-\d{6}-\d{6}-[0-9a-f]{4}$")


@dataclass(frozen=True)
class Output:
    """One saved output. `path` is the media file, `thumb` its preview picture."""

    id: str
    kind: str
    title: str
    created: float
    recipe: dict[str, Any]
    path: Path
    thumb: Path

    def created_text(self) -> str:
        """Creation time as local 'YYYY-MM-DD HH:MM'."""
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.created))


class OutputStore:
    """A folder of outputs. Safe to share between tabs; every write is atomic."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------ saving
    def save_image(self, image: Image.Image, recipe: recipes.Recipe, title: str | None = None) -> Output:
        """Save a picture as PNG with its recipe."""
        oid = self._new_id()
        path = recipes.write_png(self.root / f"{oid}.png", image, recipe)
        return self._record(oid, "image", path, thumbs.image_thumb(image), recipe, title)

    def save_sound(
        self, sample_rate: int, wave: np.ndarray, recipe: recipes.Recipe, title: str | None = None
    ) -> Output:
        """Save a sound as 16-bit WAV with its recipe."""
        oid = self._new_id()
        path = recipes.write_wav(self.root / f"{oid}.wav", sample_rate, wave, recipe)
        return self._record(oid, "sound", path, thumbs.sound_thumb(wave), recipe, title)

    def save_text(self, text: str, recipe: recipes.Recipe, title: str | None = None) -> Output:
        """Save a text as UTF-8 TXT with its recipe."""
        oid = self._new_id()
        path = recipes.write_txt(self.root / f"{oid}.txt", text, recipe)
        return self._record(oid, "text", path, thumbs.text_thumb(text), recipe, title)

    def save_file(
        self, source: str | os.PathLike, kind: str, recipe: recipes.Recipe, thumb: Image.Image, title: str | None = None
    ) -> Output:
        """Keep a finished file of another format (a GIF or MP4 morph, say); its recipe goes in a
        sidecar ``<file>.recipe.json`` beside it."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
        oid = self._new_id()
        path = self.root / f"{oid}{Path(source).suffix.lower()}"
        atomic_write_bytes(path, Path(source).read_bytes())
        recipes.write_sidecar(path, recipe)
        return self._record(oid, kind, path, thumbs.image_thumb(thumb), recipe, title)

    # ------------------------------------------------------------ inputs an output depends on
    def keep_input(self, source: str | os.PathLike | bytes, suffix: str) -> str:
        """Keep a file an output was made from (an uploaded picture, a primer sound) under
        ``inputs/``, named by its content so each is kept once; returns the reference a recipe stores
        (``"inputs/<hash><suffix>"``), which `input_path` turns back into a path."""
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix.lower()) else ".bin"
        ref = f"inputs/{hashlib.sha256(data).hexdigest()[:24]}{suffix.lower()}"
        target = self.root / ref
        if not target.exists():
            atomic_write_bytes(target, data)
        return ref

    def input_path(self, ref: str) -> Path:
        """The kept input a recipe refers to; KeyError (with a message) when it is not here."""
        if not isinstance(ref, str) or not _INPUT_REF.fullmatch(ref):
            raise KeyError(f"{str(ref)[:60]!r} is not a kept input")
        path = self.root / ref
        if not path.is_file():
            raise KeyError(f"the input this was made from ({ref}) is no longer in the gallery")
        return path

    # ------------------------------------------------------------ finding
    def list(self, kind: str | None = None, query: str = "") -> list[Output]:
        """Outputs newest first, optionally of one kind and matching every word of `query`
        (searched in the title and the recipe, case-insensitively)."""
        if kind not in (None, *KINDS):
            raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
        words = query.lower().split()
        found = []
        for record in self.root.glob("*.json"):
            out = self._load(record)
            if out is None or (kind and out.kind != kind):
                continue
            haystack = (out.title + " " + json.dumps(out.recipe, ensure_ascii=False)).lower()
            if all(w in haystack for w in words):
                found.append(out)
        return sorted(found, key=lambda o: (o.created, o.id), reverse=True)

    def page(
        self, kind: str | None = None, query: str = "", offset: int = 0, limit: int = 48
    ) -> tuple[list[Output], int]:
        """One page of `list` and the number of matches. Without a filter only the page's records
        are read (ids sort by time), so the cost does not grow with the Gallery's size."""
        if kind not in (None, *KINDS):
            raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
        offset, limit = max(0, int(offset)), max(1, min(int(limit), 500))
        if kind is None and not query.strip():
            ids = sorted((p.stem for p in self.root.glob("*.json") if _ID.match(p.stem)), reverse=True)
            found = [o for o in (self._load(self.root / f"{oid}.json") for oid in ids[offset : offset + limit]) if o]
            return found, len(ids)
        matches = self.list(kind, query)
        return matches[offset : offset + limit], len(matches)

    def adopt(self, source: str | os.PathLike, title: str | None = None, created: float | None = None) -> Output | None:
        """Copy an Atelier file made elsewhere (an imported zip's) into the store under a new id,
        with its sidecar and a GIF's MP4, dated `created` (when it was made; now if unknown); None if
        it is not a kind the Gallery keeps or carries no recipe."""
        source = Path(source)
        kind = _KIND_OF.get(source.suffix.lower())
        try:
            if kind is None:
                return None
            recipe = recipes.read(source)
            thumb = _thumb_of(source, kind)
        except Exception:  # noqa: BLE001 - anything unreadable is skipped, whatever is wrong with it
            return None
        oid = self._new_id()
        path = self.root / f"{oid}{source.suffix.lower()}"
        sidecar = Path(str(source) + recipes.SIDECAR_SUFFIX)
        if sidecar.is_file():
            atomic_write_bytes(Path(str(path) + recipes.SIDECAR_SUFFIX), sidecar.read_bytes())
        if source.with_suffix(".mp4").is_file() and kind == "image" and source.suffix.lower() == ".gif":
            atomic_write_bytes(path.with_suffix(".mp4"), source.with_suffix(".mp4").read_bytes())
        atomic_write_bytes(path, source.read_bytes())
        return self._record(oid, kind, path, thumb, recipe, title or recipe.get("title"), created)

    def recover(self) -> tuple[int, int]:
        """After a crash: remove half-written `.part` files, give whole media that lost their record
        a new one (so the Gallery shows them and they can be deleted), and remove media whose recipe
        cannot be read. Returns (recovered, removed)."""
        recovered = removed = 0
        for part in self.root.glob(".*.part"):
            part.unlink(missing_ok=True)
            removed += 1
        for media in self.root.iterdir():
            oid = media.name.split(".", 1)[0]
            if not _ID.match(oid) or media.name.endswith((".json", ".thumb.png", recipes.SIDECAR_SUFFIX)):
                continue
            if (self.root / f"{oid}.json").exists():
                continue
            if media.suffix.lower() in (".mp4", ".mid") and any(
                media.with_suffix(x).exists() for x in (".gif", ".wav")
            ):
                continue  # a morph's MP4 beside its GIF, a melody's MIDI beside its WAV
            kind = _KIND_OF.get(media.suffix.lower())
            try:
                if kind is None:
                    raise ValueError("not a kind the gallery keeps")
                recipe = recipes.read(media)
                thumb = _thumb_of(media, kind)
            except Exception:  # noqa: BLE001 - a damaged leftover is removed, whatever is wrong with it
                media.unlink(missing_ok=True)
                Path(str(media) + recipes.SIDECAR_SUFFIX).unlink(missing_ok=True)
                removed += 1
                continue
            self._record(oid, kind, media, thumb, recipe, None)
            recovered += 1
        for thumb in self.root.glob("*.thumb.png"):  # previews whose output is gone
            if not (self.root / f"{thumb.name.split('.', 1)[0]}.json").exists():
                thumb.unlink(missing_ok=True)
                removed += 1
        return recovered, removed

    def get(self, oid: str) -> Output:
        """The output with id `oid`; KeyError if there is none."""
        out = self._load(self.root / f"{self._check_id(oid)}.json")
        if out is None:
            raise KeyError(f"no output {oid!r} in the gallery")
        return out

    def delete(self, oid: str) -> None:
        """Remove an output and its preview and record; KeyError if there is none."""
        out = self.get(oid)
        for path in (
            out.path,
            out.thumb,
            self.root / f"{out.id}.json",
            Path(str(out.path) + recipes.SIDECAR_SUFFIX),
            self.root / f"{out.id}.mp4",
            self.root / f"{out.id}.mp4{recipes.SIDECAR_SUFFIX}",
            self.root / f"{out.id}.mid",
        ):
            path.unlink(missing_ok=True)

    # ------------------------------------------------------------ internals
    @staticmethod
    def _new_id() -> str:
        now = time.time()
        micro = int((now % 1) * 1_000_000)
        return time.strftime("%Y%m%d-%H%M%S", time.localtime(now)) + f"-{micro:06d}-{secrets.token_hex(2)}"

    @staticmethod
    def _check_id(oid: str) -> str:
        if not isinstance(oid, str) or not _ID.match(oid):
            raise KeyError(f"{oid!r} is not a gallery id")
        return oid

    def _record(
        self,
        oid: str,
        kind: str,
        path: Path,
        thumb: Image.Image,
        recipe: recipes.Recipe,
        title: str | None,
        created: float | None = None,
    ) -> Output:
        thumb_path = self.root / f"{oid}.thumb.png"
        atomic_write(thumb_path, lambda fh: thumb.save(fh, format="PNG"))
        out = Output(
            id=oid,
            kind=kind,
            title=title or _default_title(kind, recipe),
            created=time.time() if created is None else float(created),
            recipe=recipes.read(path),
            path=path,
            thumb=thumb_path,
        )
        record = {k: v for k, v in asdict(out).items() if k not in ("path", "thumb")}
        record["file"] = path.name
        atomic_write_bytes(self.root / f"{oid}.json", json.dumps(record, ensure_ascii=False, indent=1).encode())
        return out

    def _load(self, record: Path) -> Output | None:
        if not _ID.match(record.stem):
            return None
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
            path = self.root / data["file"]
            if not path.is_file():
                return None
            return Output(
                id=data["id"],
                kind=data["kind"],
                title=data["title"],
                created=float(data["created"]),
                recipe=data["recipe"],
                path=path,
                thumb=self.root / f"{data['id']}.thumb.png",
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None


def _thumb_of(media: Path, kind: str) -> Image.Image:
    """A fresh preview for a media file (used when recovering one that lost its record)."""
    if kind == "image":
        with Image.open(media) as im:
            im.seek(0)
            return thumbs.image_thumb(im.convert("RGB"))
    if kind == "sound":
        wave, _sr = sf.read(str(media), dtype="float32", always_2d=False)
        return thumbs.sound_thumb(wave)
    return thumbs.text_thumb(recipes.read_text(media))


def _default_title(kind: str, recipe: recipes.Recipe) -> str:
    engine = str(recipe.get("engine", "atelier")).capitalize()
    seed = recipe.get("seed")
    return f"{engine} {kind}" + (f" · seed {seed}" if seed is not None else "")
