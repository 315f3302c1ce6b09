"""The melody model's vocabulary: a tune read as events, each a pitch (or a rest) and how long until
the next event (its inter-onset interval, on a grid of twelfths of a beat so triplets fit), plus where
in the bar it starts and the tune's key and metre as conditioning tokens; and back from tokens to notes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engines.sound.tunes import METRES, MODES, Key, Note, Tune, bar_beats

PITCH_LO, PITCH_HI = 36, 96  # MIDI pitches the model writes (C2 .. C7); others move by octaves
REST = PITCH_HI - PITCH_LO + 1  # pitch token of a rest (61)
BOS = REST + 1  # input-only token before the first event (62)
N_PITCH = REST + 1  # pitch tokens the model predicts (61 pitches + rest)
GRID = 12  # time grid: twelfths of a beat (quarter note)
DURATIONS = (1, 2, 3, 4, 6, 8, 9, 12, 16, 18, 24, 30, 36, 48)  # in twelfths: 1/12 .. 4 beats
N_POS = 128  # position-in-bar tokens (twelfths; bars up to 10 beats)
MIN_REST = 0.25  # a gap of at least this many beats becomes a rest event


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


def check_metre(metre: tuple[int, int] | str) -> tuple[int, int]:
    """'6/8' or (6, 8) -> (6, 8); ValueError for anything that is not a time signature the model can count."""
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


def pitch_token(midi: int) -> int:
    """The token of a MIDI pitch, moved by octaves into PITCH_LO..PITCH_HI."""
    while midi < PITCH_LO:
        midi += 12
    while midi > PITCH_HI:
        midi -= 12
    return midi - PITCH_LO


def duration_token(beats: float) -> int:
    """Nearest grid duration (in log time) to `beats`."""
    twelfths = max(beats * GRID, 0.5)
    return int(np.argmin([abs(math.log(twelfths / d)) for d in DURATIONS]))


def longest_within(beats: float) -> int:
    """The longest grid duration that fits in `beats` (the shortest when none does)."""
    fits = [i for i, d in enumerate(DURATIONS) if d <= beats * GRID + 1e-6]
    return fits[-1] if fits else 0


def condition_tokens(key: Key | None, metre: tuple[int, int]) -> tuple[int, int, int]:
    """(tonic, mode, metre) tokens; unknown keys and unusual metres get their own token."""
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
