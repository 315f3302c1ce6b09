"""The named steps of a Paint training run (`train.train` is the loop over them): `prepare` builds
the run (fresh, resumed or fine-tuned), then every step draws a batch, takes a discriminator step and
a generator step (with GLO's pull), moves the EMA generator, fits the run to its time budget, and
reports, saving a checkpoint when one is due."""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
from PIL import Image

from engines import checkpoints
from engines.checkpoints import Checkpoint
from engines.device import configure
from engines.jobs import StopToken, running_mean
from engines.paint.anchors import distance, invert, nearest_latents, spread
from engines.paint.augment import diff_augment
from engines.paint.data import ImageSet, parent_classes
from engines.paint.images import grid, to_tensor
from engines.paint.losses import class_loss, d_loss_fn, g_loss_fn
from engines.paint.model import STD_GROUP, Discriminator, GANConfig, Generator, init_weights, one_hot, recalibrate_bn
from engines.paint.recipe import TIMING_STEPS, TrainConfig, TrainEvent, class_sampler, fit_plan, lr_scale
from engines.paint.weights import add_std_channel, load_matching, refine_state

ENGINE = "paint"
EARLIER_KEYS = ("recipe", "hardware", "steps", "train_seconds", "train_config")  # kept of each run a resume continues


class Run:
    """Everything one training run holds between its steps: models, optimisers, data on the device,
    the step count and loss averages, and the timing that fits it to a budget. `prepare` makes one."""

    def __init__(
        self,
        data: ImageSet,
        out: Path,
        model_cfg: GANConfig,
        cfg: TrainConfig,
        dev: torch.device,
        stop: StopToken | None,
        data_note: str,
        name: str | None,
        provenance: dict | None,
    ) -> None:
        self.data, self.out, self.model_cfg, self.cfg, self.dev, self.stop = data, out, model_cfg, cfg, dev, stop
        self.data_note, self.name, self.provenance = data_note, name, provenance
        self.n_cls = model_cfg.n_classes
        self.step, self.history, self.message, self.seconds_before = 0, [], "", 0.0
        self.ema_state: dict | None = None
        self.base_ema: dict | None = None
        self.glo_state: torch.Tensor | None = None
        self.lineage: list = []
        self.earlier: list = []
        self.glo: torch.nn.Embedding | None = None
        self.opt_glo: torch.optim.Optimizer | None = None
        self.d_avg = self.g_avg = float("nan")
        self.d_run = self.g_run = self.r_run = None  # loss averages kept on the device, read at reports only
        self.radius = model_cfg.z_dim**0.5
        self.first_step = 0
        self.timed_from: tuple[float, int] | None = None
        self.fitted: tuple[float, int, float] | None = None

    def augment(self, x: torch.Tensor) -> torch.Tensor:
        """DiffAugment, one draw per minibatch-std group (so the group's std is content)."""
        return diff_augment(x, self.cfg.augment, self.group)


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


