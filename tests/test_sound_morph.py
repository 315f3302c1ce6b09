"""Pictures that move with sound: a Paint morph whose moves fall on the sound's onsets, exported as
an MP4 that carries the sound, with messages for sounds it cannot follow."""

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
import torch

from engines.paint import explore
from engines.paint import sound_morph as sm

SR = 16_000
ONSETS = (0.5, 1.25, 2.0, 2.6)
SECONDS = 3.0
FPS = 12


def click_track(times=ONSETS, seconds=SECONDS, sr=SR) -> np.ndarray:
    """Short decaying 1 kHz clicks at `times` over silence."""
    wave = np.zeros(int(seconds * sr), np.float32)
    n = int(0.03 * sr)
    click = (np.sin(2 * np.pi * 1000 * np.arange(n) / sr) * np.exp(-np.arange(n) / (0.005 * sr))).astype(np.float32)
    for t in times:
        i = int(t * sr)
        wave[i : i + n] += 0.8 * click
    return wave


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def model():
    return explore.load_model(explore.BUNDLED_DIR / "emoji.pt")


@pytest.fixture(scope="module")
def keys(model):
    return [
        (explore.latent(model, s, 0.5, blend=c), explore.class_vector(model, c))
        for s, c in [(1, "faces"), (2, "animals & nature"), (3, "symbols")]
    ]


def _near_onset(frame_times: np.ndarray, within: float) -> np.ndarray:
    return np.array([any(0 <= t - o < within for o in ONSETS) for t in frame_times])


def test_each_onset_moves_the_morph_on_and_it_holds_still_between(model, keys):
    result = sm.make(model, keys, (SR, click_track()), fps=FPS, upscale=1)
    assert len(result.frames) == int(SECONDS * FPS)
    assert np.allclose(result.timing.times, ONSETS, atol=0.05)
    change = sm.frame_changes(result.frames)  # change[i]: frame i -> i + 1
    after = np.arange(len(change) + 1)[1:] / FPS  # the time of the frame each change arrives at
    near = _near_onset(after, sm.GLIDE_S + 1.5 / FPS)
    assert change[near].sum() > 0.95 * change.sum()
    assert change[~near].max() < 0.05 * change.max()
    # step k lands on keyframe k (mod 3): after the third onset it is back near keyframe 0
    first = explore.render(model, *keys[0])[0]
    assert np.abs(np.asarray(result.frames[0], float) - np.asarray(first, float)).mean() < 1e-6


def test_push_mode_kicks_at_each_onset_and_decays(model, keys):
    result = sm.make(model, keys[:1], (SR, click_track()), fps=FPS, mode="push", upscale=1, decay=0.2)
    change = sm.frame_changes(result.frames)
    biggest = np.sort(np.argsort(change)[-len(ONSETS) :] + 1) / FPS  # frames the 4 biggest jumps arrive at
    assert np.allclose(biggest, ONSETS, atol=1.5 / FPS)


def test_beats_timing_follows_the_pulse(model, keys):
    pulse = tuple(np.arange(0.25, 3.9, 0.5))
    result = sm.make(model, keys, (SR, click_track(pulse, 4.0)), fps=FPS, timing="beats", upscale=1)
    assert len(result.timing.times) >= 5 and result.timing.tempo == pytest.approx(120, rel=0.1)


def test_the_mp4_carries_the_sound_for_its_whole_length(model, keys, tmp_path):
    stereo = np.stack([click_track(), click_track()], axis=1)
    pcm = (stereo * 32767).astype(np.int16)  # as gradio hands over a recording
    result = sm.make(model, keys, (SR, pcm), fps=FPS, upscale=2)
    mp4, gif = sm.export(result, tmp_path / "moves.mp4", tmp_path / "moves.gif")
    frames, secs = imageio_ffmpeg.count_frames_and_secs(str(mp4))
    assert frames == int(SECONDS * FPS) and secs == pytest.approx(SECONDS, abs=0.1)
    probe = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(mp4), "-vn", "-f", "s16le", "-ac", "1", "-ar", "8000", "-"],
        capture_output=True,
        timeout=60,
    )
    assert "Audio: aac" in probe.stderr.decode()
    audio = np.frombuffer(probe.stdout, np.int16)
    assert len(audio) / 8000 == pytest.approx(SECONDS, abs=0.05)
    assert np.abs(audio).max() > 10_000  # the clicks are there
    assert gif.stat().st_size > 0 and result.frames[0].size == (128, 128)
    rec = sm.recipe(model, [{"seed": 1}, {"seed": 2}, {"seed": 3}], result, "clicks.wav")
    assert rec["kind"] == "sound morph" and rec["fps"] == FPS and len(rec["onsets"]) == 4


def test_sounds_it_cannot_follow_get_messages(model, keys):
    with pytest.raises(ValueError, match="silent"):
        sm.make(model, keys, (SR, np.zeros(SR * 2, np.float32)))
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(SR * 2) / SR)).astype(np.float32)
    with pytest.raises(ValueError, match="No onsets"):
        sm.make(model, keys, (SR, tone))
    with pytest.raises(ValueError, match="at most 60 s"):
        sm.make(model, keys, (8000, np.zeros(8000 * 61, np.float32)))
    with pytest.raises(ValueError, match="at least two keyframes"):
        sm.make(model, keys[:1], (SR, click_track()))
    with pytest.raises(ValueError, match="frames per second"):
        sm.make(model, keys, (SR, click_track()), fps=120)
    with pytest.raises(ValueError, match="sample rate"):
        sm.make(model, keys, "clicks.wav")
