"""Stylize tab: paint a picture in the style of others, live on the fast network, slowly and
carefully by optimisation (Gatys), or let the network dream. Handlers first (plain functions a test
can call), then the layout in small pieces, then `_wire`. The checks and the work live in
`engines.stylize` (jobs.py: bounds and recipes; pictures.py: header-first picture reading)."""

from __future__ import annotations

import types
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pandas as pd
from gradio import processing_utils
from gradio.data_classes import FileData
from PIL import Image

from engines import recipe as recipes
from engines.jobs import StopToken
from engines.stylize import dream as dreams
from engines.stylize import fast, features, jobs
from engines.stylize.pictures import read_picture
from studio.common import Restorer, StudioContext, friendly, how_it_works, studio, workspace

NAME = "stylize"
TITLE = "Stylize"
SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"
N_STYLES = jobs.N_STYLES
EDITOR_SIDE = 1024            # the brushing canvas shows the picture at most this large

HELP = """
Style transfer paints **your picture** with the brushwork and colours of **style pictures**.

- **Fast**: a network trained to paint any style in one pass (Ghiasi et al. 2017). Drag
  *Strength* and watch it change; give up to four styles weights to blend them.
- **Keep my colours** keeps your picture's colours and takes only the style's light and dark.
- **Paint it slowly** (Gatys et al.) repaints the picture step by step so its deep features
  match the style's: slower, often richer. Brush over the picture to say where the style goes.
- **Presets**: 26 styles a network learned, mixed with sliders.
- **Dream** makes the network paint what a layer or an ImageNet class responds to.
"""

_stops: dict[str, StopToken] = {}
"""Stop tokens of the running Gatys and Dream jobs, keyed '<workspace>:<job>' (any page of the workspace stops them)."""


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


def _undecoded_layer(self: gr.ImageEditor, file: FileData | bytes | None, flatten_on_white: bool = False
                     ) -> str | None:
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


# ---------------------------------------------------------------- handlers: helpers
def sample_paths(kind: str) -> list[str]:
    """The bundled sample pictures of `kind` ('content' or 'styles')."""
    return sorted(str(p) for p in (SAMPLES / kind).glob("*.jpg"))


def _keep(image: Image.Image, recipe: dict, title: str, request: gr.Request | None) -> str:
    """Save `image` with its recipe in the caller's workspace (room checked first); returns its path."""
    ws = workspace(request)
    ws.check_room(image.width * image.height * 3)
    return str(ws.store.save_image(image, recipe, title=title).path)


def _token(request: gr.Request | None, job: str) -> StopToken:
    """A fresh stop token for this workspace's `job` ('gatys' or 'dream')."""
    token = _stops.setdefault(f"{workspace(request).name}:{job}", StopToken())
    token.reset()
    return token


def _stop(job: str, request: gr.Request | None) -> None:
    token = _stops.get(f"{workspace(request).name}:{job}")
    if token:
        token.stop()


# ---------------------------------------------------------------- handlers: the fast path
@friendly
def stylize_fast(content: str | None, s1: str | None, s2: str | None, s3: str | None, s4: str | None,
                 w1: float, w2: float, w3: float, w4: float, strength: float, keep_colours: bool,
                 size: float) -> tuple[str, Image.Image] | None:
    """Fast arbitrary-style transfer: (before, after); nothing until a picture is given."""
    if not content:
        return None
    job = jobs.fast_job(content, [s1, s2, s3, s4], [w1, w2, w3, w4], strength, keep_colours, size)
    # "before" is the uploaded file itself: gradio caches a file once, whereas a picture object
    # would be re-encoded and rewritten on every slider move (racing the browser's fetch)
    return content, job.paint()


def auto_fast(content: str | None, s1: str | None, s2: str | None, s3: str | None, s4: str | None,
              *rest: Any) -> tuple[str, Image.Image] | None:
    """The same, for automatic triggers: quietly nothing until a picture and a style are there."""
    if not content or not any((s1, s2, s3, s4)):
        return None
    return stylize_fast(content, s1, s2, s3, s4, *rest)


