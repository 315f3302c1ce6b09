"""Train Sound's note VAE (timbre sliders). The melody model trains in engines.sound.melody_train.

    python -m engines.sound.train --model vae --data fluidr3 --out runs/sound/notes.pt --steps 6000 \
        --bundle assets/models/sound
    python -m engines.sound.train --model vae --data my_recordings/ --out ~/atelier/models/sound/mine.pt --steps 1500

As a library, `train_vae(...)` is a generator of SoundEvent (progress,
losses, a preview clip) so the UI can stream and stop them. A run resumes from `out` when it
exists, so killing it loses at most `checkpoint_every` steps.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from engines import checkpoints, tempfiles
from engines.checkpoints import Checkpoint
from engines.device import configure
from engines.jobs import StopToken, end_reason, optimizer_step, running_mean
from engines.sound.audio import TrainingData
from engines.sound.render import NoteSet
from engines.sound.spectrum import SpectrumSettings
from engines.sound.vae import NoteVAE, NoteVAEConfig

ENGINE = "sound"


@dataclass(frozen=True)
class SoundTrainConfig:
    steps: int = 6000
    batch: int = 64
    lr: float = 1e-3
    kl_weight: float = 3e-4  # final weight of KL (nats per note) against L1 (per mel value)
    kl_warmup: int = 1000  # steps over which the KL weight rises from 0
    eval_every: int = 250
    checkpoint_every: int = 500
    seed: int = 0
    bf16: bool = False
    time_budget_s: float | None = None
    lr_schedule: str = "constant"  # or "cosine": from lr down to a tenth of it over `steps`


def learning_rate(cfg: SoundTrainConfig, step: int) -> float:
    """The learning rate at a step under the config's schedule."""
    if cfg.lr_schedule != "cosine":
        return cfg.lr
    t = min(1.0, step / max(1, cfg.steps))
    return cfg.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * t)))


@dataclass
class SoundEvent:
    step: int
    total: int
    loss: float
    val: float | None
    preview: np.ndarray | None = None  # a short clip (float32 wave at the model's rate)
    checkpoint: Path | None = None
    done: bool = False
    message: str = ""
    seconds: float = 0.0
    history: list[tuple[int, float, float | None]] = field(default_factory=list)


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


def _resume(out: Path, kind: str):
    if not out.is_file():
        return None
    ck = checkpoints.load(out, engine=ENGINE)
    if ck.config.get("kind") != kind:
        raise checkpoints.CheckpointError(f"{out.name} is a Sound model of another kind; choose a new name")
    return ck


def _optimiser(model: torch.nn.Module, cfg: SoundTrainConfig, ck) -> tuple[torch.optim.Optimizer, int, list, float]:
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    if ck is None:
        return opt, 0, [], 0.0
    model.load_state_dict(ck.state_dict)
    if "opt" in ck.extra:
        opt.load_state_dict(ck.extra["opt"])
    return (
        opt,
        int(ck.meta.get("steps", 0)),
        [tuple(h) for h in ck.meta.get("history", [])],
        float(ck.meta.get("train_seconds", 0.0)),
    )


