"""The Gallery's file handlers: remake an output from its recipe (and say whether it is the kept
file), download chosen outputs or the whole workspace as one zip, bring such a zip back, and say
where the visitor's work lives. Downloads are written to the studio's temp folder and pruned."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import gradio as gr
from PIL import Image

from engines import recipe as recipes
from engines import replay, tempfiles
from engines.settings import on_space, space_storage
from engines.workspace_zip import export_zip, import_zip
from studio.common import friendly, studio, workspace, workspace_key


@friendly
def gallery_replay(output_id: str, request: gr.Request | None = None) -> tuple[str, dict]:
    """Remake one of your outputs from its recipe: (the remade file, {id, kind, exact, matches, note}).
    `exact` says whether the path is deterministic; `matches` whether the remake equals the kept file."""
    ws = workspace(request)
    out = ws.store.get(str(output_id or "").strip())
    made = replay.remake(out.recipe, replay.ReplayContext(ws.models_dir, ws.store, studio().device))
    exact, matches = replay.exact(out.recipe), replay.same(made, out.path)
    if matches:
        note = "Remade from its recipe: identical to the kept file."
    elif exact:
        note = "Remade from its recipe, but it differs from the kept file (another machine or model version?)."
    else:
        note = "Remade from its recipe. This kind of output is not bit-for-bit repeatable, so it differs a little."
    path = _write_made(made, out.recipe, out.path.suffix)
    return path, {"id": out.id, "kind": out.kind, "exact": exact, "matches": matches, "note": note}


def _write_made(made: Any, recipe: dict, suffix: str) -> str:
    folder = _download_folder()
    if isinstance(made, Image.Image):
        return str(recipes.write_png(folder / "remade.png", made, recipe))
    if isinstance(made, tuple) and len(made) == 2:
        return str(recipes.write_wav(folder / "remade.wav", int(made[0]), made[1], recipe))
    return str(recipes.write_txt(folder / "remade.txt", str(made), recipe))


@friendly
def gallery_download(ids: list[str] | None, request: gr.Request | None = None) -> str:
    """The chosen outputs (ids) as one zip that keeps their recipes."""
    ids = [str(i) for i in (ids or [])][:500]
    if not ids:
        raise ValueError("Tick the outputs to download first (or download your whole workspace below).")
    ws = workspace(request)
    return str(export_zip(ws, _download_folder() / f"atelier-{len(ids)}-outputs.zip", ids=ids))


@friendly
def gallery_export(request: gr.Request | None = None) -> str:
    """Your whole workspace (outputs with their recipes, and your models) as one zip to download."""
    ws = workspace(request)
    return str(export_zip(ws, _download_folder() / f"atelier-{time.strftime('%Y%m%d-%H%M')}.zip"))


@friendly
def gallery_import(path: str | None, request: gr.Request | None = None) -> str:
    """Bring a workspace zip (or any zip of Atelier files) into your workspace."""
    if not path:
        raise ValueError("Choose a zip made by 'Download my workspace' first.")
    with tempfiles.job_dir("import") as work:
        outputs, models, skipped = import_zip(workspace(request), path, work)
    note = f"Added {outputs} output{'s' if outputs != 1 else ''} and {models} model{'s' if models != 1 else ''}."
    return note + (
        f" Skipped {skipped} file{'s' if skipped != 1 else ''} that carried no Atelier recipe." if skipped else ""
    )


def workspace_note(request: gr.Request | None = None) -> str:
    """Where this visitor's work lives, how full it is, and how a script reaches it."""
    st, ws = studio(), workspace(request)
    if not st.shared:
        return f"Your work is kept in `{ws.outputs_dir}` ({ws.usage_text()})."
    lines = [f"**Your workspace**: {ws.usage_text()}. Only you see it."]
    key = workspace_key(request)
    if key and not key.startswith(("session-", "hf-")):
        lines.append(
            f"Open it in another browser with `?workspace={key}` after this page's address; scripts "
            f"send the header `X-Atelier-Workspace: {key}`. Keep this key private."
        )
    if on_space() and space_storage() is None:
        lines.append(
            "⚠️ This Space's disk is temporary: everything here is wiped when the Space restarts. "
            "Download your workspace to keep it."
        )
    return "  \n".join(lines)


def _download_folder() -> Path:
    return tempfiles.download_dir()
