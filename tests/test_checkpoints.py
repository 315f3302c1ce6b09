"""Checkpoint files: round trip, atomic writes, and refusal of files that are not ours."""

import os
import pickle

import pytest
import torch

from engines import checkpoints
from engines.checkpoints import Checkpoint, CheckpointError


def _tiny() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))


def test_round_trip_restores_weights_config_and_meta(tmp_path):
    model = _tiny()
    path = checkpoints.save(
        tmp_path / "m.pt", Checkpoint("paint", model.state_dict(), {"width": 8}, {"steps": 12, "data": "emoji"})
    )
    ckpt = checkpoints.load(path, engine="paint")
    assert ckpt.engine == "paint" and ckpt.config == {"width": 8}
    assert ckpt.meta["steps"] == 12 and ckpt.meta["data"] == "emoji" and "saved" in ckpt.meta
    fresh = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    fresh.load_state_dict(ckpt.state_dict)
    x = torch.randn(3, 4)
    assert torch.equal(fresh(x), model(x))


def test_wrong_engine_is_refused_with_a_clear_message(tmp_path):
    path = checkpoints.save(tmp_path / "m.pt", Checkpoint("sound", _tiny().state_dict(), {}))
    with pytest.raises(CheckpointError, match="'sound' model, not a 'paint' model"):
        checkpoints.load(path, engine="paint")


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_pickle_that_runs_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": checkpoints.FORMAT, "payload": _Evil()}, path)
    with pytest.raises(CheckpointError, match="not an Atelier model file"):
        checkpoints.load(path)


def test_plain_pickle_and_garbage_and_foreign_torch_files_are_refused(tmp_path):
    (tmp_path / "a.pt").write_bytes(pickle.dumps({"hello": 1}))
    (tmp_path / "b.pt").write_bytes(b"not a model at all")
    torch.save({"some": torch.zeros(2)}, tmp_path / "c.pt")
    for name in ("a.pt", "b.pt", "c.pt"):
        with pytest.raises(CheckpointError, match="not an Atelier model file"):
            checkpoints.load(tmp_path / name)
    with pytest.raises(CheckpointError, match="no model file"):
        checkpoints.load(tmp_path / "missing.pt")


def test_failure_mid_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = checkpoints.save(tmp_path / "m.pt", Checkpoint("paint", _tiny().state_dict(), {"v": 1}))
    before = path.read_bytes()

    def crash(obj, f, *a, **k):
        with open(f, "wb") as fh:
            fh.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        checkpoints.save(path, Checkpoint("paint", _tiny().state_dict(), {"v": 2}))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert checkpoints.load(path).config == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"], "temporary file left behind"


def test_list_models_filters_by_engine_and_skips_junk(tmp_path):
    checkpoints.save(tmp_path / "a.pt", Checkpoint("paint", _tiny().state_dict(), {}))
    checkpoints.save(tmp_path / "b.pt", Checkpoint("words", _tiny().state_dict(), {}))
    (tmp_path / "junk.pt").write_bytes(b"xx")
    assert [p.name for p in checkpoints.list_models(tmp_path, engine="paint")] == ["a.pt"]
    assert len(checkpoints.file_hash(tmp_path / "a.pt")) == 12


def test_model_lists_follow_saves_renames_and_deletes(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    bundled = tmp_path / "bundled"
    checkpoints.save(bundled / "emoji.pt", Checkpoint("paint", _tiny().state_dict(), {}))
    assert checkpoints.labelled_models(bundled, mine, "paint") == {"emoji (bundled)": bundled / "emoji.pt"}
    first = checkpoints.save(mine / "a.pt", Checkpoint("paint", _tiny().state_dict(), {}))
    checkpoints.save(mine / "other.pt", Checkpoint("sound", _tiny().state_dict(), {}))
    assert list(checkpoints.labelled_models(bundled, mine, "paint")) == ["emoji (bundled)", "a (yours)"]
    first.rename(mine / "b.pt")
    assert list(checkpoints.labelled_models(bundled, mine, "paint")) == ["emoji (bundled)", "b (yours)"]
    (mine / "b.pt").unlink()
    assert checkpoints.list_models(mine, engine="paint") == []
    assert checkpoints.list_models(mine) == [mine / "other.pt"]
