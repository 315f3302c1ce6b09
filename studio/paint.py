"""Paint tab: steer a conditional GAN with live sliders, explore variations, render morphs,
and train the same kind of model on your own pictures. Handlers first, then the layout, then the
wiring; the work itself lives in engines.paint (controls.py checks the controls and builds what
the model needs)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pandas as pd
from PIL import Image

from engines import checkpoints, limits, tempfiles
from engines import recipe as recipes
from engines.jobs import LIVE
from engines.paint import controls, explore
from engines.paint.data import MIN_IMAGES, load_image_set
from engines.paint.train import TrainConfig, TrainEvent, train
from engines.video import save_gif, save_mp4
from studio import common
from studio.common import Restorer, StudioContext, friendly, how_it_works, one_input_per_slider

NAME = "paint"
TITLE = "Paint"
N_SLIDERS = explore.N_DIRECTIONS
DISPLAY = 320
NO_BLEND = controls.NO_BLEND
OPENING_SEED = 23  # the bundled model's first picture: a clear face (a drooling smiley) at the tab's truncation
TRAIN_STARTS = ("from scratch", "from the selected model")

HELP = f"""
Paint draws pictures with a **GAN**: a generator network that turns a list of random numbers
(the *seed*) and a *class* into a picture. It learned from examples: the bundled *emoji* model
from about 1,400 emoji in 8 groups, *emoji-kinds* from the same emoji in 33 kinds (hearts, cats,
hands, birds, fruit, clocks, vehicles, ...).

- **Seed**: each number is a different picture. The dice picks one at random.
- **Truncation**: lower values give safer, more typical pictures; higher ones wilder ones.
- **Directions**: the sliders move through the model's space along the ways its pictures vary
  most (found by principal component analysis, named by what they change most).
- **Variations**: nine neighbours of the current picture; click one to move there.
- **Morph**: add keyframes, then render a smooth animation through them (GIF or MP4).
- **Keep** saves the picture, with its recipe, to the Gallery.
- **Train**: give it at least {MIN_IMAGES} pictures (or a zip; its sub-folders become classes;
  loose pictures are one class, named after the model).
"""


# ------------------------------------------------------------------ models of this request
def _models(request: gr.Request | None) -> dict[str, Path]:
    """Bundled Paint models and the caller's own (from their workspace)."""
    return explore.available_models(common.workspace(request).engine_models_dir(NAME))


def _load(label: str | None, request: gr.Request | None) -> explore.PaintModel:
    """The model a label names, for this caller, on the studio's device."""
    return explore.load_model(common.pick_model(_models(request), label, "Paint model"), common.studio().device)


def _display(image: Image.Image) -> Image.Image:
    """Enlarge a small picture smoothly for the screen."""
    scale = max(1, DISPLAY // image.width)
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.LANCZOS) if scale > 1 else image


# ------------------------------------------------------------------ handlers: the picture
@friendly
def paint_generate(model_label: str, class_a: str, class_b: str, amount: float, seed: float | None, psi: float,
                   sliders: list[float], nudges: list | None = None,
                   request: gr.Request | None = None) -> Image.Image:
    """One picture from model, class (optionally blended), seed, truncation and direction sliders."""
    pic = controls.picture(seed, psi, class_a, class_b, amount, sliders, nudges)
    with LIVE.live():
        return _display(controls.draw(_load(model_label, request), pic))


@friendly
def keep_it(model_label: str, class_a: str, class_b: str, amount: float, seed: float | None, psi: float,
            sliders: list[float], nudges: list | None, upscale: int, request: gr.Request | None = None) -> str:
    """Save the current picture (enlarged `upscale` times) with its recipe to the caller's Gallery."""
    pic = controls.picture(seed, psi, class_a, class_b, amount, sliders, nudges)
    scale = controls.upscale(upscale)
    model = _load(model_label, request)
    ws = common.workspace(request)
    ws.check_room()
    out = ws.store.save_image(controls.draw(model, pic, scale), controls.recipe(model, pic, scale),
                              title=controls.title(model, pic))
    gr.Info("Kept in the Gallery.")
    return str(out.path)


