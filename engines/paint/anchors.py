"""Anchors: the latent of every training picture, so truncation can pull toward real pictures.

A random seed of a GAN trained on 1,400 very different emoji often lands between the pictures it
learnt, where it draws a blob; yet the same generator draws most emoji recognisably from the
right z. So each model keeps one z per training picture, found by inverting the generator
(nearest of many seeds, then gradient steps on z with the weights fixed, z kept at the typical
length of a standard normal vector). The tab's truncation then slerps a seed's z toward an
anchor of the chosen class instead of toward the mean, as multi-modal truncation does
(Mokady et al. 2022, https://arxiv.org/abs/2202.12211): low truncation gives a picture near one
the model learnt, 1 gives the free sample, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from engines.paint.model import Generator, one_hot


@dataclass
class Anchors:
    """One z per training picture and that picture's class, with how closely the model draws them."""

    z: torch.Tensor  # (N, z_dim)
    labels: torch.Tensor  # (N,) class indices
    l1: float  # mean L1 (pixels in [-1, 1]) between each picture and its anchor's drawing

    def to_payload(self) -> dict:
        """What a checkpoint stores (fp16 z, int16 labels: about 0.35 MB for 1,400 pictures)."""
        return {"z": self.z.half().cpu(), "labels": self.labels.short().cpu(), "l1": float(self.l1)}

    @classmethod
    def from_payload(cls, d: dict, device: torch.device | str = "cpu") -> Anchors:
        return cls(d["z"].float().to(device), d["labels"].long().to(device), float(d.get("l1", float("nan"))))

    def of(self, classes: list[int]) -> torch.Tensor:
        """Rows of z whose class is among `classes` (empty when none)."""
        keep = torch.isin(self.labels, torch.tensor(classes, device=self.labels.device))
        return self.z[keep]


MATCH_PX = 16  # the size pictures are compared at when choosing each one's nearest seed


