"""The Gallery's store: save, list newest first, filter, search, delete, survive a restart."""

import numpy as np
import pytest
from PIL import Image

from engines.outputs import OutputStore


def _fill(store):
    a = store.save_image(Image.new("RGB", (64, 48), (200, 30, 30)), {"engine": "paint", "seed": 1})
    b = store.save_sound(16000, np.sin(np.linspace(0, 100, 8000)).astype(np.float32), {"engine": "sound", "pitch": 60})
    c = store.save_text("O for a Muse of fire", {"engine": "words", "prompt": "O for"}, title="Muse")
    return a, b, c


def test_save_list_newest_first_and_filter(tmp_path):
    store = OutputStore(tmp_path)
    a, b, c = _fill(store)
    assert [o.id for o in store.list()] == [c.id, b.id, a.id]
    assert [o.kind for o in store.list(kind="sound")] == ["sound"]
    assert store.get(a.id).recipe["seed"] == 1
    for out in (a, b, c):
        assert out.path.is_file() and out.thumb.is_file()
        assert Image.open(out.thumb).size == (256, 256)
    with pytest.raises(ValueError):
        store.list(kind="video")


def test_search_matches_title_and_recipe(tmp_path):
    store = OutputStore(tmp_path)
    a, b, c = _fill(store)
    assert [o.id for o in store.list(query="muse")] == [c.id]
    assert [o.id for o in store.list(query="pitch 60".split()[0])] == [b.id]
    assert store.list(query="nothing-like-this") == []


def test_survives_a_restart_and_deletes(tmp_path):
    a, b, c = _fill(OutputStore(tmp_path))
    store = OutputStore(tmp_path)  # a new process would do exactly this
    assert len(store.list()) == 3
    store.delete(b.id)
    assert [o.id for o in OutputStore(tmp_path).list()] == [c.id, a.id]
    assert not b.path.exists() and not b.thumb.exists()
    with pytest.raises(KeyError):
        store.delete(b.id)
    with pytest.raises(KeyError):
        store.get("../../etc/passwd")


def test_damaged_records_are_skipped_not_fatal(tmp_path):
    store = OutputStore(tmp_path)
    a, _, _ = _fill(store)
    (tmp_path / f"{a.id}.json").write_text("{broken")
    assert len(store.list()) == 2
