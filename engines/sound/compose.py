"""Continuing and composing tunes with a loaded melody model: finding and loading melody checkpoints
(the bundled one and the artist's), and `continue_tune` / `compose`, which turn a primer (or nothing)
and a key, metre, bars, temperature and seed into a new tune, deterministically."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from engines import checkpoints, limits
from engines.settings import assets_dir
from engines.sound.melody import ENGINE, KIND, MelodyRNN, model_from_checkpoint
from engines.sound.melody_tokens import GRID, check_metre, decode, encode
from engines.sound.tunes import Key, Note, Tune, estimate_key, top_line

BUNDLED = assets_dir() / "models" / "sound" / "melody.pt"

# ---------------------------------------------------------------- what a request may ask for
BARS_RANGE = (1, 64)
TEMPERATURE_RANGE = (0.0, 2.0)
MAX_EVENTS_PER_BAR = 48


# ---------------------------------------------------------------- loading
@dataclass
class MelodyModel:
    """A loaded melody RNN with its metadata (data, licence, metrics) and file hash for recipes."""

    rnn: MelodyRNN
    meta: dict
    path: Path
    hash: str

    @property
    def name(self) -> str:
        return self.meta.get("name") or self.path.stem


def _build(path: str) -> MelodyModel:
    ck = checkpoints.load(path, engine=ENGINE)
    rnn = model_from_checkpoint(ck).eval().requires_grad_(False)
    return MelodyModel(rnn, ck.meta, Path(path), checkpoints.file_hash(path))


_load = checkpoints.file_cached(_build, "melody model")


def load_melody_model(path: str | os.PathLike | None = None) -> MelodyModel:
    """The melody RNN at `path` (the bundled one by default), loaded once per file version."""
    return _load(path or BUNDLED)


def is_melody_model(path: str | os.PathLike) -> bool:
    """True for a Sound checkpoint holding a melody RNN (for a model dropdown)."""
    try:
        return checkpoints.load(path, engine=ENGINE).config.get("kind") == KIND
    except checkpoints.CheckpointError:
        return False


def available_melody_models(user_dir: str | os.PathLike | None = None) -> dict[str, Path]:
    """Display name -> checkpoint for the bundled and the artist's melody models (for a dropdown)."""
    return checkpoints.labelled_models(BUNDLED.parent, user_dir, ENGINE, is_melody_model)


# ---------------------------------------------------------------- continuing and composing
@dataclass
class Continuation:
    """The primer and what the model wrote after it, as one tune; `split` is the beat where the new part starts."""

    tune: Tune
    split: float
    primer_notes: int
    recipe: dict = field(default_factory=dict)

    @property
    def new_notes(self) -> list[Note]:
        return self.tune.notes[self.primer_notes :]


def continue_tune(
    model: MelodyModel,
    primer: Tune | None,
    bars: int = 4,
    temperature: float = 0.8,
    seed: int = 0,
    key: Key | str | None = None,
    metre: tuple[int, int] | str | None = None,
) -> Continuation:
    """Write `bars` more bars after `primer` (a Tune; None or no notes: compose from nothing in `key`
    and `metre`). The primer's key is estimated from its notes when it names none; `key`/`metre`
    given here override the primer's. Deterministic for a given model, primer and settings."""
    bars = limits.whole(bars, "The bars", *BARS_RANGE)
    temperature = limits.number(temperature, "The temperature", *TEMPERATURE_RANGE)
    seed = limits.seed(seed)
    primer = primer or Tune([])
    if isinstance(key, str):
        key = Key.parse(key)
    metre = check_metre(metre) if metre is not None else check_metre(primer.metre)
    notes = sorted(primer.notes, key=lambda n: n.start)
    if notes:
        offset = notes[0].start
        notes = [replace(n, start=n.start - offset) for n in top_line(notes)]
    key = key or primer.key or (estimate_key(notes) if notes else Key(0, "major"))
    tune = Tune(notes, key, metre, primer.pickup if notes else 0.0, primer.title, primer.source)
    bar = tune.bar_beats
    if notes:
        end = math.ceil(max(n.start + n.duration for n in notes) * GRID - 1e-6) / GRID  # next grid point
        split = end
        # carry on at the next grid point, then finish the bar the primer ended in plus `bars` more
        beats = bars * bar + (-(end + tune.pickup)) % bar
    else:
        split, beats = 0.0, bars * bar
    events = encode(tune)
    gen = torch.Generator().manual_seed(seed)
    velocity = int(round(np.median([n.velocity for n in notes]))) if notes else 100
    p, d = model.rnn.generate(
        events, beats, (split + tune.pickup) % bar, bar, temperature, gen, max_events=bars * MAX_EVENTS_PER_BAR
    )
    new = decode(p, d, split, velocity)
    recipe = {
        "engine": ENGINE,
        "kind": "melody",
        "model": model.name,
        "checkpoint": model.hash,
        "bars": bars,
        "temperature": temperature,
        "seed": seed,
        "key": key.name,
        "metre": f"{metre[0]}/{metre[1]}",
        "primer_notes": len(notes),
    }
    return Continuation(replace(tune, notes=notes + new), split, len(notes), recipe)


def compose(
    model: MelodyModel,
    key: Key | str = "C major",
    metre: tuple[int, int] | str = (4, 4),
    bars: int = 8,
    temperature: float = 0.8,
    seed: int = 0,
) -> Continuation:
    """A new tune of `bars` bars in `key` and `metre`, from nothing."""
    return continue_tune(model, None, bars, temperature, seed, key=key, metre=metre)