@friendly
def keep_fast(content: str | None, s1: str | None, s2: str | None, s3: str | None, s4: str | None,
              w1: float, w2: float, w3: float, w4: float, strength: float, keep_colours: bool, size: float,
              request: gr.Request | None = None) -> str:
    """Paint once more and keep the result (with its recipe) in the caller's Gallery."""
    job = jobs.fast_job(content, [s1, s2, s3, s4], [w1, w2, w3, w4], strength, keep_colours, size)
    path = _keep(job.paint(), job.recipe(), job.title(), request)
    gr.Info("Kept in the Gallery.")
    return path


def pick_style(s1: str | None, s2: str | None, s3: str | None, s4: str | None, evt: gr.SelectData) -> list:
    """A clicked sample style goes into the first empty slot (else the last)."""
    paths = [s1, s2, s3, s4]
    picked = sample_paths("styles")[evt.index]
    slot = next((i for i, p in enumerate(paths) if not p), len(paths) - 1)
    return [gr.update(value=picked) if i == slot else gr.update() for i in range(N_STYLES)]


def restore(path: str) -> list:
    """Controls from a fast-path recipe; pictures come back when they are bundled samples."""
    rec = recipes.read(path)
    if rec.get("engine") != NAME or rec.get("method") != "fast":
        raise ValueError("That recipe was not made by Stylize's fast path.")
    known = {Path(p).name: p for kind in ("content", "styles") for p in sample_paths(kind)}

    def sample(name: Any) -> Any:
        return known.get(str(name), gr.update())

    names = list(rec.get("styles", []))[:N_STYLES]
    weights = list(rec.get("weights", []))[:N_STYLES]
    style_updates = [sample(names[i]) if i < len(names) else None for i in range(N_STYLES)]
    weight_updates = [weights[i] if i < len(weights) else 0.5 for i in range(N_STYLES)]
    return [sample(rec.get("content")), *style_updates, *weight_updates, rec.get("strength", 1.0),
            bool(rec.get("keep_colours", False)), rec.get("size", 512)]


# ---------------------------------------------------------------- handlers: Gatys
def to_editor(content: str | None) -> dict | None:
    """The brushing canvas: the artist's picture as background, no strokes yet."""
    if not content:
        return None
    try:
        pic = read_picture(content, "Your picture", EDITOR_SIDE, jobs.NO_CONTENT)
    except ValueError:
        return None  # the fast path's handler says what is wrong with the picture
    return {"background": pic, "layers": [], "composite": None}


def _mask_layers(value: Any) -> list[str]:
    """The layer files of the editor's value (paths; a dict with 'layers'), or none."""
    if not isinstance(value, dict):
        return []
    return [str(p) for p in (value.get("layers") or []) if isinstance(p, (str, Path))]


def _gatys_status(ev: Any) -> str:
    return (f"step {min(ev.step, ev.total)} of {ev.total} · style {ev.style_loss:.4f} · "
            f"content {ev.content_loss:.4f} · {ev.seconds:.0f} s")


@friendly
def stylize_gatys(content: str | None, s1: str | None, s2: str | None, s3: str | None, s4: str | None,
                  w1: float, w2: float, w3: float, w4: float, steps: float, size: float, style_weight: float,
                  content_weight: float, tv_weight: float, backbone: str, optimizer: str, color_mode: str,
                  mask: Any, request: gr.Request | None = None) -> Any:
    """Gatys optimisation; streams (preview, status, losses) and keeps the result in the Gallery."""
    job = jobs.gatys_job(content, [s1, s2, s3, s4], [w1, w2, w3, w4], steps, size, style_weight, content_weight,
                         tv_weight, backbone, optimizer, color_mode, _mask_layers(mask))
    workspace(request).check_room()
    token = _token(request, "gatys")
    yield None, "Starting… (the first preview comes after a few steps)", gr.update()
    for ev in job.run(token, studio().device, studio().settings.allow_downloads):
        status = _gatys_status(ev)
        if ev.done:
            _keep(ev.preview, job.recipe(ev), job.title(), request)
            status = f"**{'Stopped' if ev.message == 'stopped' else 'Done'}** ({status}); kept in the Gallery."
        yield ev.preview, status, pd.DataFrame(jobs.loss_rows(ev.history))


