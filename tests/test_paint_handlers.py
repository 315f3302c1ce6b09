"""The Paint tab's handlers called directly (no browser, no server): pictures, workspaces, bounds,
keyframes, morphs, temp files and training."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

from engines import checkpoints, limits, recipe, tempfiles
from engines.jobs import TRAINING
from engines.paint.data import load_image_set
from engines.paint.explore import bundled_models
from engines.settings import Settings
from studio import common, paint, paint_train
from tests.paint_helpers import shapes, write_pictures

pytestmark = pytest.mark.skipif(not bundled_models(), reason="no bundled Paint model in assets/")
MODEL = "emoji (bundled)"
ZERO = [0.0] * paint.N_SLIDERS


def visitor(key: str) -> SimpleNamespace:
    """A request as gradio would hand it, from a visitor presenting workspace key `key`."""
    return SimpleNamespace(headers={"x-atelier-workspace": key}, cookies={}, session_hash=f"s-{key[:4]}", session={})


ANNA, BEN = visitor("anna-" + "a" * 20), visitor("ben-" + "b" * 20)


@pytest.fixture(autouse=True)
def shared_studio(tmp_path):
    """A shared studio in tmp_path with its own temp folder."""
    torch.set_num_threads(1)
    tempfiles.set_root(tmp_path / "tmp")
    studio = common.configure(
        Settings(models_dir=tmp_path / "m", outputs_dir=tmp_path / "o", workspaces_dir=tmp_path / "w"), shared=True
    )
    yield studio
    common.configure(Settings(models_dir=tmp_path / "m", outputs_dir=tmp_path / "o", workspaces_dir=tmp_path / "w"))


def args(seed=42, psi=0.8, sliders=None, cls="faces", blend_with="(none)", amount=0.5):
    """The picture controls as the tab sends them (sliders as one list)."""
    return [MODEL, cls, blend_with, amount, seed, psi, list(ZERO if sliders is None else sliders)]


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB")).astype(int)


def message(excinfo: pytest.ExceptionInfo) -> str:
    err = excinfo.value
    return err.message if isinstance(err, gr.Error) else str(err)


# ---------------------------------------------------------------- the picture
def test_generate_gives_a_picture_and_a_slider_changes_it():
    base = paint.paint_generate(*args(), [], request=ANNA)
    assert isinstance(base, Image.Image) and base.size == (paint.DISPLAY, paint.DISPLAY)
    moved = paint.paint_generate(*args(sliders=[2.5] + ZERO[1:]), [], request=ANNA)
    assert moved.size == base.size and np.abs(pixels(base) - pixels(moved)).mean() > 1
    again = paint.paint_generate(*args(), [], request=BEN)  # the same controls give the same picture
    assert np.array_equal(pixels(base), pixels(again))


def test_gradio_calls_each_slider_as_its_own_input_in_the_readme_order():
    event = paint._one_input_per_slider(paint.paint_generate)
    names = [p.name for p in gr.utils.get_positional_input_parameters(event)]
    assert names[:6] == ["model_label", "class_a", "class_b", "amount", "seed", "psi"]
    assert names[6:16] == [f"direction_{i}" for i in range(1, 11)] and names[16:] == ["nudges"]
    picture = event(MODEL, "faces", "(none)", 0.5, 42, 0.8, 1.5, *[0.0] * 9, [], ANNA)  # the README's call
    direct = paint.paint_generate(*args(sliders=[1.5] + ZERO[1:]), [], request=ANNA)
    assert np.array_equal(pixels(picture), pixels(direct))


def test_keep_lands_in_the_callers_workspace_and_not_in_anothers():
    path = Path(paint.keep_it(*args(seed=7), [], 2, request=ANNA))
    anna, ben = common.workspace(ANNA), common.workspace(BEN)
    assert path.is_file() and path.is_relative_to(anna.outputs_dir)
    rec = recipe.read(path)
    assert rec["engine"] == "paint" and rec["seed"] == 7 and rec["upscale"] == 2
    assert Image.open(path).size == (128, 128)
    assert [o.recipe["seed"] for o in anna.store.list()] == [7]
    assert ben.store.list() == []


def test_a_shared_studio_refuses_a_request_without_a_workspace_key():
    with pytest.raises(gr.Error) as err:
        paint.keep_it(*args(), [], 1, request=SimpleNamespace(headers={}, cookies={}, session_hash=None, session={}))
    assert "workspace key" in message(err)


@pytest.mark.parametrize(
    "change, words",
    [
        (dict(psi=math.nan), "truncation must be a finite number"),
        (dict(psi=3.5), "truncation must be between 0 and 3"),
        (dict(psi=-0.1), "truncation must be between 0 and 3"),
        (dict(sliders=[math.inf] + ZERO[1:]), "Direction 1 must be a finite number"),
        (dict(sliders=[0.0, -3.5] + ZERO[2:]), "Direction 2 must be between -3 and 3"),
        (dict(sliders=ZERO + [0.0]), "10 direction sliders"),
        (dict(seed=None), "Type a seed"),
        (dict(seed=""), "Type a seed"),
        (dict(seed=-1), "seed must be between 0 and 2147483647"),
        (dict(seed=2**31), "seed must be between 0 and 2147483647"),
        (dict(seed=1.5), "seed must be a whole number"),
        (dict(amount=1.5), "blend amount must be between 0 and 1"),
        (dict(cls="dragons"), "no class 'dragons'"),
        (dict(cls=""), "Choose a class"),
    ],
)
def test_bad_picture_controls_get_readable_messages(change, words):
    with pytest.raises(gr.Error) as err:
        paint.paint_generate(*args(**change), [], request=ANNA)
    assert words in message(err)


def test_psi_up_to_3_is_allowed_for_scripts():
    assert paint.paint_generate(*args(psi=3.0), [], request=ANNA).size == (paint.DISPLAY, paint.DISPLAY)


def test_keep_refuses_an_upscale_that_is_not_1_2_or_4():
    with pytest.raises(gr.Error) as err:
        paint.keep_it(*args(), [], 3, request=ANNA)
    assert "upscale must be one of 1, 2, 4" in message(err)
    assert common.workspace(ANNA).store.list() == []


def test_an_unknown_model_names_the_choices():
    with pytest.raises(gr.Error) as err:
        paint.paint_generate("nope", *args()[1:], [], request=ANNA)
    assert "no Paint model called 'nope'" in message(err) and MODEL in message(err)


def test_variations_surround_the_picture_and_picking_one_moves_there():
    grid = paint.show_variations(*args(seed=5), [], 0.6, 1, request=ANNA)
    assert len(grid) == 9 and grid[4][1] == "here"
    here = paint.paint_generate(*args(seed=5), [], request=ANNA)
    assert np.array_equal(pixels(grid[4][0]), pixels(here))
    nudges, var_seed = paint.pick_variation([], 1, 0.6, SimpleNamespace(index=2))
    assert nudges == [[1, 2, 0.6]] and var_seed == 2
    moved = paint.paint_generate(*args(seed=5), nudges, request=ANNA)
    assert np.array_equal(pixels(moved), pixels(grid[2][0]))
    assert paint.pick_variation(nudges, 2, 0.6, SimpleNamespace(index=4)) == (nudges, 2)  # the centre stays


def test_bad_variation_steps_get_messages():
    with pytest.raises(gr.Error) as err:
        paint.paint_generate(*args(), [[1, 9, 0.5]], request=ANNA)
    assert "index must be between 0 and 8" in message(err)
    with pytest.raises(gr.Error) as err:
        paint.show_variations(*args(), [], math.nan, 1, request=ANNA)
    assert "How far must be a finite number" in message(err)


def test_new_seed_and_reset():
    seed, nudges = paint.new_seed()
    assert 0 <= seed <= limits.MAX_SEED and nudges == []
    reset = paint.reset_all(MODEL, request=ANNA)
    assert reset[0] == [] and reset[1:-1] == ZERO and 0 < reset[-1] <= 1


def test_kept_recipe_restores_the_controls():
    path = paint.keep_it(
        *args(seed=11, psi=0.6, sliders=[1.0] + ZERO[1:], blend_with="animals & nature", amount=0.25),
        [[3, 1, 0.5]],
        1,
        request=ANNA,
    )
    back = [getattr(u, "value", u) for u in paint.restore(path, request=ANNA)]
    assert back[0] == MODEL and back[1:6] == ["faces", "animals & nature", 0.25, 11, 0.6]
    assert back[6] == [[3, 1, 0.5]] and back[8] == 1.0 and back[9:18] == ZERO[1:]


# ---------------------------------------------------------------- keyframes and morphs
def keyframes(n: int) -> list[dict]:
    return [{"seed": i + 1, "psi": 0.8, "classes": {"faces": 1}} for i in range(n)]


def test_keyframes_are_added_with_their_pictures_and_capped_at_32():
    keys, strip = paint.add_keyframe(*args(seed=1), [], [], request=ANNA)
    keys, strip = paint.add_keyframe(*args(seed=2, sliders=[1.0] + ZERO[1:]), [], keys, request=ANNA)
    assert [k["seed"] for k in keys] == [1, 2] and keys[1]["sliders"][0] == 1.0 and len(strip) == 2
    with pytest.raises(gr.Error) as err:
        paint.add_keyframe(*args(), [], keyframes(32), request=ANNA)
    assert "at most 32 keyframes" in message(err)


@pytest.mark.parametrize(
    "keys, words",
    [
        (keyframes(33), "at most 32 keyframes (got 33)"),
        (keyframes(1), "at least two keyframes"),
        ([{"seed": 1}, {"seed": "abc"}], "Keyframe 2: The seed must be a number (got 'abc')"),
        ([{"seed": 1}, {"seed": -4}], "Keyframe 2: The seed must be between 0"),
        ([{"seed": 1, "psi": "x"}, {"seed": 2}], "Keyframe 1: The truncation (psi) must be a number"),
        ([{"seed": 1, "psi": math.nan}, {"seed": 2}], "Keyframe 1: The truncation (psi) must be a finite number"),
        ([{"seed": 1}, {"seed": 2, "sliders": ["up"]}], "Keyframe 2: Direction 1 must be a number"),
        ([{"seed": 1}, {"seed": 2, "sliders": [math.inf]}], "Keyframe 2: Direction 1 must be a finite number"),
        ([{"seed": 1}, {"seed": 2, "classes": {"dragons": 1}}], "Keyframe 2: this model has no class 'dragons'"),
        ([{"seed": 1}, {"seed": 2, "classes": {"faces": "lots"}}], "Keyframe 2: The weight of class 'faces'"),
        ([{"seed": 1}, {"seed": 2, "nudges": [[1, 2]]}], "Keyframe 2: Variation step 1 must be"),
        ([{"seed": 1}, 7], "Keyframe 2: a keyframe must be a dict"),
        ("not a list", "keyframes must be a list"),
    ],
)
def test_bad_keyframes_get_messages_naming_the_keyframe(keys, words):
    with pytest.raises(gr.Error) as err:
        paint.paint_morph(MODEL, keys, 12, 8, True, "GIF", 1, request=ANNA)
    assert words in message(err)
    assert common.workspace(ANNA).store.list() == []


@pytest.mark.parametrize(
    "frames, fps, up, fmt, words",
    [
        (1, 8, 1, "GIF", "number of frames must be between 2 and 240"),
        (241, 8, 1, "GIF", "number of frames must be between 2 and 240"),
        (12, 0, 1, "GIF", "frames per second must be between 1 and 60"),
        (12, 61, 1, "GIF", "frames per second must be between 1 and 60"),
        (12, math.nan, 1, "GIF", "frames per second must be a finite number"),
        (12, 8, 3, "GIF", "upscale must be one of 1, 2, 4"),
        (12, 8, 1, "AVI", "format must be one of GIF, MP4"),
    ],
)
def test_bad_morph_settings_get_messages(frames, fps, up, fmt, words):
    with pytest.raises(gr.Error) as err:
        paint.paint_morph(MODEL, keyframes(2), frames, fps, True, fmt, up, request=ANNA)
    assert words in message(err)


def test_morph_keeps_gif_and_mp4_in_the_workspace_and_leaves_no_temp_files():
    keys = [{"seed": 1, "psi": 0.8, "classes": {"faces": 1}}, {"seed": 2, "psi": 0.8, "classes": "animals & nature"}]
    preview, gif = paint.paint_morph(MODEL, keys, 12, 8, True, "GIF", 1, request=ANNA)
    assert preview == gif and Image.open(gif).n_frames == 12
    assert recipe.read(gif)["keyframes"][1]["seed"] == 2
    preview, mp4 = paint.paint_morph(MODEL, keys, 12, 8, False, "MP4", 1, request=ANNA)
    anna = common.workspace(ANNA)
    assert Path(mp4).parent == Path(preview).parent == anna.outputs_dir
    assert Path(mp4).name == Path(preview).with_suffix(".mp4").name  # <output id>.mp4 beside the kept GIF
    assert open(mp4, "rb").read(12)[4:8] == b"ftyp" and recipe.read(mp4)["frames"] == 12
    assert len(anna.store.list()) == 2 and common.workspace(BEN).store.list() == []
    assert tempfiles.count_files() == 0


# ---------------------------------------------------------------- training
def write_loose(folder: Path, n: int = 16) -> list[str]:
    """n pictures, each in a folder of its own (as gradio keeps uploads)."""
    paths = []
    for i, img in enumerate(shapes(n).images):
        sub = folder / f"{i:02d}{'abcdef0123456789'[i % 16] * 8}"
        sub.mkdir(parents=True)
        Image.fromarray(img).save(sub / f"pic{i}.png")
        paths.append(str(sub / f"pic{i}.png"))
    return paths


def test_loose_pictures_are_one_class_named_after_the_model(tmp_path):
    files = write_loose(tmp_path / "uploads")
    data = load_image_set(files, 32, loose_class="my-shapes")
    assert data.class_names == ["my-shapes"] and len(data.images) == 16 and set(data.labels) == {0}
    assert tempfiles.count_files() == 0


def test_only_folders_inside_a_zip_become_classes(tmp_path):
    folder = write_pictures(tmp_path / "set", shapes(16))
    archive = tmp_path / "classes.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in folder.rglob("*.png"):
            zf.write(p, p.relative_to(folder))
    data = load_image_set([archive, *write_loose(tmp_path / "uploads", 2)], 32, loose_class="mine")
    assert data.class_names == ["discs", "mine", "squares"] and np.bincount(data.labels).tolist() == [8, 2, 8]


@pytest.mark.parametrize(
    "steps, res, minutes, words",
    [
        (0, 32, 0, "number of steps must be between 1 and 20000"),
        (20001, 32, 0, "number of steps must be between 1 and 20000"),
        (math.nan, 32, 0, "number of steps must be a finite number"),
        (10, 48, 0, "size in pixels must be one of 32, 64, 128"),
        (10, 32, math.inf, "time limit in minutes must be a finite number"),
    ],
)
def test_bad_training_requests_get_messages(tmp_path, steps, res, minutes, words):
    files = write_loose(tmp_path / "uploads")
    with pytest.raises(gr.Error) as err:
        seen = []
        for update in paint.paint_train(files, "mine", "from scratch", steps, minutes, res, MODEL, request=ANNA):
            seen.append(update[0])
    assert words in message(err)
    assert seen == [f"**Not finished:** {message(err)}"]  # the status line says it too, not an old "Done"
    assert not TRAINING.busy


def test_training_needs_pictures_and_a_plain_name(tmp_path):
    with pytest.raises(gr.Error) as err:
        list(paint.paint_train([], "mine", "from scratch", 10, 0, 32, MODEL, request=ANNA))
    assert "Add your pictures first" in message(err)
    with pytest.raises(gr.Error) as err:
        list(paint.paint_train(write_loose(tmp_path / "u"), "../evil", "from scratch", 10, 0, 32, MODEL, request=ANNA))
    assert "name of letters, digits" in message(err)


def test_a_training_that_fails_after_it_began_says_why_in_its_status(tmp_path):
    """Unreadable pictures fail once the run has begun: the status line gives the reason instead of
    keeping "Reading your pictures…", and the same message is raised for gradio's badge."""
    tmp_path.joinpath("u").mkdir()
    files = []
    for i in range(12):
        fake = tmp_path / "u" / f"p{i}.png"
        fake.write_text("not a picture")
        files.append(str(fake))
    seen = []
    with pytest.raises(gr.Error) as err:
        for update in paint.paint_train(files, "mine", "from scratch", 10, 0, 32, MODEL, request=ANNA):
            seen.append(update[0])
    assert seen[-2].startswith("Reading your pictures") and seen[-1] == f"**Not finished:** {message(err)}"
    assert "picture" in message(err) and not TRAINING.busy


