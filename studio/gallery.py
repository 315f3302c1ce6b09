"""Gallery tab: everything made in the studio, newest first, with the recipe that made it."""

from __future__ import annotations

from typing import Any

import gradio as gr

from engines import recipe as recipes
from engines.outputs import Output
from studio.common import StudioContext, friendly, how_it_works

NAME = "gallery"
TITLE = "Gallery"

HELP = """
Everything you make in Atelier is kept here, on your own disk, with its **recipe**: the model,
seed and slider values that made it. Close the browser and nothing is lost.

Click a thumbnail to see, hear or read it, download it, or delete it. The files you download
still carry their recipe, so dropping one into **What made this?** tells you how it was made.
"""

_KIND_CHOICES = {"All": None, "Images": "image", "Sounds": "sound", "Texts": "text"}


def summarize(recipe: dict[str, Any]) -> str:
    """One readable line about a recipe: which engine, which model, which seed."""
    parts = [f"Made with **{str(recipe.get('engine', '?')).capitalize()}**"]
    for key, label in (("model", "model"), ("seed", "seed"), ("prompt", "prompt")):
        if recipe.get(key) not in (None, ""):
            parts.append(f"{label} `{recipe[key]}`")
    return ", ".join(parts)


def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Gallery and wire its events."""
    store = ctx.store
    how_it_works(HELP)

    with gr.Row(equal_height=True):
        kind = gr.Radio(list(_KIND_CHOICES), value="All", label="Show", elem_id="gallery-kind", scale=2)
        query = gr.Textbox(label="Find", placeholder="engine, seed, prompt, title…", elem_id="gallery-query", scale=3)
        refresh = gr.Button("Refresh", elem_id="gallery-refresh", scale=1)
    count = gr.Markdown(elem_id="gallery-count")
    grid = gr.Gallery(label="Your work, newest first", show_label=False, columns=6, height=420, allow_preview=False,
                      object_fit="contain", elem_id="gallery-grid", format="png")
    shown = gr.State([])
    selected = gr.State(None)

    with gr.Row(visible=False, elem_id="gallery-detail") as detail:
        with gr.Column(scale=3):
            title = gr.Markdown(elem_id="gallery-title")
            image = gr.Image(visible=False, interactive=False, type="filepath", label="Picture", height=360)
            audio = gr.Audio(visible=False, interactive=False, type="filepath", label="Sound")
            text = gr.Textbox(visible=False, interactive=False, lines=10, label="Text")
        with gr.Column(scale=2):
            recipe_view = gr.JSON(label="Recipe", elem_id="gallery-recipe")
            download = gr.File(label="Download (carries its recipe)", interactive=False)
            reopen = {engine: gr.Button(f"Open in {engine.capitalize()} with these settings", visible=False,
                                        elem_id=f"gallery-open-{engine}") for engine in ctx.restorers}
            delete = gr.Button("Delete…", variant="stop", elem_id="gallery-delete")
            with gr.Row(visible=False) as confirm:
                yes = gr.Button("Yes, delete it for good", variant="stop", elem_id="gallery-delete-yes")
                no = gr.Button("Keep it", elem_id="gallery-delete-no")

    with gr.Accordion("What made this?", open=False, elem_id="whatmade"):
        gr.Markdown("Drop a picture, sound or text made in Atelier to read the recipe it carries.")
        with gr.Row():
            upload = gr.File(label="An Atelier file (.png, .wav, .txt)", file_types=[".png", ".wav", ".txt"],
                             elem_id="whatmade-file")
            with gr.Column():
                found_summary = gr.Markdown(elem_id="whatmade-summary")
                found = gr.JSON(label="Recipe in the file", elem_id="whatmade-recipe")

    # ------------------------------------------------------------------ handlers
    def listing(kind_label: str, text: str) -> tuple[list, list[str], str]:
        outs = store.list(kind=_KIND_CHOICES.get(kind_label), query=text or "")
        items = [(str(o.thumb), f"{o.title} · {o.created_text()}") for o in outs]
        if outs:
            note = f"{len(outs)} item{'s' if len(outs) != 1 else ''}"
        elif text or _KIND_CHOICES.get(kind_label):
            note = "Nothing matches. Try another word or show everything."
        else:
            note = "Nothing here yet: make something in another tab and it appears here."
        return items, [o.id for o in outs], note

    def hidden_detail() -> tuple:
        return (gr.Row(visible=False), None, "", gr.Image(visible=False, value=None),
                gr.Audio(visible=False, value=None), gr.Textbox(visible=False, value=""), None, None,
                gr.Row(visible=False), *[gr.Button(visible=False) for _ in reopen])

    def show(out: Output) -> tuple:
        fits = [out.recipe.get("engine") == engine and ctx.restorers[engine].accepts(out.recipe) for engine in reopen]
        return (gr.Row(visible=True), out.id, f"### {out.title}\n{out.created_text()} · {summarize(out.recipe)}",
                gr.Image(visible=out.kind == "image", value=str(out.path) if out.kind == "image" else None),
                gr.Audio(visible=out.kind == "sound", value=str(out.path) if out.kind == "sound" else None),
                gr.Textbox(visible=out.kind == "text",
                           value=recipes.read_text(out.path) if out.kind == "text" else ""),
                out.recipe, str(out.path), gr.Row(visible=False), *[gr.Button(visible=f) for f in fits])

    @friendly
    def pick(ids: list[str], evt: gr.SelectData) -> tuple:
        if evt.index is None or not (0 <= int(evt.index) < len(ids)):
            return hidden_detail()
        return show(store.get(ids[int(evt.index)]))

    @friendly
    def remove(oid: str | None, kind_label: str, text: str) -> tuple:
        if oid:
            store.delete(oid)
            gr.Info("Deleted.")
        return (*listing(kind_label, text), *hidden_detail())

    @friendly
    def what_made(path: str | None) -> tuple[str, dict | None]:
        if not path:
            return "", None
        found_recipe = recipes.read(path)
        return summarize(found_recipe), found_recipe

    detail_outputs = [detail, selected, title, image, audio, text, recipe_view, download, confirm, *reopen.values()]
    list_outputs = [grid, shown, count]

    gr.on([refresh.click, kind.change, query.submit, tab.select, ctx.demo.load], listing, [kind, query],
          list_outputs, api_name="gallery_list", show_progress="hidden", trigger_mode="always_last")
    grid.select(pick, shown, detail_outputs, api_visibility="private", show_progress="hidden")
    delete.click(lambda: gr.Row(visible=True), None, confirm, api_visibility="private", show_progress="hidden")
    no.click(lambda: gr.Row(visible=False), None, confirm, api_visibility="private", show_progress="hidden")
    yes.click(remove, [selected, kind, query], list_outputs + detail_outputs, api_visibility="private")
    upload.change(what_made, upload, [found_summary, found], api_name="gallery_recipe")
    for engine, button in reopen.items():
        restorer = ctx.restorers[engine]

        def reopen_in(oid: str | None, _restorer=restorer, _engine=engine) -> list:
            updates = _restorer.fn(str(store.get(oid).path)) if oid else [gr.update()] * len(_restorer.outputs)
            return [*updates, gr.Tabs(selected=_engine)]

        button.click(friendly(reopen_in), selected, [*restorer.outputs, ctx.tabs], api_visibility="private")

    # ------------------------------------------------------------------ script API
    def gallery_items(kind: str = "all", query: str = "") -> list[dict]:
        """Outputs newest first as dicts (id, kind, title, created, file, recipe); kind: all, image, sound, text."""
        k = None if kind in ("", "all", None) else kind
        try:
            outs = store.list(kind=k, query=query or "")
        except ValueError as err:
            raise gr.Error(str(err), print_exception=False) from None
        return [{"id": o.id, "kind": o.kind, "title": o.title, "created": o.created, "file": str(o.path),
                 "recipe": o.recipe} for o in outs]

    def gallery_delete(output_id: str) -> str:
        """Delete one output by id; returns a confirmation line."""
        try:
            store.delete(output_id)
        except KeyError as err:
            raise gr.Error(str(err.args[0]), print_exception=False) from None
        return f"deleted {output_id}"

    gr.api(gallery_items, api_name="gallery_items")
    gr.api(gallery_delete, api_name="gallery_delete")

