"""Nearest-sample anchoring (IMLE) for a GAN trained on few, very different pictures.

A GAN's generator may draw a handful of shapes for every seed and let the class only recolour
them: on the emoji set, seeds became templates shared across groups and most animals, food and
objects came out as blobs. Implicit maximum likelihood estimation (Li & Malik 2018,
https://arxiv.org/abs/1809.09087; for few pictures, Aghabozorgi et al. 2023,
https://arxiv.org/abs/2303.04904) turns that around: for every real picture, find the
generated picture nearest to it among many random seeds of its class, and pull that one closer.
Every training picture then has some seed that draws it, so the prior cannot skip it; the GAN's
discriminator still keeps the pictures sharp.

Nearness is measured on small copies (16 px: colour and silhouette), and the pull is an L1 loss on
32 px copies, leaving fine detail to the discriminator.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from engines.paint.model import Generator, one_hot

MATCH_PX = 16  # the size pictures are compared at when choosing each one's nearest seed
PULL_PX = 32   # the size the pull works at


def shrink(x: torch.Tensor, px: int) -> torch.Tensor:
    """Average-pool pictures (B, C, H, W) down to px x px."""
    return F.adaptive_avg_pool2d(x, px) if x.shape[-1] != px else x


@torch.no_grad()
def nearest_latents(g: Generator, images: torch.Tensor, labels: torch.Tensor, per_image: int = 8,
                    batch: int = 256, generator: torch.Generator | None = None) -> torch.Tensor:
    """For each real picture (N, 3, H, W) in [-1, 1] with its class, the z (N, z_dim) whose
    picture from `g` is nearest to it, chosen among `per_image` x (pictures of that class) random
    seeds of the same class, all drawn from the standard normal prior.

    The generator samples in eval mode (its running BatchNorm statistics), so a choice does not
    depend on which other seeds shared its batch; its mode is restored afterwards."""
    was_training = g.training
    g.eval()
    device = images.device
    n_cls = max(g.cfg.n_classes, 1)
    out = torch.empty(len(images), g.cfg.z_dim, device=device)
    targets = shrink(images, MATCH_PX).flatten(1)
    for c in labels.unique().tolist():
        members = torch.nonzero(labels == c).flatten()
        pool = torch.randn(per_image * len(members), g.cfg.z_dim, generator=generator).to(device)
        best = torch.full((len(members),), float("inf"), device=device)
        best_at = torch.zeros(len(members), dtype=torch.long, device=device)
        for start in range(0, len(pool), batch):
            z = pool[start:start + batch]
            fake = shrink(g(z, one_hot(torch.full((len(z),), c, device=device), n_cls)), MATCH_PX).flatten(1)
            dist = torch.cdist(targets[members], fake)  # (members, this chunk)
            low, at = dist.min(dim=1)
            better = low < best
            best = torch.where(better, low, best)
            best_at = torch.where(better, at + start, best_at)
        out[members] = pool[best_at]
    g.train(was_training)
    return out


def pull_distance(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Per-picture mean L1 between generated and real pictures at PULL_PX."""
    return (shrink(fake, PULL_PX) - shrink(real, PULL_PX)).abs().mean(dim=(1, 2, 3))


def pull_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """The IMLE term: pull_distance averaged over the batch."""
    return pull_distance(fake, real).mean()


@torch.no_grad()
def match_distance(g: Generator, images: torch.Tensor, labels: torch.Tensor, latents: torch.Tensor,
                   batch: int = 256) -> float:
    """Mean L1 at PULL_PX between each real picture and its anchor's picture (eval mode): how well
    the prior covers the training set; falls as anchoring works."""
    was_training = g.training
    g.eval()
    n_cls = max(g.cfg.n_classes, 1)
    total = 0.0
    for start in range(0, len(images), batch):
        sl = slice(start, start + batch)
        fake = g(latents[sl], one_hot(labels[sl], n_cls))
        total += float(pull_distance(fake, images[sl]).sum())
    g.train(was_training)
    return total / len(images)
