"""What the Paint tab's controls ask of a model, checked and made ready: the bounds of every control,
the class blend, one picture's place in the model's space (seed, truncation, blend, direction sliders,
variation nudges), the variation grid's latent batch, keyframes and morphs, and the training request.

Every check raises a ValueError whose message names the control (and the keyframe), so a script
sending NaN, infinity, a negative seed or a word where a number belongs gets a sentence, not a
traceback. Plain Python and torch: usable from a script without the studio.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image

from engines import limits
from engines.paint import explore, together
from engines.paint.directions import N_DIRECTIONS

# ---------------------------------------------------------------- bounds of the tab's controls
PSI_MAX = 3.0  # truncation: the tab's slider stops at 1.5, a script may ask up to 3
SLIDER_MAX = 3.0  # a direction slider, in standard deviations either way
SPREAD_MAX = 3.0  # how far the variations reach (the tab's slider: 0.1-1.2)
BLEND_WEIGHT_MAX = 100.0  # one class's weight in a keyframe's blend (weights are normalised)
UPSCALES = (1, 2, 4)  # smooth enlargement on keep and in morphs
MIN_FRAMES, MAX_FRAMES = 2, 240  # frames asked of one morph
MIN_FPS, MAX_FPS = 1, 60  # a morph's frames per second
MAX_KEYFRAMES = limits.MAX_KEYFRAMES
MAX_NUDGES = 256  # variation steps one picture may carry (each is replayed on every draw)
MAX_CLASS_CHARS = 200  # a class name as a request may send it
MAX_TRAIN_STEPS = 20_000  # steps one Paint training run may ask for
RESOLUTIONS = (32, 64, 128)  # sizes a Paint model trains at
FORMATS = ("GIF", "MP4")
NO_BLEND = "(none)"  # the 'Blend with' choice that blends with nothing
N_VARIATIONS, CENTRE = 9, 4  # the variation grid: 3 x 3 around the current picture


@dataclass(frozen=True)
class Picture:
    """One picture's place in a model's space, every value checked."""

    seed: int
    psi: float
    blend: dict[str, float]  # class name -> weight
    sliders: tuple[float, ...] = ()  # one per principal direction, in standard deviations
    nudges: tuple[tuple[int, int, float], ...] = ()  # variation steps (variation seed, index, spread)
    truncation: str = "anchor"  # 'anchor' or 'mean' (see explore.latent)

    def latent(self, model: explore.PaintModel) -> torch.Tensor:
        """This picture's z."""
        return explore.latent(model, self.seed, self.psi, self.sliders, self.nudges, self.blend, self.truncation)

    def classes(self, model: explore.PaintModel) -> torch.Tensor:
        """This picture's class weights."""
        return explore.class_vector(model, self.blend)


# ---------------------------------------------------------------- checks
def blend(class_a: Any, class_b: Any, amount: Any) -> dict[str, float]:
    """The class blend the tab's two class pickers and its blend slider (0-1) describe."""
    a = limits.text(class_a, "The class", MAX_CLASS_CHARS).strip()
    b = limits.text(class_b, "The class to blend with", MAX_CLASS_CHARS).strip()
    amount = limits.number(amount, "The blend amount", 0.0, 1.0)
    if not a:
        raise ValueError("Choose a class for the picture.")
    if not b or b == NO_BLEND or b == a or amount <= 0:
        return {a: 1.0}
    return {a: 1.0 - amount, b: amount}


def sliders(values: Any, where: str = "") -> tuple[float, ...]:
    """Direction slider values: at most N_DIRECTIONS, each finite within -SLIDER_MAX..SLIDER_MAX."""
    values = list(_sequence(values, f"{where}The direction sliders"))
    if len(values) > N_DIRECTIONS:
        raise ValueError(f"{where}There are {N_DIRECTIONS} direction sliders (got {len(values)} values).")
    return tuple(limits.numbers(values, f"{where}Direction", -SLIDER_MAX, SLIDER_MAX))


def nudges(values: Any, where: str = "") -> tuple[tuple[int, int, float], ...]:
    """Recorded variation steps [(variation seed, index 0-8, spread), ...], at most MAX_NUDGES."""
    values = list(_sequence(values, f"{where}The variation steps"))
    if len(values) > MAX_NUDGES:
        raise ValueError(f"{where}A picture carries at most {MAX_NUDGES} variation steps (got {len(values)}).")
    out = []
    for i, step in enumerate(values):
        step = list(_sequence(step, f"{where}Variation step {i + 1}"))
        if len(step) != 3:
            raise ValueError(f"{where}Variation step {i + 1} must be [variation seed, index, spread].")
        out.append(
            (
                limits.whole(step[0], f"{where}Variation step {i + 1}'s seed", 0, limits.MAX_SEED),
                limits.whole(step[1], f"{where}Variation step {i + 1}'s index", 0, N_VARIATIONS - 1),
                limits.number(step[2], f"{where}Variation step {i + 1}'s spread", 0.0, SPREAD_MAX),
            )
        )
    return tuple(out)


