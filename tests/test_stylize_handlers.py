"""Stylize's handlers called directly (no browser, no server): pictures checked before decoding,
every number bounded, kept outputs in the caller's workspace only, Stop from any page of the
workspace, and no temp file left behind."""

from __future__ import annotations

import ast
import struct
import zlib
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
from gradio.data_classes import FileData, ImageData
from PIL import Image

from engines import recipe, tempfiles
from engines.settings import Settings
from engines.stylize import controls, fast
from engines.stylize.pictures import check_picture
from studio import common, stylize_fast, stylize_inputs, stylize_panels, stylize_restore, stylize_slow

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"
CONTENT = str(SAMPLES / "content" / "chelsea.jpg")
STYLE = str(SAMPLES / "styles" / "mosaic.jpg")
KEY_A, KEY_B = "alice-key-0123456789abcdef", "bob-key-0123456789abcdef00"
EXCEPTION_NAMES = ("Error(", "UnidentifiedImage", "DecompressionBomb", "Traceback", "OSError", "SyntaxError")


def _request(key: str, session: str = "s1") -> SimpleNamespace:
    return SimpleNamespace(headers={"x-atelier-workspace": key}, cookies={}, session_hash=session, session={})


@pytest.fixture(autouse=True)
def shared_studio(tmp_path):
    tempfiles.set_root(tmp_path / "tmp")
    yield common.configure(
        Settings(models_dir=tmp_path / "m", outputs_dir=tmp_path / "o", workspaces_dir=tmp_path / "w"), shared=True
    )
    assert tempfiles.count_files() == 0  # every test leaves the studio's temp folder empty


def _fast(strength=1.0, content=CONTENT, style=STYLE, weights=(1.0, 0.5, 0.5, 0.5), keep=False, size=128):
    return [content, style, None, None, None, *weights, strength, keep, size]


def _message(excinfo: pytest.ExceptionInfo) -> str:
    assert isinstance(excinfo.value, gr.Error), type(excinfo.value)
    text = str(excinfo.value.message)
    assert text and not any(name in text for name in EXCEPTION_NAMES), text
    return text


