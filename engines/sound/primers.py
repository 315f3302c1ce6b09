"""Primers for the melody model, from what the artist has: an uploaded MIDI file (its busiest track's
top line), a recording (onsets and a pyin pitch per note, on a sixteenth grid), the note on screen;
and the primer's notes as a recipe keeps them, so a remake never has to listen again."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engines import limits
from engines.sound import midi
from engines.sound.audio import estimate_pitch, find_onsets, load_upload
from engines.sound.melody_render import TEMPO_RANGE
from engines.sound.melody_tokens import check_metre
from engines.sound.spectrum import SpectrumSettings
from engines.sound.tunes import Note, Tune, last_bars, top_line

PRIMER_BARS = 8  # a longer primer keeps its last bars
MAX_RECORD_NOTES = 4096  # primer notes a recipe may hold


def notes_from_audio(wave: np.ndarray, sr: int, tempo_bpm: float = 120.0, max_notes: int = 256) -> list[Note]:
    """The notes of a recorded melody, in beats at `tempo_bpm` on a sixteenth-note grid: onsets by
    librosa's onset detection and a pyin pitch for each, through `engines.sound.audio`'s note finding."""
    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim > 1:
        wave = wave.mean(axis=0 if wave.shape[0] < wave.shape[-1] else 1)
    if sr != 16000:
        import librosa  # heavy; only a recording at another rate needs it

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


def primer_from_file(path: str | os.PathLike | None, tempo_bpm: float = 120.0) -> Tune | None:
    """A primer from an uploaded file: a MIDI file's busiest pitched track (its top line, the file's
    key and metre), or the notes found in a recording (onsets + pyin, on a sixteenth grid at
    `tempo_bpm`); None for no file. The primer keeps its last PRIMER_BARS bars."""
    if path is None or str(path) == "":
        return None
    path = Path(path)
    if path.suffix.lower() in midi.MIDI_SUFFIXES:
        song = midi.read_midi(path)
        track = max(song.tracks, key=lambda t: len(t.notes))
        tune = Tune(top_line(track.notes), song.key, song.metre, 0.0, path.stem, path.name)
    else:
        clip = load_upload(path, SpectrumSettings(), "The primer")
        tune = Tune(notes_from_audio(clip.wave, 16000, tempo_bpm), None, (4, 4), 0.0, path.stem, path.name)
    return last_bars(tune, PRIMER_BARS)


def primer_from_note(note_recipe: dict, tempo_bpm: float) -> Tune:
    """The note on screen (a Sound note recipe) as a one-note primer: its pitch, held as long as
    the note was (in beats at `tempo_bpm`, on a sixteenth grid, at least a quarter beat)."""
    tempo_bpm = limits.number(tempo_bpm, "The tempo (bpm)", *TEMPO_RANGE)
    pitch = int(round(limits.number(note_recipe.get("pitch", 60), "The note's pitch", 0, 127)))
    hold = limits.number(note_recipe.get("seconds", 1.0), "The note's hold", 0.01, 60)
    beats = max(0.25, round(hold * tempo_bpm / 60.0 * 4) / 4)
    velocity = int(np.clip(int(note_recipe.get("velocity", 100)), 1, 127))
    return Tune([Note(pitch, 0.0, beats, velocity)], None, (4, 4), 0.0, "the current note", "note")


def primer_from_wave(wave: np.ndarray, sr: int, tempo_bpm: float, name: str = "the current sound") -> Tune:
    """A sound's notes (onsets + pitch) as a primer, its last PRIMER_BARS bars."""
    tune = Tune(notes_from_audio(wave, sr, tempo_bpm), None, (4, 4), 0.0, name, name)
    return last_bars(tune, PRIMER_BARS)


def notes_record(notes: Sequence[Note]) -> list[list]:
    """Notes as a recipe keeps them (full float precision, so a remake starts from the same notes)."""
    return [[int(n.pitch), float(n.start), float(n.duration), int(n.velocity)] for n in notes]


def notes_of_record(rows: Sequence[Sequence]) -> list[Note]:
    """Notes back from `notes_record` rows (checked: at most MAX_RECORD_NOTES notes of finite numbers)."""
    if not isinstance(rows, (list, tuple)) or len(rows) > MAX_RECORD_NOTES:
        raise ValueError(f"the recipe's primer notes are not a list of at most {MAX_RECORD_NOTES} notes")
    out = []
    for i, row in enumerate(rows):
        p, s, d, v = (limits.number(x, f"Primer note {i + 1}") for x in row)
        out.append(Note(int(p), s, d, int(v)))
    return out


def primer_of_recipe(rec: dict) -> Tune | None:
    """The primer a melody recipe continued (None when it was composed from nothing)."""
    primer = rec.get("primer") or {}
    notes = notes_of_record(primer.get("notes") or [])
    return Tune(notes, None, check_metre(rec.get("metre", "4/4"))) if notes else None
