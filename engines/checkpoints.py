"""Atelier checkpoints: one file holding a state dict, the architecture config and metadata.

Loading uses `torch.load(weights_only=True)`, so a checkpoint can never run code; writing goes
through a temporary file and `os.replace`, so a crash mid-save leaves the previous file intact.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from engines import __version__
from engines.fsutil import atomic_path

FORMAT = "atelier-checkpoint"
FORMAT_VERSION = 1
SUFFIX = ".pt"


class CheckpointError(ValueError):
    """A file that cannot be used as the requested Atelier checkpoint; the message says why."""


@dataclass
class Checkpoint:
    """What a checkpoint file holds. `config` rebuilds the model; `meta` describes its making."""

    engine: str
    state_dict: dict[str, Any]
    config: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def save(path: str | os.PathLike, ckpt: Checkpoint) -> Path:
    """Write `ckpt` to `path` atomically and return the path.

    `meta` gets the Atelier version and the save date added if it lacks them. Only tensors,
    numbers, strings, lists and dicts may appear anywhere, so the file loads with weights_only.
    """
    meta = {"atelier_version": __version__, "saved": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **ckpt.meta}
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "engine": ckpt.engine,
        "config": ckpt.config,
        "meta": meta,
        "extra": ckpt.extra,
        "state_dict": {k: v.detach().cpu() for k, v in ckpt.state_dict.items()},
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def load(path: str | os.PathLike, engine: str | None = None, map_location: str | torch.device = "cpu") -> Checkpoint:
    """Read an Atelier checkpoint; if `engine` is given, refuse a checkpoint of another engine.

    Raises CheckpointError with a plain message for a missing file, a file that is not a torch
    checkpoint, a pickle that would need to run code, or a checkpoint of the wrong engine.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no model file at {path}")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except (
        pickle.UnpicklingError,
        zipfile.BadZipFile,
        RuntimeError,
        EOFError,
        ValueError,
        AttributeError,
        TypeError,
        IndexError,
        KeyError,
        UnicodeDecodeError,
    ) as err:
        raise CheckpointError(
            f"{path.name} is not an Atelier model file (it could not be read safely: {type(err).__name__})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is a torch file, but not an Atelier model file")
    if payload.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(f"{path.name} was written by a newer Atelier; please update to load it")
    if engine is not None and payload.get("engine") != engine:
        raise CheckpointError(f"{path.name} is a {payload.get('engine')!r} model, not a {engine!r} model")
    return Checkpoint(
        engine=payload["engine"],
        state_dict=payload["state_dict"],
        config=payload.get("config", {}),
        meta=payload.get("meta", {}),
        extra=payload.get("extra", {}),
    )


STAGE_KEYS = ("name", "steps", "train_seconds", "train_config", "data", "recipe", "hardware")


def lineage_after(meta: dict) -> list[dict]:
    """The training stages of a model fine-tuned from one with metadata `meta`: that model's own
    lineage, then a record of its training (the STAGE_KEYS it has)."""
    return [*meta.get("lineage", []), {k: meta[k] for k in STAGE_KEYS if k in meta}]


def file_hash(path: str | os.PathLike, length: int = 12) -> str:
    """Short sha256 of a file, recorded in recipes so an output names the exact model that made it."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:length]


def list_models(*folders: str | os.PathLike, engine: str | None = None) -> list[Path]:
    """Checkpoint files in `folders` (not recursive), optionally only those of `engine`, by name."""
    return [path for folder in folders for path, _ in _listing(Path(folder), engine)]


def _listing(folder: Path, engine: str | None) -> tuple[tuple[Path, float], ...]:
    """(checkpoint, mtime) in `folder` by name, remade only when the folder changes: the model list is
    read on every slider move, and a save (a rename into the folder) changes the folder's mtime."""
    try:
        stamp = folder.stat().st_mtime_ns
    except OSError:
        return ()
    return _listing_cached(str(folder), stamp, engine)


@functools.lru_cache(maxsize=256)
def _listing_cached(folder: str, stamp: int, engine: str | None) -> tuple[tuple[Path, float], ...]:
    found = []
    for path in sorted(Path(folder).glob(f"*{SUFFIX}")):
        try:
            if engine is None or _engine_of(path) == engine:
                found.append((path, path.stat().st_mtime))
        except OSError:  # gone since the folder was read
            continue
    return tuple(found)


def export_compact(src: str | os.PathLike, dst: str | os.PathLike, engine: str) -> Path:
    """A copy for bundling: floating weights in float16, without the optimiser state (`extra['opt']`)."""
    ck = load(src, engine=engine)
    extra = {k: v for k, v in ck.extra.items() if k != "opt"}
    state = {k: v.half() if v.is_floating_point() else v for k, v in ck.state_dict.items()}
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    return save(dst, Checkpoint(ck.engine, state, ck.config, ck.meta, extra))


def labelled_models(
    bundled: str | os.PathLike,
    user: str | os.PathLike | None,
    engine: str,
    accept: Callable[[Path], bool] | None = None,
) -> dict[str, Path]:
    """Display label -> checkpoint for an engine's bundled models ('name (bundled)') and the
    artist's own ('name (yours)', oldest first), keeping those `accept` likes (unreadable ones never)."""
    found: dict[str, Path] = {}
    for folder, whose in ((bundled, "bundled"), (user, "yours")):
        if folder is None:
            continue
        for path, _ in sorted(_listing(Path(folder), engine), key=lambda item: item[1]):
            try:
                if accept is None or accept(path):
                    found[f"{path.stem} ({whose})"] = path
            except (CheckpointError, OSError, KeyError, TypeError, ValueError):
                continue
    return found


def file_cached(build: Callable[[str], Any], what: str) -> Callable[[str | os.PathLike], Any]:
    """A loader that builds each checkpoint once per version of its file (path + mtime) and
    reuses it after, safely across the server's threads; a missing file is named clearly."""
    lock = threading.Lock()
    cached = functools.lru_cache(maxsize=8)(lambda path, mtime: build(path))

    def load_once(path: str | os.PathLike) -> Any:
        path = Path(path).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"no {what} at {path}")
        with lock:
            return cached(str(path), path.stat().st_mtime)

    return load_once


def _engine_of(path: Path) -> str | None:
    """The engine a checkpoint file belongs to (None if it is not one), read once per version
    of the file: listings run on every slider move, and a full load costs milliseconds."""
    stat = path.stat()
    return _engine_cached(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _engine_cached(path: str, mtime_ns: int, size: int) -> str | None:
    try:
        return load(path).engine
    except CheckpointError:
        return None
