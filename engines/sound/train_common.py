"""What Sound's two training loops share (the note VAE's `train.py`, the melody RNN's
`train_melody.py`): where a run starts (a run that kept its training state resumes; a compact file
or another model is fine-tuned with a fresh optimiser; else a fresh start), the time still to go,
and how a run's model file is written: compact (no optimiser state) when the run completed its steps
and its config asks for it (the studio's do), with its training state otherwise, and a sentence
saying which."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engines import checkpoints
from engines.checkpoints import Checkpoint

ENGINE = "sound"
FINISHED = "finished"  # engines.jobs.end_reason's word for a run that completed its steps
History = list[tuple[int, dict[str, float]]]


@dataclass
class Start:
    """Where a training run starts: the weights it loads (None: fresh) and, when it resumes a run
    that ended early, that run's step, loss history, seconds trained and optimiser state."""

    checkpoint: Checkpoint | None = None
    resume: bool = False
    step: int = 0
    history: History = field(default_factory=list)
    seconds: float = 0.0
    lineage: list[dict] = field(default_factory=list)
    source: str = ""  # the file it fine-tunes from (empty when fresh or resuming)

    @property
    def optimiser(self) -> dict | None:
        """The optimiser state to load (only when resuming)."""
        return self.checkpoint.extra.get("opt") if self.resume and self.checkpoint is not None else None

    def message(self, fresh: str) -> str:
        """The first event's line: resumed, fine-tuning, or `fresh`."""
        if self.resume:
            return f"resumed at step {self.step}"
        return f"{fresh} (fine-tuning {self.source})" if self.source else fresh


def history_of(meta: dict) -> History:
    """A checkpoint's loss history as (step, {"train": x, "held-out": v}) (older files kept
    (step, train, held-out) triples)."""
    out: History = []
    for row in meta.get("history", []):
        if len(row) == 2 and isinstance(row[1], dict):
            out.append((int(row[0]), {k: float(v) for k, v in row[1].items() if v is not None}))
        elif len(row) == 3:
            losses = {"train": row[1], "held-out": row[2]}
            out.append((int(row[0]), {k: float(v) for k, v in losses.items() if v is not None}))
    return out


def _checked(path: str | Path, kind: str, advice: str) -> Checkpoint:
    ck = checkpoints.load(path, engine=ENGINE)
    if ck.config.get("kind") != kind:
        raise checkpoints.CheckpointError(f"{Path(path).name} is a Sound model of another kind; {advice}")
    return ck


def start_point(out: Path, init_from: str | Path | None, kind: str, steps: int) -> Start:
    """Where a run writing `out` starts. An `out` that ended early (it keeps its optimiser state)
    with steps still to go resumes; a compact `out` (a finished run) or one already at `steps` is
    fine-tuned from, as is `init_from` when `out` is new; otherwise a fresh start."""
    if out.is_file():
        ck = _checked(out, kind, "choose a new name")
        done = int(ck.meta.get("steps", 0))
        if "opt" in ck.extra and done < steps:
            seconds = float(ck.meta.get("train_seconds", 0.0))
            return Start(ck, True, done, history_of(ck.meta), seconds, list(ck.meta.get("lineage", [])))
        return Start(ck, lineage=checkpoints.lineage_after(ck.meta), source=f"{out.stem}, {done} steps")
    if init_from:
        base = _checked(init_from, kind, "choose another to start from")
        return Start(base, lineage=checkpoints.lineage_after(base.meta), source=Path(init_from).stem)
    return Start()


def eta_s(elapsed: float, step: int, total: int, steps_done: int, budget_s: float | None) -> float:
    """Seconds still to go at this run's pace so far (capped by what is left of the time budget)."""
    left = (total - step) * elapsed / max(1, steps_done)
    if budget_s is not None:
        left = min(left, max(0.0, budget_s - elapsed))
    return round(left, 1)


def save(out: Path, ck: Checkpoint, opt_state: dict, reason: str | None, compact: bool) -> Path:
    """Write `ck` to `out`: compact (without the optimiser state) when the run `finished` and
    `compact` is asked, so the file is smaller and a new training fine-tunes from it; with
    `opt_state` otherwise, to resume."""
    extra = {k: v for k, v in ck.extra.items() if k != "opt"}
    if not (compact and reason == FINISHED):
        extra["opt"] = opt_state
    return checkpoints.save(out, Checkpoint(ck.engine, ck.state_dict, ck.config, ck.meta, extra))
