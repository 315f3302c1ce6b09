"""Paint training: it moves the losses and learns, resumes, stops cleanly, fine-tunes (also onto finer
classes), exports, leaves a compact file when it completes its steps and a resumable one when it ends
early, and runs from the command line with options made from TrainConfig."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from engines import checkpoints, cli
from engines.events import end_sentence
from engines.jobs import StopToken
from engines.paint import explore
from engines.paint.__main__ import main, parser
from engines.paint.data import ImageSet, parent_classes, save_prepared, training_set
from engines.paint.export import export_for_sampling, export_resume_state, resumable
from engines.paint.images import to_tensor
from engines.paint.model import Discriminator, GANConfig, Generator, one_hot
from engines.paint.recipe import TrainConfig
from engines.paint.train import train
from engines.paint.train_run import history_entry
from engines.paint.weights import refine_state
from tests.paint_helpers import TINY, shapes, tiny_model


def test_tiny_training_moves_losses_and_learns_colours(tmp_path):
    data = shapes()
    torch.manual_seed(0)
    events = list(
        train(
            data,
            tmp_path / "m.pt",
            TINY,
            TrainConfig(steps=150, batch=16, preview_every=25, checkpoint_every=75, ema=0.9),
            device="cpu",
        )
    )
    assert events[-1].done and events[-1].step == 150
    d_losses = [e.losses["D"] for e in events[1:]]
    assert len(set(round(v, 4) for v in d_losses)) > 3  # losses move
    assert d_losses[-1] < 2.0  # D beats chance (hinge loss 2.0 means it cannot tell)
    assert all(e.preview is not None for e in events if e.step % 25 == 0 or e.done)  # early reports: rate, ETA
    model = explore.load_model(tmp_path / "m.pt")
    # pictures move from the untrained mid-grey (about 128) toward the data's white background
    pics = np.stack([np.asarray(explore.generate(model, s, 1.0, "discs")) for s in range(8)]).astype(float)
    assert pics.mean() > 155
    ck = checkpoints.load(tmp_path / "m.pt", engine="paint")
    assert ck.meta["steps"] == 150 and ck.meta["class_names"] == ["discs", "squares"]
    # the discriminator's auxiliary classifier has learnt to name real discs and squares
    d = Discriminator(GANConfig.from_dict(ck.config))
    d.load_state_dict(ck.extra["train"]["D"])
    with torch.no_grad():
        _, logits = d.eval().score_and_class(to_tensor(data.images), one_hot(torch.from_numpy(data.labels), 2))
    assert (logits.argmax(1).numpy() == data.labels).mean() > 0.9


def test_training_resumes_and_stops_cleanly(tmp_path):
    path = tiny_model(tmp_path / "m.pt", steps=20)
    events = list(train(shapes(), path, TINY, TrainConfig(steps=40, batch=16, preview_every=10), device="cpu"))
    assert events[0].message == "resumed at step 20" and events[-1].step == 40
    again = list(train(shapes(), path, TINY, TrainConfig(steps=40, batch=16), device="cpu"))
    assert again[-1].done and "already trained for 40 steps" in again[-1].message
    token = StopToken()
    stream = train(
        shapes(),
        tmp_path / "s.pt",
        TINY,
        TrainConfig(steps=10_000, batch=16, preview_every=5, anchor_steps=0),
        stop=token,
        device="cpu",
        compact=True,  # a stopped run keeps what resuming needs all the same
    )
    next(stream)
    token.stop()
    last = list(stream)[-1]
    assert last.done and last.message == "stopped" and last.step < 10_000
    ck = checkpoints.load(tmp_path / "s.pt")
    assert ck.meta["steps"] == last.step and {"opt_g", "opt_d"} <= set(ck.extra["train"]) and resumable(last.checkpoint)
    note = end_sentence(last.message, last.step, 10_000, last.checkpoint, "s", not resumable(last.checkpoint))
    assert note.startswith(f"Stopped at step {last.step} of 10000; saved with its training state (")
    more = TrainConfig(steps=last.step + 2, batch=16, anchor_steps=0)
    events = list(train(shapes(), tmp_path / "s.pt", TINY, more, device="cpu", compact=True))
    assert events[0].message == f"resumed at step {last.step}" and events[-1].step == last.step + 2
    assert not resumable(tmp_path / "s.pt")  # it completed what was asked: compact now


def test_fine_tuning_keeps_the_base_and_records_its_lineage(tmp_path):
    """A model without class-conditional norms gains them by fine-tuning: it starts from the
    base's smoothed (EMA) generator, so its pictures are the base's, and it names its base."""
    no_cbn = GANConfig.from_dict({**TINY.to_dict(), "cond_bn": False})
    for _ in train(
        shapes(),
        tmp_path / "old.pt",
        no_cbn,
        TrainConfig(steps=20, batch=16, preview_every=20),
        device="cpu",
        provenance={"recipe": "tiny", "hardware": "test cpu"},
    ):
        pass
    events = list(
        train(
            shapes(),
            tmp_path / "cbn.pt",
            TINY,
            TrainConfig(steps=1, batch=16, ema=0.9999),
            init_from=tmp_path / "old.pt",
            device="cpu",
            provenance={"recipe": "stage 2"},
        )
    )
    assert "fine-tuning from old.pt" in events[0].message
    ck = checkpoints.load(tmp_path / "cbn.pt", engine="paint")
    assert ck.config["cond_bn"] and ck.meta["recipe"] == "stage 2"
    assert [(s["name"], s["steps"], s["recipe"], s["hardware"]) for s in ck.meta["lineage"]] == [
        ("old", 20, "tiny", "test cpu")
    ]
    before, after = explore.load_model(tmp_path / "old.pt"), explore.load_model(tmp_path / "cbn.pt")
    for seed in range(3):
        a = np.asarray(explore.generate(before, seed, 1.0, "discs"), float)
        b = np.asarray(explore.generate(after, seed, 1.0, "discs"), float)
        assert np.abs(a - b).mean() < 4


def test_exports_load_and_draw_like_the_original(tmp_path):
    src = tiny_model(tmp_path / "m.pt")
    small = export_for_sampling(src, tmp_path / "small.pt")
    state = export_resume_state(src, tmp_path / "state.pt")
    assert small.stat().st_size < src.stat().st_size
    a, b = explore.load_model(src), explore.load_model(small)
    assert [d.name for d in a.directions] == [d.name for d in b.directions]
    da = np.asarray(explore.generate(a, 3, 0.8, "squares"), float)
    db = np.asarray(explore.generate(b, 3, 0.8, "squares"), float)
    assert np.abs(da - db).mean() < 3  # fp16 weights: nearly the same picture
    events = list(train(shapes(), state, TINY, TrainConfig(steps=35, batch=16, preview_every=5), device="cpu"))
    assert events[0].message == "resumed at step 30"


@pytest.mark.parametrize("plain", [False, True])
def test_refining_classes_into_kinds_starts_each_kind_as_its_parent(tmp_path, plain):
    """Fine-tuning onto kinds ('discs: big') copies each parent class's embedding, norms,
    projection, classifier (or label planes) to its kinds, so every kind first draws its parent."""
    cfg = (
        GANConfig.plain(
            **{
                k: v
                for k, v in TINY.to_dict().items()
                if k not in ("spectral_norm", "projection", "cond_bn", "classifier")
            }
        )
        if plain
        else TINY
    )
    tcfg = (TrainConfig.plain if plain else TrainConfig)(steps=20, batch=16, preview_every=20)
    for _ in train(shapes(), tmp_path / "base.pt", cfg, tcfg, device="cpu"):
        pass
    base = shapes()
    kinds = ["discs: big", "discs: small", "squares: all"]
    data = ImageSet(base.images, np.where(base.labels == 1, 2, np.arange(len(base.labels)) % 4 // 2), kinds)
    assert parent_classes(kinds, base.class_names) == [0, 0, 1]
    assert parent_classes(base.class_names, base.class_names) is None
    assert parent_classes(["discs: big", "cats: all"], base.class_names) is None
    old_ck = checkpoints.load(tmp_path / "base.pt", engine="paint")
    for module, key in ((Generator, "G_ema"), (Discriminator, "D")):
        old, new = module(replace(cfg, n_classes=2)).eval(), module(replace(cfg, n_classes=3)).eval()
        old.load_state_dict(old_ck.extra["train"][key])
        state = refine_state(old_ck.extra["train"][key], new.state_dict(), [0, 0, 1], 2)
        new.load_state_dict(state)
        if module is Generator:
            z = torch.randn(3, cfg.z_dim)
            assert torch.allclose(
                old(z, one_hot(torch.tensor([0, 0, 1]), 2)), new(z, one_hot(torch.arange(3), 3)), atol=1e-5
            )
    events = list(
        train(data, tmp_path / "kinds.pt", cfg, replace(tcfg, steps=2), init_from=tmp_path / "base.pt", device="cpu")
    )
    assert "3 classes refined from 2" in events[0].message
    model = explore.load_model(tmp_path / "kinds.pt")
    assert model.class_names == kinds and model.meta["class_counts"] == np.bincount(data.labels).tolist()
    # a group name is the blend of its kinds in proportion to their pictures
    counts = np.bincount(data.labels)
    assert torch.allclose(
        explore.class_vector(model, "discs"),
        torch.tensor([counts[0], counts[1], 0], dtype=torch.float) / (counts[0] + counts[1]),
    )
    assert explore.class_choices(kinds) == ["discs", "discs: big", "discs: small", "squares", "squares: all"]
    with pytest.raises(ValueError, match="no class 'cats'"):
        explore.class_vector(model, "cats")


def test_a_run_that_completes_its_steps_leaves_a_compact_file_that_training_again_fine_tunes(tmp_path):
    cfg = TrainConfig(steps=6, batch=16, preview_every=3, anchor_steps=5)
    full = list(train(shapes(), tmp_path / "full.pt", TINY, cfg, device="cpu"))[-1]
    done = list(train(shapes(), tmp_path / "m.pt", TINY, cfg, device="cpu", compact=True))[-1]
    assert done.done and done.step == 6 and done.checkpoint == tmp_path / "m.pt"
    ck = checkpoints.load(done.checkpoint, engine="paint")
    assert "train" not in ck.extra and not any("opt" in k for k in ck.extra) and "anchors" in ck.extra
    assert all(v.dtype == torch.float32 for v in ck.state_dict.values() if v.is_floating_point())
    assert done.checkpoint.stat().st_size < 0.5 * (tmp_path / "full.pt").stat().st_size
    note = end_sentence("finished", 6, 6, done.checkpoint, "m", not resumable(done.checkpoint))
    assert note.startswith("Finished at step 6 of 6. Saved m (") and note.endswith(
        "compact: training it again fine-tunes from it)."
    )
    assert resumable(full.checkpoint) and not resumable(done.checkpoint)
    a, b = explore.load_model(full.checkpoint), explore.load_model(done.checkpoint)
    for seed in (1, 2):  # sampling is unchanged: the same EMA generator, kept in float32
        pa, pb = (np.asarray(explore.generate(m, seed, 0.8, "discs"), float) for m in (a, b))
        assert np.abs(pa - pb).max() <= 1
    again = list(train(shapes(), tmp_path / "m.pt", TINY, replace(cfg, steps=3), device="cpu", compact=True))
    assert again[0].message.startswith("fine-tuning from m.pt") and again[-1].done and again[-1].step == 3
    meta = checkpoints.load(tmp_path / "m.pt", engine="paint").meta
    assert [s["steps"] for s in meta["lineage"]] == [6] and not resumable(tmp_path / "m.pt")


def test_history_is_named_losses_and_old_files_read_alike():
    assert history_entry((5, 1.25, 2.5)) == (5, {"G": 2.5, "D": 1.25})  # (step, D, G) before named losses
    assert history_entry([7, {"G": 1.0, "D": 2.0}]) == (7, {"G": 1.0, "D": 2.0})


def test_the_command_lines_options_are_the_configs_fields_and_defaults():
    args = parser().parse_args(["train", "--data", "emoji", "--out", "m.pt"])
    assert cli.from_args(TrainConfig, args) == TrainConfig()  # preview_every and all: the dataclass decides
    argv = ["train", "--data", "emoji", "--out", "m.pt", "--plain", "--anchor-steps", "0", "--time-budget-s", "60"]
    plain = cli.from_args(TrainConfig, parser(plain=True).parse_args(argv))
    assert plain == replace(TrainConfig.plain(), anchor_steps=0, time_budget_s=60.0)
    argv = ["train", "--data", "x", "--out", "m.pt", "--no-fit-budget", "--betas", "0.5", "0.9", "--time-budget", "9"]
    cfg = cli.from_args(TrainConfig, parser().parse_args(argv))
    assert not cfg.fit_budget and cfg.betas == (0.5, 0.9) and cfg.time_budget_s == 9.0


def test_prepared_sets_round_trip_and_train_from_the_command_line(tmp_path):
    rng = np.random.default_rng(0)
    data = ImageSet(rng.integers(0, 255, (16, 32, 32, 3), dtype=np.uint8), np.arange(16) % 2, ["red", "blue"])
    save_prepared(tmp_path / "set.npz", data, "sixteen test pictures")
    back, note = training_set([str(tmp_path / "set.npz")], 32)
    assert np.array_equal(back.images, data.images) and np.array_equal(back.labels, data.labels)
    assert back.class_names == ["red", "blue"] and note == "sixteen test pictures"
    with pytest.raises(ValueError, match="64px needs"):
        training_set([str(tmp_path / "set.npz")], 64)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a prepared picture set"):
        training_set([str(tmp_path / "bad.npz")], 32)
    main(
        [
            "train",
            "--data",
            str(tmp_path / "set.npz"),
            "--out",
            str(tmp_path / "m.pt"),
            "--steps",
            "2",
            "--resolution",
            "32",
            "--width",
            "16",
            "--checkpoint-every",
            "2",
            "--preview-every",
            "2",
            "--device",
            "cpu",
        ]
    )
    ck = checkpoints.load(tmp_path / "m.pt")
    assert ck.meta["data"] == "sixteen test pictures" and ck.meta["class_names"] == ["red", "blue"]
    assert ck.meta["train_config"]["preview_every"] == 2 and ck.meta["recipe"].startswith(
        "python -m engines.paint train"
    )
    assert "train" in ck.extra  # the command line keeps what resuming needs


def test_an_old_model_fine_tunes_into_one_with_minibatch_std(tmp_path):
    base = tiny_model(tmp_path / "old.pt", steps=4)
    events = list(
        train(
            shapes(),
            tmp_path / "std.pt",
            replace(TINY, minibatch_std=True),
            TrainConfig(steps=4, batch=16, preview_every=2),
            init_from=base,
            device="cpu",
        )
    )
    assert events[-1].done and np.isfinite(events[-1].losses["D"])
    assert checkpoints.load(tmp_path / "std.pt").config["minibatch_std"]


def test_a_slowed_run_never_plans_past_the_steps_asked():
    """Re-fitting a timed run to a slower pace may end it sooner, never later than asked (a run at
    its last step once became "step 51 of 50")."""
    import time
    from types import SimpleNamespace

    from engines.paint.train_steps import fit_to_budget

    now = time.time()
    run = SimpleNamespace(
        cfg=SimpleNamespace(time_budget_s=1000.0), fit_at=None, fitted=(now - 10, 40, 1.0), t0=now - 20, batch=16
    )
    run.step, run.total = 50, 50  # 1 s a step with plenty of time left, at the last step asked
    fit_to_budget(run)
    assert run.total == 50
    run.total, run.cfg.time_budget_s = 500, 30.0  # 1 s a step and about 9 s left: it ends sooner
    fit_to_budget(run)
    assert 51 <= run.total < 62


def test_between_previews_a_run_still_reports_its_step(tmp_path):
    """With previews far apart a run still says where it is every couple of seconds (no picture in
    those reports), and its last report carries the final preview."""
    cfg = TrainConfig(  # the clock ends it (no plan fitted to the budget): about 6 s of steps
        steps=10**6,
        batch=16,
        preview_every=10**6,
        checkpoint_every=10**6,
        anchor_steps=0,
        time_budget_s=6.0,
        fit_budget=False,
    )
    events = list(train(shapes(), tmp_path / "p.pt", TINY, cfg, device="cpu"))
    early = set(cfg.early_reports)
    between = [ev for ev in events[1:-1] if ev.step not in early and ev.preview is None]
    assert len(between) >= 2 and all(ev.eta_s is not None and ev.stats.get("img_per_s", 0) > 0 for ev in between)
    assert events[-1].done and events[-1].preview is not None