# ---------------------------------------------------------------- hostile pictures
def _huge_png(path: Path, width: int = 20000, height: int = 20000) -> Path:
    """A PNG whose header claims width x height (only its header is ever read)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")
    )
    return path


@pytest.fixture
def hostile(tmp_path) -> dict[str, str]:
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("this is not a picture at all\n" * 20)
    frames = [Image.new("RGB", (64, 64), c) for c in ("red", "blue", "green")]
    frames[0].save(tmp_path / "moving.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return {
        "empty": str(tmp_path / "empty.png"),
        "text": str(tmp_path / "text.png"),
        "huge": str(_huge_png(tmp_path / "huge.png")),
        "animated": str(tmp_path / "moving.gif"),
        "big": str(_huge_png(tmp_path / "big.png", 9000, 9000)),
    }


EXPECTED = {
    "empty": "empty file",
    "text": "not a picture",
    "huge": "megapixels",
    "animated": "animated",
    "big": "megapixels",
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_hostile_pictures_get_a_plain_message_as_content_or_style(hostile, kind):
    with pytest.raises(gr.Error) as as_content:
        stylize_fast.stylize_fast(*_fast(content=hostile[kind]))
    text = _message(as_content)
    assert EXPECTED[kind] in text and text.startswith("Your picture")
    with pytest.raises(gr.Error) as as_style:
        stylize_fast.keep_fast(*_fast(style=hostile[kind]), request=_request(KEY_A))
    text = _message(as_style)
    assert EXPECTED[kind] in text and text.startswith("Style 1")


def test_the_huge_picture_is_refused_from_its_header_alone(hostile):
    with pytest.raises(ValueError, match=r"It is 400 megapixels; pictures over 40 megapixels are refused"):
        check_picture(hostile["huge"], "It")
    with pytest.raises(ValueError, match=r"It is 9000x9000 \(81 megapixels\)"):
        check_picture(hostile["big"], "It")


def test_a_hostile_brushed_layer_is_refused_before_painting(hostile):
    mask = {"background": None, "layers": [hostile["text"]], "composite": None}
    gen = stylize_slow.stylize_gatys(
        *_fast()[:9], 20, 128, 1.0, 0.15, 0.3, "efficientnet-lite0", "lbfgs", "none", mask, request=_request(KEY_A)
    )
    with pytest.raises(gr.Error) as err:
        next(gen)
    assert "Brushed layer 1 is not a picture" in _message(err)


def test_uploads_reach_the_handler_undecoded_so_it_can_say_what_is_wrong(hostile):
    picture = stylize_inputs.picture_upload()
    assert picture.preprocess(ImageData(path=hostile["empty"], orig_name="empty.png")) == hostile["empty"]
    editor = stylize_inputs.mask_editor()
    assert editor.convert_and_format_image(FileData(path=hostile["text"])) == hostile["text"]
    assert stylize_slow.to_editor(hostile["huge"]) is None  # the fast path's own message says why


# ---------------------------------------------------------------- bounds
@pytest.mark.parametrize(
    "change, words",
    [
        (dict(strength=float("nan")), "Strength must be a finite number"),
        (dict(strength=float("inf")), "Strength must be a finite number"),
        (dict(strength=1.5), "Strength must be between 0 and 1"),
        (dict(strength="lots"), "Strength must be a number"),
        (dict(weights=(float("nan"), 0.5, 0.5, 0.5)), "Style weight 1 must be a finite number"),
        (dict(weights=(1.0, -0.1, 0.5, 0.5)), "Style weight 2 must be between 0 and 1"),
        (dict(weights=(0.0, 0.5, 0.5, 0.5)), "all style weights are zero"),
        (dict(size=5000), "The size must be between 128 and 4096"),
        (dict(size=float("inf")), "The size must be a finite number"),
        (dict(keep="maybe"), "Keep my colours must be true or false"),
    ],
)
def test_bad_fast_numbers_give_messages(change, words):
    with pytest.raises(gr.Error) as err:
        stylize_fast.stylize_fast(*_fast(**change))
    assert words in _message(err)


@pytest.mark.parametrize(
    "index, value, words",
    [
        (9, 5000, "Steps must be between 20 and 1000"),
        (10, 2048, "The size must be between 128 and 1024"),
        (11, float("nan"), "Style weight must be a finite number"),
        (12, 9.0, "Content weight must be between 0 and 2"),
        (13, float("-inf"), "Smoothness (TV) must be a finite number"),
        (15, "sgd", "The optimiser must be one of: lbfgs, adam"),
        (16, "sepia", "Keep colours must be one of"),
    ],
)
def test_bad_gatys_settings_give_messages_before_any_work(index, value, words):
    args = [*_fast()[:9], 20, 128, 1.0, 0.15, 0.3, "efficientnet-lite0", "lbfgs", "none", None]
    args[index] = value
    with pytest.raises(gr.Error) as err:
        next(stylize_slow.stylize_gatys(*args, request=_request(KEY_A)))
    assert words in _message(err)


@pytest.mark.parametrize(
    "index, value, words",
    [
        (3, -1, "The channel must be between 0 and 4095"),
        (5, float("nan"), "Octaves must be a finite number"),
        (5, 9, "Octaves must be between 1 and 6"),
        (6, 500, "Steps per octave must be between 2 and 60"),
        (7, 1.0, "Strength must be between 0.005 and 0.1"),
        (9, 1e9, "The size must be between 128 and 4096"),
        (4, "not a class", "The class must be one of"),
    ],
)
def test_bad_dream_settings_give_messages(index, value, words):
    args = [CONTENT, "channel" if index == 3 else "class", "parts (block 8)", 0, "tabby", 1, 2, 0.03, "noise", 128]
    args[index] = value
    with pytest.raises(gr.Error) as err:
        next(stylize_slow.stylize_dream(*args, request=_request(KEY_A)))
    assert words in _message(err)


def test_presets_need_26_finite_weights():
    weights = [1.0] + [0.0] * (fast.N_PRESETS - 1)
    with pytest.raises(gr.Error) as err:
        stylize_fast.stylize_presets(CONTENT, False, 128, *weights[:-1], float("nan"))
    assert "Preset 26 must be a finite number" in _message(err)
    with pytest.raises(gr.Error) as err:
        stylize_fast.stylize_presets(CONTENT, False, 128, *weights[:5])
    assert "Give 26 preset weights" in _message(err)


# ---------------------------------------------------------------- real behaviour
def test_strength_changes_a_picture_of_the_asked_size():
    before, full = stylize_fast.stylize_fast(*_fast(1.0))
    _, light = stylize_fast.stylize_fast(*_fast(0.2))
    a, b = np.asarray(full, float), np.asarray(light, float)
    assert before == CONTENT and max(full.size) == 128 and a.shape == b.shape and np.abs(a - b).mean() > 3
    assert stylize_fast.stylize_fast(*_fast(content=None)) is None
    assert stylize_fast.auto_fast(CONTENT, None, None, None, None, 1, 1, 1, 1, 1.0, False, 128) is None


def test_a_kept_stylisation_lands_in_the_callers_workspace_only():
    path = stylize_fast.keep_fast(*_fast(0.7), request=_request(KEY_A))
    mine, theirs = common.workspace(_request(KEY_A)), common.workspace(_request(KEY_B))
    assert Path(path).is_file() and mine.owns(path) and not theirs.owns(path)
    assert len(mine.store.list()) == 1 and theirs.store.list() == []
    rec = recipe.read(path)
    assert rec["strength"] == 0.7 and rec["styles"] == ["mosaic.jpg"] and rec["size"] == 128
    restored = dict(zip(stylize_panels.RESTORED, stylize_restore.restore(path, request=_request(KEY_A))))
    assert Path(restored["content"]).read_bytes() == Path(CONTENT).read_bytes() and mine.owns(restored["content"])
    assert Path(restored["style_0"]).read_bytes() == Path(STYLE).read_bytes()
    assert [restored[k] for k in ("strength", "keep_colours", "size")] == [0.7, False, 128]
    preset = stylize_fast.keep_presets(CONTENT, True, 128, *([0.5] + [0.0] * 25), request=_request(KEY_B))
    assert theirs.owns(preset) and recipe.read(preset)["presets"] == {"1": 0.5}
    assert len(mine.store.list()) == 1


def test_a_full_workspace_keeps_nothing(tmp_path):
    common.configure(
        Settings(models_dir=tmp_path / "m", outputs_dir=tmp_path / "o", workspaces_dir=tmp_path / "w"),
        shared=True,
        quota_mb=0.001,
    )
    with pytest.raises(gr.Error) as err:
        stylize_fast.keep_fast(*_fast(), request=_request(KEY_A))
    assert "workspace is full" in _message(err)


def test_gatys_streams_counts_honestly_and_stops_from_another_page_of_the_workspace():
    args = [*_fast()[:9], 20, 128, 1.0, 0.15, 0.3, "efficientnet-lite0", "lbfgs", "none", None]
    gen = stylize_slow.stylize_gatys(*args, request=_request(KEY_A, "page-1"))
    assert next(gen)[1].startswith("Starting")
    preview, status, plot = next(gen)
    assert max(preview.size) == 128 and status.startswith("step ") and set(plot["part"]) == {"style", "content"}
    stylize_slow.stop_gatys(request=_request(KEY_B, "other-person"))  # someone else's Stop changes nothing here
    stylize_slow.stop_gatys(request=_request(KEY_A, "page-2"))
    *_, (final, status, plot) = list(gen)
    assert "Stopped" in status and "kept in the Gallery" in status
    step, total = (int(x) for x in status.split("step ")[1].split(" ·")[0].split(" of "))
    assert step <= total == 20 and plot["step"].max() <= 20
    kept = common.workspace(_request(KEY_A)).store.list()
    assert len(kept) == 1 and recipe.read(kept[0].path)["method"] == "gatys"
    assert common.workspace(_request(KEY_B)).store.list() == []


def test_a_tiny_dream_is_kept_in_the_callers_workspace():
    out = list(
        stylize_slow.stylize_dream(
            CONTENT, "class", "parts (block 8)", 0, "tabby", 1, 2, 0.03, "noise", 128, request=_request(KEY_B)
        )
    )
    assert out[-1].size == (128, 128)
    kept = common.workspace(_request(KEY_B)).store.list()
    assert len(kept) == 1 and recipe.read(kept[0].path)["target"].startswith("class:")


def test_picking_a_sample_style_fills_the_first_empty_slot():
    updates = stylize_fast.pick_style(STYLE, None, None, None, SimpleNamespace(index=0))
    assert updates[1]["value"] == stylize_inputs.sample_paths("styles")[0] and "value" not in updates[0]


def test_every_stylize_module_and_studio_function_is_short():
    root = Path(__file__).resolve().parents[1]
    files = [*(root / "studio").glob("stylize*.py"), *(root / "engines" / "stylize").glob("*.py")]
    assert len(files) > 10 and all(len(f.read_text().splitlines()) <= 400 for f in files)
    studio_files = [f for f in files if f.parent.name == "studio"]
    trees = [ast.parse(f.read_text()) for f in studio_files]
    functions = [n for tree in trees for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    assert [n.name for n in functions if n.end_lineno - n.lineno >= 80] == [] and controls.GATYS_STEPS == (20, 1000)
