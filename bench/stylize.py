"""Stylize benchmark. Keys: fast_512_ms, gatys_384_s_per_100it, gatys_speedup_vs_naive,
gatys_style_loss_drop, gatys_content_loss (plus settings and machine)."""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path

import torch
from PIL import Image

from bench.timing import median_ms
from engines.device import configure
from engines.stylize import fast
from engines.stylize.gatys import GatysSettings, paint

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"


def _pictures() -> tuple[Image.Image, Image.Image]:
    content = Image.open(SAMPLES / "content" / "chelsea.jpg").convert("RGB")
    style = Image.open(SAMPLES / "styles" / "swirls.jpg").convert("RGB")
    return content, style


def _gatys_seconds(content: Image.Image, style: Image.Image, iterations: int, naive: bool) -> float:
    settings = GatysSettings(iterations=iterations, size=384, multiscale=False, preview_every=iterations, naive=naive)
    t = time.perf_counter()
    for _ in paint(content, [style], [1.0], settings):
        pass
    return time.perf_counter() - t


def run(quick: bool = False) -> dict:
    configure("cpu")
    content, style = _pictures()
    wide = content.resize((768, 512), Image.Resampling.LANCZOS)  # 512 high, 768 wide
    fast.stylize(wide, [style], [1.0])  # warm the sessions and the style-vector cache
    fast_ms = median_ms(lambda: fast.stylize(wide, [style], [1.0], strength=0.8), repeats=5 if quick else 15, warmup=1)

    its = 20 if quick else 100
    _gatys_seconds(content, style, 5, naive=False)  # warm-up: weights, allocator, first-call costs
    smart_runs, naive_runs = [], []
    for _ in range(2 if quick else 3):  # alternate, so background load hits both alike
        smart_runs.append(_gatys_seconds(content, style, its, naive=False))
        naive_runs.append(_gatys_seconds(content, style, its, naive=True))
    smart, naive = statistics.median(smart_runs), statistics.median(naive_runs)

    drop_its, drop_size = (100, 256) if quick else (200, 384)
    last = None
    for last in paint(content, [style], [1.0], GatysSettings(iterations=drop_its, size=drop_size)):
        pass
    assert last is not None
    return {
        "fast_512_ms": fast_ms,
        "gatys_384_s_per_100it": round(smart * 100 / its, 2),
        "gatys_speedup_vs_naive": round(naive / smart, 2),
        "gatys_style_loss_drop": round(last.style_loss / 1.0, 4),  # the loss starts at 1.0 by construction
        "gatys_content_loss": round(last.content_loss, 4),
        "gatys_loss_iterations": drop_its,
        "gatys_loss_size": drop_size,
        "machine": " ".join(filter(None, [platform.machine(), f"{os.cpu_count()} cpus", f"torch {torch.__version__}",
                                          f"{torch.get_num_threads()} threads"])),
    }
