"""The Gallery's handlers called directly, as two visitors of a shared studio: pages, downloads of
chosen outputs, remakes that say whether they are identical, and 'What made this?' reopening."""

from __future__ import annotations

import types
import zipfile
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from engines import replay, tempfiles
from engines.settings import Settings
from studio import common, gallery, gallery_files


def visitor(key: str) -> SimpleNamespace:
    return SimpleNamespace(headers={"x-atelier-workspace": key}, cookies={}, session_hash=key[:8], session={})


ALICE, BOB = visitor("alice-gallery-key-0001"), visitor("bob-gallery-key-000002")


@pytest.fixture(autouse=True)
def shared_studio(tmp_path):
    tempfiles.set_root(tmp_path / "tmp")
    common.configure(
        Settings(models_dir=tmp_path / "m", outputs_dir=tmp_path / "o", workspaces_dir=tmp_path / "w"), shared=True
    )
    yield
    common.configure(Settings(models_dir=tmp_path / "m", outputs_dir=tmp_path / "o", workspaces_dir=tmp_path / "w"))


def test_pages_hold_48_and_belong_to_their_visitor():
    store = common.workspace(ALICE).store
    made = [store.save_text(f"line {i}", {"engine": "words", "seed": i}) for i in range(50)]
    items, ids, note, page, _chooser = gallery.gallery_list("All", "", 1, ALICE)
    assert len(items) == gallery.PAGE == 48 and ids[0] == made[-1].id and "page 1 of 2" in note
    items, ids, note, page, _ = gallery.gallery_list("All", "", 2, ALICE)
    assert ids == [made[1].id, made[0].id] and page == 2
    assert gallery.gallery_list("All", "", 1, BOB)[1] == []
    assert "Nothing here yet" in gallery.gallery_list("All", "", 1, BOB)[2]
    assert [i["id"] for i in gallery.gallery_items("text", "", 1, 5, ALICE)] == [m.id for m in made[::-1][:5]]
    with pytest.raises(Exception, match="no output"):
        gallery.gallery_delete(made[0].id, BOB)


def test_ticked_outputs_download_as_one_zip_with_recipes():
    store = common.workspace(ALICE).store
    a = store.save_image(Image.new("RGB", (40, 40), (9, 9, 9)), {"engine": "paint", "seed": 1})
    b = store.save_text("kept", {"engine": "words", "seed": 2})
    path = gallery_files.gallery_download([a.id, b.id], ALICE)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    assert f"outputs/{a.id}.png" in names and f"outputs/{b.id}.txt" in names
    with pytest.raises(Exception, match="Tick the outputs"):
        gallery_files.gallery_download([], ALICE)
    with pytest.raises(Exception, match="no output"):
        gallery_files.gallery_download([a.id], BOB)  # another visitor's id is not theirs to take


def test_replay_remakes_and_says_whether_it_is_identical(monkeypatch):
    store = common.workspace(ALICE).store
    picture = Image.fromarray(np.arange(48 * 48 * 3, dtype=np.uint8).reshape(48, 48, 3))
    kept = store.save_image(picture, {"engine": "paint", "seed": 5})
    fake = types.SimpleNamespace(remake=lambda rec, ctx: picture.copy(), exact=lambda rec: True)
    monkeypatch.setattr(replay, "_module", lambda engine: fake)
    path, result = gallery_files.gallery_replay(kept.id, ALICE)
    assert result["exact"] and result["matches"] and "identical" in result["note"]
    assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), np.asarray(picture))
    fake.remake = lambda rec, ctx: Image.new("RGB", (48, 48))
    assert gallery_files.gallery_replay(kept.id, ALICE)[1]["matches"] is False


def test_what_made_this_offers_the_tab_that_can_reopen_it(tmp_path, monkeypatch):
    calls = []
    restorer = common.Restorer(
        fn=lambda path, request=None: calls.append((path, request)) or ["restored"],
        outputs=[],
        accepts=lambda rec: "seed" in rec,
    )
    monkeypatch.setattr(gallery, "RESTORERS", {"paint": restorer, "sound": restorer})
    kept = common.workspace(ALICE).store.save_image(Image.new("RGB", (40, 40)), {"engine": "paint", "seed": 3})
    buttons = gallery.what_made_buttons(str(kept.path))
    assert [b.visible for b in buttons] == [True, False]
    updates = gallery.reopen_file("paint", str(kept.path), ALICE)
    assert updates[0] == "restored" and calls == [(str(kept.path), ALICE)]
    with pytest.raises(ValueError, match="Drop an Atelier file"):
        gallery.reopen_file("paint", None, ALICE)


def test_workspace_note_shows_usage_and_how_scripts_reach_it():
    note = gallery_files.workspace_note(ALICE)
    assert "Only you see it" in note and "X-Atelier-Workspace: alice-gallery-key-0001" in note and "MB" in note
