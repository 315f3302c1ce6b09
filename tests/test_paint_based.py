"""The Paint tab drawing from an artist's picture (the *base* My picture finds), through the tab's own
events as gradio wires them: the live picture, Keep, A/B and keyframes from the base, reopened and
remade exactly."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pytest
from PIL import Image

from engines import recipe
from engines import replay as replays
from engines.paint import explore
from studio import common, paint, paint_based, paint_panels
from studio.paint_base import RESTORE_FIELDS
from tests.test_paint_panels import ANNA, MODEL, ZERO, l1, one_thread, shared_studio, store  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(not explore.bundled_models(), reason="no bundled Paint model in assets/")


@pytest.fixture(scope="module")
def model():
    return explore.load_model(explore.BUNDLED_DIR / "emoji.pt")


def found_base(model) -> dict:
    """What a search would find for a drawn picture (no search: seed 5's own z), as `paint_invert` gives it."""
    z = explore.latent(model, 5, 1.0, blend="faces")
    return {
        "model": MODEL,
        "checkpoint": model.hash,
        "base": [round(float(v), 5) for v in z],
        "classes": {"faces": 1.0},
        "truncation": explore.truncation_of(model),
        "invert_l1": 0.01,
        "input": None,
    }


def wired(api_name: str):
    """The Paint tab built; (the function its event `api_name` runs, that event's inputs, its triggers)."""
    with gr.Blocks() as demo:
        with gr.Tab("Paint") as tab:
            paint.build(common.StudioContext(demo), tab)
    fn = next(f for f in demo.fns.values() if f.api_name == api_name)
    return fn.fn, fn.inputs, fn.targets


def test_after_use_it_the_live_event_draws_from_the_base_and_a_slider_moves_it(model):
    live, inputs, triggers = wired("paint_generate")
    assert isinstance(inputs[-1], gr.State) and (inputs[-1]._id, "change") in triggers  # a new base redraws
    base = paint_panels.use_base(MODEL, found_base(model), request=ANNA)[0]
    seed_args = [MODEL, "faces", "(none)", 0.5, 42, 1.0]
    seed_pic = live(*seed_args, *ZERO, [], None, ANNA)
    still = live(*seed_args, *ZERO, [], base, ANNA)
    moved = live(*seed_args, 2.5, *ZERO[1:], [], base, ANNA)
    assert l1(still, paint_based.paint_from_base(MODEL, base, 1.0, ZERO, [], request=ANNA)) == 0.0
    assert moved.size == seed_pic.size and l1(moved, still) > 0.02 and l1(moved, seed_pic) > 0.02
    assert l1(still, seed_pic) > 0.02  # the base's picture, not seed 42's
    gone = paint_panels.leave_base(base)[0]
    assert l1(live(*seed_args, *ZERO, [], gone, ANNA), seed_pic) == 0.0  # back to seeds


def test_keep_of_a_base_picture_reopens_with_its_base_and_remakes_exactly(model):
    keep, inputs, _ = wired("paint_keep")
    assert isinstance(inputs[-1], gr.State)
    base = paint_panels.use_base(MODEL, found_base(model), request=ANNA)[0]
    path = keep(MODEL, "faces", "(none)", 0.5, 42, 0.9, 1.5, *ZERO[1:], [[3, 0, 0.5]], 2, base, ANNA)
    rec = recipe.read(path)
    assert rec["kind"] == "my picture" and Path(path).parent == store(ANNA)
    fields = dict(zip(RESTORE_FIELDS, paint.restore(path, request=ANNA)))
    assert fields["base"]["base"] == base["base"] and fields["psi"] == 0.9 and fields["direction_1"].value == 1.5
    assert (
        l1(
            fields["image"],
            paint_based.paint_from_base(MODEL, base, 0.9, [1.5] + ZERO[1:], [[3, 0, 0.5]], request=ANNA),
        )
        == 0.0
    )
    ws = common.workspace(ANNA)
    ctx = replays.ReplayContext(ws.models_dir, ws.store, "cpu")
    assert replays.exact(rec) and replays.same(replays.remake(rec, ctx), Path(path))
    seed_path = paint.keep_it(MODEL, "faces", "(none)", 0.5, 42, 0.9, ZERO, [], 1, request=ANNA)
    assert dict(zip(RESTORE_FIELDS, paint.restore(seed_path, request=ANNA)))["base"] is None  # leaves my picture
    assert paint.after_keep(True, base) == (gr.update(), gr.update(), gr.update())  # the seed plays no part


def test_hold_as_a_and_swap_carry_the_base(model):
    base = paint_panels.use_base(MODEL, found_base(model), request=ANNA)[0]
    seed_args = [MODEL, "faces", "(none)", 0.5, 42, 1.0, ZERO, []]
    shown, held, swap = paint.hold_a(*seed_args, base, request=ANNA)
    assert held["kind"] == "my picture" and swap.interactive
    assert l1(shown["value"], paint_based.paint_from_base(MODEL, base, 1.0, ZERO, [], request=ANNA)) == 0.0
    out = paint.swap_ab(held, *seed_args, None, request=ANNA)
    back = dict(zip(RESTORE_FIELDS, out[: len(RESTORE_FIELDS)]))
    assert back["base"]["base"] == base["base"] and out[-1]["seed"] == 42  # A is the base's; seed 42 now held


def test_an_inverted_keyframe_and_a_seed_keyframe_make_a_morph_that_reopens_and_remakes(model):
    base = paint_panels.use_base(MODEL, found_base(model), request=ANNA)[0]
    keys, strip = paint_based.add_base_keyframe(MODEL, base, 1.0, ZERO, [], [], request=ANNA)
    keys, strip = paint.add_keyframe(MODEL, "people", "(none)", 0.5, 9, 0.8, ZERO, [], keys, request=ANNA)
    assert len(keys) == 2 and "base" in keys[0] and keys[1]["seed"] == 9 and len(strip) == 2
    gif, _ = paint.paint_morph(MODEL, keys, 8, 8, True, "GIF", 1, request=ANNA)
    rec = recipe.read(gif)
    assert rec["keyframes"][0]["base"] == keys[0]["base"] and rec["keyframes"][1]["seed"] == 9
    first = Image.open(gif).convert("RGB")
    assert l1(first, paint_based.paint_from_base(MODEL, base, 1.0, ZERO, [], request=ANNA)) < 0.05  # GIF palette
    back = paint.restore(gif, request=ANNA)
    picture, morph = dict(zip(RESTORE_FIELDS, back[: len(RESTORE_FIELDS)])), back[len(RESTORE_FIELDS) :]
    assert picture["base"]["base"] == base["base"] and len(morph[1]) == 2 and morph[0] == keys
    ws = common.workspace(ANNA)
    ctx = replays.ReplayContext(ws.models_dir, ws.store, "cpu")
    assert replays.exact(rec) and replays.same(replays.remake(rec, ctx), Path(gif))


def test_a_sweep_while_drawing_from_the_base_sweeps_the_base_and_its_cells_reopen_it(model):
    """The Sweep panel's Run, as wired: with a base every cell is drawn from the artist's picture (the
    seed cannot be an axis); a cell opens with the base; the kept grid remakes exactly."""
    run, inputs, _ = wired("paint_sweep")
    assert isinstance(inputs[-1], gr.State)  # the base, hidden from the API
    base = paint_panels.use_base(MODEL, found_base(model), request=ANNA)[0]
    seed_args = [MODEL, "faces", "(none)", 0.5, 42, 1.0]
    *_, last = run(*seed_args, *ZERO, [], "truncation", "0.5, 1", "direction 1", "0, 2", base, ANNA)
    grid, status, cells, kept, rec = last
    assert "Kept" in status and len(cells) == 4 and rec["base"]["base"] == base["base"]
    from_base = paint_based.paint_from_base(MODEL, base, 1.0, ZERO, [], request=ANNA)
    back = dict(zip(RESTORE_FIELDS, paint.open_cell(rec, type("Select", (), {"index": 1})(), request=ANNA)))
    assert back["base"]["base"] == base["base"] and back["psi"] == 1.0  # row 0 (direction 0), column 1 (psi 1)
    assert l1(back["image"], from_base) == 0.0
    ws = common.workspace(ANNA)
    ctx = replays.ReplayContext(ws.models_dir, ws.store, "cpu")
    assert replays.exact(rec) and replays.same(replays.remake(rec, ctx), Path(kept))
    reopened = paint.restore(kept, request=ANNA)  # from the Gallery: the first cell, with its base
    assert reopened[RESTORE_FIELDS.index("base")]["base"] == base["base"] and len(reopened[-7:][5]) == 4
    with pytest.raises(gr.Error, match="no seed to sweep"):
        list(run(*seed_args, *ZERO, [], "seed", "1, 2", "truncation", "0.5", base, ANNA))
    *_, seeds = run(*seed_args, *ZERO, [], "seed", "1, 2", "truncation", "0.5", None, ANNA)  # no base: seeds
    assert seeds[4]["base"]["seed"] == 42 and "base" not in seeds[4]["base"]
