"""A class probe that shares nothing with the models it judges.

The lite0 probe (quality.py) reads pictures through EfficientNet-lite0, a network a generator could
be trained against (as a projected discriminator does), and so learn to please without drawing
better things. This probe is a small CNN trained from scratch on the real
pictures' pixels (with flips, colour and shift augmentation) on a fixed 80% split; its accuracy on
the other 20% is the ceiling to read a model's figure against.

    python -m engines.paint.eval.pixel_probe --data emoji --out assets/models/paint/emoji-pixel-probe.pt
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from engines import checkpoints
from engines.checkpoints import Checkpoint
from engines.paint import anchors as anchoring
from engines.paint.augment import diff_augment
from engines.paint.data import training_set
from engines.paint.explore import PaintModel
from engines.paint.images import to_tensor

ENGINE = "paint-probe"


def make_net(n_classes: int, width: int = 32) -> nn.Sequential:
    """Four conv-BN-ReLU stages (halving the size), global average pool, linear: about 0.4 M weights."""
    layers: list[nn.Module] = []
    c_in = 3
    for i in range(4):
        c = width * 2**i
        layers += [nn.Conv2d(c_in, c, 3, 1, 1), nn.BatchNorm2d(c), nn.ReLU(True)]
        layers.append(nn.MaxPool2d(2) if i < 3 else nn.AdaptiveAvgPool2d(1))
        c_in = c
    return nn.Sequential(*layers, nn.Flatten(), nn.Dropout(0.3), nn.Linear(c_in, n_classes))


def split(n: int, seed: int = 0, share: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """A fixed shuffle of n pictures into training and held-out indices."""
    perm = np.random.default_rng(seed).permutation(n)
    cut = int(share * n)
    return perm[:cut], perm[cut:]


def fit(
    images: np.ndarray, labels: np.ndarray, n_classes: int, steps: int = 1500, batch: int = 64, seed: int = 0
) -> tuple[nn.Sequential, float]:
    """Train on the split's 80% (uint8 pictures (N, H, W, 3)); returns the net (eval mode) and its
    accuracy on the held-out 20%."""
    x, y = to_tensor(images), torch.from_numpy(np.asarray(labels)).long()
    train_idx, held = split(len(x), seed)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = make_net(n_classes)
    opt = torch.optim.AdamW(net.parameters(), 2e-3, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=steps)
    for _ in range(steps):
        idx = torch.from_numpy(rng.choice(train_idx, batch))
        xb = x[idx]
        xb = torch.where(torch.rand(len(xb), 1, 1, 1) < 0.5, xb.flip(3), xb)
        loss = F.cross_entropy(net(diff_augment(xb, "color,translation")), y[idx], label_smoothing=0.1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    net.eval()
    with torch.no_grad():
        acc = float((net(x[held]).argmax(1) == y[held]).float().mean()) if len(held) else float("nan")
    return net, acc


def save(path: str | Path, net: nn.Sequential, class_names: list[str], held_out_acc: float, note: str) -> Path:
    cfg = {"n_classes": len(class_names)}
    meta = {"class_names": list(class_names), "held_out_acc": held_out_acc, "data": note}
    return checkpoints.save(path, Checkpoint(ENGINE, net.state_dict(), cfg, meta, {}))


def load(path: str | Path) -> tuple[nn.Sequential, dict]:
    """The probe (eval mode) and its metadata (class names, held-out accuracy)."""
    ck = checkpoints.load(path, engine=ENGINE)
    net = make_net(int(ck.config["n_classes"]))
    net.load_state_dict(ck.state_dict)
    return net.eval(), ck.meta


@torch.no_grad()
def accuracy(
    model: PaintModel,
    probe: str | Path | tuple[nn.Sequential, dict],
    per_class: int = 125,
    psi: float = 1.0,
    seed: int = 0,
) -> tuple[float, dict[str, float]]:
    """The share of `per_class` pictures of each class (truncation `psi`, toward the model's
    anchors when it has them, as the tab does) that the probe (a path,
    or what `load` returned) names as the class they were drawn for, overall and per class.
    The model's classes must be the probe's."""
    net, meta = probe if isinstance(probe, tuple) else load(probe)
    names = model.class_names
    if list(meta["class_names"]) != names:
        raise ValueError(
            f"the probe knows {', '.join(meta['class_names'])}; this model's classes are {', '.join(names)}"
        )
    gen, per = torch.Generator().manual_seed(seed), {}
    for c, name in enumerate(names):
        z = torch.randn(per_class, model.z_dim, generator=gen).to(model.device)
        z = anchoring.truncate(model.anchors, z, torch.full((per_class,), c), psi, gen)
        y = F.one_hot(torch.full((per_class,), c), len(names)).float().to(model.device)
        per[name] = float((net(model.generator(z, y).float().cpu()).argmax(1) == c).float().mean())
    return float(np.mean(list(per.values()))), per


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, nargs="+", help="'emoji', a prepared .npz, or files/folders/zips")
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--resolution", type=int, default=64)
    args = p.parse_args(argv)
    data, note = training_set(args.data, args.resolution)
    net, acc = fit(data.images, data.labels, len(data.class_names), args.steps)
    save(args.out, net, list(data.class_names), acc, f"{note}; {args.steps} steps on a fixed 80% split")
    print(f"held-out accuracy {acc:.3f} ({len(data.class_names)} classes); wrote {args.out}")


if __name__ == "__main__":
    main()
