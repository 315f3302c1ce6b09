"""Exploring a Paint model (what the studio and the CLI call): loading a checkpoint once, then
seeds, truncation, class blends, direction sliders (see `directions`), variations, slerp morphs and
recipes. Everything here is deterministic for a given model, seed and settings."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from engines import checkpoints
from engines.paint import anchors as anchoring
from engines.paint import directions as dirs
from engines.paint.anchors import Anchors
from engines.paint.data import group_of
from engines.paint.directions import Direction
from engines.paint.images import to_pil
from engines.paint.model import GANConfig, Generator
from engines.settings import assets_dir

ENGINE = "paint"
BUNDLED_DIR = assets_dir() / "models" / "paint"


@dataclass
class PaintModel:
    """A loaded generator and what is known about it."""

    generator: Generator
    config: GANConfig
    meta: dict
    path: Path
    hash: str
    device: torch.device
    directions: list[Direction] = field(default_factory=list)
    anchors: Anchors | None = None  # one z per training picture: truncation pulls toward them

    @property
    def class_names(self) -> list[str]:
        names = self.meta.get("class_names") or ["all"]
        return list(names)

    @property
    def name(self) -> str:
        return self.meta.get("name") or self.path.stem

    @property
    def z_dim(self) -> int:
        return self.config.z_dim


_lock = threading.Lock()


def bundled_models() -> list[Path]:
    """Paint checkpoints shipped in assets/models/paint."""
    return checkpoints.list_models(BUNDLED_DIR, engine=ENGINE)


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float, device: str) -> PaintModel:
    ck = checkpoints.load(path, engine=ENGINE)
    cfg = GANConfig.from_dict(ck.config)
    g = Generator(cfg)
    g.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ck.state_dict.items()})
    g = g.to(device).eval().requires_grad_(False)
    model = PaintModel(g, cfg, ck.meta, Path(path), checkpoints.file_hash(path), torch.device(device))
    if ck.extra.get("anchors"):
        model.anchors = Anchors.from_payload(ck.extra["anchors"], device)
    saved = ck.extra.get("directions")  # computed when the model was exported
    model.directions = dirs.from_payload(saved) if saved else dirs.principal_directions(g, len(model.class_names))
    return model


def load_model(path: str | os.PathLike, device: str | torch.device = "cpu") -> PaintModel:
    """Load a Paint checkpoint once per (file, version, device); later calls reuse it."""
    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no Paint model at {path}")
    with _lock:
        return _load_cached(str(path), path.stat().st_mtime, str(device))


def seed_to_z(seed: int, z_dim: int) -> torch.Tensor:
    """The noise vector for a seed (the same on every machine)."""
    gen = torch.Generator().manual_seed(int(seed) % (2**63))
    return torch.randn(z_dim, generator=gen)


def class_vector(model: PaintModel, blend: dict[str, float] | str | int | None) -> torch.Tensor:
    """Class weights for a class name, index or {name: weight} blend (normalised to sum 1).

    A model whose classes are kinds ('faces: smileys') also takes a group name ('faces'): the
    blend of its kinds in proportion to their training pictures, which is where the group's
    model was before it was refined (so recipes saved with group names still work)."""
    names = model.class_names
    w = torch.zeros(len(names))
    if blend is None or blend == "":
        w[0] = 1
    elif isinstance(blend, (int, np.integer)):
        w[int(blend)] = 1
    else:
        for name, weight in ({blend: 1.0} if isinstance(blend, str) else blend).items():
            w += max(0.0, float(weight)) * _one_class(model, name)
        if w.sum() <= 0:
            raise ValueError("the class blend needs at least one weight above zero")
    return w / w.sum()


def class_choices(names: Sequence[str]) -> list[str]:
    """A model's class names for a picker; a model of kinds also lists each group (a blend of
    its kinds) before its first kind."""
    out: list[str] = []
    for name in names:
        group = group_of(name)
        if group and group not in out:
            out.append(group)
        out.append(name)
    return out


def _one_class(model: PaintModel, name: str) -> torch.Tensor:
    """Weights (summing to 1) for one class name, or for a group of kinds named by its prefix."""
    names = model.class_names
    w = torch.zeros(len(names))
    if name in names:
        w[names.index(name)] = 1
        return w
    kinds = [i for i, n in enumerate(names) if group_of(n) == name]
    if not kinds:
        raise ValueError(f"this model has no class {name!r}; it knows {', '.join(names)}")
    counts = model.meta.get("class_counts") or [1] * len(names)
    for i in kinds:
        w[i] = float(counts[i]) if len(counts) == len(names) else 1.0
    return w / w.sum()


TRUNCATIONS = ("anchor", "mean")
PSI_ANCHOR, PSI_MEAN = 0.2, 0.8  # the tab's default truncation toward anchors, or toward the mean


def default_psi(model: PaintModel) -> float:
    """The truncation a picture starts at: near a learnt picture when the model has anchors."""
    return PSI_ANCHOR if model.anchors is not None else PSI_MEAN


def truncation_of(model: PaintModel) -> str:
    """How truncation works for this model: toward its anchors when it has them, else the mean."""
    return "anchor" if model.anchors is not None else "mean"


def latent(
    model: PaintModel,
    seed: int,
    psi: float = 1.0,
    sliders: Sequence[float] = (),
    nudges: Sequence[Sequence[float]] = (),
    blend: dict[str, float] | str | int | None = None,
    truncation: str = "anchor",
) -> torch.Tensor:
    """z for a seed, truncated by `psi`, moved by any variation `nudges`, then along the
    principal directions by `sliders` (in standard deviations).

    With truncation 'anchor' (and a model that has anchors) psi slerps from an anchor of the
    class `blend` names that the seed picks (psi 0) to the seed's own z (psi 1), and the nudges
    act after it; with 'mean' (the classic way, and what recipes made before anchors replay)
    the nudged z is scaled by psi toward the mean."""
    if truncation not in TRUNCATIONS:
        raise ValueError(f"truncation must be one of {', '.join(TRUNCATIONS)}")
    anchor = _anchor(model, seed, blend) if truncation == "anchor" else None
    if anchor is None:
        z = nudge(seed_to_z(seed, model.z_dim), nudges) * float(psi)
    else:
        z = nudge(anchoring.toward(seed_to_z(seed, model.z_dim), anchor, psi), nudges)
    for value, d in zip(sliders, model.directions):
        z = z + float(value) * d.vector
    return z


def _anchor(model: PaintModel, seed: int, blend: dict[str, float] | str | int | None) -> torch.Tensor | None:
    """The anchor a seed lands on for a class or blend: one per named class (a group of kinds
    pools its kinds' anchors), slerped together by the blend's weights."""
    if model.anchors is None:
        return None
    if blend is None or blend == "" or isinstance(blend, (int, np.integer)):
        parts = [(1.0, [int(blend or 0)])]
    else:
        named = {blend: 1.0} if isinstance(blend, str) else blend
        parts = [
            (float(w), torch.nonzero(_one_class(model, name)).flatten().tolist())
            for name, w in named.items()
            if float(w) > 0
        ]
    out, total = None, 0.0
    for weight, classes in parts:
        a = anchoring.pick(model.anchors, classes, seed)
        if a is None:
            continue
        total += weight
        out = a.cpu() if out is None else slerp(out, a.cpu(), weight / total)
    return out


@torch.no_grad()
def render(model: PaintModel, z: torch.Tensor, y: torch.Tensor, upscale: int = 1) -> list[Image.Image]:
    """Pictures for a batch (or one) of z and class weights; `upscale` enlarges smoothly."""
    z = z.reshape(-1, model.z_dim).to(model.device)
    y = y.reshape(-1, len(model.class_names)).to(model.device)
    if y.shape[0] == 1 and z.shape[0] > 1:
        y = y.expand(z.shape[0], -1)
    images = [to_pil(x) for x in model.generator(z, y)]
    if upscale > 1:
        images = [im.resize((im.width * upscale, im.height * upscale), Image.Resampling.LANCZOS) for im in images]
    return images


def generate(
    model: PaintModel,
    seed: int,
    psi: float = 1.0,
    blend: dict[str, float] | str | int | None = None,
    sliders: Sequence[float] = (),
    nudges: Sequence[Sequence[float]] = (),
    upscale: int = 1,
    truncation: str = "anchor",
) -> Image.Image:
    """One picture from a seed, truncation, class (or blend), variation nudges and direction sliders."""
    z = latent(model, seed, psi, sliders, nudges, blend, truncation)
    return render(model, z, class_vector(model, blend), upscale)[0]


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between two noise vectors (keeps their norm typical of N(0, I))."""
    an, bn = a / a.norm(), b / b.norm()
    omega = torch.arccos((an * bn).sum().clamp(-1 + 1e-7, 1 - 1e-7))
    if omega.abs() < 1e-4:
        return (1 - t) * a + t * b
    so = torch.sin(omega)
    return torch.sin((1 - t) * omega) / so * a + torch.sin(t * omega) / so * b


def morph(
    model: PaintModel,
    keyframes: Sequence[tuple[torch.Tensor, torch.Tensor]],
    frames: int = 24,
    loop: bool = True,
    upscale: int = 1,
) -> list[Image.Image]:
    """Frames that travel through keyframes (z, class weights): slerp in z, linear in class,
    eased in and out at each keyframe. With `loop`, the path returns to the first keyframe."""
    if len(keyframes) < 2:
        raise ValueError("a morph needs at least two keyframes")
    path = list(keyframes) + ([keyframes[0]] if loop else [])
    segments = len(path) - 1
    per = max(2, int(frames) // segments)
    zs, ys = [], []
    for (za, ya), (zb, yb) in zip(path[:-1], path[1:]):
        for i in range(per):
            t = i / per
            t = t * t * (3 - 2 * t)  # smoothstep ease
            zs.append(slerp(za, zb, t))
            ys.append((1 - t) * ya + t * yb)
    if not loop:
        zs.append(path[-1][0])
        ys.append(path[-1][1])
    pictures: list[Image.Image] = []
    for i in range(0, len(zs), 32):
        pictures += render(model, torch.stack(zs[i : i + 32]), torch.stack(ys[i : i + 32]), upscale)
    return pictures


# ---------------------------------------------------------------- models and recipes
DEFAULT_MODEL = "emoji (bundled)"  # the 8-group model opens the tab; emoji-kinds and the artist's follow


def available_models(user_dir: str | os.PathLike | None = None) -> dict[str, Path]:
    """Display name -> checkpoint: the default bundled model first, then the other bundled ones
    and the user's own (newest last)."""
    found = checkpoints.labelled_models(BUNDLED_DIR, user_dir, ENGINE)
    return {k: found[k] for k in sorted(found, key=lambda k: k != DEFAULT_MODEL)}


def nudge(z: torch.Tensor, nudges: Sequence[Sequence[float]]) -> torch.Tensor:
    """Apply recorded variation steps [(variation seed, index, spread), ...] to z."""
    for var_seed, index, spread in nudges:
        z = variations_from(z, int(var_seed), float(spread))[int(index)]
    return z


def variations_from(z: torch.Tensor, var_seed: int, spread: float) -> list[torch.Tensor]:
    """`variations` for a plain z (helper shared by the grid and by replaying nudges)."""
    gen = torch.Generator().manual_seed(int(var_seed))
    out = []
    for i in range(9):
        step = torch.randn(z.shape[-1], generator=gen)
        out.append(z.clone() if i == 4 else z + spread * step)
    return out


def recipe(
    model: PaintModel,
    seed: int,
    psi: float,
    blend: dict[str, float],
    sliders: Sequence[float],
    nudges: Sequence[Sequence[float]] = (),
    upscale: int = 1,
) -> dict:
    """Everything needed to make the same picture again."""
    return {
        "engine": ENGINE,
        "model": model.name,
        "checkpoint": model.hash,
        "seed": int(seed),
        "psi": round(float(psi), 4),
        "classes": {k: round(float(v), 4) for k, v in blend.items() if v > 0},
        "sliders": [round(float(s), 4) for s in sliders],
        "nudges": [list(n) for n in nudges],
        "upscale": int(upscale),
        "resolution": model.config.resolution,
        "truncation": truncation_of(model),
    }


def from_recipe(model: PaintModel, rec: dict, upscale: int | None = None) -> Image.Image:
    """Remake the picture a Paint recipe describes (with this model)."""
    return generate(
        model,
        rec["seed"],
        rec.get("psi", 1.0),
        rec.get("classes") or None,
        rec.get("sliders", []),
        rec.get("nudges", []),
        upscale or int(rec.get("upscale", 1)),
        rec.get("truncation", "mean"),
    )


def class_sheet(model: PaintModel, seeds: list[int], psi: float | None = None, upscale: int = 1) -> Image.Image:
    """A contact sheet: one row per class (named on the left), one column per seed, so what
    the class changes and what the seed keeps can be read at a glance (psi: the tab's default)."""
    psi = default_psi(model) if psi is None else psi
    rows = [
        render(
            model, torch.stack([latent(model, s, psi, blend=name) for s in seeds]), class_vector(model, name), upscale
        )
        for name in model.class_names
    ]
    labels = [name.replace(": ", ":\n") for name in model.class_names]  # a kind under its group
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    size = rows[0][0].width
    label_w = max(120, *(measure.multiline_textbbox((0, 0), t)[2] + 12 for t in labels))
    sheet = Image.new("RGB", (label_w + size * len(seeds), size * len(rows)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, (label, pics) in enumerate(zip(labels, rows)):
        draw.multiline_text((6, r * size + size // 2), label, fill="black", anchor="lm")
        for c, pic in enumerate(pics):
            sheet.paste(pic, (label_w + c * size, r * size))
    return sheet
