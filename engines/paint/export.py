"""Compact copies of a trained Paint checkpoint: one for sampling (bundling, or what a studio training
that completed its steps leaves) and one to resume training on another machine; and the sentence
that tells an artist which kind of file a training left."""

from __future__ import annotations

from pathlib import Path

from engines import checkpoints
from engines.checkpoints import Checkpoint
from engines.paint import directions
from engines.paint.explore import load_model

ENGINE = "paint"


def export_for_sampling(src: str | Path, dst: str | Path, half: bool = True) -> Path:
    """Write a compact copy of a trained model (EMA generator only, fp16 unless `half` is False, its
    directions and anchors; no training state or loss history); `dst` may be `src`."""
    ck = checkpoints.load(src, engine=ENGINE)
    state = {k: (v.half() if half and v.is_floating_point() else v) for k, v in ck.state_dict.items()}
    meta = {k: v for k, v in ck.meta.items() if k != "history"}
    extra = {
        "directions": directions.to_payload(load_model(src).directions),
        **({"anchors": ck.extra["anchors"]} if "anchors" in ck.extra else {}),
    }
    return checkpoints.save(dst, Checkpoint(ENGINE, state, ck.config, meta, extra))


def export_resume_state(src: str | Path, dst: str | Path) -> Path:
    """A compact copy that can resume training on another machine: G, D and EMA weights in
    fp16, without optimizer moments (Adam re-estimates them within a few hundred steps)."""
    ck = checkpoints.load(src, engine=ENGINE)
    tr = ck.extra["train"]
    half = {
        key: {k: (v.half() if v.is_floating_point() else v) for k, v in tr[key].items()} for key in ("G", "D", "G_ema")
    }
    glo = {"glo_z": tr["glo_z"].half()} if "glo_z" in tr else {}
    return checkpoints.save(
        dst, Checkpoint(ENGINE, half["G_ema"], ck.config, ck.meta, {"train": {**half, **glo, "step": tr["step"]}})
    )


def resumable(path: str | Path) -> bool:
    """Whether a Paint model file holds its training state (a run can resume it), or is compact."""
    return bool(checkpoints.load(path, engine=ENGINE).extra.get("train"))
