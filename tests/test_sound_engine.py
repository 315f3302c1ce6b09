"""Sound engine: the spectrum settings, mel conversions and the fast vocoder."""

from pathlib import Path

import numpy as np
import pytest

from engines.sound import spectrum
from engines.sound.spectrum import SpectrumSettings

S = SpectrumSettings()


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: these models are small, and on a busy machine two threads wait on each other."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


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
    ref = librosa.feature.inverse.mel_to_audio(
        mel, sr=S.sample_rate, n_fft=S.n_fft, hop_length=S.hop, n_iter=32, norm="slaney", length=len(wave)
    )
    sc_ours = spectrum.spectral_convergence(ours, wave, S)
    sc_librosa = spectrum.spectral_convergence(ref, wave, S)
    assert sc_ours <= sc_librosa + 0.01 and sc_ours < 0.5
    assert np.abs(ours).max() <= 1.0 and len(ours) == len(wave)


@pytest.mark.parametrize("f0", [130.8, 440.0, 987.8])
def test_log_mel_round_trip_keeps_a_sines_pitch(f0):
    from engines.sound.audio import estimate_pitch

    t = np.arange(16000) / 16000
    sine = (0.5 * np.sin(2 * np.pi * f0 * t)).astype(np.float32)
    back = spectrum.logmel_to_audio(spectrum.audio_to_logmel(sine, S128), S128, length=len(sine))
    midi = 69 + 12 * np.log2(f0 / 440)
    assert abs(estimate_pitch(back, 16000) - midi) < 0.25  # within 25 cents


def test_spectral_convergence_of_a_perfect_copy_is_zero():
    wave = _note()
    assert spectrum.spectral_convergence(wave, wave, S) == pytest.approx(0.0, abs=1e-6)


def test_vocoder_convergence_improves_with_iterations():
    wave = _note(262.0)
    mel = spectrum.audio_to_mel(wave, S)
    scs = [
        spectrum.spectral_convergence(spectrum.mel_to_audio(mel, S, iters=n, length=len(wave)), wave, S)
        for n in (1, 8, 32)
    ]
    assert scs[0] > scs[1] > scs[2]


# ---------------------------------------------------------------- note VAE
S128 = SpectrumSettings(n_mels=128)


def _note_set(n=24, frames=128):
    from engines.sound.render import NoteSet

    rng = np.random.default_rng(0)
    mels, pitches = [], []
    for i in range(n):
        pitch = int(rng.integers(48, 73))
        wave = _note(440.0 * 2 ** ((pitch - 69) / 12), seconds=(frames - 1) * S128.hop / S128.sample_rate)
        mels.append(spectrum.audio_to_logmel(wave, S128)[:, :frames])
        pitches.append(pitch)
    return NoteSet(np.stack(mels).astype(np.float16), np.array(pitches), np.full(n, 100), np.arange(n) % 3)


TINY_VAE = dict(width=32, cond=16, latent=8)


def test_note_vae_shapes_and_a_few_steps_lower_the_loss():
    import torch

    from engines.sound.vae import NoteVAE, NoteVAEConfig

    torch.manual_seed(0)
    notes = _note_set()
    mels = torch.as_tensor(notes.logmels).float()
    p, v = torch.as_tensor(notes.pitches), torch.as_tensor(notes.velocities)
    model = NoteVAE(NoteVAEConfig(**TINY_VAE))
    recon, l1, kl = model(mels, p, v)
    assert recon.shape == mels.shape and kl.item() >= 0
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = l1.item()
    for _ in range(60):
        _, l1, kl = model(mels, p, v)
        opt.zero_grad()
        (l1 + 1e-4 * kl).backward()
        opt.step()
    assert l1.item() < 0.6 * first
    model.eval()
    with torch.no_grad():
        out = model.decode(torch.zeros(2, 8), torch.tensor([60.5, 64.0]), torch.tensor([100, 50]))
    assert out.shape == (2, 128, 128) and torch.isfinite(out).all()


