"""The shared engine pieces: CLI options made from config dataclasses, and the one training report."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import pytest

from engines import cli, settings
from engines.events import TrainEvent, history_rows, reach


@dataclass(frozen=True)
class Demo:
    steps: int = 3000
    lr: float = 2e-4
    betas: tuple[float, float] = (0.0, 0.99)
    early: tuple[int, ...] = (1, 3)
    mirror: bool = True
    loss: str = "hinge"
    time_budget_s: float | None = None


def test_options_follow_the_dataclass() -> None:
    p = argparse.ArgumentParser()
    cli.add_options(p, Demo, helps={"steps": "iterations"})
    cfg = cli.from_args(Demo, p.parse_args([]))
    assert cfg == Demo()
    args = p.parse_args(
        [
            "--steps",
            "7",
            "--lr",
            "0.1",
            "--betas",
            "0.5",
            "0.9",
            "--early",
            "2",
            "5",
            "9",
            "--no-mirror",
            "--time-budget-s",
            "60",
        ]
    )
    cfg = cli.from_args(Demo, args, loss="bce")
    assert cfg == Demo(steps=7, lr=0.1, betas=(0.5, 0.9), early=(2, 5, 9), mirror=False, loss="bce", time_budget_s=60.0)
    assert "iterations (default: 3000)" in p.format_help()


def test_skip_and_defaults() -> None:
    p = argparse.ArgumentParser()
    cli.add_options(p, Demo, skip=("loss",), defaults={"steps": 10})
    with pytest.raises(SystemExit):
        p.parse_args(["--loss", "bce"])
    assert cli.from_args(Demo, p.parse_args([])).steps == 10


def test_train_event_rows_and_main_loss() -> None:
    ev = TrainEvent(
        step=3,
        total=10,
        losses={"train": 2.0, "held-out": 2.5},
        history=[(1, {"train": 3.0}), (3, {"train": 2.0, "held-out": 2.5})],
    )
    assert ev.loss == 2.0
    assert history_rows(ev.history) == [
        {"step": 1, "loss": 3.0, "curve": "train"},
        {"step": 3, "loss": 2.0, "curve": "train"},
        {"step": 3, "loss": 2.5, "curve": "held-out"},
    ]
    assert TrainEvent(step=0, total=1).loss is None


def test_reach_says_where_a_time_limit_ends_a_run() -> None:
    assert reach(100, 5000, 0.5, 100, 40) == {"reach": 220}  # 60 s left at 0.5 s a step: 120 more steps
    assert reach(100, 150, 0.5, 100, 40) == {}  # the steps end first
    assert reach(100, 5000, 0.5, None, 40) == reach(100, 5000, None, 100, 40) == {}  # no limit, no pace yet
    assert reach(100, 5000, 0.5, 100, 103) == {"reach": 100}  # the limit has passed


def test_assets_dir(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("ATELIER_ASSETS", raising=False)
    assert (settings.assets_dir() / "models").is_dir()
    monkeypatch.setenv("ATELIER_ASSETS", str(tmp_path))
    assert settings.assets_dir() == tmp_path
