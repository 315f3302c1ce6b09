"""Paint tab: steer a conditional GAN with live sliders, compare (A/B), go back (history), explore
variations, render morphs, sweep two settings, and train the same kind of model on your own pictures.
Handlers first, then the layout, then the wiring; the work itself lives in engines.paint. The tab's
main layout is in studio/paint_layout.py; its panels in paint_morph.py, paint_sweep.py, paint_train.py,
paint_models.py (models and recipes) and paint_panels.py (My picture, Move with sound); the events
drawn from an artist's picture in paint_based.py; what they share (models, the picture cache,
`restore_recipe`) in paint_base.py."""

from __future__ import annotations

import random
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import gradio as gr
from PIL import Image

from engines import limits
from engines.jobs import LIVE
from engines.paint import controls, explore
from engines.paint.data import MIN_IMAGES
from studio import common, paint_based, paint_layout, paint_panels
from studio import paint_models as models_panel
from studio import paint_morph as morph_panel
from studio import paint_sweep as sweep_panel
from studio import paint_train as train_panel
from studio.common import StudioContext, friendly, how_it_works, one_input_per_slider
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
from studio.paint_restore import accepts, hold_a, remember, restore, swap_ab, undo  # noqa: F401  (the tab's API)
from studio.paint_sweep import open_cell, paint_sweep_run, stop_sweep  # noqa: F401
from studio.paint_train import TRAIN_STARTS, paint_train, preview_upload  # noqa: F401

TITLE = "Paint"
RESTORE_OUTPUTS: list = []  # the components RESTORE_FIELDS names, filled by build() (restore_recipe's outputs)

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
- **Sweep**: two settings across and down, every pair drawn (from your picture while it is in use);
  click a cell to open it.
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


# ------------------------------------------------------------------ gradio's calling convention
def _one_input_per_slider(handler: Callable[..., Any]) -> Callable[..., Any]:
    """`handler` with one gradio input per direction slider (see common.one_input_per_slider)."""
    return one_input_per_slider(handler, N_SLIDERS, "direction")


def _based(handler: Callable[..., Any], base_fn: Callable[..., Any]) -> Callable[..., Any]:
    """`handler` with one input per slider and one more, the base (a gr.State, so the API does not show
    it); while a base is set, `base_fn` answers instead, drawing from it (see paint_based.with_base)."""
    return paint_based.with_base(_one_input_per_slider(handler), base_fn)


# ------------------------------------------------------------------ layout
def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Paint tab and wire its events (then My picture and Move with sound, studio/paint_panels.py)."""
    how_it_works(HELP)
    with gr.Row(elem_classes=["atelier-split"]):
        with gr.Column(scale=2):
            pic = paint_layout.picture_controls()
        with gr.Column(scale=3, elem_classes=["atelier-output"]):
            out = paint_layout.output_column()
    first = next(iter(explore.available_models(None).values()), None)
    ui = SimpleNamespace(
        pic=pic,
        out=out,
        morph=morph_panel.panel(),
        sweep=sweep_panel.panel(explore.load_model(first) if first else None),
        train=train_panel.panel(),
        models=models_panel.panel(),
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
    paint_panels.build(ctx, tab, ui)


# ------------------------------------------------------------------ wiring
def _wire(ctx: StudioContext, tab: gr.Tab, ui: SimpleNamespace) -> None:
    """Connect the tab's events to the handlers (api names as the README documents them)."""
    pic = ui.pic
    ui.live_inputs = [pic.model_dd, pic.class_a, pic.class_b, pic.blend_amt, pic.seed, pic.psi, *pic.sliders, ui.nudges]
    _wire_picture(ctx, tab, ui)
    _wire_compare(ui)
    add_key = _based(add_keyframe, paint_based.add_base_keyframe)
    ui.morph.add_key.click(add_key, [*ui.live_inputs, ui.keys, ui.base], [ui.keys, ui.morph.key_strip], **QUIET)
    morph_panel.wire(ui.morph, ui.keys, pic.model_dd)
    sweep_panel.wire(ui.sweep, ui.live_inputs, ui.restore_outputs, ui.base)
    train_panel.wire(ui.train, pic.model_dd)
    models_panel.wire(ctx, ui)


def _wire_picture(ctx: StudioContext, tab: gr.Tab, ui: SimpleNamespace) -> None:
    """The picture: live drawing (from the seed, or from the base while one is set), model changes, seed,
    reset, keep, variations."""
    pic, out, live_inputs = ui.pic, ui.out, ui.live_inputs
    generate = _based(paint_generate, paint_based.paint_from_base)
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
        [*live_inputs, ui.base],
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
    gr.on(
        [tab.select, ctx.demo.load, pic.refresh.click], models_panel.model_choices, pic.model_dd, pic.model_dd, **QUIET
    )
    pic.dice.click(new_seed, None, [pic.seed, ui.nudges], **QUIET)
    pic.reset.click(reset_all, pic.model_dd, [ui.nudges, *pic.sliders, pic.psi], **QUIET).then(
        generate, [*live_inputs, ui.base], out.image, api_visibility="private", **LIVE_EVENT
    )
    keep = _based(keep_it, paint_based.keep_base)
    out.keep.click(
        keep, [*live_inputs, out.upscale, ui.base], out.kept, api_name="paint_keep", concurrency_id="paint_live"
    ).success(after_keep, [pic.fresh, ui.base], [pic.seed, ui.nudges, out.note], **QUIET)
    vary = _based(show_variations, paint_based.base_variations)
    out.vary.click(variation_seed, [pic.fresh, ui.var_seed], [ui.var_seed, out.note], **QUIET).then(
        vary, [*live_inputs, out.spread, ui.var_seed, ui.base], out.var_grid, api_visibility="private", **LIVE_EVENT
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
    keep_recent = _based(remember, paint_based.remember_base)
    gr.on(
        settled,
        keep_recent,
        [*ui.live_inputs, out.entries, ui.base],
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
