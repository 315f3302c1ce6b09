"""Train a Paint GAN: hinge loss, spectral-norm projection D, DiffAugment, EMA generator.

As a library: `train(...)` is a generator of TrainEvent (progress, losses, preview picture), so
the UI can stream it and stop it. As a command:

    python -m engines.paint.train --data emoji --out runs/paint/emoji.pt --steps 20000 \
        --bundle assets/models/paint          # the bundled model's recipe
    python -m engines.paint.train --data my_pictures/ --out ~/atelier/models/paint/mine.pt --steps 2000

A run resumes from `--out` when it exists, so killing it loses at most `--checkpoint-every` steps.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import shlex
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
from PIL import Image

from engines import checkpoints
from engines.checkpoints import Checkpoint
from engines.device import configure, describe_hardware
from engines.jobs import StopToken, end_reason, running_mean
from engines.paint.anchors import distance, invert, spread
from engines.paint.augment import diff_augment
from engines.paint.data import ImageSet, parent_classes
from engines.paint.export import export_for_sampling, export_resume_state
from engines.paint.images import grid, to_tensor
from engines.paint.imle import nearest_latents, pull_loss
from engines.paint.losses import class_loss, d_loss_fn, g_loss_fn
from engines.paint.model import (
    STD_GROUP,
    Discriminator,
    GANConfig,
    Generator,
    init_weights,
    one_hot,
    recalibrate_bn,
)
from engines.paint.projected import VisionAidedDiscriminator
from engines.paint.weights import add_std_channel, load_matching, refine_state

ENGINE = "paint"
EARLIER_KEYS = ("recipe", "hardware", "steps", "train_seconds", "train_config")  # kept of each run a resume continues


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (saved in the checkpoint's metadata)."""

    steps: int = 3000              # total iterations; a resumed run continues up to this
    batch: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.0, 0.99)
    loss: str = "hinge"            # "hinge" or "bce" (the plain DCGAN's non-saturating loss)
    augment: str = "color,translation,cutout"
    ema: float = 0.995             # 0 turns the EMA generator off
    mirror: bool = True
    balance_classes: bool = True   # draw each class equally often, then a picture of it
    class_weight: float = 0.5      # weight of the auxiliary class loss (D names real classes, G's must be named)
    imle: float = 0.0              # weight of the nearest-seed pull (imle.py); 0 turns it off
    imle_every: int = 250          # steps between choosing each real picture's nearest seed afresh
    imle_per_image: int = 8        # random seeds per real picture in its class's candidate pool
    anchor_steps: int = 60         # inversion steps for each picture's anchor, found at the end (0: none)
    glo: float = 10.0              # weight of the anchor pull: each picture's own learnt z must draw it; 0: off
    glo_spread: float = 0.5        # share of fakes drawn near a real picture's learnt z, as the tab draws (with glo)
    seed: int = 0
    checkpoint_every: int = 500
    preview_every: int = 100
    time_budget_s: float | None = None
    fit_budget: bool = True        # with a time budget: time the first steps, then fit batch and steps to it
    lr_tail: float = 0.3           # share of the run's end over which the learning rates fall (cosine) to 10%; 0: flat
    early_reports: tuple[int, ...] = (1, 3, 10, 30)  # steps also reported (rate, ETA) before the first preview

    @classmethod
    def plain(cls, **kw: object) -> TrainConfig:
        """The article's DCGAN recipe: BCE, Adam(0.5, 0.999), no augmentation, no EMA, no anchors."""
        return cls(loss="bce", augment="", ema=0.0, betas=(0.5, 0.999), balance_classes=False, class_weight=0.0,
                   glo=0.0, glo_spread=0.0, lr_tail=0.0, **kw)  # type: ignore[arg-type]


# The defaults above are the bundled emoji model's recipe (assets/models/paint/emoji.pt: --glo 10
# --glo-spread 0.5 --anchor-steps 60); `bundled_recipe` reads them from a checkpoint's metadata.
RECIPE_KEYS = ("glo", "glo_spread", "anchor_steps", "class_weight", "augment", "ema", "balance_classes", "loss",
               "lr_g", "lr_d", "betas", "imle")


def bundled_recipe(meta: dict) -> dict:
    """The recipe settings (RECIPE_KEYS) a checkpoint's metadata records, to train the same way."""
    saved = meta.get("train_config") or {}
    out = {k: saved[k] for k in RECIPE_KEYS if k in saved}
    if "betas" in out:
        out["betas"] = tuple(out["betas"])
    return out


