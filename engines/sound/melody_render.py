"""Play note lists through the note VAE (`engines.sound.instrument`): a melody or a whole MIDI file
becomes a wave with the chosen preset and timbre sliders, tempo and swing; and a piano-roll picture.

Each distinct pitch (and loudness) of a track is decoded once by the note VAE and vocoded once,
all together in one batch through the project's Griffin-Lim vocoder; every note then takes that
sound cut to its length with a short release (or, for notes held longer than the model's note,
its own stretched picture). Voices are mixed by addition, so chords and several tracks just sum.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from engines import limits
from engines.sound import instrument, melody, midi
from engines.sound.melody import Tune
from engines.sound.midi import Note, Song, Track
from engines.sound.spectrum import from_log, griffin_lim, mel_to_linear

TEMPO_RANGE = (30.0, 300.0)  # beats per minute
SWING_RANGE = (0.0, 1.0)  # 0 straight eighths, 1 full triplet swing
MAX_RENDER_SECONDS = 180.0  # one render (a MIDI file longer than this is refused)
MAX_RENDER_NOTES = 6_000
LEGATO = 0.92  # share of a note's written length the key is held
RELEASE_SECONDS = 0.08  # fade after the key is lifted for notes shorter than the model's note
VOCODER_ITERS = 24
SHORT_HOLD = 1.4  # seconds: notes held up to this reuse the standard note


@dataclass(frozen=True)
class Timbre:
    """What a track sounds like: a preset of the note model, slider moves, or an explicit latent."""

    preset: str | None = None
    sliders: tuple[float, ...] = ()
    base: tuple[float, ...] | None = None


def swing_time(beats: np.ndarray | float, swing: float) -> np.ndarray:
    """Warp time so the off-beat eighth of every beat moves late by `swing` x a sixth of a beat
    (1.0 gives the 2:1 triplet feel); the beats themselves stay put."""
    beats = np.asarray(beats, dtype=np.float64)
    whole, frac = np.floor(beats), beats - np.floor(beats)
    mid = 0.5 + swing / 6.0
    warped = np.where(frac <= 0.5, frac * (mid / 0.5), mid + (frac - 0.5) * ((1 - mid) / 0.5))
    return whole + warped


def fit_pitch(pitch: int, lo: int, hi: int) -> int:
    """Move a pitch by octaves into the note model's range [lo, hi]."""
    while pitch < lo:
        pitch += 12
    while pitch > hi:
        pitch -= 12
    return pitch


def vocode_batch(log_mels: torch.Tensor, model: instrument.NoteModel, iters: int) -> np.ndarray:
    """Batch vocoding (B, n_mels, frames) -> (B, samples), each peak-limited to 1."""
    s = model.settings
    power = mel_to_linear(from_log(log_mels.float()), s)
    waves = griffin_lim(power.sqrt(), s, iters, length=(log_mels.shape[-1] - 1) * s.hop).numpy()
    peak = np.maximum(np.abs(waves).max(axis=1, keepdims=True), 1.0)
    return (waves / peak).astype(np.float32)


_CACHE: OrderedDict[tuple, np.ndarray] = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHE_SOUNDS = 512  # decoded and vocoded notes kept between renders


def _sounds(
    model: instrument.NoteModel, z: torch.Tensor, keys: list[tuple[int, int, float]], crop: int, iters: int
) -> dict[tuple[int, int, float], np.ndarray]:
    """The wave of each distinct (pitch, velocity, long hold or 0.0) in one timbre; short notes are
    vocoded only over the `crop` frames they use. Reused across renders (an LRU of CACHE_SOUNDS)."""
    tag = (model.hash, z.numpy().tobytes(), iters)

    def cache_key(k):
        return (*tag, *k, crop if k[2] == 0.0 else 0)

    with _CACHE_LOCK:
        found = {k: _CACHE[cache_key(k)] for k in keys if cache_key(k) in _CACHE}
    todo = [k for k in keys if k not in found]
    if todo:
        with torch.no_grad():
            mels = instrument.note_logmels(
                model,
                z[None].expand(len(todo), -1),
                torch.tensor([k[0] for k in todo]),
                torch.tensor([float(k[1]) for k in todo]),
            )
        shaped = [instrument.fit_duration(m, k[2], model.settings) if k[2] else m[:, :crop] for m, k in zip(mels, todo)]
        width = max(x.shape[-1] for x in shaped)
        padded = torch.stack(
            [torch.nn.functional.pad(x, (0, width - x.shape[-1]), value=float(x.min())) for x in shaped]
        )
        for k, w in zip(todo, vocode_batch(padded, model, iters)):
            found[k] = w
        with _CACHE_LOCK:
            for k in todo:
                _CACHE[cache_key(k)] = found[k]
            while len(_CACHE) > CACHE_SOUNDS:
                _CACHE.popitem(last=False)
    return found


