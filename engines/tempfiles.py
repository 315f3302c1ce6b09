"""One temporary folder for the whole studio: every job's scratch files live in a folder of their
own below it, removed when the job ends; a start sweeps whatever a crash left behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

_ROOT: Path | None = None


def root() -> Path:
    """The studio's temp folder: $ATELIER_TMP, else <system temp>/atelier-<uid>, created on first use."""
    global _ROOT
    if _ROOT is None:
        default = Path(tempfile.gettempdir()) / f"atelier-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
        _ROOT = Path(os.environ.get("ATELIER_TMP", default)).expanduser().resolve()
    _ROOT.mkdir(parents=True, exist_ok=True)
    return _ROOT


def set_root(path: str | os.PathLike) -> Path:
    """Move the studio's temp folder (the launcher and the tests do this)."""
    global _ROOT
    _ROOT = Path(path).expanduser().resolve()
    return root()


@contextlib.contextmanager
def job_dir(prefix: str) -> Iterator[Path]:
    """A fresh folder under the studio's temp folder for one job, removed when the job ends
    (also when it fails or its generator is closed)."""
    path = Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir=root()))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


DOWNLOADS_KEPT_S = 600  # a download is handed to the browser at once; older ones go


def download_dir() -> Path:
    """A fresh folder for one file the browser downloads (a zip, a MIDI file, a remake): it must
    outlive the request that made it, so it lives under `downloads/` and goes after ten minutes."""
    folder = root() / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in folder.iterdir():
        try:
            if now - old.stat().st_mtime > DOWNLOADS_KEPT_S:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass
    return Path(tempfile.mkdtemp(prefix="download-", dir=folder))


def sweep(older_than_s: float = 0.0) -> int:
    """Remove what earlier jobs left in the temp folder (older than `older_than_s`); returns the count."""
    removed, now = 0, time.time()
    for entry in root().iterdir():
        try:
            if now - entry.lstat().st_mtime < older_than_s:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed += 1
        except OSError:
            pass
    return removed


def count_files(downloads: bool = False) -> int:
    """Files now in the studio's temp folder (0 when every job cleaned up); downloads waiting for
    the browser are not counted unless `downloads`."""
    skip = root() / "downloads"
    return sum(len(files) for d, _s, files in os.walk(root()) if downloads or not Path(d).is_relative_to(skip))
