"""Stylize tab: paint a picture in the style of others, live on the fast network, slowly and
carefully by optimisation (Gatys), or let the network dream. This module is the tab itself: its help,
`build` and the event wiring (with the API names). The handlers are plain functions in
stylize_fast.py (fast path, presets), stylize_slow.py (Gatys, Dream), stylize_sweep.py (the Sweep)
and stylize_restore.py (the Gallery's reopening, the history strip); the layout is stylize_panels.py.
The checks and the work live in `engines.stylize`."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import gradio as gr

from engines.stylize import fast
from studio import stylize_panels as panels
from studio.common import Restorer, StudioContext, friendly, how_it_works, live, one_input_per_slider
from studio.stylize_fast import (
    auto_fast,
    keep_fast,
    keep_presets_event,
    pick_style,
    preset_sheet,
    stylize_fast,
    stylize_presets,
)
from studio.stylize_restore import accepts, open_cell, remember_fast, remember_kept, remember_presets, restore, undo
from studio.stylize_slow import (
    dream_finished,
    dream_status,
    dream_timer,
    stop_dream,
    stop_gatys,
    stylize_dream,
    stylize_gatys,
    to_editor,
)
from studio.stylize_sweep import stop_sweep, stylize_sweep_event

NAME = "stylize"
TITLE = "Stylize"

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


# ---------------------------------------------------------------- layout and wiring
LIVE_EVENT = dict(show_progress="hidden", concurrency_id="stylize_live", concurrency_limit=2)
SLOW_EVENT = dict(concurrency_id="stylize_slow", concurrency_limit=1, show_progress="minimal")
QUIET = dict(api_visibility="private", show_progress="hidden")


def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Stylize tab, offer the Gallery a way back to its controls, and wire its events
    (API names kept stable: scripts and the README use them)."""
    how_it_works(HELP)
    ui = panels.layout()
    ui.restored = list(panels.restorable(ui).values())
    ctx.restorers[NAME] = Restorer(restore, ui.restored, accepts)
    _wire_fast(ui, tab)
    _wire_gatys(ui, tab)
    _wire_presets(ui)
    _wire_dream(ui)
    _wire_sweep(ui)


def _live(drag: list, release: list, fn: Callable[..., Any], inputs: list, output: Any, api_name: str) -> Any:
    """`fn` live on sliders: while dragging (the API's `api_name`) and once more on release; returns
    the release event, after which the settled result goes onto the history strip."""
    gr.on(drag, live(fn), inputs, output, trigger_mode="always_last", api_name=api_name, **LIVE_EVENT)
    return gr.on(release, live(fn), inputs, output, trigger_mode="always_last", api_visibility="private", **LIVE_EVENT)


def _fast_inputs(ui: SimpleNamespace) -> list:
    """The fast path's controls in /stylize_fast's parameter order."""
    return [ui.content, *ui.styles, *ui.weights, ui.strength, ui.keep_color, ui.size]


def _wire_fast(ui: SimpleNamespace, tab: gr.Tab) -> None:
    """The fast path: live sliders, automatic repaints, Keep, sample styles and the history strip."""
    fast_inputs = _fast_inputs(ui)
    remember = dict(fn=remember_fast, inputs=[ui.entries, *fast_inputs], outputs=[ui.entries, ui.strip], **QUIET)
    sliders = [ui.strength, *ui.weights]
    drag, release = [s.input for s in sliders], [s.release for s in sliders]
    _live(drag, release, stylize_fast, fast_inputs, ui.result, "stylize_fast").then(**remember)
    gr.on(
        [ui.content.change, *[s.change for s in ui.styles], ui.keep_color.change, ui.size.release, tab.select],
        auto_fast,
        fast_inputs,
        ui.result,
        trigger_mode="always_last",
        api_visibility="private",
        **LIVE_EVENT,
    ).then(**remember)
    ui.keep.click(keep_fast, fast_inputs, ui.kept, api_name="stylize_keep", concurrency_id="stylize_live")
    ui.picks.select(pick_style, ui.styles, ui.styles, **QUIET)
    ui.strip.select(undo, ui.entries, ui.restored, **QUIET)


def _wire_gatys(ui: SimpleNamespace, tab: gr.Tab) -> None:
    """'Paint it slowly': the brushing canvas follows the picture; Start streams, Stop stops."""
    g = ui.gatys
    gr.on([ui.content.change, tab.select], to_editor, ui.content, g.brush, **QUIET)
    settings = [g.steps, g.size, g.style_w, g.content_w, g.tv_w, g.backbone, g.optimizer, g.color_mode, g.brush]
    g.start.click(
        stylize_gatys,
        [ui.content, *ui.styles, *ui.weights, *settings],
        [g.preview, g.status, g.plot],
        api_name="stylize_gatys",
        **SLOW_EVENT,
    ).then(remember_kept, [ui.entries, gr.State("gatys")], [ui.entries, ui.strip], api_visibility="private")
    g.stop.click(friendly(stop_gatys), None, None, api_visibility="private", queue=False)


def _wire_presets(ui: SimpleNamespace) -> None:
    """The presets: what each does, the live blend (remembered when settled) and its Keep."""
    p = ui.presets
    p.sheet_btn.click(preset_sheet, ui.content, p.sheet, api_visibility="private", concurrency_id="stylize_live")
    preset_inputs = [ui.content, ui.keep_color, ui.size, *p.weights]
    drag, release = [w.input for w in p.weights], [w.release for w in p.weights]
    _live(drag, release, stylize_presets, preset_inputs, p.out, "stylize_presets").then(
        one_input_per_slider(remember_presets, fast.N_PRESETS, "preset", "weights"),
        [ui.entries, *preset_inputs],
        [ui.entries, ui.strip],
        **QUIET,
    )
    p.keep.click(keep_presets_event, preset_inputs, p.kept, api_visibility="private", concurrency_id="stylize_live")


def _wire_dream(ui: SimpleNamespace) -> None:
    """Dream, with its status line polled while it runs."""
    d = ui.dream
    timer = gr.Timer(1.0, active=False)
    timer.tick(dream_status, None, d.status, queue=False, **QUIET)
    d.start.click(dream_timer, gr.State(True), timer, api_visibility="private", queue=False)
    d.start.click(
        stylize_dream,
        [ui.content, d.kind, d.layer, d.channel, d.cls, d.octaves, d.steps, d.strength, d.start_from, ui.size],
        d.out,
        api_name="stylize_dream",
        **SLOW_EVENT,
    ).then(dream_finished, None, [d.status, timer], api_visibility="private").then(
        remember_kept, [ui.entries, gr.State("dream")], [ui.entries, ui.strip], api_visibility="private"
    )
    d.stop.click(friendly(stop_dream), None, None, api_visibility="private", queue=False)


def _wire_sweep(ui: SimpleNamespace) -> None:
    """The Sweep: Run streams the grid, Stop ends it, a clicked cell reopens in the tab."""
    w = ui.sweep
    w.run.click(
        stylize_sweep_event,
        [*_fast_inputs(ui), *ui.presets.weights, w.x_axis, w.x_values, w.y_axis, w.y_values],
        [w.grid, w.status, w.cells, w.kept, w.recipes],
        api_name="stylize_sweep",
        **SLOW_EVENT,
    )
    w.stop.click(friendly(stop_sweep), None, None, api_visibility="private", queue=False)
    w.cells.select(open_cell, w.recipes, ui.restored, **QUIET)
