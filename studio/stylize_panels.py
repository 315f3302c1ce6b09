"""Stylize's layout in small pieces (each returns its components) and the picture inputs that hand
the handler the file undecoded. `studio/stylize.py` holds the handlers and wires these pieces."""

from __future__ import annotations

import types
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
from gradio import processing_utils
from gradio.data_classes import FileData

from engines.stylize import dream as dreams
from engines.stylize import fast, features, jobs
from engines.stylize import sweep as stylize_sweep
from studio import history, sweeps
from studio.common import studio

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"
N_STYLES = jobs.N_STYLES


def sample_paths(kind: str) -> list[str]:
    """The bundled sample pictures of `kind` ('content' or 'styles')."""
    return sorted(str(p) for p in (SAMPLES / kind).glob("*.jpg"))


# ---------------------------------------------------------------- picture inputs that do not decode
# gradio's Image opens (and for some modes decodes) every upload before a handler runs, and its
# ImageEditor decodes every layer, so an empty file or a decompression bomb would fail there with a
# bare "Error". These inputs hand the handler the file itself, which it checks header-first. (Instance
# methods rather than subclasses: gradio writes a .pyi stub beside any module defining a component class.)
def _undecoded_picture(self: gr.Image, payload: Any) -> str | None:
    """The upload's path (a data: URL is written to gradio's cache as bytes, undecoded)."""
    if payload is None:
        return None
    if payload.url and str(payload.url).startswith("data:"):
        return processing_utils.save_base64_to_cache(payload.url, self.GRADIO_CACHE)
    return str(payload.path) if payload.path else None


def _undecoded_layer(self: gr.ImageEditor, file: FileData | bytes | None, flatten_on_white: bool = False) -> str | None:
    """An editor layer as a file path in gradio's cache (bytes are written as they are)."""
    if file is None:
        return None
    if isinstance(file, FileData):
        return str(file.path)
    return processing_utils.save_bytes_to_cache(bytes(file), "layer.png", self.GRADIO_CACHE)


def picture_upload(value: str | None = None, **kwargs: Any) -> gr.Image:
    """gr.Image(type="filepath") whose handler receives the uploaded file undecoded."""
    image = gr.Image(value, type="filepath", image_mode=None, **kwargs)
    image.preprocess = types.MethodType(_undecoded_picture, image)  # type: ignore[method-assign]
    return image


def mask_editor(**kwargs: Any) -> gr.ImageEditor:
    """gr.ImageEditor(type="filepath") whose handler receives the brushed layers as files, undecoded."""
    editor = gr.ImageEditor(type="filepath", **kwargs)
    editor.convert_and_format_image = types.MethodType(_undecoded_layer, editor)  # type: ignore[method-assign]
    return editor


# ---------------------------------------------------------------- layout
def _fast_controls() -> SimpleNamespace:
    """The controls column: picture, styles with weights, sample styles, colours and size."""
    with gr.Column(scale=2):
        content = picture_upload(
            str(SAMPLES / "content" / "chelsea.jpg"),
            label="Your picture",
            height=260,
            elem_id="stylize-content",
            sources=["upload", "clipboard"],
        )
        gr.Examples(sample_paths("content"), inputs=content, label="Sample pictures")
        styles, weights = [], []
        for row in range(N_STYLES // 2):
            with gr.Row():
                for i in (2 * row, 2 * row + 1):
                    with gr.Column(min_width=140):
                        first = str(SAMPLES / "styles" / "swirls.jpg") if i == 0 else None
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
            size = gr.Slider(*jobs.SIDE, value=512, step=32, label="Size (longer side, pixels)", elem_id="stylize-size")
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
                        *jobs.GATYS_STEPS, value=200, step=10, label="Steps", elem_id="stylize-gatys-steps"
                    )
                    size = gr.Slider(*jobs.GATYS_SIDE, value=384, step=32, label="Size", elem_id="stylize-gatys-size")
                with gr.Row():
                    style_w = gr.Slider(*jobs.GATYS_STYLE_WEIGHT, value=1.0, step=0.05, label="Style weight")
                    content_w = gr.Slider(*jobs.GATYS_CONTENT_WEIGHT, value=0.15, step=0.01, label="Content weight")
                    tv_w = gr.Slider(*jobs.GATYS_TV_WEIGHT, value=0.3, step=0.05, label="Smoothness (TV)")
                with gr.Row():
                    backbone = gr.Dropdown(backbones, value=backbones[0], label="Feature network")
                    optimizer = gr.Radio(list(jobs.OPTIMIZERS), value="lbfgs", label="Optimiser")
                    color_mode = gr.Radio(list(jobs.COLOR_MODES), value="none", label="Keep colours")
            with gr.Column(elem_classes=["atelier-output"]):
                with gr.Row():
                    start = gr.Button("Paint it slowly", variant="primary", elem_id="stylize-gatys-start")
                    stop = gr.Button("Stop", variant="stop", elem_id="stylize-gatys-stop")
                preview = gr.Image(
                    type="pil",
                    label="Painting",
                    height=360,
                    interactive=False,
                    format="png",
                    elem_id="stylize-gatys-preview",
                    elem_classes=["atelier-main-output"],
                )
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
                                label=f"{i + 1} · {jobs.PRESET_NAMES[i]}",
                                elem_id=f"stylize-preset-{i}",
                            )
                            for i in range(row, min(row + 3, fast.N_PRESETS))
                        ]
            with gr.Column(elem_classes=["atelier-output"]):
                out = gr.Image(
                    type="pil",
                    label="Preset blend",
                    height=360,
                    interactive=False,
                    format="png",
                    elem_id="stylize-preset-out",
                    elem_classes=["atelier-main-output"],
                )
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
                kind = gr.Radio(list(jobs.DREAM_KINDS), value="layer", label="Dream of")
                layer = gr.Dropdown(list(dreams.LAYERS), value="parts (block 8)", label="Layer")
                channel = gr.Number(
                    value=0, precision=0, minimum=0, maximum=jobs.MAX_CHANNEL, label="Channel (for 'channel')"
                )
                cls = gr.Dropdown(features.imagenet_classes(), value="electric guitar", label="Class (for 'class')")
                with gr.Row():
                    octaves = gr.Slider(*jobs.DREAM_OCTAVES, value=3, step=1, label="Octaves")
                    steps = gr.Slider(*jobs.DREAM_STEPS, value=12, step=1, label="Steps per octave")
                    strength = gr.Slider(*jobs.DREAM_STRENGTH, value=0.03, step=0.005, label="Strength")
                start_from = gr.Radio(list(jobs.DREAM_STARTS), value="my picture", label="Start from")
            with gr.Column(elem_classes=["atelier-output"]):
                with gr.Row():
                    start = gr.Button("Dream", variant="primary", elem_id="stylize-dream-start")
                    stop = gr.Button("Stop", variant="stop", elem_id="stylize-dream-stop")
                out = gr.Image(
                    type="pil",
                    label="Dream",
                    height=400,
                    interactive=False,
                    format="png",
                    elem_id="stylize-dream-out",
                    elem_classes=["atelier-main-output"],
                )
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


