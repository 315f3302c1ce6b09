"""Device choice honours the request and explains devices that are not there."""

import pytest
import torch

from engines import device


def test_cpu_is_always_available_and_sets_threads():
    assert device.configure("cpu") == torch.device("cpu")
    assert torch.get_num_threads() == device.cpu_threads() >= 1


def test_auto_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device.pick_device("auto").type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device, "_mps_available", lambda: True)
    assert device.pick_device("auto").type == "mps"
    monkeypatch.setattr(device, "_mps_available", lambda: False)
    assert device.pick_device("auto").type == "cpu"


def test_missing_or_unknown_devices_are_explained(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        device.pick_device("cuda")
    with pytest.raises(ValueError, match="unknown device"):
        device.pick_device("tpu")


def test_hardware_line_names_threads_and_torch(monkeypatch):
    monkeypatch.setenv("ATELIER_THREADS", "1")
    line = device.describe_hardware("cpu")
    assert line.startswith("cpu ") and "1 thread of" in line and torch.__version__ in line
    monkeypatch.setenv("ATELIER_THREADS", "3")
    assert "3 threads of" in device.describe_hardware("cpu")
