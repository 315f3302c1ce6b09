"""Workspaces, quotas, the training queue, limits, temp folders, crash recovery and workspace zips:
the pieces a shared studio stands on, tested without a server."""

from __future__ import annotations

import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engines import limits, tempfiles
from engines.jobs import Busy, TrainingQueue
from engines.outputs import OutputStore
from engines.workspace import QuotaExceeded, WorkspaceError, Workspaces, folder_name
from engines.workspace_zip import export_zip, import_zip


def make(tmp_path: Path, shared: bool = True, quota: int | None = None) -> Workspaces:
    return Workspaces(tmp_path / "outputs", tmp_path / "models", tmp_path / "workspaces", shared, quota)


def test_a_local_studio_is_one_workspace_whatever_the_key(tmp_path):
    spaces = make(tmp_path, shared=False)
    assert spaces.get(None) == spaces.get("a" * 20) == spaces.local
    assert spaces.local.outputs_dir == (tmp_path / "outputs").resolve() and spaces.local.quota_bytes is None


def test_shared_workspaces_are_separate_folders_named_by_a_hash_of_the_key(tmp_path):
    spaces = make(tmp_path)
    a, b = spaces.get("alice-key-0123456789"), spaces.get("bob-key-0123456789ab")
    assert a.outputs_dir != b.outputs_dir and a.models_dir != b.models_dir
    assert "alice" not in str(a.outputs_dir) and a.name == folder_name("alice-key-0123456789")
    out = a.store.save_text("mine", {"engine": "words"})
    assert a.owns(out.path) and not b.owns(out.path)
    assert b.store.list() == [] and [o.id for o in a.store.list()] == [out.id]
    assert {w.name for w in spaces.all()} == {"local", a.name, b.name}
    for bad in (None, "", "short", "../../etc/passwd-xxxxxxxx", "a b" * 10):
        with pytest.raises(WorkspaceError):
            spaces.get(bad)


def test_quota_refuses_with_how_much_is_used_and_how_to_free_it(tmp_path):
    ws = make(tmp_path, quota=50_000).get("quota-key-0123456789")
    ws.check_room(10_000)
    ws.store.save_sound(22050, np.random.default_rng(0).normal(0, 0.1, 44100).astype(np.float32), {"engine": "sound"})
    with pytest.raises(QuotaExceeded, match=r"holds \d+ MB of its 0 MB.*Delete outputs in the Gallery"):
        ws.check_room()
    assert "of 0 MB used" in ws.usage_text()


def test_training_queue_is_first_come_one_per_owner_and_shows_positions():
    queue = TrainingQueue(slots=1)
    first = queue.join("alice", "Paint 'a'")
    second = queue.join("bob", "Sound 'b'")
    third = queue.join("carol", "Words 'c'")
    assert first.wait(0.01) and not second.wait(0.01)
    assert (first.position, second.position, third.position) == (0, 1, 2)
    with pytest.raises(Busy, match="already have a training"):
        queue.join("bob", "another")
    assert "Paint 'a'" in queue.describe() and "2 waiting" in queue.describe()
    released = threading.Timer(0.2, first.release)
    released.start()
    assert second.wait(5) and third.position == 1
    assert queue.stop(owner="carol") == 1 and third.stop_token.stopped and not second.stop_token.stopped
    second.release()
    third.release()
    assert not queue.busy


def test_stop_by_page_reaches_the_trainings_that_page_started():
    queue = TrainingQueue(slots=2)
    a = queue.join("alice", "x", session="page-1")
    b = queue.join("bob", "y", session="page-2")
    assert queue.stop(session="page-1") == 1 and a.stop_token.stopped and not b.stop_token.stopped


@pytest.mark.parametrize(
    "value, message",
    [
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        ("abc", "must be a number"),
        (None, "must be a number"),
        (5.0, "between 0 and 2"),
    ],
)
def test_limits_turn_bad_numbers_into_sentences(value, message):
    with pytest.raises(ValueError, match=message):
        limits.number(value, "Temperature", 0, 2)


def test_seeds_must_be_whole_numbers_in_range():
    assert limits.seed(42) == 42 and limits.seed(7.0) == 7
    for bad, message in (
        (-1, "between 0 and"),
        ("", "Type a seed"),
        (None, "Type a seed"),
        (2.5, "whole number"),
        (2**40, "between 0 and"),
    ):
        with pytest.raises(ValueError, match=message):
            limits.seed(bad)
    with pytest.raises(ValueError, match="characters long"):
        limits.text("x" * 11, "The prompt", 10)


