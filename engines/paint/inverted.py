"""An inverted picture under every Paint control: the z an inversion found (`invert`, the *base*)
takes a seed's place. `BasePicture` plays the role `controls.Picture` plays for a seed: truncation
slerps from the nearest anchor of the blend's classes (psi 0) to the base (psi 1), variation nudges
and direction sliders act after it, exactly in the order `explore.latent` applies them to a seed's z;
its keyframes, recipes and their replay follow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PIL import Image

from engines.paint import anchors as anchoring
from engines.paint import explore
from engines.paint.explore import PaintModel
from engines.paint.invert import Inversion

SOURCE = "inverted"  # a recipe's `source` for a picture found this way


def check_base(model: PaintModel, base: Any) -> torch.Tensor:
    """A base z as the studio or a recipe hands it over (list of floats or tensor) -> (z_dim,) tensor."""
    try:
        z = torch.as_tensor(np.asarray(base, dtype=np.float32)).flatten()
    except (TypeError, ValueError):
        raise ValueError("The picture's base latent must be a list of numbers.") from None
    if z.numel() != model.z_dim:
        raise ValueError(
            f"The base latent has {z.numel()} numbers; this model needs {model.z_dim} "
            "(was it found with another model?)"
        )
    if not torch.isfinite(z).all() or float(z.norm()) > 10 * model.z_dim**0.5:
        raise ValueError("The base latent holds numbers out of range.")
    return z


def nearest_anchor(
    model: PaintModel, base: torch.Tensor, blend: dict[str, float] | str | int | None
) -> torch.Tensor | None:
    """The anchor of the blend's classes closest in angle to `base` (None without anchors): the
    learnt picture that truncation pulls an inverted picture toward."""
    if model.anchors is None:
        return None
    classes = torch.nonzero(explore.class_vector(model, blend)).flatten().tolist()
    pool = model.anchors.of(classes).cpu()
    if len(pool) == 0:
        pool = model.anchors.z.cpu()
    cos = (pool @ base) / (pool.norm(dim=1) * base.norm() + 1e-8)
    return pool[int(cos.argmax())]


def base_latent(
    model: PaintModel,
    base: Any,
    psi: float = 1.0,
    sliders: Sequence[float] = (),
    nudges: Sequence[Sequence[float]] = (),
    blend: dict[str, float] | str | int | None = None,
    truncation: str = "anchor",
) -> torch.Tensor:
    """z for an inverted picture, as `explore.latent` makes it for a seed with the base z in the
    seed's place: 'anchor' slerps from the nearest anchor of the blend (psi 0) to the base (psi 1),
    then the nudges; 'mean' nudges then scales by psi; then the direction sliders."""
    if truncation not in explore.TRUNCATIONS:
        raise ValueError(f"truncation must be one of {', '.join(explore.TRUNCATIONS)}")
    z = check_base(model, base)
    anchor = nearest_anchor(model, z, blend) if truncation == "anchor" else None
    if anchor is None:
        z = explore.nudge(z, nudges) * float(psi)
    else:
        z = explore.nudge(anchoring.toward(z, anchor, psi), nudges)
    for value, d in zip(sliders, model.directions):
        z = z + float(value) * d.vector
    return z


@dataclass(frozen=True)
class BasePicture:
    """An inverted picture's place in the model's space: `controls.Picture` with a base z for the seed.
    `controls.draw` accepts it as it is (it only calls `latent` and `classes`)."""

    base: tuple[float, ...]
    psi: float = 1.0
    blend: dict[str, float] = field(default_factory=dict)
    sliders: tuple[float, ...] = ()
    nudges: tuple[tuple[int, int, float], ...] = ()
    truncation: str = "anchor"

    @classmethod
    def from_inversion(cls, model: PaintModel, found: Inversion) -> BasePicture:
        return cls(tuple(float(v) for v in found.z), 1.0, dict(found.blend), truncation=explore.truncation_of(model))

    def latent(self, model: PaintModel) -> torch.Tensor:
        return base_latent(model, self.base, self.psi, self.sliders, self.nudges, self.blend or None, self.truncation)

    def classes(self, model: PaintModel) -> torch.Tensor:
        return explore.class_vector(model, self.blend or None)


def draw(model: PaintModel, pic: BasePicture, scale: int = 1) -> Image.Image:
    """The picture `pic` describes, enlarged `scale` times."""
    return explore.render(model, pic.latent(model), pic.classes(model), scale)[0]


def variation_latents(model: PaintModel, pic: BasePicture, var_seed: int, how_far: float, n: int = 9) -> torch.Tensor:
    """The variation grid's z batch around an inverted picture (the centre one is the picture):
    each is the picture with one more nudge, exactly as choosing it would record it."""
    steps = [list(s) for s in pic.nudges]
    return torch.stack(
        [
            base_latent(
                model,
                pic.base,
                pic.psi,
                pic.sliders,
                [*steps, [var_seed, i, how_far]],
                pic.blend or None,
                pic.truncation,
            )
            for i in range(n)
        ]
    )


def variations(model: PaintModel, pic: BasePicture, var_seed: int, how_far: float) -> list[Image.Image]:
    """The nine neighbours of an inverted picture."""
    return explore.render(model, variation_latents(model, pic, var_seed, how_far), pic.classes(model))


def keyframe(model_label: str, model: PaintModel, pic: BasePicture) -> dict:
    """A morph keyframe for an inverted picture: a seed keyframe's fields with `base` for `seed`."""
    return {
        "model": model_label,
        "base": [round(v, 5) for v in pic.base],
        "psi": pic.psi,
        "classes": dict(pic.blend),
        "sliders": list(pic.sliders),
        "nudges": [list(n) for n in pic.nudges],
        "truncation": pic.truncation,
    }


def keyframe_tensors(model: PaintModel, pic: BasePicture) -> tuple[torch.Tensor, torch.Tensor]:
    """(z, class weights) as `explore.morph` takes keyframes."""
    return pic.latent(model), pic.classes(model)


def recipe(model: PaintModel, pic: BasePicture, scale: int = 1, l1: float | None = None) -> dict:
    """An inverted picture's recipe: `explore.recipe`'s fields with the base z in place of the seed."""
    rec = {
        "engine": explore.ENGINE,
        "model": model.name,
        "checkpoint": model.hash,
        "source": SOURCE,
        "base": [round(v, 5) for v in pic.base],
        "psi": round(float(pic.psi), 4),
        "classes": {k: round(float(v), 4) for k, v in pic.blend.items() if v > 0},
        "sliders": [round(float(s), 4) for s in pic.sliders],
        "nudges": [list(n) for n in pic.nudges],
        "upscale": int(scale),
        "resolution": model.config.resolution,
        "truncation": pic.truncation,
    }
    if l1 is not None:
        rec["invert_l1"] = round(float(l1), 5)
    return rec


def from_recipe(model: PaintModel, rec: dict, upscale: int | None = None) -> Image.Image:
    """Remake the picture an inverted picture's recipe describes."""
    if "base" not in rec:
        raise ValueError("This recipe has no base latent (it is a seed's recipe: use explore.from_recipe).")
    pic = BasePicture(
        tuple(check_base(model, rec["base"]).tolist()),
        float(rec.get("psi", 1.0)),
        dict(rec.get("classes") or {}),
        tuple(rec.get("sliders", ())),
        tuple(tuple(n) for n in rec.get("nudges", ())),
        rec.get("truncation", "anchor"),
    )
    return draw(model, pic, upscale or int(rec.get("upscale", 1)))
