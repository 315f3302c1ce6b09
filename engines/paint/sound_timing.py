"""When a sound's events fall, for a Paint morph that moves with it: the sound checked (mono, not
silent, MIN_SECONDS-MAX_SECONDS long) and its onsets or beats found with their strengths.

librosa's onset strength envelope, then `librosa.onset.onset_detect` (every attack) or
`librosa.beat.beat_track` (the pulse); an onset whose envelope is below MIN_STRENGTH (a steady
tone's start reads about 0.05, a click about 4) does not count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from engines import limits

MAX_SECONDS = 60.0  # longest sound a morph follows
MIN_SECONDS = 0.5  # shortest
TIMINGS = ("onsets", "beats")
SILENCE_PEAK = 1e-3  # a sound quieter than this everywhere is silent
MIN_STRENGTH = 0.5  # onset envelope below this is not an onset
MIN_GAP_S = 0.08  # onsets closer than this count as one


@dataclass
class Timing:
    """When the sound's events fall and how strong each one is."""

    times: np.ndarray  # (n,) seconds
    strengths: np.ndarray  # (n,) in (0, 1], relative to the strongest
    seconds: float  # the sound's length
    kind: str  # 'onsets' or 'beats'
    tempo: float | None = None


def check_sound(sound: Any, what: str = "The sound") -> tuple[int, np.ndarray]:
    """(sample rate, wave) as gradio's audio gives it (int16 or float, mono or stereo either way
    round) -> (sr, mono float32 in [-1, 1]); ValueError for empty, silent, too short or too long."""
    if not (isinstance(sound, (tuple, list)) and len(sound) == 2):
        raise ValueError(f"{what} must be (sample rate, samples); record or upload one first.")
    sr = limits.whole(sound[0], f"{what}'s sample rate", 1000, 384_000)
    wave = np.asarray(sound[1])
    if wave.size == 0:
        raise ValueError(f"{what} holds no audio.")
    if wave.dtype.kind in "iu":
        wave = wave.astype(np.float32) / float(np.iinfo(wave.dtype).max)
    wave = wave.astype(np.float32)
    if wave.ndim == 2:
        wave = wave.mean(axis=1 if wave.shape[1] <= 8 else 0)
    elif wave.ndim != 1:
        raise ValueError(f"{what} must be mono or stereo samples.")
    if not np.isfinite(wave).all():
        raise ValueError(f"{what} holds samples that are not numbers.")
    seconds = len(wave) / sr
    if seconds > MAX_SECONDS:
        raise ValueError(f"{what} is {seconds:.1f} s long; a morph follows at most {MAX_SECONDS:g} s. Trim it first.")
    if seconds < MIN_SECONDS:
        raise ValueError(f"{what} is only {seconds:.2f} s long; give at least {MIN_SECONDS:g} s.")
    if float(np.abs(wave).max()) < SILENCE_PEAK:
        raise ValueError(f"{what} is silent: there is nothing to move with.")
    return sr, np.clip(wave, -1, 1)


def analyse(sr: int, wave: np.ndarray, timing: str = "onsets") -> Timing:
    """Onsets (or beats) of a checked mono sound, each with its strength; ValueError when none."""
    import librosa

    if timing not in TIMINGS:
        raise ValueError(f"The timing must be one of {', '.join(TIMINGS)}.")
    hop = 512
    env = librosa.onset.onset_strength(y=wave, sr=sr, hop_length=hop)
    tempo = None
    if timing == "onsets":
        frames = librosa.onset.onset_detect(
            onset_envelope=env, sr=sr, hop_length=hop, wait=max(1, int(math.ceil(MIN_GAP_S * sr / hop)))
        )
    else:
        tempo_arr, frames = librosa.beat.beat_track(onset_envelope=env, sr=sr, hop_length=hop)
        tempo = float(np.atleast_1d(tempo_arr)[0])
    frames = np.asarray(frames, dtype=int)
    if timing == "onsets":
        frames = frames[env[frames] >= MIN_STRENGTH] if len(frames) else frames
    elif float(env.max(initial=0)) < MIN_STRENGTH:
        frames = frames[:0]
    if len(frames) == 0:
        raise ValueError(
            "No onsets found in the sound: it has no clear attacks (a steady tone or a drone). "
            "Try a sound with beats, notes or claps."
        )
    strengths = env[frames] / max(float(env[frames].max()), 1e-6)
    times = librosa.frames_to_time(frames, sr=sr, hop_length=hop)
    return Timing(np.asarray(times, float), np.asarray(strengths, float).clip(0.05, 1), len(wave) / sr, timing, tempo)
