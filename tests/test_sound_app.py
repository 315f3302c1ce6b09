"""Sound through the studio's API (gradio_client), as a script would use it."""

import time

import numpy as np
import pytest
import soundfile as sf
from gradio_client import Client, handle_file

from engines import recipe
from engines.sound import explore
from tests.conftest import assert_no_traceback

pytestmark = pytest.mark.skipif(not explore.available_models(None, "vae"), reason="no bundled Sound model")
MODEL = "notes (bundled)"
MELODY = "melody (bundled)"
AUTO = "auto (from the primer)"
N = explore.N_SLIDERS


def _client(studio) -> Client:
    return Client(studio.url, verbose=False)


def _note_args(preset="Flute", pitch=60, sliders=None, seconds=1.0, timbre=None):
    return [MODEL, preset, pitch, 100, seconds, timbre, *(sliders or [0.0] * N)]


def _read(path):
    wave, sr = sf.read(path, dtype="float32")
    return wave, sr


def test_generate_plays_a_note_and_a_slider_changes_it(studio):
    client = _client(studio)
    wav, spec_pic = client.predict(*_note_args(), api_name="/sound_generate")
    a, sr = _read(wav)
    assert sr == 16000 and abs(len(a) / sr - 1.53) < 0.03 and np.abs(a).max() > 0.05
    assert recipe.read(wav)["preset"] == "Flute"
    b, _ = _read(client.predict(*_note_args(sliders=[2.5] + [0.0] * (N - 1)), api_name="/sound_generate")[0])
    assert len(a) == len(b) and np.abs(a - b).mean() > 1e-3


def test_keep_saves_a_wav_with_its_recipe_to_the_gallery(studio):
    client = _client(studio)
    path = client.predict(*_note_args(preset="Violin", pitch=67), api_name="/sound_keep")
    rec = recipe.read(path)
    assert rec["engine"] == "sound" and rec["pitch"] == 67 and rec["preset"] == "Violin"
    items = client.predict("sound", "Violin", api_name="/gallery_items")
    assert any(i["recipe"].get("pitch") == 67 for i in items)


def test_morph_and_continue_the_current_note_as_a_melody(studio):
    client = _client(studio)
    wav, _ = client.predict(
        MODEL, "Flute", 60, "Trumpet", 64, 3.0, 100, "Flute", None, *[0.0] * N, api_name="/sound_morph"
    )
    wave, sr = _read(wav)
    assert abs(len(wave) / sr - 3.53) < 0.05 and recipe.read(wav)["to"] == "Trumpet"
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert "/sound_continue" not in endpoints  # the frame RNN's Continue was retired (issue #21)
    if "/sound_melody" in endpoints:  # the tab's Continue now: the Melody panel, from the note just played
        note, _ = client.predict(*_note_args(), api_name="/sound_generate")
        wav, _, _, said = client.predict(
            MELODY,
            "the current note",
            None,
            None,
            handle_file(note),
            1,
            0.8,
            0,
            120.0,
            0.0,
            AUTO,
            AUTO,
            MODEL,
            "Flute",
            None,
            *[0.0] * N,
            api_name="/sound_melody",
        )
        rec = recipe.read(wav)
        assert rec["kind"] == "melody" and rec["primer"]["source"] == "note" and "Continued" in said


def test_bad_requests_get_messages(studio, tmp_path):
    client = _client(studio)
    with pytest.raises(Exception, match="no preset 'Kazoo'"):
        client.predict(*_note_args(preset="Kazoo"), api_name="/sound_generate")
    with pytest.raises(Exception, match="no preset 'Kazoo'"):
        client.predict(MODEL, "Kazoo", 60, "Flute", 64, 3.0, 100, "Flute", None, *[0.0] * N, api_name="/sound_morph")
    with pytest.raises(Exception, match="numbers"):
        client.predict(*_note_args(preset="(my encoded sound)", timbre=[0.1, 0.2]), api_name="/sound_generate")
    assert_no_traceback(studio)


def _melody(path, pitches=(57, 60, 62, 64, 65, 67, 69, 71, 72, 74), seconds=0.5):
    t = np.arange(int(seconds * 16000)) / 16000
    env = np.minimum(1, t * 60) * np.exp(-3 * t)
    notes = [
        sum(0.4 / k * np.sin(2 * np.pi * 440 * 2 ** ((p - 69) / 12) * k * t) for k in range(1, 6)) * env
        for p in pitches
    ]
    sf.write(path, np.concatenate(notes), 16000)
    return path


def test_train_note_model_from_uploads_and_a_second_training_waits(studio, tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "more.zip", "w") as z:  # a zip with a stray non-audio file
        z.write(_melody(tmp_path / "m1.wav", pitches=(60, 64, 67, 72, 67, 64)), "m1.wav")
        z.writestr("notes.txt", "not audio")
    files = [handle_file(str(_melody(tmp_path / "m0.wav"))), handle_file(str(tmp_path / "more.zip"))]
    first, second = _client(studio), _client(studio)
    job = first.submit(
        files,
        "note model (timbre sliders)",
        "api-sound",
        "from the selected model",
        40,
        0,
        MODEL,
        api_name="/sound_train",
    )
    deadline = time.time() + 120
    while time.time() < deadline and not any("step" in str(o[0]) for o in job.outputs()):
        time.sleep(0.2)
    with pytest.raises(Exception, match="already have a training running"):  # one per workspace
        second.predict(
            files, "note model (timbre sliders)", "other", "from scratch", 20, 0, MODEL, api_name="/sound_train"
        )
    final = job.result(timeout=300)
    assert "Done" in final[0] and "compact: training it again fine-tunes from it" in final[0]
    assert (studio.home / "models" / "sound" / "api-sound.pt").is_file()
    wav = _client(studio).predict(
        "api-sound (yours)", "m0", 62, 100, 1.0, None, *[0.0] * N, api_name="/sound_generate"
    )[0]
    assert recipe.read(wav)["model"] == "api-sound"
