"""Words model files: one checkpoint format for both networks (config 'kind' 'gpt' or 'vae'), read
safely, written by a training compact (a finished run: weights only, so training it again fine-tunes)
or resumable (a run that ended early keeps its optimiser state), where a new run starts from, the
sentence saying what was saved, and the slider measurements kept beside a line model."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from engines import checkpoints
from engines.checkpoints import Checkpoint
from engines.fsutil import atomic_write_bytes
from engines.words.gpt import GPT, GPTConfig
from engines.words.rnn_vae import RNNVAE, VAEConfig
from engines.words.tokenizer import CharTokenizer

ENGINE = "words"
KINDS = {"gpt": "a Transformer", "vae": "an RNN-VAE"}
MEASURES_SUFFIX = ".directions.json"


def load_kind(path: str | os.PathLike, kind: str) -> Checkpoint:
    """A Words checkpoint of `kind` ('gpt' or 'vae'), refusing other engines' files and the other kind."""
    ck = checkpoints.load(path, engine=ENGINE)
    if ck.config.get("kind") != kind:
        raise checkpoints.CheckpointError(f"{Path(path).name} is a Words model, but not {KINDS[kind]}")
    return ck


def gpt_of(ck: Checkpoint, device: str = "cpu") -> tuple[GPT, CharTokenizer]:
    """The Transformer a 'gpt' checkpoint holds (float32, in eval mode) and its tokenizer."""
    model = GPT(GPTConfig(**ck.config["gpt"]))
    model.load_state_dict({k: v.float() for k, v in ck.state_dict.items()})
    return model.to(device).eval(), CharTokenizer.from_dict(ck.extra["tokenizer"])


def vae_of(ck: Checkpoint, device: str = "cpu") -> tuple[RNNVAE, CharTokenizer]:
    """The line RNN-VAE a 'vae' checkpoint holds (float32, in eval mode) and its tokenizer."""
    model = RNNVAE(VAEConfig(**ck.config["vae"]))
    model.load_state_dict({k: v.float() for k, v in ck.state_dict.items()})
    return model.to(device).eval(), CharTokenizer.from_dict(ck.extra["tokenizer"])


def load_gpt(path: str | os.PathLike, device: str = "cpu") -> tuple[GPT, CharTokenizer, Checkpoint]:
    """A trained Transformer, its tokenizer and its checkpoint (refusing other files)."""
    ck = load_kind(path, "gpt")
    return (*gpt_of(ck, device), ck)


def load_vae(path: str | os.PathLike, device: str = "cpu") -> tuple[RNNVAE, CharTokenizer, Checkpoint]:
    """A trained line RNN-VAE, its tokenizer and its checkpoint (refusing other files)."""
    ck = load_kind(path, "vae")
    return (*vae_of(ck, device), ck)


def resumable(ck: Checkpoint) -> bool:
    """Whether a checkpoint keeps what resuming needs (its optimiser state)."""
    return "opt" in ck.extra


# ---------------------------------------------------------------- where a run starts
@dataclass
class Start:
    """Where a training run begins: from scratch (`ck` None), resuming `ck` (its steps, history and
    optimiser), or fine-tuning `ck`'s weights with a fresh optimiser and a new count of steps."""

    ck: Checkpoint | None
    resume: bool
    message: str
    lineage: list[dict] = field(default_factory=list)
    step: int = 0
    history: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    seconds_before: float = 0.0


def starting_point(out: Path, init_from: str | os.PathLike | None, kind: str, curves: tuple[str, str]) -> Start:
    """A run into `out`: resume it when it holds its training state; fine-tune it when it was saved
    compact (a finished run); else fine-tune `init_from` when given; else start from scratch.
    `curves` name an old checkpoint's two history columns."""
    if out.is_file():
        ck = load_kind(out, kind)
        if resumable(ck):
            step = int(ck.meta.get("steps", 0))
            return Start(
                ck,
                True,
                f"resumed at step {step}",
                list(ck.meta.get("lineage", [])),
                step,
                history_of(ck.meta, curves),
                float(ck.meta.get("train_seconds", 0.0)),
            )
        base, source = ck, out
    elif init_from:
        base, source = load_kind(init_from, kind), Path(init_from)
    else:
        return Start(None, False, "started")
    name = base.meta.get("name", source.stem)
    return Start(base, False, f"fine-tuning {name}", checkpoints.lineage_after(base.meta))


def history_of(meta: dict, curves: tuple[str, str]) -> list[tuple[int, dict[str, float]]]:
    """A checkpoint's loss history as [(step, {curve: value})]; older files kept (step, a, b) rows."""
    out = []
    for row in meta.get("history", []):
        step, rest = row[0], row[1:]
        if rest and isinstance(rest[0], dict):
            out.append((int(step), dict(rest[0])))
        else:
            out.append((int(step), {c: v for c, v in zip(curves, rest) if v is not None}))
    return out


def too_far(out: Path, start: Start, steps: int) -> None:
    """Refuse to resume a run that already trained the steps asked for (nothing would happen)."""
    if start.resume and start.step >= steps:
        raise ValueError(
            f"{out.stem} has already trained {start.step:,} steps; ask for more than that to go on training it."
        )


# ---------------------------------------------------------------- what a run leaves
def save_run(
    out: Path, model: torch.nn.Module, config: dict, meta: dict, extra: dict, opt: torch.optim.Optimizer | None
) -> Path:
    """Write a training's checkpoint: with `opt`'s state (it resumes) or, `opt` None, compact (weights
    in float32 and what sampling needs; training it again fine-tunes from it)."""
    extra = dict(extra) if opt is None else {**extra, "opt": opt.state_dict()}
    return checkpoints.save(out, Checkpoint(ENGINE, model.state_dict(), config, meta, extra))


# ---------------------------------------------------------------- a line model's slider measurements
def measures_path(checkpoint: str | os.PathLike) -> Path:
    """Where a line model's slider measurements live (beside it)."""
    p = Path(checkpoint)
    return p.with_name(p.stem + MEASURES_SUFFIX)


def save_measures(checkpoint: str | os.PathLike, measured: dict) -> Path:
    """Store a line model's slider measurements beside it."""
    return atomic_write_bytes(measures_path(checkpoint), json.dumps(measured, ensure_ascii=False, indent=1).encode())


def read_measures(checkpoint: str | os.PathLike, file_hash: str | None = None) -> dict | None:
    """The measurements stored beside a checkpoint (None when absent, damaged or for another file version)."""
    try:
        data = json.loads(measures_path(checkpoint).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("directions"), list):
        return None
    if file_hash and data.get("checkpoint") not in (None, file_hash):
        return None
    return data
