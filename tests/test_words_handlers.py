"""The Words tab's handlers called directly (no browser, no server): streaming, keeping into the
caller's workspace, bounds and their messages, morphs, line sliders, recipes and training."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest
import torch

from engines import checkpoints, limits, recipe, tempfiles
from engines.jobs import TRAINING
from engines.settings import Settings
from engines.words import explore, runs
from engines.words.data import clean
from engines.words.gpt import GPTConfig
from studio import common, words, words_base, words_lines, words_restore, words_train
from studio.words_lines import EXAMPLE_A, EXAMPLE_B

pytestmark = pytest.mark.skipif(not explore.available_models(None, "gpt"), reason="no bundled Words model")
GPT = "shakespeare (bundled)"
VAE = "verse (bundled)"
HAS_VAE = bool(explore.available_models(None, "vae"))
needs_vae = pytest.mark.skipif(not HAS_VAE, reason="no bundled line model")
ZERO = [0.0] * words_base.N_SLIDERS


def visitor(key: str) -> SimpleNamespace:
    """A request as gradio would hand it, from a visitor presenting workspace key `key`."""
    return SimpleNamespace(headers={"x-atelier-workspace": key}, cookies={}, session_hash=f"s-{key[:4]}", session={})


ANNA, BEN = visitor("anna-" + "a" * 20), visitor("ben-" + "b" * 20)


@pytest.fixture(autouse=True)
def shared_studio(tmp_path):
    """A shared studio in tmp_path with its own temp folder."""
    tempfiles.set_root(tmp_path / "tmp")
    settings = Settings(models_dir=tmp_path / "m", outputs_dir=tmp_path / "o", workspaces_dir=tmp_path / "w")
    yield common.configure(settings, shared=True)
    common.configure(settings)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One intra-op thread while these tests run: on a machine shared by several processes, two
    OpenMP threads spin-wait on each other and one-character steps ran 30-60x slower (measured)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def args(prompt="ROMEO:\n", length=60, temperature=0.8, top_k=0, top_p=0.95, penalty=1.0, seed=5, stop=""):
    """The writing controls in the order of /words_generate."""
    return [GPT, prompt, length, temperature, top_k, top_p, penalty, seed, stop]


def message(excinfo: pytest.ExceptionInfo) -> str:
    err = excinfo.value
    return err.message if isinstance(err, gr.Error) else str(err)


def written(*a, request=ANNA) -> list[tuple[str, str]]:
    return list(words.words_generate(*a, request=request))


# ---------------------------------------------------------------- writing
def test_generate_streams_text_that_starts_with_the_prompt_and_repeats_for_a_seed():
    updates = written(*args(length=50))
    texts = [t for t, _ in updates]
    assert len(updates) > 5 and all(t.startswith("ROMEO:\n") for t in texts)
    assert all(len(a) < len(b) for a, b in zip(texts[1:], texts[2:]))  # each update adds text
    assert len(texts[-1]) == len("ROMEO:\n") + 50
    assert written(*args(length=50), request=BEN)[-1][0] == texts[-1]
    assert written(*args(length=50, seed=6))[-1][0] != texts[-1]


def test_a_stop_sequence_ends_the_text_before_it():
    full = written(*args(length=80, seed=3))[-1][0][len("ROMEO:\n") :]
    stop = full[40:42]
    cut = written(*args(length=80, seed=3, stop=stop.replace("\n", "\\n")))[-1][0][len("ROMEO:\n") :]
    assert cut == full[: full.find(stop)] and stop not in cut


@pytest.mark.parametrize(
    "change, words_in_message",
    [
        (dict(temperature=float("nan")), "temperature must be a finite number"),
        (dict(temperature=5), "temperature must be between 0 and 2"),
        (dict(top_p=float("inf")), "Top-p must be a finite number"),
        (dict(top_k=2.5), "Top-k must be a whole number"),
        (dict(penalty="lots"), "repetition penalty must be a number"),
        (dict(length=0), "length must be between 1 and 5000"),
        (dict(length=10**9), "length must be between 1 and 5000"),
        (dict(seed=-1), "seed must be between 0 and 2147483647"),
        (dict(seed=None), "Type a seed"),
        (dict(seed=""), "Type a seed"),
        (dict(stop=",".join("abcdefghijkl")), "at most 10 stop sequences"),
        (dict(stop="x" * 600), "stop sequences is 600 characters long"),
        (dict(prompt="x" * 20_000), "prompt is 20,000 characters long"),
    ],
)
def test_bad_writing_controls_get_readable_messages(change, words_in_message):
    with pytest.raises(gr.Error) as err:
        written(*args(**change))
    assert words_in_message in message(err) and "Traceback" not in message(err)


def test_an_unknown_model_names_the_choices():
    with pytest.raises(gr.Error) as err:
        written("nobody (yours)", *args()[1:])
    assert "no Transformer called 'nobody (yours)'" in message(err) and GPT in message(err)


# ---------------------------------------------------------------- keeping
def test_keep_lands_in_the_callers_workspace_only():
    text = written(*args(seed=11))[-1][0]
    path = Path(words.words_keep(*args(seed=11), text, request=ANNA))
    anna, ben = common.workspace(ANNA), common.workspace(BEN)
    assert anna.owns(path) and not ben.owns(path)
    assert [o.path for o in anna.store.list("text")] == [path] and ben.store.list() == []
    rec = recipe.read(path)
    assert rec["engine"] == "words" and rec["seed"] == 11 and rec["prompt"] == "ROMEO:\n" and rec["length"] == 60
    assert recipe.read_text(path) == text and "length_asked" not in rec


def test_keep_after_stop_records_what_was_really_written_and_restores_it():
    text = written(*args(length=100, seed=2))[-1][0][: len("ROMEO:\n") + 30]  # as if Stop came after 30 characters
    path = words.words_keep(*args(length=100, seed=2), text, request=ANNA)
    rec = recipe.read(path)
    assert rec["length"] == 30 and rec["length_asked"] == 100
    restored = words_restore.restore(path, request=ANNA)
    assert restored[0] == GPT and restored[2] == 30 and restored[7] == 2
    assert written(*restored[:9])[-1][0] == text  # the recipe writes the same text again


def test_a_twenty_million_character_line_is_answered_with_a_message():
    with pytest.raises(gr.Error) as err:
        words.words_keep(*args(), "x" * 20_000_000, request=ANNA)
    assert f"the limit is {limits.MAX_TEXT_CHARS:,}" in message(err)
    assert common.workspace(ANNA).store.list() == []


def test_the_longest_text_allowed_on_one_line_is_kept_whole():
    text = "ROMEO:\n" + "la " * ((limits.MAX_TEXT_CHARS - 7) // 3)
    out = Path(words.words_keep(*args(), text, request=ANNA))
    assert recipe.read_text(out) == text and recipe.read(out)["length"] == len(text) - len("ROMEO:\n")
    with pytest.raises(gr.Error, match="Write something first"):
        words.words_keep(*args(), "   ", request=ANNA)


def test_a_full_workspace_refuses_to_keep(tmp_path):
    settings = Settings(models_dir=tmp_path / "m", outputs_dir=tmp_path / "o", workspaces_dir=tmp_path / "w")
    common.configure(settings, shared=True, quota_mb=0.001)
    with pytest.raises(gr.Error, match="workspace is full"):
        words.words_keep(*args(), "ROMEO:\n" + "a" * 5000, request=ANNA)


# ---------------------------------------------------------------- lines (RNN-VAE)
@needs_vae
def test_morph_writes_one_line_per_step_and_keeps_the_poem_for_its_caller():
    poem = words_lines.words_morph(VAE, EXAMPLE_A, EXAMPLE_B, 5, "straight", "likeliest", 0, request=ANNA)
    assert len(poem.split("\n")) == 5 and all(poem.split("\n"))
    kept = common.workspace(ANNA).store.list("text")
    assert len(kept) == 1 and kept[0].recipe["kind"] == "morph" and common.workspace(BEN).store.list() == []
    for bad, words_in_message in [
        ((100, "straight", "likeliest", 0), "between 2 and 40"),
        ((5, "curly", "likeliest", 0), "'straight' or 'spherical'"),
        ((5, "straight", "likeliest", -3), "seed must be between"),
        ((float("nan"), "straight", "likeliest", 0), "finite"),
    ]:
        with pytest.raises(gr.Error) as err:
            words_lines.words_morph(VAE, "a line", "another line", *bad, request=ANNA)
        assert words_in_message in message(err)


@needs_vae
def test_line_sliders_move_the_line_and_refuse_bad_numbers():
    centre = words_lines.words_line(VAE, None, *ZERO, request=ANNA)
    moved = words_lines.words_line(VAE, None, 2.5, *ZERO[1:], request=ANNA)
    assert centre and moved and centre != moved
    z, *sliders = words_lines.use_line(VAE, EXAMPLE_A, request=ANNA)
    assert len(z) == 32 and sliders == ZERO
    assert words_lines.words_line(VAE, z, *ZERO, request=ANNA) != centre
    for base, vals, words_in_message in [
        (None, [float("nan"), *ZERO[1:]], "Direction 1 must be a finite"),
        (None, [*ZERO[:7], 9.0], "Direction 8 must be between -3 and 3"),
        ([0.0] * 31 + ["x"], ZERO, "Latent number 32 must be a number"),
        ([0.0] * 5, ZERO, "has 32 numbers, not 5"),
        ("abc", ZERO, "list of numbers"),
    ]:
        with pytest.raises(gr.Error) as err:
            words_lines.words_line(VAE, base, *vals, request=ANNA)
        assert words_in_message in message(err)


# ---------------------------------------------------------------- training
TEXT = "When I do count the clock that tells the time,\nAnd see the brave day sunk in hideous night;\n" * 40


def train(pasted=TEXT, kind=words_train.TRAIN_KINDS[0], name="mine", steps=2, minutes=0, request=ANNA, files=None):
    return list(
        words_train.words_train(
            files, pasted, kind, name, words_train.TRAIN_STARTS[1], steps, minutes, GPT, VAE, request=request
        )
    )


def test_training_lands_in_the_callers_workspace_and_leaves_no_temp_files():
    final = train()[-1]
    assert "Done" in final[0] and "mine (yours)" in final[0]
    assert "Finished at step 2 of 2. Saved mine (" in final[0] and "compact: training it again fine-tunes" in final[0]
    assert set(final[1]["curve"]) == {"train", "held-out"} and final[1]["step"].max() == 2 and final[2]
    mine = common.workspace(ANNA).models_dir / "words" / "mine.pt"
    assert mine.is_file() and "opt" not in checkpoints.load(mine).extra
    assert not (common.workspace(BEN).models_dir / "words" / "mine.pt").exists()
    assert "mine (yours)" in str(final[3].choices)
    assert written("mine (yours)", "When I", 20, 0.5, 0, 0.95, 1.0, 0, "")[-1][0].startswith("When I")
    with pytest.raises(gr.Error, match="no Transformer called"):
        written("mine (yours)", "When I", 20, 0.5, 0, 0.95, 1.0, 0, "", request=BEN)
    assert tempfiles.count_files() == 0 and not TRAINING.busy


def test_a_stopped_training_keeps_its_state_and_says_so_and_training_again_goes_on(shared_studio, monkeypatch):
    common.configure(shared_studio.settings, shared=True, train_minutes=None)  # no time cap: no planning
    monkeypatch.setattr(runs, "STUDIO_GPT", GPTConfig(block_size=32, n_layer=1, n_head=2, n_embd=32))  # quick
    statuses = []
    for status, *_ in words_train.words_train(
        None, TEXT, words_train.TRAIN_KINDS[0], "mine", words_train.TRAIN_STARTS[0], 3, 0, GPT, VAE, request=ANNA
    ):
        statuses.append(str(status))
        if "started" in statuses[-1]:  # the run has begun: Stop, from this workspace
            assert words_train.stop_training(ANNA).startswith("Stopping")
    assert statuses[-1].startswith("**Done**: Stopped at step 1 of 3; saved with its training state (")
    assert "train again with the same name to go on" in statuses[-1] and "mine (yours)" in statuses[-1]
    mine = common.workspace(ANNA).models_dir / "words" / "mine.pt"
    resumable = mine.stat().st_size
    assert "opt" in checkpoints.load(mine).extra
    again = list(
        words_train.words_train(
            None, TEXT, words_train.TRAIN_KINDS[0], "mine", words_train.TRAIN_STARTS[0], 3, 0, GPT, VAE, request=ANNA
        )
    )
    assert any("resumed at step 1" in str(u[0]) for u in again) and "Finished at step 3 of 3" in again[-1][0]
    assert "opt" not in checkpoints.load(mine).extra and mine.stat().st_size < resumable / 2
    assert not TRAINING.busy


@pytest.mark.parametrize(
    "change, words_in_message",
    [
        (dict(pasted=""), "Add your text first"),
        (dict(pasted="too short " * 10), "at least 2,000"),
        (dict(pasted="x" * (limits.MAX_TRAIN_TEXT_BYTES + 1)), "The pasted text is"),
        (dict(name="no spaces please"), "Give the model a name"),
        (dict(steps=math.inf), "finite"),
        (dict(minutes=-1), "time limit"),
        (dict(kind="GAN"), "Train one of"),
        (dict(kind=words_train.TRAIN_KINDS[1]), "usable lines"),
    ],
)
def test_bad_trainings_are_refused_with_messages(change, words_in_message):
    pasted = change.pop("pasted", TEXT if "kind" not in change else "a b\n" * 1000)
    with pytest.raises(gr.Error) as err:
        train(pasted=pasted, **change)
    assert words_in_message in message(err)
    assert not TRAINING.busy


def test_a_training_named_like_a_model_of_the_other_kind_is_refused():
    mine = common.workspace(ANNA).engine_models_dir("words") / "mine.pt"
    shutil.copyfile(explore.available_models(None, "gpt")[GPT], mine)
    with pytest.raises(gr.Error) as err:
        train(kind=words_train.TRAIN_KINDS[1], name="mine")
    assert "You already have a Transformer called mine; give the new line model another name." in message(err)
    assert not TRAINING.busy


def test_training_files_over_the_cap_are_refused_before_reading(tmp_path):
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:  # sparse: its size is on record, nothing is in memory
        fh.truncate(limits.MAX_TRAIN_TEXT_BYTES + 1)
    with pytest.raises(gr.Error) as err:
        train(pasted="", files=[str(big)])
    assert "The text to train on is 20.0 MB; the studio trains on at most 20 MB" in message(err)


def test_stop_answers_from_any_page_of_the_workspace():
    assert words_train.stop_training(ANNA) == "Nothing is training in your workspace."


# ---------------------------------------------------------------- the engine under the tab
def test_cleaning_a_long_run_of_spaces_is_linear():
    assert clean("a" + " " * 2_000_000 + "b\n\n\n\nc   \n") == "a" + " " * 2_000_000 + "b\n\nc\n"


def test_vectorised_encoding_matches_the_plain_one():
    w = explore.load_writer(explore.available_models(None, "gpt")[GPT])
    text = "ROMEO: ☃ thee\n\ud800"
    assert w.tok.encode_array(text).tolist() == w.tok.encode(text)
