"""Workspaces: whose outputs and models a request may touch.

A local studio is one person's: a single workspace over the outputs and models folders it always
had. A shared studio (a share link, a Space, `--multi-user`) gives every visitor a workspace of
their own, a folder named by a hash of the visitor's secret key, so the folder name never reveals
the key and nobody can reach another's folder without it. Quotas are per workspace.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from engines.outputs import OutputStore

KEY = re.compile(r"[A-Za-z0-9_-]{16,128}")
"""A workspace key as the browser or a script presents it (the browser makes 32 random characters)."""


class QuotaExceeded(ValueError):
    """The workspace's disk quota is used up; the message says how much and how to free it."""


class WorkspaceError(ValueError):
    """A workspace key that is malformed."""


def new_key() -> str:
    """A fresh, unguessable workspace key (192 random bits)."""
    return secrets.token_urlsafe(24)


def folder_name(key: str) -> str:
    """The folder a key's workspace lives in: a hash of the key, so folder names leak no keys."""
    return hashlib.sha256(("atelier-workspace:" + key).encode()).hexdigest()[:32]


def _bytes_in(folder: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


@dataclass(frozen=True)
class Workspace:
    """One person's outputs (the Gallery) and trained models, with an optional disk quota."""

    name: str  # "local" or the hashed folder name
    outputs_dir: Path  # the Gallery's folder
    models_dir: Path  # <engine>/<model>.pt below it
    quota_bytes: int | None = None  # None: no limit (a local studio)

    @property
    def store(self) -> OutputStore:
        """The Gallery of this workspace."""
        return OutputStore(self.outputs_dir)

    def engine_models_dir(self, engine: str) -> Path:
        """Folder for one engine's models in this workspace, created on first use."""
        path = self.models_dir / engine
        path.mkdir(parents=True, exist_ok=True)
        return path

    def owns(self, path: str | os.PathLike) -> bool:
        """Whether `path` lies inside this workspace's outputs or models."""
        target = Path(path).resolve()
        return target.is_relative_to(self.outputs_dir) or target.is_relative_to(self.models_dir)

    def used_bytes(self) -> int:
        """Bytes this workspace's outputs and models take on disk."""
        return _bytes_in(self.outputs_dir) + _bytes_in(self.models_dir)

    def check_room(self, extra_bytes: int = 0) -> None:
        """Raise QuotaExceeded when the workspace (plus `extra_bytes` about to be written) is over its quota."""
        if self.quota_bytes is None:
            return
        used = self.used_bytes()
        if used + max(0, int(extra_bytes)) > self.quota_bytes:
            raise QuotaExceeded(
                f"Your workspace is full: it holds {used / 1e6:.0f} MB of its {self.quota_bytes / 1e6:.0f} MB"
                + (f" and this needs {extra_bytes / 1e6:.1f} MB more" if extra_bytes > 0 else "")
                + ". Delete outputs in the Gallery (or download your workspace as a zip first) to free space."
            )

    def usage_text(self) -> str:
        """'12.3 MB of 500 MB used' (or '12.3 MB used' without a quota)."""
        used = self.used_bytes() / 1e6
        shown = f"{used:.1f} MB" if used >= 0.1 or used == 0 else f"{used * 1000:.0f} KB"
        if self.quota_bytes is None:
            return f"{shown} used"
        return f"{shown} of {self.quota_bytes / 1e6:.0f} MB used"


class Workspaces:
    """Finds the workspace for a key: always the local one in a local studio, the key's own in a
    shared one. Workspaces live on disk only, so several studio processes can serve one folder."""

    def __init__(
        self, outputs_dir: Path, models_dir: Path, root: Path, shared: bool, quota_bytes: int | None = None
    ) -> None:
        self.local = Workspace("local", Path(outputs_dir).resolve(), Path(models_dir).resolve(), None)
        self.root = Path(root).resolve()
        self.shared = shared
        self.quota_bytes = quota_bytes

    def get(self, key: str | None) -> Workspace:
        """The workspace for `key` (a local studio ignores keys). WorkspaceError for a malformed key."""
        if not self.shared:
            return self.local
        if not key or not KEY.fullmatch(key):
            raise WorkspaceError("This studio needs a workspace key of 16-128 letters, digits, '-' or '_'.")
        folder = self.root / folder_name(key)
        return Workspace(folder.name, folder / "outputs", folder / "models", self.quota_bytes)

    def all(self) -> list[Workspace]:
        """Every workspace that exists on disk (the local one first)."""
        found = [self.local]
        if self.root.is_dir():
            found += [
                Workspace(p.name, p / "outputs", p / "models", self.quota_bytes)
                for p in sorted(self.root.iterdir())
                if p.is_dir() and re.fullmatch(r"[0-9a-f]{32}", p.name)
            ]
        return found
