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


class Ticket:
    """One place in the training queue: `wait` until admitted, `position` while waiting, then `release`."""

    def __init__(self, queue: TrainingQueue, owner: str, what: str, session: str | None) -> None:
        self.queue, self.owner, self.what, self.session = queue, owner, what, session
        self.stop_token = StopToken()
        self.admitted = False

    @property
    def position(self) -> int:
        """1 for the next to start, 2 behind it, ...; 0 once running."""
        return self.queue.position(self)

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds to be admitted; True once this ticket may run."""
        return self.queue.wait(self, timeout)

    def release(self) -> None:
        """Leave the queue (running or waiting), letting the next one start."""
        self.queue.release(self)


class TrainingQueue:
    """The studio's trainings: first come, first served, at most `slots` running at once and at
    most one running or waiting per owner (a workspace), so no visitor can hold the machine
    alone or fill the queue. Each ticket carries a stop token any page of its owner can set."""

    def __init__(self, slots: int = 1) -> None:
        self.slots = max(1, int(slots))
        self._cond = threading.Condition()
        self._waiting: list[Ticket] = []
        self._running: list[Ticket] = []

    def join(self, owner: str, what: str, session: str | None = None) -> Ticket:
        """Take a place in line for `owner`; Busy if that owner already has a training here."""
        with self._cond:
            mine = self.ticket_of(owner)
            if mine is not None:
                state = "running" if mine.admitted else f"waiting (place {self.position(mine)} in line)"
                raise Busy(f"You already have a training {state}: {mine.what}. Stop it or let it finish first.")
            ticket = Ticket(self, owner, what, session)
            self._waiting.append(ticket)
            self._admit()
            return ticket

    def position(self, ticket: Ticket) -> int:
        with self._cond:
            return 0 if ticket.admitted else (self._waiting.index(ticket) + 1 if ticket in self._waiting else 0)

    def wait(self, ticket: Ticket, timeout: float) -> bool:
        with self._cond:
            self._cond.wait_for(lambda: ticket.admitted, timeout=timeout)
            return ticket.admitted

    def release(self, ticket: Ticket) -> None:
        with self._cond:
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            if ticket in self._running:
                self._running.remove(ticket)
            self._admit()
            self._cond.notify_all()

    def ticket_of(self, owner: str) -> Ticket | None:
        """The owner's running or waiting ticket, if any."""
        with self._cond:
            return next((t for t in (*self._running, *self._waiting) if t.owner == owner), None)

    def stop(self, owner: str | None = None, session: str | None = None) -> int:
        """Ask the trainings of `owner` (or those started by page `session`) to stop; returns how many."""
        with self._cond:
            hits = [
                t
                for t in (*self._running, *self._waiting)
                if (owner is not None and t.owner == owner) or (session is not None and t.session == session)
            ]
        for t in hits:
            t.stop_token.stop()
        return len(hits)

    def describe(self) -> str:
        """What runs and how many wait, for everyone in line to see."""
        with self._cond:
            running = ", ".join(t.what for t in self._running) or "nothing"
            return f"Training now: {running}; {len(self._waiting)} waiting."

    @property
    def busy(self) -> bool:
        with self._cond:
            return bool(self._running)

    def _admit(self) -> None:
        while self._waiting and len(self._running) < self.slots:
            ticket = self._waiting.pop(0)
            ticket.admitted = True
            self._running.append(ticket)
        self._cond.notify_all()


class LiveGate:
    """Counts the live requests (sliders, previews) in flight so long jobs can step aside for
    them: a training loop calls `yield_to_live()` between steps and pauses while any run."""

    def __init__(self) -> None:
        self._n = 0
        self._cond = threading.Condition()

    @contextlib.contextmanager
    def live(self) -> Iterator[None]:
        with self._cond:
            self._n += 1
        try:
            yield
        finally:
            with self._cond:
                self._n -= 1
                self._cond.notify_all()

    def yield_to_live(self, max_wait_s: float = 0.5) -> None:
        """Wait (at most `max_wait_s`) until no live request is running."""
        with self._cond:
            if self._n:
                self._cond.wait_for(lambda: self._n == 0, timeout=max_wait_s)


TRAINING = TrainingQueue(slots=1)
"""The process-wide training queue shared by every engine: training is CPU/GPU-bound, so two at
once would only make both slow. A shared studio may widen it (`--trainings`)."""

LIVE = LiveGate()
"""Live requests in flight; training loops yield to them (see `end_reason`)."""


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


def end_reason(
    step: int, steps: int, stop: StopToken | None, started: float, budget_s: float | None, now: float
) -> str | None:
    """Why a training loop should end after `step`: 'stopped', 'time budget reached',
    'finished', or None to go on. Shared by every engine's training loop, so it is also where a
    training steps aside for a moment while live requests (sliders) are being served."""
    LIVE.yield_to_live()
    if stop is not None and stop.stopped:
        return "stopped"
    if budget_s is not None and now - started >= budget_s:
        return "time budget reached"
    return "finished" if step >= steps else None
