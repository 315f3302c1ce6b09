"""Back to earlier Stylize results, as plain functions a test can call: a recipe turned into every
control's value and the output (the Gallery's 'Open in Stylize', a sweep's grid or one of its cells),
and the history strip (push the settled result, click one to go back). The recipe -> controls mapping
lives in `engines.stylize.restore`; the components these values fill are `stylize_panels.RESTORED`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
from PIL import Image

from engines import recipe as recipes
from engines.outputs import OutputStore
from engines.stylize import jobs
from engines.stylize import restore as restoring
from engines.stylize.controls import N_STYLES
from studio import history
from studio.common import friendly, workspace
from studio.stylize_fast import fast_job_of, has_pictures
from studio.stylize_jobs import last_kept, store_of
from studio.stylize_panels import RESTORED
from studio.stylize_slow import to_editor


# ---------------------------------------------------------------- handlers: reopening and history
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
    """The values in RESTORED's order; components a recipe does not set stay as they are."""
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


def _as_before(entries: list[dict] | None) -> tuple[list[dict], list]:
    """The history strip unchanged (nothing settled to push)."""
    return list(entries or []), history.shown(list(entries or []))


@friendly
def remember_fast(entries: list[dict] | None, *controls: Any) -> tuple[list[dict], list]:
    """Push the settled fast result (the one on screen) onto the history strip; `controls` are
    /stylize_fast's parameters in their order."""
    if not has_pictures(*controls[:5]):
        return _as_before(entries)
    job = fast_job_of(controls)
    return history.push(entries, job.shown(), job.recipe(), f"strength {job.strength:g}")


@friendly
def remember_presets(
    entries: list[dict] | None, content: str | None, keep_colours: bool, size: float, weights: list[float]
) -> tuple[list[dict], list]:
    """Push the settled preset blend onto the history strip."""
    if not content:
        return _as_before(entries)
    job = jobs.preset_job(content, keep_colours, size, weights)
    return history.push(entries, job.shown(), job.recipe(), "presets")


def remember_kept(entries: list[dict] | None, job: str, request: gr.Request | None = None) -> tuple[list[dict], list]:
    """Push the last painting or dream this workspace kept onto the history strip."""
    last = last_kept.get(f"{workspace(request).name}:{job}")
    if not last:
        return _as_before(entries)
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
