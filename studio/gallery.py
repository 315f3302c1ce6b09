"""Gallery tab: everything made in this workspace, newest first, a page at a time, with the recipe
that made it; the whole workspace goes out and comes back as one zip. Handlers first, then `build` and
the wiring; the layout is gallery_panels.py, the file handlers (remake, zips) gallery_files.py."""

from __future__ import annotations

import inspect
from types import SimpleNamespace
from typing import Any

import gradio as gr

from engines import recipe as recipes
from engines import replay
from engines.outputs import Output
from studio import gallery_panels as panels
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
    kind = panels.KIND_CHOICES.get(kind_label)
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


def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Gallery and wire its events (the tabs before it have offered their restorers)."""
    RESTORERS.clear()
    RESTORERS.update(ctx.restorers)
    how_it_works(HELP)
    with gr.Row(elem_classes=["atelier-split"]):
        with gr.Column(scale=3):
            ui = panels.browser()
        with gr.Column(scale=2, elem_classes=["atelier-output"]):
            detail = panels.detail(list(ctx.restorers))
    extras = panels.extras(list(ctx.restorers))
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
    ).then(workspace_note, None, x.ws_note, **quiet)  # the space it used is free again
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
    ).then(workspace_note, None, x.ws_note, **quiet)
    gr.api(gallery_items, api_name="gallery_items")
    gr.api(gallery_delete, api_name="gallery_delete")