@friendly
def show_variations(model_label: str, class_a: str, class_b: str, amount: float, seed: float | None, psi: float,
                    sliders: list[float], nudges: list | None, spread: float, var_seed: int,
                    request: gr.Request | None = None) -> list[tuple[Image.Image, str | None]]:
    """Nine neighbours of the current picture (the centre one is the picture itself)."""
    pic = controls.picture(seed, psi, class_a, class_b, amount, sliders, nudges)
    with LIVE.live():
        pics = controls.variations(_load(model_label, request), pic, var_seed, spread)
    return [(_display(p), "here" if i == controls.CENTRE else None) for i, p in enumerate(pics)]


@friendly
def pick_variation(nudges: list | None, var_seed: int, spread: float, evt: gr.SelectData) -> tuple[list, int]:
    """Move to the variation clicked in the grid (record it as a nudge); the centre one stays put."""
    if evt.index is None or int(evt.index) == controls.CENTRE:
        return list(nudges or []), var_seed
    return controls.with_step(nudges, var_seed, evt.index, spread), int(var_seed) % limits.MAX_SEED + 1


def new_seed() -> tuple[int, list]:
    """A random seed, and no variation steps."""
    return random.randint(0, limits.MAX_SEED), []


@friendly
def reset_all(model_label: str, request: gr.Request | None = None) -> list:
    """No variation steps, every slider at 0, the model's own starting truncation."""
    return [[]] + [0.0] * N_SLIDERS + [explore.default_psi(_load(model_label, request))]


@friendly
def on_model(model_label: str, request: gr.Request | None = None) -> tuple:
    """A model was chosen: its classes, its direction names, its starting truncation."""
    model = _load(model_label, request)
    names, choices = model.class_names, explore.class_choices(model.class_names)
    slider_updates = [gr.Slider(label=f"{i + 1}. {d.name}", value=0) for i, d in enumerate(model.directions)]
    slider_updates += [gr.Slider(value=0)] * (N_SLIDERS - len(slider_updates))
    return (gr.Dropdown(choices=choices, value=names[0]), gr.Dropdown(choices=[NO_BLEND, *choices], value=NO_BLEND),
            [], gr.Slider(value=explore.default_psi(model)), *slider_updates)


@friendly
def model_choices(current: str | None, request: gr.Request | None = None) -> gr.Dropdown:
    """The model list afresh (bundled and the caller's own), keeping the current choice if it is there."""
    found = _models(request)
    return gr.Dropdown(choices=list(found), value=current if current in found else next(iter(found), None))


@friendly
def model_file(model_label: str, request: gr.Request | None = None) -> str:
    """The selected model's checkpoint, to download."""
    return str(common.pick_model(_models(request), model_label, "Paint model"))


@friendly
def add_model(path: str | None, request: gr.Request | None = None) -> tuple[gr.Dropdown, str]:
    """Add an uploaded Paint checkpoint to the caller's own models."""
    if not path:
        return gr.Dropdown(), ""
    ws = common.workspace(request)
    ws.check_room(Path(path).stat().st_size)
    label, ck = common.add_model_file(path, ws.engine_models_dir(NAME), NAME)
    return (gr.Dropdown(choices=list(_models(request)), value=label),
            f"Added **{label}** ({ck.meta.get('data', 'unknown data')}).")


@friendly
def restore(path: str | None, request: gr.Request | None = None) -> list:
    """The picture controls a Paint picture's recipe describes (model, classes, seed, truncation, sliders)."""
    if not path:
        return [gr.update()] * (8 + N_SLIDERS)
    rec = recipes.read(path)
    if rec.get("engine") != NAME or "seed" not in rec:
        raise ValueError("That file's recipe was not made by Paint's picture controls.")
    label = common.label_for_recipe(_models(request), rec)
    classes = rec.get("classes") if isinstance(rec.get("classes"), dict) else {}
    ranked = sorted(classes.items(), key=lambda kv: -kv[1])
    a = ranked[0][0] if ranked else _load(label, request).class_names[0]
    b, amt = (ranked[1][0], ranked[1][1]) if len(ranked) > 1 else (NO_BLEND, 0.5)
    pic = controls.picture(rec["seed"], rec.get("psi", 1.0), a, b, amt, rec.get("sliders", []), rec.get("nudges", []))
    vals = list(pic.sliders) + [0.0] * N_SLIDERS
    return [label, a, b, amt, pic.seed, pic.psi, [list(n) for n in pic.nudges],
            f"Restored the controls from **{Path(path).name}**.", *vals[:N_SLIDERS]]