def lr_scale(step: int, total: int, tail: float) -> float:
    """The learning rates' factor at `step` of `total`: 1, then a cosine fall to 0.1 over the last `tail`."""
    if tail <= 0 or total <= 0:
        return 1.0
    start = total * (1 - tail)
    if step <= start:
        return 1.0
    t = min(1.0, (step - start) / max(total - start, 1e-9))
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t))


BATCHES = (64, 32, 16)   # batch sizes a budgeted run may pick, largest first
MIN_FIT_STEPS = 300      # a budgeted run takes a smaller batch rather than fewer steps than this
TIMING_STEPS = 3         # steps timed (after one warm-up step) before a budgeted run fits itself


@dataclass(frozen=True)
class Plan:
    """What a budgeted run fitted: its batch, its total steps, and the seconds kept for the final save."""

    batch: int
    steps: int
    reserve_s: float


def fit_plan(budget_s: float, elapsed_s: float, step: int, s_per_step: float, batch: int, max_steps: int,
             n_images: int, anchor_steps: int) -> Plan:
    """Batch and total steps that end a run within `budget_s`, from the measured seconds per step at
    `batch` (time per step taken as proportional to the batch), keeping time for the final snapshot
    (the anchors' inversion: `anchor_steps` passes over `n_images`)."""
    per_image = s_per_step / batch
    reserve = 3.0 + 0.5 * anchor_steps * per_image * n_images  # an inversion step: about half a training step's work
    left = max(0.0, budget_s - elapsed_s - reserve)
    for b in [b for b in BATCHES if b <= batch] or [batch]:
        steps = int(left / (per_image * b))
        if steps >= MIN_FIT_STEPS or b == min(BATCHES):
            return Plan(b, min(max_steps, step + max(1, steps)), reserve)
    return Plan(batch, min(max_steps, step + max(1, int(left / s_per_step))), reserve)


@dataclass
class TrainEvent:
    """One progress report from `train`."""

    step: int
    total: int
    d_loss: float
    g_loss: float
    img_per_s: float
    elapsed_s: float
    preview: Image.Image | None = None
    checkpoint: Path | None = None
    done: bool = False
    message: str = ""
    history: list[tuple[int, float, float]] = field(default_factory=list)
    eta_s: float | None = None     # seconds left, from the recent rate (None before the first steps)
    batch: int = 0                 # the batch the run uses (a budgeted run may pick a smaller one)