def clear_cache() -> None:
    """Forget the cached note sounds (for timing a cold render)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def render_track(
    model: instrument.NoteModel,
    notes: Sequence[Note],
    tempo_bpm: float = 120.0,
    swing: float = 0.0,
    timbre: Timbre = Timbre(),
    iters: int = VOCODER_ITERS,
) -> np.ndarray:
    """One track's notes (beats) -> mono float32 wave at the note model's rate."""
    tempo_bpm = limits.number(tempo_bpm, "The tempo (bpm)", *TEMPO_RANGE)
    swing = limits.number(swing, "The swing", *SWING_RANGE)
    sr = model.settings.sample_rate
    spb = 60.0 / tempo_bpm
    lo, hi = model.pitch_range
    z = instrument.timbre(model, timbre.preset, timbre.sliders, timbre.base)
    if not notes:
        return np.zeros(sr // 2, np.float32)
    starts = swing_time([n.start for n in notes], swing) * spb
    ends = swing_time([n.start + n.duration for n in notes], swing) * spb
    holds = np.maximum((ends - starts) * LEGATO, 0.03)
    pitches = [fit_pitch(int(n.pitch), lo, hi) for n in notes]
    vels = [int(np.clip(round(n.velocity / 8) * 8, 8, 127)) for n in notes]  # loudness in 16 steps
    # one decode + vocode per distinct sound: (pitch, velocity) at the standard hold, or a long note
    keys = sorted({(p, v, 0.0 if h <= SHORT_HOLD else round(h * 4) / 4) for p, v, h in zip(pitches, vels, holds)})
    short = [h for h in holds if h <= SHORT_HOLD]
    crop = int((max(short, default=0.0) + RELEASE_SECONDS) * sr / model.settings.hop) + 3  # frames short notes use
    waves = _sounds(model, z, keys, crop, iters)
    total = int((ends.max() + 2.5) * sr)
    out = np.zeros(total, np.float32)
    fade_n = int(RELEASE_SECONDS * sr)
    for p, v, h, t0 in zip(pitches, vels, holds, starts):
        wave = waves[(p, v, 0.0 if h <= SHORT_HOLD else round(h * 4) / 4)]
        if h <= SHORT_HOLD:  # the standard note cut where the key lifts, with a short release
            cut = int(h * sr)
            wave = wave[: cut + fade_n].copy()
            wave[cut:] *= np.linspace(1.0, 0.0, len(wave) - cut, dtype=np.float32)
        i = int(round(t0 * sr))
        out[i : i + len(wave)] += wave[: max(0, total - i)]
    return _trim(out, sr)


def _trim(wave: np.ndarray, sr: int) -> np.ndarray:
    loud = np.nonzero(np.abs(wave) > 1e-4)[0]
    return wave[: int(loud[-1]) + sr // 20] if len(loud) else wave


def check_length(tracks: Sequence[Track], tempo_bpm: float) -> None:
    """Refuse a render over MAX_RENDER_NOTES notes or MAX_RENDER_SECONDS seconds, saying the numbers."""
    n = sum(len(t.notes) for t in tracks)
    if n > MAX_RENDER_NOTES:
        raise ValueError(f"that is {n:,} notes; one render plays at most {MAX_RENDER_NOTES:,}")
    beats = max((x.start + x.duration for t in tracks for x in t.notes), default=0.0)
    seconds = beats * 60.0 / float(tempo_bpm)
    if seconds > MAX_RENDER_SECONDS:
        raise ValueError(
            f"at {float(tempo_bpm):g} bpm that lasts {seconds:,.0f} s; one render plays at most "
            f"{MAX_RENDER_SECONDS:.0f} s (raise the tempo or use a shorter file)"
        )


def render_tracks(
    model: instrument.NoteModel,
    tracks: Sequence[Track],
    timbres: Sequence[Timbre] | Timbre,
    tempo_bpm: float = 120.0,
    swing: float = 0.0,
) -> tuple[int, np.ndarray]:
    """Several tracks, each with its own timbre (one Timbre for all, or one per track, cycling),
    mixed and peak-limited to 0.9. Returns (sample rate, wave) as gradio's Audio takes it."""
    tempo_bpm = limits.number(tempo_bpm, "The tempo (bpm)", *TEMPO_RANGE)
    check_length(tracks, tempo_bpm)
    timbres = [timbres] if isinstance(timbres, Timbre) else list(timbres) or [Timbre()]
    waves = [render_track(model, t.notes, tempo_bpm, swing, timbres[i % len(timbres)]) for i, t in enumerate(tracks)]
    mix = np.zeros(max(len(w) for w in waves), np.float32)
    for w in waves:
        mix[: len(w)] += w
    peak = float(np.abs(mix).max())
    if peak > 0.9:
        mix *= 0.9 / peak
    return model.settings.sample_rate, mix


