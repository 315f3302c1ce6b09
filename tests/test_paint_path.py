"""The artist's path through Paint, handlers called directly: reopening every kind of output (pixels
equal), exact replay, the Recent strip (undo), A/B, new seed each time, Keep reusing the shown
picture, the upload's survey, training reports and budgets, and sweeps."""

from __future__ import annotations

import io
import time
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

from engines import recipe, tempfiles
from engines import replay as replays
from engines.paint import controls
from engines.paint import replay as paint_replay
from engines.paint.data import load_image_set
from engines.paint.explore import bundled_models
from engines.settings import Settings
from studio import common, paint, paint_base, paint_sweep
from tests.paint_helpers import shapes

pytestmark = pytest.mark.skipif(not bundled_models(), reason="no bundled Paint model in assets/")
MODEL = "emoji (bundled)"
ZERO = [0.0] * paint.N_SLIDERS


def visitor(key: str) -> SimpleNamespace:
    return SimpleNamespace(headers={"x-atelier-workspace": key}, cookies={}, session_hash=f"s-{key[:4]}", session={})


ANNA = visitor("anna-" + "a" * 20)


@pytest.fixture(autouse=True)
def shared_studio(tmp_path):
    torch.set_num_threads(1)
    tempfiles.set_root(tmp_path / "tmp")
    settings = Settings(models_dir=tmp_path / "m", outputs_dir=tmp_path / "o", workspaces_dir=tmp_path / "w")
    yield common.configure(settings, shared=True)
    common.configure(settings)


def controls_args(seed=42, psi=0.8, sliders=None, cls="faces", blend_with="(none)", amount=0.5, nudges=None):
    return [MODEL, cls, blend_with, amount, seed, psi, list(ZERO if sliders is None else sliders), list(nudges or [])]


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB")).astype(int)


def value(update):
    """The value a handler's update sets (a component, a gr.update dict, or the value itself)."""
    return update["value"] if isinstance(update, dict) else getattr(update, "value", update)


def message(excinfo: pytest.ExceptionInfo) -> str:
    err = excinfo.value
    return err.message if isinstance(err, gr.Error) else str(err)


def replay_ctx() -> replays.ReplayContext:
    ws = common.workspace(ANNA)
    return replays.ReplayContext(ws.models_dir, ws.store, "cpu")


# ---------------------------------------------------------------- reopening and replay
def test_reopening_a_picture_redraws_it_with_sliders_and_nudges_and_the_remake_equals_the_kept_file():
    moved = controls_args(
        seed=11,
        psi=0.6,
        sliders=[1.5, -1.0] + ZERO[2:],
        blend_with="animals & nature",
        amount=0.25,
        nudges=[[3, 1, 0.5]],
    )
    path = paint.keep_it(*moved, 2, request=ANNA)
    back = paint.restore(path, request=ANNA)
    fields = dict(zip(paint.RESTORE_FIELDS, back))
    assert value(fields["model"]) == MODEL and value(fields["class_b"]) == "animals & nature"
    assert fields["seed"] == 11 and fields["psi"] == 0.6 and fields["nudges"] == [[3, 1, 0.5]]
    assert value(fields["direction_1"]) == 1.5 and value(fields["direction_2"]) == -1.0
    live = paint.paint_generate(*moved, request=ANNA)
    assert np.array_equal(pixels(fields["image"]), pixels(live))  # the picture itself, not the slider-0 one
    plain = paint.paint_generate(
        *controls_args(seed=11, psi=0.6, blend_with="animals & nature", amount=0.25), request=ANNA
    )
    assert np.abs(pixels(plain) - pixels(fields["image"])).mean() > 1
    rec = recipe.read(path)
    assert replays.exact(rec) and replays.same(replays.remake(rec, replay_ctx()), Path(path))
    assert paint.accepts(rec)


def test_keep_reuses_the_shown_picture_and_equals_a_fresh_drawing(monkeypatch):
    args = controls_args(seed=5, sliders=[0.5] + ZERO[1:])
    model = paint_base.load(MODEL, ANNA)
    pic = controls.picture(*args[4:6], *args[1:4], args[6], args[7])
    drawn = controls.draw(model, pic, 4)
    paint.paint_generate(*args, request=ANNA)
    monkeypatch.setattr(controls, "draw", lambda *a, **k: pytest.fail("Keep drew the shown picture again"))
    path = paint.keep_it(*args, 4, request=ANNA)
    assert np.array_equal(pixels(Image.open(path)), pixels(drawn))


