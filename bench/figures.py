"""The README's pictures that the engines draw (the screenshots come from the browser test):
a Paint sweep grid, a frame strip of a morph timed to a drum pattern, and a melody's piano roll.

    python -m bench.figures            # writes assets/paint-sweep.png, paint-sound-morph.png, sound-melody.png
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from engines.paint import explore, sound_morph
from engines.paint import sweep as paint_sweep
from engines.sound import compose, melody_render
from engines.sound import explore as sound_explore

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def sweep_grid() -> Image.Image:
    """Seeds across, the first direction down, at the tab's truncation."""
    model = explore.load_model(next(p for p in explore.bundled_models() if p.name == "emoji.pt"))
    base = {"seed": 23, "psi": explore.default_psi(model), "classes": {model.class_names[0]: 1.0}}
    return paint_sweep.run_sweep(model, base, ("seed", "23, 7, 101, 64, 5"), ("direction 1", "-2:2:4"))


def drum_pattern(sr: int = 16000, seconds: float = 4.0, bpm: float = 120) -> tuple[int, np.ndarray]:
    """A kick on every beat: short decaying low thumps."""
    wave = np.zeros(int(sr * seconds), np.float32)
    t = np.arange(int(0.15 * sr)) / sr
    hit = (np.sin(2 * np.pi * 60 * t) * np.exp(-t * 30)).astype(np.float32)
    for start in np.arange(0.25, seconds - 0.2, 60 / bpm):
        i = int(start * sr)
        wave[i : i + len(hit)] += 0.8 * hit
    return sr, wave


def sound_morph_strip(frames_shown: int = 12) -> Image.Image:
    """Frames of a morph that moves on one keyframe at each kick, with the sound's level beneath."""
    model = explore.load_model(next(p for p in explore.bundled_models() if p.name == "emoji.pt"))
    y = explore.class_vector(model, {model.class_names[0]: 1.0})
    keys = [(explore.latent(model, s, explore.default_psi(model)), y) for s in (23, 7, 101, 64)]
    sr, wave = drum_pattern()
    result = sound_morph.make(model, keys, (sr, wave), fps=12, upscale=1)
    picks = np.linspace(0, len(result.frames) - 1, frames_shown).astype(int)
    side = 96
    strip = Image.new("RGB", (side * frames_shown, side + 40), (250, 247, 242))
    draw = ImageDraw.Draw(strip)
    for k, i in enumerate(picks):
        strip.paste(result.frames[i].resize((side, side), Image.Resampling.LANCZOS), (k * side, 0))
    level = np.abs(wave)
    cols = np.array_split(level, strip.width)
    for x, c in enumerate(cols):
        h = int(36 * float(c.max()) / (level.max() or 1))
        draw.line([(x, side + 38), (x, side + 38 - h)], fill=(196, 120, 92))
    return strip


def melody_roll() -> Image.Image:
    """Eight bars composed in D major and played by the violin: the piano roll the Melody panel shows."""
    torch.manual_seed(0)
    notes = sound_explore.load_note_model(next(iter(sound_explore.available_models(None).values())))
    tunes = compose.load_melody_model()
    piece = melody_render.melody_piece(
        notes, tunes, None, bars=8, temperature=0.8, seed=3, timbre=melody_render.Timbre("Violin"), key="D major"
    )
    return piece.picture


def main() -> None:
    for name, make in (
        ("paint-sweep.png", sweep_grid),
        ("paint-sound-morph.png", sound_morph_strip),
        ("sound-melody.png", melody_roll),
    ):
        make().save(ASSETS / name)
        print(ASSETS / name)


if __name__ == "__main__":
    main()