@torch.no_grad()
def nearest_latents(
    g: Generator,
    images: torch.Tensor,
    labels: torch.Tensor,
    per_image: int = 8,
    batch: int = 256,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """For each real picture (N, 3, H, W) in [-1, 1] with its class, the z (N, z_dim) whose
    picture from `g` is nearest to it (on MATCH_PX copies: colour and silhouette), chosen among
    `per_image` x (pictures of that class) random seeds of the same class from the standard normal.

    The generator samples in eval mode (its running BatchNorm statistics), so a choice does not
    depend on which other seeds shared its batch; its mode is restored afterwards."""
    was_training = g.training
    g.eval()
    device = images.device
    n_cls = max(g.cfg.n_classes, 1)
    out = torch.empty(len(images), g.cfg.z_dim, device=device)
    targets = _shrink(images).flatten(1)
    for c in labels.unique().tolist():
        members = torch.nonzero(labels == c).flatten()
        pool = torch.randn(per_image * len(members), g.cfg.z_dim, generator=generator).to(device)
        best = torch.full((len(members),), float("inf"), device=device)
        best_at = torch.zeros(len(members), dtype=torch.long, device=device)
        for start in range(0, len(pool), batch):
            z = pool[start : start + batch]
            fake = _shrink(g(z, one_hot(torch.full((len(z),), c, device=device), n_cls))).flatten(1)
            low, at = torch.cdist(targets[members], fake).min(dim=1)  # (members,) nearest in this chunk
            better = low < best
            best = torch.where(better, low, best)
            best_at = torch.where(better, at + start, best_at)
        out[members] = pool[best_at]
    g.train(was_training)
    return out


def _shrink(x: torch.Tensor) -> torch.Tensor:
    return F.adaptive_avg_pool2d(x, MATCH_PX) if x.shape[-1] != MATCH_PX else x


def distance(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Per-picture L1 at full size plus at half size (shape and colour weigh in twice)."""
    full = (fake - real).abs().mean(dim=(1, 2, 3))
    return full + (F.avg_pool2d(fake, 2) - F.avg_pool2d(real, 2)).abs().mean(dim=(1, 2, 3))


def invert(
    g: Generator,
    images: torch.Tensor,
    labels: torch.Tensor,
    steps: int = 100,
    lr: float = 0.05,
    batch: int = 128,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    init: torch.Tensor | None = None,
) -> Anchors:
    """Anchors for real pictures (N, 3, H, W) in [-1, 1]: each starts at `init` or else at its
    nearest of 8 x (its class's pictures) random seeds, and takes `steps` Adam steps on z with
    `g` fixed (eval mode)."""
    was_training = g.training
    g.eval()
    grads = [p.requires_grad for p in g.parameters()]
    g.requires_grad_(False)
    n_cls = max(g.cfg.n_classes, 1)
    radius = g.cfg.z_dim**0.5
    z_all = (
        init.detach().float().to(images.device).clone()
        if init is not None
        else nearest_latents(g, images, labels, 8, generator=torch.Generator().manual_seed(seed))
    )
    z_all = z_all * (radius / z_all.norm(dim=1, keepdim=True))  # every anchor has the typical length
    errors = torch.empty(len(images), device=images.device)
    try:
        for start in range(0, len(images), batch):
            sl = slice(start, start + batch)
            x, y = images[sl], one_hot(labels[sl], n_cls)
            z = z_all[sl].clone().requires_grad_(True)
            best, best_z = torch.full((len(x),), float("inf"), device=x.device), z_all[sl].clone()
            opt = torch.optim.Adam([z], lr=lr)
            for step in range(steps + 1):
                dist = distance(g(z, y), x)
                with torch.no_grad():  # keep each picture's best z so far: Adam may overshoot
                    better = dist < best
                    best = torch.where(better, dist, best)
                    best_z[better] = z[better]
                if step == steps:
                    break
                opt.zero_grad(set_to_none=True)
                dist.mean().backward()
                opt.step()
                with torch.no_grad():
                    z.mul_(radius / z.norm(dim=1, keepdim=True))
            with torch.no_grad():
                z_all[sl] = best_z
                errors[sl] = (g(best_z, y) - x).abs().mean(dim=(1, 2, 3))
            if progress:
                progress(min(start + batch, len(images)), len(images))
    finally:
        for p, r in zip(g.parameters(), grads):
            p.requires_grad_(r)
        g.train(was_training)
    return Anchors(z_all.detach(), labels.clone(), float(errors.mean()))


def pick(anchors: Anchors, classes: list[int], seed: int) -> torch.Tensor | None:
    """The anchor a seed lands on among those of `classes` (None when they have none)."""
    pool = anchors.of(classes)
    if len(pool) == 0:
        return None
    return pool[int(torch.randint(len(pool), (1,), generator=torch.Generator().manual_seed(int(seed) % (2**63))))]


def toward(z: torch.Tensor, anchor: torch.Tensor, psi: float | torch.Tensor) -> torch.Tensor:
    """Truncate z (..., d) toward anchor rows: slerp from the anchor (psi 0) to z (psi 1);
    above 1, z is scaled as plain truncation does. psi may also be a tensor (..., 1) in [0, 1]."""
    if not torch.is_tensor(psi) and psi >= 1:
        return z * float(psi)
    a, b = anchor / anchor.norm(dim=-1, keepdim=True), z / z.norm(dim=-1, keepdim=True)
    omega = torch.arccos((a * b).sum(-1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    t = psi.clamp(0, 1) if torch.is_tensor(psi) else max(float(psi), 0.0)
    return (torch.sin((1 - t) * omega) * anchor + torch.sin(t * omega) * z) / so


def spread(z: torch.Tensor, codes: torch.Tensor, frac: float) -> torch.Tensor:
    """Start the first `frac` of a batch of prior z (B, d) from pictures' own codes (B, d),
    each truncated toward its code by a random psi in [0, 1): the pictures the tab shows, so
    that training judges them too, not only free samples."""
    k = int(round(len(z) * frac))
    if k == 0:
        return z
    near = toward(z[:k], codes[:k], torch.rand(k, 1, device=z.device))
    return torch.cat([near, z[k:]])


def draw(anchors: Anchors, cls: int, n: int, gen: torch.Generator) -> torch.Tensor:
    """n anchors of one class, drawn at random with replacement (for measuring the tab's pictures)."""
    pool = anchors.of([cls])
    if len(pool) == 0:
        raise ValueError(f"no anchors of class {cls}")
    return pool[torch.randint(len(pool), (n,), generator=gen).to(pool.device)]


def truncate(
    anchors: Anchors | None, z: torch.Tensor, labels: torch.Tensor, psi: float, gen: torch.Generator
) -> torch.Tensor:
    """Truncate a batch of z (B, d) drawn for classes `labels` (B,) as the tab does: toward a
    random anchor of each one's class, or toward the mean for a model without anchors."""
    if anchors is None or psi >= 1:
        return z * float(psi)
    rows = torch.empty_like(z)
    for c in labels.unique().tolist():
        at = labels == c
        rows[at] = draw(anchors, int(c), int(at.sum()), gen).to(z.device)
    return toward(z, rows, psi)
