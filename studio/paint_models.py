"""Paint's *Models and recipes* panel: the model list afresh (bundled and the caller's own), adding
an uploaded model to the caller's workspace, downloading the selected one, and reopening a kept
picture, morph or sweep (here, or from the Gallery's *Open in Paint*)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from studio import common
from studio import paint_morph as morph_panel
from studio import paint_sweep as sweep_panel
from studio.common import Restorer, StudioContext, friendly
from studio.paint_base import NAME, models
from studio.paint_restore import accepts, restore


# ------------------------------------------------------------------ handlers
@friendly
def model_choices(current: str | None, request: gr.Request | None = None) -> gr.Dropdown:
    """The model list afresh (bundled and the caller's own), keeping the current choice if it is there."""
    found = models(request)
    return gr.Dropdown(choices=list(found), value=current if current in found else next(iter(found), None))


@friendly
def model_file(model_label: str, request: gr.Request | None = None) -> str:
    """The selected model's checkpoint, to download."""
    return str(common.pick_model(models(request), model_label, "Paint model"))


@friendly
def add_model(path: str | None, request: gr.Request | None = None) -> tuple[gr.Dropdown, str]:
    """Add an uploaded Paint checkpoint to the caller's own models."""
    if not path:
        return gr.Dropdown(), ""
    ws = common.workspace(request)
    ws.check_room(Path(path).stat().st_size)
    label, ck = common.add_model_file(path, ws.engine_models_dir(NAME), NAME)
    return (
        gr.Dropdown(choices=list(models(request)), value=label),
        f"Added **{label}** ({ck.meta.get('data', 'unknown data')}).",
    )


# ------------------------------------------------------------------ layout and wiring
def panel() -> SimpleNamespace:
    """The models and recipes accordion: add a model, download the selected one, open a recipe."""
    with gr.Accordion("Models and recipes", open=False):
        with gr.Row():
            upload = gr.File(label="Add a Paint model (.pt)", file_types=[".pt"], elem_id="paint-upload-model")
            with gr.Column():
                download_btn = gr.Button("Download the selected model", elem_id="paint-download-btn")
                download = gr.File(label="The selected model", interactive=False, elem_id="paint-download-model")
            open_recipe = gr.File(
                label="Open a kept picture, morph or sweep (.png, .gif)",
                file_types=[".png", ".gif"],
                elem_id="paint-open-recipe",
            )
    return SimpleNamespace(upload=upload, download_btn=download_btn, download=download, open_recipe=open_recipe)


def wire(ctx: StudioContext, ui: SimpleNamespace) -> None:
    """Adding and downloading models, and reopening a kept output (here or from the Gallery)."""
    pic, m = ui.pic, ui.models
    m.download_btn.click(model_file, pic.model_dd, m.download, api_visibility="private")
    m.upload.upload(add_model, m.upload, [pic.model_dd, ui.out.note], api_visibility="private")
    restored = [*ui.restore_outputs, *morph_panel.outputs(ui.morph, ui.keys), *sweep_panel.outputs(ui.sweep)]
    m.open_recipe.upload(restore, m.open_recipe, restored, api_visibility="private")
    ctx.restorers[NAME] = Restorer(restore, restored, accepts)
