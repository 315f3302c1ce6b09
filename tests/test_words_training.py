"""What a Words training leaves and how it goes on: a run that finishes its steps (compact) keeps no
optimiser state and trains again as a fine-tune; a run that ends early keeps its training state and
resumes; both loops yield engines.events.TrainEvent; the CLI's options come from the dataclasses."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
import torch

from engines import checkpoints
from engines.jobs import StopToken
from engines.words import files
from engines.words.__main__ import main, parser
from engines.words.data import split_by_work
from engines.words.gpt import GPTConfig
from engines.words.recipe import LinesTrainConfig, TrainConfig
from engines.words.rnn_vae import VAEConfig
from engines.words.train import train_gpt
from engines.words.train_lines import train_lines

TINY_GPT = GPTConfig(block_size=16, n_layer=1, n_head=2, n_embd=16, dropout=0.0)
TINY_VAE = VAEConfig(embed=8, hidden=16, latent=4, max_len=24)
TEXT = "Shall I compare thee to a summer's day? Thou art more lovely and more temperate.\n" * 40
LINES = ["the rose is red", "the sky is blue", "a cat sat down", "my love is true", "the sun is up", "a dog ran off"]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One intra-op thread: the machine is shared, and these models are tiny."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def gpt_run(out, steps: int, stop: StopToken | None = None) -> list:
    cfg = TrainConfig(steps=steps, batch=4, eval_every=3, eval_batches=1, warmup=1, compact=True)
    return list(train_gpt(split_by_work([("t", TEXT)]), out, TINY_GPT, cfg, stop=stop, device="cpu", name="mine"))


def lines_run(out, steps: int, stop: StopToken | None = None) -> list:
    cfg = LinesTrainConfig(steps=steps, batch=4, eval_every=3, compact=True)
    return list(train_lines(LINES * 4, LINES, out, TINY_VAE, cfg, stop=stop, device="cpu", name="mine"))


def stopped() -> StopToken:
    token = StopToken()
    token.stop()  # the run stops after its first step
    return token


@pytest.mark.parametrize("run", [gpt_run, lines_run], ids=["transformer", "lines"])
def test_stopped_runs_resume_and_finished_ones_are_compact_and_fine_tune(tmp_path, run):
    out = tmp_path / "mine.pt"
    early = run(out, 6, stopped())
    assert early[-1].done and early[-1].step == 1 and early[-1].checkpoint == out
    assert early[-1].message.startswith("Stopped at step 1 of 6; saved with its training state (")
    assert "train again with the same name to go on" in early[-1].message
    ck = checkpoints.load(out)
    assert "opt" in ck.extra and ck.meta["steps"] == 1
    full_size = out.stat().st_size

    done = run(out, 6)
    assert done[0].message == "resumed at step 1" and done[-1].step == 6 and done[-1].done
    assert done[-1].message.startswith("Finished at step 6 of 6. Saved mine (")
    assert "compact: training it again fine-tunes from it" in done[-1].message
    assert [step for step, _ in done[-1].history] == [1, 3, 6]
    assert done[-1].losses and done[-1].preview is not None and done[-1].eta_s == 0
    ck = checkpoints.load(out)
    assert not any(k == "opt" for k in ck.extra) and out.stat().st_size < full_size / 2
    assert all(v.dtype != torch.float16 for v in ck.state_dict.values())  # a workspace model stays float32

    again = run(out, 3)
    assert again[0].message == "fine-tuning mine" and again[-1].step == 3 and again[-1].done
    ck = checkpoints.load(out)
    assert ck.meta["steps"] == 3 and ck.meta["lineage"][-1]["steps"] == 6


def test_resuming_a_run_that_already_trained_its_steps_says_so(tmp_path):
    gpt_run(tmp_path / "mine.pt", 6, stopped())
    with pytest.raises(ValueError, match="already trained 1 steps"):
        gpt_run(tmp_path / "mine.pt", 1)


def test_an_older_checkpoints_history_reads_as_named_curves():
    old = {"history": [[50, 2.5, 2.7], [100, 2.1, None]]}
    assert files.history_of(old, ("train", "held-out")) == [
        (50, {"train": 2.5, "held-out": 2.7}),
        (100, {"train": 2.1}),
    ]
    assert files.history_of({"history": [(5, {"train": 1.0})]}, ("a", "b")) == [(5, {"train": 1.0})]


def test_cli_options_come_from_the_config_dataclasses(tmp_path, capsys):
    args = parser().parse_args(
        ["train", "--data", "x.txt", "--out", "y.pt", "--steps", "7", "--n-layer", "2", "--bf16", "--compact"]
    )
    assert args.steps == 7 and args.n_layer == 2 and args.bf16 and args.compact and args.lr == TrainConfig.lr
    lines = parser().parse_args(["train-lines", "--data", "x.txt", "--out", "y.pt", "--latent", "8", "--no-bucket"])
    assert lines.latent == 8 and not lines.bucket and lines.kl_weight == LinesTrainConfig.kl_weight
    for flag in ("--model", "--width", "--layers", "--heads"):  # the old hand-made flags are gone
        with pytest.raises(SystemExit):
            parser().parse_args(["train", "--data", "x", "--out", "y", flag, "1"])
    capsys.readouterr()

    text = tmp_path / "poems.txt"
    text.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "cli.pt"
    shape = ["--block-size", "16", "--n-layer", "1", "--n-head", "2", "--n-embd", "16"]
    main(["train", "--data", str(text), "--out", str(out), "--steps", "3", "--eval-every", "3", *shape])
    with pytest.raises(SystemExit, match="already trained 3 steps"):
        main(["train", "--data", str(text), "--out", str(out), "--steps", "3", *shape])
    main(["train", "--data", str(text), "--out", str(out), "--steps", "4", "--eval-every", "3", *shape])
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [r["msg"] for r in reports][::2] == ["started", "resumed at step 3"]
    assert "Finished at step 3 of 3; saved cli with its training state" in reports[1]["msg"]
    assert reports[-1]["step"] == 4 and "train" in reports[-1] and "held-out" in reports[-1]
    ck = checkpoints.load(out)
    assert ck.config["gpt"]["n_layer"] == 1 and ck.meta["train_config"] == asdict(TrainConfig(steps=4, eval_every=3))


def test_a_time_limited_run_reports_the_steps_its_time_holds(tmp_path):
    """With a budget far short of its step cap, every report says how far the time will reach (the
    studio shows "step 12 of about 40 (time limit)" rather than "of 100000")."""
    cfg = TrainConfig(steps=100_000, batch=4, eval_every=3, eval_batches=1, warmup=1, time_budget_s=3.0)
    events = list(train_gpt(split_by_work([("t", TEXT)]), tmp_path / "m.pt", TINY_GPT, cfg, device="cpu", name="m"))
    reports = [ev for ev in events if ev.step and not ev.done]
    assert reports and all(ev.step <= ev.stats["reach"] < 100_000 for ev in reports)
    assert events[-1].done and events[-1].message.startswith("Reached the time limit at step")


@pytest.mark.parametrize("kind", ["transformer", "lines"])
def test_between_evaluations_a_run_still_reports_its_step(tmp_path, kind):
    """A run whose first evaluation is far off still says where it is every couple of seconds (a
    300,000-character fine-tune once sat at "timing the first steps…" for 20 s)."""
    if kind == "transformer":
        cfg = TrainConfig(steps=10**6, batch=4, eval_every=10**6, eval_batches=1, warmup=1, time_budget_s=5.0)
        events = train_gpt(split_by_work([("t", TEXT)]), tmp_path / "m.pt", TINY_GPT, cfg, device="cpu")
    else:
        cfg = LinesTrainConfig(steps=10**6, batch=4, eval_every=10**6, time_budget_s=5.0)
        events = train_lines(LINES * 4, LINES, tmp_path / "m.pt", TINY_VAE, cfg, device="cpu")
    events = list(events)
    between = [ev for ev in events[1:-1] if ev.preview is None and not ev.done]
    assert len(between) >= 1 and all(0 < ev.step < events[-1].step and ev.eta_s is not None for ev in between)
    assert events[-1].done and events[-1].step > between[-1].step
