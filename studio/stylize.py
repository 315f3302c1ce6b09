"""Stylize tab: paint a picture in the style of others, live on the fast network, slowly and
carefully by optimisation (Gatys), or let the network dream. Handlers first (plain functions a test
can call), then `build` and `_wire`; the layout lives in `stylize_panels.py`. The checks and the work
live in `engines.stylize` (jobs.py: bounds and recipes; restore.py: recipes back to controls;
sweep.py: sweeps; replay.py: remakes; pictures.py: header-first picture reading)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
from PIL import Image

from engines import recipe as recipes
from engines.outputs import OutputStore
from engines.stylize import fast, jobs
from engines.stylize import restore as restoring
from studio import history
from studio import stylize_panels as panels
from studio.common import Restorer, StudioContext, friendly, how_it_works, live, one_input_per_slider, workspace
from studio.stylize_panels import mask_editor, picture_upload, sample_paths
from studio.stylize_slow import (
    dream_finished,
    dream_status,
    dream_timer,
    keep_picture,
    keep_presets,
    keep_presets_event,
    last_kept,
    preset_sheet,
    stop_dream,
    stop_gatys,
    stop_sweep,
    store_of,
    stylize_dream,
    stylize_gatys,
    stylize_presets,
    stylize_sweep_event,
    stylize_sweep_run,
    to_editor,
)

NAME = "stylize"
TITLE = "Stylize"
N_STYLES = jobs.N_STYLES
__all__ = ["mask_editor", "picture_upload", "sample_paths", "keep_presets", "stylize_sweep_run"]

HELP = """
Style transfer paints **your picture** with the brushwork and colours of **style pictures**.

- **Fast**: a network trained to paint any style in one pass (Ghiasi et al. 2017). Drag
  *Strength* and watch it change; give up to four styles weights to blend them.
- **Keep my colours** keeps your picture's colours and takes only the style's light and dark.
- **Paint it slowly** (Gatys et al.) repaints the picture step by step so its deep features
  match the style's: slower, often richer. Brush over the picture to say where the style goes.
- **Presets**: 26 styles a network learned, mixed with sliders.
- **Dream** makes the network paint what a layer or an ImageNet class responds to.
- **Recent** keeps your last 12 results: click one to go back to it. **Sweep** shows two controls'
  whole range at once; click a cell to open it.
"""


# ---------------------------------------------------------------- handlers: the fast path
@friendly
def stylize_fast(
    content: str | None,
    s1: str | None,
    s2: str | None,
    s3: str | None,
    s4: str | None,
    w1: float,
    w2: float,
    w3: float,
    w4: float,
    strength: float,
    keep_colours: bool,
    size: float,
) -> tuple[str, Image.Image] | None:
    """Fast arbitrary-style transfer: (before, after); nothing until a picture is given."""
    if not content:
        return None
    job = jobs.fast_job(content, [s1, s2, s3, s4], [w1, w2, w3, w4], strength, keep_colours, size)
    # "before" is the uploaded file itself: gradio caches a file once, whereas a picture object
    # would be re-encoded and rewritten on every slider move (racing the browser's fetch)
    return content, job.shown()


def auto_fast(
    content: str | None, s1: str | None, s2: str | None, s3: str | None, s4: str | None, *rest: Any
) -> tuple[str, Image.Image] | None:
    """The same, for automatic triggers: quietly nothing until a picture and a style are there."""
    if not content or not any((s1, s2, s3, s4)):
        return None
    return stylize_fast(content, s1, s2, s3, s4, *rest)


@friendly
def keep_fast(
    content: str | None,
    s1: str | None,
    s2: str | None,
    s3: str | None,
    s4: str | None,
    w1: float,
    w2: float,
    w3: float,
    w4: float,
    strength: float,
    keep_colours: bool,
    size: float,
    request: gr.Request | None = None,
) -> str:
    """Keep the picture on screen (painted again only if the controls changed), its inputs and recipe."""
    job = jobs.fast_job(content, [s1, s2, s3, s4], [w1, w2, w3, w4], strength, keep_colours, size)
    path = keep_picture(job.shown(), job, job.title(), request)
    gr.Info("Kept in the Gallery.")
    return path


def pick_style(s1: str | None, s2: str | None, s3: str | None, s4: str | None, evt: gr.SelectData) -> list:
    """A clicked sample style goes into the first empty slot (else the last)."""
    paths = [s1, s2, s3, s4]
    picked = sample_paths("styles")[evt.index]
    slot = next((i for i, p in enumerate(paths) if not p), len(paths) - 1)
    return [gr.update(value=picked) if i == slot else gr.update() for i in range(N_STYLES)]


# ---------------------------------------------------------------- handlers: reopening and history
RESTORED = panels.RESTORED
"""The names of the components a recipe sets, in the Restorer's order."""


