"""The named steps of a Paint training run (`train.train` is the loop over them; `train_run` builds
and saves the run): every step draws a batch, takes a discriminator step and a generator step (with
GLO's pull), moves the EMA generator, fits the run to its time budget, and reports, saving a
checkpoint when one is due."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from engines.events import PROGRESS_EVERY_S, TrainEvent
from engines.jobs import running_mean
from engines.paint.anchors import distance, spread
from engines.paint.images import grid
from engines.paint.losses import class_loss, d_loss_fn, g_loss_fn
from engines.paint.model import one_hot, recalibrate_bn
from engines.paint.recipe import fit_plan, lr_scale
from engines.paint.train_run import Run, checkpoint, compact


@dataclass
class Batch:
    """One step's pictures: their indices, (mirrored) real pictures, labels, one-hot y, prior z and,
    with GLO, each picture's own z (`zi`); `fake` is filled by the discriminator step."""

    idx: torch.Tensor
    real: torch.Tensor
    labels: torch.Tensor
    y: torch.Tensor
    z: torch.Tensor
    zi: torch.Tensor | None
    fake: torch.Tensor | None = None


def set_learning_rates(run: Run) -> None:
    """The learning rates at this step (flat, then the cosine tail)."""
    scale = lr_scale(run.step, run.total, run.cfg.lr_tail)
    for opt, lr in ((run.opt_g, run.cfg.lr_g), (run.opt_d, run.cfg.lr_d)):
        for group in opt.param_groups:
            group["lr"] = lr * scale


def draw_batch(run: Run) -> Batch:
    """Pictures for this step (mirrored at random), their classes, and the z the fakes start from:
    prior z, the first `glo_spread` of them truncated toward the pictures' own z."""
    idx = run.draw(run.batch)
    real, labels = run.x_all[idx], run.y_all[idx]
    y = one_hot(labels, run.n_cls)
    if run.cfg.mirror:
        flip = torch.rand(run.batch, device=run.dev) < 0.5
        real = torch.where(flip[:, None, None, None], real.flip(3), real)
    z = torch.randn(run.batch, run.model_cfg.z_dim, device=run.dev)
    zi = None if run.glo is None else torch.nn.functional.normalize(run.glo(idx), dim=1) * run.radius  # typical length
    if zi is not None and run.cfg.glo_spread > 0:
        z = spread(z, zi.detach(), run.cfg.glo_spread)
    return Batch(idx, real, labels, y, z, zi)


def d_step(run: Run, b: Batch) -> torch.Tensor:
    """Discriminator step: real vs. fake, both augmented the same way, plus naming the real classes."""
    b.fake = run.G(b.z, b.y)
    real_score, real_logits = run.D.score_and_class(run.augment(b.real), b.y)
    loss = d_loss_fn(run.cfg.loss, real_score, run.D(run.augment(b.fake.detach()), b.y))
    loss = loss + class_loss(real_logits, b.labels, run.cfg.class_weight)
    run.opt_d.zero_grad(set_to_none=True)
    loss.backward()
    run.opt_d.step()
    return loss


def g_step(run: Run, b: Batch) -> torch.Tensor:
    """Generator step: fool the discriminator through the same augmentation, be named as the class
    asked for, and (GLO) draw each picture from its own z; the codes learn in the same step."""
    fake_score, fake_logits = run.D.score_and_class(run.augment(b.fake), b.y)
    loss = g_loss_fn(run.cfg.loss, fake_score) + class_loss(fake_logits, b.labels, run.cfg.class_weight)
    loss = loss + glo_loss(run, b)
    run.opt_g.zero_grad(set_to_none=True)
    loss.backward()
    run.opt_g.step()
    if run.opt_glo is not None:
        run.opt_glo.step()
    return loss


def glo_loss(run: Run, b: Batch) -> torch.Tensor | float:
    """GLO's term: each picture's own z (kept at the typical length) must draw it (0 without GLO)."""
    if run.glo is None:
        return 0.0
    rec = distance(run.G(b.zi, b.y), run.x_all[b.idx]).mean()
    run.r_run = running_mean(run.r_run, rec.detach())
    run.opt_glo.zero_grad(set_to_none=True)
    return run.cfg.glo * rec


@torch.no_grad()
def ema_step(run: Run) -> None:
    """Move the EMA generator (the one sampled and saved) toward the trained one."""
    decay = run.cfg.ema if run.cfg.ema > 0 else 0.0
    for pe, p in zip(run.G_ema.parameters(), run.G.parameters()):
        pe.lerp_(p, 1 - decay)


