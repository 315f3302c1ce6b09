"""Pictures asked for at the same time are drawn in one pass, each caller getting its own picture."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from engines.paint.together import Together


def _slow_double(calls: list[int]):
    """A 'model' that returns 2*z per row, records each pass's size, and takes a moment per pass."""

    def run(z: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
        calls.append(z.shape[0])
        time.sleep(0.05)
        return list(2 * z + y)

    return run


def test_a_lone_request_is_drawn_at_once_in_a_pass_of_one():
    calls: list[int] = []
    together = Together()
    out = together.draw("m", _slow_double(calls), torch.tensor([1.0, 2.0]), torch.zeros(2))
    assert torch.equal(out, torch.tensor([2.0, 4.0])) and calls == [1]
    assert together.passes == 1 and together.drawn == 1


def test_concurrent_requests_share_passes_and_each_gets_its_own_answer():
    calls: list[int] = []
    together, run = Together(max_batch=16), _slow_double(calls)
    with ThreadPoolExecutor(12) as pool:
        outs = list(
            pool.map(lambda k: together.draw("m", run, torch.tensor([float(k)]), torch.full((1,), 0.5)), range(12))
        )
    assert [o.item() for o in outs] == [2 * k + 0.5 for k in range(12)]
    assert sum(calls) == 12 and len(calls) < 12 and max(calls) > 1  # drawn together, none twice
    assert together.drawn == 12 and together.passes == len(calls)
    assert not together._waiting and not together._running  # idle again


def test_passes_are_per_model_and_no_larger_than_max_batch():
    calls: list[int] = []
    together, run = Together(max_batch=3), _slow_double(calls)
    with ThreadPoolExecutor(10) as pool:
        outs = list(pool.map(lambda k: together.draw(k % 2, run, torch.tensor([float(k)]), torch.zeros(1)), range(10)))
    assert [o.item() for o in outs] == [2.0 * k for k in range(10)]
    assert max(calls) <= 3 and sum(calls) == 10


def test_an_error_reaches_every_request_of_its_pass_and_the_next_pass_still_runs():
    together = Together()
    started = threading.Event()

    def failing(z, y):
        started.set()
        time.sleep(0.05)
        raise ValueError("broken model")

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(together.draw, "m", failing, torch.zeros(1), torch.zeros(1)) for _ in range(4)]
        for f in futures:
            with pytest.raises(ValueError, match="broken model"):
                f.result(timeout=5)
    assert together.draw("m", lambda z, y: list(z + 1), torch.zeros(1), torch.zeros(1)).item() == 1.0


def test_the_paint_engine_draws_the_same_picture_alone_and_together():
    """controls.draw through the shared passes gives each caller exactly the picture it asked for."""
    import numpy as np

    from engines.paint import controls, explore

    model = explore.load_model(explore.bundled_models()[0])
    pics = [controls.picture(seed, 0.7, model.class_names[seed % 3], "", 0.0, [0.0] * 9, []) for seed in range(1, 9)]
    with torch.no_grad():
        alone = [explore.render(model, p.latent(model), p.classes(model))[0] for p in pics]
    with ThreadPoolExecutor(8) as pool:
        shared = list(pool.map(lambda p: controls.draw(model, p), pics))
    for a, b in zip(alone, shared, strict=True):
        assert np.abs(np.asarray(a, dtype=int) - np.asarray(b, dtype=int)).max() <= 1  # float rounding at most