def picture(
    seed: Any, psi: Any, class_a: Any, class_b: Any, amount: Any, slider_values: Any = (), nudge_steps: Any = ()
) -> Picture:
    """The tab's picture controls, checked: seed 0..MAX_SEED (never empty), psi 0..PSI_MAX,
    blend 0..1, sliders -3..3, nudges as `nudges` takes them."""
    return Picture(
        limits.seed(seed),
        limits.number(psi, "The truncation", 0.0, PSI_MAX),
        blend(class_a, class_b, amount),
        sliders(slider_values),
        nudges(nudge_steps),
    )


def upscale(value: Any) -> int:
    """An enlargement factor, one of UPSCALES."""
    factor = limits.number(value, "The upscale")
    if factor not in UPSCALES:
        raise ValueError(f"The upscale must be one of {', '.join(map(str, UPSCALES))} (got {factor:g}).")
    return int(factor)


def spread(value: Any) -> float:
    """How far variations reach: 0..SPREAD_MAX."""
    return limits.number(value, "How far", 0.0, SPREAD_MAX)


def _sequence(value: Any, name: str) -> Sequence:
    if value is None:
        return ()
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a list (got {str(value)[:40]!r}).")
    return value


# ---------------------------------------------------------------- pictures and variations
# pictures asked for at the same time (several visitors' sliders) are drawn in one pass
_TOGETHER = together.Together()


def draw(model: explore.PaintModel, pic: Picture, scale: int = 1) -> Image.Image:
    """The picture `pic` describes, enlarged `scale` times (drawn with any asked for meanwhile)."""
    picture = _TOGETHER.draw(
        (model.hash, str(model.device)), lambda z, y: explore.render(model, z, y), pic.latent(model), pic.classes(model)
    )
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.Resampling.LANCZOS)
    return picture


def recipe(model: explore.PaintModel, pic: Picture, scale: int = 1) -> dict:
    """The recipe a kept picture carries."""
    return explore.recipe(model, pic.seed, pic.psi, pic.blend, pic.sliders, [list(n) for n in pic.nudges], scale)


def title(model: explore.PaintModel, pic: Picture) -> str:
    """A Gallery title: model, classes, seed."""
    return f"{model.name} · {'+'.join(pic.blend)} · seed {pic.seed}"


def with_step(pic_nudges: Any, var_seed: Any, index: Any, how_far: Any) -> list[list[float]]:
    """The nudges after choosing variation `index` of the grid drawn with `var_seed` and `how_far`."""
    steps = [list(n) for n in nudges(pic_nudges)]
    return [
        *steps,
        [
            limits.whole(var_seed, "The variation seed", 0, limits.MAX_SEED),
            limits.whole(index, "The variation", 0, N_VARIATIONS - 1),
            spread(how_far),
        ],
    ]


def variation_latents(model: explore.PaintModel, pic: Picture, var_seed: int, how_far: float) -> torch.Tensor:
    """The grid's z batch (N_VARIATIONS, z_dim): each is the current picture plus one more variation
    step, exactly as choosing it would record it (the centre one is the picture itself)."""
    steps = [list(n) for n in pic.nudges]
    return torch.stack(
        [
            explore.latent(
                model, pic.seed, pic.psi, pic.sliders, [*steps, [var_seed, i, how_far]], pic.blend, pic.truncation
            )
            for i in range(N_VARIATIONS)
        ]
    )


def variations(model: explore.PaintModel, pic: Picture, var_seed: Any, how_far: Any) -> list[Image.Image]:
    """The nine neighbours of `pic` (the centre is `pic`)."""
    var_seed = limits.whole(var_seed, "The variation seed", 0, limits.MAX_SEED)
    z = variation_latents(model, pic, var_seed, spread(how_far))
    return explore.render(model, z, pic.classes(model))


# ---------------------------------------------------------------- keyframes and morphs
def keyframe(model_label: str, model: explore.PaintModel, pic: Picture) -> dict:
    """A morph keyframe for `pic` (what /paint_morph takes and a morph's recipe keeps)."""
    return {
        "model": model_label,
        "seed": pic.seed,
        "psi": pic.psi,
        "classes": dict(pic.blend),
        "sliders": list(pic.sliders),
        "nudges": [list(n) for n in pic.nudges],
        "truncation": explore.truncation_of(model),
    }


def keyframe_list(value: Any, at_least: int = 0, room_for: int = 0) -> list:
    """The keyframe list as a list, with at most MAX_KEYFRAMES (less `room_for` about to be added)."""
    keys = list(_sequence(value, "The keyframes"))
    if len(keys) + room_for > MAX_KEYFRAMES:
        raise ValueError(
            f"A morph takes at most {MAX_KEYFRAMES} keyframes (got {len(keys) + room_for}); clear some first."
        )
    if len(keys) < at_least:
        raise ValueError("Add at least two keyframes first (move somewhere, press Add keyframe, repeat).")
    return keys


