"""My picture in Paint: inverting a picture finds a z and class blend that draw it, and every Paint
control (truncation, directions, variations, morph keyframes, recipes) then acts on that z."""

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

from engines.jobs import StopToken
from engines.paint import anchors, controls, explore, invert, inverted

BUNDLED = explore.BUNDLED_DIR / "emoji.pt"


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small batches of Adam steps run best on one thread (two threads spin on a shared machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def model():
    """The bundled model with 12 anchors per class (its starts draw in a fraction of a second)."""
    full = explore.load_model(BUNDLED)
    keep = torch.cat([torch.nonzero(full.anchors.labels == c).flatten()[:12] for c in range(len(full.class_names))])
    few = anchors.Anchors(full.anchors.z[keep], full.anchors.labels[keep], full.anchors.l1)
    return dataclasses.replace(full, anchors=few, hash=full.hash + "-test-few-anchors")


def _l1(a: Image.Image, b: Image.Image) -> float:
    return float((invert.to_target(a) - invert.to_target(b)).abs().mean())


@pytest.fixture(scope="module")
def found(model):
    target = explore.generate(model, 4242, explore.PSI_ANCHOR, "animals & nature")
    return target, invert.invert_picture(model, target, n_starts=2, seconds=20)


def test_inverting_a_drawn_picture_lands_far_closer_than_a_random_seed(model, found):
    target, result = found
    random_seed = explore.generate(model, 777, explore.PSI_ANCHOR, "animals & nature")
    assert result.l1 < 0.06
    assert result.l1 < _l1(random_seed, target) / 4
    assert abs(float(result.z.norm()) - model.z_dim**0.5) < 1e-3  # kept at the typical length
    assert abs(sum(result.blend.values()) - 1) < 1e-3 and "animals & nature" in result.blend
    assert result.reconstruction.size == (64, 64)
    assert _l1(result.reconstruction, target) == pytest.approx(result.l1, abs=0.01)


def test_a_larger_picture_is_taken_as_bytes_and_streams_progress(model, found):
    target, _ = found
    big = target.resize((256, 256), Image.Resampling.BICUBIC)
    events = list(invert.invert(model, invert.picture_bytes(big), steps=30, seconds=20, n_starts=2))
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(isinstance(e.preview, Image.Image) for e in events)
    assert events[-1].result is not None and events[-1].result.steps <= 30
    assert events[-1].result.l1 < 0.1  # four times the size, it is the same emoji


def test_a_direction_slider_then_changes_the_inverted_picture(model, found):
    _, result = found
    pic = inverted.BasePicture.from_inversion(model, result)
    same = controls.draw(model, pic)  # the studio's draw takes it as it takes a seed's Picture
    assert _l1(same, result.reconstruction) < 1e-6
    moved = inverted.draw(model, dataclasses.replace(pic, sliders=(0.0, 0.0, 2.5)))
    assert _l1(moved, same) > 0.02
    pulled = inverted.draw(model, dataclasses.replace(pic, psi=0.0))  # all the way to its nearest anchor
    assert _l1(pulled, same) > 0.0


def test_variations_morph_keyframes_and_recipes_work_on_an_inverted_picture(model, found):
    _, result = found
    pic = inverted.BasePicture.from_inversion(model, result)
    zs = inverted.variation_latents(model, pic, 5, 0.6)
    assert zs.shape == (9, model.z_dim) and torch.allclose(zs[4], pic.latent(model))
    assert not torch.allclose(zs[0], zs[4])
    # the chosen variation is recorded as a nudge and replays to the same z
    chosen = dataclasses.replace(pic, nudges=((5, 0, 0.6),))
    assert torch.allclose(chosen.latent(model), zs[0], atol=1e-5)
    other = explore.latent(model, 3, explore.PSI_ANCHOR, blend="faces")
    frames = explore.morph(
        model, [inverted.keyframe_tensors(model, pic), (other, explore.class_vector(model, "faces"))], frames=6
    )
    assert len(frames) == 6 and _l1(frames[0], result.reconstruction) < 1e-6
    rec = inverted.recipe(model, pic, l1=result.l1)
    assert rec["source"] == "inverted" and len(rec["base"]) == model.z_dim
    assert _l1(inverted.from_recipe(model, rec), result.reconstruction) < 0.01
    key = inverted.keyframe("emoji (bundled)", model, pic)
    assert key["base"] == rec["base"]


def test_a_stop_ends_the_inversion_with_the_best_so_far(model, found):
    target, _ = found
    stop = StopToken()
    stop.stop()
    result = invert.invert_picture(model, target, stop=stop)
    assert result.stopped and result.steps == 0 and np.isfinite(result.l1)


def test_bad_pictures_and_settings_get_messages(model, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    with pytest.raises(ValueError, match="not a picture|damaged"):
        invert.invert_picture(model, text)
    with pytest.raises(ValueError, match="not a picture"):
        invert.invert_picture(model, 42)
    with pytest.raises(ValueError, match="at least"):
        invert.invert_picture(model, Image.new("RGB", (8, 8)))
    with pytest.raises(ValueError, match="megapixels"):
        invert.invert_picture(model, Image.new("1", (10_000, 5_000)))
    with pytest.raises(ValueError, match="steps"):
        invert.invert_picture(model, Image.new("RGB", (64, 64)), steps=10**6)
    with pytest.raises(ValueError, match="needs 128"):
        inverted.base_latent(model, [0.0] * 7)
