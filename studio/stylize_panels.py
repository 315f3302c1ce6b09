"""Stylize's layout in small pieces, each returning its components, and the names of the components
a recipe sets (RESTORED). `studio/stylize.py` wires these pieces to the handlers."""

from __future__ import annotations

from functools import reduce
from types import SimpleNamespace
from typing import Any

import gradio as gr

from engines.stylize import controls, fast, features
from engines.stylize import dream as dreams
from engines.stylize import sweep as stylize_sweep
from studio import history, sweeps
from studio.common import studio
from studio.stylize_inputs import mask_editor, picture_upload, sample_paths, samples_dir


def _run_buttons(label: str, prefix: str) -> tuple[gr.Button, gr.Button]:
    """A slow job's start button (`label`) and its Stop, side by side."""
    with gr.Row():
        start = gr.Button(label, variant="primary", elem_id=f"{prefix}-start")
        stop = gr.Button("Stop", variant="stop", elem_id=f"{prefix}-stop")
    return start, stop


def _picture_out(label: str, height: int, elem_id: str) -> gr.Image:
    """A panel's main output picture (read-only, PNG)."""
    return gr.Image(
        type="pil",
        label=label,
        height=height,
        interactive=False,
        format="png",
        elem_id=elem_id,
        elem_classes=["atelier-main-output"],
    )


