"""Training tunes for the melody RNN: public-domain fiddle tunes from music21's corpus (read at
training time only; nothing at runtime imports music21), the artist's MIDI files, a split that
holds out whole tunes, and transposition augmentation.

The corpus (PyPI `music21`, BSD code) ships many repertories under different terms; its
`corpus/license.txt` says some encodings restrict commercial use and points at the notes inside
each repertory. This module uses only the two whose tunes are public domain and whose folders
carry no restriction:

- `ryansMammoth`: Ryan's Mammoth Collection (Boston, 1883), ABC transcriptions contributed by
  Ray Davies and others; no licence note restricts them.
- `oneills1850`: O'Neill's Music of Ireland (Chicago, 1903; "1850 melodies"), ABC transcriptions by
  volunteers (Norbert Paap, Henrik Norbeck, ...); no licence note restricts them.

Left out on purpose: `essenFolksong` (its licence.txt allows non-commercial use only) and every
other repertory (not needed, and their terms vary). `LICENCE_NOTE` goes into the model's metadata.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from engines.fsutil import atomic_write_bytes
from engines.sound import midi
from engines.sound.tunes import Key, Note, Tune, estimate_key, top_line

REPERTORIES = ("ryansMammoth", "oneills1850")
LICENCE_NOTE = (
    "Tunes: music21 corpus (PyPI music21, BSD code), repertories ryansMammoth (Ryan's Mammoth Collection, "
    "1883) and oneills1850 (O'Neill's Music of Ireland, 1903): public-domain tunes in ABC transcriptions whose "
    "folders carry no licence restriction. essenFolksong (non-commercial only) and all other repertories "
    "were not used."
)
MODES = {
    "major": "major",
    "ionian": "major",
    "minor": "minor",
    "aeolian": "minor",
    "dorian": "dorian",
    "mixolydian": "mixolydian",
    "phrygian": "phrygian",
    "lydian": "lydian",
    "locrian": "locrian",
}


# ---------------------------------------------------------------- reading the corpus (music21)
def corpus_files(repertories: Iterable[str] = REPERTORIES) -> list[Path]:
    """The ABC files of the chosen repertories in music21's installed corpus."""
    try:
        import music21
    except ImportError as err:
        raise ImportError("training the melody model needs music21: pip install music21 (the 'train' extra)") from err
    root = Path(music21.__file__).parent / "corpus"
    return sorted(p for r in repertories for p in (root / r).glob("*.abc"))


def _score_to_tune(score, source: str) -> Tune | None:
    """One music21 Score -> a monophonic Tune (top note of chords, grace notes dropped, ties merged,
    repeats not unrolled), or None when it has no usable melody."""
    from music21 import harmony

    parts = [p for p in score.parts if p.recurse().notes] if score.parts else []
    if not parts:
        return None
    part = parts[0]
    measures = list(part.getElementsByClass("Measure"))
    if not measures:
        return None
    flat = part.flatten()
    ts = flat.getElementsByClass("TimeSignature")
    metre = (ts[0].numerator, ts[0].denominator) if ts else (4, 4)
    bar = metre[0] * 4 / metre[1]
    keys = flat.getElementsByClass("Key")
    key = Key(keys[0].tonic.pitchClass, MODES.get(str(keys[0].mode), "major")) if keys else None
    pickup = 0.0
    if len(measures) > 1 and 0 < float(measures[0].duration.quarterLength) < bar - 1e-6:
        pickup = bar - float(measures[0].duration.quarterLength)
    notes: list[Note] = []
    for m in measures:
        for el in m.recurse().notesAndRests:
            if isinstance(el, harmony.ChordSymbol) or el.duration.isGrace or el.quarterLength <= 0:
                continue
            start = float(m.offset + el.offset)
            dur = float(el.quarterLength)
            if el.isRest:
                continue  # rests are the gaps between notes
            pitch = max(p.midi for p in el.pitches) if el.isChord else el.pitch.midi
            tie = getattr(el, "tie", None)
            if (
                tie is not None
                and tie.type in ("stop", "continue")
                and notes
                and notes[-1].pitch == pitch
                and abs(notes[-1].start + notes[-1].duration - start) < 1e-6
            ):
                prev = notes[-1]
                notes[-1] = Note(prev.pitch, prev.start, prev.duration + dur, prev.velocity)
                continue
            if notes and start < notes[-1].start + 1e-6:
                continue  # a second voice at the same moment: keep the first
            notes.append(Note(int(pitch), start, dur, 100))
    if len(notes) < 8:
        return None
    title = score.metadata.title if score.metadata and score.metadata.title else "untitled"
    return Tune(notes, key, metre, pickup, str(title), source)


