"""What the Sound tab's Melody panel asks of the melody engine, kept out of the UI: the recipes of
melodies and MIDI renders (with the primer's notes, from `primers.py`, so a remake never listens
again), playing a MIDI file with one timbre or by General MIDI programs, reading uploaded MIDI files
for training, and the `continuation_active` measure (is the part after the primer sounding, or did it
fall silent?).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from engines import limits
from engines.sound import compose, explore, melody_data, melody_render, midi, tunes
from engines.sound.melody_render import Timbre
from engines.sound.melody_tokens import check_metre
from engines.sound.midi import Song, Track
from engines.sound.pictures import piano_roll
from engines.sound.primers import notes_record
from engines.sound.tunes import Tune, bar_beats

AUTO = "auto (from the primer)"
KEYS = tuple(f"{n} {m}" for m in ("major", "minor", "dorian", "mixolydian") for n in tunes.NOTE_NAMES)
METRES = tuple(f"{a}/{b}" for a, b in tunes.METRES)
GM = "(General MIDI programs)"  # MIDI in: each track's own program picks the preset
MIDI_TEMPO_RANGE = (0.0, melody_render.TEMPO_RANGE[1])  # 0: the file's own tempo
MAX_TRAIN_FILES = 500  # MIDI files one training reads
MAX_TRAIN_BYTES = 50_000_000  # all of them together (zips counted unpacked)
KINDS = ("melody", "midi_render")  # the recipe kinds of the Melody panel


# ---------------------------------------------------------------- melodies
def timbre_of(preset: str | None, sliders: Sequence[float], base: Sequence[float] | None) -> Timbre:
    """A render timbre from the tab's controls (preset name or None, slider values, encoded timbre)."""
    return Timbre(preset, tuple(explore.check_sliders(sliders)), tuple(base) if base else None)


def make_piece(
    note_model: explore.NoteModel,
    melody_model: compose.MelodyModel,
    primer: Tune | None,
    primer_info: dict,
    bars: int,
    temperature: float,
    seed: int,
    timbre: Timbre,
    tempo_bpm: float,
    swing: float,
    key: str | None,
    metre: str | None,
) -> melody_render.MelodyPiece:
    """Continue (or compose) and play; the recipe gains the primer (its notes and where they came
    from), the encoded timbre if any, and the beat where the new part starts."""
    key = None if key in (None, "", AUTO) else key
    metre = None if metre in (None, "", AUTO) else metre
    check_piece_length(primer, bars, metre, tempo_bpm)
    piece = melody_render.melody_piece(
        note_model, melody_model, primer, bars, temperature, seed, timbre, tempo_bpm, swing, key, metre
    )
    primer_rec = {**primer_info, "notes": notes_record(piece.tune.notes[: piece.recipe["primer_notes"]])}
    piece.recipe.update({"primer": primer_rec, "split": float(piece.split)})
    if timbre.base:
        piece.recipe["timbre"] = [round(float(x), 5) for x in timbre.base]
    return piece


def check_piece_length(primer: Tune | None, bars: int, metre: str | None, tempo_bpm: float) -> None:
    """Refuse, before any work, a piece that would play over MAX_RENDER_SECONDS (the primer's bars
    plus the bars asked for, at `tempo_bpm`), saying how long it would be."""
    bars = limits.whole(bars, "The bars", *compose.BARS_RANGE)
    tempo_bpm = limits.number(tempo_bpm, "The tempo (bpm)", *melody_render.TEMPO_RANGE)
    bar = bar_beats(check_metre(metre or (primer.metre if primer else (4, 4))))
    beats = (primer.end if primer else 0.0) + (bars + 1) * bar
    seconds = beats * 60.0 / tempo_bpm
    if seconds > melody_render.MAX_RENDER_SECONDS:
        raise ValueError(
            f"{bars} bars at {tempo_bpm:g} bpm would play about {seconds:.0f} s; one melody plays at "
            f"most {melody_render.MAX_RENDER_SECONDS:.0f} s (fewer bars or a faster tempo)"
        )


def split_seconds(split_beats: float, tempo_bpm: float, swing: float = 0.0) -> float:
    """Where a beat falls in the rendered wave (seconds), swing included."""
    return float(melody_render.swing_time(split_beats, swing)) * 60.0 / float(tempo_bpm)


def continuation_active(
    wave: np.ndarray, sr: int, split_s: float, window_s: float = 0.1, floor_db: float = 30.0
) -> float:
    """Share of the 100-ms windows after the primer whose RMS level is within `floor_db` dB of the
    primer's loudest window (1.0 = it keeps sounding, 0.0 = it fell silent). NaN without a primer
    or without anything after it."""
    wave = np.asarray(wave, dtype=np.float64)
    n = max(1, int(round(window_s * sr)))
    frames = len(wave) // n
    if frames == 0:
        return float("nan")
    rms = np.sqrt(np.mean(wave[: frames * n].reshape(frames, n) ** 2, axis=1) + 1e-20)
    level = 20 * np.log10(rms)
    cut = int(np.ceil(split_s * sr / n - 1e-9))
    if cut <= 0 or cut >= frames:
        return float("nan")
    peak = float(level[:cut].max())
    return float(np.mean(level[cut:] >= peak - floor_db))


# ---------------------------------------------------------------- MIDI in
def midi_timbres(note_model: explore.NoteModel, song: Song, choice: str, timbre: Timbre) -> tuple[list, list]:
    """(one Timbre per track, the name each plays as): the tab's timbre for every track, or with
    GM each track's General MIDI program mapped to the model's nearest preset."""
    if choice == GM:
        names = [melody_render.default_preset(note_model, t.program) for t in song.tracks]
        return [Timbre(n) for n in names], [n or "centre" for n in names]
    return [timbre] * len(song.tracks), [timbre.preset or ("encoded" if timbre.base else "centre")] * len(song.tracks)