def test_train_vae_writes_a_checkpoint_that_plays_and_trains_again(tmp_path, monkeypatch):

    from engines import checkpoints
    from engines.sound import explore
    from engines.sound.recipe import TrainConfig
    from engines.sound.train import train_vae
    from engines.sound.vae import NoteVAEConfig

    monkeypatch.setenv("ATELIER_THREADS", "1")  # the training configures torch with it: one thread for a tiny model
    notes = _note_set(16)
    out = tmp_path / "tiny.pt"
    cfg = TrainConfig(steps=20, batch=8, eval_every=10, checkpoint_every=10, kl_warmup=10, compact=True)
    events = list(train_vae(notes, out, S128, NoteVAEConfig(**TINY_VAE), cfg, {0: "a", 1: "b"}, device="cpu"))
    assert events[-1].done and events[-1].checkpoint == out and events[-1].preview.dtype == np.float32
    assert set(events[-1].losses) == {"train", "held-out"} and [s for s, _ in events[-1].history] == [10, 20]
    # it completed its steps: the file is compact (no optimiser state), and says so
    said = events[-1].message
    assert (
        said.startswith("Finished at step")
        and "Saved tiny (" in said
        and "compact: training it again fine-tunes from it" in said
    )
    ck = checkpoints.load(out, engine="sound")
    assert "opt" not in ck.extra and ck.meta["steps"] == 20 and set(ck.extra["atlas"]["presets"]) == {"a", "b"}
    # training again with the same name fine-tunes it with a fresh optimiser, keeping its presets
    again = list(train_vae(notes, out, S128, cfg=TrainConfig(steps=10, batch=8, eval_every=10), device="cpu"))
    assert again[0].message == "started (fine-tuning tiny, 20 steps)" and again[-1].step == 10
    ck = checkpoints.load(out, engine="sound")
    assert ck.meta["lineage"][-1]["steps"] == 20 and set(ck.extra["atlas"]["presets"]) == {"a", "b"}
    model = explore.load_note_model(out)
    wave, mel = explore.note(model, 60, 100, 1.0, "a", [1.0, -1.0])
    # held 1 s, then the release rings on until it has decayed (at most 1.5 s more than the learnt release)
    assert len(wave) == (mel.shape[1] - 1) * 256 and 1.5 <= len(wave) / 16000 <= 3.1
    assert mel.shape[0] == 128 and np.abs(wave).max() <= 1.0
    with pytest.raises(ValueError, match="outside"):
        explore.note(model, 120)
    old = checkpoints.load(out, engine="sound")  # a frame continuation RNN's checkpoint (retired, issue #21)
    checkpoints.save(tmp_path / "phrases.pt", checkpoints.Checkpoint("sound", {}, {**old.config, "kind": "rnn"}))
    with pytest.raises(checkpoints.CheckpointError, match="frame continuation RNN: it was retired"):
        explore.load_note_model(tmp_path / "phrases.pt")
    found = explore.available_models(tmp_path)
    assert "tiny (yours)" in found and "phrases (yours)" not in found  # the retired one is not listed


def test_a_stopped_vae_training_keeps_its_state_and_resumes(tmp_path, monkeypatch):

    from engines import checkpoints
    from engines.jobs import StopToken
    from engines.sound.recipe import TrainConfig
    from engines.sound.train import train_vae
    from engines.sound.vae import NoteVAEConfig

    monkeypatch.setenv("ATELIER_THREADS", "1")  # the training configures torch with it: one thread for a tiny model
    notes, out, stop = _note_set(12), tmp_path / "half.pt", StopToken()
    cfg = TrainConfig(steps=20, batch=8, eval_every=5, checkpoint_every=10, kl_warmup=10, compact=True)
    events = []
    for ev in train_vae(notes, out, S128, NoteVAEConfig(**TINY_VAE), cfg, {0: "a"}, stop=stop, device="cpu"):
        events.append(ev)
        if ev.step == 5:
            stop.stop()  # the Stop button (or a closed page) during the run
    assert events[-1].done and events[-1].step == 6
    assert events[-1].message.startswith("Stopped at step 6 of 20; saved with its training state (")
    ck = checkpoints.load(out, engine="sound")
    assert "opt" in ck.extra and ck.meta["steps"] == 6
    full = out.stat().st_size
    more = list(train_vae(notes, out, S128, cfg=cfg, device="cpu"))
    assert more[0].message == "resumed at step 6" and more[-1].step == 20
    assert [s for s, _ in more[-1].history][:2] == [5, 6]  # the stopped run's history goes on
    assert "compact" in more[-1].message and out.stat().st_size < 0.6 * full  # no optimiser state now
    other = tmp_path / "tune.pt"  # a melody model's name: not overwritten by a note model
    checkpoints.save(other, checkpoints.Checkpoint("sound", {}, {**ck.config, "kind": "melody"}))
    with pytest.raises(checkpoints.CheckpointError, match="another kind; choose a new name"):
        next(train_vae(notes, other, S128, cfg=cfg, device="cpu"))


def test_fit_duration_keeps_attack_and_release():
    import torch

    from engines.sound.note_audio import fit_duration

    mel = torch.randn(128, 128)
    for seconds in (0.25, 1.0, 2.0, 5.5):
        out = fit_duration(mel, seconds, S128)
        assert out.shape == (128, int(round(seconds * 16000 / 256)) + 128 - 94)  # held + release
        assert torch.equal(out[:, -20:], mel[:, -20:])  # the release is the note's own
        assert torch.equal(out[:, :4], mel[:, :4])  # and so is the attack