def test_reopening_a_morph_restores_its_keyframes_and_settings_and_the_gif_replays_exactly():
    keys = [
        {"seed": 1, "psi": 0.8, "classes": {"faces": 1}, "sliders": [1.0]},
        {"seed": 2, "psi": 0.8, "classes": "people"},
    ]
    gif, _ = paint.paint_morph(MODEL, keys, 8, 8, True, "GIF", 1, request=ANNA)
    back = paint.restore(gif, request=ANNA)
    n = len(paint.RESTORE_FIELDS)
    picture, morph = dict(zip(paint.RESTORE_FIELDS, back[:n])), back[n : n + 7]
    assert picture["seed"] == 1 and value(picture["direction_1"]) == 1.0
    assert [k["seed"] for k in morph[0]] == [1, 2] and len(morph[1]) == 2 and morph[1][0].size == (64, 64)
    assert morph[2:6] == [8, 8.0, True, 1] and morph[6] == gif
    rec = recipe.read(gif)
    assert replays.exact(rec) and replays.same(replays.remake(rec, replay_ctx()), Path(gif))
    model = paint_base.load(MODEL, ANNA)
    made = Image.open(io.BytesIO(paint_replay.morph_gif(paint_replay.morph_frames(model, rec), rec)))
    kept = Image.open(gif)
    for i in range(kept.n_frames):  # every frame, not only the first
        made.seek(i)
        kept.seek(i)
        assert np.array_equal(pixels(made), pixels(kept))
    assert tempfiles.count_files() == 0


# ---------------------------------------------------------------- history and A/B
def test_the_recent_strip_keeps_settled_pictures_once_and_a_click_goes_back():
    entries, strip = paint.remember(*controls_args(seed=3), [], request=ANNA)
    entries, strip = paint.remember(*controls_args(seed=4, sliders=[2.0] + ZERO[1:]), entries, request=ANNA)
    assert len(entries) == 2 and len(strip) == 2 and entries[0]["recipe"]["seed"] == 4
    again, same = paint.remember(*controls_args(seed=3), entries, request=ANNA)
    assert len(again) == 2  # already there: not pushed again
    empty_seed = controls_args(seed=3)
    empty_seed[4] = None  # the seed box emptied: the live picture says so; the strip stays quiet
    assert paint.remember(*empty_seed, entries, request=ANNA) == (gr.skip(), gr.skip())
    with pytest.raises(gr.Error, match="Type a seed"):
        paint.paint_generate(*empty_seed, request=ANNA)
    for i in range(14):
        entries, strip = paint.remember(*controls_args(seed=100 + i), entries, request=ANNA)
    assert len(entries) == 12
    back = dict(zip(paint.RESTORE_FIELDS, paint.undo(entries, SimpleNamespace(index=11), request=ANNA)))
    assert back["seed"] == entries[11]["recipe"]["seed"]
    assert np.array_equal(
        pixels(back["image"]), pixels(paint.paint_generate(*controls_args(seed=back["seed"]), request=ANNA))
    )


def test_hold_as_a_then_swap_exchanges_the_pictures_and_controls():
    a = controls_args(seed=7)
    shown_a, held, swap = paint.hold_a(*a, request=ANNA)
    assert shown_a["visible"] and held["seed"] == 7 and swap.interactive
    b = controls_args(seed=8, sliders=[1.0] + ZERO[1:])
    out = paint.swap_ab(held, *b, request=ANNA)
    back = dict(zip(paint.RESTORE_FIELDS, out[: len(paint.RESTORE_FIELDS)]))
    assert back["seed"] == 7 and value(back["direction_1"]) == 0.0
    assert np.array_equal(pixels(back["image"]), pixels(value(shown_a)))
    assert out[-1]["seed"] == 8 and out[-1]["sliders"][0] == 1.0
    assert np.array_equal(pixels(value(out[-2])), pixels(paint.paint_generate(*b, request=ANNA)))
    with pytest.raises(gr.Error) as err:
        paint.swap_ab(None, *b, request=ANNA)
    assert "Hold a picture as A first" in message(err)


def test_new_seed_each_time_gives_a_fresh_seed_after_keep_and_for_variations():
    seed, nudges, note = paint.after_keep(True)
    assert isinstance(seed, int) and nudges == [] and str(seed) in note
    assert all(getattr(u, "__class__", None) is dict or u == gr.update() for u in paint.after_keep(False))
    fresh = {paint.variation_seed(True, 1)[0] for _ in range(5)}
    assert len(fresh) > 1 and paint.variation_seed(False, 3)[0] == 3


# ---------------------------------------------------------------- the upload
def write_loose(folder: Path, n: int = 16) -> list[str]:
    paths = []
    for i, img in enumerate(shapes(n).images):
        sub = folder / f"{i:02d}{'abcdef0123456789'[i % 16] * 8}"
        sub.mkdir(parents=True)
        Image.fromarray(img).save(sub / f"pic{i}.png")
        paths.append(str(sub / f"pic{i}.png"))
    return paths


