"""Paint's Morph panel: keyframes (a strip of whole small pictures), a morph rendered as GIF or MP4
and kept in the Gallery, and reopening a kept morph with its keyframes and settings. A keyframe is a
seed's or, with `base`, an artist's picture found in the model (engines/paint/based.py)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr
from PIL import Image

from engines import recipe as recipes
from engines import tempfiles
from engines.paint import based, controls, explore, inverted
from engines.paint import replay as paint_replay
from engines.replay import ReplayContext
from engines.video import save_gif, save_mp4
from studio import common
from studio.common import friendly
from studio.paint_base import load, native, restore_recipe

MORPH_FIELDS = ("keyframes", "key_strip", "frames", "fps", "loop", "upscale", "preview")


# ------------------------------------------------------------------ handlers
def key_picture(model: explore.PaintModel, pic: controls.Picture | inverted.BasePicture) -> Image.Image:
    """A keyframe's small picture for the strip: a seed's (the shown one, when remembered) or a base's."""
    return native(model, pic) if isinstance(pic, controls.Picture) else based.draw(model, pic)


@friendly
def add_keyframe(
    model_label: str,
    class_a: str,
    class_b: str,
    amount: float,
    seed: float | None,
    psi: float,
    sliders: list[float],
    nudges: list | None,
    keyframes: list | None,
    request: gr.Request | None = None,
) -> tuple[list[dict], list[Image.Image]]:
    """Add the current picture to the morph's keyframes; returns the keyframes and their pictures."""
    keys = controls.keyframe_list(keyframes, room_for=1)
    model = load(model_label, request)
    pics = [based.check_keyframe(model, k, i + 1) for i, k in enumerate(keys)]
    pics.append(controls.picture(seed, psi, class_a, class_b, amount, sliders, nudges))
    keys = [*keys, controls.keyframe(model_label, model, pics[-1])]
    return keys, [key_picture(model, p) for p in pics]


def clear_keyframes() -> tuple[list, list]:
    """No keyframes."""
    return [], []


@friendly
def paint_morph(
    model_label: str,
    keyframes: list | None,
    frames: int,
    fps: float,
    loop: bool,
    fmt: str,
    upscale: int,
    progress: gr.Progress = gr.Progress(),
    request: gr.Request | None = None,
) -> tuple[str, str]:
    """Render a morph through keyframes [{seed | base, psi, classes, sliders, nudges}, ...] as GIF or MP4;
    returns (preview, file)."""
    n_frames, rate, scale, fmt = controls.morph_settings(frames, fps, upscale, fmt)
    model = load(model_label, request)
    keys = based.check_keyframes(model, keyframes, at_least=2)
    ws = common.workspace(request)
    ws.check_room()
    progress(0.1, desc="drawing frames")
    pics = controls.morph_pictures(model, keys, n_frames, bool(loop), scale)
    progress(0.7, desc="writing the file")
    rec = controls.morph_recipe(
        model, based.keyframe_dicts(model_label, model, keys), n_frames, rate, bool(loop), scale
    )
    title = f"{model.name} · morph of {len(keys)} keyframes"
    with tempfiles.job_dir("paint-morph") as work:  # scratch, gone once the GIF is kept
        gif = save_gif(pics, work / "morph.gif", rate, bool(loop), comment=recipes.gif_comment(rec))
        ws.check_room(gif.stat().st_size)
        out = ws.store.save_file(gif, "image", rec, pics[0], title=title)
    if fmt != "MP4":
        return str(out.path), str(out.path)
    ws.check_room()
    mp4 = save_mp4(pics, out.path.with_suffix(".mp4"), rate)  # beside the kept GIF: <output id>.mp4
    recipes.write_sidecar(mp4, rec)
    return str(out.path), str(mp4)