def _read_file(path: str) -> list[dict]:
    """Every tune of one ABC file, as plain dicts (worker process)."""
    from music21 import converter, stream

    out = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = converter.parse(path, format="abc")
    except Exception:  # noqa: BLE001 - a transcription music21 cannot read is skipped
        return out
    scores = parsed.scores if isinstance(parsed, stream.Opus) else [parsed]
    for score in scores:
        try:
            tune = _score_to_tune(score, f"{Path(path).parent.name}/{Path(path).name}")
        except Exception:  # noqa: BLE001
            tune = None
        if tune is not None:
            out.append(tune.to_dict())
    return out


def parse_corpus(
    cache_dir: str | os.PathLike,
    repertories: Iterable[str] = REPERTORIES,
    workers: int = 1,
    limit_files: int | None = None,
) -> int:
    """Parse the repertories' ABC files into one JSON file per source file under `cache_dir`
    (music21 is slow: minutes per thousand tunes); files already parsed are skipped, so it can
    be stopped and resumed, and a partial cache is usable. Returns how many files were parsed now."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    files = corpus_files(repertories)
    files = [files[i] for i in np.random.default_rng(0).permutation(len(files))][:limit_files]  # mix repertories
    todo = [str(f) for f in files if not _cache_name(cache_dir, f).is_file()]
    done = 0
    results = ProcessPoolExecutor(workers).map(_read_file, todo) if workers > 1 else map(_read_file, todo)
    for f, found in zip(todo, results):
        atomic_write_bytes(_cache_name(cache_dir, Path(f)), json.dumps(found).encode())
        done += 1
    return done


def _cache_name(cache_dir: Path, f: Path) -> Path:
    return cache_dir / f"{f.parent.name}__{f.stem}.json"


def read_corpus(
    cache_dir: str | os.PathLike, repertories: Iterable[str] = REPERTORIES, workers: int = 1, parse: bool = True
) -> list[Tune]:
    """All usable tunes of the repertories (parsed first when `parse`, else whatever the cache holds)."""
    if parse:
        parse_corpus(cache_dir, repertories, workers)
    tunes = []
    for f in sorted(Path(cache_dir).glob("*.json")):
        if f.name.split("__")[0] in tuple(repertories):
            tunes += [Tune.from_dict(d) for d in json.loads(f.read_text())]
    return tunes


# ---------------------------------------------------------------- the artist's MIDI files
def read_midi_folder(folder: str | os.PathLike, max_files: int = 2000) -> tuple[list[Tune], list[str]]:
    """Tunes from every MIDI file under `folder`: each pitched track becomes a monophonic tune (its
    top line), its key estimated from its notes when the file names none. Returns (tunes, problems)."""
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in midi.MIDI_SUFFIXES)[:max_files]
    tunes, problems = [], []
    for f in files:
        try:
            song = midi.read_midi(f)
        except ValueError as err:
            problems.append(str(err))
            continue
        for track in song.tracks:
            line = top_line(track.notes)
            if len(line) >= 8:
                tunes.append(
                    Tune(line, song.key or estimate_key(line), song.metre, 0.0, f"{f.stem}:{track.name}", f.name)
                )
    return tunes, problems


# ---------------------------------------------------------------- split and augmentation
def _group(title: str) -> str:
    """Tunes that share a title (the same tune in both books) fall on the same side of the split."""
    return re.sub(r"[^a-z]", "", title.lower().split("--")[0])[:40]


def split_by_tune(tunes: list[Tune], held_out: float = 0.05, by: str = "title") -> tuple[list[Tune], list[Tune]]:
    """(train, held-out) by a hash of each tune's title (`by="title"`: a whole tune and its namesakes
    fall on one side) or of its file (`by="source"`: every track of a MIDI file on one side). At
    least one group is held out when there are two or more."""

    def group(t: Tune) -> str:
        return _group(t.title) if by == "title" else t.source

    def score(g: str) -> float:
        return int(hashlib.sha1(g.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF

    held = {g for g in {group(t) for t in tunes} if score(g) < held_out}
    groups = sorted({group(t) for t in tunes}, key=score)
    if not held and len(groups) > 1:
        held = {groups[0]}
    return [t for t in tunes if group(t) not in held], [t for t in tunes if group(t) in held]


def transpositions(tune: Tune, shifts: Iterable[int] = range(-5, 7)) -> Iterator[Tune]:
    """The tune moved by each semitone shift (its key with it): the model then learns every key."""
    for s in shifts:
        yield tune.transposed(s)