def test_job_folders_vanish_and_a_start_sweeps_leftovers(tmp_path):
    tempfiles.set_root(tmp_path / "tmp")
    with tempfiles.job_dir("morph") as work:
        (work / "frame.png").write_bytes(b"x")
        assert tempfiles.count_files() == 1
    assert tempfiles.count_files() == 0
    (tempfiles.root() / "atelier-sound-left").mkdir()
    (tempfiles.root() / "atelier-sound-left" / "a.wav").write_bytes(b"RIFF")
    assert tempfiles.sweep() == 1 and tempfiles.count_files() == 0


def test_a_killed_save_is_recovered_or_swept(tmp_path):
    store = OutputStore(tmp_path / "o")
    kept = store.save_image(Image.new("RGB", (40, 40), (200, 10, 10)), {"engine": "paint", "seed": 5})
    whole = store.save_text("a whole poem", {"engine": "words", "prompt": "x"})
    (store.root / f"{whole.id}.json").unlink()  # killed after the media, before the record
    (store.root / f"{whole.id}.thumb.png").unlink()
    (store.root / ".20260101-000000-000000-abcd.png.tmp.part").write_bytes(b"half")  # killed mid-write
    (store.root / "20260101-000000-000001-abcd.png").write_bytes(b"\x89PNG broken")  # no recipe: not whole
    assert store.recover() == (1, 2)
    ids = [o.id for o in store.list()]
    assert set(ids) == {kept.id, whole.id} and store.get(whole.id).recipe["prompt"] == "x"
    assert not list(store.root.glob("*.part")) and not list(store.root.glob(".*"))
    store.delete(whole.id)  # now deletable from the Gallery
    assert [o.id for o in store.list()] == [kept.id]


def test_paging_reads_only_the_page(tmp_path, monkeypatch):
    store = OutputStore(tmp_path / "o")
    made = [store.save_text(f"text {i}", {"engine": "words", "seed": i}) for i in range(7)]
    reads = []
    original = store._load
    monkeypatch.setattr(store, "_load", lambda record: reads.append(record) or original(record))
    page, total = store.page(offset=2, limit=3)
    assert total == 7 and [o.id for o in page] == [o.id for o in made[::-1][2:5]] and len(reads) == 3
    texts, n = store.page(kind="text", query="seed", offset=6, limit=3)
    assert n == 7 and len(texts) == 1


def test_workspace_zip_round_trip_keeps_recipes_and_models_and_refuses_bad_zips(tmp_path):
    spaces = make(tmp_path)
    a, b = spaces.get("zip-owner-0123456789"), spaces.get("zip-visitor-012345678")
    a.store.save_image(Image.new("RGB", (48, 48), (1, 2, 3)), {"engine": "paint", "seed": 9}, title="Red one")
    a.store.save_text("words", {"engine": "words", "prompt": "p"})
    path = export_zip(a, tmp_path / "ws.zip")
    with zipfile.ZipFile(path) as zf:
        assert sum(n.endswith((".png", ".txt")) and ".thumb" not in n for n in zf.namelist()) == 2
    with tempfiles.job_dir("import") as work:
        assert import_zip(b, path, work) == (2, 0, 0)
    recipes = sorted(str(o.recipe.get("seed", o.recipe.get("prompt"))) for o in b.store.list())
    assert recipes == ["9", "p"] and "Red one" in [o.title for o in b.store.list()]
    # each keeps the date it was made, so the imported Gallery has its order and dates
    assert [o.created for o in b.store.list()] == [o.created for o in a.store.list()]
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../escape.png", b"x")
    with tempfiles.job_dir("import") as work, pytest.raises(ValueError) as err:
        import_zip(b, evil, work)
    assert str(err.value) == "evil.zip was refused: it holds a path that leaves its folder (../../escape.png)."
    text = tmp_path / "notes.zip"
    text.write_text("not a zip")
    with tempfiles.job_dir("import") as work, pytest.raises(ValueError) as err:
        import_zip(b, text, work)
    assert str(err.value) == "notes.zip was refused: it is not a zip file Atelier can read."  # no exception text
    junk = tmp_path / "junk.zip"
    with zipfile.ZipFile(junk, "w") as zf:
        zf.writestr("outputs/plain.png", b"not a picture")
        zf.writestr("models/paint/fake.pt", b"not a checkpoint")
    with tempfiles.job_dir("import") as work:
        assert import_zip(b, junk, work) == (0, 0, 2)


def test_live_requests_make_training_steps_wait_briefly():
    from engines.jobs import LIVE

    with LIVE.live():
        started = time.time()
        LIVE.yield_to_live(max_wait_s=0.2)
        assert 0.15 < time.time() - started < 1.0
    started = time.time()
    LIVE.yield_to_live(max_wait_s=0.2)
    assert time.time() - started < 0.05
