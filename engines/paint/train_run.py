"""A Paint training run's state and its file: `prepare` builds the run (fresh, resumed from its own
file, or fine-tuned from a base model or from its own compact file), `checkpoint` saves it (sampling
weights, the training state to resume, the records), and a run that completed its steps can leave a
compact file instead (`compact`: what sampling needs, no optimiser state)."""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

from engines import checkpoints
from engines.checkpoints import Checkpoint
from engines.device import configure
from engines.jobs import StopToken
from engines.paint.anchors import invert, nearest_latents
from engines.paint.augment import diff_augment
from engines.paint.data import ImageSet, parent_classes
from engines.paint.export import export_for_sampling
from engines.paint.images import to_tensor
from engines.paint.model import STD_GROUP, Discriminator, GANConfig, Generator, init_weights, one_hot, recalibrate_bn
from engines.paint.recipe import TIMING_STEPS, TrainConfig, class_sampler
from engines.paint.weights import add_std_channel, load_matching, refine_state

ENGINE = "paint"
EARLIER_KEYS = ("recipe", "hardware", "steps", "train_seconds", "train_config")  # kept of each run a resume continues
Losses = dict[str, float]  # {"G": generator loss, "D": discriminator loss}


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
        self.step, self.message, self.seconds_before = 0, "", 0.0
        self.history: list[tuple[int, Losses]] = []  # (step, losses) at every report, kept in the file
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
        self.compact_when_done = False  # completing its steps leaves a compact file (see `compact`)

    def augment(self, x: torch.Tensor) -> torch.Tensor:
        """DiffAugment, one draw per minibatch-std group (so the group's std is content)."""
        return diff_augment(x, self.cfg.augment, self.group)


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
        go_on_from_out(run)
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


def go_on_from_out(run: Run) -> None:
    """Train further the model already saved in `run.out`: resume it when it holds its training state,
    else (a compact file left by a run that completed) fine-tune from it with fresh optimisers."""
    state = checkpoints.load(run.out, engine=ENGINE)
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
    if state.extra.get("train"):
        resume_from_out(run, state)
    else:
        start_from_base(run, run.out)


def resume_from_out(run: Run, state: Checkpoint) -> None:
    """Continue the run saved in `run.out` (read as `state`): its weights, optimisers, step, GLO codes
    and records."""
    tr = state.extra["train"]
    run.G.load_state_dict(tr["G"])
    run.D.load_state_dict(tr["D"])
    if "opt_g" in tr:
        run.opt_g.load_state_dict(tr["opt_g"])
        run.opt_d.load_state_dict(tr["opt_d"])
    run.step = int(tr["step"])
    run.ema_state = tr.get("G_ema")
    run.glo_state = tr.get("glo_z")
    run.history = [history_entry(h) for h in state.meta.get("history", [])]
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


def history_entry(saved: list | tuple) -> tuple[int, Losses]:
    """One (step, losses) of a file's history; files written before the named losses hold (step, D, G)."""
    if len(saved) == 3:
        step, d_loss, g_loss = saved
        return int(step), {"G": float(g_loss), "D": float(d_loss)}
    step, losses = saved
    return int(step), {str(k): float(v) for k, v in losses.items()}


def compact(run: Run) -> Path:
    """Rewrite `run.out` as a compact model (float32 EMA generator, directions, anchors; no training
    state): what a run that completed its steps leaves, since training it again fine-tunes from it."""
    return export_for_sampling(run.out, run.out, half=False)