def train_vae(
    notes: NoteSet,
    out: str | Path,
    settings: SpectrumSettings | None = None,
    model_cfg: NoteVAEConfig | None = None,
    cfg: SoundTrainConfig | None = None,
    names: dict[int, str] | None = None,
    stop: StopToken | None = None,
    device: str = "auto",
    data_note: str = "",
    name: str | None = None,
    init_from: str | Path | None = None,
) -> Iterator[SoundEvent]:
    """Train (or resume, or fine-tune from `init_from`) a note VAE; `names` labels sources for presets."""
    cfg, out = cfg or SoundTrainConfig(), Path(out)
    settings = settings or SpectrumSettings(n_mels=notes.logmels.shape[1])
    dev = configure(device)
    torch.manual_seed(cfg.seed)
    ck = _resume(out, "vae")
    if ck is not None:
        model_cfg = NoteVAEConfig(**ck.config["vae"])
    elif init_from:
        base = checkpoints.load(init_from, engine=ENGINE)
        model_cfg = NoteVAEConfig(**base.config["vae"])
    else:
        model_cfg = replace(model_cfg or NoteVAEConfig(), n_mels=notes.logmels.shape[1], frames=notes.logmels.shape[2])
    model = NoteVAE(model_cfg).to(dev)
    if ck is None and init_from:
        model.load_state_dict(base.state_dict)
    opt, step, history, seconds_before = _optimiser(model, cfg, ck)
    train_idx, val_idx = split(len(notes), seed=cfg.seed)
    train_set, val_set = notes.subset(train_idx), notes.subset(val_idx)
    data = torch.as_tensor(train_set.logmels)
    pitches, vels = torch.as_tensor(train_set.pitches), torch.as_tensor(train_set.velocities)
    gen = torch.Generator().manual_seed(cfg.seed + step)
    if names is None and ck is not None:  # a resumed run keeps its preset sources
        names = {int(k): v for k, v in ck.extra.get("preset_sources", [])}
    names = names or {}
    t0, l1_avg, metrics = time.time(), float("nan"), {}

    def save() -> Path:
        atlas = latent_atlas(model, notes, names)
        meta = {
            "data": data_note or f"{len(notes):,} notes",
            "steps": step,
            "train_config": asdict(cfg),
            "metrics": metrics,
            "history": history[-400:],
            "name": name or out.stem,
            "train_seconds": round(seconds_before + time.time() - t0, 1),
            "pitch_range": [int(notes.pitches.min()), int(notes.pitches.max())],
        }
        config = {"kind": "vae", "vae": model_cfg.to_dict(), "spectrum": settings.to_dict()}
        model.train()
        return checkpoints.save(
            out,
            Checkpoint(
                ENGINE,
                model.state_dict(),
                config,
                meta,
                {"atlas": atlas, "preset_sources": [[k, v] for k, v in names.items()], "opt": opt.state_dict()},
            ),
        )

    def preview() -> np.ndarray:
        from engines.sound.spectrum import logmel_to_audio

        model.eval()
        with torch.no_grad():
            mel = (
                model.decode(
                    torch.zeros(1, model_cfg.latent, device=dev),
                    torch.tensor([60], device=dev),
                    torch.tensor([100], device=dev),
                )[0]
                .float()
                .cpu()
                .numpy()
            )
        model.train()
        return logmel_to_audio(mel, settings, iters=16).astype(np.float32)

    yield SoundEvent(step, cfg.steps, l1_avg, None, message="resumed at step %d" % step if step else "started")
    model.train()
    while step < cfg.steps:
        for group in opt.param_groups:
            group["lr"] = learning_rate(cfg, step)
        idx = torch.randint(0, len(data), (min(cfg.batch, len(data)),), generator=gen)
        x = data[idx].float().to(dev)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=cfg.bf16):
            _, l1, kl = model(x, pitches[idx].to(dev), vels[idx].to(dev))
        beta = cfg.kl_weight * min(1.0, step / max(1, cfg.kl_warmup))
        loss = l1.float() + beta * kl.float()
        optimizer_step(opt, loss, model.parameters())
        step += 1
        l1_avg = running_mean(l1_avg, l1.item())
        reason = end_reason(step, cfg.steps, stop, t0, cfg.time_budget_s, time.time())
        if step % cfg.eval_every == 0 or reason:
            metrics = vae_metrics(model, val_set)
            history.append((step, round(l1_avg, 4), round(metrics["recon_logmel_l1"], 4)))
            ckpt = save() if (step % cfg.checkpoint_every == 0 or reason) else None
            yield SoundEvent(
                step,
                cfg.steps,
                l1_avg,
                metrics["recon_logmel_l1"],
                preview(),
                ckpt,
                bool(reason),
                reason or "",
                time.time() - t0,
                list(history),
            )
        if reason:
            return


