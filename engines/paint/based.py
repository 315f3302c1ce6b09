"""Paint controls on an artist's own picture: the *base* an inversion found (see `invert`), kept
between requests as a small dict, turned back into an `inverted.BasePicture` with the tab's truncation,
direction sliders and variation steps; and keyframes that are either a seed's or a base's, so morphs
(plain or sound-timed) can start from, pass through or end on an inverted picture.

A base dict (what the studio keeps in a gr.State and a recipe carries):
    {"model": label, "checkpoint": hash, "base": [z_dim floats], "classes": {name: weight},
     "truncation": "anchor" | "mean", "invert_l1": float, "input": "inputs/<hash>.<ext>" | None}
Every value is checked when it comes back (`check_state`): a base found with another model, a
wrong length, NaN, or a blend of unknown classes gets a sentence, not a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import torch

from engines import limits
from engines.paint import controls, explore, invert, inverted
from engines.paint.explore import PaintModel

KIND = "my picture"  # a kept inverted picture's recipe kind
ROUND = 5  # decimals a base keeps (the recipe's rounding, so redraws match kept files)
MAX_SEED_LIST_CHARS = 2_000  # the typed seed list ("3, 9, 27")
MAX_INPUT_REF_CHARS = 80


def state(model_label: str, model: PaintModel, found: invert.Inversion, input_ref: str | None) -> dict:
    """The base dict for what an inversion found (z rounded as recipes keep it)."""
    return {
        "model": model_label,
        "checkpoint": model.hash,
        "base": [round(float(v), ROUND) for v in found.z],
        "classes": dict(found.blend),
        "truncation": explore.truncation_of(model),
        "invert_l1": round(float(found.l1), 5),
        "input": input_ref,
    }


def check_state(model: PaintModel, base: Any) -> dict:
    """A base dict as it comes back from the page or a script, every field checked against `model`."""
    if not isinstance(base, dict) or "base" not in base:
        raise ValueError("No picture of yours is in use: find it in the model first (My picture), then press Use it.")
    if base.get("checkpoint") not in (None, model.hash):
        raise ValueError(
            f"Your picture was found with another model ({str(base.get('model'))[:60]}); choose that "
            "model again, or find the picture in this one."
        )
    z = inverted.check_base(model, base["base"])
    classes = _classes(base.get("classes"))
    explore.class_vector(model, classes or None)  # an unknown class is named here
    truncation = base.get("truncation", explore.truncation_of(model))
    if truncation not in explore.TRUNCATIONS:
        raise ValueError(f"The truncation kind must be one of {', '.join(explore.TRUNCATIONS)}.")
    ref = base.get("input")
    if ref is not None:
        ref = limits.text(ref, "The kept input", MAX_INPUT_REF_CHARS)
    return {**base, "base": [float(v) for v in z], "classes": classes, "truncation": truncation, "input": ref}


def _classes(value: Any) -> dict[str, float]:
    """A base's class blend {name: weight}, each weight 0..controls.BLEND_WEIGHT_MAX."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict) or len(value) > 64:
        raise ValueError("The picture's classes must be {class name: weight} (at most 64 classes).")
    return {
        limits.text(k, "A class name", controls.MAX_CLASS_CHARS): limits.number(
            w, f"The weight of class {str(k)[:40]!r}", 0.0, controls.BLEND_WEIGHT_MAX
        )
        for k, w in value.items()
    }


def picture(
    model: PaintModel, base: Any, psi: Any, slider_values: Any = (), nudge_steps: Any = ()
) -> inverted.BasePicture:
    """The tab's truncation (0..controls.PSI_MAX), sliders (-3..3) and variation steps on a base."""
    checked = check_state(model, base)
    return inverted.BasePicture(
        tuple(checked["base"]),
        limits.number(psi, "The truncation", 0.0, controls.PSI_MAX),
        checked["classes"],
        controls.sliders(slider_values),
        controls.nudges(nudge_steps),
        checked["truncation"],
    )


def recipe(model: PaintModel, pic: inverted.BasePicture, base: dict, scale: int = 1) -> dict:
    """A kept inverted picture's recipe: `inverted.recipe` plus the kept input it was found from."""
    rec = {**inverted.recipe(model, pic, scale, base.get("invert_l1")), "kind": KIND}
    if base.get("input"):
        rec["input"] = base["input"]
    return rec


