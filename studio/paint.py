"""Paint tab: steer a conditional GAN with live sliders, compare (A/B), go back (history), explore
variations, render morphs, sweep two settings, and train the same kind of model on your own pictures.
Handlers first, then the layout, then the wiring; the work itself lives in engines.paint. The Morph,
Sweep and Train panels live in studio/paint_morph.py, paint_sweep.py and paint_train.py; what they
share (models, the picture cache, `restore_recipe`) in studio/paint_base.py."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
from PIL import Image

from engines import checkpoints, limits
from engines.jobs import LIVE
from engines.paint import controls, explore
from engines.paint.data import MIN_IMAGES
from studio import common, history
from studio import paint_morph as morph_panel
from studio import paint_sweep as sweep_panel
from studio import paint_train as train_panel
from studio.common import Restorer, StudioContext, friendly, how_it_works, one_input_per_slider
from studio.paint_base import (  # noqa: F401  (this tab's API)
    DISPLAY,
    LIVE_EVENT,
    N_SLIDERS,
    NAME,
    NO_BLEND,
    QUIET,
    RESTORE_FIELDS,
    current,
    display,
    enlarge,
    load,
    models,
    native,
    restore_recipe,
)
from studio.paint_morph import add_keyframe, clear_keyframes, paint_morph  # noqa: F401  (the tab's handlers)
from studio.paint_restore import accepts, hold_a, remember, restore, swap_ab, undo
from studio.paint_sweep import open_cell, paint_sweep_run, stop_sweep  # noqa: F401
from studio.paint_train import TRAIN_STARTS, paint_train, preview_upload  # noqa: F401

try:
    from studio import paint_panels
except ModuleNotFoundError as err:  # the "My picture" and "Move with sound" panels, when present
    if err.name != "studio.paint_panels":
        raise
    paint_panels = None

TITLE = "Paint"
OPENING_SEED = 23  # the bundled model's first picture: a clear face (a drooling smiley) at the tab's truncation
RESTORE_OUTPUTS: list = []  # the components RESTORE_FIELDS names, filled by build() (restore_recipe's outputs)
_models, _load, _display = models, load, display  # older names, kept for scripts and tests

HELP = f"""
Paint draws pictures with a **GAN**: a generator network that turns a list of random numbers
(the *seed*) and a *class* into a picture. It learned from examples: the bundled *emoji* model
from about 1,400 emoji in 8 groups, *emoji-kinds* from the same emoji in 33 kinds (hearts, cats,
hands, birds, fruit, clocks, vehicles, ...).

- **Seed**: each number is a different picture. The dice picks one at random; tick *new seed each
  time* to get a fresh one after every Keep and for every Variations grid.
- **Truncation**: lower values give safer, more typical pictures; higher ones wilder ones.
- **Directions**: the sliders move through the model's space along the ways its pictures vary
  most (found by principal component analysis, named by what they change most).
- **Hold as A** keeps the current picture beside the live one while you move on; **Swap** goes back to A.
- **Recent**: your last 12 pictures; click one to go back to it.
- **Variations**: nine neighbours of the current picture; click one to move there.
- **Morph**: add keyframes, then render a smooth animation through them (GIF or MP4).
- **Sweep**: two settings across and down, every pair drawn; click a cell to open it.
- **Keep** saves the picture, with its recipe, to the Gallery.
- **Train**: give it at least {MIN_IMAGES} pictures (or a zip; its sub-folders become classes;
  loose pictures are one class, named after the model).