def render_song(
    model: instrument.NoteModel,
    song: Song,
    presets: Sequence[str] | None = None,
    tempo_bpm: float | None = None,
    swing: float = 0.0,
) -> tuple[int, np.ndarray]:
    """A MIDI file read by `midi.read_midi`, one preset per track (cycling through `presets`;
    by default the model's presets nearest each track's General MIDI program by name, else the first)."""
    names = list(presets) if presets else [default_preset(model, t.program) for t in song.tracks]
    return render_tracks(model, song.tracks, [Timbre(n) for n in names], tempo_bpm or song.tempo_bpm, swing)


def default_preset(model: instrument.NoteModel, program: int) -> str | None:
    """The model's preset named like the General MIDI `program`, else one of its family, else the first."""
    from engines.sound.render import GM_NAMES

    names = list(model.presets)
    if not names:
        return None
    gm = GM_NAMES[program] if 0 <= program < len(GM_NAMES) else ""
    if gm in names:
        return gm
    family = [n for n in names if n in GM_NAMES and GM_NAMES.index(n) // 8 == program // 8]
    return family[0] if family else names[0]


# ---------------------------------------------------------------- the piano roll
PRIMER_COLOUR = (120, 144, 176)
NEW_COLOUR = (231, 111, 81)
TRACK_COLOURS = ((231, 111, 81), (42, 157, 143), (233, 196, 106), (120, 144, 176), (168, 100, 168), (80, 160, 220))


def piano_roll(
    tracks: Sequence[Sequence[Note]],
    split: float | None = None,
    bar_beats: float = 4.0,
    px_per_beat: int = 40,
    px_per_semitone: int = 8,
    max_width: int = 4000,
) -> Image.Image:
    """A piano-roll picture of note lists (one colour per list): notes as bars over a grid of bars
    and octaves (C rows darker); with `split`, notes before that beat are drawn in the primer's blue
    and a line marks where the continuation starts."""
    notes = [n for t in tracks for n in t]
    if not notes:
        return Image.new("RGB", (320, 120), (250, 250, 248))
    lo, hi = min(n.pitch for n in notes) - 2, max(n.pitch for n in notes) + 2
    beats = max(n.start + n.duration for n in notes)
    px_per_beat = max(4, min(px_per_beat, int(max_width / max(beats, 1))))
    W, H, left = int(beats * px_per_beat) + 48, (hi - lo + 1) * px_per_semitone + 8, 40
    img = Image.new("RGB", (W, H), (250, 250, 248))
    d = ImageDraw.Draw(img)

    def y(p: int) -> int:
        return 4 + (hi - p) * px_per_semitone

    for p in range(lo, hi + 1):
        if p % 12 in (1, 3, 6, 8, 10):
            d.rectangle([left, y(p), W, y(p) + px_per_semitone - 1], fill=(238, 238, 234))
        if p % 12 == 0:
            d.line([left, y(p) + px_per_semitone - 1, W, y(p) + px_per_semitone - 1], fill=(200, 200, 196))
            d.text((2, y(p) - 4), f"C{p // 12 - 1}", fill=(90, 90, 90))
    b = 0.0
    while b <= beats + 1e-6 and bar_beats > 0:
        d.line([left + b * px_per_beat, 0, left + b * px_per_beat, H], fill=(205, 205, 200))
        b += bar_beats
    for i, track in enumerate(tracks):
        for n in track:
            colour = TRACK_COLOURS[i % len(TRACK_COLOURS)] if len(tracks) > 1 else NEW_COLOUR
            if split is not None and n.start < split - 1e-6:
                colour = PRIMER_COLOUR
            x0 = left + n.start * px_per_beat
            x1 = max(x0 + 2, left + (n.start + n.duration) * px_per_beat - 1)
            d.rectangle([x0, y(n.pitch), x1, y(n.pitch) + px_per_semitone - 2], fill=colour)
    if split is not None:
        x = left + split * px_per_beat
        d.line([x, 0, x, H], fill=(40, 40, 40), width=2)
    return img


# ---------------------------------------------------------------- one call per studio button
PRIMER_BARS = 8  # a longer primer keeps its last bars
MIDI_SUFFIXES = (".mid", ".midi")


@dataclass
class MelodyPiece:
    """What 'Continue my melody' / 'Compose' hands back: audio, MIDI bytes, a piano roll, the recipe."""

    sample_rate: int
    wave: np.ndarray
    midi: bytes
    picture: Image.Image
    recipe: dict
    tune: Tune
    split: float  # beat where the model's part starts (0 when composed)


def primer_from_file(path: str | os.PathLike | None, tempo_bpm: float = 120.0) -> Tune | None:
    """A primer from an uploaded file: a MIDI file's busiest pitched track (its top line, the file's
    key and metre), or the notes found in a recording (onsets + pyin, on a sixteenth grid at
    `tempo_bpm`); None for no file. The primer keeps its last PRIMER_BARS bars."""
    if path is None or str(path) == "":
        return None
    path = Path(path)
    if path.suffix.lower() in MIDI_SUFFIXES:
        song = midi.read_midi(path)
        track = max(song.tracks, key=lambda t: len(t.notes))
        tune = melody.Tune(melody.top_line(track.notes), song.key, song.metre, 0.0, path.stem, path.name)
    else:
        from engines.sound.audio import load_upload
        from engines.sound.spectrum import SpectrumSettings

        clip = load_upload(path, SpectrumSettings(), "The primer")
        tune = melody.Tune(
            melody.notes_from_audio(clip.wave, 16000, tempo_bpm), None, (4, 4), 0.0, path.stem, path.name
        )
    return melody.last_bars(tune, PRIMER_BARS)


def melody_piece(
    note_model: instrument.NoteModel,
    melody_model: melody.MelodyModel,
    primer: Tune | None,
    bars: int = 4,
    temperature: float = 0.8,
    seed: int = 0,
    timbre: Timbre = Timbre(),
    tempo_bpm: float = 120.0,
    swing: float = 0.0,
    key: str | None = None,
    metre: str | tuple[int, int] | None = None,
) -> MelodyPiece:
    """Continue `primer` by `bars` bars (or compose from nothing in `key` and `metre` when it is
    None), then play primer + continuation with `timbre` at `tempo_bpm` and `swing`."""
    if primer is None or not primer.notes:
        out = melody.compose(melody_model, key or "C major", metre or (4, 4), bars, temperature, seed)
    else:
        out = melody.continue_tune(melody_model, primer, bars, temperature, seed, key=key, metre=metre)
    sr, wave = render_tracks(note_model, [Track("melody", out.tune.notes)], timbre, tempo_bpm, swing)
    data = midi.write_midi([Track("primer + continuation", out.tune.notes)], tempo_bpm, out.tune.metre)
    picture = piano_roll([out.tune.notes], split=out.split if out.primer_notes else None, bar_beats=out.tune.bar_beats)
    recipe = {
        **out.recipe,
        "note_model": note_model.name,
        "note_checkpoint": note_model.hash,
        "preset": timbre.preset,
        "sliders": [round(float(x), 4) for x in timbre.sliders],
        "tempo_bpm": float(tempo_bpm),
        "swing": float(swing),
    }
    return MelodyPiece(sr, wave, data, picture, recipe, out.tune, out.split)


def render_midi_file(
    note_model: instrument.NoteModel,
    path: str | os.PathLike,
    presets: Sequence[str] | None = None,
    tempo_bpm: float | None = None,
    swing: float = 0.0,
) -> tuple[tuple[int, np.ndarray], Image.Image, str]:
    """Play an uploaded MIDI file with the note model (one preset per track, cycling; the file's
    own tempo unless `tempo_bpm`). Returns ((sr, wave), piano roll, remarks on how it was read)."""
    song = midi.read_midi(path)
    audio = render_song(note_model, song, presets, tempo_bpm, swing)
    used = list(presets) if presets else [default_preset(note_model, t.program) for t in song.tracks]
    remarks = [f"{t.name}: {len(t.notes)} notes as {used[i % len(used)]}" for i, t in enumerate(song.tracks)]
    return (
        audio,
        piano_roll([t.notes for t in song.tracks], bar_beats=bar_beats_of(song)),
        "; ".join(remarks + song.remarks),
    )


def bar_beats_of(song: Song) -> float:
    return melody.bar_beats(song.metre)
