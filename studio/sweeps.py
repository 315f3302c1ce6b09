"""The Sweep panel every tab offers: pick two of the tab's controls, type the values for each
(`0.2, 0.5, 0.8` or `0:1:5` for five steps from 0 to 1), and get every pair as a grid. The tab
supplies the axis names and the function that makes one cell; `engines/sweep.py` does the rest."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from engines import sweep

HELP = (
    f"Choose two controls and their values: a list (`0.2, 0.5, 0.8`), or `start:stop:count` (`-2:2:5`). "
    f"At most {sweep.MAX_CELLS} cells. Click a cell to open it in the tab with those values."
)


def panel(
    prefix: str, axes: list[str], x: tuple[str, str], y: tuple[str, str], kind: str = "picture"
) -> SimpleNamespace:
    """The panel's components: axis pickers and values, Run and Stop, progress, and the result
    (a picture grid, a sound track plus per-cell players, or a table of texts, by `kind`)."""
    with gr.Accordion(
        "Sweep: see a control's whole range at once", open=False, elem_id=f"{prefix}-sweep-panel"
    ) as accordion:
        gr.Markdown(HELP)
        with gr.Row():
            x_axis = gr.Dropdown(
                axes, value=x[0], label="Across (X)", allow_custom_value=True, elem_id=f"{prefix}-sweep-x"
            )
            x_values = gr.Textbox(value=x[1], label="X values", elem_id=f"{prefix}-sweep-x-values")
            y_axis = gr.Dropdown(
                axes, value=y[0], label="Down (Y)", allow_custom_value=True, elem_id=f"{prefix}-sweep-y"
            )
            y_values = gr.Textbox(value=y[1], label="Y values", elem_id=f"{prefix}-sweep-y-values")
        with gr.Row():
            run = gr.Button("Run the sweep", variant="primary", elem_id=f"{prefix}-sweep-run")
            stop = gr.Button("Stop", variant="stop", elem_id=f"{prefix}-sweep-stop")
        status = gr.Markdown(elem_id=f"{prefix}-sweep-status")
        grid = gr.Image(
            type="pil",
            format="png",
            label="Sweep",
            interactive=False,
            visible=kind == "picture",
            elem_id=f"{prefix}-sweep-grid",
        )
        track = gr.Audio(
            label="Every cell in turn", interactive=False, visible=kind == "sound", elem_id=f"{prefix}-sweep-track"
        )
        table = gr.Dataframe(
            label="Sweep", interactive=False, visible=kind == "text", wrap=True, elem_id=f"{prefix}-sweep-table"
        )
        cells = gr.Gallery(
            label="Cells (click one to open it in the tab)",
            columns=5,
            height="auto",
            allow_preview=False,
            object_fit="contain",
            elem_id=f"{prefix}-sweep-cells",
            format="png",
            visible=kind != "text",
        )
        kept = gr.File(label="Kept in the Gallery", interactive=False, elem_id=f"{prefix}-sweep-kept", height=60)
    return SimpleNamespace(
        panel=accordion,
        x_axis=x_axis,
        x_values=x_values,
        y_axis=y_axis,
        y_values=y_values,
        run=run,
        stop=stop,
        status=status,
        grid=grid,
        track=track,
        table=table,
        cells=cells,
        kept=kept,
    )