# ---------------------------------------------------------------- layout
def _fast_controls() -> SimpleNamespace:
    """The controls column: picture, styles with weights, sample styles, colours and size."""
    with gr.Column(scale=2):
        content = picture_upload(
            str(samples_dir() / "content" / "chelsea.jpg"),
            label="Your picture",
            height=260,
            elem_id="stylize-content",
            sources=["upload", "clipboard"],
        )
        gr.Examples(sample_paths("content"), inputs=content, label="Sample pictures")
        styles, weights = [], []
        for row in range(controls.N_STYLES // 2):
            with gr.Row():
                for i in (2 * row, 2 * row + 1):
                    with gr.Column(min_width=140):
                        first = str(samples_dir() / "styles" / "swirls.jpg") if i == 0 else None
                        styles.append(
                            picture_upload(
                                first,
                                label=f"Style {i + 1}",
                                height=140,
                                elem_id=f"stylize-style-{i}",
                                sources=["upload", "clipboard"],
                            )
                        )
                        weights.append(
                            gr.Slider(
                                0,
                                1,
                                value=1.0 if i == 0 else 0.5,
                                step=0.05,
                                label=f"Weight {i + 1}",
                                elem_id=f"stylize-weight-{i}",
                            )
                        )
        picks = gr.Gallery(
            sample_paths("styles"),
            label="Sample styles: click to use in the next empty slot",
            columns=5,
            height=120,
            allow_preview=False,
            elem_id="stylize-style-picks",
        )
        with gr.Row():
            keep_color = gr.Checkbox(value=False, label="Keep my colours", elem_id="stylize-keep-color")
            size = gr.Slider(
                *controls.SIDE, value=512, step=32, label="Size (longer side, pixels)", elem_id="stylize-size"
            )
    return SimpleNamespace(
        content=content, styles=styles, weights=weights, picks=picks, keep_color=keep_color, size=size
    )


def _fast_output() -> SimpleNamespace:
    """The output column: before/after, Strength, Keep and the download."""
    with gr.Column(scale=3, elem_classes=["atelier-output"]):
        result = gr.ImageSlider(
            label="Before / after",
            type="pil",
            format="png",
            elem_id="stylize-result",
            max_height=420,  # with Strength and Keep below it, the column fits a 900-px screen
            elem_classes=["atelier-main-output"],
        )
        strength = gr.Slider(0, 1, value=1.0, step=0.01, label="Strength", elem_id="stylize-strength")
        with gr.Row():
            keep = gr.Button("Keep (save to Gallery)", variant="primary", elem_id="stylize-keep")
            kept = gr.File(
                label="Download with recipe",
                interactive=False,
                height=60,
                elem_id="stylize-kept",
                elem_classes=["atelier-secondary"],
            )
        note = gr.Markdown(elem_id="stylize-note")
        strip, entries = history.strip("stylize-history")
    return SimpleNamespace(
        result=result, strength=strength, keep=keep, kept=kept, note=note, strip=strip, entries=entries
    )


def _gatys_panel() -> SimpleNamespace:
    """'Paint it slowly': brushed mask and settings, then the streamed painting and its losses."""
    backbones = features.available(studio().settings.allow_downloads)
    with gr.Accordion("Paint it slowly (Gatys)", open=False, elem_id="stylize-gatys-panel") as panel:
        with gr.Row(elem_classes=["atelier-split"]):
            with gr.Column():
                brush = mask_editor(
                    label="Brush where the style goes (leave empty for everywhere)",
                    height=300,
                    elem_id="stylize-mask",
                    sources=[],
                    layers=False,
                    brush=gr.Brush(colors=["#ff7a00"], default_size=40),
                )
                with gr.Row():
                    steps = gr.Slider(
                        *controls.GATYS_STEPS, value=200, step=10, label="Steps", elem_id="stylize-gatys-steps"
                    )
                    size = gr.Slider(
                        *controls.GATYS_SIDE, value=384, step=32, label="Size", elem_id="stylize-gatys-size"
                    )
                with gr.Row():
                    style_w = gr.Slider(*controls.GATYS_STYLE_WEIGHT, value=1.0, step=0.05, label="Style weight")
                    content_w = gr.Slider(*controls.GATYS_CONTENT_WEIGHT, value=0.15, step=0.01, label="Content weight")
                    tv_w = gr.Slider(*controls.GATYS_TV_WEIGHT, value=0.3, step=0.05, label="Smoothness (TV)")
                with gr.Row():
                    backbone = gr.Dropdown(backbones, value=backbones[0], label="Feature network")
                    optimizer = gr.Radio(list(controls.OPTIMIZERS), value="lbfgs", label="Optimiser")
                    color_mode = gr.Radio(list(controls.COLOR_MODES), value="none", label="Keep colours")
            with gr.Column(elem_classes=["atelier-output"]):
                start, stop = _run_buttons("Paint it slowly", "stylize-gatys")
                preview = _picture_out("Painting", 360, "stylize-gatys-preview")
                status = gr.Markdown(elem_id="stylize-gatys-status")
                plot = gr.LinePlot(
                    x="step",
                    y="loss",
                    color="part",
                    height=220,
                    label="Losses",
                    color_title="loss",
                    color_map={"style": "#e8590c", "content": "#1c7ed6"},
                    y_title="loss",
                    colors_in_legend=["style", "content"],
                    y_axis_format=".2~g",
                    x_title="step",
                    elem_id="stylize-gatys-plot",
                    elem_classes=["atelier-secondary"],
                )
    return SimpleNamespace(
        panel=panel,
        brush=brush,
        steps=steps,
        size=size,
        style_w=style_w,
        content_w=content_w,
        tv_w=tv_w,
        backbone=backbone,
        optimizer=optimizer,
        color_mode=color_mode,
        start=start,
        stop=stop,
        preview=preview,
        status=status,
        plot=plot,
    )


def _presets_panel() -> SimpleNamespace:
    """The 26 presets: a sheet of what each does, blend sliders, the blend and its Keep."""
    with gr.Accordion("Presets (26 styles)", open=False, elem_id="stylize-presets-panel") as panel:
        sheet_btn = gr.Button("Show what each preset does (on your picture)")
        sheet = gr.Gallery(columns=9, height=260, allow_preview=True, label="Presets", elem_id="stylize-sheet")
        with gr.Row(elem_classes=["atelier-split"]):
            with gr.Column():
                weights = []
                for row in range(0, fast.N_PRESETS, 3):
                    with gr.Row():
                        weights += [
                            gr.Slider(
                                0,
                                1,
                                value=1.0 if i == 0 else 0.0,
                                step=0.05,
                                min_width=170,
                                label=f"{i + 1} · {controls.PRESET_NAMES[i]}",
                                elem_id=f"stylize-preset-{i}",
                            )
                            for i in range(row, min(row + 3, fast.N_PRESETS))
                        ]
            with gr.Column(elem_classes=["atelier-output"]):
                out = _picture_out("Preset blend", 360, "stylize-preset-out")
                keep = gr.Button("Keep (save to Gallery)", elem_id="stylize-preset-keep")
                kept = gr.File(
                    label="Download with recipe", interactive=False, height=60, elem_classes=["atelier-secondary"]
                )
    return SimpleNamespace(
        panel=panel, sheet_btn=sheet_btn, sheet=sheet, weights=weights, out=out, keep=keep, kept=kept
    )


def _dream_panel() -> SimpleNamespace:
    """Dream: what to dream of and how hard, then the streamed dream."""
    with gr.Accordion("Dream", open=False, elem_id="stylize-dream-panel") as panel:
        with gr.Row(elem_classes=["atelier-split"]):
            with gr.Column():
                kind = gr.Radio(list(controls.DREAM_KINDS), value="layer", label="Dream of")
                layer = gr.Dropdown(list(dreams.LAYERS), value="parts (block 8)", label="Layer")
                channel = gr.Number(
                    value=0, precision=0, minimum=0, maximum=controls.MAX_CHANNEL, label="Channel (for 'channel')"
                )
                cls = gr.Dropdown(features.imagenet_classes(), value="electric guitar", label="Class (for 'class')")
                with gr.Row():
                    octaves = gr.Slider(*controls.DREAM_OCTAVES, value=3, step=1, label="Octaves")
                    steps = gr.Slider(*controls.DREAM_STEPS, value=12, step=1, label="Steps per octave")
                    strength = gr.Slider(*controls.DREAM_STRENGTH, value=0.03, step=0.005, label="Strength")
                start_from = gr.Radio(list(controls.DREAM_STARTS), value="my picture", label="Start from")
            with gr.Column(elem_classes=["atelier-output"]):
                start, stop = _run_buttons("Dream", "stylize-dream")
                out = _picture_out("Dream", 400, "stylize-dream-out")
                status = gr.Markdown(elem_id="stylize-dream-status")
    return SimpleNamespace(
        panel=panel,
        status=status,
        kind=kind,
        layer=layer,
        channel=channel,
        cls=cls,
        octaves=octaves,
        steps=steps,
        strength=strength,
        start_from=start_from,
        start=start,
        stop=stop,
        out=out,
    )


def _sweep_panel() -> SimpleNamespace:
    """The Sweep panel (any two of strength, style weights, size, keep colours, preset weights)."""
    panel = sweeps.panel(
        "stylize",
        stylize_sweep.axis_names(),
        (stylize_sweep.STRENGTH, "0:1:5"),
        (stylize_sweep.WEIGHTS[0], "0.25, 0.5, 1"),
    )
    panel.recipes = gr.State([])
    return panel


def layout() -> SimpleNamespace:
    """Every piece of the tab, in page order."""
    with gr.Row(elem_classes=["atelier-split"]):
        controls = _fast_controls()
        output = _fast_output()
    return SimpleNamespace(
        **vars(controls),
        **vars(output),
        gatys=_gatys_panel(),
        presets=_presets_panel(),
        dream=_dream_panel(),
        sweep=_sweep_panel(),
    )


RESTORED_FROM = (
    ("content", "content"),
    *((f"style_{i}", f"styles.{i}") for i in range(controls.N_STYLES)),
    *((f"weight_{i}", f"weights.{i}") for i in range(controls.N_STYLES)),
    ("strength", "strength"),
    ("keep_colours", "keep_color"),
    ("size", "size"),
    ("result", "result"),
    ("note", "note"),
    ("brush", "gatys.brush"),
    ("g_steps", "gatys.steps"),
    ("g_size", "gatys.size"),
    ("g_style_weight", "gatys.style_w"),
    ("g_content_weight", "gatys.content_w"),
    ("g_tv_weight", "gatys.tv_w"),
    ("g_backbone", "gatys.backbone"),
    ("g_optimizer", "gatys.optimizer"),
    ("g_color_mode", "gatys.color_mode"),
    ("g_preview", "gatys.preview"),
    ("g_status", "gatys.status"),
    *((f"preset_{i}", f"presets.weights.{i}") for i in range(fast.N_PRESETS)),
    ("p_out", "presets.out"),
    ("d_kind", "dream.kind"),
    ("d_layer", "dream.layer"),
    ("d_channel", "dream.channel"),
    ("d_class_name", "dream.cls"),
    ("d_octaves", "dream.octaves"),
    ("d_steps", "dream.steps"),
    ("d_strength", "dream.strength"),
    ("d_start", "dream.start_from"),
    ("d_out", "dream.out"),
    ("d_status", "dream.status"),
    ("x_axis", "sweep.x_axis"),
    ("x_values", "sweep.x_values"),
    ("y_axis", "sweep.y_axis"),
    ("y_values", "sweep.y_values"),
    ("sweep_grid", "sweep.grid"),
    ("sweep_status", "sweep.status"),
    ("gatys_panel", "gatys.panel"),
    ("presets_panel", "presets.panel"),
    ("dream_panel", "dream.panel"),
)
"""Each component a recipe sets: its name (what `stylize_restore.restore_values` fills) and where it
sits in `layout()`'s namespace (attributes and list indices, dotted), in the Gallery Restorer's order."""

RESTORED = tuple(name for name, _ in RESTORED_FROM)
"""The names of the components a recipe sets, in the Restorer's order."""


def _at(ui: SimpleNamespace, where: str) -> Any:
    """The component at a dotted place in the layout ('gatys.brush', 'styles.0')."""
    return reduce(lambda obj, part: obj[int(part)] if part.isdigit() else getattr(obj, part), where.split("."), ui)


def restorable(ui: SimpleNamespace) -> dict[str, Any]:
    """The components a recipe sets, by the names `stylize_restore.restore_values` uses."""
    return {name: _at(ui, where) for name, where in RESTORED_FROM}
