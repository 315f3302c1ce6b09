"""Audio <-> log-mel spectrum, and back to audio with a fast vocoder.

One frozen `SpectrumSettings` describes the representation (a model stores it in its
checkpoint). Analysis uses torch's STFT and librosa's Slaney mel filters. The vocoder inverts
mel to a linear spectrum with a pseudo-inverse start refined by a few multiplicative
non-negative least-squares updates (instead of librosa's slow per-call L-BFGS-B NNLS), then
recovers phase with fast Griffin-Lim (Perraudin, Balazs & Søndergaard 2013,
https://arxiv.org/abs/1306.2818; momentum 0.99).
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class SpectrumSettings:
    sample_rate: int = 16000
    n_fft: int = 1024
    hop: int = 256
    n_mels: int = 80
    fmin: float = 0.0
    fmax: float | None = None  # None: half the sample rate
    log_floor: float = 1e-5  # power below this counts as silence

    def to_dict(self) -> dict:
        return asdict(self)

    def frames(self, seconds: float) -> int:
        """STFT frames (centred) covering `seconds` of audio."""
        return int(round(seconds * self.sample_rate)) // self.hop + 1


@functools.lru_cache(maxsize=8)
def mel_basis(s: SpectrumSettings) -> torch.Tensor:
    """Slaney-normalised mel filters (n_mels, n_fft // 2 + 1)."""
    import librosa

    return torch.from_numpy(
        librosa.filters.mel(sr=s.sample_rate, n_fft=s.n_fft, n_mels=s.n_mels, fmin=s.fmin, fmax=s.fmax, norm="slaney")
    ).float()


@functools.lru_cache(maxsize=8)
def _mel_pinv(s: SpectrumSettings) -> torch.Tensor:
    return torch.linalg.pinv(mel_basis(s))


def _window(s: SpectrumSettings) -> torch.Tensor:
    return torch.hann_window(s.n_fft)


def stft(wave: torch.Tensor, s: SpectrumSettings) -> torch.Tensor:
    """Complex STFT (freq, frames) of a mono wave (samples,)."""
    return torch.stft(wave, s.n_fft, s.hop, window=_window(s), center=True, return_complex=True)


def istft(spec: torch.Tensor, s: SpectrumSettings, length: int | None = None) -> torch.Tensor:
    return torch.istft(spec, s.n_fft, s.hop, window=_window(s), center=True, length=length)


def audio_to_mel(wave: np.ndarray | torch.Tensor, s: SpectrumSettings) -> np.ndarray:
    """Power mel spectrum (n_mels, frames) of a mono float wave."""
    w = torch.as_tensor(np.asarray(wave, dtype=np.float32))
    power = stft(w, s).abs().pow(2)
    return (mel_basis(s) @ power).numpy()


def to_log(mel: np.ndarray, s: SpectrumSettings) -> np.ndarray:
    """Natural-log mel, floored at `log_floor`."""
    return np.log(np.maximum(mel, s.log_floor))


def from_log(log_mel: np.ndarray) -> np.ndarray:
    return np.exp(log_mel)


def audio_to_logmel(wave: np.ndarray, s: SpectrumSettings) -> np.ndarray:
    """The representation the models work in: log power mel (n_mels, frames)."""
    return to_log(audio_to_mel(wave, s), s)


def mel_to_linear(mel: torch.Tensor, s: SpectrumSettings, nnls_iters: int = 50) -> torch.Tensor:
    """Non-negative power spectrum P with mel_basis @ P ~ mel: clipped pseudo-inverse, then
    multiplicative NNLS updates P <- P * (M^T Y) / (M^T M P)."""
    m = mel_basis(s)
    p = (_mel_pinv(s) @ mel).clamp_min(1e-10)
    mty = m.T @ mel
    for _ in range(nnls_iters):
        p = p * mty / (m.T @ (m @ p)).clamp_min(1e-10)
    return p


def griffin_lim(
    magnitude: torch.Tensor,
    s: SpectrumSettings,
    iters: int = 32,
    momentum: float = 0.99,
    length: int | None = None,
    seed: int = 0,
) -> torch.Tensor:
    """Fast Griffin-Lim: a waveform whose STFT magnitude approaches `magnitude` (freq, frames)."""
    gen = torch.Generator().manual_seed(seed)
    angles = torch.exp(2j * torch.pi * torch.rand(magnitude.shape, generator=gen))
    previous = torch.zeros_like(angles)
    for _ in range(iters):
        wave = istft(magnitude * angles, s, length)
        rebuilt = stft(wave, s)
        accelerated = rebuilt - (momentum / (1 + momentum)) * previous
        angles = accelerated / accelerated.abs().clamp_min(1e-12)
        previous = rebuilt
    return istft(magnitude * angles, s, length)


def mel_to_audio(
    mel: np.ndarray, s: SpectrumSettings, iters: int = 32, nnls_iters: int = 50, length: int | None = None
) -> np.ndarray:
    """Power mel (n_mels, frames) -> mono float wave, peak-limited to [-1, 1]."""
    power = mel_to_linear(torch.as_tensor(mel, dtype=torch.float32), s, nnls_iters)
    wave = griffin_lim(power.sqrt(), s, iters, length=length).numpy()
    peak = float(np.abs(wave).max()) if wave.size else 0.0
    return wave / peak if peak > 1.0 else wave


def logmel_to_audio(log_mel: np.ndarray, s: SpectrumSettings, **kw) -> np.ndarray:
    return mel_to_audio(from_log(log_mel), s, **kw)


def spectral_convergence(estimate: np.ndarray, reference: np.ndarray, s: SpectrumSettings) -> float:
    """|| |STFT(ref)| - |STFT(est)| ||_F / || |STFT(ref)| ||_F on a common length (0 is perfect)."""
    n = min(len(estimate), len(reference))
    a = stft(torch.as_tensor(np.asarray(reference[:n], np.float32)), s).abs()
    b = stft(torch.as_tensor(np.asarray(estimate[:n], np.float32)), s).abs()
    return float((a - b).norm() / a.norm().clamp_min(1e-12))
