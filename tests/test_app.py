"""The studio as a process: it starts, serves, and answers its documented API."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from engines.outputs import OutputStore
from engines.recipe import write_png
from tests.conftest import ROOT, Studio, assert_no_traceback


def test_launch_serves_the_page_with_the_gallery(studio):
    with urllib.request.urlopen(studio.url) as r:
        assert r.status == 200
    config = json.load(urllib.request.urlopen(studio.url + "/config"))
    labels = [c.get("props", {}).get("label") for c in config["components"]]
    assert "Gallery" in labels
    ids = {c.get("props", {}).get("elem_id") for c in config["components"]}
    assert {"gallery-grid", "whatmade-file"} <= ids


def test_api_lists_reads_and_deletes_outputs(studio):
    store = OutputStore(studio.home / "outputs")  # the same folder the studio uses
    out = store.save_image(Image.new("RGB", (32, 32), (10, 200, 90)), {"engine": "paint", "seed": 321})
    store.save_text("a line", {"engine": "words", "prompt": "a"})
    client = Client(studio.url, verbose=False)
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert {"/gallery_list", "/gallery_items", "/gallery_recipe", "/gallery_delete"} <= set(api)

    items = {i["id"]: i for i in client.predict("image", "", api_name="/gallery_items")}  # other tests may add some
    assert out.id in items and items[out.id]["recipe"]["seed"] == 321
    assert {i["kind"] for i in items.values()} == {"image"}  # the line of text is filtered out
    summary, recipe = client.predict(handle_file(str(out.path)), api_name="/gallery_recipe")
    assert recipe["seed"] == 321 and "Paint" in summary
    assert client.predict(out.id, api_name="/gallery_delete") == f"deleted {out.id}"
    assert client.predict("all", "", api_name="/gallery_items")[0]["kind"] == "text"


def test_api_errors_are_messages_not_tracebacks(studio, tmp_path):
    client = Client(studio.url, verbose=False)
    plain = tmp_path / "plain.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(plain)
    with pytest.raises(Exception, match="carries no Atelier recipe"):
        client.predict(handle_file(str(plain)), api_name="/gallery_recipe")
    with pytest.raises(Exception, match="not a gallery id"):
        client.predict("../../etc", api_name="/gallery_delete")
    assert_no_traceback(studio)


def test_share_offline_keeps_serving(tmp_path):
    server = Studio(tmp_path, ["--share"])
    try:
        server.wait_ready()
        deadline = time.time() + 90
        while "keeps serving locally" not in server.log() and time.time() < deadline:
            time.sleep(0.5)
        assert "no share link could be made" in server.log()
        with urllib.request.urlopen(server.url) as r:  # still serving after the failed share
            assert r.status == 200
    finally:
        server.stop()


def test_unavailable_device_is_a_clear_message(tmp_path):
    if __import__("torch").cuda.is_available():
        pytest.skip("this machine has CUDA")
    env = {**os.environ, "ATELIER_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "launch.py"), "--device", "cuda"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0 and "no CUDA GPU" in proc.stderr and "Traceback" not in proc.stderr


def test_recipe_written_by_engines_is_read_by_the_studio_store(tmp_path):
    path = write_png(tmp_path / "x.png", Image.new("RGB", (4, 4)), {"engine": "paint", "seed": 1})
    assert OutputStore(tmp_path / "o").save_image(Image.open(path), {"engine": "paint", "seed": 1}).recipe["seed"] == 1


def test_gradio_cache_writes_a_repeated_picture_once_and_atomically(tmp_path):
    from gradio import processing_utils

    from studio import cachefix

    cachefix.install()  # build_app does this
    assert processing_utils.save_pil_to_cache is cachefix.save_pil_to_cache
    img = Image.new("RGB", (32, 32), (200, 80, 40))
    first = Path(processing_utils.save_img_array_to_cache(np.asarray(img), str(tmp_path), format="png"))
    inode = first.stat().st_ino
    again = Path(processing_utils.save_pil_to_cache(img, str(tmp_path), format="png"))
    assert again == first and again.stat().st_ino == inode  # not rewritten: a reader is never cut short
    assert Image.open(again).getpixel((3, 3)) == (200, 80, 40)
    sound = Path(processing_utils.save_bytes_to_cache(b"RIFF" + b"\0" * 40, "clip", str(tmp_path)))
    assert sound.read_bytes().startswith(b"RIFF") and not list(tmp_path.rglob(".*"))  # no staging files left


def test_gallery_replay_remakes_each_tabs_kept_output_identically(studio):
    """Keep one output through each tab's Keep (Paint picture, Stylize fast, Sound note, Words text at a
    seed), then /gallery_replay remakes each from its recipe alone, identical to the kept file."""
    from bench.studio import _keep_calls

    client = Client(studio.url, verbose=False)
    kept = []
    for api_name, args in _keep_calls():
        if api_name == "/words_keep":  # keep what the tab wrote at that seed
            text = client.predict(*args[:-1], api_name="/words_generate")
            args = (*args[:-1], text[0] if isinstance(text, (list, tuple)) else text)
        client.predict(*args, api_name=api_name)
        kept.append(client.predict("all", "", 1, 1, api_name="/gallery_items")[0])
    assert [k["recipe"]["engine"] for k in kept] == ["paint", "stylize", "sound", "words"]
    for item in kept:
        remade, result = client.predict(item["id"], api_name="/gallery_replay")
        assert result["exact"] and result["matches"], (item["recipe"]["engine"], result)
        assert Path(remade).is_file()
    for item in kept:  # leave the shared studio's gallery as it was for the tests after this one
        client.predict(item["id"], api_name="/gallery_delete")
    assert_no_traceback(studio)
