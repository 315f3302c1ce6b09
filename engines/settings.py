"""Where the studio keeps things and what it may do: one object shared by every engine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from engines import device as _device


def on_space() -> bool:
    """Whether the studio runs on a Hugging Face Space (Spaces set SPACE_ID)."""
    return bool(os.environ.get("SPACE_ID"))


def space_storage() -> Path | None:
    """A Space's persistent storage (/data, when attached and writable), else None."""
    data = Path("/data")
    return data if on_space() and data.is_dir() and os.access(data, os.W_OK) else None


def default_home() -> Path:
    """The Atelier folder: ATELIER_HOME, else a Space's persistent storage, else ~/atelier."""
    if os.environ.get("ATELIER_HOME"):
        return Path(os.environ["ATELIER_HOME"]).expanduser()
    storage = space_storage()
    return storage / "atelier" if storage else Path.home() / "atelier"


@dataclass
class Settings:
    """Runtime settings chosen at launch; engines read them, the UI never changes them."""

    device: str = "auto"
    models_dir: Path = field(default_factory=lambda: default_home() / "models")
    outputs_dir: Path = field(default_factory=lambda: default_home() / "outputs")
    workspaces_dir: Path = field(default_factory=lambda: default_home() / "workspaces")  # a shared studio's visitors
    allow_downloads: bool = False

    def __post_init__(self) -> None:
        self.models_dir = Path(self.models_dir).expanduser().resolve()
        self.outputs_dir = Path(self.outputs_dir).expanduser().resolve()
        self.workspaces_dir = Path(self.workspaces_dir).expanduser().resolve()

    def torch_device(self) -> torch.device:
        """The torch device these settings ask for (configures CPU threads as a side effect)."""
        return _device.configure(self.device)

    def engine_models_dir(self, engine: str) -> Path:
        """Folder for one engine's user-trained models, created on first use."""
        path = self.models_dir / engine
        path.mkdir(parents=True, exist_ok=True)
        return path


def assets_dir() -> Path:
    """The bundled assets (models, samples, soundfonts): ATELIER_ASSETS, else the repository's assets/."""
    return Path(os.environ.get("ATELIER_ASSETS") or Path(__file__).resolve().parents[1] / "assets")
