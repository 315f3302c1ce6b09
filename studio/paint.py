"""Paint tab: steer a conditional GAN with live sliders, explore variations, render morphs,
and train the same kind of model on your own pictures. Layout and wiring only."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import gradio as gr
import pandas as pd
import torch
from PIL import Image

from engines import checkpoints
from engines import recipe as recipes
from engines.paint import explore
from engines.paint.data import MIN_IMAGES, load_image_set
from engines.paint.train import TrainConfig, train
from engines.video import save_gif, save_mp4
from studio.common import Restorer, StudioContext, Trainings, add_model_file, friendly, how_it_works, label_for_recipe

NAME = "paint"
TITLE = "Paint"
N_SLIDERS = explore.N_DIRECTIONS
DISPLAY = 320
NO_BLEND = "(none)"
OPENING_SEED = 23  # the bundled model's first picture: a clear face (a drooling smiley) at the tab's truncation

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
- **Train**: give it at least {MIN_IMAGES} pictures (or a zip; sub-folders become classes).
"""

_trainings = Trainings()


def _display(image: Image.Image) -> Image.Image:
    """Enlarge a small picture smoothly for the screen."""
    scale = max(1, DISPLAY // image.width)
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.LANCZOS) if scale > 1 else image


def _blend(class_a: str, class_b: str, amount: float) -> dict[str, float]:
    if not class_b or class_b == NO_BLEND or class_b == class_a or amount <= 0:
        return {class_a: 1.0}
    return {class_a: 1.0 - float(amount), class_b: float(amount)}


