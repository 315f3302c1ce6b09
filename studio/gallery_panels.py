"""The Gallery's layout in three pieces, each returning its components: the browser (filter, find,
pages, the grid, the several-at-once download), the detail panel of one output, and the extras
('What made this?' and the workspace's zip). `studio/gallery.py` wires them to its handlers."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

KIND_CHOICES = {"All": None, "Images": "image", "Sounds": "sound", "Texts": "text"}


def reopen_buttons(engines: list[str], prefix: str) -> dict[str, gr.Button]:
    """An 'Open in <tab>' button per tab that can reopen outputs, hidden until one fits."""
    return {
        engine: gr.Button(
            f"Open in {engine.capitalize()} with these settings",
            visible=False,
            variant="primary",
            elem_id=f"{prefix}-open-{engine}",
        )
        for engine in engines
    }


def browser() -> SimpleNamespace:
    """Show and Find, the pages, the grid of thumbnails, and ticking several to download."""
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


def detail(engines: list[str]) -> SimpleNamespace:
    """One output opened: it, its recipe, download, remake, delete (asked twice), reopen in its tab."""
    with gr.Column(visible=False, elem_id="gallery-detail") as detail:
        title = gr.Markdown(elem_id="gallery-title")
        selected = gr.Textbox(visible=False, elem_id="gallery-selected", label="Output id")
        image = gr.Image(visible=False, interactive=False, type="filepath", label="Picture", height=320)
        audio = gr.Audio(visible=False, interactive=False, type="filepath", label="Sound")
        text = gr.Textbox(visible=False, interactive=False, lines=8, label="Text")
        reopen = reopen_buttons(engines, "gallery")
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


def extras(engines: list[str]) -> SimpleNamespace:
    """'What made this?' for a dropped file, and the workspace's zip out and back."""
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
                reopen = reopen_buttons(engines, "whatmade")
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
