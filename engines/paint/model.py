"""Class-conditional DCGAN for small image sets.

References:
1) Radford et al. 2015, DCGAN: https://arxiv.org/abs/1511.06434 (the article's model; `plain`)
2) Mirza & Osindero 2014, conditional GANs: https://arxiv.org/abs/1411.1784
3) Miyato & Koyama 2018, projection discriminator: https://arxiv.org/abs/1802.05637, and
   Odena et al. 2017, auxiliary classifier GAN: https://arxiv.org/abs/1610.09585
4) Miyato et al. 2018, spectral normalisation: https://arxiv.org/abs/1802.05957
5) de Vries et al. 2017, conditional BatchNorm: https://arxiv.org/abs/1707.00683 (as in the
   SNGAN projection and BigGAN generators)

The generator maps noise z and a class embedding to an image through transposed convolutions;
with `cond_bn` every BatchNorm's gain and shift also depend on the class, so the class shapes
each layer and not only the input. The discriminator scores an image and, with projection, how
well it fits its class; with `classifier` it also names the class, which the generator is then
asked to make plain. Class weights enter everything linearly, so a class *blend* (soft labels)
works too.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm

REMOVED = ("projected", "projected_size")  # the vision-aided discriminator's options, since removed


@dataclass(frozen=True)
class GANConfig:
    """Architecture of one Paint model (saved inside its checkpoint)."""

    resolution: int = 64  # 32, 64 or 128 pixels square
    z_dim: int = 128  # noise dimensions
    n_classes: int = 8  # 0 or 1 for an unconditional model
    embed_dim: int = 32  # class embedding joined to z
    ngf: int = 48  # generator width (channels of its last hidden layer)
    ndf: int = 48  # discriminator width (channels of its first layer)
    spectral_norm: bool = True  # spectral norm in D (off in the plain DCGAN)
    projection: bool = True  # projection conditioning in D (plain: label maps joined to the input)
    cond_bn: bool = True  # class-conditional BatchNorm gains and shifts in G (plain: off)
    classifier: bool = True  # D also names the class of a picture (auxiliary classifier; plain: off)
    minibatch_std: bool = False  # D's last layer also sees how varied each group of 4 pictures of one class is

    @property
    def n_up(self) -> int:
        if self.resolution not in (32, 64, 128):
            raise ValueError("resolution must be 32, 64 or 128")
        return int(math.log2(self.resolution)) - 2

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> GANConfig:
        """The config saved in a checkpoint. Keys of REMOVED options are dropped: every model trained
        before they went records them, and its generator is an ordinary one."""
        return cls(**{k: v for k, v in d.items() if k not in REMOVED})

    @classmethod
    def plain(cls, **kw: object) -> GANConfig:
        """The article's conditional DCGAN: no spectral norm, label concatenation in D,
        the class joined to z only."""
        return cls(spectral_norm=False, projection=False, cond_bn=False, classifier=False, **kw)  # type: ignore[arg-type]


class ConditionalBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm whose gain and shift are the shared ones plus a class-weighted offset.

    The offsets start at zero, so a model gains this layer with its output unchanged, and a
    blend of classes gets the same blend of offsets."""

    def __init__(self, channels: int, n_classes: int) -> None:
        super().__init__(channels)
        self.class_gain = nn.Parameter(torch.zeros(n_classes, channels))
        self.class_shift = nn.Parameter(torch.zeros(n_classes, channels))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        momentum = self.momentum
        if self.training:
            self.num_batches_tracked.add_(1)
            if momentum is None:  # cumulative average (used when recalibrating statistics)
                momentum = 1.0 / float(self.num_batches_tracked)
        h = F.batch_norm(x, self.running_mean, self.running_var, None, None, self.training, momentum or 0.0, self.eps)
        gain = (self.weight + y @ self.class_gain)[:, :, None, None]
        shift = (self.bias + y @ self.class_shift)[:, :, None, None]
        return h * gain + shift


STD_GROUP = 4  # pictures per minibatch-standard-deviation group (as in ProGAN)


