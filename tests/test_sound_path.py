"""The artist's path in Sound (#20, #23): reopening every kind restores every control and the output,
exact remakes, the history strip, measured slider names, clean note edges, spectrogram axes, sweeps."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
import soundfile as sf
import torch

from engines import recipe, replay, sweep, tempfiles
from engines.settings import Settings
from engines.sound import explore, named, note_audio
from studio import common, sound

pytestmark = pytest.mark.skipif(not explore.available_models(None, "vae"), reason="no bundled Sound model")
MODEL = "notes (bundled)"
N = explore.N_SLIDERS
KEY = "p" * 24


def _request(key: str = KEY) -> SimpleNamespace:
    return SimpleNamespace(headers={"x-atelier-workspace": key}, cookies={}, session_hash="s1", session={})


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def shared_studio(tmp_path):
    tempfiles.set_root(tmp_path / "tmp")
    yield common.configure(
        Settings(models_dir=tmp_path / "m", outputs_dir=tmp_path / "o", workspaces_dir=tmp_path / "w"), shared=True
    )
    assert tempfiles.count_files() == 0


def _ctx() -> replay.ReplayContext:
    ws = common.workspace(_request())
    return replay.ReplayContext(ws.models_dir, ws.store)


def _samples(value) -> np.ndarray:
    data = value if isinstance(value, bytes) else Path(value).read_bytes()
    return sf.read(io.BytesIO(data), dtype="int16")[0]


SLIDERS = [0.5, -1.0, 0.0, 0.25, 0.0, 0.0, 0.0, -0.5]


def test_a_kept_note_reopens_with_every_control_and_the_same_samples_and_remakes_exactly():
    path = sound.sound_keep(MODEL, "Cello", 53, 90, 1.25, None, SLIDERS, request=_request())
    out = sound.restore(path, request=_request())
    assert len(out) == len(sound.RESTORE_OUTPUTS) or not sound.RESTORE_OUTPUTS
    assert out[:6] == [MODEL, "Cello", 53.0, 90, 1.25, None] and out[7 : 7 + N] == SLIDERS
    assert np.array_equal(_samples(out[7 + N]), _samples(path))  # the note output is the kept note
    assert isinstance(
        out[8 + N], type(sound.spec(np.zeros((128, 4)), explore.load_note_model(explore.available_models(None)[MODEL])))
    )
    rec = recipe.read(path)
    assert replay.exact(rec) and replay.same(replay.remake(rec, _ctx()), Path(path))


def test_a_morph_reopens_its_panel_and_the_current_sound_and_remakes_exactly():
    path, _ = sound.sound_morph(
        MODEL, sound.CURRENT, 60, "Flute", 64, 1.5, 100, "Violin", None, SLIDERS, request=_request()
    )
    out = sound.restore(path, request=_request())
    assert out[1] == "Violin" and out[7 : 7 + N] == SLIDERS and out[2] == out[4] == gr.update()
    morph = out[9 + N : 16 + N]
    assert morph[:5] == [sound.CURRENT, 60.0, "Flute", 64.0, 1.5] and morph[5] == path
    rec = recipe.read(path)
    assert replay.exact(rec) and replay.same(replay.remake(rec, _ctx()), Path(path))


def test_an_encoded_sound_keeps_its_recording_and_reopens_with_it(tmp_path):
    sr = 16000
    t = np.arange(sr) / sr
    sf.write(tmp_path / "g4.wav", (0.4 * np.exp(-2 * t) * np.sin(2 * np.pi * 392 * t)).astype(np.float32), sr)
    preset, timbre, pitch, *_ = sound.sound_encode(MODEL, str(tmp_path / "g4.wav"), request=_request())
    ws = common.workspace(_request())
    assert ws.store.input_path(timbre["source"]).read_bytes() == (tmp_path / "g4.wav").read_bytes()
    path = sound.sound_keep(MODEL, sound.MY_SOUND, pitch, 100, 1.0, timbre, [0.0] * N, request=_request())
    assert recipe.read(path)["source"] == timbre["source"]
    out = sound.restore(path, request=_request())
    assert out[1] == sound.MY_SOUND and out[5] == timbre
    assert replay.same(replay.remake(recipe.read(path), _ctx()), Path(path))


def test_the_history_strip_keeps_settled_notes_and_a_click_goes_back():
    entries, shown = sound.note_settled([], MODEL, "Flute", 60, 100, 1.0, None, [0.0] * N, request=_request())
    entries, shown = sound.note_settled(entries, MODEL, "Flute", 60, 100, 1.0, None, [0.0] * N, request=_request())
    assert len(entries) == 1  # the same note again is not a new result
    entries, shown = sound.note_settled(entries, MODEL, "Violin", 67, 80, 1.0, None, SLIDERS, request=_request())
    assert len(entries) == len(shown) == 2 and shown[0][1].startswith("Violin")
    back = sound.history_open(entries, SimpleNamespace(index=1), request=_request())
    assert back[:5] == [MODEL, "Flute", 60.0, 100, 1.0] and back[7 : 7 + N] == [0.0] * N
    again = sound.sound_generate(MODEL, "Flute", 60, 100, 1.0, None, [0.0] * N, request=_request())[0]
    assert np.array_equal(_samples(back[7 + N]), _samples(again))
    with pytest.raises(gr.Error, match="no longer in the strip"):
        sound.history_open(entries, SimpleNamespace(index=5), request=_request())


def test_slider_names_come_from_the_stored_measurements(tmp_path):
    bundled = explore.available_models(None)[MODEL]
    model = explore.load_note_model(bundled)
    stored = json.loads(named.sidecar(bundled).read_text())
    assert stored["checkpoint"] == model.hash and len(stored["effects"]) == N
    assert named.slider_info(model)["names"] == named.names_from(stored["effects"])
    looks = sound.slider_looks(model)
    assert [s.label for s in looks] == [f"{i + 1}. {n}" for i, n in enumerate(named.names_from(stored["effects"]))]
    assert all(s.maximum == r for s, r in zip(looks, stored["ranges"]))
    # another copy of the model with other measurements beside it is named by those
    copy = tmp_path / "copy.pt"
    shutil.copyfile(bundled, copy)
    flipped = [{k: -v for k, v in e.items()} for e in stored["effects"]]
    named.sidecar(copy).write_text(json.dumps({**stored, "effects": flipped}))
    named.forget(model.hash)
    try:
        names = named.slider_info(explore.load_note_model(copy))["names"]
        assert names == named.names_from(flipped) and names[0] != named.names_from(stored["effects"])[0]
    finally:
        named.forget(model.hash)


def test_every_preset_starts_without_a_click_and_rings_out_before_it_ends():
    model = explore.load_note_model(explore.available_models(None)[MODEL])
    worst_onset, worst_tail = 0.0, -200.0
    for preset in model.presets:
        wav, _ = sound.sound_generate(MODEL, preset, 60, 100, 1.0, None, [0.0] * N, request=_request())
        wave, sr = sf.read(io.BytesIO(wav), dtype="float32")
        peak = np.abs(wave).max()
        worst_onset = max(worst_onset, abs(wave[0]) / peak)
        end = int(note_audio.END_FADE_S * sr)  # the 10 ms before the final fade: the sound has decayed
        tail = wave[-2 * end : -end]
        worst_tail = max(worst_tail, 20 * np.log10(np.sqrt(np.mean(tail**2)) / peak + 1e-12))
    assert worst_onset <= 0.01 and worst_tail < -40


def test_the_spectrogram_has_time_and_frequency_axes():
    _, pic = sound.sound_generate(MODEL, "Flute", 60, 100, 1.0, None, [0.0] * N, request=_request())
    assert pic.size == (640, 200)
    a = np.asarray(pic.convert("L")).astype(int)
    left, bottom = a[:170, :40], a[185:, 50:600]
    assert (left < 160).sum() > 100 and (left > 240).mean() > 0.6  # labels on paper, left of the picture
    assert (bottom < 160).sum() > 100 and (bottom > 240).mean() > 0.6  # and below it


def _sweep(x=("pitch", "60, 64"), y=("velocity", "80, 110")):
    *_, last = sound.sound_sweep_run(
        MODEL, "Flute", 60, 100, 0.5, None, [0.0] * N, x[0], x[1], y[0], y[1], request=_request()
    )
    return last


def test_a_sweep_plays_every_cell_with_gaps_is_kept_reopens_and_remakes_exactly():
    status, track, cells, kept, recipes = _sweep()
    rec = recipe.read(kept)
    wave, sr = sf.read(kept, dtype="float32")
    gaps = int(round(sweep.GAP_SECONDS * sr)) * 3
    assert len(rec["cell_samples"]) == len(cells) == len(recipes) == 4 and len(wave) == sum(rec["cell_samples"]) + gaps
    assert [r["pitch"] for r in recipes] == [60.0, 64.0, 60.0, 64.0] and recipes[3]["velocity"] == 110
    opened = sound.sweep_cell_open(recipes, SimpleNamespace(index=3), request=_request())
    assert opened[2:4] == [64.0, 110]
    out = sound.restore(kept, request=_request())
    assert out[16 + N : 20 + N] == ["pitch", "60.0, 64.0", "velocity", "80, 110"] and out[21 + N] == kept
    assert len(out[22 + N]) == 4
    assert replay.exact(rec) and replay.same(replay.remake(rec, _ctx()), Path(kept))


def test_sweeps_are_bounded_with_readable_messages():
    with pytest.raises(gr.Error, match="110 cells; a sweep makes at most 100"):
        _sweep(("pitch", "45:84:11"), ("velocity", "10:127:10"))
    with pytest.raises(gr.Error, match=r"between 1 and 25 \(got 101\)"):
        _sweep(("pitch", "45:84:101"), ("velocity", "100"))
    with pytest.raises(gr.Error, match="plays MIDI 45-84"):
        _sweep(("pitch", "30, 60"))
    with pytest.raises(gr.Error, match="cannot move 'loudness'"):
        _sweep(("loudness", "1, 2"))
    with pytest.raises(gr.Error, match="Both axes move"):
        _sweep(("timbre 1", "0, 1"), ("timbre 1: x", "0, 1"))
