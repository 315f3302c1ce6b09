"""What every part of the Words tab shares: the bundled models and the caller's own (Transformers
and line models), the two model lists, a fresh seed; and the Models panel (add an uploaded model,
download the selected one)."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from engines import checkpoints, limits
from engines.words import explore
from studio import common
from studio.common import friendly

NAME = "words"
N_SLIDERS = explore.N_SLIDERS
GPT_WHAT, VAE_WHAT = "Transformer", "line model (RNN-VAE)"


# ------------------------------------------------------------------ the caller's models
def models(kind: str, request: gr.Request | None) -> dict[str, Path]:
    """The bundled models of one kind ('gpt' or 'vae') and the caller's own."""
    return explore.available_models(common.workspace(request).engine_models_dir(NAME), kind)


def writer_for(label: str | None, request: gr.Request | None) -> explore.Writer:
    """The Transformer a label names, among those the caller may use."""
    return explore.load_writer(common.pick_model(models("gpt", request), label, GPT_WHAT))


def line_model_for(label: str | None, request: gr.Request | None) -> explore.LineModel:
    """The line model (RNN-VAE) a label names, among those the caller may use."""
    return explore.load_line_model(common.pick_model(models("vae", request), label, VAE_WHAT))


def line_model_or_none(label: str | None, request: gr.Request | None) -> explore.LineModel | None:
    """The line model a label names, or None when it names none of the caller's (sweeps and axes)."""
    found = models("vae", request)
    return explore.load_line_model(found[label]) if label in found else None


def initial(kind: str) -> dict[str, Path]:
    """The models the page opens with: a local studio's own and bundled; a shared one's bundled only
    (each visitor's own appear when the tab opens)."""
    own = None if common.studio().shared else common.studio().workspaces.local.engine_models_dir(NAME)
    return explore.available_models(own, kind)


def first_line_model() -> explore.LineModel | None:
    """The line model the page opens with (its slider names and ranges label the sliders)."""
    first = initial("vae")
    return explore.load_line_model(next(iter(first.values()))) if first else None


def model_lists(request: gr.Request | None, gpt: str | None = None, vae: str | None = None) -> tuple:
    """Both model dropdowns refreshed with the caller's models (keeping a choice that still exists)."""
    out = []
    for kind, value in (("gpt", gpt), ("vae", vae)):
        found = list(models(kind, request))
        out.append(gr.Dropdown(choices=found, value=value if value in found else (found[0] if found else None)))
    return tuple(out)


def new_seed() -> int:
    """The dice: a fresh seed."""
    return random.randint(0, limits.MAX_SEED)


# ------------------------------------------------------------------ handlers
@friendly
def add_model(path: str | None, request: gr.Request | None = None) -> tuple:
    """Add an uploaded Words model (.pt) to the caller's models; returns both lists and a note."""
    if not path:
        return gr.update(), gr.update(), ""
    kind = checkpoints.load(path, engine=NAME).config.get("kind")
    if kind not in ("gpt", "vae"):
        raise ValueError(f"{Path(path).name} is not a Words model this version can use.")
    ws = common.workspace(request)
    ws.check_room(Path(path).stat().st_size)
    label, ck = common.add_model_file(path, ws.engine_models_dir(NAME), NAME)
    note = f"Added **{label}** ({ck.meta.get('data', 'unknown data')})."
    gpt_list, vae_list = model_lists(request, label if kind == "gpt" else None, label if kind == "vae" else None)
    return (gpt_list, gr.update(), note) if kind == "gpt" else (gr.update(), vae_list, note)


@friendly
def download_model(label: str | None, request: gr.Request | None = None) -> str:
    """The selected Transformer's file, for download."""
    return str(common.pick_model(models("gpt", request), label, GPT_WHAT))


@friendly
def refresh_models(gpt_label: str | None, vae_label: str | None, request: gr.Request | None = None) -> tuple:
    """Both model lists as they are now in the caller's workspace."""
    return model_lists(request, gpt_label, vae_label)


# ------------------------------------------------------------------ layout
def panel() -> SimpleNamespace:
    """Models and recipes: add a model, download the selected one, open a text's recipe."""
    with gr.Accordion("Models and recipes", open=False):
        with gr.Row():
            upload = gr.File(label="Add a Words model (.pt)", file_types=[".pt"], elem_id="words-upload-model")
            with gr.Column():
                download = gr.Button("Download the selected Transformer", elem_id="words-download-btn")
                downloaded = gr.File(label="The selected model", interactive=False, elem_id="words-download-model")
            open_recipe = gr.File(label="Open a text's recipe (.txt)", file_types=[".txt"], elem_id="words-open-recipe")
        note = gr.Markdown()
    return SimpleNamespace(upload=upload, download=download, downloaded=downloaded, open_recipe=open_recipe, note=note)


def wire(p: SimpleNamespace, model: gr.Dropdown, vae: gr.Dropdown, refresh: gr.Button, tab: gr.Tab) -> None:
    """Adding, downloading and refreshing models (the lists refresh when the tab opens)."""
    p.upload.upload(add_model, p.upload, [model, vae, p.note], api_visibility="private")
    p.download.click(download_model, model, p.downloaded, api_visibility="private")
    for trigger in (refresh.click, tab.select):
        trigger(refresh_models, [model, vae], [model, vae], api_visibility="private", show_progress="hidden")
