"""A shared studio (`--multi-user`) served to two visitors at once, through the API as scripts use
it: each sees only their own work, quotas refuse with a message, bad numbers get sentences, and
the temp folder is empty once the calls are over."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from engines.outputs import OutputStore
from tests.conftest import Studio, assert_no_traceback

PAINT = ("emoji (bundled)", "faces", "(none)", 0.5, 23, 0.2)


def visitor(server: Studio, key: str | None = None) -> Client:
    headers = {"X-Atelier-Workspace": key or secrets.token_urlsafe(24)}
    return Client(server.url, verbose=False, headers=headers)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """A multi-user studio with a tiny quota (0.3 MB per workspace)."""
    server = Studio(tmp_path_factory.mktemp("shared-home"), ["--multi-user", "--quota-mb", "0.3"])
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def keep_picture(client: Client, seed: int) -> str:
    return client.predict(*PAINT[:4], seed, PAINT[5], *[0.0] * 10, 1, api_name="/paint_keep")


def test_two_visitors_cannot_see_open_or_delete_each_others_work(shared):
    alice_key = secrets.token_urlsafe(24)
    alice, bob = visitor(shared, alice_key), visitor(shared)
    kept = keep_picture(alice, 101)
    items = alice.predict("all", "", api_name="/gallery_items")
    assert len(items) == 1 and items[0]["recipe"]["seed"] == 101
    assert bob.predict("all", "", api_name="/gallery_items") == []
    with pytest.raises(Exception, match="no output"):
        bob.predict(items[0]["id"], api_name="/gallery_delete")
    # the same key is the same workspace: a second script of Alice's sees her picture
    assert [i["id"] for i in visitor(shared, alice_key).predict("all", "", api_name="/gallery_items")] == [
        items[0]["id"]
    ]
    # her files live in a folder named by a hash of her key, never in the local gallery
    assert alice_key not in items[0]["file"] and "/workspaces/" in items[0]["file"]
    assert OutputStore(shared.home / "outputs").list() == []
    assert Path(kept).name.endswith(".png")
    assert_no_traceback(shared)


def test_local_files_are_not_served_by_a_shared_studio(shared):
    models = shared.home / "models" / "paint"
    models.mkdir(parents=True, exist_ok=True)
    secret = models / "owner.pt"
    secret.write_bytes(b"the owner's model")
    for path in (secret, shared.home / "outputs"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{shared.url}/gradio_api/file={path}")
        assert err.value.code in (403, 404)


def test_a_full_workspace_is_refused_with_a_message(shared):
    client = visitor(shared)
    with pytest.raises(Exception, match="workspace is full"):
        for seed in range(40):  # each picture is about 20-60 KB; the quota is 0.3 MB
            keep_picture(client, seed)
    assert visitor(shared).predict("all", "", api_name="/gallery_items") == []  # others are unaffected


@pytest.mark.parametrize(
    "psi, seed, message", [(5.0, 1, "Truncation needs a number from 0 to 1.5"), (0.2, -5, "between 0 and")]
)
def test_bad_numbers_get_sentences_not_black_pictures(shared, psi, seed, message):
    # (NaN and infinity cannot travel as JSON; the handlers' own tests send them directly)
    client = visitor(shared)
    with pytest.raises(Exception, match=message):
        client.predict(*PAINT[:4], seed, psi, *[0.0] * 9, api_name="/paint_generate")


def test_workspace_zip_goes_out_and_comes_back(shared):
    alice, bob = visitor(shared), visitor(shared)
    keep_picture(alice, 7)
    archive = alice.predict(api_name="/gallery_export")
    note = bob.predict(handle_file(archive), api_name="/gallery_import")
    assert note.startswith("Added 1 output")
    assert [i["recipe"]["seed"] for i in bob.predict("all", "", api_name="/gallery_items")] == [7]


def test_temp_folder_is_empty_after_the_calls(shared):
    tmp = shared.home / "tmp"
    leftovers = [p for p in tmp.rglob("*") if p.is_file() and "downloads" not in p.parts] if tmp.exists() else []
    assert leftovers == []


def test_the_page_sends_a_workspace_key(shared):
    config = json.load(urllib.request.urlopen(shared.url + "/config"))
    assert "X-Atelier-Workspace" in config["head"] and "atelier_ws" in config["head"]
    assert any(c.get("props", {}).get("elem_id") == "gallery-workspace-note" for c in config["components"])


def test_sweeps_stream_their_grid_through_the_api(shared):
    client = visitor(shared)
    result = client.predict(
        *PAINT[:4], 5, PAINT[5], *[0.0] * 10, "seed", "1, 2", "truncation", "0.2, 1", api_name="/paint_sweep"
    )
    grid = result[0]
    assert grid and Path(grid).is_file()
    with pytest.raises(Exception, match="100"):
        client.predict(
            *PAINT[:4], 5, PAINT[5], *[0.0] * 10, "seed", "0:100:11", "truncation", "0:1:10", api_name="/paint_sweep"
        )


def test_a_full_queue_answers_at_once_with_a_sentence():
    import gradio as gr

    from studio.app import BUSY, busy_answer

    with gr.Blocks() as demo:
        box = gr.Textbox()
        box.submit(lambda text: text, box, box, api_name="echo")
    demo.queue(max_size=0)  # always full
    busy_answer(demo)
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True)
    try:
        body = json.dumps({"data": ["hi"], "fn_index": 0, "session_hash": "abc", "event_data": None}).encode()
        req = urllib.request.Request(
            url + "gradio_api/queue/join", data=body, headers={"Content-Type": "application/json"}
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code == 503
        assert json.loads(err.value.read())["detail"] == BUSY
    finally:
        demo.close()
