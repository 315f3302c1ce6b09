"""Remaking a Paint output from its recipe (see engines/replay.py for the contract).

Kinds of Paint outputs, all deterministic for a given checkpoint, so all exact:
- a picture (seed, truncation, classes, sliders, nudges, upscale): drawn again;
- a morph (keyframes, frames, fps, loop, upscale): its frames drawn again and written as the same GIF
  (the remake is the GIF's first frame as decoded, what `engines.replay.same` compares; `morph_frames`
  gives every frame);
- a sweep (kind 'sweep': axes and base settings): the same labelled grid.
A training preview cannot be remade (it is a snapshot of a training run).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from engines import sweep as sweeps
from engines.checkpoints import file_hash
from engines.paint import controls, explore
from engines.paint import sweep as paint_sweep
from engines.replay import ReplayContext

PICTURE, MORPH, SWEEP = "picture", "morph", "sweep"


def kind(rec: dict) -> str:
    """'picture', 'morph' or 'sweep'; ValueError for a Paint recipe that cannot be remade."""
    if not isinstance(rec, dict) or rec.get("engine") != explore.ENGINE:
        raise ValueError("That recipe was not made by Paint.")
    if rec.get("kind") == "sweep":
        return SWEEP
    if "keyframes" in rec:
        return MORPH
    if "seed" in rec:
        return PICTURE
    raise ValueError("That Paint output (a training preview, say) cannot be made again from its recipe.")


def exact(rec: dict) -> bool:
    """Every Paint output that can be remade is deterministic: pictures, morphs and sweeps."""
    try:
        kind(rec)
    except ValueError:
        return False
    return True


def find_model(rec: dict, ctx: ReplayContext) -> explore.PaintModel:
    """The model a recipe names (by checkpoint hash, else by name) among the bundled ones and the
    workspace's own; a message when it is not there."""
    found = explore.available_models(Path(ctx.models_dir) / explore.ENGINE)
    path = next((p for p in found.values() if file_hash(p) == rec.get("checkpoint")), None)
    path = path or next((p for label, p in found.items() if label.startswith(f"{rec.get('model')} ")), None)
    if path is None:
        raise ValueError(f"The model that made this ({str(rec.get('model'))[:60]}) is not here; add it under Models.")
    return explore.load_model(path, ctx.device)




def picture(model: explore.PaintModel, rec: dict) -> Image.Image:
    """The picture a Paint picture recipe describes, at its upscale, with this model."""
    pic = picture_of(rec)
    return controls.draw(model, pic, controls.upscale(rec.get("upscale", 1)))


def picture_of(rec: dict) -> controls.Picture:
    """A picture recipe's place in the model's space, every value checked."""
    blend = rec.get("classes") if isinstance(rec.get("classes"), dict) else {}
    truncation = rec.get("truncation", "mean")
    if truncation not in explore.TRUNCATIONS:
        raise ValueError(f"The truncation kind must be one of {', '.join(explore.TRUNCATIONS)}.")
    pic = controls.picture(rec.get("seed"), rec.get("psi", 1.0), "x", controls.NO_BLEND, 0,
                           rec.get("sliders", []), rec.get("nudges", []))
    return controls.Picture(pic.seed, pic.psi, {str(k): float(v) for k, v in blend.items()}, pic.sliders,
                            pic.nudges, truncation)


def morph_frames(model: explore.PaintModel, rec: dict) -> list[Image.Image]:
    """Every frame of the morph a recipe describes."""
    keys = controls.check_keyframes(model, rec.get("keyframes"))
    n, fps, scale, _ = controls.morph_settings(rec.get("frames", 24), rec.get("fps", 12), rec.get("upscale", 1), "GIF")
    return controls.morph_pictures(model, keys, n, bool(rec.get("loop", True)), scale)


def morph_gif(frames: list[Image.Image], rec: dict) -> bytes:
    """The GIF a morph is kept as (same settings as the tab's, so the same bytes for the same frames)."""
    duration = max(20, int(round(1000 / float(rec.get("fps", 12)))))
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=list(frames[1:]), duration=duration,
                   loop=0 if rec.get("loop", True) else 1, disposal=2, optimize=False)
    return buf.getvalue()


def sweep_grid(model: explore.PaintModel, rec: dict) -> Image.Image:
    """The labelled grid a Paint sweep recipe describes."""
    xa, ya = sweeps.axes_of(rec)
    return paint_sweep.run_sweep(model, rec.get("base") or {}, xa, ya)


def remake(rec: dict, ctx: ReplayContext) -> Image.Image:
    """A Paint output again: the picture, the morph's first frame (as its GIF holds it) or the sweep's grid."""
    what = kind(rec)
    model = find_model(rec, ctx)
    if what == PICTURE:
        return picture(model, rec)
    if what == SWEEP:
        return sweep_grid(model, rec)
    with Image.open(io.BytesIO(morph_gif(morph_frames(model, rec), rec))) as gif:
        gif.seek(0)
        return gif.convert("RGB")

