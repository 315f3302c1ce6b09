"""Budget-aware training for the Words Transformer: a run limited by minutes first times a few
steps of candidate shapes on the machine it runs on, then picks the shape, batch, context and
learning-rate schedule that fit its budget.

Why: a character model trained for minutes learns most from many quick steps of a small network
(measured on 2 shared CPU cores: 3 minutes of the bundled 4 x 256 shape over 128 characters,
at under one step a second, reached 2.85 nats/char held out; the small shapes below take 4-6
steps a second). Each candidate names the fewest steps it needs to be worth its size; the planner
takes the largest candidate whose measured speed buys those steps within the budget, and plans
its cosine schedule to end with the budget (`recipe.gpt_lr` also follows the clock, so the schedule
finishes on time even if the machine slows down).

bfloat16 autocast is used only where it is faster: a short matrix product is timed both ways
(a CPU may list bfloat16 instructions and still run them emulated, 28x slower).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch

from engines.words.gpt import GPT, GPTConfig
from engines.words.recipe import TrainConfig
from engines.words.train import batches


@dataclass(frozen=True)
class Candidate:
    """A model shape and batch worth training when the budget buys `min_steps` steps of it."""

    model: GPTConfig
    batch: int
    lr: float
    min_steps: int

    def describe(self) -> str:
        m = self.model
        return f"{m.n_layer} layers x {m.n_embd} wide over {m.block_size} characters, batch {self.batch}"


# largest first: the planner takes the first whose steps fit the budget
CANDIDATES = (
    Candidate(GPTConfig(block_size=128, n_layer=4, n_head=4, n_embd=256, dropout=0.1), 32, 1e-3, 6000),
    Candidate(GPTConfig(block_size=128, n_layer=3, n_head=4, n_embd=192, dropout=0.0), 32, 2e-3, 3000),
    Candidate(GPTConfig(block_size=128, n_layer=3, n_head=4, n_embd=128, dropout=0.0), 32, 3e-3, 1500),
    Candidate(GPTConfig(block_size=64, n_layer=2, n_head=4, n_embd=128, dropout=0.0), 64, 3e-3, 0),
)
TIMED_STEPS = 3  # steps timed per candidate (after one warm-up step)
RESERVE_S = 4.0  # kept back for reading the text, the closing evaluation, the sample and the save
WARMUP_SHARE = 0.05  # share of the planned steps spent warming the rate up (at least 20, at most 200)


@dataclass(frozen=True)
class Plan:
    """What a time-limited run will train: the shape, its training settings, and why."""

    model: GPTConfig
    train: TrainConfig
    step_s: float
    reason: str


StepTimer = Callable[[GPTConfig, int, bool], float]


def time_steps(
    model_cfg: GPTConfig,
    batch: int,
    bf16: bool = False,
    device: str = "cpu",
    steps: int = TIMED_STEPS,
    vocab_size: int = 96,
) -> float:
    """Seconds one training step of this shape takes here (the median of a few, after a warm-up)."""
    cfg = replace(model_cfg, vocab_size=vocab_size)
    model = GPT(cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    data = torch.randint(0, vocab_size, (cfg.block_size * batch * 4,), generator=torch.Generator().manual_seed(0))
    gen = torch.Generator().manual_seed(0)
    took = []
    for i in range(steps + 1):
        tick = time.perf_counter()
        x, y = batches(data, cfg.block_size, batch, gen)
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=bf16):
            _, loss, _ = model(x.to(device), y.to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        if i:
            took.append(time.perf_counter() - tick)
    return sorted(took)[len(took) // 2]


def bf16_is_fast(device: str = "cpu") -> bool:
    """Whether bfloat16 autocast speeds a matrix product up here (timed, never assumed)."""
    if device.startswith("cuda"):
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if device != "cpu":
        return False
    a = torch.randn(256, 256)

    def run(bf16: bool) -> float:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            (a @ a).sum()  # warm-up
            tick = time.perf_counter()
            for _ in range(4):
                (a @ a).sum()
        return time.perf_counter() - tick

    return run(True) < 0.8 * run(False)


def step_cost(c: Candidate) -> float:
    """A step's arithmetic, roughly: characters in the batch times (weights + attention per position)."""
    m = c.model
    return c.batch * m.block_size * m.n_layer * (12 * m.n_embd**2 + 2 * m.block_size * m.n_embd)


def plan(
    budget_s: float,
    timer: StepTimer | None = None,
    device: str = "cpu",
    bf16: bool | None = None,
    candidates: tuple[Candidate, ...] = CANDIDATES,
    max_steps: int | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Plan:
    """The largest candidate whose measured steps fit `budget_s` (the timing itself counts against
    it), with `steps` planned to end with the budget and a cosine schedule over them. Candidates are
    timed from the smallest up, and a larger one only when its estimated speed (scaled by
    `step_cost`) could fit, so a short budget spends little on timing. `timer(model, batch, bf16) ->
    seconds a step` is measured here unless given (tests pass a fake)."""
    if budget_s <= 0:
        raise ValueError("A time-limited training needs a positive budget.")
    started = clock()
    bf16 = bf16_is_fast(device) if bf16 is None else bf16
    timer = timer or (lambda m, b, half: time_steps(m, b, half, device))
    ladder = list(reversed(candidates))  # smallest first
    chosen, step_s = ladder[0], timer(ladder[0].model, ladder[0].batch, bf16)
    for cand in ladder[1:]:
        left = budget_s - RESERVE_S - (clock() - started)
        ceiling = max_steps if max_steps is not None else float("inf")
        estimate = step_s * step_cost(cand) / step_cost(chosen)
        if min(left / estimate, ceiling) < 0.7 * cand.min_steps:
            break  # not even close: larger ones need more still
        measured = timer(cand.model, cand.batch, bf16)
        left = budget_s - RESERVE_S - (clock() - started)
        if min(left / measured, ceiling) < cand.min_steps:
            break
        chosen, step_s = cand, measured
    left = max(1.0, budget_s - RESERVE_S - (clock() - started))
    steps = max(1, int(left / step_s))
    if max_steps is not None:
        steps = min(steps, max_steps)
    warmup = max(1, min(200, max(20, int(steps * WARMUP_SHARE)), steps // 2 or 1))
    train = TrainConfig(
        steps=steps,
        batch=chosen.batch,
        lr=chosen.lr,
        min_lr=chosen.lr / 10,
        warmup=warmup,
        eval_every=max(50, steps // 8),
        eval_batches=4,
        checkpoint_every=max(100, steps // 4),
        time_budget_s=max(1.0, budget_s - (clock() - started)),
        bf16=bf16,
    )
    reason = (
        f"{chosen.describe()}: {1 / step_s:.1f} steps a second here, so about {steps:,} steps in "
        f"{budget_s / 60:.1f} minutes{' (bfloat16)' if bf16 else ''}"
    )
    return Plan(chosen.model, train, step_s, reason)
