"""Paint's Move with sound panel (/paint_morph_to_sound): a morph through the Morph panel's keyframes
(or typed seeds) whose moves fall on a sound's onsets or beats, rendered with progress and Stop, kept
in the Gallery as a preview GIF with the MP4 (carrying the sound) beside it. The work lives in
engines.paint.sound_morph and engines.paint.sound_file; keyframes of either kind (a seed's or an
inverted picture's) in engines.paint.based."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from engines import limits, tempfiles
from engines import recipe as recipes
from engines.fsutil import atomic_write_bytes
from engines.jobs import StopToken
from engines.paint import based, explore, sound_file, sound_morph, sound_timing
from studio import common
from studio.common import friendly
from studio.paint_base import N_SLIDERS, QUIET, load

KIND = "sound morph"  # sound_morph.recipe's kind
MODE_CHOICES = [
    ("Step to the next keyframe on each onset", "step"),
    ("Push along a direction by onset strength", "push"),
]
MAX_SOUND_CHOICES = 200  # Gallery sounds listed in the dropdown (newest first)

_stops: dict[str, StopToken] = {}
"""Stop tokens of running sound morphs, keyed by workspace (Stop works from any of its pages)."""


def _token(request: gr.Request | None) -> StopToken:
    token = _stops.setdefault(common.workspace(request).name, StopToken())
    token.reset()
    return token


def stop_sound_morph(request: gr.Request | None = None) -> str:
    """The Stop button of Move with sound (any page of the workspace)."""
    token = _stops.get(common.workspace(request).name)
    if token is None:
        return "Nothing is rendering."
    token.stop()
    return "Stopping; the frames so far are kept…"


# ------------------------------------------------------------------ handlers
def _sound_outputs(request: gr.Request | None) -> list[tuple[str, str]]:
    """The caller's Gallery sounds as (title · date, id), newest first."""
    outs = common.workspace(request).store.list("sound")[:MAX_SOUND_CHOICES]
    return [(f"{o.title} · {o.created_text()}", o.id) for o in outs]


@friendly
def sound_choices(current: str | None = None, request: gr.Request | None = None) -> gr.Dropdown:
    """The Gallery-sound dropdown afresh (only the caller's own sounds)."""
    choices = _sound_outputs(request)
    ids = [c[1] for c in choices]
    return gr.Dropdown(choices=choices, value=current if current in ids else None)


def _sound_source(sound: str | None, gallery_sound: str | None, request: gr.Request | None) -> tuple[str, str]:
    """(file, name) of the sound to follow: the upload, else the chosen Gallery sound (the caller's own)."""
    if sound:
        return str(sound), Path(sound).name
    if gallery_sound:
        out = common.workspace(request).store.get(str(gallery_sound))
        if out.kind != "sound":
            raise ValueError("That Gallery item is not a sound.")
        return str(out.path), out.title
    raise ValueError(
        f"Add a sound: upload one (up to {sound_timing.MAX_SECONDS:g} s) or choose one of your Gallery's sounds."
    )


def _morph_keys(
    model_label: str, model: explore.PaintModel, keyframes: list | None, seeds: str | None, class_name: str, psi: float
) -> list:
    """The keyframes to move through: typed seeds (with the current class and truncation) when given,
    else the Morph panel's keyframes."""
    if seeds and str(seeds).strip():
        keyframes = based.seed_keyframes(model_label, model, based.parse_seeds(seeds), class_name, psi)
    if not keyframes:
        raise ValueError("Add keyframes in the Morph panel, or type seeds like 3, 9, 27.")
    return based.check_keyframes(model, keyframes)


@friendly
def paint_morph_to_sound(
    model_label: str,
    keyframes: list | None,
    seeds: str | None,
    class_name: str,
    psi: float,
    sound: str | None,
    gallery_sound: str | None,
    mode: str,
    timing: str,
    fps: float,
    upscale: int,
    direction: int = 1,
    request: gr.Request | None = None,
) -> Iterator[tuple]:
    """Render a morph through the keyframes that moves with a sound; streams (preview, MP4 with the
    sound, status); the GIF is kept in the Gallery with the MP4 beside it."""
    model = load(model_label, request)
    pics = _morph_keys(model_label, model, keyframes, seeds, class_name, psi)
    path, name = _sound_source(sound, gallery_sound, request)
    wave = sound_file.read_sound(path)
    n_dirs = max(len(model.directions), 1)
    direction = limits.whole(direction, "The direction", 1, n_dirs) - 1
    ws = common.workspace(request)
    ws.check_room(Path(path).stat().st_size)
    token, result = _token(request), None
    for ev in sound_morph.sound_morph(
        model,
        based.tensors(model, pics),
        wave,
        fps=fps,
        mode=mode,
        timing=timing,
        upscale=upscale,
        direction=direction,
        stop=token,
    ):
        result = ev.result
        if result is None:
            frame = ev.preview if ev.preview is not None else gr.update()
            yield frame, gr.update(), f"**{ev.message}** ({ev.fraction:.0%})"
    assert result is not None
    if not result.frames:
        raise ValueError("Stopped before the first frame; nothing was kept.")
    rec = sound_morph.recipe(model, based.keyframe_dicts(model_label, model, pics), result, name)
    rec["sound_input"] = ws.store.keep_input(path, Path(path).suffix or ".wav")
    yield gr.update(), gr.update(), "Writing the video with its sound…"
    gif, mp4 = _keep_sound_morph(result, rec, f"{model.name} · moves with {name[:60]}", request)
    done = "Stopped" if result.stopped else "Done"
    yield (
        gif,
        mp4,
        f"**{done}**: {len(result.frames)} frames at {result.fps:g} fps, {len(result.timing.times)} "
        f"{result.timing.kind}; kept in the Gallery (the MP4 carries the sound).",
    )


