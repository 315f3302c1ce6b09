"""Train the melody RNN on note events: public-domain fiddle tunes, or a folder of the artist's MIDI
files. The CLI is `python -m engines.sound train-melody` (see `__main__.py`).

`train_melody(...)` is a generator of engines.events.TrainEvent (losses {"train": NLL, "held-out":
NLL} per event in nats, elapsed, ETA) so the UI can stream it and stop it with a StopToken; it ends
at `steps`, at the time budget or on stop, saving atomically. A run that ends early keeps its
training state and resumes from `out`; a finished run leaves a compact file, which a new training
fine-tunes from (see `train_common.py`). Every window is moved to a random key (transposition
augmentation), and whole tunes are held out to measure the negative log-likelihood per event against
a unigram baseline.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from engines.checkpoints import Checkpoint
from engines.device import configure
from engines.events import TrainEvent, end_sentence, reach
from engines.jobs import StopToken, end_reason, optimizer_step, running_mean
from engines.sound.melody import ENGINE, KIND, MelodyConfig, MelodyRNN, model_from_checkpoint
from engines.sound.melody_tokens import DURATIONS, N_PITCH, PITCH_HI, PITCH_LO, REST, Events, encode
from engines.sound.recipe import MelodyTrainConfig, melody_learning_rate
from engines.sound.train_common import eta_s, save, start_point
from engines.sound.tunes import Tune


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
) -> Iterator[TrainEvent]:
    """Train (resume, or fine-tune from a finished `out` or from `init_from`) a melody RNN."""
    cfg, out = cfg or MelodyTrainConfig(), Path(out)
    dev = configure(device)
    torch.manual_seed(cfg.seed)
    start = start_point(out, init_from, KIND, cfg.steps)
    source = start.checkpoint
    model_cfg = MelodyConfig(**source.config["melody"]) if source else (model_cfg or MelodyConfig())
    model = (model_from_checkpoint(source) if source else MelodyRNN(model_cfg)).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    if start.optimiser is not None:
        opt.load_state_dict(start.optimiser)
    step, history = start.step, list(start.history)
    train_set = event_set(train, max_len=4096)
    held_set = event_set(held_out, max_len=1024) if held_out else event_set(train[: max(1, len(train) // 20)])
    baseline = unigram_nll(train_set, held_set)
    gen = torch.Generator().manual_seed(cfg.seed + step)
    t0, avg, val = time.time(), float("nan"), None

    def write(reason: str | None) -> Path:
        meta = {
            "name": name or out.stem,
            "data": data_note or f"{len(train):,} tunes",
            "licence": licence,
            "steps": step,
            "train_config": asdict(cfg),
            "train_seconds": round(start.seconds + time.time() - t0, 1),
            "history": [[s, losses] for s, losses in history[-400:]],
            "metrics": {
                "train_nll": None if math.isnan(avg) else round(avg, 4),
                "val_nll": val,
                "val_nll_unigram": round(baseline, 4),
                "held_out_tunes": len(held_set),
                "train_tunes": len(train_set),
            },
            "lineage": start.lineage,
        }
        config = {"kind": KIND, "melody": model_cfg.to_dict()}
        return save(out, Checkpoint(ENGINE, model.state_dict(), config, meta), opt.state_dict(), reason, cfg.compact)

    fresh = f"started: {len(train_set)} tunes, {len(held_set)} held out; unigram NLL {baseline:.3f}"
    stats = {"unigram_nll": round(baseline, 4)}
    yield TrainEvent(step, cfg.steps, message=start.message(fresh), history=list(history), stats=stats)
    model.train()
    while step < cfg.steps:
        for g in opt.param_groups:
            g["lr"] = melody_learning_rate(cfg, step, time.time() - t0)
        batch = [t.to(dev) for t in sample_batch(train_set, cfg, gen)]
        loss = model.loss(*batch)
        optimizer_step(opt, loss, model.parameters())
        step += 1
        avg = running_mean(avg, loss.item())
        reason = end_reason(step, cfg.steps, stop, t0, cfg.time_budget_s, time.time())
        if step % cfg.eval_every == 0 or reason:
            val = round(held_out_nll(model, held_set), 4)
            losses = {"train": round(avg, 4), "held-out": val}
            history.append((step, losses))
            ckpt = write(reason) if (step % cfg.checkpoint_every == 0 or reason) else None
            elapsed = time.time() - t0
            eta = None if reason else eta_s(elapsed, step, cfg.steps, step - start.step, cfg.time_budget_s)
            said = (
                end_sentence(reason, step, cfg.steps, ckpt, name or out.stem, cfg.compact and reason == "finished")
                if reason
                else ""
            )
            done = bool(reason)
            pace = reach(step, cfg.steps, elapsed / max(1, step - start.step), cfg.time_budget_s, elapsed)
            yield TrainEvent(
                step, cfg.steps, losses, elapsed, eta, None, ckpt, done, said, list(history), {**stats, **pace}
            )
        if reason:
            return
