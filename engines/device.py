"""Device choice: cuda if present, else Apple's mps, else the CPU with a sensible thread count."""

from __future__ import annotations

import os
import platform

import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def cpu_threads() -> int:
    """Threads worth giving torch on this CPU: the cores this process may use, capped at 8.

    More threads than physical cores slows small convolutions down, and a laptop stays usable
    when the studio does not take every core. ATELIER_THREADS overrides the count.
    """
    if os.environ.get("ATELIER_THREADS", "").isdigit():
        return max(1, int(os.environ["ATELIER_THREADS"]))
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        usable = os.cpu_count() or 1
    return max(1, min(usable, 8))


def pick_device(preference: str = "auto") -> torch.device:
    """Return the torch device for `preference` ('auto', 'cpu', 'cuda' or 'mps').

    'auto' prefers cuda, then mps, then cpu. Asking for a device that is not present raises
    ValueError with a plain explanation rather than failing later inside a model.
    """
    preference = (preference or "auto").lower()
    if preference not in DEVICE_CHOICES:
        raise ValueError(f"unknown device {preference!r}; choose one of {', '.join(DEVICE_CHOICES)}")
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but torch sees no CUDA GPU on this machine")
    if preference == "mps" and not _mps_available():
        raise ValueError("--device mps was asked for, but this torch build has no Apple GPU (mps) support")
    return torch.device(preference)


def configure(preference: str = "auto") -> torch.device:
    """Pick the device and tune torch for it (CPU threads, cuDNN autotuning); returns the device."""
    device = pick_device(preference)
    if device.type == "cpu":
        torch.set_num_threads(cpu_threads())
    elif device.type == "cuda":  # fixed shapes in training loops: let cuDNN pick its fastest kernels once
        torch.backends.cudnn.benchmark = True
    return device


def describe_hardware(preference: str = "auto") -> str:
    """One line naming what a run trains on, for a checkpoint's metadata (e.g. 'cpu x86_64: 1 thread
    of 2 cores, torch 2.14.1')."""
    device = pick_device(preference)
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (torch {torch.__version__}, CUDA)"
    if device.type == "mps":
        return f"Apple GPU (mps), torch {torch.__version__}"
    threads = cpu_threads()
    return (
        f"cpu {platform.machine()}: {threads} thread{'s' * (threads > 1)} of {os.cpu_count()} cores, "
        f"torch {torch.__version__}"
    )
