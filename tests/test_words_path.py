"""The artist's path in Words (#20, #23): reopening every kind restores its controls and its text,
remakes equal what was kept at a seed, the history strip undoes, slider names and ranges come
from stored measurements, the new-seed switch, budget-aware training and the sweep table."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest
import torch

from engines import recipe, replay, tempfiles
from engines.jobs import StopToken
from engines.settings import Settings
from engines.words import explore, files, lines, plan, runs
from engines.words import replay as words_replay
from engines.words.gpt import GPTConfig
from studio import common, words, words_base, words_lines, words_restore, words_sweep, words_train
from studio.words_lines import EXAMPLE_A, EXAMPLE_B

pytestmark = pytest.mark.skipif(not explore.available_models(None, "gpt"), reason="no bundled Words model")
GPT, VAE = "shakespeare (bundled)", "verse (bundled)"
needs_vae = pytest.mark.skipif(not explore.available_models(None, "vae"), reason="no bundled line model")
ZERO = [0.0] * words_base.N_SLIDERS
R = {k: i for i, k in enumerate(words_restore.RESTORED)}
ANNA = SimpleNamespace(headers={"x-atelier-workspace": "anna-" + "a" * 20}, cookies={}, session_hash="s1", session={})
TEXT = "When I do count the clock that tells the time,\nAnd see the brave day sunk in hideous night;\n" * 40


@pytest.fixture(autouse=True)
def shared_studio(tmp_path, monkeypatch):
    """A shared studio in tmp_path, its own temp folder, one torch thread."""
    monkeypatch.setenv("ATELIER_THREADS", "1")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    tempfiles.set_root(tmp_path / "tmp")
    settings = Settings(models_dir=tmp_path / "m", outputs_dir=tmp_path / "o", workspaces_dir=tmp_path / "w")
    yield common.configure(settings, shared=True)
    common.configure(settings)
    torch.set_num_threads(before)


def ctx() -> replay.ReplayContext:
    ws = common.workspace(ANNA)
    return replay.ReplayContext(ws.models_dir, ws.store)


def gen_args(seed=5, length=40, **kw):
    a = dict(prompt="ROMEO:\n", length=length, temperature=0.8, top_k=0, top_p=0.95, penalty=1.0, seed=seed, stop="")
    a.update(kw)
    return [GPT, *a.values()]


def message(err: pytest.ExceptionInfo) -> str:
    return err.value.message if isinstance(err.value, gr.Error) else str(err.value)


# ---------------------------------------------------------------- reopening and remaking
def test_a_written_text_reopens_with_every_control_and_its_text_and_remakes_exactly():
    text = list(words.words_generate(*gen_args(seed=7, top_k=20), request=ANNA))[-1][0]
    path = words.words_keep(*gen_args(seed=7, top_k=20), text, request=ANNA)
    got = words_restore.restore(path, request=ANNA)
    assert len(got) == len(words_restore.RESTORED)
    assert got[R["model"]] == GPT and got[R["prompt"]] == "ROMEO:\n" and got[R["seed"]] == 7
    assert got[R["top_k"]] == 20 and got[R["length"]] == 40 and got[R["output"]] == text
    rec = recipe.read(path)
    assert words_replay.exact(rec) and replay.same(replay.remake(rec, ctx()), Path(path))


@needs_vae
def test_a_morph_and_a_line_reopen_and_remake_exactly():
    poem = words_lines.words_morph(VAE, EXAMPLE_A, EXAMPLE_B, 4, "straight", "likeliest", 3, request=ANNA)
    kept = common.workspace(ANNA).store.list("text")[0]
    got = words_restore.restore(str(kept.path), request=ANNA)
    assert got[R["vae"]] == VAE and got[R["from"]] == EXAMPLE_A and got[R["steps"]] == 4
    assert got[R["poem"]] == poem and got[R["seed"]] == 3
    assert replay.exact(kept.recipe) and replay.same(replay.remake(kept.recipe, ctx()), kept.path)
    z, *_ = words_lines.use_line(VAE, EXAMPLE_B, request=ANNA)
    sliders = [0.5, 0, 0, 0, 0, 0, 0, -0.5]
    line = words_lines.words_line(VAE, z, *sliders, request=ANNA)
    path = words_lines.words_keep_line(VAE, z, sliders, request=ANNA)
    got = words_restore.restore(path, request=ANNA)
    assert got[R["line"]] == line and got[R["base"]] == pytest.approx(z) and got[R["slider0"]]["value"] == 0.5
    rec = recipe.read(path)
    assert rec["kind"] == "line" and replay.same(replay.remake(rec, ctx()), Path(path))


def test_a_missing_model_or_a_foreign_recipe_gets_a_message():
    with pytest.raises(ValueError, match="is not here"):
        replay.remake({"engine": "words", "kind": "writing", "model": "gone", "checkpoint": "x", "seed": 1}, ctx())
    with pytest.raises(ValueError, match="not made by the Words tab"):
        words_replay.remake({"engine": "words", "kind": "painting"}, ctx())
    assert not words_replay.exact({"engine": "words", "kind": "writing", "edited": True})


# ---------------------------------------------------------------- history
def test_the_history_strip_keeps_results_and_a_click_goes_back():
    entries: list = []
    texts = []
    for seed in (1, 2):
        texts.append(list(words.words_generate(*gen_args(seed=seed, length=20), request=ANNA))[-1][0])
        entries, shown = words.remember_writing(*gen_args(seed=seed, length=20), texts[-1], entries, request=ANNA)
    assert len(entries) == 2 and len(shown) == 2
    entries, _ = words.remember_writing(*gen_args(seed=2, length=20), texts[-1], entries, request=ANNA)
    assert len(entries) == 2  # the same result again is not pushed twice
    got = words_restore.history_pick(entries, SimpleNamespace(index=1), request=ANNA)
    assert got[R["seed"]] == 1 and got[R["output"]] == texts[0]
    with pytest.raises(gr.Error, match="no longer in the strip"):
        words_restore.history_pick(entries, SimpleNamespace(index=5), request=ANNA)


# ---------------------------------------------------------------- named, safe controls
def test_slider_names_come_from_effects_measured_on_lines():
    effects = [{"length": 2.0, "capitals": 0.1}, {"length": 1.5, "capitals": -0.9}, {"length": 0.05}]
    named = lines.name_directions(effects)
    assert named[0]["name"] == "shorter ↔ longer" and named[1]["name"] == "more capitals ↔ fewer capitals"
    assert "no clear trait" in named[2]["name"]
    assert lines.readable(["the king is dead", "xq zzv"], {"the", "king", "is", "dead"}) == pytest.approx(4 / 6)


@needs_vae
def test_sliders_are_named_and_limited_by_the_measurements_stored_beside_the_model(tmp_path):
    mine = common.workspace(ANNA).engine_models_dir("words") / "mine.pt"
    shutil.copyfile(explore.available_models(None, "vae")[VAE], mine)
    m = explore.load_line_model(mine)
    stored = {
        "checkpoint": m.hash,
        "directions": [{"name": f"quiet ↔ loud {i}", "range": 1.0 + i / 4} for i in range(8)],
    }
    files.save_measures(mine, stored)
    ups = words_lines.line_model_changed("mine (yours)", request=ANNA)
    assert ups[0]["label"] == "1. quiet ↔ loud 0" and ups[0]["maximum"] == 1.0 and ups[7]["minimum"] == -2.75
    assert words_lines.words_line("mine (yours)", None, 0.9, *ZERO[1:], request=ANNA)
    with pytest.raises(gr.Error) as err:
        words_lines.words_line("mine (yours)", None, 1.5, *ZERO[1:], request=ANNA)
    assert "quiet ↔ loud 0" in message(err) and "between -1 and 1" in message(err)
    files.save_measures(
        mine, {**stored, "checkpoint": "another-file"}
    )  # measurements of another file version are ignored
    explore.load_line_model(mine).measured = None
    assert explore.load_line_model(mine).slider_names()[0] == "Direction 1"


@needs_vae
def test_the_bundled_line_models_sliders_carry_measured_names_and_ranges():
    m = explore.load_line_model(explore.available_models(None, "vae")[VAE])
    if m.measured is None:
        pytest.skip("the bundled line model's sliders were not measured yet (python -m engines.words measure-lines)")
    stored = files.read_measures(m.path)
    assert m.slider_names() == [d["name"] for d in stored["directions"]][:8]
    assert all(lines.MIN_RANGE <= r <= 3.0 for r in m.slider_ranges())
    assert all(d["property"] is None or d["property"] in lines.PROPERTIES for d in stored["directions"])


def test_new_seed_each_time_draws_a_seed_and_off_keeps_the_one_shown():
    drawn = {words.next_seed(True, 5) for _ in range(5)}
    assert len(drawn) > 1 and all(0 <= s <= 2**31 - 1 for s in drawn)
    assert words.next_seed(False, 5) == 5
    with pytest.raises(ValueError, match="Type a seed"):
        words.next_seed(False, None)


# ---------------------------------------------------------------- budget-aware training
def test_the_planner_takes_the_largest_shape_whose_steps_fit_the_budget():
    def fake(cfg: GPTConfig, batch: int, bf16: bool) -> float:
        return {64: 0.01}.get(cfg.block_size, 0.01 * cfg.n_layer * (cfg.n_embd / 128) ** 2)

    clock = iter(range(0, 10_000)).__next__
    short = plan.plan(60, timer=fake, bf16=False, clock=lambda: 0.0)
    assert short.model.n_layer == 3 and short.model.n_embd == 128  # 0.03 s a step: 1,866 steps >= 1,500
    assert short.train.steps == int((60 - plan.RESERVE_S) / 0.03) and short.train.time_budget_s == 60
    tiny = plan.plan(10, timer=fake, bf16=False, clock=lambda: 0.0)
    assert tiny.model.block_size == 64 and tiny.train.warmup <= tiny.train.steps // 2
    long = plan.plan(3600, timer=fake, bf16=False, clock=clock)
    assert long.model.n_layer == 4 and long.train.steps >= 6000
    capped = plan.plan(3600, timer=fake, bf16=False, clock=lambda: 0.0, max_steps=100)
    assert capped.train.steps == 100 and capped.model.block_size == 64
    with pytest.raises(ValueError):
        plan.plan(0, timer=fake)


def test_a_ten_second_training_from_scratch_ends_on_time(tmp_path):
    t = time.perf_counter()
    run = runs.prepare_training(False, [], TEXT, tmp_path / "ten.pt", None, 200_000, 10.0, StopToken(), "cpu", "ten")
    events = list(run.events)
    took = time.perf_counter() - t
    assert took <= 13.0 and events[-1].done and (tmp_path / "ten.pt").is_file()
    assert "steps a second here" in run.described


# ---------------------------------------------------------------- sweep
def test_a_sweep_makes_the_requested_table_keeps_it_and_opens_a_cell():
    *_, (status, table, kept, rec) = list(
        words_sweep.words_sweep_run(
            *gen_args(length=400), VAE, [], ZERO, "temperature", "0.5, 1", "seed", "1:3:3", request=ANNA
        )
    )
    assert "Done" in status and table.shape == (4, 3)  # a header row + 3 seeds, a label column + 2 temperatures
    assert all(0 < len(str(c)) <= 120 for row in table.values[1:] for c in row[1:])
    assert rec["kind"] == "sweep" and rec["base"]["length"] == 120
    assert replay.exact(rec) and replay.same(replay.remake(rec, ctx()), Path(kept))
    got = words_sweep.open_cell(rec, SimpleNamespace(index=[2, 2]), request=ANNA)
    assert got[R["temperature"]] == 1 and got[R["seed"]] == 2 and got[R["length"]] == 120
    assert got[R["output"]] == "ROMEO:\n" + table.values[2][2]
    assert (
        list(words.words_generate(*gen_args(seed=2, length=120, temperature=1), request=ANNA))[-1][0]
        == got[R["output"]]
    )
    reopened = words_restore.restore(kept, request=ANNA)
    assert reopened[R["x_axis"]] == "temperature" and reopened[R["sweep"]]["kind"] == "sweep"


@pytest.mark.parametrize(
    "x, xv, y, yv, words_in_message",
    [
        ("colour", "1, 2", "seed", "1", "cannot move 'colour'"),
        ("temperature", "0:2:11", "seed", "1:10:10", "at most 100"),
        ("top-p", "0, 2", "seed", "1", "Top-p must be between 0.05 and 1"),
        ("seed", "1, 2", "seed", "3", "Both axes move seed"),
        ("line slider 1: x", "0, 9", "seed", "1", "Line slider 1 must be between"),
        ("line slider 1: x", "0, 1", "top-k", "1, 5", "not top-k"),
        ("temperature", "nan, 1", "seed", "1", "finite"),
    ],
)
def test_bad_sweeps_get_messages(x, xv, y, yv, words_in_message):
    if x.startswith("line") and not explore.available_models(None, "vae"):
        pytest.skip("no bundled line model")
    with pytest.raises(gr.Error) as err:
        list(words_sweep.words_sweep_run(*gen_args(), VAE, [], ZERO, x, xv, y, yv, request=ANNA))
    assert words_in_message in message(err)


def test_an_upload_shows_what_was_found_before_training(tmp_path):
    f = tmp_path / "poems.txt"
    f.write_text(TEXT, encoding="utf-8")
    found = words_train.describe_upload([str(f)], "")
    assert "1 text(s) (poems.txt)" in found and f"{len(TEXT):,} characters" in found and "When I do count" in found
    assert "Too short" in words_train.describe_upload(None, "a few words")
    bad = tmp_path / "x.txt"
    bad.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(gr.Error, match="binary|UTF-8"):
        words_train.describe_upload([str(bad)], "")