def prepare(
    data: ImageSet,
    out: Path,
    model_cfg: GANConfig | None,
    cfg: TrainConfig,
    init_from: str | Path | None,
    resume: bool,
    stop: StopToken | None,
    device: str,
    data_note: str,
    name: str | None,
    provenance: dict | None,
) -> Run:
    """Build the models and optimisers, resume from `out` or start from `init_from`, and put the
    pictures, the class sampler, the fixed preview seeds and (with GLO) every picture's own z in place."""
    dev = configure(device)
    model_cfg = replace(model_cfg or GANConfig(), n_classes=len(data.class_names), resolution=int(data.images.shape[1]))
    run = Run(data, out, model_cfg, cfg, dev, stop, data_note, name, provenance)
    torch.manual_seed(cfg.seed)
    run.G, run.D = Generator(model_cfg).to(dev), Discriminator(model_cfg).to(dev)
    init_weights(run.G)
    init_weights(run.D)
    run.opt_g = torch.optim.Adam(run.G.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    run.opt_d = torch.optim.Adam(run.D.parameters(), lr=cfg.lr_d, betas=cfg.betas)
    if resume and out.is_file():
        resume_from_out(run)
    elif init_from is not None:
        start_from_base(run, init_from)
    run.G_ema = copy.deepcopy(run.G).eval().requires_grad_(False)
    if run.ema_state is not None:
        run.G_ema.load_state_dict(run.ema_state)
    elif run.base_ema is not None:
        load_matching(run.G_ema, run.base_ema)

    run.x_all = to_tensor(data.images).to(dev)
    if dev.type == "cpu":  # about 10% faster convolutions on CPU
        run.G, run.D, run.G_ema = (m.to(memory_format=torch.channels_last) for m in (run.G, run.D, run.G_ema))
        run.x_all = run.x_all.contiguous(memory_format=torch.channels_last)
    run.y_all = torch.from_numpy(data.labels).long().to(dev)
    run.batch, run.total = cfg.batch, cfg.steps  # a budgeted run fits both after timing its first steps
    run.group = STD_GROUP if model_cfg.minibatch_std and run.batch % STD_GROUP == 0 else 1
    run.draw = class_sampler(run.y_all, run.n_cls, cfg.balance_classes, run.group)
    run.fit_at = run.step + 1 + TIMING_STEPS if (cfg.time_budget_s and cfg.fit_budget) else None
    gen = torch.Generator(device="cpu").manual_seed(cfg.seed + run.step)
    run.fixed_z = torch.randn(run.n_cls * 8, model_cfg.z_dim, generator=gen).to(dev)
    run.fixed_y = one_hot(torch.arange(run.n_cls).repeat_interleave(8), run.n_cls).to(dev)
    run.counts = torch.bincount(run.y_all, minlength=run.n_cls).tolist()
    run.t0 = run.last_t = time.time()
    run.last_step = run.step
    if cfg.glo > 0:  # GLO-style: every picture has its own z, learnt with G, that must draw it
        start = (
            run.glo_state
            if run.glo_state is not None and len(run.glo_state) == len(run.x_all)
            else nearest_latents(run.G, run.x_all, run.y_all, 8, generator=torch.Generator().manual_seed(cfg.seed))
        )
        start = start.float().to(dev)
        run.glo = torch.nn.Embedding.from_pretrained(
            start * (run.radius / start.norm(dim=1, keepdim=True)), freeze=False, sparse=True
        )
        run.opt_glo = torch.optim.SparseAdam(run.glo.parameters(), lr=0.01)
    return run


def resume_from_out(run: Run) -> None:
    """Continue the run saved in `run.out`: its weights, optimisers, step, GLO codes and records."""
    state = checkpoints.load(run.out, engine=ENGINE)
    tr = state.extra.get("train", {})
    if not tr:
        raise ValueError(f"{run.out.name} holds no training state to resume from")
    if state.config.get("projected"):
        raise ValueError(
            f"{run.out.name} was trained with the vision-aided discriminator, which Atelier no longer "
            "has; fine-tune from it under a new name instead"
        )
    if GANConfig.from_dict(state.config) != run.model_cfg:
        raise ValueError(
            f"{run.out.name} was trained with another architecture or class list; "
            "choose a new name to train a new model"
        )
    run.G.load_state_dict(tr["G"])
    run.D.load_state_dict(tr["D"])
    if "opt_g" in tr:
        run.opt_g.load_state_dict(tr["opt_g"])
        run.opt_d.load_state_dict(tr["opt_d"])
    run.step = int(tr["step"])
    run.ema_state = tr.get("G_ema")
    run.glo_state = tr.get("glo_z")
    run.history = [tuple(h) for h in state.meta.get("history", [])]
    run.seconds_before = float(state.meta.get("train_seconds", 0.0))
    run.lineage = state.meta.get("lineage", [])
    run.earlier = [*state.meta.get("earlier_runs", []), {k: state.meta.get(k) for k in EARLIER_KEYS}]
    run.message = f"resumed at step {run.step}"


def start_from_base(run: Run, init_from: str | Path) -> None:
    """Fine-tune: start G, D and the EMA generator from a base model, refining its classes into
    finer ones ('<class>: <kind>') where the data asks for them."""
    base = checkpoints.load(init_from, engine=ENGINE)
    tr = base.extra.get("train", {})
    base_names = list(base.meta.get("class_names", []))
    parents = parent_classes(run.data.class_names, base_names)

    def fit(state: dict[str, torch.Tensor], module: torch.nn.Module) -> dict[str, torch.Tensor]:
        return refine_state(state, module.state_dict(), parents, len(base_names)) if parents else state

    loaded = load_matching(run.G, fit(tr.get("G", base.state_dict), run.G))
    if "D" in tr:  # tensors the base's D has and this one lacks (or shapes it changed) are left as initialised
        load_matching(run.D, add_std_channel(fit(tr["D"], run.D), run.D))
    # keep the base's smoothed weights rather than restart the average
    run.base_ema = fit(tr["G_ema"], run.G) if "G_ema" in tr else None
    run.lineage = checkpoints.lineage_after(base.meta)
    run.message = f"fine-tuning from {Path(init_from).name} ({loaded} generator tensors reused" + (
        f"; {run.n_cls} classes refined from {len(base_names)})" if parents else ")"
    )


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
        total = max(run.step + 1, min(run.total, run.step + int(left / s_per_step)))
        if total < run.total:  # say so, so the status and the step count agree
            run.message = f"fitted to the time budget: batch {run.batch}, {total} steps (the machine slowed down)"
        run.total = total
    return fit_now


def report(run: Run, reason: str | None, fit_now: bool) -> TrainEvent | None:
    """The event for this step, if it is one to report (a preview, a checkpoint, the end, or an early
    step); a checkpoint step also saves, and the end saves the final snapshot with anchors."""
    cfg, step = run.cfg, run.step
    early = step - run.first_step in cfg.early_reports or fit_now  # a fitted plan is shown at once
    if not (step % cfg.preview_every == 0 or step % cfg.checkpoint_every == 0 or reason or early):
        return None
    run.d_avg, run.g_avg = float(run.d_run), float(run.g_run)
    now = time.time()
    rate = (step - run.last_step) * run.batch / max(now - run.last_t, 1e-6)
    run.last_t, run.last_step = now, step
    run.history.append((step, round(run.d_avg, 4), round(run.g_avg, 4)))
    ckpt = checkpoint(run, bool(reason)) if (step % cfg.checkpoint_every == 0 or reason) else None
    eta = (run.total - step) * run.batch / max(rate, 1e-6)
    if cfg.time_budget_s:
        eta = min(eta, max(0.0, cfg.time_budget_s - (now - run.t0)))
    show = None if early and step % cfg.preview_every else preview(run)
    note = reason if reason and reason != "finished" else (run.message if early and not reason else "")
    return TrainEvent(
        step,
        run.total,
        run.d_avg,
        run.g_avg,
        rate,
        now - run.t0,
        show,
        ckpt,
        bool(reason),
        note,
        list(run.history),
        eta_s=0.0 if reason else eta,
        batch=run.batch,
    )


def checkpoint(run: Run, final: bool = False) -> Path:
    """Save the run to `run.out`: the EMA generator for sampling, the training state to resume, and
    the records; the final snapshot also finds each training picture's anchor (its z)."""
    cfg = run.cfg
    recalibrate_bn(run.G_ema)
    found = {}
    if final and cfg.anchor_steps > 0:  # each training picture's z, for truncation toward real pictures
        init = run.glo.weight.detach() if run.glo is not None else None
        found = {
            "anchors": invert(run.G_ema, run.x_all, run.y_all, cfg.anchor_steps, seed=cfg.seed, init=init).to_payload()
        }
    meta = {
        "data": run.data_note or run.data.describe(),
        "class_names": list(run.data.class_names),
        "class_counts": run.counts,
        "images": int(len(run.data.images)),
        "steps": run.step,
        "train_config": asdict(cfg),
        "metrics": {
            "d_loss": run.d_avg,
            "g_loss": run.g_avg,
            **({"glo_pull": float(run.r_run)} if run.r_run is not None else {}),
        },
        "history": run.history[-400:],
        "name": run.name or run.out.stem,
        "train_seconds": round(run.seconds_before + time.time() - run.t0, 1),
        **(run.provenance or {}),
        "lineage": run.lineage,
        "earlier_runs": run.earlier,
    }
    extra = {
        "train": {
            "G": run.G.state_dict(),
            "D": run.D.state_dict(),
            "G_ema": run.G_ema.state_dict(),
            "opt_g": run.opt_g.state_dict(),
            "opt_d": run.opt_d.state_dict(),
            "step": run.step,
            **({"glo_z": run.glo.weight.detach().cpu()} if run.glo is not None else {}),
        },
        **found,
    }
    checkpoints.save(run.out, Checkpoint(ENGINE, run.G_ema.state_dict(), run.model_cfg.to_dict(), meta, extra))
    return run.out


def preview(run: Run) -> Image.Image:
    """A grid of the EMA generator's pictures from fixed seeds, eight per class."""
    recalibrate_bn(run.G_ema, batches=2)
    with torch.no_grad():
        return grid(run.G_ema(run.fixed_z, run.fixed_y), cols=8)
