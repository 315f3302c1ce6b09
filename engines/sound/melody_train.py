"""Train the melody RNN on note events: public-domain fiddle tunes, or a folder of the artist's MIDI files.

    python -m engines.sound.melody_train --data music21 --workers 2 --out runs/melody/melody.pt --steps 3000 \\
        --time-budget-s 1320 --eval-every 200 --checkpoint-every 200 --threads 1 --device cpu \\
        --bundle assets/models/sound
    python -m engines.sound.melody_train --data my_midi/ --out ~/atelier/models/sound/mine.pt --steps 2000 \\
        --init-from assets/models/sound/melody.pt

As a library, `train_melody(...)` is a generator of MelodyEvent (step, loss, held-out NLL, elapsed,
ETA) so the UI can stream it and stop it with a StopToken; it ends at `steps`, at the time budget or
on stop, saving atomically. A run resumes from `out` when it exists, so a kill loses at most
`checkpoint_every` steps. Every window is moved to a random key (transposition augmentation), and
whole tunes are held out to measure the negative log-likelihood per event against a unigram baseline.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from engines import checkpoints
from engines.checkpoints import Checkpoint
from engines.device import configure
from engines.jobs import StopToken, end_reason, optimizer_step, running_mean
from engines.sound.melody import (
    DURATIONS,
    ENGINE,
    KIND,
    N_PITCH,
    PITCH_HI,
    PITCH_LO,
    REST,
    Events,
    MelodyConfig,
    MelodyRNN,
    Tune,
    encode,
    model_from_checkpoint,
)


@dataclass(frozen=True)
class MelodyTrainConfig:
    steps: int = 3000  # optimiser steps
    batch: int = 32  # windows per step
    window: int = 64  # events per window
    lr: float = 2e-3  # Adam, cosine-decayed to lr / 20
    weight_decay: float = 1e-5
    transpose: int = 6  # random shift in [-transpose + 1, transpose] semitones per window
    eval_every: int = 250
    checkpoint_every: int = 500
    seed: int = 0
    time_budget_s: float | None = None  # stop (and save) after this many seconds


@dataclass
class MelodyEvent:
    step: int
    total: int
    loss: float  # running mean training NLL per event (nats)
    val: float | None  # held-out NLL per event (nats)
    elapsed: float  # seconds in this run
    eta: float | None  # seconds still to go at the current pace (capped by the budget)
    checkpoint: Path | None = None
    done: bool = False
    message: str = ""
    history: list[tuple[int, float, float | None]] = field(default_factory=list)


# ---------------------------------------------------------------- data as padded tensors
@dataclass
class EventSet:
    """Encoded tunes, each a row of tokens (padded with `mask` 0) plus its conditioning."""

    pitch: torch.Tensor  # (N, T) long
    dur: torch.Tensor  # (N, T)
    pos: torch.Tensor  # (N, T)
    mask: torch.Tensor  # (N, T) float, 1 for real events
    tonic: torch.Tensor  # (N,)
    mode: torch.Tensor  # (N,)
    metre: torch.Tensor  # (N,)
    lengths: np.ndarray  # (N,)

    def __len__(self) -> int:
        return len(self.lengths)


def event_set(tunes: Sequence[Tune], max_len: int = 2048) -> EventSet:
    """Encode tunes (each cut at `max_len` events) into padded tensors."""
    evs: list[Events] = [e for e in (encode(t) for t in tunes) if len(e.pitch) >= 2]
    if not evs:
        raise ValueError("no tune with at least two notes to learn from")
    T = min(max_len, max(len(e.pitch) for e in evs))
    n = len(evs)
    pitch, dur, pos = (torch.zeros(n, T, dtype=torch.long) for _ in range(3))
    mask = torch.zeros(n, T)
    for i, e in enumerate(evs):
        k = min(T, len(e.pitch))
        pitch[i, :k], dur[i, :k], pos[i, :k] = (torch.tensor(x[:k]) for x in (e.pitch, e.dur, e.pos))
        mask[i, :k] = 1
    cond = [torch.tensor([getattr(e, a) for e in evs]) for a in ("tonic", "mode", "metre")]
    return EventSet(pitch, dur, pos, mask, *cond, np.array([min(T, len(e.pitch)) for e in evs]))


def transpose_tokens(
    pitch: torch.Tensor, tonic: torch.Tensor, shift: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Move pitch tokens (B, T) and tonics (B,) by `shift` (B,) semitones; rests stay rests, pitches
    leaving the model's range fold back by an octave, an unknown key (12) stays unknown."""
    moved = pitch + shift[:, None]
    moved = torch.where(moved < 0, moved + 12, moved)
    moved = torch.where(moved > PITCH_HI - PITCH_LO, moved - 12, moved)
    pitch = torch.where(pitch == REST, pitch, moved)
    tonic = torch.where(tonic == 12, tonic, (tonic + shift) % 12)
    return pitch, tonic