def _shown_output(rec: dict, c: dict, kept: str | None, store: OutputStore | None) -> Any:
    """The output to show: the kept file, else (fast and presets) the picture painted again."""
    if kept and Path(kept).is_file():
        return kept
    if c["method"] in ("fast", "presets") and not c["missing"]:
        return restoring.job(rec, store).shown()
    return None


def restore_values(rec: dict, kept: str | None = None, request: gr.Request | None = None) -> dict[str, Any]:
    """Control values (by RESTORED name) for a recipe, with its output; missing inputs named in 'note'."""
    store = store_of(request)
    c = restoring.controls(rec, store)
    out = _shown_output(rec, c, kept, store)
    v: dict[str, Any] = {"note": " ".join(c["missing"]) if c["missing"] else ""}
    if c.get("content"):
        v["content"] = c["content"]
    if c["method"] in ("fast", "gatys"):
        v.update({f"style_{i}": c["styles"][i] for i in range(N_STYLES) if c["styles"][i] or not c["missing"]})
        v.update({f"weight_{i}": w for i, w in enumerate(c["weights"])})
    v.update({k: c[k] for k in ("strength", "keep_colours") if k in c})
    if "size" in c and c["method"] != "dream":
        v["size"] = c["size"]
    if c["method"] == "fast":
        v["result"] = (c["content"], out) if out is not None and c.get("content") else None
    elif c["method"] == "presets":
        v.update({f"preset_{i}": w for i, w in enumerate(c["presets"])})
        v.update(p_out=out, presets_panel=gr.Accordion(open=True))
    elif c["method"] == "gatys":
        v.update({f"g_{k}": val for k, val in c["gatys"].items()})
        v.update(g_preview=out, gatys_panel=gr.Accordion(open=True), g_status="Reopened from the Gallery.")
        canvas = to_editor(c.get("content"))
        if canvas:
            v["brush"] = {**canvas, "layers": [c["mask"]] if c.get("mask") else []}
    else:
        v.update({f"d_{k}": val for k, val in c["dream"].items() if k != "size"})
        v.update(d_out=out, dream_panel=gr.Accordion(open=True), d_status="Reopened from the Gallery.")
    if c["missing"]:
        gr.Warning(v["note"])
    return v


def _as_updates(values: dict[str, Any]) -> list:
    return [values[k] if k in values else gr.update() for k in RESTORED]


def restore(path: str, request: gr.Request | None = None) -> list:
    """'Open in Stylize': every control of a kept output (or a sweep's base and axes) and the output itself."""
    rec = recipes.read(path)
    if rec.get("kind") == "sweep":
        values = restore_values(dict(rec.get("base") or {}), None, request)
        values.update(
            x_axis=rec["x"]["name"],
            x_values=", ".join(str(v) for v in rec["x"]["values"]),
            y_axis=rec["y"]["name"],
            y_values=", ".join(str(v) for v in rec["y"]["values"]),
            sweep_grid=path,
            sweep_status="Reopened from the Gallery.",
        )
        return _as_updates(values)
    return _as_updates(restore_values(rec, path, request))


def accepts(rec: dict) -> bool:
    """Which Gallery items Stylize reopens: every kind it keeps, and its sweeps."""
    return rec.get("method") in restoring.METHODS or rec.get("kind") == "sweep"