def test_the_same_pictures_dropped_twice_count_once(tmp_path):
    files = write_loose(tmp_path / "up")
    again = write_loose(tmp_path / "again")  # the same 16 pictures, uploaded a second time
    text, _ = paint.preview_upload(files + again, "mine")
    assert "16 pictures" in text and "mine (16)" in text and "16 repeated file(s) counted once" in text
    assert len(load_image_set(files + again, 32, loose_class="mine").images) == 16


def test_the_upload_shows_one_class_for_loose_pictures_with_a_contact_sheet(tmp_path):
    text, sheet = paint.preview_upload(write_loose(tmp_path / "up"), "faces-of-mine")
    assert "16 pictures" in text and "faces-of-mine (16)" in text and "1 class" in text
    assert isinstance(sheet, Image.Image) and sheet.width >= 12 * 48
    text, _ = paint.preview_upload(write_loose(tmp_path / "few", 3), "mine")
    assert "at least 16" in text
    assert tempfiles.count_files() == 0


# ---------------------------------------------------------------- sweeps
def sweep_args(x=("truncation", "0, 0.5, 1"), y=("seed", "1, 2")):
    c = controls_args(seed=9)
    return [*c, x[0], x[1], y[0], y[1]]


def test_a_sweep_draws_every_cell_is_kept_and_replays_and_a_cell_opens_in_the_tab():
    t0 = time.time()
    *_, last = paint.paint_sweep_run(*sweep_args(), request=ANNA)
    grid, status, cells, kept, rec = last
    assert isinstance(grid, Image.Image) and len(cells) == 6 and "Kept" in status
    assert rec["x"] == {"name": "truncation", "values": [0, 0.5, 1]} and rec["y"]["values"] == [1, 2]
    assert replays.exact(rec) and replays.same(replays.remake(rec, replay_ctx()), Path(kept))
    back = dict(zip(paint.RESTORE_FIELDS, paint.open_cell(rec, SimpleNamespace(index=4), request=ANNA)))
    assert back["seed"] == 2 and back["psi"] == 0.5  # row 1 (seed 2), column 1 (truncation 0.5)
    assert np.array_equal(
        pixels(back["image"]), pixels(paint.paint_generate(*controls_args(seed=2, psi=0.5), request=ANNA))
    )
    reopened = paint.restore(kept, request=ANNA)
    swept = reopened[-7:]
    assert swept[0] == "truncation" and swept[2] == "seed" and swept[4] == kept and len(swept[5]) == 6
    assert time.time() - t0 < 60


def test_a_sweep_moves_a_direction_by_name():
    model = paint_base.load(MODEL, ANNA)
    name = paint_sweep.paint_sweep.axis_names(model)[3]
    *_, last = paint.paint_sweep_run(*sweep_args(x=(name, "-2, 2"), y=("class", "faces, people")), request=ANNA)
    assert len(last[2]) == 4


@pytest.mark.parametrize(
    "x, y, words",
    [
        (("truncation", "0:1:11"), ("seed", "0:9:10"), "110 cells"),
        (("wings", "1, 2"), ("seed", "1"), "cannot move 'wings'"),
        (("truncation", "0, 9"), ("seed", "1"), "truncation must be between 0 and 3"),
        (("seed", "1, 2"), ("seed", "3"), "Both axes move seed"),
        (("class", "dragons"), ("seed", "1"), "no class 'dragons'"),
    ],
)
def test_bad_sweeps_get_messages(x, y, words):
    with pytest.raises(gr.Error) as err:
        list(paint.paint_sweep_run(*sweep_args(x, y), request=ANNA))
    assert words in message(err)
    assert common.workspace(ANNA).store.list() == []


def test_a_sound_timed_morph_is_not_remade_as_a_plain_morph():
    keys = [{"seed": 1, "psi": 0.8, "classes": {"faces": 1}}, {"seed": 2, "psi": 0.8, "classes": {"people": 1}}]
    model = paint_base.load(MODEL, ANNA)
    rec = {
        "engine": "paint",
        "kind": "sound morph",
        "model": model.name,
        "checkpoint": model.hash,
        "keyframes": keys,
        "fps": 12.0,
        "mode": "step",
        "timing": "onsets",
        "upscale": 1,
        "glide": 0.25,
        "direction": 0,
        "push": 2.0,
        "decay": 0.35,
        "sound": "clicks.wav",
        "seconds": 3.0,
        "frames": 36,
        "onsets": [0.5, 1.25],
        "tempo": None,
    }
    assert paint_replay.kind(rec) == paint_replay.SOUND_MORPH and not replays.exact(rec)
    with pytest.raises(ValueError, match="reopened, not remade"):
        replays.remake(rec, replay_ctx())
    plain = {k: v for k, v in rec.items() if k != "kind"}
    assert paint_replay.kind(plain) == paint_replay.MORPH and replays.exact(plain)  # without its kind: a morph
    assert paint.accepts(rec)  # still opens in Paint (its first keyframe)
