"""A discriminator that judges pictures through a frozen, pretrained feature network.

Projected GAN (Sauer et al. 2021, https://arxiv.org/abs/2111.01007): the pictures pass through
EfficientNet-lite0 (ImageNet weights, frozen), fixed random 1x1 projections mix its channels and
fixed random 3x3 convolutions mix its scales top-down, and one small trainable discriminator per
scale scores the mixed features. Pretrained features can tell a cat from a cup long before a
discriminator learnt from 1,400 emoji could, if they see the picture large enough: at 64x64 (the
default, `projected_size` 0) lite0 reads texture more than things; 128 or 224 is for a GPU.

Conditioning is by projection at every scale (Miyato & Koyama 2018). The feature network is not
part of the state dict: it comes with the pip install.

Alone, such a judge lets the generator please lite0 with repeated textures (tried in session 8:
dotted patterns within 1,500 steps). `VisionAidedDiscriminator` therefore keeps the pixel
discriminator and adds the projected one beside it, each with its own loss, as in vision-aided
GAN training (Kumari et al. 2022, https://arxiv.org/abs/2112.09130).
"""

from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm

from engines.backbones import efficientnet_lite0
from engines.paint.model import Discriminator, GANConfig

TAPS = (2, 4, 10, 15)             # lite0 blocks read: 24 ch at 1/4 size, 40 at 1/8, 112 at 1/16, 320 at 1/32
TAP_CHANNELS = (24, 40, 112, 320)
MIXED = (64, 128, 256, 512)       # channels after the random cross-channel mixing (as in the paper)
MIX_SEED = 20211111               # the random mixing is fixed by this seed, so it is the same after a reload


def _head(channels: int, size: int, width: int) -> nn.Sequential:
    """A small DCGAN-style discriminator for one scale: halve the size down to 4x4 (or keep a
    smaller map as it is), ending with `width` channels."""
    layers: list[nn.Module] = []
    c = channels
    while size > 4:
        layers += [spectral_norm(nn.Conv2d(c, width, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
        c, size = width, size // 2
    layers += [spectral_norm(nn.Conv2d(c, width, 3, 1, 1)), nn.LeakyReLU(0.2, True)]
    return nn.Sequential(*layers)


class ProjectedDiscriminator(nn.Module):
    """(image, class weights) -> realness score (B,), summed over four feature scales."""

    def __init__(self, cfg: GANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        n_cls = max(cfg.n_classes, 1)
        width = cfg.ndf * 4
        gen = torch.Generator().manual_seed(MIX_SEED)
        # fixed random mixing, kept as buffers: saved with the model, never trained
        for i, (c_in, c_out) in enumerate(zip(TAP_CHANNELS, MIXED)):
            self.register_buffer(f"ccm{i}", torch.randn(c_out, c_in, 1, 1, generator=gen) * (2 / c_in) ** 0.5)
        for i in range(len(MIXED) - 1):
            self.register_buffer(f"csm{i}", torch.randn(MIXED[i], MIXED[i + 1], 3, 3, generator=gen)
                                 * (2 / (9 * MIXED[i + 1])) ** 0.5)
        self.size = cfg.projected_size or cfg.resolution
        sizes = [max(self.size // s, 1) for s in (4, 8, 16, 32)]
        self.heads = nn.ModuleList(_head(c, s, width) for c, s in zip(MIXED, sizes))
        self.out = nn.ModuleList(spectral_norm(nn.Conv2d(width, 1, 1)) for _ in MIXED)
        self.project = nn.ModuleList(spectral_norm(nn.Linear(n_cls, width, bias=False)) for _ in MIXED)

    def taps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """lite0 activations at the four tapped blocks for pictures in [-1, 1], read at `projected_size`."""
        net = efficientnet_lite0.load(str(x.device))
        if x.shape[-1] != self.size:  # larger pictures make lite0's features about things, not texture
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        h = net.stem((x + 1) / 2)
        out = []
        for i, block in enumerate(net._blocks[:TAPS[-1] + 1]):
            h = block(h)
            if i in TAPS:
                out.append(h)
        return out

    def mixed(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Cross-channel then cross-scale mixed features, finest first."""
        feats = [F.conv2d(f, getattr(self, f"ccm{i}")) for i, f in enumerate(self.taps(x))]
        for i in reversed(range(len(feats) - 1)):
            up = F.interpolate(feats[i + 1], size=feats[i].shape[-2:], mode="bilinear", align_corners=False)
            feats[i] = feats[i] + F.conv2d(up, getattr(self, f"csm{i}"), padding=1)
        return feats

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        with torch.set_grad_enabled(torch.is_grad_enabled() and x.requires_grad):
            feats = self.mixed(x)  # the frozen network needs a graph only when G is being trained
        score = x.new_zeros(len(x))
        for f, head, out, project in zip(feats, self.heads, self.out, self.project):
            h = head(f)
            score = score + out(h).mean((1, 2, 3)) + (project(y) * h.mean((2, 3))).sum(1)
        return score

class VisionAidedDiscriminator(Discriminator):
    """The pixel discriminator plus a projected one: `score_and_class` gives one score per judge
    (B, 2), which the hinge and non-saturating losses average, so each judge has its own loss.
    Class logits come from the pixel discriminator's classifier. Its weights keep the plain
    discriminator's names, so a model trained without the projected judge fine-tunes into one."""

    def __init__(self, cfg: GANConfig) -> None:
        super().__init__(replace(cfg, projected=False))
        self.cfg = cfg
        self.projected = ProjectedDiscriminator(cfg)

    def score_and_class(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        score, logits = super().score_and_class(x, y)
        return torch.stack([score, self.projected(x, y)], 1), logits
