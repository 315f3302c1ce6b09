"""Training on what artists drop, handlers and engine called directly: the bundled recipe as the
defaults, step/rate/ETA from the first steps, budgeted runs that fit themselves and end on time, and a
fine-tune that keeps the artist's class name."""

from __future__ import annotations

import time
from dataclasses import asdict

import pytest

from engines import checkpoints
from engines.paint.explore import bundled_models
from engines.paint.recipe import TrainConfig, bundled_recipe
from engines.paint.train import train
from studio import common, paint, paint_train
from tests.paint_helpers import TINY, shapes
from tests.test_paint_path import ANNA, ZERO, shared_studio, value, write_loose  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(not bundled_models(), reason="no bundled Paint model in assets/")
MODEL = "emoji (bundled)"


def test_training_defaults_are_the_bundled_models_recipe():
    meta = checkpoints.load(next(p for p in bundled_models() if p.name == "emoji.pt")).meta
    recipe_ = bundled_recipe(meta)
    assert recipe_["glo"] == 10.0 and recipe_["glo_spread"] == 0.5 and recipe_["anchor_steps"] == 60
    defaults = asdict(TrainConfig())
    assert all(defaults[k] == v for k, v in recipe_.items() if k in ("glo", "glo_spread", "anchor_steps"))


def test_training_reports_step_rate_and_eta_from_the_first_steps(tmp_path):
    events = train(shapes(16), tmp_path / "t.pt", TINY, TrainConfig(steps=3, batch=16, anchor_steps=0), device="cpu")
    first = [next(events), next(events)]
    assert first[0].step == 0 and first[1].step == 1
    assert first[1].stats["img_per_s"] > 0 and first[1].eta_s is not None and first[1].eta_s > 0
    assert set(first[1].losses) == {"G", "D"} and first[1].stats["batch"] == 16
    status = paint_train.train_status(first[1], "mine", "16 pictures")
    assert "step 1 of 3" in status and "pictures/s" in status and "left" in status
    rows = paint_train.loss_rows(first[1])  # the plot has points from the first report
    assert {r["curve"] for r in rows} == {"painter (G)", "critic (D)"} and all(r["step"] == 1 for r in rows)
    assert list(events)[-1].done


def test_a_budgeted_run_fits_itself_and_ends_on_time(tmp_path):
    budget, t0 = 15.0, time.time()
    events = list(
        train(
            shapes(16),
            tmp_path / "b.pt",
            TINY,
            TrainConfig(steps=100_000, batch=16, anchor_steps=5, time_budget_s=budget),
            device="cpu",
        )
    )
    took = time.time() - t0
    assert events[-1].done and events[-1].total < 100_000 and took < budget + 8
    assert any("fitted to the time budget" in e.message for e in events)


def test_fine_tuning_the_bundled_model_on_loose_pictures_keeps_the_artists_class(tmp_path, monkeypatch):
    plain = paint_train.bundled_recipe
    monkeypatch.setattr(paint_train, "bundled_recipe", lambda meta: {**plain(meta), "anchor_steps": 0})
    files = write_loose(tmp_path / "up")
    updates = list(paint.paint_train(files, "faces-of-mine", "from the selected model", 2, 0, 64, MODEL, request=ANNA))
    assert "Done" in updates[-1][0]
    assert any("pictures/s" in u[0] for u in updates[:-1])
    path = common.workspace(ANNA).models_dir / "paint" / "faces-of-mine.pt"
    assert checkpoints.load(path).meta["class_names"] == ["faces-of-mine"]
    label = "faces-of-mine (yours)"
    choice = paint.on_model(label, request=ANNA)
    assert value(choice[0]) == "faces-of-mine"
    picture = paint.paint_generate(label, "faces-of-mine", "(none)", 0.5, 3, 0.5, ZERO, [], request=ANNA)
    assert picture.size == (paint.DISPLAY, paint.DISPLAY)