def check_keyframe(model: explore.PaintModel, key: Any, number: int) -> Picture:
    """One keyframe {seed, psi, classes, sliders, nudges, truncation} as a Picture; every field
    checked, and a message that names keyframe `number` (1-based) if one is wrong."""
    where = f"Keyframe {number}: "
    if not isinstance(key, dict):
        raise ValueError(f"{where}a keyframe must be a dict like {{'seed': 1, 'psi': 0.8, 'classes': {{...}}}}.")
    try:
        seed = limits.seed(key.get("seed"))
        psi = limits.number(key.get("psi", 1.0), "The truncation (psi)", 0.0, PSI_MAX)
        classes = _key_classes(key.get("classes"))
        truncation = key.get("truncation", "anchor")
        if truncation not in explore.TRUNCATIONS:
            raise ValueError(f"The truncation kind must be one of {', '.join(explore.TRUNCATIONS)}.")
        pic = Picture(seed, psi, classes, sliders(key.get("sliders")), nudges(key.get("nudges")), truncation)
        explore.class_vector(model, classes or None)  # an unknown class is named here
    except ValueError as err:
        raise ValueError(f"{where}{err}") from None
    return pic


def _key_classes(value: Any) -> dict[str, float]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        value = {value: 1.0}
    if not isinstance(value, dict) or len(value) > 64:
        raise ValueError("'classes' must be a class name or {class name: weight} (at most 64 classes).")
    out = {}
    for name, weight in value.items():
        name = limits.text(name, "A class name", MAX_CLASS_CHARS)
        out[name] = limits.number(weight, f"The weight of class {name[:40]!r}", 0.0, BLEND_WEIGHT_MAX)
    return out


def check_keyframes(model: explore.PaintModel, value: Any) -> list[Picture]:
    """A morph's keyframes: 2..MAX_KEYFRAMES, each checked by `check_keyframe`."""
    return [check_keyframe(model, k, i + 1) for i, k in enumerate(keyframe_list(value, at_least=2))]


def morph_settings(frames: Any, fps: Any, scale: Any, fmt: Any) -> tuple[int, float, int, str]:
    """(frames 2..240, fps 1..60, upscale in UPSCALES, 'GIF' or 'MP4'), checked."""
    n = limits.whole(frames, "The number of frames", MIN_FRAMES, MAX_FRAMES)
    rate = limits.number(fps, "The frames per second", MIN_FPS, MAX_FPS)
    if fmt not in FORMATS:
        raise ValueError(f"The format must be one of {', '.join(FORMATS)} (got {str(fmt)[:20]!r}).")
    return n, rate, upscale(scale), str(fmt)


def morph_pictures(
    model: explore.PaintModel, keys: Sequence[Picture], frames: int, loop: bool, scale: int = 1
) -> list[Image.Image]:
    """The frames of a morph through `keys` (slerp in z, linear in class; see explore.morph)."""
    path = [(k.latent(model), explore.class_vector(model, k.blend or None)) for k in keys]
    return explore.morph(model, path, frames, loop, scale)


def morph_recipe(
    model: explore.PaintModel, keyframes: Sequence[dict], frames: int, fps: float, loop: bool, scale: int
) -> dict:
    """The recipe a kept morph carries (its keyframes as given, so the morph can be made again)."""
    return {
        "engine": explore.ENGINE,
        "model": model.name,
        "checkpoint": model.hash,
        "keyframes": list(keyframes),
        "frames": int(frames),
        "fps": float(fps),
        "loop": bool(loop),
        "upscale": int(scale),
    }


def keyframe_dicts(keys: Sequence[Picture], model_label: str, model: explore.PaintModel) -> list[dict]:
    """Checked keyframes back as plain dicts (what a morph's recipe keeps)."""
    return [{**keyframe(model_label, model, k), "truncation": k.truncation} for k in keys]


# ---------------------------------------------------------------- training
def training_request(steps: Any, resolution: Any) -> tuple[int, int]:
    """(steps 1..MAX_TRAIN_STEPS, resolution in RESOLUTIONS), checked."""
    n = limits.whole(steps, "The number of steps", 1, MAX_TRAIN_STEPS)
    res = limits.number(resolution, "The size in pixels")
    if res not in RESOLUTIONS:
        raise ValueError(f"The size in pixels must be one of {', '.join(map(str, RESOLUTIONS))} (got {res:g}).")
    return n, int(res)


def preview_recipe(name: str, steps: int, data_note: str) -> dict:
    """The recipe of a training's last preview, kept in the Gallery."""
    return {"engine": explore.ENGINE, "model": name, "kind": "training preview", "steps": int(steps), "data": data_note}
