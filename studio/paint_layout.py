"""The Paint tab's main layout: the controls column (model, classes and blend, seed, truncation,
direction sliders) and the output column (the picture and A beside it, Keep, Recent, variations).
Layout only: studio/paint.py wires these components to its handlers."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from engines import checkpoints
from engines.paint import controls, explore
from studio import history
from studio.paint_base import DISPLAY, N_SLIDERS, NO_BLEND

OPENING_SEED = 23  # the bundled model's first picture: a clear face (a drooling smiley) at the tab's truncation


def _first_model() -> tuple[list[str], str | None, list[str], list[str]]:
    """The bundled models (the page has no visitor yet), the one the tab opens with, its classes and choices."""
    found = explore.available_models(None)
    first = next(iter(found), None)  # models load lazily: on page load, not at start-up
    names = list(checkpoints.load(found[first]).meta.get("class_names", ["all"])) if first else ["all"]
    return list(found), first, names, explore.class_choices(names)


def picture_controls() -> SimpleNamespace:
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


def output_column() -> SimpleNamespace:
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
