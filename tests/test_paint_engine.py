"""Paint engine: model shapes, augmentation, training that moves and resumes, exploration maths."""

import shutil
import zipfile
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from engines import checkpoints
from engines.archive import ArchiveError
from engines.jobs import StopToken, running_mean
from engines.paint import explore
from engines.paint.augment import cutout, diff_augment, translation
from engines.paint.data import ImageSet, load_image_set, parent_classes
from engines.paint.export import export_for_sampling, export_resume_state
from engines.paint.images import to_tensor
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
from engines.paint.train import TrainConfig, class_sampler, train
from engines.paint.weights import add_std_channel, refine_state
from tests.paint_helpers import TINY, shapes, tiny_model, write_pictures


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


def test_fine_tuning_keeps_the_base_and_records_its_lineage(tmp_path):
    """A model without class-conditional norms gains them by fine-tuning: it starts from the
    base's smoothed (EMA) generator, so its pictures are the base's, and it names its base."""
    no_cbn = GANConfig.from_dict({**TINY.to_dict(), "cond_bn": False})
    for _ in train(
        shapes(),
        tmp_path / "old.pt",
        no_cbn,
        TrainConfig(steps=20, batch=16, preview_every=20),
        device="cpu",
        provenance={"recipe": "tiny", "hardware": "test cpu"},
    ):
        pass
    events = list(
        train(
            shapes(),
            tmp_path / "cbn.pt",
            TINY,
            TrainConfig(steps=1, batch=16, ema=0.9999),
            init_from=tmp_path / "old.pt",
            device="cpu",
            provenance={"recipe": "stage 2"},
        )
    )
    assert "fine-tuning from old.pt" in events[0].message
    ck = checkpoints.load(tmp_path / "cbn.pt", engine="paint")
    assert ck.config["cond_bn"] and ck.meta["recipe"] == "stage 2"
    assert [(s["name"], s["steps"], s["recipe"], s["hardware"]) for s in ck.meta["lineage"]] == [
        ("old", 20, "tiny", "test cpu")
    ]
    before, after = explore.load_model(tmp_path / "old.pt"), explore.load_model(tmp_path / "cbn.pt")
    for seed in range(3):
        a = np.asarray(explore.generate(before, seed, 1.0, "discs"), float)
        b = np.asarray(explore.generate(after, seed, 1.0, "discs"), float)
        assert np.abs(a - b).mean() < 4


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


def test_tiny_training_moves_losses_and_learns_colours(tmp_path):
    data = shapes()
    torch.manual_seed(0)
    events = list(
        train(
            data,
            tmp_path / "m.pt",
            TINY,
            TrainConfig(steps=150, batch=16, preview_every=25, checkpoint_every=75, ema=0.9),
            device="cpu",
        )
    )
    assert events[-1].done and events[-1].step == 150
    d_losses = [e.d_loss for e in events[1:]]
    assert len(set(round(v, 4) for v in d_losses)) > 3  # losses move
    assert d_losses[-1] < 2.0  # D beats chance (hinge loss 2.0 means it cannot tell)
    assert all(e.preview is not None for e in events if e.step % 25 == 0 or e.done)  # early reports: rate, ETA
    model = explore.load_model(tmp_path / "m.pt")
    # pictures move from the untrained mid-grey (about 128) toward the data's white background
    pics = np.stack([np.asarray(explore.generate(model, s, 1.0, "discs")) for s in range(8)]).astype(float)
    assert pics.mean() > 155
    ck = checkpoints.load(tmp_path / "m.pt", engine="paint")
    assert ck.meta["steps"] == 150 and ck.meta["class_names"] == ["discs", "squares"]
    # the discriminator's auxiliary classifier has learnt to name real discs and squares
    d = Discriminator(GANConfig.from_dict(ck.config))
    d.load_state_dict(ck.extra["train"]["D"])
    with torch.no_grad():
        _, logits = d.eval().score_and_class(to_tensor(data.images), one_hot(torch.from_numpy(data.labels), 2))
    assert (logits.argmax(1).numpy() == data.labels).mean() > 0.9