@friendly
def remember_fast(
    entries: list[dict] | None,
    content: str | None,
    s1: str | None,
    s2: str | None,
    s3: str | None,
    s4: str | None,
    w1: float,
    w2: float,
    w3: float,
    w4: float,
    strength: float,
    keep_colours: bool,
    size: float,
) -> tuple[list[dict], list]:
    """Push the settled fast result (the one on screen) onto the history strip."""
    if not content or not any((s1, s2, s3, s4)):
        return list(entries or []), history.shown(list(entries or []))
    job = jobs.fast_job(content, [s1, s2, s3, s4], [w1, w2, w3, w4], strength, keep_colours, size)
    return history.push(entries, job.shown(), job.recipe(), f"strength {job.strength:g}")


@friendly
def remember_presets(
    entries: list[dict] | None, content: str | None, keep_colours: bool, size: float, weights: list[float]
) -> tuple[list[dict], list]:
    """Push the settled preset blend onto the history strip."""
    if not content:
        return list(entries or []), history.shown(list(entries or []))
    job = jobs.preset_job(content, keep_colours, size, weights)
    return history.push(entries, job.shown(), job.recipe(), "presets")


def remember_kept(entries: list[dict] | None, job: str, request: gr.Request | None = None) -> tuple[list[dict], list]:
    """Push the last painting or dream this workspace kept onto the history strip."""
    last = last_kept.get(f"{workspace(request).name}:{job}")
    if not last:
        return list(entries or []), history.shown(list(entries or []))
    path, rec = last
    with Image.open(path) as im:
        return history.push(entries, im.convert("RGB"), {**rec, "kept": path}, job)


@friendly
def undo(entries: list[dict] | None, evt: gr.SelectData, request: gr.Request | None = None) -> list:
    """A click on the strip: restore that result's controls and output."""
    rec = history.picked(entries, evt)
    return _as_updates(restore_values(rec, rec.get("kept"), request))


@friendly
def open_cell(cell_recipes: list[dict] | None, evt: gr.SelectData, request: gr.Request | None = None) -> list:
    """A click on a sweep cell: that cell's controls and picture in the tab."""
    cells = cell_recipes or []
    if evt.index is None or not 0 <= int(evt.index) < len(cells):
        raise ValueError("That cell is no longer there; run the sweep again.")
    return _as_updates(restore_values(cells[int(evt.index)], None, request))