def test_training_on_loose_uploads_makes_a_one_class_model_in_the_callers_workspace(tmp_path, monkeypatch):
    plain = paint_train.bundled_recipe
    monkeypatch.setattr(paint_train, "bundled_recipe", lambda meta: {**plain(meta), "anchor_steps": 0})  # skip anchors
    files = write_loose(tmp_path / "uploads")
    updates = list(paint.paint_train(files, "loose-16", "from scratch", 2, 0, 32, MODEL, request=ANNA))
    assert updates[-1][0].startswith("**Done**: Finished at step 2 of 2. Saved loose-16 (")  # as every tab says it
    assert updates[-1][0].endswith(
        "compact: training it again fine-tunes from it). The model **loose-16 (yours)** is in the list."
    )
    assert not TRAINING.busy
    anna = common.workspace(ANNA)
    model = anna.models_dir / "paint" / "loose-16.pt"
    assert model.is_file() and checkpoints.load(model).meta["class_names"] == ["loose-16"]
    assert "train" not in checkpoints.load(model).extra  # finished: no optimiser state kept
    assert "loose-16 (yours)" in paint.models(ANNA) and "loose-16 (yours)" not in paint.models(BEN)
    kept = anna.store.list()
    assert kept and kept[0].recipe["kind"] == "training preview" and common.workspace(BEN).store.list() == []
    assert tempfiles.count_files() == 0
    with pytest.raises(gr.Error) as err:  # another visitor cannot reach it
        paint.paint_generate("loose-16 (yours)", "loose-16", "(none)", 0.5, 3, 0.8, ZERO, [], request=BEN)
    assert "no Paint model called 'loose-16 (yours)'" in message(err)