def _keep_sound_morph(
    result: sound_morph.SoundMorph, rec: dict, title: str, request: gr.Request | None
) -> tuple[str, str]:
    """Write the MP4 and preview GIF in a job folder, keep the GIF in the caller's Gallery and the MP4
    beside it (<output id>.mp4); returns (GIF path, MP4 path)."""
    ws = common.workspace(request)
    with tempfiles.job_dir("paint-sound-morph") as work:
        mp4, gif = sound_file.export(result, work, recipes.gif_comment(rec))
        ws.check_room(mp4.stat().st_size + gif.stat().st_size)
        out = ws.store.save_file(gif, "image", rec, result.frames[0], title=title)
        kept = atomic_write_bytes(out.path.with_suffix(".mp4"), mp4.read_bytes())
    recipes.write_sidecar(kept, rec)
    return str(out.path), str(kept)


# ------------------------------------------------------------------ layout and wiring
def panel() -> SimpleNamespace:
    """The Move with sound accordion: keyframes or seeds, a sound, mode, timing, fps, render/stop, result."""
    with gr.Accordion("Move with sound", open=False, elem_id="paint-sound-panel"):
        gr.Markdown(
            "Moves through the Morph panel's keyframes (or the seeds typed here, in the current class) "
            f"in time with a sound of up to {sound_timing.MAX_SECONDS:g} s; the MP4 carries the sound."
        )
        seeds = gr.Textbox(
            label="Seeds (optional: used instead of the keyframes)", placeholder="3, 9, 27", elem_id="paint-sound-seeds"
        )
        with gr.Row():
            sound = gr.Audio(type="filepath", label="A sound", elem_id="paint-sound-file")
            with gr.Column():
                gallery_sound = gr.Dropdown(
                    [], value=None, label="…or one of your Gallery's sounds", elem_id="paint-sound-gallery"
                )
                refresh = gr.Button("↻ Gallery sounds", elem_id="paint-sound-refresh")
        with gr.Row():
            mode = gr.Radio(MODE_CHOICES, value="step", label="Move", elem_id="paint-sound-mode")
            timing = gr.Radio(list(sound_timing.TIMINGS), value="onsets", label="On", elem_id="paint-sound-timing")
        with gr.Row():
            fps = gr.Slider(
                sound_morph.MIN_FPS,
                sound_morph.MAX_FPS,
                value=12,
                step=1,
                label="Frames per second",
                elem_id="paint-sound-fps",
            )
            upscale = gr.Radio(list(sound_morph.UPSCALES), value=2, label="Upscale", elem_id="paint-sound-upscale")
            direction = gr.Slider(
                1, N_SLIDERS, value=1, step=1, label="Direction to push along", elem_id="paint-sound-direction"
            )
        with gr.Row():
            render = gr.Button("Render with sound", variant="primary", elem_id="paint-sound-render")
            stop = gr.Button("Stop", variant="stop", elem_id="paint-sound-stop")
        status = gr.Markdown(elem_id="paint-sound-status")
        with gr.Row():
            preview = gr.Image(
                type="filepath", label="Preview", height=280, interactive=False, elem_id="paint-sound-preview"
            )
            file = gr.File(label="MP4 with the sound", interactive=False, elem_id="paint-sound-mp4")
    return SimpleNamespace(
        seeds=seeds,
        sound=sound,
        gallery_sound=gallery_sound,
        refresh=refresh,
        mode=mode,
        timing=timing,
        fps=fps,
        upscale=upscale,
        direction=direction,
        render=render,
        stop=stop,
        status=status,
        preview=preview,
        file=file,
    )


def wire(ctx: common.StudioContext, tab: gr.Tab, ui: SimpleNamespace, s: SimpleNamespace) -> None:
    """Move with sound (/paint_morph_to_sound), its Stop and the Gallery-sound list."""
    pic = ui.pic
    keys = ui.keys if hasattr(ui, "keys") else gr.State([])
    s.render.click(
        paint_morph_to_sound,
        [
            pic.model_dd,
            keys,
            s.seeds,
            pic.class_a,
            pic.psi,
            s.sound,
            s.gallery_sound,
            s.mode,
            s.timing,
            s.fps,
            s.upscale,
            s.direction,
        ],
        [s.preview, s.file, s.status],
        api_name="paint_morph_to_sound",
        concurrency_id="paint_export",
        concurrency_limit=1,
    )
    s.stop.click(stop_sound_morph, None, s.status, api_visibility="private", queue=False)
    gr.on([tab.select, s.refresh.click, ctx.demo.load], sound_choices, s.gallery_sound, s.gallery_sound, **QUIET)
