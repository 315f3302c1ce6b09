"""Unpacking user uploads safely: a folder, a list of files, or a zip that must not escape its
folder or expand past a size cap."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

MAX_UNPACKED_BYTES = 2_000_000_000
MAX_MEMBERS = 50_000


class ArchiveError(ValueError):
    """A zip that was refused; the message says why."""


def _refused(zip_path: str | os.PathLike, why: str) -> ArchiveError:
    """The sentence an artist reads: which zip, and why it was refused."""
    return ArchiveError(f"{Path(zip_path).name} was refused: {why}.")


def safe_extract(zip_path: str | os.PathLike, dest: str | os.PathLike, max_bytes: int = MAX_UNPACKED_BYTES) -> Path:
    """Extract `zip_path` into `dest`, refusing members that escape it (absolute paths, '..',
    links) and archives whose declared contents exceed `max_bytes` or MAX_MEMBERS files."""
    dest = Path(dest).resolve()
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError):
        raise _refused(zip_path, "it is not a zip file Atelier can read") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise _refused(zip_path, f"it holds {len(members)} files; at most {MAX_MEMBERS} are accepted")
        total = sum(m.file_size for m in members)
        if total > max_bytes:
            raise _refused(zip_path, f"it would unpack to {total / 1e6:.0f} MB; the limit is {max_bytes / 1e6:.0f} MB")
        for m in members:
            name = PurePosixPath(m.filename.replace("\\", "/"))
            target = (dest / name).resolve()
            if name.is_absolute() or ".." in name.parts or not target.is_relative_to(dest):
                raise _refused(zip_path, f"it holds a path that leaves its folder ({m.filename})")
            if (m.external_attr >> 16) & 0o170000 == 0o120000:
                raise _refused(zip_path, f"it holds a link ({m.filename})")
        written = 0
        for m in members:
            if m.is_dir():
                continue
            target = dest / PurePosixPath(m.filename.replace("\\", "/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(m) as src, open(target, "wb") as out:
                while block := src.read(1 << 20):
                    written += len(block)
                    if written > max_bytes:  # a member lying about its size
                        raise _refused(zip_path, "it unpacks to more than it declares")
                    out.write(block)
    return dest


def gather_files(sources: Iterable[str | os.PathLike], workdir: str | os.PathLike) -> list[Path]:
    """Expand uploads (files, folders, zips) into a sorted list of files; zips unpack under `workdir`."""
    files: list[Path] = []
    for i, src in enumerate(sources):
        src = Path(src)
        if src.is_dir():
            files.extend(p for p in src.rglob("*") if p.is_file())
        elif src.suffix.lower() == ".zip":
            out = safe_extract(src, Path(workdir) / f"zip{i}")
            files.extend(p for p in out.rglob("*") if p.is_file())
        elif src.is_file():
            files.append(src)
    return sorted(f for f in files if not any(part.startswith(("__MACOSX", ".")) for part in f.parts[-2:]))