"""


# ------------------------------------------------------------------ handlers: the picture
@friendly
def paint_generate(
    model_label: str,
    class_a: str,
    class_b: str,
    amount: float,
    seed: float | None,
    psi: float,
    sliders: list[float],
    nudges: list | None = None,
    request: gr.Request | None = None,
) -> Image.Image:
    """One picture from model, class (optionally blended), seed, truncation and direction sliders."""
    pic = controls.picture(seed, psi, class_a, class_b, amount, sliders, nudges)
    with LIVE.live():
        return display(native(load(model_label, request), pic))


@friendly
def keep_it(
    model_label: str,
    class_a: str,
    class_b: str,
    amount: float,
    seed: float | None,
    psi: float,
    sliders: list[float],
    nudges: list | None,
    upscale: int,
    request: gr.Request | None = None,
) -> str:
    """Save the current picture (enlarged `upscale` times) with its recipe to the caller's Gallery; the
    picture on screen is reused (only enlarged), not drawn again."""
    model, pic = current(model_label, class_a, class_b, amount, seed, psi, sliders, nudges, request)
    scale = controls.upscale(upscale)
    ws = common.workspace(request)
    ws.check_room()
    out = ws.store.save_image(
        enlarge(native(model, pic), scale), controls.recipe(model, pic, scale), title=controls.title(model, pic)
    )
    gr.Info("Kept in the Gallery.")
    return str(out.path)


def after_keep(fresh: bool, base: dict | None = None) -> tuple:
    """With 'new seed each time': a fresh seed (and no variation steps) once a picture is kept (not while
    the picture is drawn from an artist's picture, where the seed plays no part)."""
    if not fresh or base:
        return gr.update(), gr.update(), gr.update()
    seed, nudges = new_seed()
    return seed, nudges, f"New seed **{seed}**."


def variation_seed(fresh: bool, var_seed: int) -> tuple[int, str | Any]:
    """The variation grid's seed: a fresh one each time with 'new seed each time'."""
    if not fresh:
        return var_seed, gr.update()
    fresh_seed = random.randint(1, limits.MAX_SEED)
    return fresh_seed, f"Variations from seed **{fresh_seed}**."


@friendly
def show_variations(
    model_label: str,
    class_a: str,
    class_b: str,
    amount: float,
    seed: float | None,
    psi: float,
    sliders: list[float],
    nudges: list | None,
    spread: float,
    var_seed: int,
    request: gr.Request | None = None,
) -> list[tuple[Image.Image, str | None]]:
    """Nine neighbours of the current picture (the centre one is the picture itself)."""
    model, pic = current(model_label, class_a, class_b, amount, seed, psi, sliders, nudges, request)
    with LIVE.live():
        pics = controls.variations(model, pic, var_seed, spread)
    return [(display(p), "here" if i == controls.CENTRE else None) for i, p in enumerate(pics)]


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
    return [[]] + [0.0] * N_SLIDERS + [explore.default_psi(load(model_label, request))]


@friendly
def on_model(model_label: str, request: gr.Request | None = None) -> tuple:
    """A model was chosen: its classes, its direction names, its starting truncation."""
    model = load(model_label, request)
    names, choices = model.class_names, explore.class_choices(model.class_names)
    slider_updates = [gr.Slider(label=f"{i + 1}. {d.name}", value=0) for i, d in enumerate(model.directions)]
    slider_updates += [gr.Slider(value=0)] * (N_SLIDERS - len(slider_updates))
    return (
        gr.Dropdown(choices=choices, value=names[0]),
        gr.Dropdown(choices=[NO_BLEND, *choices], value=NO_BLEND),
        [],
        gr.Slider(value=explore.default_psi(model)),
        *slider_updates,
    )


@friendly
def model_choices(current: str | None, request: gr.Request | None = None) -> gr.Dropdown:
    """The model list afresh (bundled and the caller's own), keeping the current choice if it is there."""
    found = models(request)
    return gr.Dropdown(choices=list(found), value=current if current in found else next(iter(found), None))


@friendly
def model_file(model_label: str, request: gr.Request | None = None) -> str:
    """The selected model's checkpoint, to download."""
    return str(common.pick_model(models(request), model_label, "Paint model"))


@friendly
def add_model(path: str | None, request: gr.Request | None = None) -> tuple[gr.Dropdown, str]:
    """Add an uploaded Paint checkpoint to the caller's own models."""
    if not path:
        return gr.Dropdown(), ""
    ws = common.workspace(request)
    ws.check_room(Path(path).stat().st_size)
    label, ck = common.add_model_file(path, ws.engine_models_dir(NAME), NAME)
    return (
        gr.Dropdown(choices=list(models(request)), value=label),
        f"Added **{label}** ({ck.meta.get('data', 'unknown data')}).",
    )


# ------------------------------------------------------------------ gradio's calling convention
def _one_input_per_slider(handler: Callable[..., Any]) -> Callable[..., Any]:
    """`handler` with one gradio input per direction slider (see common.one_input_per_slider)."""
    return one_input_per_slider(handler, N_SLIDERS, "direction")


def _based(handler: Callable[..., Any], base_fn: str, base: gr.State) -> tuple[Callable[..., Any], list]:
    """(event, extra inputs): `handler` with one input per slider and, when the My picture panel is there,
    one more input, the base (a gr.State, so the API does not show it); while a base is set,
    paint_panels.`base_fn` answers instead, drawing from it (see paint_panels.with_base)."""
    event = _one_input_per_slider(handler)
    if paint_panels is None:
        return event, []
    return paint_panels.with_base(event, getattr(paint_panels, base_fn)), [base]


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
        model_dd = gr.Dropdown(
            bundled, value=first, label="Model", elem_id="paint-model", scale=3, allow_custom_value=True
        )  # the visitor's own models arrive on page load
        refresh = gr.Button("↻", scale=0, min_width=40, elem_id="paint-models-refresh")
    with gr.Row():
        class_a = gr.Dropdown(
            choices, value=names[0], label="Class", elem_id="paint-class", allow_custom_value=True
        )  # other models' classes, checked by the engine
        class_b = gr.Dropdown(
            [NO_BLEND, *choices], value=NO_BLEND, label="Blend with", elem_id="paint-class-b", allow_custom_value=True
        )
    blend_amt = gr.Slider(0, 1, value=0.5, step=0.01, label="Blend amount", elem_id="paint-blend")
    with gr.Row(equal_height=True):
        seed = gr.Number(
            value=OPENING_SEED, precision=0, label="Seed", elem_id="paint-seed", scale=3
        )  # no minimum here: controls.picture answers a bad seed with a sentence
        dice = gr.Button("🎲 New seed", elem_id="paint-dice", scale=1)
        fresh = gr.Checkbox(value=False, label="New seed each time", elem_id="paint-fresh-seed", scale=1)
    psi = gr.Slider(
        0.0,
        1.5,
        value=explore.PSI_ANCHOR,
        step=0.01,
        elem_id="paint-psi",
        label="Truncation",
        info="lower: nearer a picture it learnt; 1: free",
    )
    with gr.Accordion("Directions", open=True):
        sliders = [
            gr.Slider(-3, 3, value=0, step=0.05, elem_id=f"paint-dir-{i}", label=f"Direction {i + 1}")
            for i in range(N_SLIDERS)
        ]
    reset = gr.Button("Reset sliders", elem_id="paint-reset")
    return SimpleNamespace(
        model_dd=model_dd,
        refresh=refresh,
        class_a=class_a,
        class_b=class_b,
        blend_amt=blend_amt,
        seed=seed,
        dice=dice,
        fresh=fresh,
        psi=psi,
        sliders=sliders,
        reset=reset,
    )


def _output_column() -> SimpleNamespace:
    """The output column: the picture (and A beside it), Keep, Recent, and the variations."""
    with gr.Row(elem_classes=["atelier-main-output"]):  # pinned on top of a phone's screen
        image = gr.Image(
            type="pil",
            format="jpeg",  # the live picture: JPEG encodes in about 1 ms, PNG in about 40 (Keep saves PNG)
            label="Picture",
            height=DISPLAY,
            elem_id="paint-image",
            interactive=False,
            buttons=["fullscreen"],
            elem_classes=["atelier-main-output"],
        )
        held = gr.Image(
            type="pil",
            format="jpeg",
            label="A (held)",
            height=DISPLAY,
            elem_id="paint-image-a",
            interactive=False,
            visible=False,
            elem_classes=["atelier-secondary"],
        )
    with gr.Row(equal_height=True):
        upscale = gr.Radio(list(controls.UPSCALES), value=2, label="Upscale on keep (smooth)", elem_id="paint-upscale")
        keep = gr.Button("Keep (save to Gallery)", variant="primary", elem_id="paint-keep")
    with gr.Row(elem_classes=["atelier-secondary"]):
        hold = gr.Button("Hold as A", elem_id="paint-hold-a", size="sm")
        swap = gr.Button("Swap A ⇄ live", elem_id="paint-swap-ab", size="sm", interactive=False)
    note = gr.Markdown(elem_id="paint-note", elem_classes=["atelier-secondary"])
    kept = gr.File(
        label="Download with recipe",
        interactive=False,
        elem_id="paint-kept",
        height=80,
        elem_classes=["atelier-secondary"],
    )
    strip, entries = history.strip("paint-history")
    with gr.Column(elem_classes=["atelier-secondary"]):
        with gr.Row():
            vary = gr.Button("Variations around here", elem_id="paint-vary")
            spread = gr.Slider(0.1, 1.2, value=0.5, step=0.05, label="How far", elem_id="paint-spread")
        var_grid = gr.Gallery(
            columns=3,
            height=300,
            allow_preview=False,
            show_label=False,
            elem_id="paint-variations",
            format="png",
            elem_classes=["atelier-secondary"],
        )
    return SimpleNamespace(
        image=image,
        held=held,
        held_rec=gr.State(None),
        upscale=upscale,
        keep=keep,
        hold=hold,
        swap=swap,
        note=note,
        kept=kept,
        strip=strip,
        entries=entries,
        vary=vary,
        spread=spread,
        var_grid=var_grid,
    )


def _models_panel() -> SimpleNamespace:
    """The models and recipes accordion: add a model, download the selected one, open a recipe."""
    with gr.Accordion("Models and recipes", open=False):
        with gr.Row():
            upload = gr.File(label="Add a Paint model (.pt)", file_types=[".pt"], elem_id="paint-upload-model")
            with gr.Column():
                download_btn = gr.Button("Download the selected model", elem_id="paint-download-btn")
                download = gr.File(label="The selected model", interactive=False, elem_id="paint-download-model")
            open_recipe = gr.File(
                label="Open a kept picture, morph or sweep (.png, .gif)",
                file_types=[".png", ".gif"],
                elem_id="paint-open-recipe",
            )
    return SimpleNamespace(upload=upload, download_btn=download_btn, download=download, open_recipe=open_recipe)


def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Paint tab and wire its events (then the other Paint panels, when present)."""
    how_it_works(HELP)
    with gr.Row(elem_classes=["atelier-split"]):
        with gr.Column(scale=2):
            pic = _picture_controls()
        with gr.Column(scale=3, elem_classes=["atelier-output"]):
            out = _output_column()
    first = next(iter(explore.available_models(None).values()), None)
    ui = SimpleNamespace(
        pic=pic,
        out=out,
        morph=morph_panel.panel(),
        sweep=sweep_panel.panel(explore.load_model(first) if first else None),
        train=train_panel.panel(),
        models=_models_panel(),
        nudges=gr.State([]),
        var_seed=gr.State(1),
        keys=gr.JSON(value=[], visible=False, label="Keyframes"),  # an input of /paint_morph
        base=gr.State(None),
    )  # the artist's picture the picture is drawn from (paint_panels)
    ui.restore_outputs = [
        pic.model_dd,
        pic.class_a,
        pic.class_b,
        pic.blend_amt,
        pic.seed,
        pic.psi,
        ui.nudges,
        out.note,
        *pic.sliders,
        out.image,
        ui.base,
    ]
    RESTORE_OUTPUTS[:] = ui.restore_outputs
    _wire(ctx, tab, ui)
    if paint_panels is not None:
        paint_panels.build(ctx, tab, ui)


# ------------------------------------------------------------------ wiring
def _wire(ctx: StudioContext, tab: gr.Tab, ui: SimpleNamespace) -> None:
    """Connect the tab's events to the handlers (api names as the README documents them)."""
    pic = ui.pic
    ui.live_inputs = [pic.model_dd, pic.class_a, pic.class_b, pic.blend_amt, pic.seed, pic.psi, *pic.sliders, ui.nudges]
    _wire_picture(ctx, tab, ui)
    _wire_compare(ui)
    add_key, with_base = _based(add_keyframe, "add_base_keyframe", ui.base)
    ui.morph.add_key.click(add_key, [*ui.live_inputs, ui.keys, *with_base], [ui.keys, ui.morph.key_strip], **QUIET)
    morph_panel.wire(ui.morph, ui.keys, pic.model_dd)
    sweep_panel.wire(ui.sweep, ui.live_inputs, ui.restore_outputs)
    train_panel.wire(ui.train, pic.model_dd)
    _wire_models(ctx, ui)


def _wire_picture(ctx: StudioContext, tab: gr.Tab, ui: SimpleNamespace) -> None:
    """The picture: live drawing (from the seed, or from the base while one is set), model changes, seed,
    reset, keep, variations."""
    pic, out, live_inputs = ui.pic, ui.out, ui.live_inputs
    generate, with_base = _based(paint_generate, "paint_from_base", ui.base)
    gr.on(
        [s.input for s in pic.sliders]
        + [
            pic.psi.input,
            pic.blend_amt.input,
            pic.seed.change,
            pic.class_a.change,
            pic.class_b.change,
            ui.nudges.change,
            ui.base.change,
            ctx.demo.load,
        ],
        generate,
        [*live_inputs, *with_base],
        out.image,
        trigger_mode="always_last",
        api_name="paint_generate",
        **LIVE_EVENT,
    )
    gr.on(
        [pic.model_dd.input, ctx.demo.load],
        on_model,
        pic.model_dd,  # .input: a restore sets its own values
        [pic.class_a, pic.class_b, ui.nudges, pic.psi, *pic.sliders],
        **QUIET,
    )
    gr.on([tab.select, ctx.demo.load, pic.refresh.click], model_choices, pic.model_dd, pic.model_dd, **QUIET)
    pic.dice.click(new_seed, None, [pic.seed, ui.nudges], **QUIET)
    pic.reset.click(reset_all, pic.model_dd, [ui.nudges, *pic.sliders, pic.psi], **QUIET).then(
        generate, [*live_inputs, *with_base], out.image, api_visibility="private", **LIVE_EVENT
    )
    keep, _ = _based(keep_it, "keep_base", ui.base)
    out.keep.click(
        keep, [*live_inputs, out.upscale, *with_base], out.kept, api_name="paint_keep", concurrency_id="paint_live"
    ).success(after_keep, [pic.fresh, ui.base], [pic.seed, ui.nudges, out.note], **QUIET)
    vary, _ = _based(show_variations, "base_variations", ui.base)
    out.vary.click(variation_seed, [pic.fresh, ui.var_seed], [ui.var_seed, out.note], **QUIET).then(
        vary, [*live_inputs, out.spread, ui.var_seed, *with_base], out.var_grid, api_visibility="private", **LIVE_EVENT
    )
    out.var_grid.select(pick_variation, [ui.nudges, ui.var_seed, out.spread], [ui.nudges, ui.var_seed], **QUIET)


def _wire_compare(ui: SimpleNamespace) -> None:
    """The Recent strip (a settled picture goes in; a click goes back) and A/B (hold, swap), each on the
    base's picture while one is set."""
    pic, out = ui.pic, ui.out
    settled = [s.release for s in pic.sliders] + [
        pic.psi.release,
        pic.blend_amt.release,
        pic.seed.change,
        pic.class_a.change,
        pic.class_b.change,
        ui.nudges.change,
        ui.base.change,
    ]
    keep_recent, with_base = _based(remember, "remember_base", ui.base)
    gr.on(
        settled,
        keep_recent,
        [*ui.live_inputs, out.entries, *with_base],
        [out.entries, out.strip],
        trigger_mode="always_last",
        **QUIET,
    )
    out.strip.select(undo, out.entries, ui.restore_outputs, **QUIET)
    out.hold.click(
        _one_input_per_slider(hold_a), [*ui.live_inputs, ui.base], [out.held, out.held_rec, out.swap], **QUIET
    )
    out.swap.click(
        _one_input_per_slider(swap_ab),
        [out.held_rec, *ui.live_inputs, ui.base],
        [*ui.restore_outputs, out.held, out.held_rec],
        **QUIET,
    )


def _wire_models(ctx: StudioContext, ui: SimpleNamespace) -> None:
    """Adding and downloading models, and reopening a kept output (here or from the Gallery)."""
    pic, m = ui.pic, ui.models
    m.download_btn.click(model_file, pic.model_dd, m.download, api_visibility="private")
    m.upload.upload(add_model, m.upload, [pic.model_dd, ui.out.note], api_visibility="private")
    restored = [*ui.restore_outputs, *morph_panel.outputs(ui.morph, ui.keys), *sweep_panel.outputs(ui.sweep)]
    m.open_recipe.upload(restore, m.open_recipe, restored, api_visibility="private")
    ctx.restorers[NAME] = Restorer(restore, restored, accepts)