def minibatch_std(h: torch.Tensor, group: int = STD_GROUP) -> torch.Tensor:
    """Append one channel holding how much each group of `group` consecutive pictures differs
    (mean standard deviation over the group; Karras et al. 2018, https://arxiv.org/abs/1710.10196).
    Training draws each group from one class, so a class whose pictures all look alike shows."""
    b, c, hh, ww = h.shape
    g = group if b % group == 0 else 1  # a ragged batch gets no signal rather than a wrong one
    std = torch.sqrt(h.reshape(b // g, g, c, hh, ww).var(1, unbiased=False) + 1e-8).mean((1, 2, 3))
    return torch.cat([h, std.repeat_interleave(g)[:, None, None, None].expand(b, 1, hh, ww)], dim=1)


def _norm(channels: int, cfg: GANConfig) -> nn.BatchNorm2d:
    return ConditionalBatchNorm2d(channels, max(cfg.n_classes, 1)) if cfg.cond_bn else nn.BatchNorm2d(channels)


def _run(layers: nn.Sequential, h: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Apply `layers` in order, handing the class weights to the conditional norms."""
    for layer in layers:
        h = layer(h, y) if isinstance(layer, ConditionalBatchNorm2d) else layer(h)
    return h


class Generator(nn.Module):
    """(z, class weights) -> image in [-1, 1] of shape (B, 3, res, res)."""

    def __init__(self, cfg: GANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        n_cls = max(cfg.n_classes, 1)
        self.embed = nn.Linear(n_cls, cfg.embed_dim, bias=False)  # soft labels -> embedding
        widths = [cfg.ngf * 2**i for i in reversed(range(cfg.n_up))]  # e.g. 384, 192, 96, 48
        # stem: 1x1 -> 4x4
        self.stem = nn.Sequential(
            nn.ConvTranspose2d(cfg.z_dim + cfg.embed_dim, widths[0], 4, 1, 0, bias=False),
            _norm(widths[0], cfg),
            nn.ReLU(True),
        )
        # body: double the size each block
        self.body = nn.Sequential(
            *[
                nn.Sequential(nn.ConvTranspose2d(w_in, w_out, 4, 2, 1, bias=False), _norm(w_out, cfg), nn.ReLU(True))
                for w_in, w_out in zip(widths[:-1], widths[1:])
            ]
        )
        # head: last doubling straight to RGB
        self.head = nn.ConvTranspose2d(widths[-1], 3, 4, 2, 1)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """z: (B, z_dim); y: (B, n_classes) class weights (one-hot or a blend)."""
        h = self._stem(z, y)
        for block in self.body:
            h = _run(block, h, y)
        return torch.tanh(self.head(h))

    def early_features(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Stem activations (B, C*16): the space GANSpace takes principal directions in."""
        return self._stem(z, y).flatten(1)

    def _stem(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return _run(self.stem, torch.cat([z, self.embed(y)], dim=1)[:, :, None, None], y)


class Discriminator(nn.Module):
    """(image, class weights) -> realness score (B,); `score_and_class` adds class logits."""

    def __init__(self, cfg: GANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        n_cls = max(cfg.n_classes, 1)
        sn = spectral_norm if cfg.spectral_norm else (lambda m: m)
        widths = [cfg.ndf * 2**i for i in range(cfg.n_up)]  # e.g. 48, 96, 192, 384
        in_ch = 3 if cfg.projection else 3 + n_cls
        layers: list[nn.Module] = [sn(nn.Conv2d(in_ch, widths[0], 4, 2, 1)), nn.LeakyReLU(0.2, True)]
        for i, (w_in, w_out) in enumerate(zip(widths[:-1], widths[1:])):
            extra = int(cfg.minibatch_std and i == len(widths) - 2)  # the std channel enters the last conv
            layers.append(sn(nn.Conv2d(w_in + extra, w_out, 4, 2, 1, bias=cfg.spectral_norm)))
            if not cfg.spectral_norm:
                layers.append(nn.BatchNorm2d(w_out))
            layers.append(nn.LeakyReLU(0.2, True))
        self.features = nn.Sequential(*layers)  # -> (B, widths[-1], 4, 4)
        self.last_conv = max(i for i, m in enumerate(layers) if isinstance(m, nn.Conv2d))
        self.out = sn(nn.Linear(widths[-1] * 16, 1))
        self.project = sn(nn.Linear(n_cls, widths[-1] * 16, bias=False)) if cfg.projection else None
        self.classify = sn(nn.Linear(widths[-1] * 16, n_cls)) if cfg.classifier and n_cls > 1 else None

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.score_and_class(x, y)[0]

    def score_and_class(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Realness score (B,) and, with the auxiliary classifier, class logits (B, n_classes)."""
        if self.project is None:  # plain cDCGAN: labels as constant input planes
            x = torch.cat([x, y[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])], dim=1)
        h = x
        for i, layer in enumerate(self.features):
            if i == self.last_conv and self.cfg.minibatch_std:
                h = minibatch_std(h)
            h = layer(h)
        h = h.flatten(1)
        score = self.out(h).squeeze(1)
        if self.project is not None:
            score = score + (self.project(y) * h).sum(dim=1)
        return score, (self.classify(h) if self.classify is not None else None)


def one_hot(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Integer labels -> float one-hot rows (an unconditional model has one class)."""
    return F.one_hot(labels, max(n_classes, 1)).float()


def init_weights(module: nn.Module) -> None:
    """DCGAN initialisation: N(0, 0.02) convolutions, N(1, 0.02) BatchNorm gains."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            weight = getattr(m, "weight_orig", m.weight)
            nn.init.normal_(weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


@torch.no_grad()
def recalibrate_bn(g: Generator, batches: int = 8, batch: int = 64) -> None:
    """Re-estimate BatchNorm statistics of an (EMA) generator over fresh samples, so that
    eval-mode sampling matches what training saw."""
    n_cls = max(g.cfg.n_classes, 1)
    device = next(g.parameters()).device
    bns = [m for m in g.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    g.train()
    for _ in range(batches):
        g(
            torch.randn(batch, g.cfg.z_dim, device=device),
            one_hot(torch.randint(0, n_cls, (batch,), device=device), n_cls),
        )
    for m in bns:
        m.momentum = 0.1
    g.eval()
