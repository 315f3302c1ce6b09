"""Paint's anchors: every training picture's z, found by inverting the generator, kept in the
model file, and what truncation pulls toward in the tab, the CLI and the quality figures."""

from dataclasses import replace

import pytest
import torch

from engines import checkpoints
from engines.paint import anchors, explore
from engines.paint.__main__ import main
from engines.paint.data import save_prepared
from engines.paint.export import export_for_sampling, export_resume_state
from engines.paint.images import to_tensor
from engines.paint.model import Generator, one_hot
from engines.paint.recipe import TrainConfig
from engines.paint.train import train
from tests.paint_helpers import TINY, shapes, tiny_model


def _set():
    data = shapes()
    return to_tensor(data.images), torch.from_numpy(data.labels).long(), data


def test_inverting_draws_each_picture_closer_than_the_nearest_seed(tmp_path):
    x, y, _ = _set()
    g = explore.load_model(tiny_model(tmp_path / "m.pt", steps=200)).generator
    # pictures the generator can draw (from z it is not told): gradient steps on z find them far
    # better than the best of 8 x 16 random seeds
    with torch.no_grad():
        own = g(torch.randn(len(y), g.cfg.z_dim, generator=torch.Generator().manual_seed(3)), one_hot(y, 2))
    assert anchors.invert(g, own, y, steps=60).l1 < 0.6 * anchors.invert(g, own, y, steps=0).l1
    # real pictures: never further than where it started (each keeps its best z)
    start = anchors.invert(g, x, y, steps=0)
    found = anchors.invert(g, x, y, steps=60)
    assert found.z.shape == (len(x), g.cfg.z_dim) and torch.equal(found.labels, y)
    assert found.l1 <= start.l1
    assert torch.allclose(found.z.norm(dim=1), torch.full((len(x),), g.cfg.z_dim**0.5), atol=1e-3)
    assert not g.training and not any(p.requires_grad for p in g.parameters())  # left as it was
    with torch.no_grad():
        drawn = g(found.z, one_hot(y, 2))
    assert abs(float((drawn - x).abs().mean()) - found.l1) < 1e-4
    again = anchors.Anchors.from_payload(found.to_payload())
    assert torch.allclose(again.z, found.z, atol=1e-2) and torch.equal(again.labels, y)


def test_nearest_seeds_are_nearer_than_random_ones(tmp_path):
    x, y, _ = _set()
    g = checkpoints.load(tiny_model(tmp_path / "t.pt", steps=60), engine="paint")
    gen = Generator(replace(TINY, n_classes=2))
    gen.load_state_dict(g.extra["train"]["G"])  # the trained (not averaged) generator: its pictures vary with z
    gen.train()
    z = anchors.nearest_latents(gen, x, y, per_image=16, generator=torch.Generator().manual_seed(1))
    assert z.shape == (len(x), TINY.z_dim) and torch.isfinite(z).all()
    assert gen.training  # the generator's mode is restored
    assert torch.equal(z, anchors.nearest_latents(gen, x, y, per_image=16, generator=torch.Generator().manual_seed(1)))
    with torch.no_grad():
        near, rand = (
            float(anchors.distance(gen.eval()(v, one_hot(y, 2)), x).mean())
            for v in (z, torch.randn(len(x), TINY.z_dim))
        )
    assert near < rand