def stop_gatys(request: gr.Request | None = None) -> None:
    """Stop this workspace's slow painting (from any of its pages); the last picture is kept."""
    _stop("gatys", request)


# ---------------------------------------------------------------- handlers: presets and dreams
@friendly
def preset_sheet(content: str | None) -> list[tuple[Image.Image, str]]:
    """What each of the 26 presets does, on a small copy of the picture."""
    return jobs.preset_sheet(content)


@friendly
def stylize_presets(content: str | None, keep_colours: bool, size: float, *weights: float) -> Image.Image | None:
    """Blend of the 26 preset styles."""
    if not content:
        return None
    return jobs.preset_job(content, keep_colours, size, weights).paint()


@friendly
def keep_presets(content: str | None, keep_colours: bool, size: float, *weights: float,
                 request: gr.Request | None = None) -> str:
    """Keep a preset blend (26 weights) in the caller's Gallery."""
    job = jobs.preset_job(content, keep_colours, size, weights)
    path = _keep(job.paint(), job.recipe(), job.title(), request)
    gr.Info("Kept in the Gallery.")
    return path


def keep_presets_event(request: gr.Request, content: str | None, keep_colours: bool, size: float,
                       *weights: float) -> str:
    """keep_presets for gradio, which passes the request only to parameters before the 26 weights."""
    return keep_presets(content, keep_colours, size, *weights, request=request)


@friendly
def stylize_dream(content: str | None, kind: str, layer: str, channel: float, class_name: str, octaves: float,
                  steps: float, strength: float, start: str, size: float, request: gr.Request | None = None) -> Any:
    """CNN dream; streams pictures and keeps the last in the Gallery."""
    job = jobs.dream_job(content, kind, layer, channel, class_name, octaves, steps, strength, start, size)
    workspace(request).check_room()
    token = _token(request, "dream")
    for ev in job.run(token, studio().device):
        if ev.done:
            _keep(ev.preview, job.recipe(), job.title(), request)
        yield ev.preview


def stop_dream(request: gr.Request | None = None) -> None:
    """Stop this workspace's dream (from any of its pages); the last picture is kept."""
    _stop("dream", request)


