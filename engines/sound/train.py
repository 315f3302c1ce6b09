"""Train Sound's note VAE (timbre sliders); the melody model trains in `train_melody.py`. The CLI is
`python -m engines.sound train` (see `__main__.py`).

`train_vae(...)` is a generator of engines.events.TrainEvent (losses {"train": L1, "held-out": L1},
a preview clip) so the UI can stream it and stop it with a StopToken. A run that ends early keeps its
training state and resumes from `out`; a run that completes its steps leaves a compact file, which a
new training fine-tunes from (see `train_common.py`). `plan_budget` fits a run to a time limit.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch

from engines import checkpoints
from engines.checkpoints import Checkpoint
from engines.device import configure
from engines.events import TrainEvent, end_sentence, reach
from engines.jobs import StopToken, end_reason, optimizer_step, running_mean
from engines.sound.audio import TrainingData
from engines.sound.recipe import TrainConfig, learning_rate
from engines.sound.render import NoteSet
from engines.sound.spectrum import SpectrumSettings, logmel_to_audio
from engines.sound.train_common import ENGINE, Start, eta_s, save, start_point
from engines.sound.vae import NoteVAE, NoteVAEConfig

KIND = "vae"


def split(n: int, val_fraction: float = 0.05, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled train / held-out indices (at least one held out)."""
    order = np.random.default_rng(seed).permutation(n)
    k = max(1, int(round(n * val_fraction)))
    return np.sort(order[k:]), np.sort(order[:k])


@torch.no_grad()
def encode_all(model: NoteVAE, notes: NoteSet, batch: int = 256) -> torch.Tensor:
    """Posterior means (N, latent) for every note."""
    model.eval()
    dev = next(model.parameters()).device
    out = []
    for i in range(0, len(notes), batch):
        mu, _ = model.encode(
            torch.as_tensor(notes.logmels[i : i + batch]).float().to(dev),
            torch.as_tensor(notes.pitches[i : i + batch]).to(dev),
            torch.as_tensor(notes.velocities[i : i + batch]).to(dev),
        )
        out.append(mu.cpu())
    return torch.cat(out)


def latent_atlas(model: NoteVAE, notes: NoteSet, names: dict[int, str], max_notes: int = 3000) -> dict[str, object]:
    """Slider axes (principal directions of the posterior means, by variance, with their spread)
    and preset timbres (the mean encoding of each named source)."""
    index = np.random.default_rng(0).permutation(len(notes))[:max_notes]
    sub = notes.subset(np.sort(index))
    mu = encode_all(model, sub)
    mean = mu.mean(0)
    _, s, v = torch.linalg.svd(mu - mean, full_matrices=False)
    std = s / max(1, len(mu) - 1) ** 0.5
    presets = {}
    for label, name in names.items():
        pick = torch.as_tensor(sub.programs == label)
        if pick.any():
            presets[name] = [round(x, 5) for x in mu[pick].mean(0).tolist()]
    return {"mean": mean.tolist(), "directions": v.tolist(), "std": std.tolist(), "presets": presets}


@torch.no_grad()
def vae_metrics(model: NoteVAE, notes: NoteSet, max_notes: int = 512) -> dict[str, float]:
    """Held-out reconstruction error (mean |log-mel difference|, from the posterior mean) and KL."""
    model.eval()
    dev = next(model.parameters()).device
    sub = notes.subset(np.arange(min(len(notes), max_notes)))
    x = torch.as_tensor(sub.logmels).float().to(dev)
    p, v = torch.as_tensor(sub.pitches).to(dev), torch.as_tensor(sub.velocities).to(dev)
    mu, logvar = model.encode(x, p, v)
    recon = model.decode(mu, p, v)
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1).mean()
    model.train()
    return {"recon_logmel_l1": float((recon - x).abs().mean()), "kl": float(kl)}


@torch.no_grad()
def preview(model: NoteVAE, settings: SpectrumSettings) -> np.ndarray:
    """What the model plays now: the centre timbre at middle C, quickly vocoded (float32 wave)."""
    model.eval()
    dev = next(model.parameters()).device
    z = torch.zeros(1, model.cfg.latent, device=dev)
    mel = model.decode(z, torch.tensor([60], device=dev), torch.tensor([100], device=dev))[0].float().cpu().numpy()
    model.train()
    return logmel_to_audio(mel, settings, iters=16).astype(np.float32)


