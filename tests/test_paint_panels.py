"""The Paint tab's two extra panels called directly (no browser): My picture (find an uploaded
picture in the model, then paint from it) and Move with sound (a morph timed to a sound, as an MP4
carrying it), with their messages for bad inputs and their temp folder left empty."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
import soundfile as sf
import torch
from PIL import Image

from engines import recipe, tempfiles
from engines.paint import anchors, explore, invert, inverted, sound_file, sound_morph
from engines.paint.explore import bundled_models
from engines.settings import Settings
from studio import common, paint, paint_based, paint_panels
from studio.paint_base import RESTORE_FIELDS, display

pytestmark = pytest.mark.skipif(not bundled_models(), reason="no bundled Paint model in assets/")
MODEL = "emoji (bundled)"
N = paint_panels.N_SLIDERS
ZERO = [0.0] * N
SR = 16_000


def visitor(key: str) -> SimpleNamespace:
    return SimpleNamespace(headers={"x-atelier-workspace": key}, cookies={}, session_hash=f"s-{key[:4]}", session={})


ANNA, BEN = visitor("anna-" + "a" * 20), visitor("ben-" + "b" * 20)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def shared_studio(tmp_path):
    tempfiles.set_root(tmp_path / "tmp")
    settings = Settings(models_dir=tmp_path / "m", outputs_dir=tmp_path / "o", workspaces_dir=tmp_path / "w")
    yield common.configure(settings, shared=True)
    assert tempfiles.count_files() == 0  # every job cleaned its scratch folder
    common.configure(settings)


@pytest.fixture(scope="module")
def model():
    return explore.load_model(explore.BUNDLED_DIR / "emoji.pt")


@pytest.fixture
def few_starts(model, monkeypatch):
    """Inversions start from 12 anchors per class (drawn in a fraction of a second) rather than all 1,372."""
    keep = torch.cat([torch.nonzero(model.anchors.labels == c).flatten()[:12] for c in range(len(model.class_names))])
    few = anchors.Anchors(model.anchors.z[keep], model.anchors.labels[keep], model.anchors.l1)
    starts = invert.starts(dataclasses.replace(model, anchors=few, hash=model.hash + "-test-few-anchors"))
    monkeypatch.setattr(invert, "starts", lambda _model: starts)


def message(excinfo: pytest.ExceptionInfo) -> str:
    err = excinfo.value
    return err.message if isinstance(err, gr.Error) else str(err)


def l1(a: Image.Image, b: Image.Image) -> float:
    side = min(a.width, b.width)
    a, b = (im.convert("RGB").resize((side, side), Image.Resampling.LANCZOS) for im in (a, b))
    return float(np.abs(np.asarray(a, float) - np.asarray(b, float)).mean() / 127.5)


def store(request) -> Path:
    return common.workspace(request).store.root


def click_track(path: Path, times=(0.5, 1.25, 2.0, 2.6), seconds=3.0) -> Path:
    wave = np.zeros(int(seconds * SR), np.float32)
    n = int(0.03 * SR)
    click = np.sin(2 * np.pi * 1000 * np.arange(n) / SR) * np.exp(-np.arange(n) / (0.005 * SR))
    for t in times:
        wave[int(t * SR) : int(t * SR) + n] += 0.8 * click.astype(np.float32)
    sf.write(str(path), wave, SR)
    return path


# ---------------------------------------------------------------- my picture
def test_a_drawn_picture_is_found_then_every_control_acts_on_it(tmp_path, model, few_starts):
    target = explore.generate(model, 4242, explore.PSI_ANCHOR, "animals & nature")
    target.save(tmp_path / "mine.png")
    events = list(paint_panels.paint_invert(MODEL, str(tmp_path / "mine.png"), "pad", 10, request=ANNA))
    assert len(events) >= 3 and events[0][2] is None  # streams, no base before the end
    shown, status, found = events[-1]
    assert found["invert_l1"] < 0.06 and l1(shown, target) < 0.08 and "Use it" in status
    assert (store(ANNA) / found["input"]).is_file() and not (store(BEN) / found["input"]).exists()

    base, psi, *rest = paint_panels.use_base(MODEL, found, request=ANNA)
    sliders, nudges, image = rest[:N], rest[N], rest[N + 1]
    assert psi == 1.0 and sliders == ZERO and nudges == [] and l1(image, target) < 0.08
    moved = paint_based.paint_from_base(MODEL, base, 1.0, [2.5] + ZERO[1:], [], request=ANNA)
    truncated = paint_based.paint_from_base(MODEL, base, 0.0, ZERO, [], request=ANNA)
    assert moved.size == image.size and l1(moved, image) > 0.02 and l1(truncated, image) > 0.02
    again = paint_based.paint_from_base(MODEL, base, 1.0, ZERO, [], request=BEN)  # a base draws alike anywhere
    assert l1(again, image) == 0.0
    grid = paint_based.base_variations(MODEL, base, 1.0, ZERO, [], 0.5, 7, request=ANNA)
    assert len(grid) == 9 and l1(grid[4][0], image) == 0.0 and l1(grid[0][0], image) > 0.01

    kept = paint_based.keep_base(MODEL, base, 1.0, [1.0] + ZERO[1:], [[7, 0, 0.5]], 2, request=ANNA)
    rec = recipe.read(kept)
    assert Path(kept).parent == store(ANNA) and rec["source"] == inverted.SOURCE and rec["input"] == found["input"]
    assert l1(inverted.from_recipe(model, rec), Image.open(kept)) == 0.0  # the recipe reopens the same picture
    restored = dict(zip(RESTORE_FIELDS, paint.restore_recipe(rec, request=ANNA)))  # reopening goes through Paint's
    assert restored["psi"] == 1.0 and restored["nudges"] == [[7, 0, 0.5]] and restored["direction_1"].value == 1.0
    assert (
        l1(
            restored["image"],
            paint_based.paint_from_base(MODEL, base, 1.0, [1.0] + ZERO[1:], [[7, 0, 0.5]], request=ANNA),
        )
        == 0.0
    )
    entries, strip = paint_based.remember_base(MODEL, base, 1.0, ZERO, [], [], request=ANNA)
    assert len(entries) == 1 and entries[0]["recipe"]["kind"] == "my picture" and len(strip) == 1

    live = paint_based.with_base(paint._one_input_per_slider(paint.paint_generate), paint_based.paint_from_base)
    assert [p.name for p in inspect.signature(live).parameters.values()][-3:] == ["nudges", "base", "request"]
    seed_pic = paint.paint_generate(MODEL, "faces", "(none)", 0.5, 42, 0.8, ZERO, [], request=ANNA)
    assert l1(live(MODEL, "faces", "(none)", 0.5, 42, 0.8, *ZERO, [], None, ANNA), seed_pic) == 0.0
    assert l1(live(MODEL, "faces", "(none)", 0.5, 42, 1.0, 2.5, *ZERO[1:], [], base, ANNA), moved) == 0.0
    keep = paint_based.with_base(paint._one_input_per_slider(paint.keep_it), paint_based.keep_base)
    assert recipe.read(keep(MODEL, "faces", "(none)", 0.5, 42, 0.8, *ZERO, [], 1, base, ANNA))["kind"] == "my picture"

    keys, strip = paint_based.add_base_keyframe(MODEL, base, 1.0, ZERO, [], [], request=ANNA)
    assert len(keys) == 1 and "base" in keys[0] and l1(strip[0], target) < 0.08


def test_my_picture_gives_messages_for_what_it_cannot_use(tmp_path):
    (tmp_path / "words.png").write_text("not a picture at all")
    Image.new("RGB", (8, 8), "red").save(tmp_path / "tiny.png")
    Image.new("1", (8000, 6000)).save(tmp_path / "huge.png")
    for name, words in [("words.png", "not a picture"), ("tiny.png", "at least 16"), ("huge.png", "megapixels")]:
        with pytest.raises(gr.Error) as err:
            list(paint_panels.paint_invert(MODEL, str(tmp_path / name), "pad", 5, request=ANNA))
        assert words in message(err)
    Image.new("RGB", (64, 64), "white").save(tmp_path / "ok.png")
    for args, words in [
        ((None, "pad", 5), "Add a picture"),
        ((str(tmp_path / "ok.png"), "stretch", 5), "Fit"),
        ((str(tmp_path / "ok.png"), "pad", float("nan")), "finite"),
    ]:
        with pytest.raises(gr.Error) as err:
            list(paint_panels.paint_invert(MODEL, *args, request=ANNA))
        assert words in message(err)
    with pytest.raises(gr.Error, match="Find your picture"):
        paint_panels.use_base(MODEL, None, request=ANNA)
    with pytest.raises(gr.Error) as err:
        paint_based.paint_from_base(MODEL, {"base": [0.1] * 3, "classes": {}}, 1.0, ZERO, [], request=ANNA)
    assert "numbers" in message(err)
    left = paint_panels.leave_base({"base": [0.1] * 3})
    assert left == (None, "Painting from seeds.", "Back to pictures from seeds.")
    assert paint_panels.leave_base(None) == (gr.skip(), gr.skip(), gr.skip())  # no base: every note stays


# ---------------------------------------------------------------- move with sound
def test_a_sound_timed_morph_is_an_mp4_with_the_sound_kept_in_the_callers_gallery(tmp_path):
    sound = click_track(tmp_path / "clicks.wav")
    events = list(
        paint_panels.paint_morph_to_sound(
            MODEL, [], "3, 9, 27", "faces", 0.5, str(sound), None, "step", "onsets", 12, 1, 1, request=ANNA
        )
    )
    gif, mp4, status = events[-1]
    assert len(events) >= 3 and "Done" in status and "4 onsets" in status
    assert Path(gif).parent == store(ANNA) and Path(mp4) == Path(gif).with_suffix(".mp4")
    found = sound_file.streams(mp4)
    assert found["video"] and found["audio"] and abs(sound_file.audio_seconds(mp4) - 3.0) < 0.1
    rec = recipe.read(gif)
    assert rec["kind"] == "sound morph" and len(rec["keyframes"]) == 3 and rec["mode"] == "step"
    assert (store(ANNA) / rec["sound_input"]).is_file() and recipe.read(mp4) == rec
    assert [o.recipe.get("kind") for o in common.workspace(ANNA).store.list()] == ["sound morph"]
    assert common.workspace(BEN).store.list() == []
    reopened = dict(zip(RESTORE_FIELDS, paint.restore_recipe(rec, request=ANNA)))  # its first keyframe: seed 3
    assert reopened["seed"] == 3 and "clicks.wav" in reopened["note"]


def test_a_gallery_sound_and_pushes_from_an_inverted_keyframe(tmp_path, model):
    wave, _ = sf.read(str(click_track(tmp_path / "clicks.wav")), dtype="float32")
    out = common.workspace(ANNA).store.save_sound(SR, wave, {"engine": "sound", "kind": "note"}, title="my clicks")
    assert [c[1] for c in paint_panels.sound_choices(None, request=ANNA).choices] == [out.id]
    assert paint_panels.sound_choices(None, request=BEN).choices == []
    with pytest.raises(gr.Error):  # someone else's sound is not reachable
        list(
            paint_panels.paint_morph_to_sound(
                MODEL, [], "3", "faces", 0.5, None, out.id, "push", "onsets", 8, 1, 1, request=BEN
            )
        )
    z = explore.latent(model, 5, 1.0, blend="faces")
    key = {"model": MODEL, "base": [round(float(v), 5) for v in z], "psi": 1.0, "classes": {"faces": 1.0}}
    events = list(
        paint_panels.paint_morph_to_sound(
            MODEL, [key], "", "faces", 0.5, None, out.id, "push", "beats", 8, 1, 2, request=ANNA
        )
    )
    gif, mp4, status = events[-1]
    assert "Done" in status and abs(sound_file.audio_seconds(mp4) - 3.0) < 0.1
    assert recipe.read(gif)["keyframes"][0]["base"] == key["base"]
    reopened = dict(zip(RESTORE_FIELDS, paint.restore_recipe(recipe.read(gif), request=ANNA)))
    drawn = explore.render(model, torch.tensor(key["base"]), explore.class_vector(model, "faces"))[0]
    assert l1(reopened["image"], display(drawn)) == 0.0  # the first keyframe, drawn from its base


def test_move_with_sound_gives_messages_for_what_it_cannot_follow(tmp_path):
    silent, tone, long = tmp_path / "silent.wav", tmp_path / "tone.wav", tmp_path / "long.wav"
    sf.write(str(silent), np.zeros(SR * 2, np.float32), SR)
    t = np.arange(SR * 2) / SR
    sf.write(str(tone), (0.5 * np.sin(2 * np.pi * 440 * t) * np.minimum(1, t * 2)).astype(np.float32), SR)
    sf.write(str(long), np.zeros(8000 * 61, np.int16), 8000)
    (tmp_path / "text.wav").write_text("hello")
    clicks = str(click_track(tmp_path / "clicks.wav"))
    cases = [
        ("3, 9", str(silent), "step", "silent"),
        ("3, 9", str(tone), "step", "No onsets"),
        ("3, 9", str(long), "step", "lasts 61 s"),
        ("3, 9", str(tmp_path / "text.wav"), "step", "audio"),
        ("3", clicks, "step", "at least two keyframes"),
        ("3, x", clicks, "step", "Seed 2"),
        ("", clicks, "step", "Add keyframes"),
        ("3, 9", None, "step", "Add a sound"),
        ("3, 9", clicks, "dance", "mode"),
    ]
    for seeds, sound, mode, words in cases:
        with pytest.raises(gr.Error) as err:
            list(
                paint_panels.paint_morph_to_sound(
                    MODEL, [], seeds, "faces", 0.5, sound, None, mode, "onsets", 12, 1, 1, request=ANNA
                )
            )
        assert words in message(err), (seeds, sound, message(err))
    with pytest.raises(gr.Error) as err:
        list(
            paint_panels.paint_morph_to_sound(
                MODEL, [], "3, 9", "faces", 0.5, clicks, None, "step", "onsets", float("inf"), 1, 1, request=ANNA
            )
        )
    assert "frames per second" in message(err)
    assert common.workspace(ANNA).store.list() == []


def test_the_paint_tab_lays_out_both_panels_with_their_api_names():
    with gr.Blocks() as demo:
        with gr.Tab("Paint") as tab:
            paint.build(common.StudioContext(demo), tab)
    api = demo.get_api_info()["named_endpoints"]
    assert [p["parameter_name"] for p in api["/paint_invert"]["parameters"]] == [
        "model_label",
        "picture",
        "fit",
        "seconds",
    ]
    assert [p["parameter_name"] for p in api["/paint_morph_to_sound"]["parameters"]] == [
        "model_label",
        "keyframes",
        "seeds",
        "class_name",
        "psi",
        "sound",
        "gallery_sound",
        "mode",
        "timing",
        "fps",
        "upscale",
        "direction",
    ]
    assert "/paint_generate" in api and "/paint_morph" in api


def test_the_hooked_live_event_keeps_the_api_of_paint_generate():
    def api_of(hooked: bool) -> list[str]:
        with gr.Blocks() as demo:
            inputs = [
                gr.Dropdown([MODEL]),
                gr.Dropdown(["faces"]),
                gr.Dropdown(["(none)"]),
                gr.Slider(0, 1),
                gr.Number(1),
                gr.Slider(0, 1.5),
                *[gr.Slider(-3, 3) for _ in range(N)],
                gr.State([]),
            ]
            event = paint._one_input_per_slider(paint.paint_generate)
            if hooked:
                event, inputs = paint_based.with_base(event, paint_based.paint_from_base), [*inputs, gr.State(None)]
            gr.Button().click(event, inputs, gr.Image(), api_name="paint_generate")
        return [p["parameter_name"] for p in demo.get_api_info()["named_endpoints"]["/paint_generate"]["parameters"]]

    assert api_of(True) == api_of(False) and api_of(True)[-1] == "direction_10"


def test_stop_ends_a_search_and_a_render_with_what_they_have(tmp_path, model, few_starts):
    target = explore.generate(model, 11, explore.PSI_ANCHOR, "faces")
    target.save(tmp_path / "mine.png")
    search = paint_panels.paint_invert(MODEL, str(tmp_path / "mine.png"), "pad", 30, request=ANNA)
    next(search)
    assert paint_panels.stop_invert(request=BEN) == "Nothing is being searched."  # another workspace's Stop
    paint_panels.stop_invert(request=ANNA)
    *_, (shown, status, found) = list(search)
    assert "Stopped" in status and found is not None and shown is not None

    render = paint_panels.paint_morph_to_sound(
        MODEL,
        [],
        "3, 9",
        "faces",
        0.5,
        str(click_track(tmp_path / "c.wav")),
        None,
        "step",
        "onsets",
        12,
        1,
        1,
        request=ANNA,
    )
    while "frame" not in next(render)[2]:
        pass
    paint_panels.stop_sound_morph(request=ANNA)
    *_, (gif, mp4, status) = list(render)
    assert "Stopped" in status and recipe.read(gif)["frames"] == sound_morph.BATCH
    assert abs(sound_file.audio_seconds(mp4) - 3.0) < 0.1
