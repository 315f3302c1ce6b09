"""Paint benchmark. Keys: generate_ms, slider_roundtrip_ms, train_img_per_s, fd_lite0,
fd_lite0_plain, fd_ratio_vs_plain (plus class_acc_lite0, class_acc_lite0_plain, class_acc_real,
class_acc_per_class, class_acc_lite0_tab, fd_lite0_kinds, class_acc_kinds, class_acc_kinds_tab,
class_acc_kinds_plain, class_acc_kinds_real,
class_acc_per_kind, coverage_lite0, coverage_lite0_plain, coverage_per_class, coverage_kinds,
coverage_kinds_plain, coverage_per_kind, class_acc_pixel, class_acc_pixel_tab, class_acc_pixel_plain,
class_acc_pixel_real, class_acc_pixel_per_class, class_acc_pixel_tab_per_class, coverage_lite0_tab,
class_acc_lite0_tab_mean, coverage_lite0_tab_mean, coverage_kinds_tab, fd_lite0_tab, fd_lite0_tab_mean,
tab_psi, truncation, anchor_l1,
anchor_l1_kinds, fd_samples, steps and train_seconds of each model, training_stages, machine; My picture and
Sweep: invert_l1 (target <= 0.06), invert_s (target <= 10), invert_l1_start, invert_l1_random, sweep_5x5_s).

fd_lite0 is the shipped model. The ratio compares equal training budgets: the shipped model
against the plain DCGAN (ablation/emoji-plain.pt), both trained side by side on the same machines
for the same time in each stage (their checkpoints record each stage's steps, seconds and
hardware; `steps` and `train_seconds` are the totals over the stages).

class_acc_*: the share of generated pictures (no truncation, the same number of each class) that a
linear probe on lite0 features, fitted to the real emoji (emoji-probe.npz), names as the class they
were drawn for; *_tab are the same at the tab's default truncation (tab_psi: 0.2, explore.PSI_ANCHOR,
toward the model's anchors, the z of each training picture, when it has them, which is what `truncation`
says; else 0.8 toward the mean); *_tab_mean are at 0.8 toward the mean, the tab before anchors;
anchor_l1 (and _kinds) is the mean L1, pixels in [-1, 1], between each training emoji and the
drawing of its anchor, drawn afresh;
class_acc_real is the probe's own 5-fold held-out accuracy on the real emoji, the ceiling to read
them against (chance is 1/8). A model of kinds ('faces: smileys') is read by group there: each
group's pictures are drawn from its kinds in proportion to their training pictures.
class_acc_kinds*: the same for the model of kinds (the bundled emoji-kinds.pt, or the default
model when it is one), one class per kind, read by a probe fitted to the real emoji's 33 kinds
(emoji-kinds-probe.npz; chance is 1/33); fd_lite0_kinds is that model's FD when it is not the
default one, against the same training pictures.
coverage_*: from the same pictures, the share of each class's real emoji that have a generated
picture among their 5 nearest real neighbours in lite0 features (Naeem et al. 2020), averaged over
the classes: near 0 for a class that draws one picture for every seed, however well named.
class_acc_pixel*: the same share named by a small CNN trained from scratch on the real emoji's
pixels (emoji-pixel-probe.pt; class_acc_pixel_real is its accuracy on a held-out 20%). It shares
no weights with lite0, so it is the figure a model trained against lite0 features cannot have learnt
to please."""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from bench import paint_invert
from bench.server import roundtrip_ms
from bench.timing import median_ms
from engines.checkpoints import load as load_checkpoint
from engines.device import configure
from engines.paint import emoji, explore
from engines.paint import sweep as paint_sweep
from engines.paint.data import ImageSet
from engines.paint.eval import pixel_probe
from engines.paint.eval.quality import class_scores, fd_to_stats
from engines.paint.images import to_tensor
from engines.paint.model import GANConfig, one_hot
from engines.paint.recipe import TrainConfig
from engines.paint.train import train

BUNDLED = explore.BUNDLED_DIR / "emoji.pt"
KINDS = explore.BUNDLED_DIR / "emoji-kinds.pt"  # the second bundled model: 33 kinds
PLAIN = explore.BUNDLED_DIR / "ablation" / "emoji-plain.pt"
STATS = explore.BUNDLED_DIR / "emoji-fd-stats.npz"
PROBE = explore.BUNDLED_DIR / "emoji-probe.npz"
KINDS_PROBE = explore.BUNDLED_DIR / "emoji-kinds-probe.npz"
PIXEL_PROBE = explore.BUNDLED_DIR / "emoji-pixel-probe.pt"
MEAN_PSI = 0.8  # the tab's truncation toward the mean, before models had anchors


