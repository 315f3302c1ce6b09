"""Picture quality in EfficientNet-lite0 feature space.

FD-lite0: Fréchet distance to the training set, as FID does with Inception features (Heusel et
al. 2017, https://arxiv.org/abs/1706.08500). Lower is better; only comparable at equal sample counts.
Class accuracy: a linear probe trained on the real pictures' features names the class of each
generated picture; the share named as the class it was drawn for says whether each class is
recognisable (compare it with the probe's own held-out accuracy on real pictures).
Coverage: the share of a class's real pictures that have a generated one among their nearest
neighbours (the probe file keeps the real features, compressed), so a class that collapsed to one
picture shows even when that picture is named right.

    python -m engines.paint.eval.quality --data emoji --out assets/models/paint/emoji-fd-stats.npz \
        --probe-out assets/models/paint/emoji-probe.npz
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.linalg
import scipy.spatial.distance
import torch
import torch.nn.functional as F

from engines.backbones import efficientnet_lite0
from engines.paint import anchors as anchoring
from engines.paint.data import parent_classes, training_set
from engines.paint.explore import PaintModel

FEATURE_SIZE = 224


@torch.no_grad()
def features(images: np.ndarray | torch.Tensor, batch: int = 50) -> np.ndarray:
    """Pooled lite0 features (N, 1280) of uint8 pictures (N, H, W, 3) or tensors in [-1, 1]."""
    net = efficientnet_lite0.load()
    out = []
    for i in range(0, len(images), batch):
        chunk = images[i : i + batch]
        if isinstance(chunk, np.ndarray):
            x = torch.from_numpy(np.ascontiguousarray(chunk)).permute(0, 3, 1, 2).float() / 255.0
        else:
            x = (chunk.float().cpu() + 1) / 2
        x = F.interpolate(x, size=(FEATURE_SIZE, FEATURE_SIZE), mode="bilinear", align_corners=False)
        out.append(net.features(x).double().numpy())
    return np.concatenate(out)


def stats(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of features."""
    return feats.mean(0), np.cov(feats, rowvar=False)