def render_song(
    note_model: explore.NoteModel, song: Song, choice: str, timbre: Timbre, tempo_bpm: float, swing: float
) -> tuple[tuple[int, np.ndarray], Image.Image, str]:
    """Play a read MIDI file (velocities kept, tracks mixed) at `tempo_bpm` (0: the file's own).
    Returns ((sr, wave), piano roll with one colour per track, what was played as what)."""
    tempo_bpm = limits.number(tempo_bpm, "The tempo (bpm; 0 = the file's own)", *MIDI_TEMPO_RANGE)
    swing = limits.number(swing, "The swing", *melody_render.SWING_RANGE)
    if tempo_bpm and tempo_bpm < melody_render.TEMPO_RANGE[0]:
        raise ValueError(
            f"The tempo must be 0 (the file's own) or between {melody_render.TEMPO_RANGE[0]:g} "
            f"and {melody_render.TEMPO_RANGE[1]:g} bpm (got {tempo_bpm:g})."
        )
    tempo = tempo_bpm or float(np.clip(song.tempo_bpm, *melody_render.TEMPO_RANGE))
    timbres, names = midi_timbres(note_model, song, choice, timbre)
    sound = melody_render.render_tracks(note_model, song.tracks, timbres, tempo, swing)
    roll = piano_roll([t.notes for t in song.tracks], bar_beats=bar_beats(song.metre))
    said = [f"{t.name}: {len(t.notes)} notes as {n}" for t, n in zip(song.tracks, names)]
    return sound, roll, "; ".join(said + [f"{tempo:g} bpm", *song.remarks])


def midi_recipe(
    note_model: explore.NoteModel, midi_ref: str, choice: str, timbre: Timbre, tempo_bpm: float, swing: float
) -> dict:
    """The recipe of a MIDI render: the kept MIDI file, how it was played, on which note model."""
    rec = {
        "engine": "sound",
        "kind": "midi_render",
        "midi": midi_ref,
        "model": note_model.name,
        "checkpoint": note_model.hash,
        "gm": choice == GM,
        "preset": timbre.preset,
        "sliders": [round(float(x), 4) for x in timbre.sliders],
        "tempo_bpm": float(tempo_bpm),
        "swing": float(swing),
    }
    if timbre.base:
        rec["timbre"] = [round(float(x), 5) for x in timbre.base]
    return rec


def tracks_of_midi(data: bytes) -> list[Track]:
    """The pitched tracks of MIDI bytes (as `midi.read_midi` reads them)."""
    return midi.read_midi(data).tracks


# ---------------------------------------------------------------- training on the artist's MIDI files
def gather_midi(paths: Sequence[str | Path], dest: Path) -> tuple[int, int]:
    """Copy uploaded MIDI files (and the MIDI files inside uploaded zips) into `dest`, within
    MAX_TRAIN_FILES files and MAX_TRAIN_BYTES bytes; returns (files, bytes). Other files are skipped."""
    count = total = 0

    def put(name: str, data: bytes) -> None:
        nonlocal count, total
        count, total = count + 1, total + len(data)
        if count > MAX_TRAIN_FILES:
            raise ValueError(
                f"that is more than {MAX_TRAIN_FILES} MIDI files; a training reads at most {MAX_TRAIN_FILES}"
            )
        if total > MAX_TRAIN_BYTES:
            raise ValueError(
                f"the MIDI files come to more than {MAX_TRAIN_BYTES / 1e6:.0f} MB; the limit is "
                f"{MAX_TRAIN_BYTES / 1e6:.0f} MB"
            )
        (dest / f"{count:04d}_{Path(name).name[-80:]}").write_bytes(data)

    for p in paths:
        p = Path(p)
        if p.suffix.lower() in midi.MIDI_SUFFIXES:
            put(p.name, p.read_bytes() if p.stat().st_size <= midi.MAX_MIDI_BYTES else b"")
        elif p.suffix.lower() == ".zip":
            try:
                with zipfile.ZipFile(p) as zf:
                    for info in zf.infolist():
                        if Path(info.filename).suffix.lower() in midi.MIDI_SUFFIXES:
                            if info.file_size > midi.MAX_MIDI_BYTES:
                                raise ValueError(
                                    f"{Path(info.filename).name} in {p.name} is over {midi.MAX_MIDI_BYTES / 1e6:.0f} MB"
                                )
                            put(info.filename, zf.read(info))
            except (zipfile.BadZipFile, OSError):
                raise ValueError(f"{p.name} was refused: it is not a zip file Atelier can read.") from None
    if not count:
        raise ValueError("No MIDI files found: upload .mid or .midi files (or a zip of them).")
    return count, total


def read_tunes(folder: Path) -> tuple[list[Tune], list[Tune], str]:
    """(training tunes, held-out tunes, a summary) from the MIDI files in `folder`; ValueError if
    no track has a melody of at least 8 notes."""
    tunes, problems = melody_data.read_midi_folder(folder)
    if not tunes:
        why = f" ({problems[0]})" if problems else ""
        raise ValueError(f"No track with at least 8 notes in these files{why}; nothing to learn from.")
    train, held = melody_data.split_by_tune(tunes, by="source")
    if not train:
        train, held = held, []
    said = f"{len(tunes)} melodies from your MIDI files ({len(held)} held out to measure)"
    if problems:
        said += f"; {len(problems)} file(s) skipped, e.g. {problems[0][:120]}"
    return train, held, said


def midi_bytes_ok(data: bytes) -> bytes:
    """MIDI bytes checked to read (a sidecar written next to a kept melody must be a MIDI file)."""
    midi.read_midi(io.BytesIO(data).getvalue())
    return data
