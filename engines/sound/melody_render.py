"""Play note lists through the note VAE (`engines.sound.explore`): a melody or a whole MIDI file
becomes a wave with the chosen preset and timbre sliders, tempo and swing; `melody_piece` continues
or composes a tune and hands back its sound, MIDI file and piano roll together.

Each distinct pitch (and loudness) of a track is decoded once by the note VAE and vocoded once,
all together in one batch through the project's Griffin-Lim vocoder; every note then takes that
sound cut to its length with a short release (or, for notes held longer than the model's note,
its own stretched picture). Voices are mixed by addition, so chords and several tracks just sum.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from engines import limits
from engines.sound import compose, explore, midi
from engines.sound.midi import Song, Track
from engines.sound.note_audio import fit_duration
from engines.sound.pictures import piano_roll
from engines.sound.render import GM_NAMES
from engines.sound.spectrum import from_log, griffin_lim, mel_to_linear
from engines.sound.tunes import Note, Tune

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


def vocode_batch(log_mels: torch.Tensor, model: explore.NoteModel, iters: int) -> np.ndarray:
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
    model: explore.NoteModel, z: torch.Tensor, keys: list[tuple[int, int, float]], crop: int, iters: int
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
            mels = explore.note_logmels(
                model,
                z[None].expand(len(todo), -1),
                torch.tensor([k[0] for k in todo]),
                torch.tensor([float(k[1]) for k in todo]),
            )
        shaped = [fit_duration(m, k[2], model.settings) if k[2] else m[:, :crop] for m, k in zip(mels, todo)]
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
    model: explore.NoteModel,
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
    z = explore.timbre(model, timbre.preset, timbre.sliders, timbre.base)
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
    model: explore.NoteModel,
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
    model: explore.NoteModel,
    song: Song,
    presets: Sequence[str] | None = None,
    tempo_bpm: float | None = None,
    swing: float = 0.0,
) -> tuple[int, np.ndarray]:
    """A MIDI file read by `midi.read_midi`, one preset per track (cycling through `presets`;
    by default the model's presets nearest each track's General MIDI program by name, else the first)."""
    names = list(presets) if presets else [default_preset(model, t.program) for t in song.tracks]
    return render_tracks(model, song.tracks, [Timbre(n) for n in names], tempo_bpm or song.tempo_bpm, swing)


def default_preset(model: explore.NoteModel, program: int) -> str | None:
    """The model's preset named like the General MIDI `program`, else one of its family, else the first."""
    names = list(model.presets)
    if not names:
        return None
    gm = GM_NAMES[program] if 0 <= program < len(GM_NAMES) else ""
    if gm in names:
        return gm
    family = [n for n in names if n in GM_NAMES and GM_NAMES.index(n) // 8 == program // 8]
    return family[0] if family else names[0]


# ---------------------------------------------------------------- one call per studio button
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


def melody_piece(
    note_model: explore.NoteModel,
    melody_model: compose.MelodyModel,
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
        out = compose.compose(melody_model, key or "C major", metre or (4, 4), bars, temperature, seed)
    else:
        out = compose.continue_tune(melody_model, primer, bars, temperature, seed, key=key, metre=metre)
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
