"""Paint engine: exploring a model (seeds, truncation, classes, directions, morphs, variations,
recipes), the artist's picture sets, the bundled models and emoji kinds, and the picture commands."""

import shutil
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from engines import checkpoints, recipe
from engines.archive import ArchiveError, safe_extract
from engines.paint import emoji, explore
from engines.paint.__main__ import main
from engines.paint.data import load_image_set, parent_classes
from engines.paint.eval.quality import class_scores
from tests.paint_helpers import shapes, tiny_model, write_pictures


def test_other_engine_checkpoints_are_refused(tmp_path):
    checkpoints.save(tmp_path / "w.pt", checkpoints.Checkpoint("words", {"x": torch.zeros(1)}, {}))
    with pytest.raises(checkpoints.CheckpointError, match="not a 'paint' model"):
        explore.load_model(tmp_path / "w.pt")


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
    with pytest.raises(ArchiveError, match="unpack to"):
        safe_extract(bomb, tmp_path / "out", max_bytes=1_000_000)


def test_cli_samples_pngs_and_renders_morphs_with_recipes(tmp_path):
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


def test_emoji_kinds_sit_inside_their_groups(tmp_path, monkeypatch):
    """The 33 kinds each name one group and own distinct Unicode subgroups; reading emoji-test.txt
    labels an emoji by its group or by its kind, and a subgroup without a kind is refused."""
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
    mine = tmp_path / "aaa.pt"  # an artist's model sorts after the bundled default whatever its name
    shutil.copy(explore.BUNDLED_DIR / "emoji.pt", mine)
    found = explore.available_models(tmp_path)
    assert list(found)[0] == explore.DEFAULT_MODEL and list(found)[-1] == "aaa (yours)"
    model = explore.load_model(found["emoji-kinds (bundled)"], "cpu")
    assert len(model.class_names) == 33 and model.class_names[18] == "travel & places: clocks & time"
    scores = class_scores(model, explore.BUNDLED_DIR / "emoji-kinds-probe.npz", per_class=4)
    assert list(scores.per_class) == model.class_names
    assert scores.accuracy > 3 / 33  # several times chance even on 4 pictures a kind
