"""Words through the studio's API (gradio_client), as a script would use it."""

import time

import pytest
from gradio_client import Client

from engines import recipe
from engines.words import explore
from tests.conftest import assert_no_traceback

pytestmark = pytest.mark.skipif(not explore.available_models(None, "gpt"), reason="no bundled Words model")
GPT = "shakespeare (bundled)"
VAE = "verse (bundled)"
HAS_VAE = bool(explore.available_models(None, "vae"))


def _client(studio) -> Client:
    return Client(studio.url, verbose=False)


def _args(prompt="ROMEO:\n", length=120, seed=5, stop=""):
    return [GPT, prompt, length, 0.8, 0, 0.95, 1.0, seed, stop]


def test_generate_streams_and_is_repeatable_for_a_seed(studio):
    client = _client(studio)
    job = client.submit(*_args(length=200), api_name="/words_generate")
    final = job.result(timeout=120)
    updates = job.outputs()
    assert len(updates) > 5 and final[0].startswith("ROMEO:\n") and len(final[0]) == len("ROMEO:\n") + 200
    assert all(len(a[0]) <= len(b[0]) for a, b in zip(updates, updates[1:]))  # text only grows
    again = client.predict(*_args(length=200), api_name="/words_generate")
    assert again[0] == final[0]


def test_stop_sequence_empty_prompt_and_unknown_characters(studio):
    client = _client(studio)
    text, _ = client.predict(*_args(length=300, stop="\\n"), api_name="/words_generate")
    assert "\n" not in text[len("ROMEO:\n") :]
    text, note = client.predict(*_args(prompt="", length=50), api_name="/words_generate")
    assert len(text) == 50 and "blank line" in note
    _, note = client.predict(*_args(prompt="Love ☃ me", length=20), api_name="/words_generate")
    assert "never saw" in note and "☃" in note


def test_keep_saves_a_txt_with_its_recipe(studio):
    client = _client(studio)
    text, _ = client.predict(*_args(seed=11, length=80), api_name="/words_generate")
    path = client.predict(*_args(seed=11, length=80), text, api_name="/words_keep")
    rec = recipe.read(path)
    assert rec["engine"] == "words" and rec["seed"] == 11 and rec["prompt"] == "ROMEO:\n"
    assert recipe.read_text(path) == text
    items = client.predict("text", "ROMEO", api_name="/gallery_items")
    assert any(i["recipe"].get("seed") == 11 for i in items)


@pytest.mark.skipif(not HAS_VAE, reason="no bundled line model")
def test_morph_and_line_sliders(studio):
    client = _client(studio)
    a, b = "Shall I compare thee to a summer's day?", "The quality of mercy is not strained."
    poem = client.predict(VAE, a, b, 6, "straight", "likeliest", 0, api_name="/words_morph")
    lines = poem.split("\n")
    assert len(lines) == 6 and all(lines)
    centre = client.predict(VAE, None, *[0.0] * explore.N_SLIDERS, api_name="/words_line")
    moved = client.predict(VAE, None, 2.5, *[0.0] * (explore.N_SLIDERS - 1), api_name="/words_line")
    assert centre and moved and centre != moved


def test_bad_requests_get_messages(studio):
    client = _client(studio)
    with pytest.raises(Exception, match="no Transformer called"):
        client.predict("nobody (yours)", "x", 20, 0.8, 0, 0.95, 1.0, 0, "", api_name="/words_generate")
    with pytest.raises(Exception, match="Write something first"):
        client.predict(*_args(), "  ", api_name="/words_keep")
    if HAS_VAE:
        with pytest.raises(Exception, match="line of text"):
            client.predict(VAE, "", "a line", 6, "straight", "likeliest", 0, api_name="/words_morph")
    assert_no_traceback(studio)


def test_train_on_pasted_text_and_a_second_training_waits(studio):
    text = "When I do count the clock that tells the time,\nAnd see the brave day sunk in hideous night;\n" * 40
    first, second = _client(studio), _client(studio)
    job = first.submit(
        None,
        text,
        "Transformer (writes on)",
        "api-words",
        "from the selected model",
        30,
        0,
        GPT,
        VAE,
        api_name="/words_train",
    )
    deadline = time.time() + 120
    while time.time() < deadline and not any("step" in str(o[0]) for o in job.outputs()):
        time.sleep(0.2)
    with pytest.raises(Exception, match="already have a training"):
        second.predict(None, text, "RNN-VAE (lines)", "other", "from scratch", 20, 0, GPT, VAE, api_name="/words_train")
    final = job.result(timeout=300)
    assert "Done" in final[0]
    assert (studio.home / "models" / "words" / "api-words.pt").is_file()
    out, _ = _client(studio).predict(
        "api-words (yours)", "When I", 40, 0.5, 0, 0.95, 1.0, 0, "", api_name="/words_generate"
    )
    assert out.startswith("When I") and len(out) == 46
    with pytest.raises(Exception, match="at least 2,000"):
        _client(studio).predict(
            None,
            "too short",
            "Transformer (writes on)",
            "tiny",
            "from scratch",
            20,
            0,
            GPT,
            VAE,
            api_name="/words_train",
        )
