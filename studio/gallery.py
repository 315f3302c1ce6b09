"""Gallery tab: everything made in this workspace, newest first, a page at a time, with the recipe
that made it; the whole workspace goes out and comes back as one zip. Handlers first, then layout."""

from __future__ import annotations

import inspect
from types import SimpleNamespace
from typing import Any

import gradio as gr

from engines import recipe as recipes
from engines import replay
from engines.outputs import Output
from studio.common import StudioContext, friendly, how_it_works, workspace
from studio.gallery_files import gallery_download, gallery_export, gallery_import, gallery_replay, workspace_note

NAME = "gallery"
TITLE = "Gallery"
PAGE = 48  # thumbnails per page: the grid never receives the whole gallery

HELP = """
Everything you make in Atelier is kept here with its **recipe**: the model, seed and slider values
that made it. Close the browser and nothing is lost.

Click a thumbnail to see, hear or read it, download it, reopen it in its tab, or delete it. The
files you download still carry their recipe, so dropping one into **What made this?** tells you how
it was made. **Your workspace** downloads everything (with the models you trained) as one zip, and
takes such a zip back.
"""

RESTORERS: dict[str, Any] = {}  # engine -> the tab's Restorer, filled by build() from the studio context
KIND_CHOICES = {"All": None, "Images": "image", "Sounds": "sound", "Texts": "text"}


def summarize(recipe: dict[str, Any]) -> str:
    """One readable line about a recipe: which engine, which model, which seed."""
    parts = [f"Made with **{str(recipe.get('engine', '?')).capitalize()}**"]
    for key, label in (("model", "model"), ("seed", "seed"), ("prompt", "prompt")):
        if recipe.get(key) not in (None, ""):
            parts.append(f"{label} `{str(recipe[key])[:80]}`")
    return ", ".join(parts)


