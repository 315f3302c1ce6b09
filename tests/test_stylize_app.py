"""Stylize through the studio's API (gradio_client)."""

from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from engines import recipe
from tests.conftest import assert_no_traceback
from tests.test_stylize_handlers import _huge_png

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"
CONTENT = str(SAMPLES / "content" / "chelsea.jpg")
STYLE = str(SAMPLES / "styles" / "mosaic.jpg")


def _fast_args(strength=1.0, w1=1.0, content=CONTENT, size=256):
    return [handle_file(content), handle_file(STYLE), None, None, None, w1, 0.5, 0.5, 0.5, strength, False, size]


def _gatys_args(steps, color_mode, mask=None):
    """/stylize_gatys's parameters: the sample picture and style at 128 px, the tab's default weights."""
    return [*_fast_args()[:9], steps, 128, 1.0, 0.15, 0.3, "efficientnet-lite0", "lbfgs", color_mode, mask]


def test_fast_strength_changes_the_picture_and_keep_saves_a_recipe(studio):
    client = Client(studio.url, verbose=False)
    before, full = client.predict(*_fast_args(1.0), api_name="/stylize_fast")
    _, light = client.predict(*_fast_args(0.2), api_name="/stylize_fast")
    a, b = np.asarray(Image.open(full), float), np.asarray(Image.open(light), float)
    assert a.shape == b.shape and max(a.shape[:2]) == 256 and np.abs(a - b).mean() > 3
    kept = client.predict(*_fast_args(0.7), api_name="/stylize_keep")
    rec = recipe.read(kept)
    assert rec["engine"] == "stylize" and rec["strength"] == 0.7 and rec["styles"] == ["mosaic.jpg"]


def test_gatys_streams_previews_and_finishes(studio):
    client = Client(studio.url, verbose=False)
    job = client.submit(*_gatys_args(30, "luminance"), api_name="/stylize_gatys")
    final = job.result(timeout=300)
    outputs = job.outputs()
    assert len(outputs) >= 3  # streamed: a start message and several previews before the end
    assert "Done" in final[1] and max(Image.open(final[0]).size) == 128


def test_dream_returns_a_picture(studio):
    client = Client(studio.url, verbose=False)
    out = client.predict(
        handle_file(CONTENT),
        "class",
        "parts (block 8)",
        0,
        "tabby",
        1,
        4,
        0.03,
        "noise",
        128,
        api_name="/stylize_dream",
    )
    assert Image.open(out).size == (128, 128)


def test_bad_inputs_get_clear_messages(studio, tmp_path):
    client = Client(studio.url, verbose=False)
    with pytest.raises(Exception, match="all style weights are zero"):
        client.predict(*_fast_args(w1=0.0), api_name="/stylize_fast")
    Image.new("RGB", (20, 20)).save(tmp_path / "tiny.png")
    with pytest.raises(Exception, match="at least 32 pixels"):
        client.predict(*_fast_args(content=str(tmp_path / "tiny.png")), api_name="/stylize_fast")
    assert_no_traceback(studio)


def test_a_kept_fast_recipe_names_its_bundled_samples(studio):
    client = Client(studio.url, verbose=False)
    kept = client.predict(*_fast_args(0.4), api_name="/stylize_keep")
    rec = recipe.read(kept)
    assert rec["content"] == "chelsea.jpg" and rec["method"] == "fast" and rec["weights"] == [1.0]


def test_hostile_pictures_get_the_same_plain_message_through_the_api(studio, tmp_path):
    client = Client(studio.url, verbose=False)
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("not a picture\n" * 50)
    frames = [Image.new("RGB", (64, 64), c) for c in ("red", "blue")]
    frames[0].save(tmp_path / "moving.gif", save_all=True, append_images=frames[1:], duration=100)
    _huge_png(tmp_path / "huge.png")
    for name, words in (
        ("empty.png", "Your picture is an empty file"),
        ("text.png", "Your picture is not a picture"),
        ("moving.gif", "Your picture is animated"),
        ("huge.png", "400 megapixels"),
    ):
        with pytest.raises(Exception, match=words):
            client.predict(*_fast_args(content=str(tmp_path / name)), api_name="/stylize_fast")
    mask = {"background": None, "layers": [handle_file(str(tmp_path / "text.png"))], "composite": None}
    with pytest.raises(Exception, match="Brushed layer 1 is not a picture"):
        client.predict(*_gatys_args(20, "none", mask), api_name="/stylize_gatys")
    assert_no_traceback(studio)