def test_training_resumes_and_stops_cleanly(tmp_path):
    path = tiny_model(tmp_path / "m.pt", steps=20)
    events = list(train(shapes(), path, TINY, TrainConfig(steps=40, batch=16, preview_every=10), device="cpu"))
    assert events[0].message == "resumed at step 20" and events[-1].step == 40
    again = list(train(shapes(), path, TINY, TrainConfig(steps=40, batch=16), device="cpu"))
    assert again[-1].done and "already trained for 40 steps" in again[-1].message
    token = StopToken()
    stream = train(
        shapes(),
        tmp_path / "s.pt",
        TINY,
        TrainConfig(steps=10_000, batch=16, preview_every=5),
        stop=token,
        device="cpu",
    )
    next(stream)
    token.stop()
    last = list(stream)[-1]
    assert last.done and last.message == "stopped" and last.step < 10_000
    assert checkpoints.load(tmp_path / "s.pt").meta["steps"] == last.step


def test_exports_load_and_draw_like_the_original(tmp_path):
    src = tiny_model(tmp_path / "m.pt")
    small = export_for_sampling(src, tmp_path / "small.pt")
    state = export_resume_state(src, tmp_path / "state.pt")
    assert small.stat().st_size < src.stat().st_size
    a, b = explore.load_model(src), explore.load_model(small)
    assert [d.name for d in a.directions] == [d.name for d in b.directions]
    da = np.asarray(explore.generate(a, 3, 0.8, "squares"), float)
    db = np.asarray(explore.generate(b, 3, 0.8, "squares"), float)
    assert np.abs(da - db).mean() < 3  # fp16 weights: nearly the same picture
    events = list(train(shapes(), state, TINY, TrainConfig(steps=35, batch=16, preview_every=5), device="cpu"))
    assert events[0].message == "resumed at step 30"


def test_other_engine_checkpoints_are_refused(tmp_path):
    checkpoints.save(tmp_path / "w.pt", checkpoints.Checkpoint("words", {"x": torch.zeros(1)}, {}))
    with pytest.raises(checkpoints.CheckpointError, match="not a 'paint' model"):
        explore.load_model(tmp_path / "w.pt")


