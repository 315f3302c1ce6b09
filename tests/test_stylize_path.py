"""The artist's path in Stylize (#20, #23): every kind of output reopens with its controls and its own
pictures (kept with it, so deleting the upload changes nothing), fast and preset remakes equal the
kept file, a missing input is named, the history strip undoes, a noise-free gradient comes out
without stripes, Keep keeps what is on screen, and sweeps make the cells they are asked for."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

from engines import recipe, replay, tempfiles
from engines.settings import Settings
from engines.stylize import controls, fast
from engines.stylize import replay as stylize_replay
from engines.stylize.shown import SHOWN
from studio import common, stylize_fast, stylize_panels, stylize_restore, stylize_slow, stylize_sweep

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"
STYLE = str(SAMPLES / "styles" / "mosaic.jpg")
KEY = "artist-key-0123456789abcdef"
N = controls.N_STYLES


def _request(key: str = KEY) -> SimpleNamespace:
    return SimpleNamespace(headers={"x-atelier-workspace": key}, cookies={}, session_hash="s1", session={})


@pytest.fixture(autouse=True)
def shared_studio(tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    tempfiles.set_root(tmp_path / "tmp")
    SHOWN.clear()
    yield common.configure(
        Settings(models_dir=tmp_path / "m", outputs_dir=tmp_path / "o", workspaces_dir=tmp_path / "w"), shared=True
    )
    torch.set_num_threads(threads)
    assert tempfiles.count_files() == 0


@pytest.fixture
def upload(tmp_path) -> str:
    """The artist's own photo, as an upload that will be deleted (not a bundled sample)."""
    path = tmp_path / "uploads" / "my-garden.png"
    path.parent.mkdir()
    Image.open(SAMPLES / "content" / "chelsea.jpg").convert("RGB").resize((160, 120)).save(path)
    return str(path)


def _fast(content, strength=0.8, size=128):
    return [content, None, STYLE, None, None, 0.5, 0.7, 0.5, 0.5, strength, False, size]


def _named(updates: list) -> dict:
    """A restorer's updates by the names of the components they fill."""
    return dict(zip(stylize_panels.RESTORED, updates))


def _values(path: str) -> dict:
    return _named(stylize_restore.restore(path, request=_request()))


def _ctx() -> replay.ReplayContext:
    ws = common.workspace(_request())
    return replay.ReplayContext(ws.models_dir, ws.store)


def _kept_input(values: dict, key: str) -> str:
    path = values[key]
    assert isinstance(path, str) and "/inputs/" in path.replace("\\", "/"), path
    return path


def test_a_fast_output_reopens_with_the_artists_own_picture_and_remakes_exactly(upload):
    path = stylize_fast.keep_fast(*_fast(upload), request=_request())
    own = np.asarray(Image.open(upload).convert("RGB"))
    Path(upload).unlink()  # the upload is gone after a reload: the kept input is used
    v = _values(path)
    assert np.array_equal(np.asarray(Image.open(_kept_input(v, "content")).convert("RGB")), own)
    assert v["style_0"] is None and v["style_1"].endswith(".jpg") and v["weight_1"] == 0.7
    assert (v["strength"], v["keep_colours"], v["size"]) == (0.8, False, 128) and v["note"] == ""
    assert v["result"][1] == path
    rec = recipe.read(path)
    assert stylize_replay.exact(rec) and replay.same(replay.remake(rec, _ctx()), Path(path))


def test_a_preset_blend_reopens_and_remakes_exactly(upload):
    weights = [0.0] * fast.N_PRESETS
    weights[19], weights[2] = 0.6, 0.3
    path = stylize_fast.keep_presets(upload, True, 128, *weights, request=_request())
    Path(upload).unlink()
    v = _values(path)
    _kept_input(v, "content")
    assert [v[f"preset_{i}"] for i in range(fast.N_PRESETS)] == weights and v["keep_colours"] is True
    assert v["p_out"] == path and "starry swirls" in common.workspace(_request()).store.list()[0].title
    rec = recipe.read(path)
    assert replay.exact(rec) and replay.same(replay.remake(rec, _ctx()), Path(path))


def test_gatys_reopens_with_every_control_its_pictures_and_its_mask(upload, tmp_path):
    layer = Image.new("RGBA", (160, 120), (255, 122, 0, 0))
    layer.paste((255, 122, 0, 255), (0, 0, 80, 120))
    layer.save(tmp_path / "layer.png")
    mask = {"background": None, "layers": [str(tmp_path / "layer.png")], "composite": None}
    gen = stylize_slow.stylize_gatys(
        upload,
        STYLE,
        None,
        None,
        None,
        0.9,
        0.5,
        0.5,
        0.5,
        20,
        128,
        1.5,
        0.2,
        0.4,
        "efficientnet-lite0",
        "adam",
        "luminance",
        mask,
        request=_request(),
    )
    *_, (_, status, _) = list(gen)
    assert "Done" in status
    path = str(common.workspace(_request()).store.list()[0].path)
    Path(upload).unlink()
    v = _values(path)
    _kept_input(v, "content")
    assert (v["g_steps"], v["g_size"], v["g_style_weight"], v["g_content_weight"], v["g_tv_weight"]) == (
        20,
        128,
        1.5,
        0.2,
        0.4,
    )
    assert (v["g_optimizer"], v["g_color_mode"], v["weight_0"], v["g_preview"]) == ("adam", "luminance", 0.9, path)
    kept_mask = Image.open(v["brush"]["layers"][0]).getchannel("A")
    assert np.asarray(kept_mask)[:, :60].min() == 255 and np.asarray(kept_mask)[:, 100:].max() == 0
    assert not stylize_replay.exact(recipe.read(path))


