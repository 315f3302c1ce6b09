"""Paint's networks and their parts: generator and discriminator shapes, class conditioning and
blends, DiffAugment, minibatch std, and the class-balanced sampler training draws pictures with."""

from dataclasses import replace

import pytest
import torch

from engines.jobs import running_mean
from engines.paint.augment import cutout, diff_augment, translation
from engines.paint.losses import class_loss
from engines.paint.model import (
    ConditionalBatchNorm2d,
    Discriminator,
    GANConfig,
    Generator,
    init_weights,
    minibatch_std,
    one_hot,
)
from engines.paint.recipe import TrainConfig, class_sampler
from engines.paint.weights import add_std_channel
from tests.paint_helpers import TINY


@pytest.mark.parametrize("res", [32, 64, 128])
@pytest.mark.parametrize("plain", [False, True])
def test_generator_and_discriminator_shapes_and_range(res, plain):
    cfg = (GANConfig.plain if plain else GANConfig)(resolution=res, ngf=8, ndf=8, n_classes=3)
    g, d = Generator(cfg), Discriminator(cfg)
    y = one_hot(torch.tensor([0, 2]), 3)
    x = g(torch.randn(2, cfg.z_dim), y)
    assert x.shape == (2, 3, res, res)
    assert x.min() >= -1 and x.max() <= 1
    assert d(x, y).shape == (2,)


def test_discriminator_classifier_and_class_loss():
    d, plain = Discriminator(TINY), Discriminator(GANConfig.plain(resolution=32, ngf=8, ndf=8))
    x, labels = torch.rand(3, 3, 32, 32) * 2 - 1, torch.tensor([0, 5, 7])
    score, logits = d.eval().score_and_class(x, one_hot(labels, 8))
    assert logits.shape == (3, 8) and torch.allclose(score, d(x, one_hot(labels, 8)))
    assert plain.score_and_class(x, one_hot(labels, 8))[1] is None
    assert class_loss(None, labels, 0.5) == 0.0 and class_loss(logits, labels, 0.0) == 0.0
    assert torch.isclose(class_loss(logits, labels, 0.5), 0.5 * torch.nn.functional.cross_entropy(logits, labels))
    assert TrainConfig.plain().class_weight == 0 and not GANConfig.plain().classifier


def test_generator_takes_class_blends():
    g = Generator(TINY).eval()
    z = torch.randn(1, TINY.z_dim)
    a, b = one_hot(torch.tensor([0]), 8), one_hot(torch.tensor([1]), 8)
    mid = g(z, 0.5 * a + 0.5 * b)
    assert not torch.allclose(mid, g(z, a)) and not torch.allclose(mid, g(z, b))


def test_conditional_batchnorm_starts_as_plain_batchnorm_and_then_shapes_each_class():
    plain_cfg = replace(TINY, cond_bn=False)
    assert TINY.cond_bn and not GANConfig.plain().cond_bn
    # a model trained before the vision-aided discriminator's options went still loads
    assert GANConfig.from_dict({**TINY.to_dict(), "projected": True, "projected_size": 128}) == TINY
    old, new = Generator(plain_cfg), Generator(TINY)
    init_weights(old)
    init_weights(new)
    missing = new.load_state_dict(old.state_dict(), strict=False).missing_keys
    assert missing and all(k.endswith(("class_gain", "class_shift")) for k in missing)
    z, y = torch.randn(4, TINY.z_dim), one_hot(torch.tensor([0, 1, 2, 3]), 8)
    assert torch.allclose(old(z, y), new(z, y), atol=1e-6)  # zero offsets: the same model
    norms = [m for m in new.modules() if isinstance(m, ConditionalBatchNorm2d)]
    assert len(norms) == TINY.n_up
    with torch.no_grad():
        for m in norms:
            m.class_gain.normal_(0, 0.5)
            m.class_shift.normal_(0, 0.5)
    new.eval()
    z1 = z[:1].repeat(2, 1)
    a, b = one_hot(torch.tensor([0]), 8), one_hot(torch.tensor([1]), 8)
    assert not torch.allclose(*new(z1, torch.cat([a, b])).chunk(2), atol=1e-3)  # the class reaches every layer
    h = torch.randn(3, norms[0].num_features, 4, 4)
    mid = norms[0](h, 0.5 * a + 0.5 * b)
    assert torch.allclose(mid, 0.5 * norms[0](h, a) + 0.5 * norms[0](h, b), atol=1e-5)  # blends are linear


