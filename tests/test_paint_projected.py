"""Paint's projected discriminator: frozen EfficientNet-lite0 features, fixed random mixing,
trainable per-scale heads; it trains, saves without the feature network, resumes and fine-tunes."""

from dataclasses import replace

import pytest
import torch

from engines import checkpoints
from engines.backbones import efficientnet_lite0
from engines.paint import explore, pixel_probe
from engines.paint.images import to_tensor
from engines.paint.model import Generator, one_hot
from engines.paint.projected import MIXED, ProjectedDiscriminator, VisionAidedDiscriminator
from engines.paint.train import TrainConfig, train
from tests.paint_helpers import TINY, shapes, tiny_model

PROJ = replace(TINY, projected=True)


@pytest.mark.parametrize("res,size", [(32, 0), (64, 0), (128, 0), (64, 128)])
def test_shapes_at_every_resolution(res, size):
    cfg = replace(PROJ, resolution=res, n_classes=3, projected_size=size)
    d, x = ProjectedDiscriminator(cfg), Generator(cfg)(torch.randn(2, cfg.z_dim), one_hot(torch.tensor([0, 2]), 3))
    score = d(x, one_hot(torch.tensor([0, 2]), 3))
    assert score.shape == (2,) and torch.isfinite(score).all()
    assert [f.shape[1] for f in d.mixed(x)] == list(MIXED)
    assert d.mixed(x)[0].shape[-1] == (size or res) // 4  # lite0 reads the picture at projected_size


def test_feature_network_is_frozen_and_not_saved_and_the_mixing_is_fixed():
    torch.manual_seed(0)
    a = ProjectedDiscriminator(PROJ)
    torch.manual_seed(1)
    b = ProjectedDiscriminator(PROJ)
    state = a.state_dict()
    assert not any("_blocks" in k or "_conv_stem" in k for k in state)  # lite0 comes from pip, not the file
    assert all(torch.equal(state[k], b.state_dict()[k]) for k in state if k.startswith(("ccm", "csm")))
    assert not any(k.startswith(("ccm", "csm")) for k, _ in a.named_parameters())  # mixing is never trained
    assert not any(p.requires_grad for p in efficientnet_lite0.load("cpu").parameters())
    # the generator's gradient passes through the frozen network to the picture
    x = (torch.rand(2, 3, 32, 32) * 2 - 1).requires_grad_(True)
    a(x, one_hot(torch.tensor([0, 1]), 8)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    # the class changes the score (projection at every scale)
    with torch.no_grad():
        assert not torch.allclose(a(x, one_hot(torch.tensor([0, 0]), 8)), a(x, one_hot(torch.tensor([3, 3]), 8)))


def test_projected_training_learns_resumes_and_reloads(tmp_path):
    data = shapes()
    torch.manual_seed(0)
    events = list(train(data, tmp_path / "p.pt", PROJ, TrainConfig(steps=40, batch=16, preview_every=20,
                                                                  checkpoint_every=20), device="cpu"))
    assert events[-1].done and events[-1].step == 40 and all(e.preview is not None for e in events)
    d_losses = [e.d_loss for e in events[1:]]
    assert d_losses[-1] < 2.0  # hinge 2.0 is a discriminator that cannot tell
    ck = checkpoints.load(tmp_path / "p.pt", engine="paint")
    assert ck.config["projected"] and not any("_blocks" in k for k in ck.extra["train"]["D"])
    # the pixel judge and the projected judge each score every picture; both tell real from fake
    d = VisionAidedDiscriminator(replace(PROJ, n_classes=2))
    d.load_state_dict(ck.extra["train"]["D"])
    g = explore.load_model(tmp_path / "p.pt").generator
    y = one_hot(torch.from_numpy(data.labels), 2)
    with torch.no_grad():
        real, logits = d.eval().score_and_class(to_tensor(data.images), y)
        fake = d(g(torch.randn(len(y), PROJ.z_dim), y), y)
    assert real.shape == (len(y), 2) and (real.mean(0) > fake.mean(0)).all()
    assert (logits.argmax(1).numpy() == data.labels).mean() > 0.9
    # resumes with its own discriminator, and samples like any Paint model
    more = list(train(data, tmp_path / "p.pt", PROJ, TrainConfig(steps=50, batch=16, preview_every=10), device="cpu"))
    assert more[0].message == "resumed at step 40" and more[-1].step == 50
    assert explore.generate(explore.load_model(tmp_path / "p.pt"), 3, 1.0, "discs").size == (32, 32)


def test_a_pixel_model_fine_tunes_into_a_vision_aided_one_keeping_its_discriminator(tmp_path):
    base = tiny_model(tmp_path / "base.pt", steps=10)
    events = list(train(shapes(), tmp_path / "ft.pt", PROJ, TrainConfig(steps=2, batch=16), init_from=base,
                        device="cpu"))
    assert events[0].message.startswith("fine-tuning from base.pt")
    ft = checkpoints.load(tmp_path / "ft.pt").extra["train"]
    base_g = checkpoints.load(base).extra["train"]["G"]
    # two Adam steps of 2e-4 move the base's generator weights by well under a fresh init's 0.02 spread
    assert all((ft["G"][k].float() - v.float()).abs().max() < 1e-2 for k, v in base_g.items() if k.endswith("weight"))
    base_d = checkpoints.load(base).extra["train"]["D"]
    assert all((ft["D"][k].float() - v.float()).abs().max() < 1e-2 for k, v in base_d.items() if k.endswith("weight_orig"))
    assert any(k.startswith("projected.heads.") for k in ft["D"])  # the new judge, started afresh
    assert checkpoints.load(tmp_path / "ft.pt").meta["lineage"]


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