def frechet_distance(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^1/2)."""
    covmean, _ = scipy.linalg.sqrtm(s1 @ s2, disp=False)
    if not np.isfinite(covmean).all():  # nearly singular product: regularise as FID code does
        eps = np.eye(len(s1)) * 1e-6
        covmean = scipy.linalg.sqrtm((s1 + eps) @ (s2 + eps))
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


@torch.no_grad()
def model_features(
    model: PaintModel,
    n: int,
    class_weights: np.ndarray | None = None,
    seed: int = 0,
    batch: int = 50,
    psi: float = 1.0,
    truncation: str = "anchor",
) -> np.ndarray:
    """lite0 features of `n` pictures from the model (truncation `psi`, 1 = none, as in
    `class_scores`), classes drawn in proportion to `class_weights` (the training set's class
    counts) or uniformly."""
    n_cls = len(model.class_names)
    p = np.ones(n_cls) if class_weights is None else np.asarray(class_weights, dtype=np.float64)
    rng = np.random.default_rng(seed)
    labels = torch.from_numpy(rng.choice(n_cls, size=n, p=p / p.sum()))
    gen = torch.Generator().manual_seed(seed)
    feats = []
    for i in range(0, n, batch):
        y = F.one_hot(labels[i : i + batch], n_cls).float().to(model.device)
        z = torch.randn(len(y), model.z_dim, generator=gen).to(model.device)
        z = anchoring.truncate(model.anchors if truncation == "anchor" else None, z, labels[i : i + batch], psi, gen)
        feats.append(features(model.generator(z, y), batch))
    return np.concatenate(feats)


def fd_to_stats(
    model: PaintModel,
    stats_path: str | Path,
    n: int = 1000,
    seed: int = 0,
    psi: float = 1.0,
    truncation: str = "anchor",
) -> float:
    """FD-lite0 between `n` generated pictures (truncation `psi`; 1 = none) and saved training-set
    statistics, classes drawn in proportion to the training pictures (the model's own counts
    when it records them)."""
    ref = np.load(stats_path)
    n_cls = len(model.class_names)
    candidates = (model.meta.get("class_counts"), ref["class_counts"])
    weights = next((c for c in candidates if c is not None and len(c) == n_cls), None)
    mu, sigma = stats(model_features(model, n, weights, seed, psi=psi, truncation=truncation))
    return frechet_distance(mu, sigma, ref["mu"].astype(np.float64), ref["sigma"].astype(np.float64))


def _train_probe(
    x: torch.Tensor, y: torch.Tensor, n_cls: int, weight_decay: float, steps: int = 300
) -> torch.nn.Linear:
    torch.manual_seed(0)
    probe = torch.nn.Linear(x.shape[1], n_cls).double()
    opt = torch.optim.LBFGS(probe.parameters(), lr=1, max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(probe(x), y) + weight_decay * probe.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return probe


def fit_probe(feats: np.ndarray, labels: np.ndarray, weight_decay: float = 1e-3, folds: int = 5) -> dict:
    """A linear classifier on standardised lite0 features, with its k-fold held-out accuracy
    on the real pictures (the ceiling a generator's class accuracy can be read against)."""
    mean, std = feats.mean(0), feats.std(0) + 1e-6
    x, y = torch.from_numpy((feats - mean) / std), torch.from_numpy(labels).long()
    n_cls = int(labels.max()) + 1
    order = np.random.default_rng(0).permutation(len(x))
    right = 0
    for k in range(folds):
        test = order[k::folds]
        train = np.setdiff1d(order, test)
        probe = _train_probe(x[train], y[train], n_cls, weight_decay)
        with torch.no_grad():
            right += int((probe(x[test]).argmax(1) == y[test]).sum())
    probe = _train_probe(x, y, n_cls, weight_decay)
    return {
        "mean": mean,
        "std": std,
        "weight": probe.weight.detach().numpy(),
        "bias": probe.bias.detach().numpy(),
        "real_acc": right / len(x),
    }


@dataclass
class ClassScores:
    """How a model draws each of a probe's classes: whether the probe names the pictures as
    their class (accuracy), and how much of the real class they reach (coverage)."""

    accuracy: float
    per_class: dict[str, float]
    coverage: float | None  # None when the probe keeps no real features
    coverage_per_class: dict[str, float]


def compact_features(feats: np.ndarray, labels: np.ndarray, dims: int = 128) -> dict[str, np.ndarray]:
    """The real pictures' features on their first `dims` principal axes (about 80% of the
    variance at 128), small enough to ship in a probe file so coverage needs no font."""
    mean = feats.mean(0)
    _, _, vt = np.linalg.svd(feats - mean, full_matrices=False)
    basis = vt[:dims].T
    return {"pca_mean": mean, "pca_basis": basis, "real_pca": (feats - mean) @ basis, "real_labels": labels}


def coverage(real: np.ndarray, fake: np.ndarray, k: int = 5) -> float:
    """Share of real pictures whose ball out to their k-th nearest real neighbour holds a
    generated one (Naeem et al. 2020, https://arxiv.org/abs/2002.09797): a class that draws
    one picture for every seed covers almost none. Compare at equal sample counts."""
    if len(real) <= k or not len(fake):
        return float("nan")
    radius = np.sort(scipy.spatial.distance.cdist(real, real), axis=1)[:, k]
    return float((scipy.spatial.distance.cdist(real, fake).min(1) < radius).mean())


@torch.no_grad()
def class_scores(
    model: PaintModel,
    probe_path: str | Path,
    per_class: int = 100,
    seed: int = 0,
    psi: float = 1.0,
    truncation: str = "anchor",
) -> ClassScores:
    """Draw `per_class` pictures of each of the probe's classes (truncation `psi`, 1 = none,
    toward the model's anchors as the tab does or, with truncation 'mean', toward the mean),
    and score them: the share the probe names as the class they were drawn for, and their
    coverage of the real class's pictures (when the probe keeps their features).

    A model of kinds ('faces: smileys') is read against a probe of their groups ('faces'): each
    group's pictures are drawn from its kinds in proportion to their training pictures."""
    probe = dict(np.load(probe_path))  # an npz re-reads an array on every lookup: read each once
    names = model.class_names
    groups = [str(c) for c in probe["class_names"]] if "class_names" in probe else names
    parents = list(range(len(names))) if groups == names else parent_classes(names, groups)
    if parents is None:
        raise ValueError(f"the probe knows {', '.join(groups)}; this model's classes are {', '.join(names)}")
    real = probe["real_pca"].astype(np.float64) if "real_pca" in probe else None
    basis = probe["pca_basis"].astype(np.float64) if real is not None else None
    counts = np.asarray(model.meta.get("class_counts") or [1] * len(names), dtype=np.float64)
    gen, rng = torch.Generator().manual_seed(seed), np.random.default_rng(seed)
    per, cover = {}, {}
    for g, group in enumerate(groups):
        kinds = [i for i, p in enumerate(parents) if p == g]
        if not kinds:
            continue
        labels = (
            rng.choice(kinds, per_class, p=counts[kinds] / counts[kinds].sum())
            if len(kinds) > 1
            else np.full(per_class, kinds[0])
        )
        z = torch.randn(per_class, model.z_dim, generator=gen).to(model.device)
        z = anchoring.truncate(model.anchors if truncation == "anchor" else None, z, torch.from_numpy(labels), psi, gen)
        y = F.one_hot(torch.from_numpy(labels), len(names)).float().to(model.device)
        raw = features(model.generator(z, y))
        f = (raw - probe["mean"]) / probe["std"]
        guess = (f @ probe["weight"].T + probe["bias"]).argmax(1)
        per[group] = float((guess == g).mean())
        if real is not None:
            fake = (raw - probe["pca_mean"]) @ basis
            cover[group] = coverage(real[probe["real_labels"] == g], fake)
    mean_cover = float(np.nanmean(list(cover.values()))) if cover else None
    return ClassScores(float(np.mean(list(per.values()))), per, mean_cover, cover)


def probe_arrays(probe: dict, class_names: list[str]) -> dict[str, np.ndarray]:
    """What a probe file stores: float32 weights, float16 real features, int16 labels."""
    small = {"real_pca": np.float16, "pca_basis": np.float16, "real_labels": np.int16}
    return {
        "class_names": np.array(class_names),
        **{k: np.asarray(v, dtype=small.get(k, np.float32)) for k, v in probe.items()},
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, nargs="+", help="'emoji', a prepared .npz, or files/folders/zips")
    p.add_argument("--out", required=True, help=".npz with mu, sigma, class_counts")
    p.add_argument("--probe-out", help="also fit the class probe on the pictures' features and save it here")
    p.add_argument("--resolution", type=int, default=64)
    args = p.parse_args(argv)
    data, _ = training_set(args.data, args.resolution)
    images, labels = data.images, data.labels
    feats = features(images)
    mu, sigma = stats(feats)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        mu=mu.astype(np.float32),
        sigma=sigma.astype(np.float32),
        class_counts=np.bincount(labels),
        n=len(images),
    )
    print(f"wrote {args.out} from {len(images)} pictures")
    if args.probe_out:
        probe = fit_probe(feats, labels)
        probe.update(compact_features(feats, labels))
        np.savez_compressed(args.probe_out, **probe_arrays(probe, data.class_names))
        print(f"wrote {args.probe_out}: held-out accuracy on the real pictures {probe['real_acc']:.3f}")


if __name__ == "__main__":
    main()