# ------------------------------------------------------------------ handlers: keyframes and morphs
@friendly
def add_keyframe(model_label: str, class_a: str, class_b: str, amount: float, seed: float | None, psi: float,
                 sliders: list[float], nudges: list | None, keyframes: list | None,
                 request: gr.Request | None = None) -> tuple[list[dict], list[Image.Image]]:
    """Add the current picture to the morph's keyframes; returns the keyframes and their pictures."""
    keys = controls.keyframe_list(keyframes, room_for=1)
    model = _load(model_label, request)
    pics = [controls.check_keyframe(model, k, i + 1) for i, k in enumerate(keys)]
    pics.append(controls.picture(seed, psi, class_a, class_b, amount, sliders, nudges))
    keys = [*keys, controls.keyframe(model_label, model, pics[-1])]
    return keys, [controls.draw(model, p) for p in pics]


def clear_keyframes() -> tuple[list, list]:
    """No keyframes."""
    return [], []


@friendly
def paint_morph(model_label: str, keyframes: list | None, frames: int, fps: float, loop: bool, fmt: str,
                upscale: int, progress: gr.Progress = gr.Progress(),
                request: gr.Request | None = None) -> tuple[str, str]:
    """Render a morph through keyframes [{seed, psi, classes, sliders, nudges}, ...] as GIF or MP4;
    returns (preview, file)."""
    n_frames, rate, scale, fmt = controls.morph_settings(frames, fps, upscale, fmt)
    model = _load(model_label, request)
    keys = controls.check_keyframes(model, keyframes)
    ws = common.workspace(request)
    ws.check_room()
    progress(0.1, desc="drawing frames")
    pics = controls.morph_pictures(model, keys, n_frames, bool(loop), scale)
    progress(0.7, desc="writing the file")
    rec = controls.morph_recipe(model, controls.keyframe_dicts(keys, model_label, model), n_frames, rate,
                                bool(loop), scale)
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


# ------------------------------------------------------------------ handlers: training
@friendly
def paint_train(files: list | None, name: str, start: str, steps: float, minutes: float | None, resolution: int,
                model_label: str | None, request: gr.Request | None = None) -> Iterator[tuple]:
    """Train a Paint model on uploaded pictures into the caller's workspace, through the studio's
    training queue; streams (status, losses, preview, model list)."""
    name = limits.text(name, "The model's name", 100).strip()
    n_steps, res = controls.training_request(steps, resolution)
    budget = common.budget_s(minutes)
    if start not in TRAIN_STARTS:
        raise ValueError(f"Start must be one of: {', '.join(TRAIN_STARTS)}.")
    if not files:
        raise ValueError(f"Add your pictures first (at least {MIN_IMAGES}, or a zip).")
    ws = common.workspace(request)
    with common.training_ticket("Paint training", name, request) as ticket:
        for line in common.wait_turn(ticket):
            yield line, gr.update(), gr.update(), gr.update()
        yield "Reading your pictures…", None, None, gr.update()
        data = load_image_set([getattr(f, "name", f) for f in files], res, loose_class=name)
        cfg = TrainConfig(steps=n_steps, checkpoint_every=200, preview_every=25, time_budget_s=budget)
        events = train(data, ws.engine_models_dir(NAME) / f"{name}.pt", cfg=cfg,
                       init_from=_init_from(start, model_label, res, request), stop=ticket.stop_token,
                       device=common.studio().device, name=name, data_note=data.describe())
        rows: list[dict] = []
        for ev in common.finish_on_close(events, ticket.stop_token):
            rows += _loss_rows(ev)
            status = _train_status(ev, name, data.describe())
            if ev.done:
                status += _keep_preview(ev, name, data.describe(), request)
            yield (status, pd.DataFrame(rows[-800:]), ev.preview if ev.preview is not None else gr.update(),
                   gr.Dropdown(choices=list(_models(request))) if ev.done or ev.checkpoint else gr.update())