# ---------------------------------------------------------------- the retired frame continuation
def test_an_old_continuation_recipe_cannot_be_remade_and_says_why():
    from engines.replay import ReplayContext
    from engines.sound import replay

    rec = {
        "engine": "sound",
        "kind": "continuation",
        "model": "phrases",
        "checkpoint": "0" * 64,
        "primer": {"input": "inputs/x.wav"},
        "seconds": 4.0,
        "temperature": 0.5,
        "seed": 0,
    }
    with pytest.raises(ValueError, match="frame continuation, which was retired.*kept as it was"):
        replay.remake(rec, ReplayContext(None, None))
    assert not replay.exact(rec)


# ---------------------------------------------------------------- the artist's audio
def test_load_audio_downmixes_resamples_and_refuses_bad_files(tmp_path):
    import soundfile as sf

    from engines.sound.audio import load_audio

    t = np.arange(44100) / 44100
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 440 * t)], 1) * 0.5
    sf.write(tmp_path / "st.wav", stereo, 44100)
    clip = load_audio(tmp_path / "st.wav", S128)
    assert clip.wave.ndim == 1 and abs(len(clip.wave) - 16000) < 10
    assert any("mono" in n for n in clip.notes) and any("44100" in n for n in clip.notes)
    sf.write(tmp_path / "quiet.wav", np.zeros(16000), 16000)
    with pytest.raises(ValueError, match="silent"):
        load_audio(tmp_path / "quiet.wav", S128)
    (tmp_path / "fake.wav").write_bytes(b"this is not audio at all" * 20)
    with pytest.raises(ValueError, match="could not be read as audio"):
        load_audio(tmp_path / "fake.wav", S128)
    sf.write(tmp_path / "long.wav", np.tile(stereo[:, 0], 5), 44100)
    assert len(load_audio(tmp_path / "long.wav", S128, max_seconds=2.0).wave) <= 2 * 16000 + 10


def test_notes_are_cut_at_onsets_with_their_pitch(tmp_path):
    from engines.sound.audio import Clip, notes_from_clips, split_notes

    melody = np.concatenate([_note(440.0 * 2 ** ((p - 69) / 12), seconds=0.6) for p in (57, 60, 64, 67, 69, 72)])
    found = split_notes(Clip("melody.wav", melody, []), S128)
    assert [round(p) for _, p in found] == [57, 60, 64, 67, 69, 72]
    with pytest.raises(ValueError, match="at least 8"):
        notes_from_clips([Clip("melody.wav", melody, [])], S128)


@pytest.mark.skipif(not Path("/usr/share/sounds/sf2/FluidR3_GM.sf2").exists(), reason="apt fluid-soundfont-gm missing")
def test_rendered_notes_have_the_requested_pitch():
    from engines.sound.audio import estimate_pitch
    from engines.sound.render import Renderer, level

    r = Renderer()
    for program, pitch in ((0, 60), (40, 69), (73, 76)):
        wave = level(r.note(program, pitch, 100), 100)
        assert abs(wave).max() == pytest.approx(0.9 * 100 / 127, rel=1e-3)
        assert abs(estimate_pitch(wave, 16000) - pitch) < 0.5


# ---------------------------------------------------------------- the bundled model
def _bundled():
    from engines.sound import explore

    found = explore.available_models(None, "vae")
    if not found:
        pytest.skip("no bundled Sound model")
    return explore.load_note_model(next(iter(found.values())))


def test_bundled_pitch_conditioning_moves_f0():
    from engines.sound import explore
    from engines.sound.audio import estimate_pitch

    model = _bundled()
    for preset in ("Flute", "Violin"):
        low, _ = explore.note(model, 57, 100, 1.5, preset)
        high, _ = explore.note(model, 69, 100, 1.5, preset)
        assert abs(estimate_pitch(low, 16000) - 57) < 0.5 and abs(estimate_pitch(high, 16000) - 69) < 0.5


def test_bundled_sliders_and_presets_change_the_sound_and_encoding_finds_the_pitch():
    from engines.sound import explore

    model = _bundled()
    assert len(model.presets) >= 20 and model.directions.shape[0] >= explore.N_SLIDERS
    _, a = explore.note(model, 60, 100, 1.0, "Flute")
    _, b = explore.note(model, 60, 100, 1.0, "Flute", [2.0])
    _, c = explore.note(model, 60, 100, 1.0, "Distortion Guitar")
    assert np.abs(a - b).mean() > 0.05 and np.abs(a - c).mean() > np.abs(a - b).mean() * 0.5
    tone = _note(440.0 * 2 ** ((64 - 69) / 12), seconds=2.0)
    z, pitch = explore.encode(model, tone)
    assert pitch == 64 and z.shape == (model.vae.cfg.latent,)
    coords = explore.coordinates(model, z, model.mean)
    assert len(coords) == explore.N_SLIDERS
