"""A melody RNN over note events: it continues a tune, or composes one from nothing in a key and metre.

A tune is read as a sequence of events, each a pitch (or a rest) and how long until the next event
(its inter-onset interval, on a grid of twelfths of a beat so triplets fit). At every step a GRU
sees the previous event, where in the bar the next one falls, and the tune's key and metre; it
predicts the next pitch, then the next duration given that pitch (a factorised softmax: the
probability of an event is p(pitch) * p(duration | pitch)). It is the event-RNN of Magenta's
MelodyRNN (Waite et al. 2016) with Performance-RNN-style conditioning, kept to nanoGPT's shape:
a `@dataclass` config, a short `__init__`, a `forward` that reads top to bottom, `generate()`.

The bundled model learned from public-domain fiddle tunes (see `melody_data.py` and its metadata);
the runtime needs torch only.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from engines import checkpoints, limits
from engines.sound.midi import Note

ENGINE = "sound"
KIND = "melody"
ASSETS = Path(os.environ.get("ATELIER_ASSETS", Path(__file__).resolve().parents[2] / "assets"))
BUNDLED = ASSETS / "models" / "sound" / "melody.pt"

# ---------------------------------------------------------------- the event vocabulary
PITCH_LO, PITCH_HI = 36, 96  # MIDI pitches the model writes (C2 .. C7); others move by octaves
REST = PITCH_HI - PITCH_LO + 1  # pitch token of a rest (61)
BOS = REST + 1  # input-only token before the first event (62)
N_PITCH = REST + 1  # pitch tokens the model predicts (61 pitches + rest)
GRID = 12  # time grid: twelfths of a beat (quarter note)
DURATIONS = (1, 2, 3, 4, 6, 8, 9, 12, 16, 18, 24, 30, 36, 48)  # in twelfths: 1/12 .. 4 beats
N_POS = 128  # position-in-bar tokens (twelfths; bars up to 10 beats)
MIN_REST = 0.25  # a gap of at least this many beats becomes a rest event
MODE_STEPS = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
}
MODES = tuple(MODE_STEPS)  # mode token = index; len(MODES) = unknown
METRES = ((2, 4), (3, 4), (4, 4), (6, 8), (9, 8), (12, 8), (2, 2), (3, 2), (3, 8))  # len(METRES) = other
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

# ---------------------------------------------------------------- what a request may ask for
BARS_RANGE = (1, 64)
TEMPERATURE_RANGE = (0.0, 2.0)
MAX_EVENTS_PER_BAR = 48


@dataclass(frozen=True)
class Key:
    """A key: tonic pitch class (0 = C) and mode ('major', 'minor', 'dorian', ...)."""

    tonic: int
    mode: str = "major"

    def scale(self) -> set[int]:
        """Pitch classes of the key (a minor key also admits its raised 7th, the leading tone)."""
        steps = set(MODE_STEPS.get(self.mode, MODE_STEPS["major"]))
        if self.mode == "minor":
            steps.add(11)
        return {(self.tonic + s) % 12 for s in steps}

    @property
    def name(self) -> str:
        return f"{NOTE_NAMES[self.tonic % 12]} {self.mode}"

    @classmethod
    def parse(cls, text: str) -> Key:
        """'C major', 'A minor', 'D dorian', 'F# minor', 'Bb' (major) -> Key; ValueError otherwise."""
        parts = str(text).strip().replace("♯", "#").replace("♭", "b").split()
        if not parts or len(parts) > 2:
            raise ValueError(f"a key is a tonic and a mode, like 'G major' or 'E minor' (got {str(text)[:40]!r})")
        names = {n.lower(): i for i, n in enumerate(NOTE_NAMES)}
        names.update({"db": 1, "d#": 3, "gb": 6, "g#": 8, "a#": 10, "cb": 11, "e#": 5, "fb": 4, "b#": 0})
        tonic = names.get(parts[0].lower())
        mode = parts[1].lower() if len(parts) == 2 else "major"
        mode = {"ionian": "major", "aeolian": "minor", "maj": "major", "min": "minor"}.get(mode, mode)
        if tonic is None or mode not in MODE_STEPS:
            raise ValueError(
                f"unknown key {str(text)[:40]!r}: give a tonic (C, C#, Db, ... B) and a mode ({', '.join(MODES)})"
            )
        return cls(tonic, mode)


@dataclass
class Tune:
    """A monophonic melody (notes in beats, in time order) with what is known of its key and metre.
    `pickup` is how far into its bar the first beat 0 falls (an anacrusis is bar - its length)."""

    notes: list[Note]
    key: Key | None = None
    metre: tuple[int, int] = (4, 4)
    pickup: float = 0.0
    title: str = ""
    source: str = ""

    @property
    def bar_beats(self) -> float:
        return bar_beats(self.metre)

    @property
    def end(self) -> float:
        return max((n.start + n.duration for n in self.notes), default=0.0)

    def transposed(self, semitones: int) -> Tune:
        key = None if self.key is None else Key((self.key.tonic + semitones) % 12, self.key.mode)
        return replace(self, notes=[replace(n, pitch=n.pitch + semitones) for n in self.notes], key=key)

    def to_dict(self) -> dict:
        return {
            "notes": [[n.pitch, round(n.start, 5), round(n.duration, 5), n.velocity] for n in self.notes],
            "key": None if self.key is None else [self.key.tonic, self.key.mode],
            "metre": list(self.metre),
            "pickup": self.pickup,
            "title": self.title,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Tune:
        return cls(
            [Note(int(p), float(s), float(du), int(v)) for p, s, du, v in d["notes"]],
            None if d.get("key") is None else Key(int(d["key"][0]), str(d["key"][1])),
            tuple(int(x) for x in d.get("metre", (4, 4))),
            float(d.get("pickup", 0.0)),
            d.get("title", ""),
            d.get("source", ""),
        )


def bar_beats(metre: tuple[int, int]) -> float:
    """Beats (quarter notes) in one bar of `metre`: 6/8 -> 3.0."""
    return metre[0] * 4.0 / metre[1]


def check_metre(metre: tuple[int, int] | str) -> tuple[int, int]:
    """'6/8' or (6, 8) -> (6, 8); ValueError for anything that is not a sensible time signature."""
    if isinstance(metre, str):
        try:
            num, den = (int(x) for x in metre.strip().split("/"))
        except ValueError:
            raise ValueError(f"a metre is written like '4/4' or '6/8' (got {metre[:20]!r})") from None
    else:
        num, den = (int(x) for x in metre)
    if not 1 <= num <= 16 or den not in (1, 2, 4, 8, 16) or bar_beats((num, den)) > N_POS / GRID:
        raise ValueError(
            f"the metre {num}/{den} is not one the melody model can count "
            f"(bars up to {N_POS // GRID} beats; denominators 1, 2, 4, 8, 16)"
        )
    return num, den


# ---------------------------------------------------------------- tunes <-> events
@dataclass
class Events:
    """A tune as model inputs: per event a pitch token, a duration token and the position in the
    bar where it starts, plus the conditioning tokens."""

    pitch: list[int]
    dur: list[int]
    pos: list[int]
    tonic: int  # 0-11, 12 = unknown
    mode: int  # index in MODES, len(MODES) = unknown
    metre: int  # index in METRES, len(METRES) = other


def pitch_token(midi: int) -> int:
    while midi < PITCH_LO:
        midi += 12
    while midi > PITCH_HI:
        midi -= 12
    return midi - PITCH_LO


def duration_token(beats: float) -> int:
    """Nearest grid duration (in log time) to `beats`."""
    twelfths = max(beats * GRID, 0.5)
    return int(np.argmin([abs(math.log(twelfths / d)) for d in DURATIONS]))


def condition_tokens(key: Key | None, metre: tuple[int, int]) -> tuple[int, int, int]:
    tonic = 12 if key is None else key.tonic % 12
    mode = len(MODES) if key is None or key.mode not in MODES else MODES.index(key.mode)
    metre_i = METRES.index(tuple(metre)) if tuple(metre) in METRES else len(METRES)
    return tonic, mode, metre_i


def encode(tune: Tune) -> Events:
    """Events of a tune: each note lasts until the next onset; gaps of MIN_REST beats or more are rests."""
    tonic, mode, metre = condition_tokens(tune.key, tune.metre)
    ev = Events([], [], [], tonic, mode, metre)
    bar = tune.bar_beats
    notes = sorted(tune.notes, key=lambda n: n.start)
    for i, n in enumerate(notes):
        nxt = notes[i + 1].start if i + 1 < len(notes) else n.start + n.duration
        ioi, gap = nxt - n.start, nxt - (n.start + n.duration)
        sounding = ioi - gap if gap >= MIN_REST else ioi
        for pitch, start, length in (
            (pitch_token(n.pitch), n.start, sounding),
            (REST, n.start + sounding, gap if gap >= MIN_REST else 0.0),
        ):
            if length <= 0:
                continue
            ev.pitch.append(pitch)
            ev.dur.append(duration_token(length))
            ev.pos.append(min(N_POS - 1, int(round(((start + tune.pickup) % bar) * GRID))))
    return ev


def decode(pitch: Sequence[int], dur: Sequence[int], start: float = 0.0, velocity: int = 100) -> list[Note]:
    """Notes (beats) from event tokens: each pitched event sounds until the next event starts."""
    notes, t = [], start
    for p, d in zip(pitch, dur):
        length = DURATIONS[d] / GRID
        if p != REST:
            notes.append(Note(PITCH_LO + int(p), t, length, velocity))
        t += length
    return notes


# ---------------------------------------------------------------- keys and lines
KRUMHANSL_MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
KRUMHANSL_MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)


def estimate_key(notes: Sequence[Note]) -> Key:
    """The major or minor key whose Krumhansl-Kessler profile best matches the notes' duration-weighted
    pitch classes (Krumhansl 1990); C major for no notes."""
    hist = np.zeros(12)
    for n in notes:
        hist[n.pitch % 12] += max(n.duration, 0.05)
    if not hist.any():
        return Key(0, "major")
    best, key = -2.0, Key(0, "major")
    for mode, profile in (("major", KRUMHANSL_MAJOR), ("minor", KRUMHANSL_MINOR)):
        for tonic in range(12):
            r = float(np.corrcoef(hist, np.roll(profile, tonic))[0, 1])
            if r > best:
                best, key = r, Key(tonic, mode)
    return key


def top_line(notes: Sequence[Note]) -> list[Note]:
    """A monophonic line from any notes: the highest of those starting together, each cut where the next begins."""
    by_start: dict[float, Note] = {}
    for n in notes:
        t = round(n.start, 4)
        if t not in by_start or n.pitch > by_start[t].pitch:
            by_start[t] = n
    line = [by_start[t] for t in sorted(by_start)]
    return [
        replace(n, duration=min(n.duration, line[i + 1].start - n.start) if i + 1 < len(line) else n.duration)
        for i, n in enumerate(line)
    ]


def in_key_share(notes: Sequence[Note], key: Key) -> float:
    """Share of the notes whose pitch class belongs to `key` (1.0 for no notes)."""
    if not notes:
        return 1.0
    scale = key.scale()
    return sum(n.pitch % 12 in scale for n in notes) / len(notes)


# ---------------------------------------------------------------- the model
@dataclass(frozen=True)
class MelodyConfig:
    hidden: int = 256  # GRU width
    layers: int = 2  # stacked GRU layers
    embed: int = 128  # width of each input embedding (summed)
    dropout: float = 0.2  # between GRU layers and before the heads (training only)

    def to_dict(self) -> dict:
        return asdict(self)


class MelodyRNN(nn.Module):
    """GRU over note events; two heads: the next pitch, then its duration given that pitch."""

    def __init__(self, cfg: MelodyConfig) -> None:
        super().__init__()
        self.cfg = cfg
        e, h = cfg.embed, cfg.hidden
        # inputs: the previous event, its scale degree, where the next event falls, the conditioning
        self.pitch_in = nn.Embedding(BOS + 1, e)
        self.degree_in = nn.Embedding(13, e)  # (pitch - tonic) % 12; 12 = rest / unknown key
        self.dur_in = nn.Embedding(len(DURATIONS) + 1, e)  # + 1: nothing before the first event
        self.pos_in = nn.Embedding(N_POS, e)
        self.tonic_in = nn.Embedding(13, e)
        self.mode_in = nn.Embedding(len(MODES) + 1, e)
        self.metre_in = nn.Embedding(len(METRES) + 1, e)
        self.gru = nn.GRU(e, h, cfg.layers, batch_first=True, dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        self.drop = nn.Dropout(cfg.dropout)
        # heads
        self.pitch_out = nn.Linear(h, N_PITCH)
        self.dur_given = nn.Embedding(N_PITCH, h)  # the chosen pitch, for the duration head
        self.dur_degree = nn.Embedding(13, h)
        self.dur_out = nn.Sequential(nn.Linear(h, h), nn.Tanh(), nn.Linear(h, len(DURATIONS)))

    @staticmethod
    def degree(pitch: torch.Tensor, tonic: torch.Tensor) -> torch.Tensor:
        """Scale degree (pitch class above the tonic) of pitch tokens; 12 for rests, BOS or no key."""
        deg = (pitch + PITCH_LO - tonic[:, None]) % 12
        return torch.where((pitch >= REST) | (tonic[:, None] == 12), torch.full_like(pitch, 12), deg)

    def step_inputs(self, prev_pitch, prev_dur, pos, tonic, mode, metre) -> torch.Tensor:
        """Summed embeddings (B, T, embed) of the previous events and the conditioning."""
        cond = self.tonic_in(tonic) + self.mode_in(mode) + self.metre_in(metre)  # (B, e)
        x = (
            self.pitch_in(prev_pitch)
            + self.degree_in(self.degree(prev_pitch, tonic))
            + self.dur_in(prev_dur)
            + self.pos_in(pos)
        )  # (B, T, e)
        return x + cond[:, None]

    def duration_logits(self, h: torch.Tensor, pitch: torch.Tensor, tonic: torch.Tensor) -> torch.Tensor:
        return self.dur_out(h + self.dur_given(pitch) + self.dur_degree(self.degree(pitch, tonic)))

    def forward(self, pitch, dur, pos, tonic, mode, metre, hidden=None):
        """Teacher-forced logits for events (B, T): returns pitch logits (B, T, N_PITCH), duration
        logits given the true pitch (B, T, len(DURATIONS)) and the GRU state."""
        B = pitch.shape[0]
        prev_pitch = torch.cat([torch.full((B, 1), BOS, dtype=pitch.dtype, device=pitch.device), pitch[:, :-1]], 1)
        prev_dur = torch.cat([torch.full((B, 1), len(DURATIONS), dtype=dur.dtype, device=dur.device), dur[:, :-1]], 1)
        x = self.step_inputs(prev_pitch, prev_dur, pos, tonic, mode, metre)
        h, hidden = self.gru(x, hidden)  # (B, T, hidden)
        h = self.drop(h)
        return self.pitch_out(h), self.duration_logits(h, pitch, tonic), hidden

    def loss(self, pitch, dur, pos, tonic, mode, metre, mask) -> torch.Tensor:
        """Mean negative log-likelihood per event (nats): -log p(pitch) - log p(duration | pitch)."""
        pl, dl, _ = self(pitch, dur, pos, tonic, mode, metre)
        nll = F.cross_entropy(pl.transpose(1, 2), pitch, reduction="none") + F.cross_entropy(
            dl.transpose(1, 2), dur, reduction="none"
        )
        return (nll * mask).sum() / mask.sum().clamp_min(1)

    @torch.no_grad()
    def generate(
        self,
        primer: Events,
        beats: float,
        start_pos: float,
        bar: float,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
        max_events: int = 4096,
    ) -> tuple[list[int], list[int]]:
        """Events that follow `primer` (possibly empty) for `beats` beats. `start_pos` is where in the
        bar (beats) the first new event falls; temperature 0 picks the likeliest pitch and duration."""
        dev = self.pitch_out.weight.device
        tonic, mode, metre = (torch.tensor([t], device=dev) for t in (primer.tonic, primer.mode, primer.metre))
        hidden, prev_p, prev_d = None, BOS, len(DURATIONS)
        if primer.pitch:
            p = torch.tensor([primer.pitch], device=dev)
            d = torch.tensor([primer.dur], device=dev)
            pos = torch.tensor([primer.pos], device=dev)
            _, _, hidden = self(p, d, pos, tonic, mode, metre)
            prev_p, prev_d = primer.pitch[-1], primer.dur[-1]
        out_p, out_d, t = [], [], 0.0
        while t < beats - 1e-6 and len(out_p) < max_events:
            pos = min(N_POS - 1, int(round(((start_pos + t) % bar) * GRID)))
            x = self.step_inputs(
                torch.tensor([[prev_p]], device=dev),
                torch.tensor([[prev_d]], device=dev),
                torch.tensor([[pos]], device=dev),
                tonic,
                mode,
                metre,
            )
            h, hidden = self.gru(x, hidden)
            h = h[:, -1]
            p = _sample(self.pitch_out(h)[0], temperature, generator)
            d = _sample(self.duration_logits(h, torch.tensor([p], device=dev), tonic)[0], temperature, generator)
            d = min(d, _longest_within(beats - t))  # the last event ends with the requested bars
            out_p.append(p)
            out_d.append(d)
            prev_p, prev_d = p, d
            t += DURATIONS[d] / GRID
        return out_p, out_d


def _longest_within(beats: float) -> int:
    """The longest grid duration that fits in `beats` (the shortest when none does)."""
    fits = [i for i, d in enumerate(DURATIONS) if d <= beats * GRID + 1e-6]
    return fits[-1] if fits else 0


def _sample(logits: torch.Tensor, temperature: float, generator: torch.Generator | None) -> int:
    if temperature <= 1e-3:
        return int(logits.argmax())
    probs = F.softmax(logits.float() / temperature, -1).cpu()
    return int(torch.multinomial(probs, 1, generator=generator))


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


def model_from_checkpoint(ck: checkpoints.Checkpoint) -> MelodyRNN:
    if ck.config.get("kind") != KIND:
        raise checkpoints.CheckpointError("this Sound model is not a melody model")
    rnn = MelodyRNN(MelodyConfig(**ck.config["melody"]))
    rnn.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ck.state_dict.items()})
    return rnn


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


def notes_from_audio(wave: np.ndarray, sr: int, tempo_bpm: float = 120.0, max_notes: int = 256) -> list[Note]:
    """The notes of a recorded melody, in beats at `tempo_bpm` on a sixteenth-note grid: onsets by
    librosa's onset detection and a pyin pitch for each, through `engines.sound.audio`'s note finding."""
    from engines.sound.audio import estimate_pitch, find_onsets
    from engines.sound.spectrum import SpectrumSettings

    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim > 1:
        wave = wave.mean(axis=0 if wave.shape[0] < wave.shape[-1] else 1)
    if sr != 16000:
        import librosa

        wave = librosa.resample(wave, orig_sr=sr, target_sr=16000)
        sr = 16000
    if wave.size < sr // 10 or np.abs(wave).max() < 1e-3:
        raise ValueError("the recording is too short or silent to find notes in")
    onsets = find_onsets(wave, SpectrumSettings())
    beats_per_sample = tempo_bpm / 60.0 / sr
    notes = []
    for i, start in enumerate(onsets[:max_notes]):
        end = int(onsets[i + 1]) if i + 1 < len(onsets) else len(wave)
        body = wave[int(start) : min(end, int(start) + sr)]
        if len(body) < 1024 or np.abs(body).max() < 1e-2:
            continue
        pitch = estimate_pitch(body, sr)
        if pitch is None:
            continue
        t0 = round(start * beats_per_sample * 4) / 4
        t1 = max(t0 + 0.25, round(end * beats_per_sample * 4) / 4)
        if notes and t0 < notes[-1].start + notes[-1].duration:
            t0 = max(t0, notes[-1].start + 0.25)
            t1 = max(t1, t0 + 0.25)
        notes.append(Note(int(round(pitch)), t0, t1 - t0, 100))
    if not notes:
        raise ValueError("no pitched notes found in the recording; sing or play a clear melody")
    return notes


def last_bars(tune: Tune, bars: int) -> Tune:
    """The tune's last `bars` bars (from a bar line), for a primer that would otherwise be long."""
    bar = tune.bar_beats
    total = math.ceil((tune.end + tune.pickup) / bar - 1e-6)
    if total <= bars:
        return tune
    cut = (total - bars) * bar - tune.pickup
    notes = [replace(n, start=n.start - cut) for n in tune.notes if n.start >= cut - 1e-6]
    return replace(tune, notes=notes, pickup=0.0)
