"""A decoded note picture becomes a clean wave: the key held for any length (the attack and the
release keep their own length while the held part stretches), the ringing tail continued until it has
decayed, vocoded with the project's Griffin-Lim, and a click-free start and end."""

from __future__ import annotations

import numpy as np
import torch

from engines import limits
from engines.sound.spectrum import SpectrumSettings, logmel_to_audio

RELEASE_START = 94  # first frame after the key is released in a rendered note (1.5 s)
ATTACK_FRAMES = 6
MIN_SECONDS, MAX_SECONDS = 0.25, limits.MAX_SOUND_SECONDS  # how long a key may be held
VOCODER_ITERS = 32
ONSET_RAMP_S = 0.004  # a raised-cosine fade-in from silence: no click at the note's first sample
END_FADE_S = 0.01  # the last moment fades to silence (after the tail has decayed)
TAIL_FLOOR_DB = 70.0  # a note ends when its level is this far below its peak
TAIL_MAX_S = 1.5  # at most this much ring is added after the learned release
TAIL_FIT_FRAMES = 12  # frames of the learned release whose slope the added tail continues


def fit_duration(log_mel: torch.Tensor, hold_seconds: float, settings: SpectrumSettings) -> torch.Tensor:
    """A note picture (n_mels, frames) with the key held for `hold_seconds`: the held part is
    stretched or cut; the attack and the release (which rings on after) keep their own length."""
    hold_seconds = float(np.clip(hold_seconds, MIN_SECONDS, MAX_SECONDS))
    release = log_mel[:, RELEASE_START:]
    k = 4  # frames of cross-fade from the held sound into the release
    held_frames = max(ATTACK_FRAMES + k + 1, int(round(hold_seconds * settings.sample_rate / settings.hop)) + k)
    if held_frames <= RELEASE_START:
        held = log_mel[:, :held_frames]
    else:
        body = log_mel[:, ATTACK_FRAMES:RELEASE_START]
        stretched = torch.nn.functional.interpolate(
            body[None], size=held_frames - ATTACK_FRAMES, mode="linear", align_corners=True
        )[0]
        held = torch.cat([log_mel[:, :ATTACK_FRAMES], stretched], 1)
    w = torch.linspace(0, 1, k + 2)[1:-1]
    blend = held[:, -k:] * (1 - w) + release[:, :k] * w
    return torch.cat([held[:, :-k], blend, release[:, k:]], 1)


def to_audio(
    log_mel: torch.Tensor | np.ndarray,
    settings: SpectrumSettings,
    iters: int = VOCODER_ITERS,
    seconds: float | None = None,
) -> np.ndarray:
    """Vocode a log-mel to a wave (exactly `seconds` long when given)."""
    log_mel = log_mel.detach().cpu().numpy() if isinstance(log_mel, torch.Tensor) else log_mel
    length = None if seconds is None else int(round(seconds * settings.sample_rate))
    return logmel_to_audio(log_mel.astype(np.float32), settings, iters=iters, length=length).astype(np.float32)


def extend_tail(log_mel: torch.Tensor, settings: SpectrumSettings) -> torch.Tensor:
    """A note picture (n_mels, frames) that still sounds at its last frame, rung on until it is
    TAIL_FLOOR_DB below its peak (or near the picture's silence floor): the last frame's spectrum
    repeated, falling at the slope of the learned release (at least fast enough to fall silent
    within TAIL_MAX_S). A note that has already decayed is returned as it is."""
    energy = torch.logsumexp(log_mel, dim=0) * (10 / np.log(10))  # dB per frame
    silence = 10 * np.log10(settings.n_mels * settings.log_floor) + 6  # the picture's own floor, plus a margin
    drop = float(energy[-1] - max(float(energy.max()) - TAIL_FLOOR_DB, silence))
    if drop <= 0:
        return log_mel
    k = min(TAIL_FIT_FRAMES, log_mel.shape[1] - 1)
    slope = float(energy[-k - 1] - energy[-1]) / max(k, 1)  # dB per frame, positive when falling
    max_frames = int(TAIL_MAX_S * settings.sample_rate / settings.hop)
    rate = max(slope, drop / max_frames)  # dB per frame
    frames = int(np.ceil(drop / rate))
    fall = torch.arange(1, frames + 1, dtype=log_mel.dtype) * rate * (np.log(10) / 10)  # in nats
    return torch.cat([log_mel, log_mel[:, -1:] - fall[None]], 1)


def finish_wave(wave: np.ndarray, sample_rate: int) -> np.ndarray:
    """A rendered sound made clean at both ends: a raised-cosine ramp of ONSET_RAMP_S from silence
    at the start (no click) and a fade over the last END_FADE_S (no cut)."""
    wave = np.array(wave, dtype=np.float32, copy=True)
    for n, at_start in ((int(ONSET_RAMP_S * sample_rate), True), (int(END_FADE_S * sample_rate), False)):
        n = min(n, len(wave) // 2)
        if n <= 0:
            continue
        ramp = (0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)).astype(np.float32)  # 0 .. just under 1
        if at_start:
            wave[:n] *= ramp
        else:
            wave[-n:] *= ramp[::-1]
    return wave


def render_note(log_mel: torch.Tensor, settings: SpectrumSettings) -> tuple[np.ndarray, np.ndarray]:
    """(wave, log-mel) of a sound picture: its ringing tail extended, vocoded, clean at both ends."""
    log_mel = extend_tail(log_mel, settings)
    return finish_wave(to_audio(log_mel, settings), settings.sample_rate), log_mel.numpy()