def _init_from(start: str, model_label: str | None, resolution: int, request: gr.Request | None) -> Path | None:
    """The checkpoint a training starts from: the selected model when asked and of the same size."""
    found = _models(request)
    if start != TRAIN_STARTS[1] or model_label not in found:
        return None
    return found[model_label] if _load(model_label, request).config.resolution == resolution else None


def _loss_rows(ev: TrainEvent) -> list[dict]:
    """The plot's rows for one training event (none before the first step or for a NaN loss)."""
    if not ev.step or ev.d_loss != ev.d_loss:
        return []
    return [{"step": ev.step, "loss": ev.d_loss, "network": "critic (D)"},
            {"step": ev.step, "loss": ev.g_loss, "network": "painter (G)"}]


def _train_status(ev: TrainEvent, name: str, data_note: str) -> str:
    """The status line for one training event."""
    if ev.done:
        return f"**Done** ({ev.message or 'finished'}): step {ev.step}. The model **{name} (yours)** is in the list."
    return (f"**{ev.message or 'training'}**: step {ev.step} of {ev.total} · {data_note} · "
            f"{ev.img_per_s:.0f} pictures/s · {ev.elapsed_s:.0f} s")


def _keep_preview(ev: TrainEvent, name: str, data_note: str, request: gr.Request | None) -> str:
    """Keep a finished training's last preview in the caller's Gallery; '' or a note why not."""
    if ev.preview is None:
        return ""
    ws = common.workspace(request)
    try:
        ws.check_room()
    except ValueError as err:
        return f" (its preview was not kept: {err})"
    ws.store.save_image(ev.preview, controls.preview_recipe(name, ev.step, data_note),
                        title=f"{name} · after {ev.step} steps")
    return ""


# ------------------------------------------------------------------ gradio's calling convention
def _one_input_per_slider(handler: Callable[..., Any]) -> Callable[..., Any]:
    """`handler` with one gradio input per direction slider (see common.one_input_per_slider)."""
    return one_input_per_slider(handler, N_SLIDERS, "direction")


# ------------------------------------------------------------------ layout
def _first_model() -> tuple[list[str], str | None, list[str], list[str]]:
    """The bundled models (the page has no visitor yet), the one the tab opens with, its classes and choices."""
    found = explore.available_models(None)
    first = next(iter(found), None)  # models load lazily: on page load, not at start-up
    names = list(checkpoints.load(found[first]).meta.get("class_names", ["all"])) if first else ["all"]
    return list(found), first, names, explore.class_choices(names)


def _picture_controls() -> SimpleNamespace:
    """The controls column: model, classes and blend, seed, truncation, direction sliders."""
    bundled, first, names, choices = _first_model()
    with gr.Row():
        model_dd = gr.Dropdown(bundled, value=first, label="Model", elem_id="paint-model", scale=3,
                               allow_custom_value=True)  # the visitor's own models arrive on page load
        refresh = gr.Button("↻", scale=0, min_width=40, elem_id="paint-models-refresh")
    with gr.Row():
        class_a = gr.Dropdown(choices, value=names[0], label="Class", elem_id="paint-class",
                              allow_custom_value=True)  # other models' classes, checked by the engine
        class_b = gr.Dropdown([NO_BLEND, *choices], value=NO_BLEND, label="Blend with",
                              elem_id="paint-class-b", allow_custom_value=True)
    blend_amt = gr.Slider(0, 1, value=0.5, step=0.01, label="Blend amount", elem_id="paint-blend")
    with gr.Row(equal_height=True):
        seed = gr.Number(value=OPENING_SEED, precision=0, label="Seed", elem_id="paint-seed",
                         scale=3)  # no minimum here: controls.picture answers a bad seed with a sentence
        dice = gr.Button("🎲 New seed", elem_id="paint-dice", scale=1)
    psi = gr.Slider(0.0, 1.5, value=explore.PSI_ANCHOR, step=0.01, elem_id="paint-psi",
                    label="Truncation (lower = nearer a picture the model learnt; 1 = free)")
    with gr.Accordion("Directions", open=True):
        sliders = [gr.Slider(-3, 3, value=0, step=0.05, elem_id=f"paint-dir-{i}", label=f"Direction {i + 1}")
                   for i in range(N_SLIDERS)]
    reset = gr.Button("Reset sliders", elem_id="paint-reset")
    return SimpleNamespace(model_dd=model_dd, refresh=refresh, class_a=class_a, class_b=class_b,
                           blend_amt=blend_amt, seed=seed, dice=dice, psi=psi, sliders=sliders, reset=reset)