def test_training_keeps_anchors_and_the_tab_truncates_toward_them(tmp_path):
    _, _, data = _set()
    path = tiny_model(tmp_path / "m.pt")
    ck = checkpoints.load(path, engine="paint")
    assert ck.extra["anchors"]["z"].shape == (len(data.images), TINY.z_dim)
    export_for_sampling(path, tmp_path / "small.pt")
    model = explore.load_model(tmp_path / "small.pt")
    assert model.anchors is not None and explore.default_psi(model) == explore.PSI_ANCHOR
    assert explore.truncation_of(model) == "anchor"
    squares = model.anchors.of([1])
    # psi 0: exactly an anchor of the chosen class; the seed picks which
    picked = [explore.latent(model, s, 0.0, blend="squares") for s in range(12)]
    assert all(any(torch.allclose(z, a, atol=1e-4) for a in squares) for z in picked)
    assert len({tuple(z.round(decimals=3).tolist()) for z in picked}) > 3
    # psi 1: the seed's own z, as before anchors
    assert torch.allclose(explore.latent(model, 5, 1.0, blend="squares"), explore.seed_to_z(5, model.z_dim))
    # in between: the same length as a standard normal z, between the two
    mid = explore.latent(model, 5, 0.5, blend="squares")
    assert abs(float(mid.norm()) - model.z_dim**0.5) < 0.6
    # a blend of two classes travels between their two anchors
    disc_a, square_a = (explore.latent(model, 5, 0.0, blend=c) for c in ("discs", "squares"))
    half = explore.latent(model, 5, 0.0, blend={"discs": 0.5, "squares": 0.5})
    assert torch.allclose(half, explore.slerp(disc_a, square_a, 0.5), atol=1e-4)
    # variation nudges still move a picture at psi 0
    assert not torch.allclose(explore.latent(model, 5, 0.0, nudges=[[1, 0, 0.5]], blend="squares"), picked[5])


def test_recipes_say_how_they_were_truncated_and_old_ones_replay_toward_the_mean(tmp_path):
    model = explore.load_model(tiny_model(tmp_path / "m.pt"))
    rec = explore.recipe(model, 9, 0.3, {"squares": 1.0}, [0.5], [])
    assert rec["truncation"] == "anchor"
    assert explore.from_recipe(model, rec).tobytes() == explore.generate(model, 9, 0.3, "squares", [0.5]).tobytes()
    old = {k: v for k, v in rec.items() if k != "truncation"}  # made before models had anchors
    assert (
        explore.from_recipe(model, old).tobytes()
        == explore.generate(model, 9, 0.3, "squares", [0.5], truncation="mean").tobytes()
    )
    with pytest.raises(ValueError, match="truncation must be"):
        explore.latent(model, 1, 0.5, truncation="sideways")


def test_anchored_truncation_reaches_more_of_the_real_pictures(tmp_path):
    x, y, _ = _set()
    model = explore.load_model(tiny_model(tmp_path / "m.pt", steps=60))
    gen = torch.Generator().manual_seed(0)
    labels = torch.tensor([0] * 8 + [1] * 8)
    z = torch.randn(16, model.z_dim, generator=gen)
    toward_mean = anchors.truncate(None, z, labels, 0.0, gen)
    toward_anchor = anchors.truncate(model.anchors, z, labels, 0.0, gen)
    assert torch.count_nonzero(toward_mean) == 0
    assert all(
        any(torch.allclose(r, a, atol=1e-4) for a in model.anchors.of([int(c)])) for r, c in zip(toward_anchor, labels)
    )
    with torch.no_grad():
        near = model.generator(toward_anchor, one_hot(labels, 2))
        blob = model.generator(toward_mean, one_hot(labels, 2))

    # each anchored picture is nearer some real picture of its class than the mean picture is
    def nearest(pics):
        return torch.stack([torch.cdist(p.flatten()[None], x[y == c].flatten(1)).min() for p, c in zip(pics, labels)])

    assert nearest(near).mean() < nearest(blob).mean()


def test_anchors_command_renews_a_model_file_and_refuses_other_classes(tmp_path):
    _, _, data = _set()
    path = tiny_model(tmp_path / "m.pt")
    ck = checkpoints.load(path, engine="paint")
    del ck.extra["anchors"]
    checkpoints.save(path, ck)
    assert explore.load_model(path).anchors is None
    save_prepared(tmp_path / "set.npz", data, "discs and squares")
    main(["anchors", "--model", str(path), "--data", str(tmp_path / "set.npz"), "--steps", "20"])
    model = explore.load_model(path)
    assert model.anchors is not None and len(model.anchors.z) == len(data.images)
    assert model.meta["anchors"]["steps"] == 20 and model.meta["anchors"]["pictures"] == len(data.images)
    other = shapes()
    other.class_names[:] = ["cats", "dogs"]
    save_prepared(tmp_path / "other.npz", other, "renamed")
    with pytest.raises(SystemExit, match="not the model's"):
        main(["anchors", "--model", str(path), "--data", str(tmp_path / "other.npz")])
    assert explore.load_model(path).meta["anchors"]["steps"] == 20  # the refused run left the file as it was