def _train_rate(steps: int) -> float:
    """Training throughput at 64x64, batch 64, on random pictures (speed does not depend on content)."""
    rng = np.random.default_rng(0)
    data = ImageSet(
        rng.integers(0, 255, (256, 64, 64, 3), dtype=np.uint8), rng.integers(0, 8, 256), [f"c{i}" for i in range(8)]
    )
    with tempfile.TemporaryDirectory() as tmp:
        # the training speed alone: no anchor search at the end (it inverts every picture once)
        warm = TrainConfig(steps=3, preview_every=3, checkpoint_every=10**9, anchor_steps=0)
        list(train(data, Path(tmp) / "w.pt", GANConfig(), warm, device="cpu", resume=False))
        cfg = TrainConfig(steps=steps, preview_every=steps, checkpoint_every=10**9, anchor_steps=0)
        events = list(train(data, Path(tmp) / "b.pt", GANConfig(), cfg, device="cpu", resume=False))
    return round(events[-1].stats["img_per_s"], 1)


def _stages(meta: dict) -> list[dict]:
    """Each training stage of a checkpoint: its fine-tuning lineage, then each run a resume
    continued (`earlier_runs`, whose steps and seconds add up) and the last run itself."""
    out = [
        {"steps": m.get("steps"), "seconds": m.get("train_seconds"), "hardware": m.get("hardware")}
        for m in meta.get("lineage", [])
    ]
    steps, seconds = 0, 0.0
    for m in [*meta.get("earlier_runs", []), meta]:
        out.append(
            {
                "steps": (m.get("steps") or 0) - steps,
                "seconds": round((m.get("train_seconds") or 0) - seconds, 1),
                "hardware": m.get("hardware"),
            }
        )
        steps, seconds = m.get("steps") or 0, m.get("train_seconds") or 0
    return out


def _roundtrip_ms(n: int, psi: float) -> float:
    label = f"{BUNDLED.stem} (bundled)"
    return roundtrip_ms("/paint_generate", lambda v: (label, "faces", "(none)", 0.5, 42, psi, v, *([0.0] * 9)), n)


def _anchor_l1(model: explore.PaintModel, kinds: bool) -> float | None:
    """Mean L1 (pixels in [-1, 1]) between each training emoji and its anchor's drawing, drawn
    afresh; None without anchors or without the emoji font to render the training set."""
    if model.anchors is None:
        return None
    try:
        images, _ = emoji.dataset(model.config.resolution, kinds)
    except (OSError, FileNotFoundError, RuntimeError):
        return None
    x = to_tensor(images)
    if len(x) != len(model.anchors.z):
        return None
    with torch.no_grad():
        drawn = torch.cat(
            [
                model.generator(
                    model.anchors.z[i : i + 256], one_hot(model.anchors.labels[i : i + 256], len(model.class_names))
                )
                for i in range(0, len(x), 256)
            ]
        )
    return round(float((drawn.cpu() - x).abs().mean()), 4)


def _class_keys(
    model: explore.PaintModel, plain: explore.PaintModel | None, probe: Path, per_class: int, suffix: str, unit: str
) -> dict:
    """class_acc_<suffix>, coverage_<suffix> (and _plain), class_acc_per_<unit>, coverage_per_<unit>."""
    scores = class_scores(model, probe, per_class)
    out = {
        f"class_acc_{suffix}": round(scores.accuracy, 3),
        f"class_acc_per_{unit}": {k: round(v, 3) for k, v in scores.per_class.items()},
    }
    if scores.coverage is not None:
        out[f"coverage_{suffix}"] = round(scores.coverage, 3)
        out[f"coverage_per_{unit}"] = {k: round(v, 3) for k, v in scores.coverage_per_class.items()}
    if plain is not None:
        base = class_scores(plain, probe, per_class)
        out[f"class_acc_{suffix}_plain"] = round(base.accuracy, 3)
        if base.coverage is not None:
            out[f"coverage_{suffix}_plain"] = round(base.coverage, 3)
    return out


def _pixel_keys(model: explore.PaintModel, plain: explore.PaintModel | None, per_class: int) -> dict:
    """class_acc_pixel (_tab, _plain, _real, _per_class): read by the pixel probe."""
    probe = pixel_probe.load(PIXEL_PROBE)
    acc, per = pixel_probe.accuracy(model, probe, per_class)
    tab = pixel_probe.accuracy(model, probe, per_class, explore.default_psi(model))
    out = {
        "class_acc_pixel": round(acc, 3),
        "class_acc_pixel_per_class": {k: round(v, 3) for k, v in per.items()},
        "class_acc_pixel_tab": round(tab[0], 3),
        "class_acc_pixel_tab_per_class": {k: round(v, 3) for k, v in tab[1].items()},
        "class_acc_pixel_real": round(float(probe[1]["held_out_acc"]), 3),
    }
    if plain is not None:
        out["class_acc_pixel_plain"] = round(pixel_probe.accuracy(plain, probe, per_class)[0], 3)
    return out


