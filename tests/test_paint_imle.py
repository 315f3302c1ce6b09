"""Paint's nearest-seed anchoring (IMLE): each real picture gets the seed whose picture is nearest,
and training pulls those pictures closer, so the prior covers every training picture."""

from dataclasses import replace

import torch

from engines import checkpoints
from engines.jobs import running_mean
from engines.paint.images import to_tensor
from engines.paint.imle import match_distance, nearest_latents
from engines.paint.model import Generator, init_weights
from engines.paint.train import TrainConfig, train
from tests.paint_helpers import TINY, shapes, tiny_model

CFG = replace(TINY, n_classes=2)


def _set():
    data = shapes()
    return to_tensor(data.images), torch.from_numpy(data.labels).long(), data


def _raw_generator(path) -> Generator:
    """The trained (not averaged) generator inside a training checkpoint."""
    ck = checkpoints.load(path, engine="paint")
    g = Generator(CFG)
    g.load_state_dict(ck.extra["train"]["G"])
    return g


def test_nearest_seeds_are_nearer_than_random_ones_and_more_candidates_get_nearer(tmp_path):
    x, y, _ = _set()
    g = _raw_generator(tiny_model(tmp_path / "t.pt", steps=60))  # trained a little: its pictures vary with z
    g.train()
    seeded = torch.Generator().manual_seed(1)
    z = nearest_latents(g, x, y, per_image=16, generator=seeded)
    assert z.shape == (len(x), CFG.z_dim) and torch.isfinite(z).all()
    assert g.training  # the generator's mode is restored
    assert torch.equal(z, nearest_latents(g, x, y, per_image=16, generator=torch.Generator().manual_seed(1)))
    few = nearest_latents(g, x, y, per_image=1, generator=torch.Generator().manual_seed(2))
    near, fewer, rand = (match_distance(g, x, y, v) for v in (z, few, torch.randn(len(x), CFG.z_dim)))
    assert near < fewer < rand * 1.02 and near < rand


def test_anchored_training_brings_every_picture_within_reach_and_records_it(tmp_path):
    x, y, data = _set()
    common = {"steps": 60, "batch": 16, "preview_every": 30, "checkpoint_every": 30}
    torch.manual_seed(0)
    start = Generator(CFG)
    init_weights(start)
    before = match_distance(start, x, y, nearest_latents(start, x, y, 8, generator=torch.Generator().manual_seed(0)))
    reach = {}
    for name, weight in (("plain", 0.0), ("imle", 4.0)):
        torch.manual_seed(0)
        events = list(train(data, tmp_path / f"{name}.pt", CFG, TrainConfig(imle=weight, imle_every=10, **common),
                            device="cpu"))
        assert events[-1].done and events[-1].step == 60
        g = _raw_generator(tmp_path / f"{name}.pt")
        reach[name] = match_distance(g, x, y, nearest_latents(g, x, y, 8, generator=torch.Generator().manual_seed(0)))
    assert reach["imle"] < before and reach["imle"] < 0.98 * reach["plain"]
    ck = checkpoints.load(tmp_path / "imle.pt", engine="paint")
    assert ck.meta["train_config"]["imle"] == 4.0 and 0 < ck.meta["metrics"]["imle_pull"] < 2
    assert "imle_pull" not in checkpoints.load(tmp_path / "plain.pt", engine="paint").meta["metrics"]
    # it resumes: the seeds are chosen afresh from the resumed generator
    more = list(train(data, tmp_path / "imle.pt", CFG, TrainConfig(imle=4.0, imle_every=10, **{**common, "steps": 70}),
                      device="cpu"))
    assert more[0].message.startswith("resumed at step 60") and more[-1].step == 70


def test_loss_averages_stay_on_the_device_until_read():
    avg = None
    for v in (torch.tensor(2.0), torch.tensor(4.0)):
        avg = running_mean(avg, v)
    assert isinstance(avg, torch.Tensor) and abs(float(avg) - 2.1) < 1e-6
    assert running_mean(float("nan"), 3.0) == 3.0 and abs(running_mean(1.0, 3.0) - 1.1) < 1e-9
