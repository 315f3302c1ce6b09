"""Paint through the studio's API (gradio_client), as a script would use it."""

import time

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from engines import recipe
from engines.paint.explore import bundled_models
from tests.conftest import assert_no_traceback
from tests.paint_helpers import shapes, write_pictures

pytestmark = pytest.mark.skipif(not bundled_models(), reason="no bundled Paint model in assets/")
N_SLIDERS = 10


def _client(studio) -> Client:
    return Client(studio.url, verbose=False)


def _args(seed=42, sliders=None, cls="faces"):
    sliders = sliders or [0.0] * N_SLIDERS
    return ["emoji (bundled)", cls, "(none)", 0.5, seed, 0.8, *sliders]


def test_generate_defaults_and_slider_changes_the_picture(studio):
    client = _client(studio)
    first = np.asarray(Image.open(client.predict(api_name="/paint_generate")))
    assert first.ndim == 3 and first.shape[0] >= 256
    base = np.asarray(Image.open(client.predict(*_args(), api_name="/paint_generate")))
    moved = np.asarray(Image.open(client.predict(*_args(sliders=[2.5] + [0.0] * 9), api_name="/paint_generate")))
    assert base.shape == moved.shape and np.abs(base.astype(int) - moved).mean() > 1


def test_keep_saves_a_png_with_its_recipe_to_the_gallery(studio):
    client = _client(studio)
    path = client.predict(*_args(seed=7), 2, api_name="/paint_keep")
    rec = recipe.read(path)
    assert rec["engine"] == "paint" and rec["seed"] == 7 and rec["upscale"] == 2
    assert Image.open(path).size == (128, 128)
    items = client.predict("image", "paint", api_name="/gallery_items")
    assert any(i["recipe"].get("seed") == 7 for i in items)


def test_morph_renders_gif_and_mp4(studio):
    client = _client(studio)
    keys = [
        {"seed": 1, "psi": 0.8, "classes": {"faces": 1}},
        {"seed": 2, "psi": 0.8, "classes": {"animals & nature": 1}},
    ]
    preview, gif = client.predict("emoji (bundled)", keys, 12, 8, True, "GIF", 1, api_name="/paint_morph")
    im = Image.open(preview)
    assert im.n_frames == 12 and recipe.read(preview)["keyframes"][1]["seed"] == 2
    _, mp4 = client.predict("emoji (bundled)", keys, 12, 8, False, "MP4", 1, api_name="/paint_morph")
    assert mp4.endswith(".mp4") and open(mp4, "rb").read(12)[4:8] == b"ftyp"
    with pytest.raises(Exception, match="at least two keyframes"):
        client.predict("emoji (bundled)", keys[:1], 12, 8, True, "GIF", 1, api_name="/paint_morph")


def test_bad_requests_get_messages(studio):
    client = _client(studio)
    with pytest.raises(Exception, match="no class 'dragons'"):
        client.predict(*_args(cls="dragons"), api_name="/paint_generate")
    assert_no_traceback(studio)


def test_train_from_uploads_and_a_second_training_is_told_to_wait(studio, tmp_path):
    folder = write_pictures(tmp_path / "pics", shapes(16), by_class=False)
    files = [handle_file(str(p)) for p in sorted(folder.glob("*.png"))]
    first, second = _client(studio), _client(studio)
    job = first.submit(files, "api-test", "from scratch", 60, 0, 32, "emoji (bundled)", api_name="/paint_train")
    deadline = time.time() + 60
    while time.time() < deadline and not any("step" in str(o[0]) for o in job.outputs()):
        time.sleep(0.2)
    with pytest.raises(Exception, match="already have a training"):  # the studio's queue: one per workspace
        second.predict(files, "other", "from scratch", 50, 0, 32, "emoji (bundled)", api_name="/paint_train")
    final = job.result(timeout=300)
    assert "Done" in final[0]
    items = _client(studio).predict("image", "api-test", api_name="/gallery_items")
    assert items and items[0]["recipe"]["kind"] == "training preview"
    assert (studio.home / "models" / "paint" / "api-test.pt").is_file()