def test_loss_averages_stay_on_the_device_until_read():
    avg = None
    for v in (torch.tensor(2.0), torch.tensor(4.0)):
        avg = running_mean(avg, v)
    assert isinstance(avg, torch.Tensor) and abs(float(avg) - 2.1) < 1e-6
    assert running_mean(float("nan"), 3.0) == 3.0 and abs(running_mean(1.0, 3.0) - 1.1) < 1e-9


def test_balanced_sampling_draws_rare_classes_as_often():
    labels = torch.tensor([0] * 90 + [1] * 5 + [3] * 5)  # class 2 has no pictures
    counts = torch.bincount(labels[class_sampler(labels, 4, True)(4000)], minlength=4)
    assert counts[2] == 0 and all(1150 < int(c) < 1520 for c in counts[[0, 1, 3]])
    uniform = torch.bincount(labels[class_sampler(labels, 4, False)(4000)], minlength=4)
    assert uniform[0] > 3400


def test_diffaugment_keeps_shape_and_changes_pixels():
    torch.manual_seed(0)
    x = torch.rand(8, 3, 32, 32) * 2 - 1
    assert diff_augment(x).shape == x.shape
    assert diff_augment(x, "") is x
    shifted = translation(x)
    assert shifted.shape == x.shape and not torch.equal(shifted, x)
    cut = cutout(torch.ones(8, 3, 32, 32))
    zeros = (cut == 0).float().mean((1, 2, 3))
    assert ((zeros > 0.05) & (zeros <= 0.26)).all()  # up to a quarter of the picture blanked


def test_diffaugment_in_groups_treats_each_group_alike():
    # minibatch std reads how a group of four differs: copies of one picture must stay copies
    torch.manual_seed(0)
    x = (torch.rand(2, 3, 32, 32) * 2 - 1).repeat_interleave(4, 0)
    a = diff_augment(x, group=4)
    assert all(torch.equal(a[i], a[i - i % 4]) for i in range(8))
    assert not torch.equal(a[0], x[0]) and not torch.equal(a[4], x[4])
    per_picture = diff_augment(x)
    assert not torch.equal(per_picture[0], per_picture[1])
    with pytest.raises(ValueError, match="groups of 4"):
        diff_augment(x[:6], group=4)


def test_minibatch_std_shows_a_group_of_alike_pictures_and_joins_an_old_discriminator():
    torch.manual_seed(0)  # untrained spectral norms score in the millions: a fixed draw keeps the rounding small
    alike = torch.randn(1, 5, 4, 4).expand(8, -1, -1, -1)
    varied = torch.randn(8, 5, 4, 4)
    assert minibatch_std(alike).shape == (8, 6, 4, 4) and minibatch_std(alike)[:, 5].abs().max() < 1e-3
    std = minibatch_std(varied)[:, 5, 0, 0]
    assert (std > 0.3).all() and std[0] == std[3] and std[3] != std[4]  # one value per group of four
    assert minibatch_std(torch.randn(6, 5, 4, 4))[:, 5].abs().max() < 1e-3  # ragged batch: no signal
    # an old discriminator gains the channel with zero weights and scores exactly as before
    old = Discriminator(replace(TINY, n_classes=2)).eval()
    new = Discriminator(replace(TINY, n_classes=2, minibatch_std=True)).eval()
    assert new.load_state_dict(add_std_channel(old.state_dict(), new)) is not None
    x, y = torch.randn(8, 3, 32, 32), one_hot(torch.arange(8) % 2, 2)
    with torch.no_grad():
        assert torch.allclose(old(x, y), new(x, y), atol=1e-6)
    # training draws each group of four from one class
    labels = torch.tensor([0] * 30 + [1] * 3 + [2] * 7)
    groups = labels[class_sampler(labels, 3, True, group=4)(400)].reshape(100, 4)
    assert (groups == groups[:, :1]).all() and set(groups[:, 0].tolist()) == {0, 1, 2}
