"""What a Sound training run is asked for: the note VAE's settings (TrainConfig) and the melody RNN's
(MelodyTrainConfig), their learning-rate schedules, and the studio's recipes for a training on the
artist's own sounds or MIDI files. Each config is saved in its checkpoint's metadata, and the CLI's
options are made from these fields (engines.cli), so flags and defaults cannot drift."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class TrainConfig:
    """The note VAE's optimisation settings."""

    steps: int = 6000  # optimiser steps; a resumed run continues up to this
    batch: int = 64  # notes per step
    lr: float = 1e-3  # Adam
    kl_weight: float = 3e-4  # final weight of KL (nats per note) against L1 (per mel value)
    kl_warmup: int = 1000  # steps over which the KL weight rises from 0
    eval_every: int = 250  # steps between held-out checks (a point on the loss plot, a preview)
    checkpoint_every: int = 500  # steps between saves (a killed run loses at most this many)
    seed: int = 0
    bf16: bool = False  # bfloat16 autocast (faster on recent CPUs and GPUs)
    time_budget_s: float | None = None  # stop (and save) after this many seconds
    lr_schedule: str = "constant"  # or "cosine": from lr down to a tenth of it over `steps`
    compact: bool = False  # a run that finishes its steps keeps no optimiser state: training it again fine-tunes


def learning_rate(cfg: TrainConfig, step: int) -> float:
    """The note VAE's learning rate at a step under the config's schedule."""
    if cfg.lr_schedule != "cosine":
        return cfg.lr
    t = min(1.0, step / max(1, cfg.steps))
    return cfg.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * t)))


def studio_config(steps: int, time_budget_s: float | None = None) -> TrainConfig:
    """The studio's recipe for a training on the artist's sounds: frequent evaluations (a live
    loss plot and preview), a checkpoint every 250 steps, the KL weight warming over a quarter; a
    finished run is saved compact."""
    return TrainConfig(
        steps=int(steps),
        batch=64,
        eval_every=50,
        checkpoint_every=250,
        kl_warmup=max(1, int(steps) // 4),
        time_budget_s=time_budget_s,
        compact=True,
    )


@dataclass(frozen=True)
class MelodyTrainConfig:
    """The melody RNN's optimisation settings."""

    steps: int = 3000  # optimiser steps
    batch: int = 32  # windows per step
    window: int = 64  # events per window
    lr: float = 2e-3  # AdamW, cosine-decayed to lr / 20
    weight_decay: float = 1e-5
    transpose: int = 6  # random shift in [-transpose + 1, transpose] semitones per window
    eval_every: int = 250  # steps between held-out checks
    checkpoint_every: int = 500  # steps between saves
    seed: int = 0
    time_budget_s: float | None = None  # stop (and save) after this many seconds
    compact: bool = False  # a run that finishes its steps keeps no optimiser state: training it again fine-tunes


def melody_learning_rate(cfg: MelodyTrainConfig, step: int, elapsed: float) -> float:
    """Warm up over 100 steps, then a cosine to lr / 20 over the run, whose end is the step count
    or the time budget, whichever comes first (so a budgeted run still anneals)."""
    warm = min(1.0, (step + 1) / 100)
    done = step / max(1, cfg.steps)
    if cfg.time_budget_s:
        done = max(done, elapsed / cfg.time_budget_s)
    cos = 0.5 * (1 + math.cos(math.pi * min(1.0, done)))
    return cfg.lr * warm * (0.05 + 0.95 * cos)


def melody_studio_config(steps: int, time_budget_s: float | None = None) -> MelodyTrainConfig:
    """The studio's recipe for a melody training on the artist's MIDI files: about ten checks and
    five saves over the run (at most every 250 and 500 steps); a finished run is saved compact."""
    steps = int(steps)
    return MelodyTrainConfig(
        steps=steps,
        eval_every=max(10, min(250, steps // 10)),
        checkpoint_every=max(10, min(500, steps // 5)),
        time_budget_s=time_budget_s,
        compact=True,
    )
