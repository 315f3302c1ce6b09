"""The one progress report every engine's training yields, so the studio draws every training
panel (status line, loss plot, preview) the same way and a script reads every engine alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class TrainEvent:
    """One report from a training run: where it is, its named losses, a preview, and at the end
    (`done`) the checkpoint it wrote and a sentence saying how it ended."""

    step: int
    total: int
    losses: dict[str, float] = field(default_factory=dict)  # named values now, main one first ("G", "held-out")
    seconds: float = 0.0  # elapsed in this run
    eta_s: float | None = None  # seconds left at the recent pace (None before the first timed steps)
    preview: Any = None  # a picture (Paint), a wave (Sound), a text sample (Words), or None
    checkpoint: Path | None = None
    done: bool = False
    message: str = ""
    history: list[tuple[int, dict[str, float]]] = field(default_factory=list)  # (step, losses) so far
    stats: dict[str, float] = field(default_factory=dict)  # the engine's extras: pictures/s, batch

    @property
    def loss(self) -> float | None:
        """The main loss (the first named one), or None before any was measured."""
        return next(iter(self.losses.values()), None)


def history_rows(history: list[tuple[int, dict[str, float]]]) -> list[dict[str, Any]]:
    """Long-format rows {step, loss, curve} for a line plot with one line per named loss."""
    return [
        {"step": step, "loss": float(value), "curve": name}
        for step, losses in history
        for name, value in losses.items()
        if value is not None
    ]


def reach(step: int, total: int, step_s: float | None, budget_s: float | None, elapsed_s: float) -> dict[str, float]:
    """{"reach": N} when a time budget will end a run before its last step: N is the step the time left
    of `budget_s` holds at `step_s` seconds a step (a TrainEvent's stats, for "step 140 of about 300");
    {} without a budget, before the pace is known, or when the steps end first."""
    if not step_s or not budget_s:
        return {}
    n = step + int(max(0.0, budget_s - elapsed_s) / step_s)
    return {"reach": n} if n < total else {}


PROGRESS_EVERY_S = 2.0  # between its evaluations a training still reports its step this often


END_REASONS = ("finished", "stopped", "time budget reached")  # engines.jobs.end_reason's words


def _size(path: Path) -> str:
    n = path.stat().st_size
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{max(1, round(n / 1e3))} kB"


def end_sentence(reason: str, step: int, total: int, path: Path, name: str, compact: bool) -> str:
    """How a training ended and what its file holds, the same in every engine: a compact model (training
    it again fine-tunes from it), or one with its training state (training again with the name goes on)."""
    size = _size(Path(path))
    if compact:
        return (
            f"Finished at step {step} of {total}. Saved {name} ({size}, compact: training it again fine-tunes from it)."
        )
    if reason == "finished" and step >= total:
        return (
            f"Finished at step {step} of {total}; saved {name} with its training state ({size}): "
            "train it again with more steps to go on."
        )
    how = "Stopped" if reason == "stopped" else "Reached the time limit"
    return (
        f"{how} at step {step} of {total}; saved with its training state ({size}): "
        "train again with the same name to go on."
    )
