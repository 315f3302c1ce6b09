"""Notes and tunes in beats, for the melody model and MIDI alike: a Note, a Key (tonic and mode), a
Tune (a monophonic melody with its key and metre), and what is read off them: the key by the
Krumhansl-Kessler profiles, the top line of any notes, the share of notes in a key, the last bars.
Times are beats (quarter notes), so a tune plays at any tempo."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

MODE_STEPS = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
}
MODES = tuple(MODE_STEPS)  # the melody model's mode token = index; len(MODES) = unknown
METRES = ((2, 4), (3, 4), (4, 4), (6, 8), (9, 8), (12, 8), (2, 2), (3, 2), (3, 8))  # len(METRES) = other
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
KRUMHANSL_MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
KRUMHANSL_MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)


@dataclass(frozen=True)
class Note:
    """One note: MIDI pitch, start and duration in beats (quarter notes), velocity 1-127."""

    pitch: int
    start: float
    duration: float
    velocity: int = 100


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


def bar_beats(metre: tuple[int, int]) -> float:
    """Beats (quarter notes) in one bar of `metre`: 6/8 -> 3.0."""
    return metre[0] * 4.0 / metre[1]


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


def last_bars(tune: Tune, bars: int) -> Tune:
    """The tune's last `bars` bars (from a bar line), for a primer that would otherwise be long."""
    bar = tune.bar_beats
    total = math.ceil((tune.end + tune.pickup) / bar - 1e-6)
    if total <= bars:
        return tune
    cut = (total - bars) * bar - tune.pickup
    notes = [replace(n, start=n.start - cut) for n in tune.notes if n.start >= cut - 1e-6]
    return replace(tune, notes=notes, pickup=0.0)