def studio_config(steps: int, time_budget_s: float | None = None) -> SoundTrainConfig:
    """The studio's recipe for a training on the artist's sounds: frequent evaluations (a live
    loss plot and preview), a checkpoint every 250 steps, the KL weight warming over a quarter."""
    return SoundTrainConfig(
        steps=int(steps),
        batch=64,
        eval_every=50,
        checkpoint_every=250,
        kl_warmup=max(1, int(steps) // 4),
        time_budget_s=time_budget_s,
    )


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
) -> tuple[SoundTrainConfig, str]:
    """A training that fits `budget_s`: times a few steps of the model on this data, then picks the
    batch (halved while fewer than PLAN_MIN_STEPS would fit), the steps that fill PLAN_SHARE of the
    budget after the evaluations, a cosine learning-rate schedule and a KL warm-up over a quarter of
    the run. The run also stops on the clock (time_budget_s: the budget less the planning and a
    PLAN_FINISH share for the last evaluation and save), so it ends on time on a busy machine too.
    Returns (config, a line saying so)."""
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
    cfg = SoundTrainConfig(
        steps=steps,
        batch=batch,
        eval_every=every,
        checkpoint_every=max(every, steps // 4),
        kl_warmup=max(1, steps // 4),
        time_budget_s=max(left, 0.5 * budget_s),
        lr_schedule="cosine",
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
    cfg: SoundTrainConfig,
    stop: StopToken | None = None,
    name: str | None = None,
    init_from: str | Path | None = None,
    device: str = "auto",
) -> Iterator[SoundEvent]:
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


def main(argv: list[str] | None = None) -> None:
    from engines.sound import render

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["vae"], default="vae", help="the note VAE (the only kind trained here)")
    p.add_argument(
        "--data", nargs="+", required=True, help="'fluidr3' (the bundled recipe) or audio files/folders/zips"
    )
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=6000)
    p.add_argument("--batch", type=int)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--latent", type=int, default=16)
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast (faster on recent CPUs and GPUs)")
    p.add_argument("--init-from", help="fine-tune from this Sound model")
    p.add_argument("--bundle", help="also write a compact float16 copy into this folder when done")
    p.add_argument("--device", default="auto")
    args = p.parse_args(argv)
    settings = SpectrumSettings(n_mels=128)
    batch = args.batch or 64
    cfg = SoundTrainConfig(steps=args.steps, batch=batch, lr=args.lr, bf16=args.bf16)
    t0 = time.time()
    if args.data == ["fluidr3"]:
        notes = render.render_notes(settings)
        note = (
            f"FluidR3_GM (fluid-soundfont-gm, MIT) via tinysoundfont: {len(render.PROGRAMS)} General MIDI "
            f"programs x MIDI {render.LOW}-{render.HIGH} x velocities {list(render.VELOCITIES)} = "
            f"{len(notes):,} notes of {render.NOTE_FRAMES} frames, 5% held out"
        )
        names = {prog: render.GM_NAMES[prog] for prog in render.PRESETS}
    else:
        from engines.sound import audio

        with tempfiles.job_dir("sound-train") as work:  # unpacked zips go once the data is read
            clips = audio.load_many(args.data, settings, work, max_bytes=10**12)  # the artist's own folders
        notes, names = audio.notes_from_clips(clips, settings)
        note = f"{len(notes):,} notes cut by onsets from {len(clips)} file(s): {', '.join(c.name for c in clips[:8])}"
    print(f"{note} (prepared in {time.time() - t0:.0f} s)", flush=True)
    events = train_vae(
        notes,
        args.out,
        settings,
        NoteVAEConfig(latent=args.latent),
        cfg,
        names,
        device=args.device,
        data_note=note,
        init_from=args.init_from,
    )
    for ev in events:
        print(
            json.dumps(
                {
                    "step": ev.step,
                    "loss": round(ev.loss, 4),
                    "val": None if ev.val is None else round(ev.val, 4),
                    "seconds": round(ev.seconds, 1),
                    "msg": ev.message,
                }
            ),
            flush=True,
        )
    if args.bundle:
        dst = checkpoints.export_compact(args.out, Path(args.bundle) / Path(args.out).name, ENGINE)
        print(f"bundled {dst} ({dst.stat().st_size / 1e6:.1f} MB); fine-tune it further with --init-from", flush=True)


if __name__ == "__main__":
    main()