def _model(start: Start, notes: NoteSet, model_cfg: NoteVAEConfig | None) -> NoteVAE:
    """The VAE a run trains: the starting checkpoint's (its own config, its weights) or a new one
    shaped to the notes."""
    if start.checkpoint is not None:
        model = NoteVAE(NoteVAEConfig(**start.checkpoint.config["vae"]))
        state = start.checkpoint.state_dict
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
        return model
    shape = notes.logmels.shape
    return NoteVAE(replace(model_cfg or NoteVAEConfig(), n_mels=shape[1], frames=shape[2]))


def train_vae(
    notes: NoteSet,
    out: str | Path,
    settings: SpectrumSettings | None = None,
    model_cfg: NoteVAEConfig | None = None,
    cfg: TrainConfig | None = None,
    names: dict[int, str] | None = None,
    stop: StopToken | None = None,
    device: str = "auto",
    data_note: str = "",
    name: str | None = None,
    init_from: str | Path | None = None,
) -> Iterator[TrainEvent]:
    """Train (resume, or fine-tune from a finished `out` or from `init_from`) a note VAE; `names`
    labels sources for presets."""
    cfg, out = cfg or TrainConfig(), Path(out)
    settings = settings or SpectrumSettings(n_mels=notes.logmels.shape[1])
    dev = configure(device)
    torch.manual_seed(cfg.seed)
    start = start_point(out, init_from, KIND, cfg.steps)
    model = _model(start, notes, model_cfg).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    if start.optimiser is not None:
        opt.load_state_dict(start.optimiser)
    step, history = start.step, list(start.history)
    train_set, val_set = (notes.subset(i) for i in split(len(notes), seed=cfg.seed))
    data = torch.as_tensor(train_set.logmels)
    pitches, vels = torch.as_tensor(train_set.pitches), torch.as_tensor(train_set.velocities)
    gen = torch.Generator().manual_seed(cfg.seed + step)
    if names is None and start.checkpoint is not None:  # a resumed or fine-tuned model keeps its preset sources
        names = {int(k): v for k, v in start.checkpoint.extra.get("preset_sources", [])}
    names = names or {}
    t0, l1_avg, metrics = time.time(), float("nan"), {}

    def write(reason: str | None) -> Path:
        meta = {
            "data": data_note or f"{len(notes):,} notes",
            "steps": step,
            "train_config": asdict(cfg),
            "metrics": metrics,
            "history": [[s, losses] for s, losses in history[-400:]],
            "name": name or out.stem,
            "train_seconds": round(start.seconds + time.time() - t0, 1),
            "pitch_range": [int(notes.pitches.min()), int(notes.pitches.max())],
            "lineage": start.lineage,
        }
        config = {"kind": KIND, "vae": model.cfg.to_dict(), "spectrum": settings.to_dict()}
        extra = {"atlas": latent_atlas(model, notes, names), "preset_sources": [[k, v] for k, v in names.items()]}
        model.train()
        ck = Checkpoint(ENGINE, model.state_dict(), config, meta, extra)
        return save(out, ck, opt.state_dict(), reason, cfg.compact)

    yield TrainEvent(step, cfg.steps, message=start.message("started"), history=list(history))
    model.train()
    while step < cfg.steps:
        for group in opt.param_groups:
            group["lr"] = learning_rate(cfg, step)
        idx = torch.randint(0, len(data), (min(cfg.batch, len(data)),), generator=gen)
        x = data[idx].float().to(dev)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=cfg.bf16):
            _, l1, kl = model(x, pitches[idx].to(dev), vels[idx].to(dev))
        beta = cfg.kl_weight * min(1.0, step / max(1, cfg.kl_warmup))
        optimizer_step(opt, l1.float() + beta * kl.float(), model.parameters())
        step += 1
        l1_avg = running_mean(l1_avg, l1.item())
        reason = end_reason(step, cfg.steps, stop, t0, cfg.time_budget_s, time.time())
        if step % cfg.eval_every == 0 or reason:
            metrics = vae_metrics(model, val_set)
            losses = {"train": round(l1_avg, 4), "held-out": round(metrics["recon_logmel_l1"], 4)}
            history.append((step, losses))
            ckpt = write(reason) if (step % cfg.checkpoint_every == 0 or reason) else None
            elapsed = time.time() - t0
            yield TrainEvent(
                step,
                cfg.steps,
                losses,
                elapsed,
                None if reason else eta_s(elapsed, step, cfg.steps, step - start.step, cfg.time_budget_s),
                preview(model, settings),
                ckpt,
                bool(reason),
                end_sentence(reason, step, cfg.steps, ckpt, name or out.stem, cfg.compact and reason == "finished")
                if reason
                else "",
                list(history),
                reach(step, cfg.steps, elapsed / max(1, step - start.step), cfg.time_budget_s, elapsed),
            )
        if reason:
            return


