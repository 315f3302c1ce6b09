"""Stylize tab: paint a picture in the style of others, live on the fast network, slowly and
carefully by optimisation (Gatys), or let the network dream. Layout and wiring only."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from engines.imageio import load_picture
from engines.jobs import StopToken
from engines.stylize import dream as dreams
from engines.stylize import fast, features
from engines.stylize.gatys import GatysSettings, paint
from studio.common import Restorer, StudioContext, friendly, how_it_works

NAME = "stylize"
TITLE = "Stylize"
SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"
N_STYLES = 4
MAX_SIDE = 4096

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


def _samples(kind: str) -> list[str]:
    return sorted(str(p) for p in (SAMPLES / kind).glob("*.jpg"))


def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Stylize tab and wire its events."""
    device = str(ctx.settings.torch_device())
    backbones = features.available(ctx.settings.allow_downloads)

    how_it_works(HELP)
    with gr.Row():
        with gr.Column(scale=2):
            content = gr.Image(str(SAMPLES / "content" / "chelsea.jpg"), type="filepath", label="Your picture",
                               height=260, elem_id="stylize-content", sources=["upload", "clipboard"])
            gr.Examples(_samples("content"), inputs=content, label="Sample pictures")
            styles, weights = [], []
            for row in range(N_STYLES // 2):
                with gr.Row():
                    for i in (2 * row, 2 * row + 1):
                        with gr.Column(min_width=140):
                            first_style = str(SAMPLES / "styles" / "swirls.jpg") if i == 0 else None
                            styles.append(gr.Image(first_style, type="filepath", label=f"Style {i + 1}", height=140,
                                                   elem_id=f"stylize-style-{i}", sources=["upload", "clipboard"]))
                            weights.append(gr.Slider(0, 1, value=1.0 if i == 0 else 0.5, step=0.05,
                                                     label=f"Weight {i + 1}", elem_id=f"stylize-weight-{i}"))
            style_picks = gr.Gallery(_samples("styles"), label="Sample styles: click to use in the next empty slot",
                                     columns=5, height=120, allow_preview=False, elem_id="stylize-style-picks")
        with gr.Column(scale=3):
            result = gr.ImageSlider(label="Before / after", type="pil", format="png", elem_id="stylize-result",
                                    max_height=520)
            strength = gr.Slider(0, 1, value=1.0, step=0.01, label="Strength", elem_id="stylize-strength")
            with gr.Row():
                keep_color = gr.Checkbox(value=False, label="Keep my colours", elem_id="stylize-keep-color")
                size = gr.Slider(128, MAX_SIDE, value=512, step=32, label="Size (longer side, pixels)",
                                 elem_id="stylize-size")
            with gr.Row():
                keep = gr.Button("Keep (save to Gallery)", variant="primary", elem_id="stylize-keep")
                kept = gr.File(label="Download with recipe", interactive=False, height=60, elem_id="stylize-kept")

    with gr.Accordion("Paint it slowly (Gatys)", open=False, elem_id="stylize-gatys-panel"):
        with gr.Row():
            with gr.Column():
                brush = gr.ImageEditor(type="pil", label="Brush where the style goes (leave empty for everywhere)",
                                       height=300, elem_id="stylize-mask", sources=[], layers=False,
                                       brush=gr.Brush(colors=["#ff7a00"], default_size=40))
                with gr.Row():
                    iterations = gr.Slider(20, 1000, value=200, step=10, label="Steps", elem_id="stylize-gatys-steps")
                    g_size = gr.Slider(128, 1024, value=384, step=32, label="Size", elem_id="stylize-gatys-size")
                with gr.Row():
                    style_w = gr.Slider(0, 5, value=1.0, step=0.05, label="Style weight")
                    content_w = gr.Slider(0, 2, value=0.15, step=0.01, label="Content weight")
                    tv_w = gr.Slider(0, 3, value=0.3, step=0.05, label="Smoothness (TV)")
                with gr.Row():
                    backbone = gr.Dropdown(backbones, value=backbones[0], label="Feature network")
                    optimizer = gr.Radio(["lbfgs", "adam"], value="lbfgs", label="Optimiser")
                    color_mode = gr.Radio(["none", "luminance", "histogram"], value="none", label="Keep colours")
                with gr.Row():
                    g_start = gr.Button("Paint it slowly", variant="primary", elem_id="stylize-gatys-start")
                    g_stop = gr.Button("Stop", variant="stop", elem_id="stylize-gatys-stop")
            with gr.Column():
                g_preview = gr.Image(type="pil", label="Painting", height=360, interactive=False,
                                     elem_id="stylize-gatys-preview", format="png")
                g_status = gr.Markdown(elem_id="stylize-gatys-status")
                g_plot = gr.LinePlot(x="step", y="loss", color="part", height=200, label="Losses")

    with gr.Accordion("Presets (26 styles)", open=False, elem_id="stylize-presets-panel"):
        sheet_btn = gr.Button("Show what each preset does (on your picture)")
        sheet = gr.Gallery(columns=9, height=260, allow_preview=True, label="Presets", elem_id="stylize-sheet")
        with gr.Row():
            preset_w = [gr.Slider(0, 1, value=1.0 if i == 0 else 0.0, step=0.05, label=f"{i + 1}", min_width=90,
                                  elem_id=f"stylize-preset-{i}") for i in range(fast.N_PRESETS)]
        with gr.Row():
            preset_out = gr.Image(type="pil", label="Preset blend", height=360, interactive=False, format="png",
                                  elem_id="stylize-preset-out")
            with gr.Column():
                preset_keep = gr.Button("Keep (save to Gallery)", elem_id="stylize-preset-keep")
                preset_kept = gr.File(label="Download with recipe", interactive=False, height=60)

    with gr.Accordion("Dream", open=False, elem_id="stylize-dream-panel"):
        with gr.Row():
            with gr.Column():
                d_kind = gr.Radio(["layer", "channel", "class"], value="layer", label="Dream of")
                d_layer = gr.Dropdown(list(dreams.LAYERS), value="parts (block 8)", label="Layer")
                d_channel = gr.Number(value=0, precision=0, label="Channel (for 'channel')")
                d_class = gr.Dropdown(features.imagenet_classes(), value="electric guitar", label="Class (for 'class')")
                with gr.Row():
                    d_octaves = gr.Slider(1, 6, value=3, step=1, label="Octaves")
                    d_steps = gr.Slider(2, 60, value=12, step=1, label="Steps per octave")
                    d_strength = gr.Slider(0.005, 0.1, value=0.03, step=0.005, label="Strength")
                d_from = gr.Radio(["my picture", "noise"], value="my picture", label="Start from")
                with gr.Row():
                    d_start = gr.Button("Dream", variant="primary", elem_id="stylize-dream-start")
                    d_stop = gr.Button("Stop", variant="stop", elem_id="stylize-dream-stop")
            d_out = gr.Image(type="pil", label="Dream", height=400, interactive=False, format="png",
                             elem_id="stylize-dream-out")

    # ------------------------------------------------------------------ helpers
    def _content(path, side=None) -> Image.Image:
        if not path:
            raise ValueError("Add your picture first (or click a sample picture).")
        return load_picture(path, max_side=side or MAX_SIDE, name="your picture")

    def _styles(paths, ws) -> tuple[list[Image.Image], list[float], list[str]]:
        pics, used, names = [], [], []
        for i, (p, w) in enumerate(zip(paths, ws)):
            if p:
                pics.append(load_picture(p, max_side=1024, name=f"style {i + 1}"))
                used.append(float(w))
                names.append(Path(p).name)
        if not pics:
            raise ValueError("Add a style picture (or click a sample style).")
        return pics, used, names

    def _recipe(kind: str, names, ws, **extra) -> dict:
        return {"engine": NAME, "method": kind, "styles": names, "weights": [round(w, 3) for w in ws], **extra}

    def _token(request: gr.Request, key: str) -> StopToken:
        token = _stops.setdefault(f"{request.session_hash or 'script'}:{key}", StopToken())
        token.reset()
        return token

    # ------------------------------------------------------------------ handlers
    @friendly
    def stylize_fast(content_path, s1, s2, s3, s4, w1, w2, w3, w4, strength_v, keep_c, side):
        """Fast arbitrary-style transfer; returns (before, after)."""
        if not content_path:
            return None
        pic = _content(content_path)
        styles_, ws, _ = _styles([s1, s2, s3, s4], [w1, w2, w3, w4])
        out = fast.stylize(pic, styles_, ws, float(strength_v), bool(keep_c), int(side))
        # "before" is the uploaded file itself: gradio caches a file once, whereas a picture object
        # would be re-encoded and rewritten in place on every slider move (racing the browser's fetch)
        return (content_path, out)

    def auto_fast(content_path, s1, s2, s3, s4, *rest):
        """The same, for automatic triggers: quietly nothing until a picture and a style are there."""
        if not content_path or not any((s1, s2, s3, s4)):
            return None
        return stylize_fast(content_path, s1, s2, s3, s4, *rest)

    @friendly
    def keep_fast(content_path, s1, s2, s3, s4, w1, w2, w3, w4, strength_v, keep_c, side):
        pic = _content(content_path)
        styles_, ws, names = _styles([s1, s2, s3, s4], [w1, w2, w3, w4])
        out = fast.stylize(pic, styles_, ws, float(strength_v), bool(keep_c), int(side))
        rec = _recipe("fast", names, ws, content=Path(content_path).name, strength=float(strength_v),
                      keep_colours=bool(keep_c), size=int(side))
        saved = ctx.store.save_image(out, rec, title=f"Stylized · {' + '.join(names)}")
        gr.Info("Kept in the Gallery.")
        return str(saved.path)

    def pick_style(s1, s2, s3, s4, evt: gr.SelectData):
        paths = [s1, s2, s3, s4]
        picked = _samples("styles")[evt.index]
        slot = next((i for i, p in enumerate(paths) if not p), len(paths) - 1)
        return [gr.Image(value=picked) if i == slot else gr.Image() for i in range(N_STYLES)]

    @friendly
    def stylize_gatys(content_path, s1, s2, s3, s4, w1, w2, w3, w4, steps_v, size_v, sw, cw, tvw, bb, opt, cmode,
                      mask_value, request: gr.Request):
        """Gatys optimisation; streams (preview, status, losses)."""
        pic = _content(content_path, 2048)
        styles_, ws, names = _styles([s1, s2, s3, s4], [w1, w2, w3, w4])
        mask = _mask(mask_value)
        settings = GatysSettings(iterations=int(steps_v), size=int(size_v), style_weight=float(sw),
                                 content_weight=float(cw), tv_weight=float(tvw), backbone=bb, optimizer=opt,
                                 preserve_color=cmode)
        token = _token(request, "gatys")
        rows: list[dict] = []
        yield None, "Starting… (the first preview comes after a few steps)", None
        for ev in paint(pic, styles_, ws, settings, mask, token, device, ctx.settings.allow_downloads):
            rows += [{"step": ev.step, "loss": ev.style_loss, "part": "style"},
                     {"step": ev.step, "loss": ev.content_loss, "part": "content"}]
            status = (f"step {ev.step} of {ev.total} · style {ev.style_loss:.4f} · content {ev.content_loss:.4f}"
                      f" · {ev.seconds:.0f} s")
            if ev.done:
                rec = _recipe("gatys", names, ws, content=Path(content_path).name, steps=ev.step,
                              size=int(size_v), style_weight=float(sw), content_weight=float(cw), tv_weight=float(tvw),
                              backbone=bb, optimizer=opt, keep_colours=cmode, masked=mask is not None,
                              style_loss=round(ev.style_loss, 5), content_loss=round(ev.content_loss, 5))
                ctx.store.save_image(ev.preview, rec, title=f"Painted slowly · {' + '.join(names)}")
                status = f"**{'Stopped' if ev.message == 'stopped' else 'Done'}** ({status}); kept in the Gallery."
            yield ev.preview, status, pd.DataFrame(rows)

    def _mask(value) -> Image.Image | None:
        if not isinstance(value, dict):
            return None
        layers = [layer for layer in (value.get("layers") or []) if layer is not None]
        if not layers:
            return None
        alpha = np.zeros(np.asarray(layers[0]).shape[:2], np.uint8)
        for layer in layers:
            arr = np.asarray(layer.convert("RGBA"))
            alpha = np.maximum(alpha, arr[..., 3])
        return Image.fromarray(alpha) if alpha.max() > 0 else None

    def to_editor(content_path):
        if not content_path:
            return None
        return {"background": _content(content_path, 1024), "layers": [], "composite": None}

    @friendly
    def preset_sheet(content_path):
        pic = _content(content_path, 192)
        return [(fast.presets(pic, np.eye(fast.N_PRESETS)[i]), str(i + 1)) for i in range(fast.N_PRESETS)]

    @friendly
    def stylize_presets(content_path, keep_c, side, *ws):
        """Blend of the 26 preset styles."""
        if not content_path:
            return None
        return fast.presets(_content(content_path), list(ws), bool(keep_c), int(side))

    @friendly
    def keep_presets(content_path, keep_c, side, *ws):
        pic = fast.presets(_content(content_path), list(ws), bool(keep_c), int(side))
        used = {str(i + 1): round(float(w), 3) for i, w in enumerate(ws) if w > 0}
        saved = ctx.store.save_image(pic, {"engine": NAME, "method": "presets", "content": Path(content_path).name,
                                           "presets": used, "keep_colours": bool(keep_c), "size": int(side)},
                                     title=f"Presets {' + '.join(used)}")
        gr.Info("Kept in the Gallery.")
        return str(saved.path)

    @friendly
    def stylize_dream(content_path, kind, layer, channel, cls, octaves, steps_v, strength_v, start, side,
                      request: gr.Request):
        """CNN dream; streams pictures."""
        tap = dreams.LAYERS[layer]
        target = {"layer": f"layer:{tap}", "channel": f"channel:{tap}:{int(channel or 0)}",
                  "class": f"class:{features.imagenet_classes().index(cls)}"}[kind]
        pic = None if start == "noise" else _content(content_path, 1024)
        settings = dreams.DreamSettings(target=target, octaves=int(octaves), steps=int(steps_v),
                                        strength=float(strength_v), size=min(int(side), 768))
        token = _token(request, "dream")
        for ev in dreams.dream(pic, settings, token, device):
            if ev.done:
                ctx.store.save_image(ev.preview, {"engine": NAME, "method": "dream", "target": target,
                                                  "octaves": int(octaves), "steps": int(steps_v),
                                                  "strength": float(strength_v), "start": start},
                                     title=f"Dream of {cls if kind == 'class' else layer}")
            yield ev.preview

    def stop(key: str):
        def handler(request: gr.Request):
            token = _stops.get(f"{request.session_hash or 'script'}:{key}")
            if token:
                token.stop()
        return handler

    def restore(path: str) -> list:
        """Controls from a fast-path recipe; pictures come back when they are bundled samples."""
        from engines import recipe as recipes

        rec = recipes.read(path)
        if rec.get("engine") != NAME or rec.get("method") != "fast":
            raise ValueError("That recipe was not made by Stylize's fast path.")

        def sample(name: str | None):
            found = [p for kind in ("content", "styles") for p in _samples(kind) if Path(p).name == name]
            return found[0] if found else gr.update()

        names = list(rec.get("styles", []))[:N_STYLES]
        ws = list(rec.get("weights", []))[:N_STYLES]
        style_updates = [sample(names[i]) if i < len(names) else None for i in range(N_STYLES)]
        weight_updates = [ws[i] if i < len(ws) else 0.5 for i in range(N_STYLES)]
        return [sample(rec.get("content")), *style_updates, *weight_updates, rec.get("strength", 1.0),
                bool(rec.get("keep_colours", False)), rec.get("size", 512)]

    ctx.restorers[NAME] = Restorer(restore, [content, *styles, *weights, strength, keep_color, size],
                                   lambda rec: rec.get("method") == "fast")

    # ------------------------------------------------------------------ wiring
    fast_inputs = [content, *styles, *weights, strength, keep_color, size]
    live = dict(show_progress="hidden", concurrency_id="stylize_live", concurrency_limit=2)
    gr.on([strength.input, *[w.input for w in weights]], stylize_fast, fast_inputs, result,
          trigger_mode="always_last", api_name="stylize_fast", **live)
    gr.on([content.change, *[s.change for s in styles], keep_color.change, size.release, tab.select], auto_fast,
          fast_inputs,
          result, trigger_mode="always_last", api_visibility="private", **live)
    keep.click(keep_fast, fast_inputs, kept, api_name="stylize_keep", concurrency_id="stylize_live")
    style_picks.select(pick_style, styles, styles, api_visibility="private", show_progress="hidden")
    gr.on([content.change, tab.select], to_editor, content, brush, api_visibility="private", show_progress="hidden")
    g_start.click(stylize_gatys, [content, *styles, *weights, iterations, g_size, style_w, content_w, tv_w, backbone,
                                  optimizer, color_mode, brush], [g_preview, g_status, g_plot],
                  api_name="stylize_gatys", concurrency_id="stylize_slow", concurrency_limit=1,
                  show_progress="minimal")
    g_stop.click(stop("gatys"), None, None, api_visibility="private", queue=False)
    sheet_btn.click(preset_sheet, content, sheet, api_visibility="private", concurrency_id="stylize_live")
    gr.on([p.input for p in preset_w], stylize_presets, [content, keep_color, size, *preset_w], preset_out,
          trigger_mode="always_last", api_name="stylize_presets", **live)
    preset_keep.click(keep_presets, [content, keep_color, size, *preset_w], preset_kept, api_visibility="private",
                      concurrency_id="stylize_live")
    d_start.click(stylize_dream, [content, d_kind, d_layer, d_channel, d_class, d_octaves, d_steps, d_strength, d_from,
                                  size], d_out, api_name="stylize_dream", concurrency_id="stylize_slow",
                  concurrency_limit=1, show_progress="minimal")
    d_stop.click(stop("dream"), None, None, api_visibility="private", queue=False)
