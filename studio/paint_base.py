"""What the Paint tab's modules share: the caller's models, the picture cache, and turning a
picture recipe back into the picture controls and the picture (`restore_recipe`, used by reopening,
the history strip, A/B, sweep cells and the other Paint panels)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
from PIL import Image

from engines.paint import controls, explore
from engines.paint import replay as paint_replay
from engines.paint.directions import N_DIRECTIONS
from studio import common

NAME = "paint"
N_SLIDERS = N_DIRECTIONS
DISPLAY = 320
NO_BLEND = controls.NO_BLEND
LIVE_EVENT = dict(show_progress="hidden", concurrency_id="paint_live", concurrency_limit=4)
QUIET = dict(api_visibility="private", show_progress="hidden")

# The components `restore_recipe` fills, in order (studio.paint.RESTORE_OUTPUTS holds them once built);
# "base" is the artist's picture the Paint picture is drawn from (None: a seed's picture; see paint_panels).
RESTORE_FIELDS = (
    "model",
    "class_a",
    "class_b",
    "blend",
    "seed",
    "psi",
    "nudges",
    "note",
    *(f"direction_{i + 1}" for i in range(N_SLIDERS)),
    "image",
    "base",
)


def models(request: gr.Request | None) -> dict[str, Path]:
    """Bundled Paint models and the caller's own (from their workspace)."""
    return explore.available_models(common.workspace(request).engine_models_dir(NAME))


def load(label: str | None, request: gr.Request | None) -> explore.PaintModel:
    """The model a label names, for this caller, on the studio's device."""
    return explore.load_model(common.pick_model(models(request), label, "Paint model"), common.studio().device)


def display(image: Image.Image) -> Image.Image:
    """Enlarge a small picture smoothly for the screen."""
    scale = max(1, DISPLAY // image.width)
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.LANCZOS) if scale > 1 else image


def current(
    model_label: str,
    class_a: str,
    class_b: str,
    amount: float,
    seed: float | None,
    psi: float,
    sliders: list[float],
    nudges: list | None,
    request: gr.Request | None,
) -> tuple[explore.PaintModel, controls.Picture]:
    """The model and the picture the tab's controls describe, checked."""
    pic = controls.picture(seed, psi, class_a, class_b, amount, sliders, nudges)
    return load(model_label, request), pic


# ---------------------------------------------------------------- the shown picture, remembered
_CACHE: OrderedDict[tuple, Image.Image] = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHE_SIZE = 64  # native-size pictures (64 px: ~12 kB each)


def native(model: explore.PaintModel, pic: controls.Picture) -> Image.Image:
    """The picture at the model's own size: the one drawn for the screen when it is still remembered
    (so Keep keeps what is shown without drawing it again), else drawn now."""
    key = (
        model.hash,
        str(model.device),
        pic.seed,
        pic.psi,
        tuple(sorted(pic.blend.items())),
        pic.sliders,
        pic.nudges,
        pic.truncation,
    )
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    image = controls.draw(model, pic)
    with _CACHE_LOCK:
        _CACHE[key] = image
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return image


def enlarge(image: Image.Image, scale: int) -> Image.Image:
    """`image` enlarged `scale` times the way explore.render enlarges (the same pixels as drawing it so)."""
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.LANCZOS) if scale > 1 else image


# ---------------------------------------------------------------- recipe -> controls and picture
def blend_controls(rec: dict, model: explore.PaintModel) -> tuple[str, str, float]:
    """The two class pickers and the blend amount a recipe's classes come back as."""
    classes = rec.get("classes") if isinstance(rec.get("classes"), dict) else {}
    ranked = sorted(classes.items(), key=lambda kv: -kv[1])
    a = ranked[0][0] if ranked else model.class_names[0]
    if len(ranked) < 2:
        return a, NO_BLEND, 0.5
    total = ranked[0][1] + ranked[1][1]
    return a, ranked[1][0], round(ranked[1][1] / total if total else 0.5, 4)


def slider_updates(model: explore.PaintModel, values: Any) -> list:
    """The direction sliders named for `model`, at `values` (0 for the rest)."""
    vals = list(values) + [0.0] * N_SLIDERS
    out = [gr.Slider(label=f"{i + 1}. {d.name}", value=vals[i]) for i, d in enumerate(model.directions)]
    return out + [gr.Slider(value=vals[i]) for i in range(len(out), N_SLIDERS)]


PanelRestorer = Callable[[dict, "gr.Request | None"], list]
PANEL_RESTORERS: dict[str, PanelRestorer] = {}
"""Recipe 'kind' -> a function(recipe, request) giving updates for RESTORE_FIELDS: other Paint panels
(studio/paint_panels.py) register the kinds of output they keep, so reopening them works the same way."""


def restore_recipe(rec: dict, request: gr.Request | None = None) -> list:
    """A Paint picture recipe -> updates for RESTORE_FIELDS: model, classes (with the model's choices),
    blend, seed, truncation, nudges, a note, the direction sliders (named), the picture, redrawn, and no
    base (a seed's picture leaves "my picture"); other kinds (PANEL_RESTORERS) fill the base themselves."""
    if not isinstance(rec, dict):
        raise ValueError("That is not a Paint recipe.")
    if rec.get("kind") in PANEL_RESTORERS:
        return PANEL_RESTORERS[rec["kind"]](rec, request)
    if rec.get("engine") != NAME or "seed" not in rec:
        raise ValueError("That recipe was not made by Paint's picture controls.")
    label = common.label_for_recipe(models(request), rec)
    model = load(label, request)
    pic = paint_replay.picture_of(rec)
    explore.class_vector(model, pic.blend or None)  # an unknown class is named here
    a, b, amount = blend_controls(rec, model)
    choices = explore.class_choices(model.class_names)
    picture = display(native(model, pic))
    return [
        gr.Dropdown(choices=list(models(request)), value=label),
        gr.Dropdown(choices=choices, value=a),
        gr.Dropdown(choices=[NO_BLEND, *choices], value=b),
        amount,
        pic.seed,
        pic.psi,
        [list(n) for n in pic.nudges],
        f"Restored **{model.name}**, seed {pic.seed}.",
        *slider_updates(model, pic.sliders),
        picture,
        None,
    ]