def title(model: PaintModel, pic: inverted.BasePicture) -> str:
    """A Gallery title for an inverted picture."""
    return f"{model.name} · my picture · {'+'.join(pic.blend) or 'found'}"


def from_recipe(rec: dict) -> tuple[dict, Any, Any, Any]:
    """(base dict, truncation, sliders, nudges) an inverted picture's recipe (or a keyframe with a
    base) describes, unchecked: `check_state`/`picture` check them against the model."""
    if not isinstance(rec, dict) or not isinstance(rec.get("base"), list):
        raise ValueError("That recipe is not an inverted picture's.")
    base = {
        "model": rec.get("model"),
        "checkpoint": rec.get("checkpoint"),
        "base": rec["base"],
        "classes": rec.get("classes") or {},
        "truncation": rec.get("truncation", "anchor"),
        "invert_l1": rec.get("invert_l1"),
        "input": rec.get("input"),
    }
    return base, rec.get("psi", 1.0), rec.get("sliders", []), rec.get("nudges", [])


# ---------------------------------------------------------------- keyframes: a seed's or a base's
def keyframe(model_label: str, model: PaintModel, pic: inverted.BasePicture, base: dict) -> dict:
    """A morph keyframe for an inverted picture (`inverted.keyframe` plus its kept input)."""
    key = inverted.keyframe(model_label, model, pic)
    return {**key, "input": base.get("input")} if base.get("input") else key


def check_keyframe(model: PaintModel, key: Any, number: int) -> controls.Picture | inverted.BasePicture:
    """One keyframe: a seed's (`controls.check_keyframe`) or, when it carries `base`, an inverted
    picture's; a message naming keyframe `number` when a field is wrong."""
    if not (isinstance(key, dict) and "base" in key):
        return controls.check_keyframe(model, key, number)
    try:
        return picture(model, {**key, "checkpoint": None}, key.get("psi", 1.0), key.get("sliders"), key.get("nudges"))
    except ValueError as err:
        raise ValueError(f"Keyframe {number}: {err}") from None


def check_keyframes(model: PaintModel, keys: Any, at_least: int = 0) -> list[controls.Picture | inverted.BasePicture]:
    """Keyframes (at most limits.MAX_KEYFRAMES, at least `at_least`), each checked."""
    keys = controls.keyframe_list(keys, at_least=at_least)
    return [check_keyframe(model, k, i + 1) for i, k in enumerate(keys)]


def keyframe_dicts(
    model_label: str, model: PaintModel, pics: Sequence[controls.Picture | inverted.BasePicture]
) -> list[dict]:
    """Checked keyframes back as plain dicts (what a morph's recipe keeps)."""
    out = []
    for p in pics:
        if isinstance(p, inverted.BasePicture):
            out.append(inverted.keyframe(model_label, model, p))
        else:
            out.append({**controls.keyframe(model_label, model, p), "truncation": p.truncation})
    return out


def tensors(
    model: PaintModel, pics: Sequence[controls.Picture | inverted.BasePicture]
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(z, class weights) per keyframe, as `explore.morph` and `sound_morph` take them."""
    return [(p.latent(model), explore.class_vector(model, p.blend or None)) for p in pics]


def draw(model: PaintModel, pic: controls.Picture | inverted.BasePicture, scale: int = 1) -> Any:
    """The keyframe's picture (either kind)."""
    return explore.render(model, pic.latent(model), explore.class_vector(model, pic.blend or None), scale)[0]


def parse_seeds(text: Any) -> list[int]:
    """A typed seed list ("3, 9, 27" or "3 9 27"): each a whole number 0..MAX_SEED, at most
    limits.MAX_KEYFRAMES of them."""
    text = limits.text(text, "The seeds", MAX_SEED_LIST_CHARS).strip()
    parts = [p for p in re.split(r"[\s,;]+", text) if p]
    if len(parts) > limits.MAX_KEYFRAMES:
        raise ValueError(f"A morph takes at most {limits.MAX_KEYFRAMES} keyframes (got {len(parts)} seeds).")
    return [limits.whole(p, f"Seed {i + 1}", 0, limits.MAX_SEED) for i, p in enumerate(parts)]


def seed_keyframes(model_label: str, model: PaintModel, seeds: Sequence[int], class_name: Any, psi: Any) -> list[dict]:
    """Keyframes for typed seeds, each of class `class_name` at truncation `psi`."""
    return [
        controls.keyframe(model_label, model, controls.picture(s, psi, class_name, controls.NO_BLEND, 0)) for s in seeds
    ]