def sample_batch(data: EventSet, cfg: MelodyTrainConfig, gen: torch.Generator) -> tuple[torch.Tensor, ...]:
    """`batch` windows of `window` events from tunes picked by length, a third from a tune's start,
    each moved to a random key."""
    weights = torch.as_tensor(data.lengths, dtype=torch.float)
    idx = torch.multinomial(weights, cfg.batch, replacement=True, generator=gen)
    W = min(cfg.window, data.pitch.shape[1])
    starts = []
    for i in idx.tolist():
        room = max(1, int(data.lengths[i]) - W + 1)
        r = torch.randint(0, room, (1,), generator=gen).item()
        starts.append(0 if torch.rand(1, generator=gen).item() < 1 / 3 else r)
    cols = torch.tensor(starts)[:, None] + torch.arange(W)[None]
    cols = cols.clamp(max=data.pitch.shape[1] - 1)
    rows = idx[:, None]
    pitch, dur, pos, mask = (t[rows, cols] for t in (data.pitch, data.dur, data.pos, data.mask))
    shift = (
        torch.randint(-cfg.transpose + 1, cfg.transpose + 1, (cfg.batch,), generator=gen)
        if cfg.transpose
        else torch.zeros(cfg.batch, dtype=torch.long)
    )
    pitch, tonic = transpose_tokens(pitch, data.tonic[idx], shift)
    return pitch, dur, pos, tonic, data.mode[idx], data.metre[idx], mask


# ---------------------------------------------------------------- measures
@torch.no_grad()
def held_out_nll(model: MelodyRNN, data: EventSet, batch: int = 64) -> float:
    """Mean NLL per event (nats) over whole held-out tunes, each read from its start."""
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    total, count = 0.0, 0.0
    for i in range(0, len(data), batch):
        sl = slice(i, i + batch)
        m = data.mask[sl].to(dev)
        loss = model.loss(
            *(t[sl].to(dev) for t in (data.pitch, data.dur, data.pos, data.tonic, data.mode, data.metre)), m
        )
        total += float(loss) * float(m.sum())
        count += float(m.sum())
    model.train(was)
    return total / max(count, 1.0)


def unigram_nll(train: EventSet, held: EventSet) -> float:
    """The baseline: NLL per held-out event under the training set's (pitch, duration) frequencies
    (add-one smoothed), i.e. a model that knows which events are common but not what comes next."""
    counts = Counter(zip(train.pitch[train.mask > 0].tolist(), train.dur[train.mask > 0].tolist()))
    total = sum(counts.values()) + N_PITCH * len(DURATIONS)
    pairs = zip(held.pitch[held.mask > 0].tolist(), held.dur[held.mask > 0].tolist())
    nll = [-math.log((counts.get(p, 0) + 1) / total) for p in pairs]
    return float(np.mean(nll))


# ---------------------------------------------------------------- the loop
def _lr(cfg: MelodyTrainConfig, step: int, elapsed: float) -> float:
    """Warm up over 100 steps, then a cosine to lr / 20 over the run, whose end is the step count
    or the time budget, whichever comes first (so a budgeted run still anneals)."""
    warm = min(1.0, (step + 1) / 100)
    done = step / max(1, cfg.steps)
    if cfg.time_budget_s:
        done = max(done, elapsed / cfg.time_budget_s)
    cos = 0.5 * (1 + math.cos(math.pi * min(1.0, done)))
    return cfg.lr * warm * (0.05 + 0.95 * cos)


