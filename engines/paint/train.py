"""Train a Paint GAN: hinge loss, spectral-norm projection D, DiffAugment, EMA generator.

`train(...)` is a generator of `engines.events.TrainEvent` (step, losses {"G", "D"}, pictures/s,
preview grid), so the studio can stream it and stop it and a script can iterate it. The command
line is `python -m engines.paint train ...` (engines/paint/cli_train.py). A run resumes from its
`out` file when that holds its training state, so stopping it loses at most `checkpoint_every`
steps; with `compact=True` a run that completes its steps leaves a compact file instead, which a
later run with the same `out` fine-tunes from.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from engines.events import TrainEvent
from engines.jobs import StopToken, end_reason
from engines.paint.data import ImageSet
from engines.paint.model import GANConfig
from engines.paint.recipe import TrainConfig
from engines.paint.train_run import compact as compact_file
from engines.paint.train_run import prepare
from engines.paint.train_steps import (
    count_step,
    d_step,
    draw_batch,
    ema_step,
    event,
    fit_to_budget,
    g_step,
    preview,
    report,
    set_learning_rates,
)


def train(
    data: ImageSet,
    out: str | Path,
    model_cfg: GANConfig | None = None,
    cfg: TrainConfig | None = None,
    init_from: str | Path | None = None,
    resume: bool = True,
    stop: StopToken | None = None,
    device: str = "auto",
    data_note: str = "",
    name: str | None = None,
    provenance: dict | None = None,
    compact: bool = False,
) -> Iterator[TrainEvent]:
    """Train (or resume, or fine-tune from `init_from`) a Paint model on `data`, writing `out`.

    Yields a TrainEvent every `preview_every` steps (with a preview grid) and after each
    checkpoint; the last event has done=True. Stopping through `stop` saves before returning.
    `provenance` (e.g. recipe, hardware) is kept in the checkpoint's metadata; a fine-tune records
    its base model's training under `lineage`. With `compact`, a run that completes `cfg.steps`
    leaves `out` without its training state (a run that ends early keeps it, to resume).
    """
    run = prepare(
        data, Path(out), model_cfg, cfg or TrainConfig(), init_from, resume, stop, device, data_note, name, provenance
    )
    run.compact_when_done = compact
    yield event(run, preview(run), message=run.message or "started")
    if run.step >= run.total:
        if compact:
            compact_file(run)  # a file left full by an earlier run that completed these steps
        message = f"already trained for {run.step} steps; ask for more steps to continue"
        yield event(run, preview(run), ckpt=run.out, done=True, message=message)
        return
    run.first_step = run.step
    while run.step < run.total:
        set_learning_rates(run)
        batch = draw_batch(run)
        d_loss = d_step(run, batch)
        g_loss = g_step(run, batch)
        ema_step(run)
        count_step(run, d_loss, g_loss)
        fit_now = fit_to_budget(run)
        reason = end_reason(run.step, run.total, stop, run.t0, run.cfg.time_budget_s, time.time())
        ev = report(run, reason, fit_now)
        if ev is not None:
            yield ev
        if reason:
            return