def restore_morph(path: str, rec: dict, request: gr.Request | None) -> tuple[list, list]:
    """A kept morph -> (picture updates from its first keyframe, updates for MORPH_FIELDS: its keyframes
    with their pictures, its settings and the kept GIF itself)."""
    model = paint_replay.find_model(rec, _replay_context(request))
    keys = based.check_keyframes(model, rec.get("keyframes"), at_least=2)
    picture = restore_recipe(first_recipe(model, keys[0], rec["keyframes"][0]), request)
    picture[7] = f"Reopened a morph of {len(keys)} keyframes from **{Path(path).name}**."
    shown = path if Path(path).suffix.lower() == ".gif" else str(Path(path).with_suffix(".gif"))
    morph = [
        list(rec.get("keyframes") or []),
        [key_picture(model, k) for k in keys],
        int(rec.get("frames", 48)),
        float(rec.get("fps", 12)),
        bool(rec.get("loop", True)),
        int(rec.get("upscale", 1)),
        shown,
    ]
    return picture, morph


def first_recipe(model: explore.PaintModel, pic: controls.Picture | inverted.BasePicture, key: dict) -> dict:
    """The picture recipe of a morph's first keyframe: a seed's, or a picture of kind "my picture"
    (reopened with its base by paint_panels' restorer)."""
    if isinstance(pic, inverted.BasePicture):
        return based.recipe(model, pic, key)
    return {**controls.recipe(model, pic), "truncation": pic.truncation}


def _replay_context(request: gr.Request | None) -> ReplayContext:
    ws = common.workspace(request)
    return ReplayContext(ws.models_dir, ws.store, common.studio().device)


# ------------------------------------------------------------------ layout and wiring
def panel() -> SimpleNamespace:
    """The Morph accordion: keyframes, settings, the rendered morph."""
    with gr.Accordion("Morph", open=False, elem_id="paint-morph-panel"):
        gr.Markdown("Add the current picture as a keyframe, move somewhere else, add another; then render.")
        with gr.Row():
            add_key = gr.Button("Add keyframe", elem_id="paint-add-key")
            clear_keys = gr.Button("Clear keyframes", elem_id="paint-clear-keys")
        key_strip = gr.Gallery(
            columns=10,
            rows=1,
            height="auto",
            allow_preview=False,
            show_label=False,
            object_fit="contain",
            elem_id="paint-keys",
            format="png",
        )  # whole small pictures
        with gr.Row():
            frames = gr.Slider(8, controls.MAX_FRAMES, value=48, step=1, label="Frames", elem_id="paint-frames")
            fps = gr.Slider(2, 30, value=12, step=1, label="Frames per second", elem_id="paint-fps")
            loop = gr.Checkbox(value=True, label="Loop back to the start", elem_id="paint-loop")
            fmt = gr.Radio(list(controls.FORMATS), value="GIF", label="Format", elem_id="paint-format")
            morph_up = gr.Radio(list(controls.UPSCALES), value=2, label="Upscale", elem_id="paint-morph-upscale")
        render = gr.Button("Render morph", variant="primary", elem_id="paint-render")
        with gr.Row():
            preview = gr.Image(
                type="filepath", label="Morph", height=280, interactive=False, elem_id="paint-morph-preview"
            )
            file = gr.File(label="Download", interactive=False, elem_id="paint-morph-file")
    return SimpleNamespace(
        add_key=add_key,
        clear_keys=clear_keys,
        key_strip=key_strip,
        frames=frames,
        fps=fps,
        loop=loop,
        fmt=fmt,
        morph_up=morph_up,
        render=render,
        preview=preview,
        file=file,
    )


def outputs(m: SimpleNamespace, keys: gr.JSON) -> list:
    """The components MORPH_FIELDS names."""
    return [keys, m.key_strip, m.frames, m.fps, m.loop, m.morph_up, m.preview]


def wire(m: SimpleNamespace, keys: gr.JSON, model_dd: gr.Dropdown) -> None:
    """Keyframes and the morph render (/paint_morph)."""
    m.clear_keys.click(clear_keyframes, None, [keys, m.key_strip], api_visibility="private", show_progress="hidden")
    m.render.click(
        paint_morph,
        [model_dd, keys, m.frames, m.fps, m.loop, m.fmt, m.morph_up],
        [m.preview, m.file],
        api_name="paint_morph",
        concurrency_id="paint_export",
        concurrency_limit=1,
    )