RESTORED = (
    "content",
    *(f"style_{i}" for i in range(N_STYLES)),
    *(f"weight_{i}" for i in range(N_STYLES)),
    "strength",
    "keep_colours",
    "size",
    "result",
    "note",
    "brush",
    "g_steps",
    "g_size",
    "g_style_weight",
    "g_content_weight",
    "g_tv_weight",
    "g_backbone",
    "g_optimizer",
    "g_color_mode",
    "g_preview",
    "g_status",
    *(f"preset_{i}" for i in range(fast.N_PRESETS)),
    "p_out",
    "d_kind",
    "d_layer",
    "d_channel",
    "d_class_name",
    "d_octaves",
    "d_steps",
    "d_strength",
    "d_start",
    "d_out",
    "d_status",
    "x_axis",
    "x_values",
    "y_axis",
    "y_values",
    "sweep_grid",
    "sweep_status",
    "gatys_panel",
    "presets_panel",
    "dream_panel",
)
"""The names of the components a recipe sets (`restorable`), in the Gallery Restorer's order."""


def restorable(ui: SimpleNamespace) -> dict[str, Any]:
    """The components a recipe sets, by the names `studio.stylize.restore_values` uses."""
    g, p, d, w = ui.gatys, ui.presets, ui.dream, ui.sweep
    named = {
        "content": ui.content,
        **{f"style_{i}": s for i, s in enumerate(ui.styles)},
        **{f"weight_{i}": s for i, s in enumerate(ui.weights)},
        "strength": ui.strength,
        "keep_colours": ui.keep_color,
        "size": ui.size,
        "result": ui.result,
        "note": ui.note,
        "brush": g.brush,
        "g_steps": g.steps,
        "g_size": g.size,
        "g_style_weight": g.style_w,
        "g_content_weight": g.content_w,
        "g_tv_weight": g.tv_w,
        "g_backbone": g.backbone,
        "g_optimizer": g.optimizer,
        "g_color_mode": g.color_mode,
        "g_preview": g.preview,
        "g_status": g.status,
        **{f"preset_{i}": s for i, s in enumerate(p.weights)},
        "p_out": p.out,
        "d_kind": d.kind,
        "d_layer": d.layer,
        "d_channel": d.channel,
        "d_class_name": d.cls,
        "d_octaves": d.octaves,
        "d_steps": d.steps,
        "d_strength": d.strength,
        "d_start": d.start_from,
        "d_out": d.out,
        "d_status": d.status,
        "x_axis": w.x_axis,
        "x_values": w.x_values,
        "y_axis": w.y_axis,
        "y_values": w.y_values,
        "sweep_grid": w.grid,
        "sweep_status": w.status,
        "gatys_panel": g.panel,
        "presets_panel": p.panel,
        "dream_panel": d.panel,
    }
    assert tuple(named) == RESTORED
    return named
