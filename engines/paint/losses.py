"""Paint's GAN losses: hinge (the recipe) or non-saturating BCE (the article's DCGAN), and the
auxiliary class loss that makes the discriminator name classes and the generator's pictures
be named as the class asked for."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def d_loss_fn(kind: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss on real and fake scores ("hinge" or "bce")."""
    if kind == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def g_loss_fn(kind: str, fake: torch.Tensor) -> torch.Tensor:
    """The generator's loss on the fakes' scores ("hinge" or "bce")."""
    return -fake.mean() if kind == "hinge" else F.softplus(-fake).mean()


def class_loss(logits: torch.Tensor | None, labels: torch.Tensor, weight: float) -> torch.Tensor | float:
    """The auxiliary classifier's weighted cross-entropy (0 without a classifier)."""
    return weight * F.cross_entropy(logits, labels) if logits is not None and weight > 0 else 0.0
