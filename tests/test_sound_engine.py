"""Sound engine: the spectrum settings, mel conversions and the fast vocoder."""

import numpy as np
import pytest

from engines.sound import spectrum
from engines.sound.spectrum import SpectrumSettings

S = SpectrumSettings()


def _note(f0=220.0, seconds=1.0, sr=16000):
    t = np.arange(int(seconds * sr)) / sr
    env = np.minimum(1, t * 40) * np.exp(-2.5 * t)
    wave = sum(0.5 / k * np.sin(2 * np.pi * f0 * k * t) for k in range(1, 8))
    return (0.6 * env * wave).astype(np.float32)


def test_mel_shapes_and_log_round_trip():
    wave = _note()
    mel = spectrum.audio_to_mel(wave, S)
    assert mel.shape == (S.n_mels, S.frames(1.0)) and (mel >= 0).all()
    log = spectrum.to_log(mel, S)
    assert log.min() >= np.log(S.log_floor) - 1e-6
    assert np.allclose(spectrum.from_log(log)[mel > S.log_floor], mel[mel > S.log_floor], rtol=1e-5)
    assert SpectrumSettings(**S.to_dict()) == S


def test_mel_to_linear_is_non_negative_and_consistent():
    import torch
    mel = torch.as_tensor(spectrum.audio_to_mel(_note(), S))
    p = spectrum.mel_to_linear(mel, S)
    assert (p >= 0).all()
    rel = ((spectrum.mel_basis(S) @ p - mel).norm() / mel.norm()).item()
    assert rel < 0.1


@pytest.mark.parametrize("f0", [110.0, 330.0, 660.0])
def test_vocoder_is_no_worse_than_librosa_in_spectral_convergence(f0):
    import librosa
    wave = _note(f0)
    mel = spectrum.audio_to_mel(wave, S)
    ours = spectrum.mel_to_audio(mel, S, length=len(wave))
    ref = librosa.feature.inverse.mel_to_audio(mel, sr=S.sample_rate, n_fft=S.n_fft, hop_length=S.hop, n_iter=32,
                                              norm="slaney", length=len(wave))
    sc_ours = spectrum.spectral_convergence(ours, wave, S)
    sc_librosa = spectrum.spectral_convergence(ref, wave, S)
    assert sc_ours <= sc_librosa + 0.01 and sc_ours < 0.5
    assert np.abs(ours).max() <= 1.0 and len(ours) == len(wave)


def test_spectral_convergence_of_a_perfect_copy_is_zero():
    wave = _note()
    assert spectrum.spectral_convergence(wave, wave, S) == pytest.approx(0.0, abs=1e-6)


# ---------------------------------------------------------------- note VAE
def _note_set(n=24, frames=64):
    import torch
    rng = np.random.default_rng(0)
    mels, pitches = [], []
    for i in range(n):
        pitch = int(rng.integers(48, 73))
        f0 = 440.0 * 2 ** ((pitch - 69) / 12)
        wave = _note(f0, seconds=(frames - 1) * S.hop / S.sample_rate)
        mels.append(spectrum.audio_to_logmel(wave, S)[:, :frames])
        pitches.append(pitch)
    return torch.tensor(np.stack(mels), dtype=torch.float32), torch.tensor(pitches)


def test_note_vae_shapes_and_a_few_steps_lower_the_loss():
    import torch
    from engines.sound.vae import NoteVAE, NoteVAEConfig
    torch.manual_seed(0)
    mels, pitches = _note_set()
    model = NoteVAE(NoteVAEConfig(width=8))
    recon, l1, kl = model(mels, pitches)
    assert recon.shape == mels.shape and kl.item() >= 0
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = l1.item()
    for _ in range(60):
        _, l1, kl = model(mels, pitches)
        loss = l1 + 1e-3 * kl
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert l1.item() < 0.6 * first
    model.eval()
    with torch.no_grad():
        out = model.decode(torch.zeros(2, 16), torch.tensor([60, 64]))
    assert out.shape == (2, 80, 64) and torch.isfinite(out).all()