def _output_column() -> SimpleNamespace:
    """The output column: the picture, Keep, and (secondary, hidden on phones) the variations."""
    image = gr.Image(type="pil", format="png", label="Picture", height=DISPLAY, elem_id="paint-image",
                     interactive=False, buttons=["fullscreen"], elem_classes=["atelier-main-output"])
    with gr.Row(equal_height=True):
        upscale = gr.Radio(list(controls.UPSCALES), value=2, label="Upscale on keep (smooth)",
                           elem_id="paint-upscale")
        keep = gr.Button("Keep (save to Gallery)", variant="primary", elem_id="paint-keep")
    kept = gr.File(label="Download with recipe", interactive=False, elem_id="paint-kept", height=80,
                   elem_classes=["atelier-secondary"])
    with gr.Column(elem_classes=["atelier-secondary"]):
        with gr.Row():
            vary = gr.Button("Variations around here", elem_id="paint-vary")
            spread = gr.Slider(0.1, 1.2, value=0.5, step=0.05, label="How far", elem_id="paint-spread")
        var_grid = gr.Gallery(columns=3, height=300, allow_preview=False, show_label=False,
                              elem_id="paint-variations", format="png", elem_classes=["atelier-secondary"])
    return SimpleNamespace(image=image, upscale=upscale, keep=keep, kept=kept, vary=vary, spread=spread,
                           var_grid=var_grid)


def _morph_panel() -> SimpleNamespace:
    """The Morph accordion: keyframes, settings, the rendered morph."""
    with gr.Accordion("Morph", open=False, elem_id="paint-morph-panel"):
        gr.Markdown("Add the current picture as a keyframe, move somewhere else, add another; then render.")
        with gr.Row():
            add_key = gr.Button("Add keyframe", elem_id="paint-add-key")
            clear_keys = gr.Button("Clear keyframes", elem_id="paint-clear-keys")
        key_strip = gr.Gallery(columns=8, height=120, allow_preview=False, show_label=False, elem_id="paint-keys")
        with gr.Row():
            frames = gr.Slider(8, controls.MAX_FRAMES, value=48, step=1, label="Frames", elem_id="paint-frames")
            fps = gr.Slider(2, 30, value=12, step=1, label="Frames per second", elem_id="paint-fps")
            loop = gr.Checkbox(value=True, label="Loop back to the start", elem_id="paint-loop")
            fmt = gr.Radio(list(controls.FORMATS), value="GIF", label="Format", elem_id="paint-format")
            morph_up = gr.Radio(list(controls.UPSCALES), value=2, label="Upscale", elem_id="paint-morph-upscale")
        render = gr.Button("Render morph", variant="primary", elem_id="paint-render")
        with gr.Row():
            preview = gr.Image(type="filepath", label="Morph", height=280, interactive=False,
                               elem_id="paint-morph-preview")
            file = gr.File(label="Download", interactive=False, elem_id="paint-morph-file")
    return SimpleNamespace(add_key=add_key, clear_keys=clear_keys, key_strip=key_strip, frames=frames, fps=fps,
                           loop=loop, fmt=fmt, morph_up=morph_up, render=render, preview=preview, file=file)