def count_step(run: Run, d_loss: torch.Tensor, g_loss: torch.Tensor) -> None:
    """Advance the step, the loss averages and, after the warm-up step, the timing's start."""
    run.step += 1
    run.d_run = running_mean(run.d_run, d_loss.detach())
    run.g_run = running_mean(run.g_run, g_loss.detach())
    if run.step == run.first_step + 1:
        run.timed_from = (time.time(), run.step)  # the first step warms up; time the ones after it


def fit_to_budget(run: Run) -> bool:
    """With a time budget: once, after TIMING_STEPS timed steps (or sooner on a slow machine), fit
    the batch and total steps to it (True that step); afterwards end sooner if steps grow slower."""
    cfg = run.cfg
    fit_now = (
        run.fit_at is not None
        and run.step > run.timed_from[1]
        and (run.step >= run.fit_at or time.time() - run.t0 > 0.15 * cfg.time_budget_s)
    )
    if fit_now:
        run.fit_at = None
        plan = fit_plan(
            cfg.time_budget_s,
            time.time() - run.t0,
            run.step,
            (time.time() - run.timed_from[0]) / (run.step - run.timed_from[1]),
            run.batch,
            cfg.steps,
            len(run.x_all),
            cfg.anchor_steps,
        )
        run.batch, run.total, run.fitted = plan.batch, plan.steps, (time.time(), run.step, plan.reserve_s)
        run.message = f"fitted to the time budget: batch {run.batch}, {run.total} steps"
    elif run.fitted and run.step % 10 == 0 and run.step > run.fitted[1]:  # slower than timed (a busy machine)
        s_per_step = (time.time() - run.fitted[0]) / (run.step - run.fitted[1])
        left = cfg.time_budget_s - (time.time() - run.t0) - run.fitted[2]
        total = min(run.total, max(run.step + 1, run.step + int(left / s_per_step)))  # never past the steps asked
        if total < run.total:  # say so, so the status and the step count agree
            run.message = f"fitted to the time budget: batch {run.batch}, {total} steps (the machine slowed down)"
        run.total = total
    return fit_now


def report(run: Run, reason: str | None, fit_now: bool) -> TrainEvent | None:
    """The event for this step, if it is one to report (a preview, a checkpoint, the end, or an early
    step); a checkpoint step also saves, and the end saves the final snapshot with anchors."""
    cfg, step = run.cfg, run.step
    early = step - run.first_step in cfg.early_reports or fit_now  # a fitted plan is shown at once
    due = time.time() - run.last_t >= PROGRESS_EVERY_S  # slow steps still report (without a preview)
    if not (step % cfg.preview_every == 0 or step % cfg.checkpoint_every == 0 or reason or early or due):
        return None
    run.d_avg, run.g_avg = float(run.d_run), float(run.g_run)
    now = time.time()
    rate = (step - run.last_step) * run.batch / max(now - run.last_t, 1e-6)
    run.last_t, run.last_step = now, step
    run.history.append((step, {"G": round(run.g_avg, 4), "D": round(run.d_avg, 4)}))
    ckpt = checkpoint(run, bool(reason)) if (step % cfg.checkpoint_every == 0 or reason) else None
    if reason == "finished" and run.compact_when_done and step >= cfg.steps:
        compact(run)  # it completed what was asked: keep what sampling needs, not the optimisers
    eta = (run.total - step) * run.batch / max(rate, 1e-6)
    if cfg.time_budget_s:
        eta = min(eta, max(0.0, cfg.time_budget_s - (now - run.t0)))
    show = None if (early or due) and step % cfg.preview_every and not reason else preview(run)
    note = reason if reason and reason != "finished" else (run.message if early and not reason else "")
    return event(run, show, now - run.t0, 0.0 if reason else eta, rate, ckpt, bool(reason), note)


def event(
    run: Run,
    show: Image.Image | None,
    seconds: float = 0.0,
    eta_s: float | None = None,
    img_per_s: float = 0.0,
    ckpt: Path | None = None,
    done: bool = False,
    message: str = "",
) -> TrainEvent:
    """The report of `run` as it is now: step of total, losses {"G", "D"}, their history, pictures/s and batch."""
    return TrainEvent(
        run.step,
        run.total,
        {"G": run.g_avg, "D": run.d_avg},
        seconds,
        eta_s,
        show,
        ckpt,
        done,
        message,
        list(run.history),
        {"img_per_s": img_per_s, "batch": run.batch},
    )


def preview(run: Run) -> Image.Image:
    """A grid of the EMA generator's pictures from fixed seeds, eight per class."""
    recalibrate_bn(run.G_ema, batches=2)
    with torch.no_grad():
        return grid(run.G_ema(run.fixed_z, run.fixed_y), cols=8)