def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Paint tab and wire its events."""
    device = str(ctx.settings.torch_device())
    user_dir = ctx.settings.engine_models_dir(NAME)

    def models() -> dict[str, Path]:
        return explore.available_models(user_dir)

    def load(label: str | None) -> explore.PaintModel:
        found = models()
        if not found:
            raise ValueError("No Paint model yet: train one in the Train panel below.")
        if label not in found:
            raise ValueError(f"unknown model {label!r}; choose one of: {', '.join(found)}")
        return explore.load_model(found[label], device)

    first = next(iter(models()), None)  # models load lazily: on page load, not at start-up
    first_names = list(checkpoints.load(models()[first]).meta.get("class_names", ["all"])) if first else ["all"]
    first_classes = explore.class_choices(first_names)

    how_it_works(HELP)
    with gr.Row():
        with gr.Column(scale=2):
            with gr.Row():
                model_dd = gr.Dropdown(list(models()), value=first, label="Model", elem_id="paint-model", scale=3,
                                       allow_custom_value=True)  # models trained after launch, via the API
                refresh_models = gr.Button("↻", scale=0, min_width=40, elem_id="paint-models-refresh")
            with gr.Row():
                class_a = gr.Dropdown(first_classes, value=first_names[0], label="Class", elem_id="paint-class",
                                      allow_custom_value=True)  # other models' classes, checked by the engine
                class_b = gr.Dropdown([NO_BLEND, *first_classes], value=NO_BLEND, label="Blend with",
                                      elem_id="paint-class-b", allow_custom_value=True)
            blend_amt = gr.Slider(0, 1, value=0.5, step=0.01, label="Blend amount", elem_id="paint-blend")
            with gr.Row(equal_height=True):
                seed = gr.Number(value=OPENING_SEED, precision=0, label="Seed", elem_id="paint-seed", minimum=0, scale=3)
                dice = gr.Button("🎲 New seed", elem_id="paint-dice", scale=1)
            psi = gr.Slider(0.0, 1.5, value=explore.PSI_ANCHOR, step=0.01, elem_id="paint-psi",
                            label="Truncation (lower = nearer a picture the model learnt; 1 = free)")
            with gr.Accordion("Directions", open=True):
                sliders = [gr.Slider(-3, 3, value=0, step=0.05, elem_id=f"paint-dir-{i}", label=f"Direction {i + 1}")
                           for i in range(N_SLIDERS)]
            reset = gr.Button("Reset sliders", elem_id="paint-reset")
        with gr.Column(scale=3):
            image = gr.Image(type="pil", format="png", label="Picture", height=DISPLAY, elem_id="paint-image",
                             interactive=False, buttons=["fullscreen"])
            with gr.Row(equal_height=True):
                upscale = gr.Radio([1, 2, 4], value=2, label="Upscale on keep (smooth)", elem_id="paint-upscale")
                keep = gr.Button("Keep (save to Gallery)", variant="primary", elem_id="paint-keep")
            kept = gr.File(label="Download with recipe", interactive=False, elem_id="paint-kept", height=80)
            with gr.Row():
                vary = gr.Button("Variations around here", elem_id="paint-vary")
                spread = gr.Slider(0.1, 1.2, value=0.5, step=0.05, label="How far", elem_id="paint-spread")
            var_grid = gr.Gallery(columns=3, height=300, allow_preview=False, show_label=False,
                                  elem_id="paint-variations", format="png")

    with gr.Accordion("Morph", open=False, elem_id="paint-morph-panel"):
        gr.Markdown("Add the current picture as a keyframe, move somewhere else, add another; then render.")
        with gr.Row():
            add_key = gr.Button("Add keyframe", elem_id="paint-add-key")
            clear_keys = gr.Button("Clear keyframes", elem_id="paint-clear-keys")
        key_strip = gr.Gallery(columns=8, height=120, allow_preview=False, show_label=False, elem_id="paint-keys")
        with gr.Row():
            frames = gr.Slider(8, 240, value=48, step=1, label="Frames", elem_id="paint-frames")
            fps = gr.Slider(2, 30, value=12, step=1, label="Frames per second", elem_id="paint-fps")
            loop = gr.Checkbox(value=True, label="Loop back to the start", elem_id="paint-loop")
            fmt = gr.Radio(["GIF", "MP4"], value="GIF", label="Format", elem_id="paint-format")
            morph_up = gr.Radio([1, 2, 4], value=2, label="Upscale", elem_id="paint-morph-upscale")
        render_btn = gr.Button("Render morph", variant="primary", elem_id="paint-render")
        with gr.Row():
            morph_preview = gr.Image(type="filepath", label="Morph", height=280, interactive=False,
                                     elem_id="paint-morph-preview")
            morph_file = gr.File(label="Download", interactive=False, elem_id="paint-morph-file")

    with gr.Accordion("Train on my own pictures", open=False, elem_id="paint-train-panel"):
        gr.Markdown(f"At least {MIN_IMAGES} pictures (png, jpg, webp), or a zip. Sub-folders become classes. "
                    "Training saves every few hundred steps; training again with the same name resumes.")
        with gr.Row():
            train_files = gr.File(file_count="multiple", file_types=["image", ".zip"], label="Your pictures",
                                  elem_id="paint-train-files")
            with gr.Column():
                train_name = gr.Textbox(value="my-pictures", label="Name of the new model", elem_id="paint-train-name")
                start_from = gr.Radio(["from scratch", "from the selected model"], value="from the selected model",
                                      label="Start", elem_id="paint-train-start")
                steps = gr.Slider(50, 20000, value=1500, step=50, label="Steps", elem_id="paint-train-steps")
                minutes = gr.Number(value=0, label="Time limit in minutes (0 = none)", elem_id="paint-train-minutes")
                resolution = gr.Radio([32, 64, 128], value=64, label="Size in pixels", elem_id="paint-train-res")
        with gr.Row():
            train_btn = gr.Button("Start training", variant="primary", elem_id="paint-train-start-btn")
            stop_btn = gr.Button("Stop", variant="stop", elem_id="paint-train-stop")
        train_status = gr.Markdown(elem_id="paint-train-status")
        with gr.Row():
            loss_plot = gr.LinePlot(x="step", y="loss", color="network", height=260, label="Losses",
                                    elem_id="paint-train-plot")
            train_preview = gr.Image(type="pil", label="What it draws now", height=260, interactive=False,
                                     elem_id="paint-train-preview")

    with gr.Accordion("Models and recipes", open=False):
        with gr.Row():
            upload_model = gr.File(label="Add a Paint model (.pt)", file_types=[".pt"], elem_id="paint-upload-model")
            with gr.Column():
                download_btn = gr.Button("Download the selected model", elem_id="paint-download-btn")
                download_model = gr.File(label="The selected model", interactive=False, elem_id="paint-download-model")
            open_recipe = gr.File(label="Open a picture's recipe (.png)", file_types=[".png"],
                                  elem_id="paint-open-recipe")
        models_note = gr.Markdown()

    nudges = gr.State([])
    var_seed = gr.State(1)
    keys = gr.JSON(value=[], visible=False, label="Keyframes")  # an input of /paint_morph for scripts
    live_inputs = [model_dd, class_a, class_b, blend_amt, seed, psi, *sliders]

    # ------------------------------------------------------------------ handlers
    @friendly
    def paint_generate(model_label, a, b, amount, seed_v, psi_v, *rest):
        """One picture from model, class (optionally blended), seed, truncation and direction sliders."""
        *slider_vals, nudge_list = rest
        model = load(model_label)
        pic = explore.generate(model, int(seed_v or 0), psi_v, _blend(a, b, amount), slider_vals, nudge_list or [])
        return _display(pic)

    @friendly
    def on_model(model_label):
        model = load(model_label)
        names, choices = model.class_names, explore.class_choices(model.class_names)
        slider_updates = [gr.Slider(label=f"{i + 1}. {d.name}", value=0) for i, d in enumerate(model.directions)]
        slider_updates += [gr.Slider(value=0)] * (N_SLIDERS - len(slider_updates))
        return (gr.Dropdown(choices=choices, value=names[0]), gr.Dropdown(choices=[NO_BLEND, *choices], value=NO_BLEND),
                [], gr.Slider(value=explore.default_psi(model)), *slider_updates)

    @friendly
    def keep_it(model_label, a, b, amount, seed_v, psi_v, *rest):
        *slider_vals, nudge_list, up = rest
        model = load(model_label)
        blend = _blend(a, b, amount)
        pic = explore.generate(model, int(seed_v or 0), psi_v, blend, slider_vals, nudge_list, int(up))
        rec = explore.recipe(model, int(seed_v or 0), psi_v, blend, slider_vals, nudge_list, int(up))
        out = ctx.store.save_image(pic, rec, title=f"{model.name} · {'+'.join(blend)} · seed {int(seed_v or 0)}")
        gr.Info("Kept in the Gallery.")
        return str(out.path)

    @friendly
    def show_variations(model_label, a, b, amount, seed_v, psi_v, spread_v, vseed, *rest):
        *slider_vals, nudge_list = rest
        model = load(model_label)
        blend = _blend(a, b, amount)
        y = explore.class_vector(model, blend)
        # each neighbour is the current picture plus one more recorded nudge, as picking it would make
        zs = [explore.latent(model, int(seed_v or 0), psi_v, slider_vals, [*nudge_list, [int(vseed), i, float(spread_v)]],
                             blend) for i in range(9)]
        pics = explore.render(model, torch.stack(zs), y)
        return [(_display(p), "here" if i == 4 else None) for i, p in enumerate(pics)]

    def pick_variation(nudge_list, vseed, spread_v, evt: gr.SelectData):
        if evt.index is None or int(evt.index) == 4:
            return nudge_list, vseed
        return [*nudge_list, [int(vseed), int(evt.index), float(spread_v)]], int(vseed) + 1

    def new_seed():
        return random.randint(0, 2**31 - 1), []

    def reset_all(model_label):
        return [[]] + [0.0] * N_SLIDERS + [explore.default_psi(load(model_label))]

    @friendly
    def add_keyframe(model_label, a, b, amount, seed_v, psi_v, keyframes, *rest):
        *slider_vals, nudge_list = rest
        model = load(model_label)
        key = {"model": model_label, "seed": int(seed_v or 0), "psi": float(psi_v), "classes": _blend(a, b, amount),
               "sliders": [float(s) for s in slider_vals], "nudges": list(nudge_list),
               "truncation": explore.truncation_of(model)}
        keyframes = [*keyframes, key]
        return keyframes, _strip(model, keyframes)

    def _strip(model, keyframes):
        return [explore.generate(model, k["seed"], k["psi"], k["classes"], k["sliders"], k["nudges"],
                                 truncation=k.get("truncation", "mean")) for k in keyframes]

    @friendly
    def paint_morph(model_label, keyframes, n_frames, fps_v, loop_v, fmt_v, up, progress=gr.Progress()):
        """Render a morph through keyframes [{seed, psi, classes, sliders, nudges}, ...] as GIF or MP4;
        returns (preview, file)."""
        keyframes = keyframes or []
        if len(keyframes) < 2:
            raise ValueError("Add at least two keyframes first (move somewhere, press Add keyframe, repeat).")
        model = load(model_label)
        progress(0.1, desc="drawing frames")
        path_keys = [(explore.latent(model, int(k["seed"]), float(k.get("psi", 1.0)), k.get("sliders", []),
                                     k.get("nudges", []), k.get("classes") or None, k.get("truncation", "anchor")),
                      explore.class_vector(model, k.get("classes") or None)) for k in keyframes]
        pics = explore.morph(model, path_keys, int(n_frames), bool(loop_v), int(up))
        progress(0.7, desc="writing the file")
        rec = {"engine": NAME, "model": model.name, "checkpoint": model.hash, "keyframes": keyframes,
               "frames": int(n_frames), "fps": float(fps_v), "loop": bool(loop_v), "upscale": int(up)}
        work = Path(tempfile.mkdtemp(prefix="atelier-morph-"))
        gif = save_gif(pics, work / "morph.gif", fps_v, bool(loop_v), comment=recipes.gif_comment(rec))
        out = ctx.store.save_file(gif, "image", rec, pics[0], title=f"{model.name} · morph of {len(keyframes)} keyframes")
        download = str(out.path)
        if fmt_v == "MP4":
            mp4 = save_mp4(pics, work / "morph.mp4", fps_v)
            recipes.write_sidecar(mp4, rec)
            download = str(mp4)
        return str(out.path), download

    @friendly
    def paint_train(files, name, start, n_steps, limit_min, res, model_label, request: gr.Request):
        """Train a Paint model on uploaded pictures; streams status, losses and previews."""
        name = (name or "").strip()
        if not files:
            raise ValueError(f"Add your pictures first (at least {MIN_IMAGES}, or a zip).")
        with _trainings.hold("Paint training", name, request) as token:
            yield "Reading your pictures…", None, None, gr.Dropdown()
            data = load_image_set([getattr(f, "name", f) for f in files], int(res))
            init = None
            if start == "from the selected model" and model_label in models():
                base = load(model_label)
                init = models()[model_label] if base.config.resolution == int(res) else None
            out = user_dir / f"{name}.pt"
            cfg = TrainConfig(steps=int(n_steps), checkpoint_every=200, preview_every=25,
                              time_budget_s=float(limit_min) * 60 if limit_min else None)
            rows: list[dict] = []
            for ev in train(data, out, cfg=cfg, init_from=init, stop=token, device=device, name=name,
                            data_note=data.describe()):
                if ev.step and ev.d_loss == ev.d_loss:
                    rows += [{"step": ev.step, "loss": ev.d_loss, "network": "critic (D)"},
                             {"step": ev.step, "loss": ev.g_loss, "network": "painter (G)"}]
                status = (f"**{ev.message or 'training'}**: step {ev.step} of {ev.total} · {data.describe()} · "
                          f"{ev.img_per_s:.0f} pictures/s · {ev.elapsed_s:.0f} s")
                if ev.done:
                    status = f"**Done** ({ev.message or 'finished'}): step {ev.step}. The model **{name} (yours)** is in the list."
                    ctx.store.save_image(ev.preview, {"engine": NAME, "model": name, "kind": "training preview",
                                                      "steps": ev.step, "data": data.describe()},
                                         title=f"{name} · after {ev.step} steps")
                yield status, pd.DataFrame(rows[-800:]), ev.preview, gr.Dropdown(choices=list(models()))

    @friendly
    def add_model(path):
        if not path:
            return gr.Dropdown(), ""
        label, ck = add_model_file(path, user_dir, NAME)
        return gr.Dropdown(choices=list(models()), value=label), f"Added **{label}** ({ck.meta.get('data', 'unknown data')})."

    @friendly
    def restore(path):
        if not path:
            return [gr.update()] * (8 + N_SLIDERS)
        rec = recipes.read(path)
        if rec.get("engine") != NAME or "seed" not in rec:
            raise ValueError("That file's recipe was not made by Paint's picture controls.")
        label = label_for_recipe(models(), rec)
        ranked = sorted(rec.get("classes", {}).items(), key=lambda kv: -kv[1])
        a = ranked[0][0] if ranked else load(label).class_names[0]
        b, amt = (ranked[1][0], ranked[1][1]) if len(ranked) > 1 else (NO_BLEND, 0.5)
        vals = list(rec.get("sliders", [])) + [0.0] * N_SLIDERS
        return [label, a, b, amt, rec["seed"], rec.get("psi", 1.0), rec.get("nudges", []),
                f"Restored the controls from **{Path(path).name}**.", *vals[:N_SLIDERS]]

    # ------------------------------------------------------------------ wiring
    live = dict(show_progress="hidden", concurrency_id="paint_live", concurrency_limit=4)
    gr.on([s.input for s in sliders] + [psi.input, blend_amt.input, seed.change, class_a.change, class_b.change,
                                        nudges.change, ctx.demo.load],
          paint_generate, [*live_inputs, nudges], image, trigger_mode="always_last", api_name="paint_generate",
          **live)
    gr.on([model_dd.change, ctx.demo.load], on_model, model_dd, [class_a, class_b, nudges, psi, *sliders],
          api_visibility="private", show_progress="hidden")
    download_btn.click(friendly(lambda label: str(load(label).path)), model_dd, download_model,
                       api_visibility="private")
    refresh_models.click(lambda v: gr.Dropdown(choices=list(models()), value=v if v in models() else next(iter(models()), None)),
                         model_dd, model_dd, api_visibility="private", show_progress="hidden")
    dice.click(new_seed, None, [seed, nudges], api_visibility="private", show_progress="hidden")
    reset.click(reset_all, model_dd, [nudges, *sliders, psi], api_visibility="private", show_progress="hidden").then(
        paint_generate, [*live_inputs, nudges], image, api_visibility="private", **live)
    keep.click(keep_it, [*live_inputs, nudges, upscale], kept, api_name="paint_keep", concurrency_id="paint_live")
    vary.click(show_variations, [*live_inputs[:6], spread, var_seed, *sliders, nudges], var_grid,
               api_visibility="private", **live)
    var_grid.select(pick_variation, [nudges, var_seed, spread], [nudges, var_seed], api_visibility="private",
                    show_progress="hidden")
    add_key.click(add_keyframe, [*live_inputs[:6], keys, *sliders, nudges], [keys, key_strip],
                  api_visibility="private", show_progress="hidden")
    clear_keys.click(lambda: ([], []), None, [keys, key_strip], api_visibility="private", show_progress="hidden")
    render_btn.click(paint_morph, [model_dd, keys, frames, fps, loop, fmt, morph_up], [morph_preview, morph_file],
                     api_name="paint_morph", concurrency_id="paint_export", concurrency_limit=1)
    train_btn.click(paint_train, [train_files, train_name, start_from, steps, minutes, resolution, model_dd],
                    [train_status, loss_plot, train_preview, model_dd], api_name="paint_train",
                    concurrency_id="training", concurrency_limit=2, show_progress="minimal")
    stop_btn.click(_trainings.stop, None, train_status, api_visibility="private", queue=False)
    upload_model.upload(add_model, upload_model, [model_dd, models_note], api_visibility="private")
    open_recipe.upload(restore, open_recipe,
                       [model_dd, class_a, class_b, blend_amt, seed, psi, nudges, models_note, *sliders],
                       api_visibility="private")
    ctx.restorers[NAME] = Restorer(restore, [model_dd, class_a, class_b, blend_amt, seed, psi, nudges, models_note,
                                             *sliders], lambda rec: "seed" in rec and "keyframes" not in rec)
    tab.select(lambda v: gr.Dropdown(choices=list(models()), value=v), model_dd, model_dd,
               api_visibility="private", show_progress="hidden")
