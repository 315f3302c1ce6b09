"""GANSpace directions of a Paint generator: the ways its pictures vary most, found once per model
(PCA of early activations, regressed back to z), named by the picture quality each changes most, and
stored in an exported checkpoint so loading it skips the PCA.

GANSpace: Härkönen et al. 2020, https://arxiv.org/abs/2004.02546 (for GANs without a style space).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from engines.paint.model import Generator

N_DIRECTIONS = 10  # the direction sliders a model offers


@dataclass
class Direction:
    """A principal direction in z, its share of variance and a name from what it changes."""

    vector: torch.Tensor
    variance: float
    name: str


def _properties(images: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-image measurable qualities (for naming directions): images (B, 3, H, W) in [-1, 1]."""
    x = (images + 1) / 2
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    mx, mn = x.max(1).values, x.min(1).values
    ink = (1 - mn).clamp(0, 1)  # how far from the white background
    h, w = x.shape[2], x.shape[3]
    cols = torch.linspace(-1, 1, w, device=x.device)
    rows = torch.linspace(-1, 1, h, device=x.device)
    mass = ink.sum((1, 2)) + 1e-6
    gray = x.mean(1)
    detail = (gray[:, 1:, :] - gray[:, :-1, :]).abs().mean((1, 2)) + (gray[:, :, 1:] - gray[:, :, :-1]).abs().mean(
        (1, 2)
    )
    spread_x = (ink * cols[None, None, :].abs()).sum((1, 2)) / mass
    spread_y = (ink * rows[None, :, None].abs()).sum((1, 2)) / mass
    return {
        "size": (ink > 0.15).float().mean((1, 2)),
        "contrast": gray.std((1, 2)),
        "detail": detail,
        "shape": spread_x - spread_y,
        "brightness": x.mean((1, 2, 3)),
        "colourfulness": (mx - mn).mean((1, 2)),
        "warmth": (r - b).mean((1, 2)),
        "greenness": (g - (r + b) / 2).mean((1, 2)),
        "left-right": (ink * cols[None, None, :]).sum((1, 2)) / mass,
        "up-down": (ink * rows[None, :, None]).sum((1, 2)) / mass,
    }


_NAMES = {
    "size": ("smaller", "bigger"),
    "brightness": ("darker", "lighter"),
    "contrast": ("softer", "more contrast"),
    "detail": ("plainer", "more detailed"),
    "shape": ("taller", "wider"),
    "colourfulness": ("greyer", "more colourful"),
    "warmth": ("cooler", "warmer"),
    "greenness": ("less green", "greener"),
    "left-right": ("to the left", "to the right"),
    "up-down": ("higher", "lower"),
}


@torch.no_grad()
def principal_directions(
    g: Generator, n_classes: int, k: int = N_DIRECTIONS, samples: int = 2048, seed: int = 1234
) -> list[Direction]:
    """GANSpace directions of generator `g` (on its own device): PCA of its first-block activations
    over random z (random classes), each principal axis regressed back into z, orthonormalised in
    order of variance, and named after the picture quality it changes most."""
    device = next(g.parameters()).device
    z_dim = g.cfg.z_dim
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(samples, z_dim, generator=gen).to(device)
    labels = torch.randint(0, n_classes, (samples,), generator=gen)
    y = torch.nn.functional.one_hot(labels, n_classes).float().to(device)
    feats = g.early_features(z, y)
    centred = feats - feats.mean(0)
    # randomised PCA: 60x faster than a full SVD here, top singular values within a few per cent
    _, s, v = torch.pca_lowrank(centred, q=k + 10, center=False, niter=4)
    comps = v[:, :k].T
    var = (s[:k] ** 2) / (centred**2).sum()
    coeff = centred @ comps.T  # (samples, k)
    coeff = coeff / coeff.std(0)  # unit-variance coordinates
    u = torch.linalg.lstsq(coeff, z).solution  # (k, z_dim): z ~ coeff @ u
    # orthonormalise in variance order (Gram-Schmidt via QR), so each slider moves on its own
    q, r = torch.linalg.qr(u.T)
    dirs = (q * torch.sign(torch.diagonal(r))).T  # keep each axis pointing the way u did

    # name each direction by the quality that moves most (in units of its spread across samples)
    probe_z = torch.randn(32, z_dim, generator=gen).to(device)
    probe_y = torch.nn.functional.one_hot(torch.arange(32) % n_classes, n_classes).float().to(device)
    base = _properties(g(probe_z, probe_y))
    spread = {name: v.std() + 1e-6 for name, v in base.items()}
    used: set[str] = set()
    out = []
    for i in range(dirs.shape[0]):
        plus = _properties(g(probe_z + 2.5 * dirs[i], probe_y))
        minus = _properties(g(probe_z - 2.5 * dirs[i], probe_y))
        effects = {name: float((plus[name] - minus[name]).mean() / spread[name]) for name in base}
        ranked = sorted(effects, key=lambda n: -abs(effects[n]))
        best = next((n for n in ranked if n not in used), ranked[0])
        used.add(best)
        vec = dirs[i].cpu() if effects[best] >= 0 else -dirs[i].cpu()
        lo, hi = _NAMES[best]
        out.append(Direction(vec, float(var[i]), f"{lo} ↔ {hi}"))
    return out


def to_payload(directions: list[Direction]) -> dict:
    """Directions in a form a checkpoint can hold (so loading skips the PCA)."""
    return {
        "vectors": torch.stack([d.vector for d in directions]),
        "variance": torch.tensor([d.variance for d in directions]),
        "names": [d.name for d in directions],
    }


def from_payload(saved: dict) -> list[Direction]:
    """Directions as `to_payload` stored them."""
    return [
        Direction(saved["vectors"][i].float(), float(saved["variance"][i]), saved["names"][i])
        for i in range(len(saved["names"]))
    ]