PLAN_SHARE = 0.9  # of the budget planned for steps; evaluations, saves and the plan itself take the rest
PLAN_MIN_STEPS = 200  # below this many steps, a smaller batch is tried
PLAN_FINISH = 0.05  # of the budget kept for the last evaluation and save after the run stops


def _step_seconds(data: TrainingData, model: torch.nn.Module, batch: int, dev: torch.device, repeats: int = 3) -> float:
    """Seconds one optimiser step of the note VAE takes at this batch (after one warm-up step)."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    n = min(batch, len(data.notes.logmels))
    x = torch.as_tensor(data.notes.logmels[:n]).float().to(dev)
    p, v = torch.as_tensor(data.notes.pitches[:n]).to(dev), torch.as_tensor(data.notes.velocities[:n]).to(dev)
    times = []
    for _ in range(repeats + 1):
        t = time.perf_counter()
        loss = model(x, p, v)[1]
        optimizer_step(opt, loss, model.parameters())
        times.append(time.perf_counter() - t)
    return float(np.median(times[1:]))


def plan_budget(
    data: TrainingData,
    settings: SpectrumSettings,
    budget_s: float,
    device: str = "auto",
    init_from: str | Path | None = None,
) -> tuple[TrainConfig, str]:
    """A training that fits `budget_s`: times a few steps of the model on this data, then picks the
    batch (halved while fewer than PLAN_MIN_STEPS would fit), the steps that fill PLAN_SHARE of the
    budget after the evaluations, a cosine learning-rate schedule and a KL warm-up over a quarter of
    the run. The run also stops on the clock (time_budget_s: the budget less the planning and a
    PLAN_FINISH share for the last evaluation and save), so it ends on time on a busy machine too;
    a finished run is saved compact, as the studio's are. Returns (config, a line saying so)."""
    t0 = time.perf_counter()
    dev = configure(device)
    if init_from:
        model = NoteVAE(NoteVAEConfig(**checkpoints.load(init_from, engine=ENGINE).config["vae"]))
    else:
        shape = data.notes.logmels.shape
        model = NoteVAE(replace(NoteVAEConfig(), n_mels=shape[1], frames=shape[2]))
    model = model.to(dev).train()
    batch = 64
    while True:
        per_step = _step_seconds(data, model, batch, dev)
        usable = PLAN_SHARE * budget_s - (time.perf_counter() - t0)
        steps = int(usable / (per_step * 1.15))  # ~15% for evaluations every 5% of the run
        if steps >= PLAN_MIN_STEPS or batch <= 16:
            break
        batch //= 2
    steps = max(10, steps)
    every = max(10, steps // 20)
    left = budget_s - (time.perf_counter() - t0) - PLAN_FINISH * budget_s  # the last check and save fit in the rest
    cfg = TrainConfig(
        steps=steps,
        batch=batch,
        eval_every=every,
        checkpoint_every=max(every, steps // 4),
        kl_warmup=max(1, steps // 4),
        time_budget_s=max(left, 0.5 * budget_s),
        lr_schedule="cosine",
        compact=True,
    )
    line = (
        f"Planned for {budget_s / 60:.1f} min: {per_step * 1000:.0f} ms a step at batch {batch}, so "
        f"**{steps} steps**, learning rate falling on a cosine, a check every {every} steps."
    )
    return cfg, line


def train_on(
    data: TrainingData,
    out: str | Path,
    settings: SpectrumSettings,
    cfg: TrainConfig,
    stop: StopToken | None = None,
    name: str | None = None,
    init_from: str | Path | None = None,
    device: str = "auto",
) -> Iterator[TrainEvent]:
    """Train a note VAE on what `prepare_training_data` found, written to `out` (resumed when it exists)."""
    return train_vae(
        data.notes,
        out,
        settings,
        cfg=cfg,
        names=data.names,
        stop=stop,
        name=name,
        data_note=data.described,
        init_from=init_from,
        device=device,
    )
