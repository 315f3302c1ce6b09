"""Turning a Words recipe back into every control of the tab, and the output it made: reopening a kept
text, a click on the history strip (undo) and, through `recipe_updates`, opening a sweep's cell."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pandas as pd

from engines import recipe as recipes
from engines import sweep as sweeps
from engines.words import service
from studio import common, history
from studio.common import friendly
from studio.words_base import N_SLIDERS, NAME, line_model_for, models
from studio.words_lines import slider_updates

RESTORED = (
    "model",
    "prompt",
    "length",
    "temperature",
    "top_k",
    "top_p",
    "penalty",
    "seed",
    "stop",
    "output",
    "vae",
    "from",
    "to",
    "steps",
    "path",
    "decoding",
    "poem",
    "base",
    *(f"slider{i}" for i in range(N_SLIDERS)),
    "line",
    "x_axis",
    "x_values",
    "y_axis",
    "y_values",
    "table",
    "sweep",
    "note",
)
"""What reopening sets, in the order of the Restorer's outputs (every kind sets its own part)."""


def _line_controls(rec: dict, kind: str, v: dict, text: str, request: gr.Request | None) -> dict:
    """The line model's controls a morph, a line or a line sweep restores."""
    vae_rec = {"model": rec.get("vae"), "checkpoint": rec.get("vae_checkpoint")} if kind == "sweep" else rec
    m = line_model_for(common.label_for_recipe(models("vae", request), vae_rec), request)
    got: dict = {"vae": next(lbl for lbl, path in models("vae", request).items() if path == m.path)}
    got.update({k: v[k] for k in ("from", "to", "steps", "path", "decoding", "seed") if k in v})
    if "sliders" in v:
        moved = slider_updates(m, v["sliders"])
        got.update(base=v["base"], **{f"slider{i}": u for i, u in enumerate(moved)})
    got["poem" if kind == "morph" else "line"] = text.rstrip("\n") if kind in ("morph", "line") else gr.update()
    return got


def recipe_updates(rec: dict, text: str, request: gr.Request | None, note: str = "") -> list:
    """Every control a Words recipe restores (the one function behind reopening, history and sweep
    cells), and the output it made; the rest left as they are."""
    if rec.get("engine") != NAME:
        raise ValueError("That recipe was not made by the Words tab.")
    kind, v = rec.get("kind"), service.controls_of(rec)
    got: dict = {"note": note}
    if kind == "writing" or (kind == "sweep" and rec.get("mode") != "line"):
        got.update(model=common.label_for_recipe(models("gpt", request), rec), **v)
        got["output"] = text if kind == "writing" else gr.update()
    else:
        got.update(_line_controls(rec, str(kind), v, text, request))
    if kind == "sweep":
        xa, ya = sweeps.axes_of(rec)
        got.update(
            x_axis=xa.name,
            x_values=", ".join(map(str, xa.values)),
            y_axis=ya.name,
            y_values=", ".join(map(str, ya.values)),
            sweep=rec,
            table=pd.DataFrame(rec.get("table") or [[]]) if rec.get("table") else gr.update(),
        )
    return [got.get(k, gr.update()) for k in RESTORED]


@friendly
def restore(path: str | None, request: gr.Request | None = None) -> list:
    """Reopen a kept Words output (a text, a morph, a line or a sweep): every control and the output."""
    if not path:
        return [gr.update()] * len(RESTORED)
    rec = recipes.read(path)
    note = f"Restored **{Path(path).name}**."
    return recipe_updates(rec, recipes.read_text(path), request, note)


@friendly
def history_pick(entries: list | None, evt: gr.SelectData, request: gr.Request | None = None) -> list:
    """A click on the history strip: that result's controls and output back (undo)."""
    rec = dict(history.picked(entries, evt))
    return recipe_updates(rec, str(rec.pop("shown", "")), request, "Back to an earlier result.")