# ---------------------------------------------------------------- layout and wiring
def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Stylize tab, offer the Gallery a way back to its controls, and wire its events."""
    how_it_works(HELP)
    ui = panels.layout()
    ui.restored = list(panels.restorable(ui).values())
    ctx.restorers[NAME] = Restorer(restore, ui.restored, accepts)
    _wire(ui, tab)
    _wire_more(ui)


LIVE_EVENT = dict(show_progress="hidden", concurrency_id="stylize_live", concurrency_limit=2)
SLOW_EVENT = dict(concurrency_id="stylize_slow", concurrency_limit=1, show_progress="minimal")


def _wire(ui: SimpleNamespace, tab: gr.Tab) -> None:
    """Events and API names (kept stable: scripts and the README use them)."""
    fast_inputs = [ui.content, *ui.styles, *ui.weights, ui.strength, ui.keep_color, ui.size]
    remember = dict(
        fn=remember_fast,
        inputs=[ui.entries, *fast_inputs],
        outputs=[ui.entries, ui.strip],
        api_visibility="private",
        show_progress="hidden",
    )
    live_args = LIVE_EVENT
    gr.on(
        [ui.strength.input, *[w.input for w in ui.weights]],
        live(stylize_fast),
        fast_inputs,
        ui.result,
        trigger_mode="always_last",
        api_name="stylize_fast",
        **live_args,
    )
    gr.on(
        [ui.strength.release, *[w.release for w in ui.weights]],
        live(stylize_fast),
        fast_inputs,
        ui.result,
        trigger_mode="always_last",
        api_visibility="private",
        **live_args,
    ).then(**remember)
    gr.on(
        [ui.content.change, *[s.change for s in ui.styles], ui.keep_color.change, ui.size.release, tab.select],
        auto_fast,
        fast_inputs,
        ui.result,
        trigger_mode="always_last",
        api_visibility="private",
        **live_args,
    ).then(**remember)
    ui.keep.click(keep_fast, fast_inputs, ui.kept, api_name="stylize_keep", concurrency_id="stylize_live")
    ui.picks.select(pick_style, ui.styles, ui.styles, api_visibility="private", show_progress="hidden")
    ui.strip.select(undo, ui.entries, ui.restored, api_visibility="private", show_progress="hidden")
    _wire_slow(ui, tab)


def _wire_slow(ui: SimpleNamespace, tab: gr.Tab) -> None:
    """Gatys and the presets: their events and API names."""
    live_args, slow = LIVE_EVENT, SLOW_EVENT
    g, p = ui.gatys, ui.presets
    gr.on(
        [ui.content.change, tab.select],
        to_editor,
        ui.content,
        g.brush,
        api_visibility="private",
        show_progress="hidden",
    )
    g.start.click(
        stylize_gatys,
        [
            ui.content,
            *ui.styles,
            *ui.weights,
            g.steps,
            g.size,
            g.style_w,
            g.content_w,
            g.tv_w,
            g.backbone,
            g.optimizer,
            g.color_mode,
            g.brush,
        ],
        [g.preview, g.status, g.plot],
        api_name="stylize_gatys",
        **slow,
    ).then(remember_kept, [ui.entries, gr.State("gatys")], [ui.entries, ui.strip], api_visibility="private")
    g.stop.click(friendly(stop_gatys), None, None, api_visibility="private", queue=False)
    p.sheet_btn.click(preset_sheet, ui.content, p.sheet, api_visibility="private", concurrency_id="stylize_live")
    preset_inputs = [ui.content, ui.keep_color, ui.size, *p.weights]
    gr.on(
        [w.input for w in p.weights],
        live(stylize_presets),
        preset_inputs,
        p.out,
        trigger_mode="always_last",
        api_name="stylize_presets",
        **live_args,
    )
    gr.on(
        [w.release for w in p.weights],
        live(stylize_presets),
        preset_inputs,
        p.out,
        trigger_mode="always_last",
        api_visibility="private",
        **live_args,
    ).then(
        one_input_per_slider(remember_presets, fast.N_PRESETS, "preset", "weights"),
        [ui.entries, *preset_inputs],
        [ui.entries, ui.strip],
        api_visibility="private",
        show_progress="hidden",
    )
    p.keep.click(keep_presets_event, preset_inputs, p.kept, api_visibility="private", concurrency_id="stylize_live")


def _wire_more(ui: SimpleNamespace) -> None:
    """Dream (with its status line) and the Sweep."""
    d, w = ui.dream, ui.sweep
    slow = dict(concurrency_id="stylize_slow", concurrency_limit=1, show_progress="minimal")
    timer = gr.Timer(1.0, active=False)
    timer.tick(dream_status, None, d.status, api_visibility="private", show_progress="hidden", queue=False)
    d.start.click(dream_timer, gr.State(True), timer, api_visibility="private", queue=False)
    d.start.click(
        stylize_dream,
        [ui.content, d.kind, d.layer, d.channel, d.cls, d.octaves, d.steps, d.strength, d.start_from, ui.size],
        d.out,
        api_name="stylize_dream",
        **slow,
    ).then(dream_finished, None, [d.status, timer], api_visibility="private").then(
        remember_kept, [ui.entries, gr.State("dream")], [ui.entries, ui.strip], api_visibility="private"
    )
    d.stop.click(friendly(stop_dream), None, None, api_visibility="private", queue=False)
    w.run.click(
        stylize_sweep_event,
        [
            ui.content,
            *ui.styles,
            *ui.weights,
            ui.strength,
            ui.keep_color,
            ui.size,
            *ui.presets.weights,
            w.x_axis,
            w.x_values,
            w.y_axis,
            w.y_values,
        ],
        [w.grid, w.status, w.cells, w.kept, w.recipes],
        api_name="stylize_sweep",
        **slow,
    )
    w.stop.click(friendly(stop_sweep), None, None, api_visibility="private", queue=False)
    w.cells.select(open_cell, w.recipes, ui.restored, api_visibility="private", show_progress="hidden")
