"""The Words tab's Sweep: a table of short texts (or lines) over two of the tab's settings, streamed
cell by cell and kept in the Gallery with its recipe; a click on a cell opens it in the tab."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import gradio as gr
import pandas as pd

from engines import sweep as sweeps
from engines.jobs import StopToken
from engines.words import explore, service
from engines.words import sweep as words_sweep
from engines.words.service import WriteSettings
from studio import common
from studio import sweeps as sweep_panel_layout
from studio.common import friendly
from studio.words_base import N_SLIDERS, NAME, line_model_or_none, writer_for
from studio.words_restore import recipe_updates

_SWEEP_STOPS: dict[str, StopToken] = {}


@friendly
def words_sweep_run(
    model_label: str | None,
    prompt: str | None,
    length: float,
    temperature: float,
    top_k: float,
    top_p: float,
    penalty: float,
    seed: float | None,
    stop: str | None,
    vae_label: str | None,
    base: list | None,
    sliders: list,
    x_axis: str,
    x_values: str,
    y_axis: str,
    y_values: str,
    request: gr.Request | None = None,
) -> Iterator[tuple]:
    """A sweep over two of the tab's settings: a table of short texts (or lines), streamed cell by
    cell, kept in the Gallery with its recipe; yields (status, table, kept file, recipe)."""
    m = line_model_or_none(vae_label, request)
    xa, ya, mode = words_sweep.axes((x_axis, x_values), (y_axis, y_values), m)
    w = writer_for(model_label, request) if mode == "writing" else None
    s = WriteSettings.checked(prompt, length, temperature, top_k, top_p, penalty, seed, stop)
    base_settings = {
        "prompt": s.prompt,
        "length": min(s.length, words_sweep.CELL_CHARS),
        "temperature": s.temperature,
        "top_k": s.top_k,
        "top_p": s.top_p,
        "repetition_penalty": s.penalty,
        "seed": s.seed,
        "stop": list(s.stop),
        "base": base or None,
        "sliders": list(sliders),
    }
    ws = common.workspace(request)
    ws.check_room(64_000)
    token = _SWEEP_STOPS[ws.name] = StopToken()
    cells: list[sweeps.Cell] = []
    for ev in words_sweep.words_sweep(w, m, base_settings, xa, ya, token):
        cells = ev.cells
        yield f"**{ev.message}**", pd.DataFrame(sweeps.text_table(cells, xa, ya)), gr.update(), gr.update()
    rec = words_sweep.recipe(w, m, base_settings, xa, ya, mode)
    rec["table"] = sweeps.text_table(cells, xa, ya)
    out = service.keep(ws.store, words_sweep.as_text(cells, xa, ya), rec, f"Words sweep · {xa.name} × {ya.name}")
    yield (
        f"**Done**: {len(cells)} cells, kept in the Gallery. Click a cell to open it.",
        pd.DataFrame(rec["table"]),
        str(out.path),
        rec,
    )


def stop_sweep(request: gr.Request | None = None) -> str:
    """The sweep's Stop button: end this workspace's sweep after the cell being made."""
    token = _SWEEP_STOPS.get(common.workspace(request).name)
    if token is None:
        return "No sweep is running."
    token.stop()
    return "Stopping after this cell…"


@friendly
def open_cell(rec: dict | None, evt: gr.SelectData, request: gr.Request | None = None) -> list:
    """A click on a sweep's table: that cell's settings in the tab, and its text."""
    if not rec:
        raise ValueError("Run a sweep first.")
    row, col = (evt.index or [0, 0])[:2] if isinstance(evt.index, (list, tuple)) else (0, 0)
    if int(row) < 1 or int(col) < 1:
        raise ValueError("Click a cell with a text (not a heading).")
    cell = words_sweep.cell_at(rec, int(row) - 1, int(col) - 1)
    text = str((rec.get("table") or [])[int(row)][int(col)]) if rec.get("table") else ""
    if rec.get("mode") == "line":
        cell_rec = {
            "engine": NAME,
            "kind": "line",
            "model": rec.get("vae"),
            "checkpoint": rec.get("vae_checkpoint"),
            "base": cell.get("base"),
            "sliders": cell["sliders"],
        }
    else:
        cell_rec = {
            **cell,
            "engine": NAME,
            "kind": "writing",
            "model": rec.get("model"),
            "checkpoint": rec.get("checkpoint"),
        }
        text = cell["prompt"] + text
    return recipe_updates(cell_rec, text, request, "Opened a sweep cell.")


def panel(m: explore.LineModel | None) -> SimpleNamespace:
    """The Sweep panel (a table of short texts; axes named after line model `m`'s sliders) and the
    state holding the last sweep's recipe."""
    found = sweep_panel_layout.panel(
        "words",
        words_sweep.axis_names(m),
        (words_sweep.TEMPERATURE, "0.3, 0.8, 1.2"),
        (words_sweep.SEED, "1, 2, 3"),
        kind="text",
    )
    found.recipe = gr.State(None)
    return found


def wire(w: SimpleNamespace, inputs: list, restored: list) -> None:
    """Run (api words_sweep: the writing controls, the line model, its latent and sliders, then the
    axes), Stop, and a click on a cell setting the `restored` controls."""
    w.run.click(
        common.one_input_per_slider(words_sweep_run, N_SLIDERS, "direction"),
        [*inputs, w.x_axis, w.x_values, w.y_axis, w.y_values],
        [w.status, w.table, w.kept, w.recipe],
        api_name="words_sweep",
        concurrency_id="words_write",
        concurrency_limit=2,
        show_progress="minimal",
    )
    w.stop.click(stop_sweep, None, w.status, api_visibility="private", queue=False)
    w.table.select(open_cell, w.recipe, restored, api_visibility="private")