def test_a_dream_reopens_with_its_controls_and_says_it_is_done(upload):
    out = list(
        stylize_slow.stylize_dream(
            upload, "channel", "textures (block 3)", 7, "tabby", 1, 2, 0.02, "my picture", 128, request=_request()
        )
    )
    assert out and "Done" in stylize_slow.dream_status(_request())
    path = str(common.workspace(_request()).store.list()[0].path)
    Path(upload).unlink()
    v = _values(path)
    _kept_input(v, "content")
    assert (v["d_kind"], v["d_layer"], v["d_channel"], v["d_octaves"], v["d_steps"], v["d_strength"], v["d_start"]) == (
        "channel",
        "textures (block 3)",
        7,
        1,
        2,
        0.02,
        "my picture",
    )
    assert v["d_out"] == path


def test_a_missing_input_is_named(upload, tmp_path):
    path = stylize_fast.keep_fast(*_fast(upload), request=_request())
    inputs = common.workspace(_request()).store.root / "inputs"
    content_ref = recipe.read(path)["content_ref"]
    (inputs.parent / content_ref).unlink()
    v = _values(path)
    assert "my-garden.png" in v["note"] and "no longer kept" in v["note"]
    with pytest.raises(ValueError, match="my-garden.png"):
        replay.remake(recipe.read(path), _ctx())


def test_the_history_strip_undoes_to_an_earlier_result(upload):
    entries: list = []
    for strength in (0.2, 0.9):
        stylize_fast.stylize_fast(*_fast(upload, strength))
        entries, strip = stylize_restore.remember_fast(entries, *_fast(upload, strength))
    assert len(entries) == 2 and len(strip) == 2
    entries, _ = stylize_restore.remember_fast(entries, *_fast(upload, 0.9))  # the same result is not pushed twice
    assert len(entries) == 2
    v = _named(stylize_restore.undo(entries, SimpleNamespace(index=1), request=_request()))
    assert v["strength"] == 0.2 and v["content"] == upload
    assert np.array_equal(np.asarray(v["result"][1]), np.asarray(stylize_fast.stylize_fast(*_fast(upload, 0.2))[1]))


def test_a_noise_free_gradient_comes_out_without_stripes(tmp_path):
    fast.gradient_sky(360, 240).save(tmp_path / "sky.png")
    _, out = stylize_fast.stylize_fast(*_fast(str(tmp_path / "sky.png"), 1.0, 256))
    assert fast.streak_ratio(out, top=0.6) < 1.5
    photo = Image.open(SAMPLES / "content" / "chelsea.jpg").convert("RGB").resize((192, 128))
    soft = fast.soften_flat(np.asarray(photo, float) / 255)
    assert np.abs(soft * 255 - np.asarray(photo, float)).mean() < 0.5  # a textured photo is left alone


def test_keep_without_changes_keeps_what_is_shown(upload, monkeypatch):
    calls = []
    real = fast.stylize
    monkeypatch.setattr(fast, "stylize", lambda *a, **k: calls.append(1) or real(*a, **k))
    _, shown = stylize_fast.stylize_fast(*_fast(upload))
    path = stylize_fast.keep_fast(*_fast(upload), request=_request())
    assert len(calls) == 1 and np.array_equal(np.asarray(Image.open(path).convert("RGB")), np.asarray(shown))
    stylize_fast.keep_fast(*_fast(upload, 0.3), request=_request())  # a changed control paints again
    assert len(calls) == 2


def _sweep(upload, x=("strength", "0, 1"), y=("style 2 weight", "0.25, 1"), presets=None):
    presets = presets or [1.0] + [0.0] * (fast.N_PRESETS - 1)
    return stylize_sweep.stylize_sweep_run(*_fast(upload, size=128), presets, *x, *y, request=_request())


def test_a_sweep_makes_its_grid_keeps_it_and_a_cell_reopens(upload):
    *_, (grid, status, cells, kept, recipes) = list(_sweep(upload))
    assert "Done" in status and len(cells) == 4 and len(recipes) == 4 and grid.width > 2 * 128
    rec = recipe.read(kept)
    assert rec["kind"] == "sweep" and rec["x"] == {"name": "strength", "values": [0, 1]}
    assert rec["y"]["name"] == "style 2 weight"
    Path(upload).unlink()
    v = _named(stylize_restore.open_cell(recipes, SimpleNamespace(index=3), request=_request()))
    assert (v["strength"], v["weight_1"]) == (1, 1) and "/inputs/" in v["content"]
    assert replay.exact(rec) and replay.same(replay.remake(rec, _ctx()), Path(kept))
    reopened = _values(kept)
    assert reopened["x_axis"] == "strength" and reopened["sweep_grid"] == kept


def test_a_preset_sweep_and_the_cell_limit(upload):
    *_, (_, _, cells, _, recipes) = list(
        _sweep(upload, ("preset: starry swirls", "0.5, 1"), ("keep colours", "no, yes"))
    )
    assert len(cells) == 4 and recipes[3]["presets"] == {"1": 1.0, "20": 1} and recipes[3]["keep_colours"]
    presets = [1.0] + [0.0] * (fast.N_PRESETS - 1)
    with pytest.raises(gr.Error, match="at most 25"):  # 101 cells in one row: refused before any painting
        next(
            stylize_sweep.stylize_sweep_run(
                *_fast(upload), presets, "strength", ",".join(["0.5"] * 101), "size", "128", request=_request()
            )
        )
    with pytest.raises(gr.Error, match="11 x 10 = 110 cells"):
        next(
            stylize_sweep.stylize_sweep_run(
                *_fast(upload), presets, "strength", "0:1:11", "style 2 weight", "0:1:10", request=_request()
            )
        )