# ---------------------------------------------------------------- layout
def _fast_controls() -> SimpleNamespace:
    """The controls column: picture, styles with weights, sample styles, colours and size."""
    with gr.Column(scale=2):
        content = picture_upload(str(SAMPLES / "content" / "chelsea.jpg"), label="Your picture", height=260,
                                 elem_id="stylize-content", sources=["upload", "clipboard"])
        gr.Examples(sample_paths("content"), inputs=content, label="Sample pictures")
        styles, weights = [], []
        for row in range(N_STYLES // 2):
            with gr.Row():
                for i in (2 * row, 2 * row + 1):
                    with gr.Column(min_width=140):
                        first = str(SAMPLES / "styles" / "swirls.jpg") if i == 0 else None
                        styles.append(picture_upload(first, label=f"Style {i + 1}", height=140,
                                                     elem_id=f"stylize-style-{i}", sources=["upload", "clipboard"]))
                        weights.append(gr.Slider(0, 1, value=1.0 if i == 0 else 0.5, step=0.05,
                                                 label=f"Weight {i + 1}", elem_id=f"stylize-weight-{i}"))
        picks = gr.Gallery(sample_paths("styles"), label="Sample styles: click to use in the next empty slot",
                           columns=5, height=120, allow_preview=False, elem_id="stylize-style-picks")
        with gr.Row():
            keep_color = gr.Checkbox(value=False, label="Keep my colours", elem_id="stylize-keep-color")
            size = gr.Slider(*jobs.SIDE, value=512, step=32, label="Size (longer side, pixels)",
                             elem_id="stylize-size")
    return SimpleNamespace(content=content, styles=styles, weights=weights, picks=picks, keep_color=keep_color,
                           size=size)


def _fast_output() -> SimpleNamespace:
    """The output column: before/after, Strength, Keep and the download."""
    with gr.Column(scale=3, elem_classes=["atelier-output"]):
        result = gr.ImageSlider(label="Before / after", type="pil", format="png", elem_id="stylize-result",
                                max_height=520, elem_classes=["atelier-main-output"])
        strength = gr.Slider(0, 1, value=1.0, step=0.01, label="Strength", elem_id="stylize-strength")
        with gr.Row():
            keep = gr.Button("Keep (save to Gallery)", variant="primary", elem_id="stylize-keep")
            kept = gr.File(label="Download with recipe", interactive=False, height=60, elem_id="stylize-kept",
                           elem_classes=["atelier-secondary"])
    return SimpleNamespace(result=result, strength=strength, keep=keep, kept=kept)


def _gatys_panel() -> SimpleNamespace:
    """'Paint it slowly': brushed mask and settings, then the streamed painting and its losses."""
    backbones = features.available(studio().settings.allow_downloads)
    with gr.Accordion("Paint it slowly (Gatys)", open=False, elem_id="stylize-gatys-panel"):
        with gr.Row(elem_classes=["atelier-split"]):
            with gr.Column():
                brush = mask_editor(label="Brush where the style goes (leave empty for everywhere)", height=300,
                                    elem_id="stylize-mask", sources=[], layers=False,
                                    brush=gr.Brush(colors=["#ff7a00"], default_size=40))
                with gr.Row():
                    steps = gr.Slider(*jobs.GATYS_STEPS, value=200, step=10, label="Steps",
                                      elem_id="stylize-gatys-steps")
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
                preview = gr.Image(type="pil", label="Painting", height=360, interactive=False, format="png",
                                   elem_id="stylize-gatys-preview", elem_classes=["atelier-main-output"])
                status = gr.Markdown(elem_id="stylize-gatys-status")
                plot = gr.LinePlot(x="step", y="loss", color="part", height=200, label="Losses", color_title="loss",
                                   color_map={"style": "#e8590c", "content": "#1c7ed6"},
                                   colors_in_legend=["style", "content"], elem_classes=["atelier-secondary"])
    return SimpleNamespace(brush=brush, steps=steps, size=size, style_w=style_w, content_w=content_w, tv_w=tv_w,
                           backbone=backbone, optimizer=optimizer, color_mode=color_mode, start=start, stop=stop,
                           preview=preview, status=status, plot=plot)


def _presets_panel() -> SimpleNamespace:
    """The 26 presets: a sheet of what each does, blend sliders, the blend and its Keep."""
    with gr.Accordion("Presets (26 styles)", open=False, elem_id="stylize-presets-panel"):
        sheet_btn = gr.Button("Show what each preset does (on your picture)")
        sheet = gr.Gallery(columns=9, height=260, allow_preview=True, label="Presets", elem_id="stylize-sheet")
        with gr.Row(elem_classes=["atelier-split"]):
            with gr.Column():
                with gr.Row():
                    weights = [gr.Slider(0, 1, value=1.0 if i == 0 else 0.0, step=0.05, label=f"{i + 1}", min_width=90,
                                         elem_id=f"stylize-preset-{i}") for i in range(fast.N_PRESETS)]
            with gr.Column(elem_classes=["atelier-output"]):
                out = gr.Image(type="pil", label="Preset blend", height=360, interactive=False, format="png",
                               elem_id="stylize-preset-out", elem_classes=["atelier-main-output"])
                keep = gr.Button("Keep (save to Gallery)", elem_id="stylize-preset-keep")
                kept = gr.File(label="Download with recipe", interactive=False, height=60,
                               elem_classes=["atelier-secondary"])
    return SimpleNamespace(sheet_btn=sheet_btn, sheet=sheet, weights=weights, out=out, keep=keep, kept=kept)


def _dream_panel() -> SimpleNamespace:
    """Dream: what to dream of and how hard, then the streamed dream."""
    with gr.Accordion("Dream", open=False, elem_id="stylize-dream-panel"):
        with gr.Row(elem_classes=["atelier-split"]):
            with gr.Column():
                kind = gr.Radio(list(jobs.DREAM_KINDS), value="layer", label="Dream of")
                layer = gr.Dropdown(list(dreams.LAYERS), value="parts (block 8)", label="Layer")
                channel = gr.Number(value=0, precision=0, minimum=0, maximum=jobs.MAX_CHANNEL,
                                    label="Channel (for 'channel')")
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
                out = gr.Image(type="pil", label="Dream", height=400, interactive=False, format="png",
                               elem_id="stylize-dream-out", elem_classes=["atelier-main-output"])
    return SimpleNamespace(kind=kind, layer=layer, channel=channel, cls=cls, octaves=octaves, steps=steps,
                           strength=strength, start_from=start_from, start=start, stop=stop, out=out)


def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Stylize tab, offer the Gallery a way back to its controls, and wire its events."""
    how_it_works(HELP)
    with gr.Row(elem_classes=["atelier-split"]):
        controls = _fast_controls()
        output = _fast_output()
    ui = SimpleNamespace(**vars(controls), **vars(output), gatys=_gatys_panel(), presets=_presets_panel(),
                         dream=_dream_panel())
    ctx.restorers[NAME] = Restorer(restore, [ui.content, *ui.styles, *ui.weights, ui.strength, ui.keep_color,
                                             ui.size], lambda rec: rec.get("method") == "fast")
    _wire(ui, tab)


def _wire(ui: SimpleNamespace, tab: gr.Tab) -> None:
    """Events and API names (kept stable: scripts and the README use them)."""
    fast_inputs = [ui.content, *ui.styles, *ui.weights, ui.strength, ui.keep_color, ui.size]
    live = dict(show_progress="hidden", concurrency_id="stylize_live", concurrency_limit=2)
    slow = dict(concurrency_id="stylize_slow", concurrency_limit=1, show_progress="minimal")
    gr.on([ui.strength.input, *[w.input for w in ui.weights]], stylize_fast, fast_inputs, ui.result,
          trigger_mode="always_last", api_name="stylize_fast", **live)
    gr.on([ui.content.change, *[s.change for s in ui.styles], ui.keep_color.change, ui.size.release, tab.select],
          auto_fast, fast_inputs, ui.result, trigger_mode="always_last", api_visibility="private", **live)
    ui.keep.click(keep_fast, fast_inputs, ui.kept, api_name="stylize_keep", concurrency_id="stylize_live")
    ui.picks.select(pick_style, ui.styles, ui.styles, api_visibility="private", show_progress="hidden")
    g, p, d = ui.gatys, ui.presets, ui.dream
    gr.on([ui.content.change, tab.select], to_editor, ui.content, g.brush, api_visibility="private",
          show_progress="hidden")
    g.start.click(stylize_gatys, [ui.content, *ui.styles, *ui.weights, g.steps, g.size, g.style_w, g.content_w, g.tv_w,
                                  g.backbone, g.optimizer, g.color_mode, g.brush], [g.preview, g.status, g.plot],
                  api_name="stylize_gatys", **slow)
    g.stop.click(friendly(stop_gatys), None, None, api_visibility="private", queue=False)
    p.sheet_btn.click(preset_sheet, ui.content, p.sheet, api_visibility="private", concurrency_id="stylize_live")
    preset_inputs = [ui.content, ui.keep_color, ui.size, *p.weights]
    gr.on([w.input for w in p.weights], stylize_presets, preset_inputs, p.out, trigger_mode="always_last",
          api_name="stylize_presets", **live)
    p.keep.click(keep_presets_event, preset_inputs, p.kept, api_visibility="private", concurrency_id="stylize_live")
    d.start.click(stylize_dream, [ui.content, d.kind, d.layer, d.channel, d.cls, d.octaves, d.steps, d.strength,
                                  d.start_from, ui.size], d.out, api_name="stylize_dream", **slow)
    d.stop.click(friendly(stop_dream), None, None, api_visibility="private", queue=False)