def _train_panel() -> SimpleNamespace:
    """The training accordion: pictures, name, settings, Start/Stop, status, losses and preview."""
    with gr.Accordion("Train on my own pictures", open=False, elem_id="paint-train-panel"):
        gr.Markdown(f"At least {MIN_IMAGES} pictures (png, jpg, webp), or a zip. Sub-folders of a zip become "
                    "classes; loose pictures are one class. Training saves every few hundred steps; training "
                    "again with the same name resumes.")
        with gr.Row():
            files = gr.File(file_count="multiple", file_types=["image", ".zip"], label="Your pictures",
                            elem_id="paint-train-files")
            with gr.Column():
                name = gr.Textbox(value="my-pictures", label="Name of the new model", elem_id="paint-train-name")
                start = gr.Radio(list(TRAIN_STARTS), value=TRAIN_STARTS[1], label="Start", elem_id="paint-train-start")
                steps = gr.Slider(50, controls.MAX_TRAIN_STEPS, value=1500, step=50, label="Steps",
                                  elem_id="paint-train-steps")
                minutes = gr.Number(value=0, label="Time limit in minutes (0 = none)", elem_id="paint-train-minutes")
                resolution = gr.Radio(list(controls.RESOLUTIONS), value=64, label="Size in pixels",
                                      elem_id="paint-train-res")
        with gr.Row():
            start_btn = gr.Button("Start training", variant="primary", elem_id="paint-train-start-btn")
            stop_btn = gr.Button("Stop", variant="stop", elem_id="paint-train-stop")
        status = gr.Markdown(elem_id="paint-train-status")
        with gr.Row():
            plot = gr.LinePlot(x="step", y="loss", color="network", height=260, label="Losses",
                               elem_id="paint-train-plot")
            preview = gr.Image(type="pil", label="What it draws now", height=260, interactive=False,
                               elem_id="paint-train-preview")
    return SimpleNamespace(files=files, name=name, start=start, steps=steps, minutes=minutes, resolution=resolution,
                           start_btn=start_btn, stop_btn=stop_btn, status=status, plot=plot, preview=preview)


def _models_panel() -> SimpleNamespace:
    """The models and recipes accordion: add a model, download the selected one, open a recipe."""
    with gr.Accordion("Models and recipes", open=False):
        with gr.Row():
            upload = gr.File(label="Add a Paint model (.pt)", file_types=[".pt"], elem_id="paint-upload-model")
            with gr.Column():
                download_btn = gr.Button("Download the selected model", elem_id="paint-download-btn")
                download = gr.File(label="The selected model", interactive=False, elem_id="paint-download-model")
            open_recipe = gr.File(label="Open a picture's recipe (.png)", file_types=[".png"],
                                  elem_id="paint-open-recipe")
        note = gr.Markdown()
    return SimpleNamespace(upload=upload, download_btn=download_btn, download=download, open_recipe=open_recipe,
                           note=note)


def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Paint tab and wire its events."""
    how_it_works(HELP)
    with gr.Row(elem_classes=["atelier-split"]):
        with gr.Column(scale=2):
            pic = _picture_controls()
        with gr.Column(scale=3, elem_classes=["atelier-output"]):
            out = _output_column()
    ui = SimpleNamespace(pic=pic, out=out, morph=_morph_panel(), train=_train_panel(), models=_models_panel(),
                         nudges=gr.State([]), var_seed=gr.State(1),
                         keys=gr.JSON(value=[], visible=False, label="Keyframes"))  # an input of /paint_morph
    _wire(ctx, tab, ui)


# ------------------------------------------------------------------ wiring
LIVE_EVENT = dict(show_progress="hidden", concurrency_id="paint_live", concurrency_limit=4)
QUIET = dict(api_visibility="private", show_progress="hidden")


def _wire(ctx: StudioContext, tab: gr.Tab, ui: SimpleNamespace) -> None:
    """Connect the tab's events to the handlers above (api names as the README documents them)."""
    _wire_picture(ctx, tab, ui)
    _wire_morph(ui)
    _wire_train(ui)
    _wire_models(ctx, ui)


