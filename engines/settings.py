"""Where the studio keeps things and what it may do: one object shared by every engine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from engines import device as _device


def default_home() -> Path:
    """The Atelier folder in the user's home (overridable with ATELIER_HOME)."""
    return Path(os.environ.get("ATELIER_HOME", Path.home() / "atelier")).expanduser()


@dataclass
class Settings:
    """Runtime settings chosen at launch; engines read them, the UI never changes them."""

    device: str = "auto"
    models_dir: Path = field(default_factory=lambda: default_home() / "models")
    outputs_dir: Path = field(default_factory=lambda: default_home() / "outputs")
    allow_downloads: bool = False

    def __post_init__(self) -> None:
        self.models_dir = Path(self.models_dir).expanduser().resolve()
        self.outputs_dir = Path(self.outputs_dir).expanduser().resolve()

    def torch_device(self) -> torch.device:
        """The torch device these settings ask for (configures CPU threads as a side effect)."""
        return _device.configure(self.device)

    def engine_models_dir(self, engine: str) -> Path:
        """Folder for one engine's user-trained models, created on first use."""
        path = self.models_dir / engine
        path.mkdir(parents=True, exist_ok=True)
        return path
