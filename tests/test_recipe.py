"""Recipes travel inside PNG, WAV and TXT files and come back unchanged."""

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from engines import recipe
from engines.recipe import RecipeError

RECIPE = {"engine": "paint", "seed": 7, "psi": 0.7, "sliders": [0.1, -2.0], "label": "café ☕"}


def _check(found):
    for key, value in RECIPE.items():
        assert found[key] == value
    assert "atelier_version" in found


def test_png_round_trip_keeps_pixels_and_recipe(tmp_path):
    img = Image.fromarray(np.random.default_rng(0).integers(0, 255, (20, 30, 3), dtype=np.uint8))
    path = recipe.write_png(tmp_path / "a.png", img, RECIPE)
    _check(recipe.read(path))
    assert np.array_equal(np.asarray(Image.open(path)), np.asarray(img))


def test_wav_round_trip_keeps_audio_playable_and_recipe(tmp_path):
    sr, t = 16000, np.arange(16000) / 16000
    wave = 0.5 * np.sin(2 * np.pi * 440 * t).astype(np.float32)
    path = recipe.write_wav(tmp_path / "a.wav", sr, wave, RECIPE)
    _check(recipe.read(path))
    back, back_sr = sf.read(path, dtype="float32")
    assert back_sr == sr and back.shape == wave.shape
    assert np.max(np.abs(back - wave)) < 1e-3


def test_stereo_wav_and_odd_sized_recipe_chunk(tmp_path):
    wave = np.zeros((100, 2), np.float32)
    path = recipe.write_wav(tmp_path / "s.wav", 8000, wave, {"engine": "sound", "x": "odd"})
    assert recipe.read(path)["x"] == "odd"
    assert sf.info(path).channels == 2


def test_txt_round_trip_strips_the_trailer(tmp_path):
    poem = "Shall I compare thee\nto a summer's day?"
    path = recipe.write_txt(tmp_path / "a.txt", poem, RECIPE)
    _check(recipe.read(path))
    assert recipe.read_text(path) == poem


def test_sidecar_for_other_formats(tmp_path):
    path = tmp_path / "clip.gif"
    path.write_bytes(b"GIF89a")
    recipe.write_sidecar(path, RECIPE)
    _check(recipe.read(path))


def test_files_without_recipe_get_a_clear_error(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "plain.png")
    (tmp_path / "plain.txt").write_text("hello")
    (tmp_path / "x.bin").write_bytes(b"\0\1")
    with pytest.raises(RecipeError, match="carries no Atelier recipe"):
        recipe.read(tmp_path / "plain.png")
    with pytest.raises(RecipeError, match="carries no Atelier recipe"):
        recipe.read(tmp_path / "plain.txt")
    with pytest.raises(RecipeError, match="not a PNG, GIF, WAV or TXT"):
        recipe.read(tmp_path / "x.bin")


def test_a_recipe_needs_an_engine(tmp_path):
    with pytest.raises(ValueError, match="engine"):
        recipe.write_txt(tmp_path / "a.txt", "x", {"seed": 1})


def test_gif_comment_round_trip(tmp_path):
    from engines.video import save_gif

    frames = [Image.new("RGB", (16, 16), (i * 40, 0, 0)) for i in range(4)]
    path = save_gif(frames, tmp_path / "m.gif", fps=8, comment=recipe.gif_comment(RECIPE))
    _check(recipe.read(path))
    assert Image.open(path).n_frames == 4
