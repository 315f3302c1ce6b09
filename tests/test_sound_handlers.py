"""The Sound tab's handlers, called directly (no browser, no server): real notes, real workspaces,
real bounds, and a temp folder left empty."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
import soundfile as sf
import torch

from engines import checkpoints, recipe, tempfiles
from engines.jobs import TRAINING
from engines.settings import Settings
from engines.sound import audio, explore
from studio import common, sound
from studio.sound_melody_panels import melody_models

pytestmark = pytest.mark.skipif(not explore.available_models(None, "vae"), reason="no bundled Sound model")
MODEL = "notes (bundled)"
N = explore.N_SLIDERS
KEY_A, KEY_B = "a" * 24, "b" * 24


def _request(key: str = KEY_A, session: str = "s1") -> SimpleNamespace:
    return SimpleNamespace(headers={"x-atelier-workspace": key}, cookies={}, session_hash=session, session={})


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: these notes are small, and on a busy machine two threads wait on each other."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def shared_studio(tmp_path, monkeypatch):
    """A shared studio over folders of this test, and the studio temp folder inside it."""
    monkeypatch.setenv("ATELIER_THREADS", "1")  # a training configures torch with it (small models here)
    tempfiles.set_root(tmp_path / "tmp")
    yield common.configure(
        Settings(models_dir=tmp_path / "m", outputs_dir=tmp_path / "o", workspaces_dir=tmp_path / "w"), shared=True
    )
    assert tempfiles.count_files() == 0  # no handler leaves scratch behind


def _note(preset="Violin", pitch=64, velocity=100, seconds=1.5, timbre=None, sliders=None, key=KEY_A):
    wav, pic = sound.sound_generate(
        MODEL, preset, pitch, velocity, seconds, timbre, sliders or [0.0] * N, request=_request(key)
    )
    wave, sr = sf.read(io.BytesIO(wav), dtype="float32")
    return wave, sr, wav, pic


def _melody(path: Path, pitches=(57, 60, 62, 64, 65, 67, 69, 71, 72, 74), seconds=0.5, sr=16000) -> Path:
    t = np.arange(int(seconds * sr)) / sr
    env = np.minimum(1, t * 60) * np.exp(-3 * t)
    notes = [
        sum(0.4 / k * np.sin(2 * np.pi * 440 * 2 ** ((p - 69) / 12) * k * t) for k in range(1, 6)) * env
        for p in pitches
    ]
    sf.write(path, np.concatenate(notes), sr)
    return path


# ---------------------------------------------------------------- the note
def test_generate_returns_a_note_of_the_requested_length_and_a_timbre_slider_changes_it():
    short, sr, wav, pic = _note(seconds=1.0)
    assert sr == 16000 and abs(len(short) / sr - 1.53) < 0.03 and np.abs(short).max() > 0.05
    assert pic.size == (640, 200)
    longer, *_ = _note(seconds=2.0)
    assert abs((len(longer) - len(short)) / sr - 1.0) < 0.03  # the hold adds its own length
    moved, *_ = _note(seconds=1.0, sliders=[2.5] + [0.0] * (N - 1))
    assert len(moved) == len(short) and np.abs(moved - short).mean() > 1e-3


def test_generate_writes_no_file_and_carries_its_recipe(tmp_path):
    for v in (-2.0, 0.5, 2.0):  # three slider moves
        _, _, wav, _ = _note(sliders=[float(v)] + [0.0] * (N - 1))
    (tmp_path / "got.wav").write_bytes(wav)
    rec = recipe.read(tmp_path / "got.wav")
    assert rec["preset"] == "Violin" and rec["sliders"][0] == 2.0 and rec["pitch"] == 64
    assert tempfiles.count_files() == 0
    assert not list((tmp_path / "w").rglob("*.wav"))  # nothing kept unless asked


def test_keep_lands_in_the_callers_workspace_only():
    path = sound.sound_keep(MODEL, "Cello", 53, 90, 1.25, None, [1.5] + [0.0] * (N - 1), request=_request(KEY_A))
    mine = common.workspace(_request(KEY_A)).store.list("sound")
    theirs = common.workspace(_request(KEY_B)).store.list("sound")
    assert [str(o.path) for o in mine] == [path] and theirs == []
    rec = recipe.read(path)
    assert rec["pitch"] == 53 and rec["velocity"] == 90 and rec["preset"] == "Cello"
    restored = sound.restore(path, request=_request(KEY_A))
    assert restored[:5] == [MODEL, "Cello", 53.0, 90, 1.25] and restored[7] == 1.5


def test_bad_note_controls_get_readable_messages():
    for kwargs, message in [
        (dict(pitch=30), "plays MIDI 45-84; the pitch 30 is outside"),
        (dict(pitch=float("nan")), "pitch must be a finite number"),
        (dict(seconds=1e9), r"hold \(seconds\) must be between 0.25 and 30"),
        (dict(velocity=0), "velocity must be between 1 and 127"),
        (dict(velocity="loud"), "velocity must be a number"),
        (dict(sliders=[float("nan")] + [0.0] * (N - 1)), "Timbre 1 must be a finite number"),
        (dict(sliders=[0.0, 9.0] + [0.0] * (N - 2)), "Timbre 2 must be between -3 and 3"),
        (dict(preset="Kazoo"), "no preset 'Kazoo'"),
        (dict(preset=sound.MY_SOUND, timbre=[0.1, 0.2]), "16 numbers, not 2"),
        (dict(preset=sound.MY_SOUND, timbre=[float("inf")] * 16), "Timbre number 1 must be a fin"),
    ]:
        with pytest.raises(gr.Error, match=message):
            _note(**kwargs)


def test_the_pitch_sliders_follow_the_models_range():
    with gr.Blocks() as demo:
        with gr.Tab("Sound") as tab:
            sound.build(common.StudioContext(demo=demo), tab)
    by_id = {b.elem_id: b for b in demo.blocks.values() if getattr(b, "elem_id", None)}
    for elem in ("sound-pitch", "sound-morph-pitch-a", "sound-morph-pitch-b"):
        assert (by_id[elem].minimum, by_id[elem].maximum) == (45, 84)
    assert by_id["sound-seconds"].maximum == 30 and "atelier-main-output" in by_id["sound-audio"].elem_classes
    update = sound.model_changed(MODEL, "Flute", 100, 20, float("nan"), request=_request())
    assert (update[3].minimum, update[3].maximum, update[3].value) == (45, 84, 84)
    assert update[4].value == 45 and update[5].value == 45


# ---------------------------------------------------------------- morph, the retired continuation, encode
def test_morph_is_kept_in_the_workspace_and_leaves_no_scratch():
    path, pic = sound.sound_morph(
        MODEL, "Flute", 60, "Trumpet", 64, 3.0, 100, "Flute", None, [0.0] * N, request=_request()
    )
    wave, sr = sf.read(path, dtype="float32")
    assert abs(len(wave) / sr - 3.53) < 0.05 and recipe.read(path)["to"] == "Trumpet"
    assert common.workspace(_request()).owns(path) and tempfiles.count_files() == 0
    with pytest.raises(gr.Error, match="end pitch 90 is outside"):
        sound.sound_morph(MODEL, "Flute", 60, "Trumpet", 90, 3.0, 100, "Flute", None, [0.0] * N, request=_request())
    with pytest.raises(gr.Error, match="length .seconds. must be between 1 and 30"):
        sound.sound_morph(MODEL, "Flute", 60, "Trumpet", 64, 1e6, 100, "Flute", None, [0.0] * N, request=_request())
    model = explore.load_note_model(explore.available_models(None)[MODEL])
    with pytest.raises(ValueError, match="steps must be between 2 and 64"):
        explore.morph(model, (model.mean, 60), (model.mean, 62), 2.0, steps=10_000)


def test_the_retired_frame_continuation_is_gone_and_says_so(tmp_path):
    assert not hasattr(sound, "sound_continue") and "continuation RNN" not in sound.KINDS
    with pytest.raises(gr.Error, match="continuation RNN was retired; train a melody model"):
        list(
            sound.sound_train(
                [str(tmp_path / "x.wav")], "continuation RNN", "x", "from scratch", 20, 0, MODEL, request=_request()
            )
        )
    bundled = checkpoints.load(explore.available_models(None)[MODEL], engine="sound")
    old = tmp_path / "phrases.pt"
    checkpoints.save(old, checkpoints.Checkpoint("sound", {}, {**bundled.config, "kind": "rnn"}))
    with pytest.raises(gr.Error, match="frame continuation RNN, which was retired"):
        sound.add_model(str(old), request=_request())
    assert not (common.workspace(_request()).models_dir / "sound").exists()


def test_an_uploaded_melody_model_joins_the_melody_list(tmp_path):
    from engines.sound import compose

    bundled = compose.available_melody_models(None)
    mine = tmp_path / "my-tunes.pt"
    mine.write_bytes(next(iter(bundled.values())).read_bytes())
    notes, said = sound.add_model(str(mine), request=_request())
    assert said.startswith("Added the melody model **my-tunes (yours)**") and "pick it under Melody" in said
    assert "my-tunes (yours)" in melody_models(_request()) and notes == gr.update()


def test_an_old_continuation_reopens_its_note_only_with_a_line_saying_so(tmp_path):
    note = explore.note_recipe(
        explore.load_note_model(explore.available_models(None)[MODEL]), 62, 90, 1.0, "Flute", [0.0] * N
    )
    rec = {
        "engine": "sound",
        "kind": "continuation",
        "model": "phrases",
        "checkpoint": "0" * 64,
        "primer": note,
        "seconds": 4.0,
        "temperature": 0.5,
        "seed": 0,
    }
    kept = tmp_path / "old.wav"
    kept.write_bytes(recipe.wav_bytes(16000, (0.2 * np.sin(np.arange(16000) / 8)).astype(np.float32), rec))
    out = sound.restore(str(kept), request=_request())
    assert out[:5] == [MODEL, "Flute", 62.0, 90, 1.0] and "retired" in out[6] and "old.wav" in out[6]
    assert all(u == gr.update() for u in out[7 + N :])  # no output, no other panel is touched
    upload = {**rec, "primer": {"input": "inputs/x.wav", "name": "x.wav"}}
    kept.write_bytes(recipe.wav_bytes(16000, np.zeros(1600, np.float32), upload))
    out = sound.restore(str(kept), request=_request())
    assert out[0] == gr.update() and "retired" in out[6] and "the controls stay" in out[6]


def test_encode_reads_a_note_and_refuses_long_or_large_uploads(tmp_path, monkeypatch):
    t = np.arange(24000) / 16000
    tone = sum(0.3 / k * np.sin(2 * np.pi * 392.0 * k * t) for k in range(1, 6)) * np.exp(-2 * t)
    sf.write(tmp_path / "g4.wav", tone, 16000)
    preset, timbre, pitch, note, *sliders = sound.sound_encode(MODEL, str(tmp_path / "g4.wav"), request=_request())
    assert preset.value == sound.MY_SOUND and len(timbre["timbre"]) == 16 and pitch == 67 and "G4" in note
    wave, *_ = _note(preset=sound.MY_SOUND, pitch=pitch, timbre=timbre)
    assert np.abs(wave).max() > 0.05
    sf.write(tmp_path / "long.wav", 0.3 * np.sin(2 * np.pi * 220 * np.arange(31 * 8000) / 8000), 8000)  # 31 s
    with pytest.raises(gr.Error, match="lasts 31 s; the limit is 30 s"):
        sound.sound_encode(MODEL, str(tmp_path / "long.wav"), request=_request())
    monkeypatch.setattr(audio, "MAX_UPLOAD_BYTES", 10_000)
    with pytest.raises(gr.Error, match=r"g4.wav\) is 0 MB; the limit is"):
        sound.sound_encode(MODEL, str(tmp_path / "g4.wav"), request=_request())


# ---------------------------------------------------------------- training uploads
def _train(files, key=KEY_A, name="mine", steps=20):
    return sound.sound_train(
        [str(f) for f in files],
        "note model (timbre sliders)",
        name,
        "from the selected model",
        steps,
        0,
        MODEL,
        request=_request(key),
    )


def test_training_from_a_zip_leaves_no_scratch_and_saves_to_the_callers_workspace(tmp_path):
    with zipfile.ZipFile(tmp_path / "notes.zip", "w") as z:
        z.write(_melody(tmp_path / "m0.wav"), "m0.wav")
        z.writestr("notes.txt", "not audio")
    seen = []
    for out in _train([tmp_path / "notes.zip"]):
        seen.append(out[0])
        if "timing the first steps" in out[0]:  # the training has its data and has started: press Stop
            assert "10 notes from 1 file(s)" in out[0] and tempfiles.count_files() == 0
            common.stop_training(_request(KEY_A))
    # ended early: saved with its training state, and the last line says how to go on
    assert seen[-1].startswith("**Done**: Stopped at step 1 of 20; saved with its training state (")
    assert "train again with the same name to go on" in seen[-1] and "**mine (yours)** is in the list" in seen[-1]
    mine = common.workspace(_request(KEY_A)).models_dir / "sound" / "mine.pt"
    assert "opt" in checkpoints.load(mine, engine="sound").extra
    run = _train([tmp_path / "notes.zip"])  # the same name again: it goes on
    for out in run:
        if "resumed at step 1" in out[0]:
            break
    run.close()  # the page went away: the training stops and saves
    assert checkpoints.load(mine, engine="sound").meta["steps"] == 2
    assert not (common.workspace(_request(KEY_B)).models_dir / "sound").exists()
    assert "mine (yours)" in sound.models_of(_request(KEY_A)) and "mine (yours)" not in sound.models_of(_request(KEY_B))


def _declared_bomb(path: Path, declared: int) -> Path:
    """A small zip whose directory declares `declared` bytes of contents (as a zip bomb does)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.wav", b"\0" * 1000)
    blob = bytearray(path.read_bytes())
    at = blob.index(b"PK\x01\x02")
    blob[at + 24 : at + 28] = struct.pack("<I", declared)
    path.write_bytes(bytes(blob))
    return path


def test_a_zip_bomb_is_refused_with_a_message(tmp_path, monkeypatch):
    bomb = _declared_bomb(tmp_path / "bomb.zip", 600_000_000)
    with pytest.raises(gr.Error, match="would unpack to 600 MB; the limit is 500 MB"):
        list(_train([bomb]))
    monkeypatch.setattr(audio, "MAX_TRAIN_BYTES", 100_000)  # a real zip that unpacks past a small cap
    with zipfile.ZipFile(tmp_path / "zeros.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.wav", b"\0" * 1_000_000)
    with pytest.raises(gr.Error, match="zeros.zip was refused"):
        list(_train([tmp_path / "zeros.zip"]))
    assert tempfiles.count_files() == 0 and TRAINING.ticket_of(common.workspace(_request()).name) is None


def test_training_requests_are_checked_before_they_queue(tmp_path):
    melody = _melody(tmp_path / "m0.wav")
    for args, message in [
        (dict(files=[]), "Add your sounds"),
        (dict(files=[melody], steps=float("nan")), "Steps"),
        (dict(files=[melody], name="../x"), "Give the model a name"),
    ]:
        with pytest.raises(gr.Error, match=message):
            list(_train(**args))