def train_melody(
    train: Sequence[Tune],
    held_out: Sequence[Tune],
    out: str | Path,
    model_cfg: MelodyConfig | None = None,
    cfg: MelodyTrainConfig | None = None,
    stop: StopToken | None = None,
    device: str = "auto",
    data_note: str = "",
    licence: str = "",
    name: str | None = None,
    init_from: str | Path | None = None,
) -> Iterator[MelodyEvent]:
    """Train (or resume from `out`, or fine-tune from `init_from`) a melody RNN; yields MelodyEvents."""
    cfg, out = cfg or MelodyTrainConfig(), Path(out)
    dev = configure(device)
    torch.manual_seed(cfg.seed)
    ck = checkpoints.load(out, engine=ENGINE) if out.is_file() else None
    base = checkpoints.load(init_from, engine=ENGINE) if ck is None and init_from else None
    source = ck or base
    if source is not None and source.config.get("kind") != KIND:
        raise checkpoints.CheckpointError(f"{out.name if ck else Path(init_from).name} is not a melody model")
    model_cfg = MelodyConfig(**source.config["melody"]) if source else (model_cfg or MelodyConfig())
    model = (model_from_checkpoint(source) if source else MelodyRNN(model_cfg)).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    step, history, seconds_before = 0, [], 0.0
    if ck is not None:
        if "opt" in ck.extra:
            opt.load_state_dict(ck.extra["opt"])
        step, history = int(ck.meta.get("steps", 0)), [tuple(h) for h in ck.meta.get("history", [])]
        seconds_before = float(ck.meta.get("train_seconds", 0.0))
    train_set = event_set(train, max_len=4096)
    held_set = event_set(held_out, max_len=1024) if held_out else event_set(train[: max(1, len(train) // 20)])
    baseline = unigram_nll(train_set, held_set)
    gen = torch.Generator().manual_seed(cfg.seed + step)
    t0, avg, val, start_step = time.time(), float("nan"), None, step
    lineage = checkpoints.lineage_after(base.meta) if base is not None else (ck.meta.get("lineage", []) if ck else [])

    def save() -> Path:
        meta = {
            "name": name or out.stem,
            "data": data_note or f"{len(train):,} tunes",
            "licence": licence,
            "steps": step,
            "train_config": asdict(cfg),
            "train_seconds": round(seconds_before + time.time() - t0, 1),
            "history": history[-400:],
            "metrics": {
                "train_nll": None if math.isnan(avg) else round(avg, 4),
                "val_nll": val,
                "val_nll_unigram": round(baseline, 4),
                "held_out_tunes": len(held_set),
                "train_tunes": len(train_set),
            },
            "lineage": lineage,
        }
        config = {"kind": KIND, "melody": model_cfg.to_dict()}
        return checkpoints.save(out, Checkpoint(ENGINE, model.state_dict(), config, meta, {"opt": opt.state_dict()}))

    yield MelodyEvent(
        step,
        cfg.steps,
        avg,
        None,
        0.0,
        None,
        message=f"resumed at step {step}"
        if step
        else f"started: {len(train_set)} tunes, {len(held_set)} held out; unigram NLL {baseline:.3f}",
    )
    model.train()
    while step < cfg.steps:
        for g in opt.param_groups:
            g["lr"] = _lr(cfg, step, time.time() - t0)
        batch = [t.to(dev) for t in sample_batch(train_set, cfg, gen)]
        loss = model.loss(*batch)
        optimizer_step(opt, loss, model.parameters())
        step += 1
        avg = running_mean(avg, loss.item())
        now = time.time()
        reason = end_reason(step, cfg.steps, stop, t0, cfg.time_budget_s, now)
        if step % cfg.eval_every == 0 or reason:
            val = round(held_out_nll(model, held_set), 4)
            history.append((step, round(avg, 4), val))
            ckpt = save() if (step % cfg.checkpoint_every == 0 or reason) else None
            elapsed = time.time() - t0
            eta = None if reason else _eta(elapsed, step, cfg, step - start_step)
            yield MelodyEvent(step, cfg.steps, avg, val, elapsed, eta, ckpt, bool(reason), reason or "", list(history))
        if reason:
            return


def _eta(elapsed: float, step: int, cfg: MelodyTrainConfig, steps_done: int) -> float:
    per_step = elapsed / max(1, steps_done)
    left = (cfg.steps - step) * per_step
    if cfg.time_budget_s is not None:
        left = min(left, max(0.0, cfg.time_budget_s - elapsed))
    return round(left, 1)


# ---------------------------------------------------------------- CLI
def _add_config_args(parser: argparse.ArgumentParser, cls: type, prefix: str = "") -> None:
    """One --option per dataclass field (its default and comment-free type), so the CLI never
    re-declares the config by hand."""
    for f in dataclasses.fields(cls):
        default = f.default
        kind = float if f.type in ("float | None", "float") else int if f.type == "int" else float
        parser.add_argument(
            f"--{prefix}{f.name.replace('_', '-')}",
            type=kind,
            default=default,
            help=f"{cls.__name__}.{f.name} (default {default})",
        )


def _config_from(args: argparse.Namespace, cls: type, prefix: str = ""):
    return cls(**{f.name: getattr(args, (prefix + f.name).replace("-", "_")) for f in dataclasses.fields(cls)})


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the Sound melody RNN (note events -> next note).")
    parser.add_argument(
        "--data",
        default="music21",
        help="'music21' (public-domain fiddle tunes from music21's corpus; needs the train extra) "
        "or a folder of MIDI files",
    )
    parser.add_argument("--out", required=True, help="checkpoint to write (resumed when it exists)")
    parser.add_argument("--cache", default="runs/melody/corpus", help="parsed-corpus cache folder (music21 data)")
    parser.add_argument("--no-parse", action="store_true", help="train on what the corpus cache already holds")
    parser.add_argument("--workers", type=int, default=1, help="processes parsing the corpus the first time")
    parser.add_argument("--init-from", default=None, help="fine-tune from this melody checkpoint")
    parser.add_argument("--bundle", default=None, help="also write a compact float16 copy (no optimiser) here")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: the device default)")
    _add_config_args(parser, MelodyTrainConfig)
    _add_config_args(parser, MelodyConfig, prefix="model-")
    args = parser.parse_args(argv)
    if args.threads:
        os.environ["ATELIER_THREADS"] = str(args.threads)  # engines.device.configure reads it
    cfg, model_cfg = _config_from(args, MelodyTrainConfig), _config_from(args, MelodyConfig, "model_")
    from engines.sound import melody_data

    t0 = time.time()
    if args.data == "music21":
        tunes = melody_data.read_corpus(args.cache, workers=args.workers, parse=not args.no_parse)
        licence = melody_data.LICENCE_NOTE
        note = f"{len(tunes):,} tunes from music21's corpus ({', '.join(melody_data.REPERTORIES)})"
    else:
        tunes, problems = melody_data.read_midi_folder(args.data)
        if problems:
            print(f"{len(problems)} MIDI file(s) skipped, e.g. {problems[0]}", flush=True)
        licence, note = "the artist's own MIDI files", f"{len(tunes):,} tracks from MIDI files in {args.data}"
    train, held = melody_data.split_by_tune(tunes, by="title" if args.data == "music21" else "source")
    note += f"; {len(held)} whole tunes held out (by title); random transpositions of up to {cfg.transpose} semitones"
    print(f"{note} (read in {time.time() - t0:.0f} s)", flush=True)
    for ev in train_melody(
        train,
        held,
        args.out,
        model_cfg,
        cfg,
        device=args.device,
        data_note=note,
        licence=licence,
        init_from=args.init_from,
    ):
        print(
            json.dumps(
                {
                    "step": ev.step,
                    "loss": None if math.isnan(ev.loss) else round(ev.loss, 4),
                    "val": ev.val,
                    "elapsed": round(ev.elapsed, 1),
                    "eta": ev.eta,
                    "msg": ev.message,
                }
            ),
            flush=True,
        )
    if args.bundle:
        dst = checkpoints.export_compact(args.out, Path(args.bundle) / Path(args.out).name, ENGINE)
        print(f"bundled {dst} ({dst.stat().st_size / 1e6:.2f} MB)", flush=True)


if __name__ == "__main__":
    main()