def _beyond(model: explore.PaintModel, quick: bool) -> dict:
    """My picture and Sweep: invert_l1 and invert_s (bench/paint_invert.py), and a 5x5 sweep's seconds."""
    threads = torch.get_num_threads()
    out = paint_invert.run(quick)  # sets one thread: small batches
    base = {"seed": 23, "psi": explore.default_psi(model), "classes": {model.class_names[0]: 1.0}}
    started = time.perf_counter()
    paint_sweep.run_sweep(model, base, ("seed", "1, 2, 3, 4, 5"), ("direction 1", "-2:2:5"))
    out["sweep_5x5_s"] = round(time.perf_counter() - started, 2)
    torch.set_num_threads(threads)
    return out


def run(quick: bool = False) -> dict:
    configure("cpu")
    model = explore.load_model(BUNDLED, "cpu")
    seeds = iter(range(10**6))
    generate_ms = median_ms(
        lambda: explore.generate(model, next(seeds), explore.default_psi(model), "faces"), repeats=50, warmup=5
    )
    tab_psi = explore.default_psi(model)
    result = {
        "generate_ms": generate_ms,
        "slider_roundtrip_ms": _roundtrip_ms(20 if quick else 50, tab_psi),
        "train_img_per_s": _train_rate(12 if quick else 20),
        "tab_psi": tab_psi,
        "truncation": explore.truncation_of(model),
        "anchor_l1": _anchor_l1(model, False),
    }
    n = 250 if quick else 1000
    fd = fd_to_stats(model, STATS, n)
    result["fd_lite0"] = round(fd, 2)
    result["fd_lite0_tab"] = round(fd_to_stats(model, STATS, n, psi=tab_psi), 2)
    result["fd_lite0_tab_mean"] = round(fd_to_stats(model, STATS, n, psi=MEAN_PSI, truncation="mean"), 2)
    plain = explore.load_model(PLAIN, "cpu") if PLAIN.is_file() else None
    if plain is not None:
        fd_plain = fd_to_stats(plain, STATS, n)
        result["fd_lite0_plain"] = round(fd_plain, 2)
        result["fd_ratio_vs_plain"] = round(fd / fd_plain, 3)
    result["fd_samples"] = n
    if PROBE.is_file():
        per_class = n // 8
        result.update(_class_keys(model, plain, PROBE, per_class, "lite0", "class"))
        tab = class_scores(model, PROBE, per_class, psi=tab_psi)
        before = class_scores(model, PROBE, per_class, psi=MEAN_PSI, truncation="mean")
        result["class_acc_lite0_tab"] = round(tab.accuracy, 3)
        result["coverage_lite0_tab"] = round(tab.coverage, 3) if tab.coverage is not None else None
        result["class_acc_lite0_tab_mean"] = round(before.accuracy, 3)
        result["coverage_lite0_tab_mean"] = round(before.coverage, 3) if before.coverage is not None else None
        result["class_acc_real"] = round(float(np.load(PROBE)["real_acc"]), 3)
        result["class_samples_per_class"] = per_class
    if PIXEL_PROBE.is_file():
        result.update(_pixel_keys(model, plain, n // 8))
    kinds_probe = np.load(KINDS_PROBE) if KINDS_PROBE.is_file() else None
    kind_names = [str(c) for c in kinds_probe["class_names"]] if kinds_probe is not None else None
    kinds = None  # the model of kinds: the default model if it is one, else the bundled emoji-kinds
    if model.class_names == kind_names:
        kinds = model
    elif KINDS.is_file():
        kinds = explore.load_model(KINDS, "cpu")
    if kinds is not None and kinds.class_names == kind_names:
        if kinds is not model:
            result["fd_lite0_kinds"] = round(fd_to_stats(kinds, STATS, n), 2)
        per_kind = max(n // len(kinds.class_names), 4)
        result.update(_class_keys(kinds, plain if kinds is model else None, KINDS_PROBE, per_kind, "kinds", "kind"))
        kinds_tab = class_scores(kinds, KINDS_PROBE, per_kind, psi=explore.default_psi(kinds))
        result["class_acc_kinds_tab"] = round(kinds_tab.accuracy, 3)
        result["coverage_kinds_tab"] = round(kinds_tab.coverage, 3) if kinds_tab.coverage is not None else None
        result["anchor_l1_kinds"] = _anchor_l1(kinds, True)
        result["class_acc_kinds_real"] = round(float(kinds_probe["real_acc"]), 3)
        result["class_samples_per_kind"] = per_kind
    models = {"bundled": BUNDLED, "plain": PLAIN, "kinds": KINDS}
    metas = {k: load_checkpoint(p).meta for k, p in models.items() if p.is_file()}
    stages = {k: _stages(m) for k, m in metas.items()}
    result["train_seconds"] = {k: round(sum(s["seconds"] or 0 for s in v), 1) for k, v in stages.items()}
    result["steps"] = {k: sum(s["steps"] or 0 for s in v) for k, v in stages.items()}
    result["training_stages"] = stages
    result.update(_beyond(model, quick))
    result["machine"] = " ".join(
        filter(
            None,
            [
                platform.machine(),
                f"{os.cpu_count()} cpus",
                f"torch {torch.__version__}",
                f"{torch.get_num_threads()} threads",
            ],
        )
    )
    return result
