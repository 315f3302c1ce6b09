"""Paint's evaluation tools (engines/paint/eval): the Fréchet distance, class probes and coverage, and
the pixel probe, a class probe that shares no weights with any feature network a model could have
been trained against."""

import numpy as np
import pytest
import torch

from engines.paint import explore
from engines.paint.eval import pixel_probe
from engines.paint.eval.quality import class_scores, compact_features, coverage, fit_probe, frechet_distance
from engines.paint.images import to_tensor
from tests.paint_helpers import shapes, tiny_model


def test_pixel_probe_learns_from_pixels_round_trips_and_reads_a_model(tmp_path):
    data = shapes(n=64)
    net, acc = pixel_probe.fit(data.images, data.labels, 2, steps=60, batch=16)
    assert acc >= 0.85  # discs vs squares on the held-out 20%
    path = pixel_probe.save(tmp_path / "probe.pt", net, data.class_names, acc, "shapes")
    again, meta = pixel_probe.load(path)
    x = to_tensor(data.images[:8])
    with torch.no_grad():
        assert torch.equal(net(x).argmax(1), again(x).argmax(1))
    assert meta["class_names"] == ["discs", "squares"] and meta["held_out_acc"] == acc
    model = explore.load_model(tiny_model(tmp_path / "m.pt", steps=10))
    mean, per = pixel_probe.accuracy(model, path, per_class=8)
    assert set(per) == {"discs", "squares"} and 0 <= mean <= 1 and mean == pytest.approx(sum(per.values()) / 2)
    assert pixel_probe.accuracy(model, (again, meta), per_class=8) == (mean, per)  # a loaded probe reads alike
    pixel_probe.save(tmp_path / "other.pt", net, ["a", "b"], acc, "other")
    with pytest.raises(ValueError, match="the probe knows a, b"):
        pixel_probe.accuracy(model, tmp_path / "other.pt")


def test_frechet_distance_and_class_probe():
    rng = np.random.default_rng(0)
    cov = np.eye(4) * 0.5
    assert abs(frechet_distance(np.zeros(4), cov, np.zeros(4), cov)) < 1e-6
    assert abs(frechet_distance(np.zeros(4), cov, np.full(4, 1.5), cov) - 4 * 1.5**2) < 1e-6
    labels = np.repeat(np.arange(3), 40)
    feats = rng.normal(size=(120, 16)) + np.eye(3, 16)[labels] * 4  # three separable clusters
    probe = fit_probe(feats, labels)
    assert probe["real_acc"] >= 0.9 and probe["weight"].shape == (3, 16) and probe["bias"].shape == (3,)
    shuffled = fit_probe(feats, rng.permutation(labels))
    assert shuffled["real_acc"] < 0.6  # no signal, no accuracy


def test_bundled_model_class_accuracy_and_coverage_read_every_class():
    model = explore.load_model(explore.BUNDLED_DIR / "emoji.pt", "cpu")
    probe = explore.BUNDLED_DIR / ("emoji-kinds-probe.npz" if len(model.class_names) > 8 else "emoji-probe.npz")
    scores = class_scores(model, probe, per_class=8)
    per = scores.per_class
    assert list(per) == model.class_names and all(0 <= v <= 1 for v in per.values())
    assert scores.accuracy == pytest.approx(np.mean(list(per.values())))
    assert scores.accuracy > 1 / len(per)  # better than chance even on a tiny sample
    assert list(scores.coverage_per_class) == model.class_names
    assert 0 < scores.coverage <= 1 and all(0 <= v <= 1 for v in scores.coverage_per_class.values())
    mean_only = class_scores(model, probe, per_class=8, psi=0.0, truncation="mean")
    assert set(mean_only.per_class.values()) <= {0.0, 1.0}  # full truncation: one picture per class, named or not
    assert mean_only.coverage < scores.coverage  # and one picture reaches fewer of the real emoji


def test_coverage_sees_a_class_that_draws_one_picture():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(60, 8))
    assert coverage(real, real) == 1.0
    assert coverage(real, rng.normal(size=(60, 8))) > 0.9  # another draw of the same distribution
    assert coverage(real, np.repeat(real[:1], 60, axis=0)) < 0.2  # collapsed: one picture for every seed
    assert coverage(real, real + 100) == 0.0  # varied but nowhere near the real pictures
    assert np.isnan(coverage(real[:5], real))  # too few real pictures to have 5 neighbours
    small = compact_features(rng.normal(size=(50, 20)), np.arange(50) % 2, dims=6)
    assert small["real_pca"].shape == (50, 6) and small["pca_basis"].shape == (20, 6)
    assert np.allclose(small["pca_basis"].T @ small["pca_basis"], np.eye(6), atol=1e-8)
