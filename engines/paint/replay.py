"""Remaking a Paint output from its recipe (see engines/replay.py for the contract).

Kinds of Paint outputs that are remade, all deterministic for a given checkpoint, so all exact:
- a picture (seed, truncation, classes, sliders, nudges, upscale): drawn again;
- a picture drawn from an artist's picture (kind 'my picture': a base z found by inversion in place
  of the seed, see engines/paint/based.py): drawn again from its base;
- a morph (keyframes, each a seed's or a base's; frames, fps, loop, upscale): its frames drawn again
  and written as the same GIF (the remake is the GIF's first frame as decoded, what
  `engines.replay.same` compares; `morph_frames` gives every frame);
- a sweep (kind 'sweep': axes and base settings): the same labelled grid.
A sound-timed morph (kind 'sound morph') is reopened in the tab but not remade: its frames follow the
onsets librosa found in a sound (kept beside it), its GIF is a resized preview of an MP4, and push mode
needs each onset's strength, which the recipe does not keep. A training preview cannot be remade
either (it is a snapshot of a training run).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from engines import sweep as sweeps
from engines.checkpoints import file_hash
from engines.paint import based, controls, explore, inverted
from engines.paint import sweep as paint_sweep
from engines.replay import ReplayContext

PICTURE, MORPH, SWEEP, MINE, SOUND_MORPH = "picture", "morph", "sweep", based.KIND, "sound morph"


def kind(rec: dict) -> str:
    """'picture', 'my picture', 'morph', 'sound morph' or 'sweep'; ValueError for a Paint recipe that is
    none of them (a training preview)."""
    if not isinstance(rec, dict) or rec.get("engine") != explore.ENGINE:
        raise ValueError("That recipe was not made by Paint.")
    if rec.get("kind") in ("sweep", SOUND_MORPH):  # before "keyframes": a sound morph has them too
        return SWEEP if rec["kind"] == "sweep" else SOUND_MORPH
    if rec.get("kind") == MINE or (rec.get("source") == inverted.SOURCE and "keyframes" not in rec):
        return MINE
    if "keyframes" in rec:
        return MORPH
    if "seed" in rec:
        return PICTURE
    raise ValueError("That Paint output (a training preview, say) cannot be made again from its recipe.")


def exact(rec: dict) -> bool:
    """Every Paint output that is remade is deterministic: pictures (a seed's or a base's), morphs and
    sweeps; a sound-timed morph is not remade."""
    try:
        return kind(rec) != SOUND_MORPH
    except ValueError:
        return False


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


def mine(model: explore.PaintModel, rec: dict) -> Image.Image:
    """The picture a 'my picture' recipe describes (its base, truncation, sliders, nudges), at its upscale."""
    base, psi, sliders, nudges = based.from_recipe(rec)
    pic = based.picture(model, {**base, "checkpoint": None}, psi, sliders, nudges)  # find_model chose the model
    return inverted.draw(model, pic, controls.upscale(rec.get("upscale", 1)))


def picture_of(rec: dict) -> controls.Picture:
    """A picture recipe's place in the model's space, every value checked."""
    blend = rec.get("classes") if isinstance(rec.get("classes"), dict) else {}
    truncation = rec.get("truncation", "mean")
    if truncation not in explore.TRUNCATIONS:
        raise ValueError(f"The truncation kind must be one of {', '.join(explore.TRUNCATIONS)}.")
    pic = controls.picture(
        rec.get("seed"), rec.get("psi", 1.0), "x", controls.NO_BLEND, 0, rec.get("sliders", []), rec.get("nudges", [])
    )
    return controls.Picture(
        pic.seed, pic.psi, {str(k): float(v) for k, v in blend.items()}, pic.sliders, pic.nudges, truncation
    )


def morph_frames(model: explore.PaintModel, rec: dict) -> list[Image.Image]:
    """Every frame of the morph a recipe describes (keyframes a seed's or a base's)."""
    keys = based.check_keyframes(model, rec.get("keyframes"), at_least=2)
    n, fps, scale, _ = controls.morph_settings(rec.get("frames", 24), rec.get("fps", 12), rec.get("upscale", 1), "GIF")
    return controls.morph_pictures(model, keys, n, bool(rec.get("loop", True)), scale)


def morph_gif(frames: list[Image.Image], rec: dict) -> bytes:
    """The GIF a morph is kept as (same settings as the tab's, so the same bytes for the same frames)."""
    duration = max(20, int(round(1000 / float(rec.get("fps", 12)))))
    buf = io.BytesIO()
    frames[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=list(frames[1:]),
        duration=duration,
        loop=0 if rec.get("loop", True) else 1,
        disposal=2,
        optimize=False,
    )
    return buf.getvalue()


def sweep_grid(model: explore.PaintModel, rec: dict) -> Image.Image:
    """The labelled grid a Paint sweep recipe describes."""
    xa, ya = sweeps.axes_of(rec)
    return paint_sweep.run_sweep(model, rec.get("base") or {}, xa, ya)


def remake(rec: dict, ctx: ReplayContext) -> Image.Image:
    """A Paint output again: the picture, the morph's first frame (as its GIF holds it) or the sweep's grid."""
    what = kind(rec)
    if what == SOUND_MORPH:
        raise ValueError(
            "A sound-timed morph is reopened, not remade: its frames follow the onsets of its sound "
            "(open it in Paint, then render it again from Move with sound)."
        )
    model = find_model(rec, ctx)
    if what == PICTURE:
        return picture(model, rec)
    if what == MINE:
        return mine(model, rec)
    if what == SWEEP:
        return sweep_grid(model, rec)
    with Image.open(io.BytesIO(morph_gif(morph_frames(model, rec), rec))) as gif:
        gif.seek(0)
        return gif.convert("RGB")