def _wire_picture(ctx: StudioContext, tab: gr.Tab, ui: SimpleNamespace) -> None:
    """The picture: live drawing, model changes, seed, reset, keep, variations."""
    pic, out = ui.pic, ui.out
    live_inputs = [pic.model_dd, pic.class_a, pic.class_b, pic.blend_amt, pic.seed, pic.psi, *pic.sliders, ui.nudges]
    generate = _one_input_per_slider(paint_generate)
    gr.on([s.input for s in pic.sliders] + [pic.psi.input, pic.blend_amt.input, pic.seed.change, pic.class_a.change,
                                            pic.class_b.change, ui.nudges.change, ctx.demo.load],
          generate, live_inputs, out.image, trigger_mode="always_last", api_name="paint_generate", **LIVE_EVENT)
    gr.on([pic.model_dd.change, ctx.demo.load], on_model, pic.model_dd,
          [pic.class_a, pic.class_b, ui.nudges, pic.psi, *pic.sliders], **QUIET)
    gr.on([tab.select, ctx.demo.load, pic.refresh.click], model_choices, pic.model_dd, pic.model_dd, **QUIET)
    pic.dice.click(new_seed, None, [pic.seed, ui.nudges], **QUIET)
    pic.reset.click(reset_all, pic.model_dd, [ui.nudges, *pic.sliders, pic.psi], **QUIET).then(
        generate, live_inputs, out.image, api_visibility="private", **LIVE_EVENT)
    out.keep.click(_one_input_per_slider(keep_it), [*live_inputs, out.upscale], out.kept, api_name="paint_keep",
                   concurrency_id="paint_live")
    out.vary.click(_one_input_per_slider(show_variations), [*live_inputs, out.spread, ui.var_seed], out.var_grid,
                   api_visibility="private", **LIVE_EVENT)
    out.var_grid.select(pick_variation, [ui.nudges, ui.var_seed, out.spread], [ui.nudges, ui.var_seed], **QUIET)
    ui.morph.add_key.click(_one_input_per_slider(add_keyframe), [*live_inputs, ui.keys], [ui.keys, ui.morph.key_strip],
                           **QUIET)


def _wire_morph(ui: SimpleNamespace) -> None:
    """Keyframes and the morph render (/paint_morph)."""
    m = ui.morph
    m.clear_keys.click(clear_keyframes, None, [ui.keys, m.key_strip], **QUIET)
    m.render.click(paint_morph, [ui.pic.model_dd, ui.keys, m.frames, m.fps, m.loop, m.fmt, m.morph_up],
                   [m.preview, m.file], api_name="paint_morph", concurrency_id="paint_export", concurrency_limit=1)


def _wire_train(ui: SimpleNamespace) -> None:
    """Training (/paint_train) through the studio's queue, and Stop (any page of the workspace)."""
    t = ui.train
    t.start_btn.click(paint_train, [t.files, t.name, t.start, t.steps, t.minutes, t.resolution, ui.pic.model_dd],
                      [t.status, t.plot, t.preview, ui.pic.model_dd], api_name="paint_train",
                      **common.TRAINING_EVENT)
    t.stop_btn.click(common.stop_training, None, t.status, api_visibility="private", queue=False)


def _wire_models(ctx: StudioContext, ui: SimpleNamespace) -> None:
    """Adding and downloading models, and restoring the controls from a recipe (here or from the Gallery)."""
    pic, m = ui.pic, ui.models
    m.download_btn.click(model_file, pic.model_dd, m.download, api_visibility="private")
    m.upload.upload(add_model, m.upload, [pic.model_dd, m.note], api_visibility="private")
    restored = [pic.model_dd, pic.class_a, pic.class_b, pic.blend_amt, pic.seed, pic.psi, ui.nudges, m.note,
                *pic.sliders]
    m.open_recipe.upload(restore, m.open_recipe, restored, api_visibility="private")
    ctx.restorers[NAME] = Restorer(restore, restored, lambda rec: "seed" in rec and "keyframes" not in rec)
