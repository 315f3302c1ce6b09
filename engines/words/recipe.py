"""What a Words training is asked for and how it schedules itself: the Transformer's settings
(`TrainConfig`) and the line model's (`LinesTrainConfig`), their learning-rate schedules, the pace
estimate both loops use to keep a time budget, and the settings for fine-tuning a line model."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from engines.events import TrainEvent, reach
from engines.words import files


@dataclass(frozen=True)
class TrainConfig:
    """How the character Transformer trains (saved in its checkpoint's metadata)."""

    steps: int = 5000  # total steps; a resumed run continues up to this
    batch: int = 32  # windows of text per step
    lr: float = 1e-3  # peak learning rate (AdamW)
    min_lr: float = 1e-4  # where the cosine decay ends
    warmup: int = 100  # steps of linear warm-up
    weight_decay: float = 0.1  # on weight matrices only
    grad_clip: float = 1.0  # largest gradient norm
    eval_every: int = 250  # steps between held-out evaluations and samples
    eval_batches: int = 20  # batches each held-out evaluation averages
    checkpoint_every: int = 500  # steps between saves (a run also saves when it ends)
    seed: int = 0  # batches and initialisation
    time_budget_s: float | None = None  # end within this many seconds (the schedule follows the clock)
    bf16: bool = False  # bfloat16 autocast for the forward pass (about 1.6x faster on CPUs with AVX512-BF16)
    compact: bool = False  # a run that finishes its steps keeps no optimiser state: training it again fine-tunes


@dataclass(frozen=True)
class LinesTrainConfig:
    """How the line RNN-VAE trains (saved in its checkpoint's metadata)."""

    steps: int = 6000  # total steps; a resumed run continues up to this
    batch: int = 64  # lines per step
    lr: float = 2e-3  # peak learning rate (Adam)
    kl_ramp: float = 0.3  # KL weight rises 0 -> kl_weight over this share of the run
    lr_floor: float = 0.1  # the learning rate decays (cosine) to this share of lr by the end
    kl_weight: float = 1.0  # below 1 keeps more of each line in the latent (sharper reconstructions)
    bucket: bool = True  # batches of lines of similar length
    bf16: bool = False  # bfloat16 autocast for the forward pass
    word_dropout: float = 0.3  # share of the decoder's input characters hidden, so it must use the latent
    eval_every: int = 250  # steps between held-out measurements and samples
    checkpoint_every: int = 500  # steps between saves (a run also saves when it ends)
    seed: int = 0  # initialisation and batches
    time_budget_s: float | None = None  # end within this many seconds (KL ramp and decay follow the clock)
    compact: bool = False  # a run that finishes its steps keeps no optimiser state: training it again fine-tunes


END_ALLOWANCE_S = 1.0
"""Seconds the closing evaluation and the closing sample may each take when a run ends early (time
budget or Stop): at least one batch and a few characters, so a budget is kept within a few seconds."""


def gpt_lr(cfg: TrainConfig, step: int, elapsed_s: float = 0.0) -> float:
    """Linear warm-up then cosine decay to min_lr. The decay follows the steps, or the clock when a
    time budget would end the run sooner: a time-limited run reaches min_lr as its budget runs out
    (less the closing evaluation), not at a step count it never gets to."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    if cfg.time_budget_s:
        progress = max(progress, elapsed_s / max(1e-3, cfg.time_budget_s - 3 * END_ALLOWANCE_S))
    progress = min(1.0, progress)
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * progress))


def run_progress(step: int, steps: int, elapsed_s: float, budget_s: float | None) -> float:
    """How far through its schedule a run is (0..1): by steps, or by time when a time budget
    would end it sooner, so a time-budgeted run still anneals the KL and decays the rate."""
    done = step / max(1, steps)
    if budget_s:
        done = max(done, elapsed_s / budget_s)
    return min(1.0, done)


def lines_lr(cfg: LinesTrainConfig, progress: float) -> float:
    """The line model's learning rate: a cosine from lr down to lr_floor of it over the run."""
    return cfg.lr * (cfg.lr_floor + (1 - cfg.lr_floor) * 0.5 * (1 + math.cos(math.pi * progress)))


def kl_beta(cfg: LinesTrainConfig, progress: float) -> float:
    """The KL term's weight: rising from 0 to kl_weight over the first kl_ramp of the run."""
    return cfg.kl_weight * min(1.0, progress / max(1e-6, cfg.kl_ramp))


def step_estimate(avg: float | None, seconds: float) -> float:
    """A running estimate of one step's seconds. Loops ask `end_reason` about the moment the next
    step would end, so a run never starts a step its time budget cannot hold."""
    return seconds if avg is None else 0.7 * avg + 0.3 * seconds


def eta_s(step: int, steps: int, step_s: float | None, elapsed_s: float, budget_s: float | None) -> float | None:
    """Seconds a run has left at its recent pace (sooner when its time budget ends first)."""
    if step_s is None:
        return None
    left = max(0, steps - step) * step_s
    return max(0.0, min(left, budget_s - elapsed_s)) if budget_s else left


def progress_event(
    cfg: TrainConfig | LinesTrainConfig,
    step: int,
    train_loss: float,
    step_s: float,
    elapsed_s: float,
    history: list[tuple[int, dict[str, float]]],
) -> TrainEvent:
    """A report between evaluations (no sample, no checkpoint): the step, its pace, the time left,
    so a run whose evaluations are far apart still shows where it is."""
    return TrainEvent(
        step,
        cfg.steps,
        {"train": train_loss},
        elapsed_s,
        eta_s(step, cfg.steps, step_s, elapsed_s, cfg.time_budget_s),
        history=list(history),
        stats={
            "steps_per_s": round(1 / max(step_s, 1e-9), 2),
            **reach(step, cfg.steps, step_s, cfg.time_budget_s, elapsed_s),
        },
    )


def finetune_config(init_from: str | Path, **overrides: object) -> LinesTrainConfig:
    """Settings for fine-tuning a trained line model: its own KL weight and character dropout, the
    KL weight at full strength from the first step (the latent is already in use; a fresh ramp
    would let the KL balloon and then squeeze it back), and a gentler learning rate."""
    base = files.load_kind(init_from, "vae").meta.get("train_config", {})
    keep = {k: base[k] for k in ("kl_weight", "word_dropout") if k in base}
    return replace(LinesTrainConfig(lr=1e-3, kl_ramp=0.0, **keep), **overrides)  # type: ignore[arg-type]