def class_sampler(labels: torch.Tensor, n_cls: int, balance: bool, group: int = 1) -> Callable[[int], torch.Tensor]:
    """A function batch -> picture indices: uniform over pictures, or (balanced) a uniform
    class first and then a picture of it, so a class with few pictures is not learnt last.
    With `group` > 1 every run of `group` pictures shares one class (for minibatch std)."""
    order = torch.argsort(labels, stable=True)
    counts = torch.bincount(labels, minlength=n_cls)
    starts = torch.cumsum(counts, 0) - counts
    present = torch.nonzero(counts).flatten()

    def draw(batch: int) -> torch.Tensor:
        g = group if batch % group == 0 else 1
        if g == 1 and (not balance or n_cls < 2):
            return torch.randint(0, len(labels), (batch,), device=labels.device)
        if balance:
            cls = present[torch.randint(0, len(present), (batch // g,), device=labels.device)]
        else:
            cls = labels[torch.randint(0, len(labels), (batch // g,), device=labels.device)]
        cls = cls.repeat_interleave(g)
        offset = (torch.rand(batch, device=labels.device) * counts[cls]).long()
        return order[starts[cls] + offset]
    return draw


def train(data: ImageSet, out: str | Path, model_cfg: GANConfig | None = None, cfg: TrainConfig | None = None,
          init_from: str | Path | None = None, resume: bool = True, stop: StopToken | None = None,
          device: str = "auto", data_note: str = "", name: str | None = None,
          provenance: dict | None = None) -> Iterator[TrainEvent]:
    """Train (or resume, or fine-tune from `init_from`) a Paint model on `data`, writing `out`.

    Yields a TrainEvent every `preview_every` steps (with a preview grid) and after each
    checkpoint; the last event has done=True. Stopping through `stop` saves before returning.
    `provenance` (e.g. recipe, hardware) is kept in the checkpoint's metadata; a fine-tune records
    its base model's training under `lineage`.
    """
    cfg = cfg or TrainConfig()
    out = Path(out)
    dev = configure(device)
    n_cls = len(data.class_names)
    model_cfg = replace(model_cfg or GANConfig(), n_classes=n_cls, resolution=int(data.images.shape[1]))
    torch.manual_seed(cfg.seed)

    G = Generator(model_cfg).to(dev)
    D = (VisionAidedDiscriminator if model_cfg.projected else Discriminator)(model_cfg).to(dev)
    init_weights(G)
    init_weights(D)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=cfg.betas)
    step, history, message, seconds_before = 0, [], "", 0.0
    ema_state, base_ema, lineage, glo_state, earlier = None, None, [], None, []

    if resume and out.is_file():
        state = checkpoints.load(out, engine=ENGINE)
        tr = state.extra.get("train", {})
        if not tr:
            raise ValueError(f"{out.name} holds no training state to resume from")
        if GANConfig.from_dict(state.config) != model_cfg:
            raise ValueError(f"{out.name} was trained with another architecture or class list; "
                             "choose a new name to train a new model")
        G.load_state_dict(tr["G"])
        D.load_state_dict(tr["D"])
        if "opt_g" in tr:
            opt_g.load_state_dict(tr["opt_g"])
            opt_d.load_state_dict(tr["opt_d"])
        step = int(tr["step"])
        ema_state = tr.get("G_ema")
        glo_state = tr.get("glo_z")
        history = [tuple(h) for h in state.meta.get("history", [])]
        seconds_before = float(state.meta.get("train_seconds", 0.0))
        lineage = state.meta.get("lineage", [])
        earlier = [*state.meta.get("earlier_runs", []), {k: state.meta.get(k) for k in EARLIER_KEYS}]
        message = f"resumed at step {step}"
    elif init_from is not None:
        base = checkpoints.load(init_from, engine=ENGINE)
        tr = base.extra.get("train", {})
        base_names = list(base.meta.get("class_names", []))
        parents = parent_classes(data.class_names, base_names)

        def fit(state: dict[str, torch.Tensor], module: torch.nn.Module) -> dict[str, torch.Tensor]:
            return refine_state(state, module.state_dict(), parents, len(base_names)) if parents else state
        loaded = load_matching(G, fit(tr.get("G", base.state_dict), G))
        if "D" in tr:  # a vision-aided D keeps the pixel D's names: only its projected judge starts afresh
            load_matching(D, add_std_channel(fit(tr["D"], D), D))
        # keep the base's smoothed weights rather than restart the average
        base_ema = fit(tr["G_ema"], G) if "G_ema" in tr else None
        lineage = checkpoints.lineage_after(base.meta)
        message = f"fine-tuning from {Path(init_from).name} ({loaded} generator tensors reused" + \
            (f"; {n_cls} classes refined from {len(base_names)})" if parents else ")")

    G_ema = copy.deepcopy(G).eval().requires_grad_(False)
    if ema_state is not None:
        G_ema.load_state_dict(ema_state)
    elif base_ema is not None:
        load_matching(G_ema, base_ema)

    x_all = to_tensor(data.images).to(dev)
    if dev.type == "cpu":  # about 10% faster convolutions on CPU
        G, D, G_ema = (m.to(memory_format=torch.channels_last) for m in (G, D, G_ema))
        x_all = x_all.contiguous(memory_format=torch.channels_last)
    y_all = torch.from_numpy(data.labels).long().to(dev)
    batch, total = cfg.batch, cfg.steps  # a budgeted run fits both after timing its first steps
    group = STD_GROUP if model_cfg.minibatch_std and batch % STD_GROUP == 0 else 1
    draw = class_sampler(y_all, n_cls, cfg.balance_classes, group)
    fit_at = step + 1 + TIMING_STEPS if (cfg.time_budget_s and cfg.fit_budget) else None

    def augment(x: torch.Tensor) -> torch.Tensor:  # one draw per minibatch-std group, so its std is content
        return diff_augment(x, cfg.augment, group)
    gen = torch.Generator(device="cpu").manual_seed(cfg.seed + step)
    fixed_z = torch.randn(n_cls * 8, model_cfg.z_dim, generator=gen).to(dev)
    fixed_y = one_hot(torch.arange(n_cls).repeat_interleave(8), n_cls).to(dev)
    counts = torch.bincount(y_all, minlength=n_cls).tolist()
    t0, last_t, last_step = time.time(), time.time(), step
    d_avg = g_avg = float("nan")
    d_run = g_run = p_run = r_run = None  # loss averages kept on the device, read at reports only: no sync per step
    anchors, anchored_at = None, step
    radius = model_cfg.z_dim ** 0.5

    glo = opt_glo = None
    if cfg.glo > 0:  # GLO-style: every picture has its own z, learnt with G, that must draw it
        start = glo_state if glo_state is not None and len(glo_state) == len(x_all) else \
            nearest_latents(G, x_all, y_all, 8, generator=torch.Generator().manual_seed(cfg.seed))
        start = start.float().to(dev)
        glo = torch.nn.Embedding.from_pretrained(start * (radius / start.norm(dim=1, keepdim=True)), freeze=False,
                                                 sparse=True)
        opt_glo = torch.optim.SparseAdam(glo.parameters(), lr=0.01)

    def snapshot(final: bool = False) -> Path:
        recalibrate_bn(G_ema)
        found = {}
        if final and cfg.anchor_steps > 0:  # each training picture's z, for truncation toward real pictures
            init = glo.weight.detach() if glo is not None else None
            found = {"anchors": invert(G_ema, x_all, y_all, cfg.anchor_steps, seed=cfg.seed, init=init).to_payload()}
        meta = {"data": data_note or data.describe(), "class_names": list(data.class_names),
                "class_counts": counts,
                "images": int(len(data.images)), "steps": step, "train_config": asdict(cfg),
                "metrics": {"d_loss": d_avg, "g_loss": g_avg,
                            **({"imle_pull": float(p_run)} if p_run is not None else {}),
                            **({"glo_pull": float(r_run)} if r_run is not None else {})},
                "history": history[-400:],
                "name": name or out.stem, "train_seconds": round(seconds_before + time.time() - t0, 1),
                **(provenance or {}), "lineage": lineage, "earlier_runs": earlier}
        extra = {"train": {"G": G.state_dict(), "D": D.state_dict(), "G_ema": G_ema.state_dict(),
                           "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "step": step,
                           **({"glo_z": glo.weight.detach().cpu()} if glo is not None else {})}, **found}
        checkpoints.save(out, Checkpoint(ENGINE, G_ema.state_dict(), model_cfg.to_dict(), meta, extra))
        return out

    def preview() -> Image.Image:
        recalibrate_bn(G_ema, batches=2)
        with torch.no_grad():
            return grid(G_ema(fixed_z, fixed_y), cols=8)

    yield TrainEvent(step, total, d_avg, g_avg, 0.0, 0.0, preview(), message=message or "started", batch=batch)
    if step >= total:
        yield TrainEvent(step, total, d_avg, g_avg, 0.0, 0.0, preview(), out, True,
                         f"already trained for {step} steps; ask for more steps to continue", list(history))
        return
    first_step, timed_from, fitted = step, None, None
    while step < total:
        scale = lr_scale(step, total, cfg.lr_tail)
        for opt, lr in ((opt_g, cfg.lr_g), (opt_d, cfg.lr_d)):
            for group_ in opt.param_groups:
                group_["lr"] = lr * scale
        idx = draw(batch)
        real, labels = x_all[idx], y_all[idx]
        y = one_hot(labels, n_cls)
        if cfg.mirror:
            flip = torch.rand(batch, device=dev) < 0.5
            real = torch.where(flip[:, None, None, None], real.flip(3), real)
        z = torch.randn(batch, model_cfg.z_dim, device=dev)
        zi = None if glo is None else torch.nn.functional.normalize(glo(idx), dim=1) * radius  # own z, typical length
        if zi is not None and cfg.glo_spread > 0:
            z = spread(z, zi.detach(), cfg.glo_spread)
        if cfg.imle > 0 and (anchors is None or step - anchored_at >= cfg.imle_every):
            anchors, anchored_at = nearest_latents(G, x_all, y_all, cfg.imle_per_image,
                                                   generator=torch.Generator().manual_seed(cfg.seed + step)), step

        # discriminator step: real vs. fake, both augmented the same way
        fake = G(z, y)
        real_score, real_logits = D.score_and_class(augment(real), y)
        d_loss = d_loss_fn(cfg.loss, real_score, D(augment(fake.detach()), y))
        d_loss = d_loss + class_loss(real_logits, labels, cfg.class_weight)
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()

        # generator step: fool the discriminator through the same augmentation
        fake_score, fake_logits = D.score_and_class(augment(fake), y)
        g_loss = g_loss_fn(cfg.loss, fake_score) + class_loss(fake_logits, labels, cfg.class_weight)
        if anchors is not None:  # IMLE: the seed nearest each real picture is pulled closer to it
            pull = pull_loss(G(anchors[idx], y), x_all[idx])
            g_loss = g_loss + cfg.imle * pull
            p_run = running_mean(p_run, pull.detach())
        if glo is not None:  # GLO: each picture's own z (kept at the typical length) must draw it
            rec = distance(G(zi, y), x_all[idx]).mean()
            g_loss = g_loss + cfg.glo * rec
            r_run = running_mean(r_run, rec.detach())
            opt_glo.zero_grad(set_to_none=True)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        if glo is not None:
            opt_glo.step()

        # EMA of generator weights for sampling
        with torch.no_grad():
            decay = cfg.ema if cfg.ema > 0 else 0.0
            for pe, p in zip(G_ema.parameters(), G.parameters()):
                pe.lerp_(p, 1 - decay)
        step += 1
        d_run = running_mean(d_run, d_loss.detach())
        g_run = running_mean(g_run, g_loss.detach())
        if step == first_step + 1:
            timed_from = (time.time(), step)  # the first step warms up; time the ones after it
        fit_now = fit_at is not None and step > timed_from[1] and (  # once, after TIMING_STEPS timed steps
            step >= fit_at or time.time() - t0 > 0.15 * cfg.time_budget_s)     # or sooner on a slow machine
        if fit_now:
            fit_at = None
            plan = fit_plan(cfg.time_budget_s, time.time() - t0, step, (time.time() - timed_from[0]) /
                            (step - timed_from[1]), batch, cfg.steps, len(x_all), cfg.anchor_steps)
            batch, total, fitted = plan.batch, plan.steps, (time.time(), step, plan.reserve_s)
            message = f"fitted to the time budget: batch {batch}, {total} steps"
        elif fitted and step % 10 == 0 and step > fitted[1]:  # slower than timed (a busy machine): end sooner
            s_per_step = (time.time() - fitted[0]) / (step - fitted[1])
            left = cfg.time_budget_s - (time.time() - t0) - fitted[2]
            total = max(step + 1, min(total, step + int(left / s_per_step)))
        reason = end_reason(step, total, stop, t0, cfg.time_budget_s, time.time())
        early = step - first_step in cfg.early_reports or fit_now  # a fitted plan is shown at once
        if step % cfg.preview_every == 0 or step % cfg.checkpoint_every == 0 or reason or early:
            d_avg, g_avg = float(d_run), float(g_run)
            now = time.time()
            rate = (step - last_step) * batch / max(now - last_t, 1e-6)
            last_t, last_step = now, step
            history.append((step, round(d_avg, 4), round(g_avg, 4)))
            ckpt = snapshot(bool(reason)) if (step % cfg.checkpoint_every == 0 or reason) else None
            eta = (total - step) * batch / max(rate, 1e-6)
            if cfg.time_budget_s:
                eta = min(eta, max(0.0, cfg.time_budget_s - (now - t0)))
            show = None if early and step % cfg.preview_every else preview()
            note = reason if reason and reason != "finished" else (message if early and not reason else "")
            yield TrainEvent(step, total, d_avg, g_avg, rate, now - t0, show, ckpt, bool(reason), note,
                             list(history), eta_s=0.0 if reason else eta, batch=batch)
        if reason:
            return


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, nargs="+", help="'emoji' or 'emoji-kinds' for the bundled set "
                   "(8 groups or 33 kinds), a prepared .npz "
                   "(python -m engines.paint.emoji --out emoji64.npz), or files/folders/zips")
    p.add_argument("--out", required=True, help="checkpoint to write (and resume from)")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--resolution", type=int, default=64, choices=(32, 64, 128))
    p.add_argument("--width", type=int, default=48, help="ngf = ndf")
    p.add_argument("--plain", action="store_true", help="the article's DCGAN (ablation baseline)")
    p.add_argument("--finetune", help="start from this Paint checkpoint (e.g. the bundled one); classes named "
                   "'<its class>: <kind>' start as their parent class")
    p.add_argument("--resume-from", help="a compact training state (see --bundle) to continue when --out is new")
    p.add_argument("--time-budget", type=float, help="stop after this many seconds of this run (resumable)")
    p.add_argument("--class-weight", type=float, help="weight of the auxiliary class loss (default 0.5; "
                   "lower keeps more variety within each class when there are many small classes)")
    p.add_argument("--minibatch-std", action="store_true", help="let D see how varied each group of four pictures "
                   "of one class is (keeps a class from drawing one picture for every seed)")
    p.add_argument("--projected", action="store_true", help="a second D judges frozen EfficientNet-lite0 "
                   "features (vision-aided, Projected GAN; on a GPU, with --projected-size 128 or more)")
    p.add_argument("--projected-size", type=int, default=0, help="the size that judge reads pictures at (0: as they are)")
    p.add_argument("--imle", type=float, default=0.0, help="weight of the nearest-seed pull: every real picture "
                   "gets a seed that draws it (e.g. 4; 0: off)")
    p.add_argument("--imle-every", type=int, default=250, help="steps between choosing those seeds afresh")
    p.add_argument("--glo", type=float, default=TrainConfig.glo, help="weight of the anchor pull: each picture "
                   "gets its own z, learnt with G, that must draw it (the bundled model's 10; 0: off)")
    p.add_argument("--glo-spread", type=float, default=TrainConfig.glo_spread, help="with --glo: the share of fakes "
                   "truncated toward a real picture's z by a random psi, as the tab draws (the bundled model's 0.5)")
    p.add_argument("--anchor-steps", type=int, default=TrainConfig.anchor_steps,
                   help="inversion steps for the anchors found at the end (the bundled model's 60)")
    p.add_argument("--lr-tail", type=float, default=TrainConfig.lr_tail, help="share of the run's end over which "
                   "the learning rates fall to 10%% (0: flat)")
    p.add_argument("--fit-budget", action="store_true", help="with --time-budget: time a few steps, then fit the "
                   "batch and steps (and the learning-rate tail) to end within it, as the tab does (without it a "
                   "budget just stops a resumable run)")
    p.add_argument("--checkpoint-every", type=int, default=500)
    p.add_argument("--preview-every", type=int, default=250)
    p.add_argument("--previews", help="folder for preview grids")
    p.add_argument("--bundle", help="also export a compact sampling copy into this folder at each checkpoint")
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    from engines.paint.data import training_set
    data, note = training_set(args.data, args.resolution)
    print(f"data: {data.describe()}; classes: {data.class_names}", flush=True)

    model_cfg = GANConfig.plain(ngf=args.width, ndf=args.width) if args.plain else \
        GANConfig(ngf=args.width, ndf=args.width, minibatch_std=args.minibatch_std, projected=args.projected,
                  projected_size=args.projected_size)
    base = TrainConfig.plain if args.plain else TrainConfig
    cfg = base(steps=args.steps, batch=args.batch, seed=args.seed, checkpoint_every=args.checkpoint_every,
               preview_every=args.preview_every, time_budget_s=args.time_budget)
    if args.class_weight is not None:
        cfg = replace(cfg, class_weight=args.class_weight)
    if args.imle:
        cfg = replace(cfg, imle=args.imle, imle_every=args.imle_every)
    if not args.plain:
        cfg = replace(cfg, glo=args.glo, glo_spread=args.glo_spread, anchor_steps=args.anchor_steps)
    cfg = replace(cfg, lr_tail=0.0 if args.plain else args.lr_tail, fit_budget=args.fit_budget)
    if args.resume_from and not Path(args.out).exists():
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.resume_from, args.out)
    previews = Path(args.previews) if args.previews else None
    if previews:
        previews.mkdir(parents=True, exist_ok=True)
    provenance = {"recipe": "python -m engines.paint.train " + shlex.join(sys.argv[1:] if argv is None else argv),
                  "hardware": describe_hardware(args.device)}
    for ev in train(data, args.out, model_cfg, cfg, init_from=args.finetune, device=args.device, data_note=note,
                    name=Path(args.out).stem, provenance=provenance):
        print(json.dumps({"step": ev.step, "d_loss": round(ev.d_loss, 4), "g_loss": round(ev.g_loss, 4),
                          "img_per_s": round(ev.img_per_s, 1), "elapsed_s": round(ev.elapsed_s, 1),
                          "msg": ev.message}), flush=True)
        if previews and ev.preview is not None:
            ev.preview.save(previews / f"step{ev.step:06d}.png")
        if ev.checkpoint and args.bundle:
            dst = Path(args.bundle) / f"{Path(args.out).stem}.pt"
            export_for_sampling(ev.checkpoint, dst)
            state = export_resume_state(ev.checkpoint, Path(args.bundle) / "train-state" / f"{Path(args.out).stem}.pt")
            print(f"exported {dst} ({dst.stat().st_size / 1e6:.1f} MB) and {state}", flush=True)


if __name__ == "__main__":
    main()