# ---------------------------------------------------------------------------------- handlers
def gallery_list(
    kind_label: str, query: str, page: float = 1, request: gr.Request | None = None
) -> tuple[list, list[str], str, int, Any]:
    """One page of the workspace's outputs: (thumbnails with captions, their ids, a count line, the
    page, the page's items to tick for a download)."""
    store = workspace(request).store
    kind = KIND_CHOICES.get(kind_label)
    query = (query or "")[:200]
    page = max(1, int(page or 1))
    outs, total = store.page(kind, query, (page - 1) * PAGE, PAGE)
    pages = max(1, -(-total // PAGE))
    if page > pages:  # the last page emptied (a delete): show the one before
        page = pages
        outs, total = store.page(kind, query, (page - 1) * PAGE, PAGE)
    captions = [f"{o.title} · {o.created_text()}" for o in outs]
    items = list(zip([str(o.thumb) for o in outs], captions))
    if total:
        note = f"{total} item{'s' if total != 1 else ''}" + (f" · page {page} of {pages}" if pages > 1 else "")
    elif query or kind:
        note = "Nothing matches. Try another word or show everything."
    else:
        note = "Nothing here yet: make something in another tab and it appears here."
    chooser = gr.CheckboxGroup(choices=[(c[:60], o.id) for c, o in zip(captions, outs)], value=[])
    return items, [o.id for o in outs], note, page, chooser


def hidden_detail(n_reopen: int) -> tuple:
    """Updates that close the detail panel."""
    return (
        gr.Column(visible=False),
        "",
        "",
        gr.Image(visible=False, value=None),
        gr.Audio(visible=False, value=None),
        gr.Textbox(visible=False, value=""),
        None,
        None,
        gr.Row(visible=False),
        "",
        *[gr.Button(visible=False) for _ in range(n_reopen)],
    )


def show_detail(out: Output, reopen: dict[str, Any]) -> tuple:
    """Updates that open the detail panel on one output, offering the tabs that can reopen it."""
    fits = reopen_fits(out.recipe, reopen)
    repeatable = " · remakes exactly" if replay.exact(out.recipe) else ""
    return (
        gr.Column(visible=True),
        out.id,
        f"### {out.title}\n{out.created_text()} · {summarize(out.recipe)}{repeatable}",
        gr.Image(visible=out.kind == "image", value=str(out.path) if out.kind == "image" else None),
        gr.Audio(visible=out.kind == "sound", value=str(out.path) if out.kind == "sound" else None),
        gr.Textbox(
            visible=out.kind == "text", value=recipes.read_text(out.path)[:100_000] if out.kind == "text" else ""
        ),
        out.recipe,
        str(out.path),
        gr.Row(visible=False),
        "",
        *[gr.Button(visible=f) for f in fits],
    )


def reopen_fits(recipe: dict, reopen: dict[str, Any]) -> list[bool]:
    """For each tab, whether it can reopen an output with this recipe."""
    return [recipe.get("engine") == engine and bool(restorer.accepts(recipe)) for engine, restorer in reopen.items()]


def remove(oid: str | None, request: gr.Request | None = None) -> str:
    """Delete one output of the caller's workspace."""
    if oid:
        workspace(request).store.delete(oid)
        return "Deleted."
    return ""


@friendly
def what_made(path: str | None) -> tuple[str, dict | None]:
    """The recipe an Atelier file carries, and a line about it."""
    if not path:
        return "", None
    found_recipe = recipes.read(path)
    return summarize(found_recipe), found_recipe


def what_made_buttons(path: str | None) -> list:
    """'Open in <tab>' buttons for a dropped file, shown where its tab can reopen it."""
    try:
        rec = recipes.read(path) if path else {}
    except (recipes.RecipeError, OSError, ValueError):
        rec = {}
    return [gr.Button(visible=f) for f in reopen_fits(rec, RESTORERS)]


def reopen_file(engine: str, path: str | None, request: gr.Request | None = None) -> list:
    """'Open in <tab>' for a file dropped into What made this?."""
    if not path:
        raise ValueError("Drop an Atelier file first.")
    return [*_call_restorer(RESTORERS[engine], str(path), request), gr.Tabs(selected=engine)]


def remake_note(result: dict | None) -> tuple[Any, str]:
    """Show the remade file and say whether it is identical to the kept one."""
    return gr.File(visible=bool(result)), (result or {}).get("note", "")


@friendly
def gallery_items(
    kind: str = "all", query: str = "", page: int = 1, per_page: int = 100, request: gr.Request | None = None
) -> list[dict]:
    """Your outputs newest first as dicts (id, kind, title, created, file, recipe); kind: all, image,
    sound, text; `page` counts from 1 with `per_page` items (at most 500)."""
    k = None if kind in ("", "all", None) else kind
    per_page = max(1, min(int(per_page or 100), 500))
    outs, _total = workspace(request).store.page(k, query or "", (max(1, int(page or 1)) - 1) * per_page, per_page)
    return [
        {"id": o.id, "kind": o.kind, "title": o.title, "created": o.created, "file": str(o.path), "recipe": o.recipe}
        for o in outs
    ]


@friendly
def gallery_delete(output_id: str, request: gr.Request | None = None) -> str:
    """Delete one of your outputs by id; returns a confirmation line."""
    workspace(request).store.delete(output_id)
    return f"deleted {output_id}"


def newer_page(kind_label: str, query: str, page: int, request: gr.Request | None = None) -> tuple:
    """The page before this one (newer outputs)."""
    return gallery_list(kind_label, query, int(page or 1) - 1, request)


def older_page(kind_label: str, query: str, page: int, request: gr.Request | None = None) -> tuple:
    """The page after this one (older outputs)."""
    return gallery_list(kind_label, query, int(page or 1) + 1, request)


def pick(ids: list[str], evt: gr.SelectData, request: gr.Request | None = None) -> tuple:
    """A thumbnail was clicked: open its detail panel."""
    if evt.index is None or not (0 <= int(evt.index) < len(ids)):
        return hidden_detail(len(RESTORERS))
    return show_detail(workspace(request).store.get(ids[int(evt.index)]), RESTORERS)


def delete_and_list(
    oid: str | None, kind_label: str, query: str, page: int, request: gr.Request | None = None
) -> tuple:
    """Delete the open output, then show the page again with the detail panel closed."""
    note = remove(oid, request)
    if note:
        gr.Info(note)
    return (*gallery_list(kind_label, query, page, request), *hidden_detail(len(RESTORERS)))


def reopen_in(engine: str, oid: str | None, request: gr.Request | None = None) -> list:
    """'Open in <tab>': restore the tab's controls from the output's recipe and switch to the tab."""
    return [*_restore(RESTORERS[engine], oid, request), gr.Tabs(selected=engine)]


def _restore(restorer: Any, oid: str | None, request: gr.Request | None) -> list:
    """Reopen output `oid` of the caller's workspace in its tab with the tab's restorer."""
    if not oid:
        return [gr.update()] * len(restorer.outputs)
    return _call_restorer(restorer, str(workspace(request).store.get(oid).path), request)


def _call_restorer(restorer: Any, path: str, request: gr.Request | None) -> list:
    if "request" in inspect.signature(restorer.fn).parameters:
        return restorer.fn(path, request=request)
    return restorer.fn(path)


# ---------------------------------------------------------------------------------- layout
def _layout_browser() -> SimpleNamespace:
    with gr.Row(equal_height=True):
        kind = gr.Radio(list(KIND_CHOICES), value="All", label="Show", elem_id="gallery-kind", scale=2)
        query = gr.Textbox(label="Find", placeholder="engine, seed, prompt, title…", elem_id="gallery-query", scale=3)
        refresh = gr.Button("Refresh", elem_id="gallery-refresh", scale=1)
    with gr.Row(equal_height=True):
        count = gr.Markdown(elem_id="gallery-count")
        prev = gr.Button("◀ Newer", elem_id="gallery-prev", scale=0, min_width=90, size="sm")
        nxt = gr.Button("Older ▶", elem_id="gallery-next", scale=0, min_width=90, size="sm")
    grid = gr.Gallery(
        label="Your work, newest first",
        show_label=False,
        columns=5,
        height="auto",
        allow_preview=False,
        object_fit="contain",
        elem_id="gallery-grid",
        format="png",
    )
    with gr.Accordion("Download several", open=False, elem_id="gallery-choose-panel"):
        chooser = gr.CheckboxGroup([], label="Tick the outputs to download (this page)", elem_id="gallery-choose")
        with gr.Row():
            choose_all = gr.Button("Tick all on this page", size="sm", elem_id="gallery-choose-all")
            download_chosen = gr.Button(
                "Download the ticked ones (zip with recipes)", size="sm", elem_id="gallery-download-chosen"
            )
        chosen_file = gr.File(label="Your zip", interactive=False, elem_id="gallery-chosen-file", height=60)
    return SimpleNamespace(
        kind=kind,
        query=query,
        refresh=refresh,
        count=count,
        prev=prev,
        next=nxt,
        grid=grid,
        chooser=chooser,
        choose_all=choose_all,
        download_chosen=download_chosen,
        chosen_file=chosen_file,
    )


def _layout_detail(engines: list[str]) -> SimpleNamespace:
    with gr.Column(visible=False, elem_id="gallery-detail") as detail:
        title = gr.Markdown(elem_id="gallery-title")
        selected = gr.Textbox(visible=False, elem_id="gallery-selected", label="Output id")
        image = gr.Image(visible=False, interactive=False, type="filepath", label="Picture", height=320)
        audio = gr.Audio(visible=False, interactive=False, type="filepath", label="Sound")
        text = gr.Textbox(visible=False, interactive=False, lines=8, label="Text")
        reopen = {
            engine: gr.Button(
                f"Open in {engine.capitalize()} with these settings",
                visible=False,
                variant="primary",
                elem_id=f"gallery-open-{engine}",
            )
            for engine in engines
        }
        download = gr.File(label="Download (carries its recipe)", interactive=False, height=60)
        with gr.Row():
            remake = gr.Button("Remake from its recipe", size="sm", elem_id="gallery-remake")
            delete = gr.Button("Delete…", variant="stop", elem_id="gallery-delete", size="sm")
        remake_note = gr.Markdown(elem_id="gallery-remake-note")
        remade = gr.File(label="Remade", interactive=False, height=60, elem_id="gallery-remade", visible=False)
        replayed = gr.JSON(visible=False, elem_id="gallery-replay-result")
        with gr.Row(visible=False) as confirm:
            yes = gr.Button("Yes, delete it for good", variant="stop", elem_id="gallery-delete-yes")
            no = gr.Button("Keep it", elem_id="gallery-delete-no")
        with gr.Accordion("Recipe", open=False):
            recipe_view = gr.JSON(label="Recipe", elem_id="gallery-recipe")
    return SimpleNamespace(
        detail=detail,
        selected=selected,
        title=title,
        image=image,
        audio=audio,
        text=text,
        reopen=reopen,
        download=download,
        recipe=recipe_view,
        delete=delete,
        confirm=confirm,
        yes=yes,
        no=no,
        remake=remake,
        remake_note=remake_note,
        remade=remade,
        replayed=replayed,
    )


def _layout_extras(engines: list[str]) -> SimpleNamespace:
    with gr.Accordion("What made this?", open=False, elem_id="whatmade"):
        gr.Markdown("Drop a picture, sound or text made in Atelier to read the recipe it carries.")
        with gr.Row():
            upload = gr.File(
                label="An Atelier file (.png, .wav, .txt, .gif)",
                file_types=[".png", ".wav", ".txt", ".gif"],
                elem_id="whatmade-file",
            )
            with gr.Column():
                found_summary = gr.Markdown(elem_id="whatmade-summary")
                reopen = {
                    engine: gr.Button(
                        f"Open in {engine.capitalize()} with these settings",
                        visible=False,
                        variant="primary",
                        elem_id=f"whatmade-open-{engine}",
                    )
                    for engine in engines
                }
                found = gr.JSON(label="Recipe in the file", elem_id="whatmade-recipe")
    with gr.Accordion("Your workspace", open=False, elem_id="gallery-workspace"):
        ws_note = gr.Markdown(elem_id="gallery-workspace-note")
        with gr.Row():
            export_btn = gr.Button("Download my workspace (zip)", elem_id="gallery-export")
            export_file = gr.File(label="Your workspace", interactive=False, elem_id="gallery-export-file", height=60)
            import_file = gr.File(label="Bring back a workspace zip", file_types=[".zip"], elem_id="gallery-import")
        import_note = gr.Markdown(elem_id="gallery-import-note")
    return SimpleNamespace(
        upload=upload,
        found_summary=found_summary,
        found=found,
        reopen=reopen,
        ws_note=ws_note,
        export_btn=export_btn,
        export_file=export_file,
        import_file=import_file,
        import_note=import_note,
    )


def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Gallery and wire its events (the tabs before it have offered their restorers)."""
    RESTORERS.clear()
    RESTORERS.update(ctx.restorers)
    how_it_works(HELP)
    with gr.Row(elem_classes=["atelier-split"]):
        with gr.Column(scale=3):
            ui = _layout_browser()
        with gr.Column(scale=2, elem_classes=["atelier-output"]):
            detail = _layout_detail(list(ctx.restorers))
    extras = _layout_extras(list(ctx.restorers))
    _wire(ctx, tab, ui, detail, extras)


def _wire(ctx: StudioContext, tab: gr.Tab, ui: SimpleNamespace, d: SimpleNamespace, x: SimpleNamespace) -> None:
    shown, page = gr.State([]), gr.State(1)
    detail_outputs = [
        d.detail,
        d.selected,
        d.title,
        d.image,
        d.audio,
        d.text,
        d.recipe,
        d.download,
        d.confirm,
        d.remake_note,
        *d.reopen.values(),
    ]
    list_outputs = [ui.grid, shown, ui.count, page, ui.chooser]
    quiet = dict(api_visibility="private", show_progress="hidden")

    gr.on(
        [ui.refresh.click, ui.kind.change, ui.query.submit, tab.select, ctx.demo.load],
        friendly(gallery_list),
        [ui.kind, ui.query],
        list_outputs,
        api_name="gallery_list",
        show_progress="hidden",
        trigger_mode="always_last",
    )
    ui.prev.click(friendly(newer_page), [ui.kind, ui.query, page], list_outputs, **quiet)
    ui.next.click(friendly(older_page), [ui.kind, ui.query, page], list_outputs, **quiet)
    ui.grid.select(friendly(pick), shown, detail_outputs, **quiet)
    ui.choose_all.click(lambda ids: ids, shown, ui.chooser, **quiet)
    ui.download_chosen.click(gallery_download, ui.chooser, ui.chosen_file, api_name="gallery_download")
    d.delete.click(lambda: gr.Row(visible=True), None, d.confirm, **quiet)
    d.no.click(lambda: gr.Row(visible=False), None, d.confirm, **quiet)
    d.yes.click(
        friendly(delete_and_list), [d.selected, ui.kind, ui.query, page], list_outputs + detail_outputs, **quiet
    )
    d.remake.click(gallery_replay, d.selected, [d.remade, d.replayed], api_name="gallery_replay").then(
        remake_note, d.replayed, [d.remade, d.remake_note], **quiet
    )
    x.upload.change(what_made, x.upload, [x.found_summary, x.found], api_name="gallery_recipe").then(
        what_made_buttons, x.upload, list(x.reopen.values()), **quiet
    )
    for engine, button in d.reopen.items():
        outputs = [*ctx.restorers[engine].outputs, ctx.tabs]
        button.click(friendly(reopen_in), [gr.State(engine), d.selected], outputs, api_visibility="private")
        x.reopen[engine].click(friendly(reopen_file), [gr.State(engine), x.upload], outputs, api_visibility="private")
    gr.on([tab.select, ctx.demo.load], workspace_note, None, x.ws_note, **quiet)
    x.export_btn.click(gallery_export, None, x.export_file, api_name="gallery_export")
    x.import_file.upload(gallery_import, x.import_file, x.import_note, api_name="gallery_import").then(
        friendly(gallery_list), [ui.kind, ui.query], list_outputs, **quiet
    )
    gr.api(gallery_items, api_name="gallery_items")
    gr.api(gallery_delete, api_name="gallery_delete")
