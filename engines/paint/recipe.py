"""What a Paint training run is asked for and how it schedules itself: its settings (TrainConfig,
and the recipe a checkpoint records), the learning-rate tail, fitting a run to a time budget, and
drawing pictures by class. (Its progress reports are `engines.events.TrainEvent`.)"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (saved in the checkpoint's metadata)."""

    steps: int = 3000  # total iterations; a resumed run continues up to this
    batch: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.0, 0.99)
    loss: str = "hinge"  # "hinge" or "bce" (the plain DCGAN's non-saturating loss)
    augment: str = "color,translation,cutout"
    ema: float = 0.995  # 0 turns the EMA generator off
    mirror: bool = True
    balance_classes: bool = True  # draw each class equally often, then a picture of it
    class_weight: float = 0.5  # weight of the auxiliary class loss (D names real classes, G's must be named)
    anchor_steps: int = 60  # inversion steps for each picture's anchor, found at the end (0: none)
    glo: float = 10.0  # weight of the anchor pull: each picture's own learnt z must draw it; 0: off
    glo_spread: float = 0.5  # share of fakes drawn near a real picture's learnt z, as the tab draws (with glo)
    seed: int = 0
    checkpoint_every: int = 500
    preview_every: int = 100
    time_budget_s: float | None = None
    fit_budget: bool = True  # with a time budget: time the first steps, then fit batch and steps to it
    lr_tail: float = 0.3  # share of the run's end over which the learning rates fall (cosine) to 10%; 0: flat
    early_reports: tuple[int, ...] = (1, 3, 10, 30)  # steps also reported (rate, ETA) before the first preview

    @classmethod
    def plain(cls, **kw: object) -> TrainConfig:
        """The article's DCGAN recipe: BCE, Adam(0.5, 0.999), no augmentation, no EMA, no anchors."""
        return cls(
            loss="bce",
            augment="",
            ema=0.0,
            betas=(0.5, 0.999),
            balance_classes=False,
            class_weight=0.0,
            glo=0.0,
            glo_spread=0.0,
            lr_tail=0.0,
            **kw,
        )  # type: ignore[arg-type]


# The defaults above are the bundled emoji model's recipe (assets/models/paint/emoji.pt: --glo 10
# --glo-spread 0.5 --anchor-steps 60); `bundled_recipe` reads them from a checkpoint's metadata.
RECIPE_KEYS = (
    "glo",
    "glo_spread",
    "anchor_steps",
    "class_weight",
    "augment",
    "ema",
    "balance_classes",
    "loss",
    "lr_g",
    "lr_d",
    "betas",
)


def bundled_recipe(meta: dict) -> dict:
    """The recipe settings (RECIPE_KEYS) a checkpoint's metadata records, to train the same way."""
    saved = meta.get("train_config") or {}
    out = {k: saved[k] for k in RECIPE_KEYS if k in saved}
    if "betas" in out:
        out["betas"] = tuple(out["betas"])
    return out


def lr_scale(step: int, total: int, tail: float) -> float:
    """The learning rates' factor at `step` of `total`: 1, then a cosine fall to 0.1 over the last `tail`."""
    if tail <= 0 or total <= 0:
        return 1.0
    start = total * (1 - tail)
    if step <= start:
        return 1.0
    t = min(1.0, (step - start) / max(total - start, 1e-9))
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t))


BATCHES = (64, 32, 16)  # batch sizes a budgeted run may pick, largest first
MIN_FIT_STEPS = 300  # a budgeted run takes a smaller batch rather than fewer steps than this
TIMING_STEPS = 3  # steps timed (after one warm-up step) before a budgeted run fits itself


@dataclass(frozen=True)
class Plan:
    """What a budgeted run fitted: its batch, its total steps, and the seconds kept for the final save."""

    batch: int
    steps: int
    reserve_s: float


def fit_plan(
    budget_s: float,
    elapsed_s: float,
    step: int,
    s_per_step: float,
    batch: int,
    max_steps: int,
    n_images: int,
    anchor_steps: int,
) -> Plan:
    """Batch and total steps that end a run within `budget_s`, from the measured seconds per step at
    `batch` (time per step taken as proportional to the batch), keeping time for the final snapshot
    (the anchors' inversion: `anchor_steps` passes over `n_images`)."""
    per_image = s_per_step / batch
    reserve = 3.0 + 0.5 * anchor_steps * per_image * n_images  # an inversion step: about half a training step's work
    left = max(0.0, budget_s - elapsed_s - reserve)
    for b in [b for b in BATCHES if b <= batch] or [batch]:
        steps = int(left / (per_image * b))
        if steps >= MIN_FIT_STEPS or b == min(BATCHES):
            return Plan(b, min(max_steps, step + max(1, steps)), reserve)
    return Plan(batch, min(max_steps, step + max(1, int(left / s_per_step))), reserve)


def class_sampler(labels: torch.Tensor, n_cls: int, balance: bool, group: int = 1) -> Callable[[int], torch.Tensor]:
    """A function batch -> picture indices: uniform over pictures, or (balanced) a uniform
    class first and then a picture of it, so a class with few pictures is not learnt last.
    With `group` > 1 every run of `group` pictures shares one class (for minibatch std)."""
    order = torch.argsort(labels, stable=True)
    counts = torch.bincount(labels, minlength=n_cls)
    starts = torch.cumsum(counts, 0) - counts
    present = torch.nonzero(counts).flatten()

    def draw(batch: int) -> torch.Tensor:
        g = group if batch % group == 0 else 1
        if g == 1 and (not balance or n_cls < 2):
            return torch.randint(0, len(labels), (batch,), device=labels.device)
        if balance:
            cls = present[torch.randint(0, len(present), (batch // g,), device=labels.device)]
        else:
            cls = labels[torch.randint(0, len(labels), (batch // g,), device=labels.device)]
        cls = cls.repeat_interleave(g)
        offset = (torch.rand(batch, device=labels.device) * counts[cls]).long()
        return order[starts[cls] + offset]

    return draw
