"""Draw pictures that are asked for at the same time in one forward pass.

When several visitors move sliders at once, each request would run the generator on its own;
on a CPU one pass of eight costs about as much as three passes of one. Requests that arrive while
a pass for the same model runs wait for it to end and are then drawn together in the next pass.
A lone request is drawn at once, so one artist waits no longer than before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import torch

Batch = Callable[[torch.Tensor, torch.Tensor], list]  # rows of z and y -> one result per row
MAX_BATCH = 16  # pictures in one pass: enough for every live request a small studio runs at once


@dataclass(eq=False)
class _Job:
    z: torch.Tensor
    y: torch.Tensor
    ready: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # woken to run the next pass rather than with a result
    result: Any = None
    error: BaseException | None = None


class Together:
    """Collects concurrent (z, y) requests per key and runs `run(z, y)` once for each group."""

    def __init__(self, max_batch: int = MAX_BATCH) -> None:
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._waiting: dict[Hashable, list[_Job]] = {}
        self._running: set[Hashable] = set()
        self.passes = 0  # forward passes run (the tests read both)
        self.drawn = 0  # requests answered

    def draw(self, key: Hashable, run: Batch, z: torch.Tensor, y: torch.Tensor) -> Any:
        """`run(z, y)[0]` for this request, computed in a pass shared with requests for the same key
        that arrive meanwhile. `run` takes batches (rows of z and y) and returns one result per row."""
        job = _Job(z.reshape(1, -1), y.reshape(1, -1))
        with self._lock:
            self._waiting.setdefault(key, []).append(job)
            lead = key not in self._running
            self._running.add(key)
        if not lead:
            job.ready.wait()
        if lead or job.lead:
            self._pass(key, run)
        if job.error is not None:
            raise job.error
        return job.result

    def _pass(self, key: Hashable, run: Batch) -> None:
        """Run one pass over the waiting requests (the caller's own is first), then hand the next pass
        to the first request still waiting, or mark the key idle."""
        with self._lock:
            queue = self._waiting[key]
            jobs, queue[:] = queue[: self.max_batch], queue[self.max_batch :]
        try:
            results = run(torch.cat([j.z for j in jobs]), torch.cat([j.y for j in jobs]))
            for job, result in zip(jobs, results, strict=True):
                job.result = result
        except BaseException as exc:  # every request of the pass gets the error its own pass would have
            for job in jobs:
                job.error = exc
        with self._lock:
            self.passes += 1
            self.drawn += len(jobs)
            queue = self._waiting[key]
            if queue:
                queue[0].lead = True
                queue[0].ready.set()
            else:
                del self._waiting[key]
                self._running.discard(key)
        for job in jobs:
            if not job.lead:
                job.ready.set()
