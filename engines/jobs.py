"""Long jobs (training, optimisation, batch export): one training at a time per process, and a
stop token the UI can set while a job's generator runs."""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar


class Busy(RuntimeError):
    """Another long job holds the slot; the message says which."""


@dataclass
class StopToken:
    """Set by the UI's Stop button; a job checks `stopped` between steps and ends cleanly."""

    _event: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        self._event.set()

    def reset(self) -> None:
        self._event.clear()

    @property
    def stopped(self) -> bool:
        return self._event.is_set()


class JobSlot:
    """A named one-at-a-time slot: `with slot.hold("Paint training"):` or Busy if taken."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current: str | None = None

    @contextlib.contextmanager
    def hold(self, name: str) -> Iterator[None]:
        if not self._lock.acquire(blocking=False):
            raise Busy(f"{self.current or 'Another job'} is already running on this studio; "
                       "wait for it to finish or stop it, then try again")
        self.current = name
        try:
            yield
        finally:
            self.current = None
            self._lock.release()

    @property
    def busy(self) -> bool:
        return self._lock.locked()


TRAINING = JobSlot()
"""The process-wide training slot shared by every engine: training is CPU/GPU-bound, so two at
once would only make both slow."""


def optimizer_step(opt, loss, params, max_norm: float = 1.0) -> None:
    """One update: clear the gradients, backpropagate `loss`, clip their norm to `max_norm`, step."""
    import torch

    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, max_norm)
    opt.step()


Num = TypeVar("Num")  # a float, or a torch tensor kept on its device


def running_mean(avg: Num | None, value: Num, keep: float = 0.95) -> Num:
    """Exponential moving average for loss read-outs; starts at the first value (avg None or NaN).
    On device tensors it stays on the device, so a GPU loop need not wait for each step's loss."""
    if avg is None or (isinstance(avg, float) and math.isnan(avg)):
        return value
    return keep * avg + (1 - keep) * value


def end_reason(step: int, steps: int, stop: StopToken | None, started: float, budget_s: float | None,
               now: float) -> str | None:
    """Why a training loop should end after `step`: 'stopped', 'time budget reached',
    'finished', or None to go on. Shared by every engine's training loop."""
    if stop is not None and stop.stopped:
        return "stopped"
    if budget_s is not None and now - started >= budget_s:
        return "time budget reached"
    return "finished" if step >= steps else None