def test_learning_each_pictures_own_z_draws_the_training_pictures_closer(tmp_path):
    _, _, data = _set()
    common = {
        "steps": 200,
        "batch": 16,
        "preview_every": 100,
        "checkpoint_every": 100,
        "anchor_steps": 30,
        "ema": 0.0,  # sample from G itself: an average over 200 steps would still be mostly the start
        "glo_spread": 0.0,
        "lr_tail": 0.0,
    }  # as this test was written: no spread, a flat learning rate
    reach = {}
    for name, weight in (("plain", 0.0), ("glo", 10.0)):
        events = list(train(data, tmp_path / f"{name}.pt", TINY, TrainConfig(glo=weight, **common), device="cpu"))
        assert events[-1].done and events[-1].step == 200
        ck = checkpoints.load(tmp_path / f"{name}.pt", engine="paint")
        reach[name] = ck.extra["anchors"]["l1"]
    assert reach["glo"] < 0.85 * reach["plain"]  # the final anchors draw the pictures more closely (0.41 vs 0.55)
    tr = checkpoints.load(tmp_path / "glo.pt", engine="paint").extra["train"]
    assert tr["glo_z"].shape == (len(data.images), TINY.z_dim)
    assert 0 < checkpoints.load(tmp_path / "glo.pt", engine="paint").meta["metrics"]["glo_pull"] < 3
    compact = export_resume_state(tmp_path / "glo.pt", tmp_path / "state.pt")
    assert checkpoints.load(compact, engine="paint").extra["train"]["glo_z"].shape == tr["glo_z"].shape
    more = list(
        train(
            data,
            tmp_path / "glo.pt",
            TINY,
            TrainConfig(glo=10.0, **{**common, "steps": 210, "glo_spread": 0.5}),
            device="cpu",
        )
    )
    assert more[0].message.startswith("resumed at step 200") and more[-1].step == 210
    meta = checkpoints.load(tmp_path / "glo.pt", engine="paint").meta
    assert meta["train_config"]["glo_spread"] == 0.5
    assert [(r["steps"], r["train_config"]["glo_spread"]) for r in meta["earlier_runs"]] == [
        (200, 0.0)
    ]  # the run it continued
    from bench.paint import _stages

    stages = _stages(meta)  # the bench lists both runs, with their own steps, adding up to the file's seconds
    assert [s["steps"] for s in stages] == [200, 10]
    assert sum(s["seconds"] for s in stages) == pytest.approx(meta["train_seconds"], abs=0.2)
    resumed = checkpoints.load(tmp_path / "glo.pt", engine="paint").extra["train"]["glo_z"]
    assert (resumed - tr["glo_z"]).abs().max() < 0.5  # it went on from the saved z, not from fresh seeds


def test_spread_starts_part_of_a_batch_near_the_pictures_codes():
    torch.manual_seed(0)
    z, codes = torch.randn(8, 32), torch.randn(8, 32)
    out = anchors.spread(z, codes, 0.5)
    assert torch.equal(out[4:], z[4:]) and torch.equal(anchors.spread(z, codes, 0.0), z)

    def cos(a, b):
        return torch.nn.functional.cosine_similarity(a, b, dim=1)

    # each spread row lies on the great circle between its code and its seed, between the two
    assert torch.all(cos(out[:4], codes[:4]) >= cos(z[:4], codes[:4]) - 1e-5)
    assert torch.all(cos(out[:4], z[:4]) >= cos(z[:4], codes[:4]) - 1e-5)
    ends = anchors.toward(z[:2], codes[:2], torch.tensor([[0.0], [1.0]]))
    assert torch.allclose(ends[0], codes[0], atol=1e-4) and torch.allclose(ends[1], z[1], atol=1e-4)
    assert torch.allclose(anchors.toward(z, codes, torch.full((8, 1), 0.3)), anchors.toward(z, codes, 0.3), atol=1e-5)