@pytest.mark.parametrize("plain", [False, True])
def test_refining_classes_into_kinds_starts_each_kind_as_its_parent(tmp_path, plain):
    """Fine-tuning onto kinds ('discs: big') copies each parent class's embedding, norms,
    projection, classifier (or label planes) to its kinds, so every kind first draws its parent."""
    cfg = (
        GANConfig.plain(
            **{
                k: v
                for k, v in TINY.to_dict().items()
                if k not in ("spectral_norm", "projection", "cond_bn", "classifier")
            }
        )
        if plain
        else TINY
    )
    tcfg = (TrainConfig.plain if plain else TrainConfig)(steps=20, batch=16, preview_every=20)
    for _ in train(shapes(), tmp_path / "base.pt", cfg, tcfg, device="cpu"):
        pass
    base = shapes()
    kinds = ["discs: big", "discs: small", "squares: all"]
    data = ImageSet(base.images, np.where(base.labels == 1, 2, np.arange(len(base.labels)) % 4 // 2), kinds)
    assert parent_classes(kinds, base.class_names) == [0, 0, 1]
    assert parent_classes(base.class_names, base.class_names) is None
    assert parent_classes(["discs: big", "cats: all"], base.class_names) is None
    old_ck = checkpoints.load(tmp_path / "base.pt", engine="paint")
    for module, key in ((Generator, "G_ema"), (Discriminator, "D")):
        old, new = module(replace(cfg, n_classes=2)).eval(), module(replace(cfg, n_classes=3)).eval()
        old.load_state_dict(old_ck.extra["train"][key])
        state = refine_state(old_ck.extra["train"][key], new.state_dict(), [0, 0, 1], 2)
        new.load_state_dict(state)
        if module is Generator:
            z = torch.randn(3, cfg.z_dim)
            assert torch.allclose(
                old(z, one_hot(torch.tensor([0, 0, 1]), 2)), new(z, one_hot(torch.arange(3), 3)), atol=1e-5
            )
    events = list(
        train(data, tmp_path / "kinds.pt", cfg, replace(tcfg, steps=2), init_from=tmp_path / "base.pt", device="cpu")
    )
    assert "3 classes refined from 2" in events[0].message
    model = explore.load_model(tmp_path / "kinds.pt")
    assert model.class_names == kinds and model.meta["class_counts"] == np.bincount(data.labels).tolist()
    # a group name is the blend of its kinds in proportion to their pictures
    counts = np.bincount(data.labels)
    assert torch.allclose(
        explore.class_vector(model, "discs"),
        torch.tensor([counts[0], counts[1], 0], dtype=torch.float) / (counts[0] + counts[1]),
    )
    assert explore.class_choices(kinds) == ["discs", "discs: big", "discs: small", "squares", "squares: all"]
    with pytest.raises(ValueError, match="no class 'cats'"):
        explore.class_vector(model, "cats")


def test_seeds_truncation_classes_and_recipes(tmp_path):
    model = explore.load_model(tiny_model(tmp_path / "m.pt"))
    same = [np.asarray(explore.generate(model, 5, 0.7, "discs")) for _ in range(2)]
    assert np.array_equal(*same)
    assert not np.array_equal(same[0], np.asarray(explore.generate(model, 6, 0.7, "discs")))
    # psi = 0 toward the mean (the classic truncation) puts every seed at the mean
    assert np.array_equal(
        np.asarray(explore.generate(model, 1, 0.0, "discs", truncation="mean")),
        np.asarray(explore.generate(model, 2, 0.0, "discs", truncation="mean")),
    )
    w = explore.class_vector(model, {"discs": 3, "squares": 1})
    assert torch.allclose(w, torch.tensor([0.75, 0.25]))
    with pytest.raises(ValueError, match="no class 'cats'"):
        explore.class_vector(model, "cats")
    with pytest.raises(ValueError, match="above zero"):
        explore.class_vector(model, {"discs": 0})
    rec = explore.recipe(model, 9, 0.6, {"discs": 0.5, "squares": 0.5}, [1.0, -0.5], [[3, 2, 0.5]], upscale=2)
    again = explore.from_recipe(model, rec)
    direct = explore.generate(model, 9, 0.6, {"discs": 0.5, "squares": 0.5}, [1.0, -0.5], [[3, 2, 0.5]], 2)
    assert again.size == (64, 64) and np.array_equal(np.asarray(again), np.asarray(direct))


def test_directions_are_orthonormal_ordered_and_named(tmp_path):
    model = explore.load_model(tiny_model(tmp_path / "m.pt"))
    vecs = torch.stack([d.vector for d in model.directions])
    assert torch.allclose(vecs @ vecs.T, torch.eye(len(vecs)), atol=1e-5)  # orthonormal
    variances = [d.variance for d in model.directions]
    assert variances == sorted(variances, reverse=True) and 0 < sum(variances) <= 1
    assert all("↔" in d.name for d in model.directions)


def test_slerp_and_morph_endpoints_equal_the_keyframes(tmp_path):
    model = explore.load_model(tiny_model(tmp_path / "m.pt"))
    a, b = explore.seed_to_z(1, model.z_dim), explore.seed_to_z(2, model.z_dim)
    assert torch.allclose(explore.slerp(a, b, 0.0), a, atol=1e-5)
    assert torch.allclose(explore.slerp(a, b, 1.0), b, atol=1e-5)
    mid = explore.slerp(a, b, 0.5)
    assert abs(mid.norm() - (a.norm() + b.norm()) / 2) < 0.15 * a.norm()
    ya, yb = explore.class_vector(model, "discs"), explore.class_vector(model, "squares")
    frames = explore.morph(model, [(a, ya), (b, yb)], frames=10, loop=False)
    first = np.asarray(explore.render(model, a, ya)[0])
    last = np.asarray(explore.render(model, b, yb)[0])
    assert len(frames) == 11
    assert np.array_equal(np.asarray(frames[0]), first) and np.array_equal(np.asarray(frames[-1]), last)
    looped = explore.morph(model, [(a, ya), (b, yb)], frames=10, loop=True)
    assert len(looped) == 10


def test_variations_grid_keeps_the_centre(tmp_path):
    z = explore.seed_to_z(4, 16)
    grid = explore.variations_from(z, 7, 0.5)
    assert len(grid) == 9 and torch.equal(grid[4], z)
    assert all(not torch.equal(g, z) for i, g in enumerate(grid) if i != 4)
    assert torch.equal(explore.nudge(z, [[7, 2, 0.5]]), grid[2])


# ---------------------------------------------------------------- the artist's pictures
def test_image_sets_from_folders_skip_bad_files_and_convert_modes(tmp_path):
    folder = write_pictures(tmp_path / "set", shapes(20))
    (folder / "discs" / "notes.txt").write_text("not a picture")
    (folder / "discs" / "broken.png").write_bytes(b"\x89PNG broken")
    Image.new("CMYK", (50, 40), (0, 255, 255, 0)).save(folder / "squares" / "cmyk.jpg")
    Image.new("L", (30, 30), 128).save(folder / "squares" / "gray.png")
    Image.new("RGBA", (30, 30), (255, 0, 0, 0)).save(folder / "squares" / "clear.png")
    Image.new("RGB", (3000, 2000), (0, 200, 0)).save(folder / "squares" / "huge.jpg")
    data = load_image_set([folder], 32)
    assert data.class_names == ["discs", "squares"]
    assert data.images.shape == (24, 32, 32, 3) and data.images.dtype == np.uint8
    assert sorted(data.skipped) == ["broken.png", "notes.txt"]
    squares = [data.images[i] for i in np.flatnonzero(data.labels == 1)]
    clear, cmyk, gray, huge = squares[10:14]  # files sort after the numbered ones
    assert clear.min() == 255  # transparency lands on white, not black
    assert np.allclose(gray, 128, atol=1) and gray.shape == (32, 32, 3)
    assert huge[..., 1].mean() > 190 and huge[..., 0].mean() < 10  # 3000x2000 green, downscaled
    assert cmyk[..., 0].mean() > 200 and cmyk[..., 1].mean() < 60  # CMYK (0,255,255,0) is red


def test_too_few_pictures_are_refused_with_the_minimum(tmp_path):
    folder = write_pictures(tmp_path / "few", shapes(10), by_class=False)
    with pytest.raises(ValueError, match="at least 16"):
        load_image_set([folder], 32)


def test_zips_load_but_escaping_or_bomb_zips_are_refused(tmp_path):
    folder = write_pictures(tmp_path / "set", shapes(16))
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as zf:
        for p in folder.rglob("*.png"):
            zf.write(p, p.relative_to(folder.parent))
    assert len(load_image_set([good], 32).images) == 16
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../escape.png", b"x")
    with pytest.raises(ArchiveError, match="leaves its folder"):
        load_image_set([evil], 32)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.bin", b"\0" * 5_000_000)
    from engines.archive import safe_extract

    with pytest.raises(ArchiveError, match="unpack to"):
        safe_extract(bomb, tmp_path / "out", max_bytes=1_000_000)


def test_cli_samples_pngs_and_renders_morphs_with_recipes(tmp_path):
    from engines import recipe
    from engines.paint.__main__ import main

    model = tiny_model(tmp_path / "m.pt")
    main(["sample", "--model", str(model), "--seeds", "0-2", "--out", str(tmp_path / "pics"), "--upscale", "2"])
    pngs = sorted((tmp_path / "pics").glob("*.png"))
    assert len(pngs) == 3 and Image.open(pngs[0]).size == (64, 64)
    assert recipe.read(pngs[1])["seed"] == 1
    main(["morph", "--model", str(model), "--seeds", "1", "2", "--frames", "8", "--out", str(tmp_path / "m.gif")])
    assert Image.open(tmp_path / "m.gif").n_frames == 8 and recipe.read(tmp_path / "m.gif")["frames"] == 8
    main(["sheet", "--model", str(model), "--seeds", "4-6", "--out", str(tmp_path / "sheet.png")])
    sheet = Image.open(tmp_path / "sheet.png")
    assert sheet.size == (120 + 3 * 32, 2 * 32) and recipe.read(tmp_path / "sheet.png")["seeds"] == [4, 5, 6]
    loaded = explore.load_model(model)
    cell = np.asarray(sheet.convert("RGB"))[32:, 120 + 32 : 120 + 64]  # second class, second seed
    assert np.array_equal(cell, np.asarray(explore.generate(loaded, 5, explore.default_psi(loaded), "squares")))


def test_frechet_distance_and_class_probe():
    from engines.paint.eval.quality import fit_probe, frechet_distance

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
    from engines.paint.eval.quality import class_scores

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
    from engines.paint.eval.quality import compact_features, coverage

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


def test_minibatch_std_shows_a_group_of_alike_pictures_and_joins_an_old_discriminator(tmp_path):
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
    # training draws each group of four from one class, and fine-tunes an old model into it
    labels = torch.tensor([0] * 30 + [1] * 3 + [2] * 7)
    groups = labels[class_sampler(labels, 3, True, group=4)(400)].reshape(100, 4)
    assert (groups == groups[:, :1]).all() and set(groups[:, 0].tolist()) == {0, 1, 2}
    base = tiny_model(tmp_path / "old.pt", steps=4)
    events = list(
        train(
            shapes(),
            tmp_path / "std.pt",
            replace(TINY, minibatch_std=True),
            TrainConfig(steps=4, batch=16, preview_every=2),
            init_from=base,
            device="cpu",
        )
    )
    assert events[-1].done and np.isfinite(events[-1].d_loss)
    assert checkpoints.load(tmp_path / "std.pt").config["minibatch_std"]


def test_prepared_sets_round_trip_and_train_from_the_command_line(tmp_path):
    from engines.paint.data import ImageSet, save_prepared, training_set
    from engines.paint.train import main

    rng = np.random.default_rng(0)
    data = ImageSet(rng.integers(0, 255, (16, 32, 32, 3), dtype=np.uint8), np.arange(16) % 2, ["red", "blue"])
    save_prepared(tmp_path / "set.npz", data, "sixteen test pictures")
    back, note = training_set([str(tmp_path / "set.npz")], 32)
    assert np.array_equal(back.images, data.images) and np.array_equal(back.labels, data.labels)
    assert back.class_names == ["red", "blue"] and note == "sixteen test pictures"
    with pytest.raises(ValueError, match="64px needs"):
        training_set([str(tmp_path / "set.npz")], 64)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a prepared picture set"):
        training_set([str(tmp_path / "bad.npz")], 32)
    main(
        [
            "--data",
            str(tmp_path / "set.npz"),
            "--out",
            str(tmp_path / "m.pt"),
            "--steps",
            "2",
            "--resolution",
            "32",
            "--width",
            "16",
            "--checkpoint-every",
            "2",
            "--preview-every",
            "2",
            "--device",
            "cpu",
        ]
    )
    ck = checkpoints.load(tmp_path / "m.pt")
    assert ck.meta["data"] == "sixteen test pictures" and ck.meta["class_names"] == ["red", "blue"]


def test_emoji_kinds_sit_inside_their_groups(tmp_path, monkeypatch):
    """The 33 kinds each name one group and own distinct Unicode subgroups; reading emoji-test.txt
    labels an emoji by its group or by its kind, and a subgroup without a kind is refused."""
    from engines.paint import emoji

    assert len(emoji.KIND_NAMES) == 33
    assert parent_classes(list(emoji.KIND_NAMES), list(emoji.CLASS_NAMES)) == [g for g, _, _ in emoji.KINDS]
    subs = [s for _, _, group_subs in emoji.KINDS for s in group_subs]
    assert len(subs) == len(set(subs))
    test_file = tmp_path / "emoji-test.txt"
    test_file.write_text(
        "# group: Smileys & Emotion\n# subgroup: face-smiling\n"
        "1F600 ; fully-qualified # 😀 grinning face\n"
        "# subgroup: heart\n2764 FE0F ; fully-qualified # ❤️ red heart\n"
        "2764 ; unqualified # ❤ red heart\n"
        "# group: Food & Drink\n# subgroup: food-sweet\n1F370 ; fully-qualified # 🍰 shortcake\n"
        "# subgroup: food-fruit\n1F468 200D 1F373 ; fully-qualified # a sequence, left out\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(emoji, "EMOJI_TEST_PATHS", (str(test_file),))
    assert list(emoji.emoji_by_group()) == [("😀", 0), ("❤", 0), ("🍰", 3)]
    kinds = list(emoji.emoji_by_group(kinds=True))
    assert [(c, emoji.KIND_NAMES[k]) for c, k in kinds] == [
        ("😀", "faces: smileys"),
        ("❤", "faces: hearts & emotions"),
        ("🍰", "food & drink: sweets"),
    ]
    test_file.write_text("# group: Objects\n# subgroup: time-machines\n1F570 ; fully-qualified # x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="time-machines"):
        list(emoji.emoji_by_group(kinds=True))


def test_default_model_comes_first_and_the_kinds_model_names_its_kinds(tmp_path):
    from engines.paint.eval.quality import class_scores

    mine = tmp_path / "aaa.pt"  # an artist's model sorts after the bundled default whatever its name
    shutil.copy(explore.BUNDLED_DIR / "emoji.pt", mine)
    found = explore.available_models(tmp_path)
    assert list(found)[0] == explore.DEFAULT_MODEL and list(found)[-1] == "aaa (yours)"
    model = explore.load_model(found["emoji-kinds (bundled)"], "cpu")
    assert len(model.class_names) == 33 and model.class_names[18] == "travel & places: clocks & time"
    scores = class_scores(model, explore.BUNDLED_DIR / "emoji-kinds-probe.npz", per_class=4)
    assert list(scores.per_class) == model.class_names
    assert scores.accuracy > 3 / 33  # several times chance even on 4 pictures a kind
