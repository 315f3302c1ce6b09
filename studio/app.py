"""Assemble the studio: one gr.Tab per tab module that exists, a calm theme, a sane queue."""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402  (the analytics switch must be set before gradio loads)

from engines.outputs import OutputStore  # noqa: E402
from engines.settings import Settings  # noqa: E402
from studio import cachefix  # noqa: E402
from studio.common import StudioContext  # noqa: E402

TAB_ORDER = ("paint", "stylize", "sound", "words", "gallery")

HEADER = """
<div id="atelier-header">
  <h1>Atelier</h1>
  <p>Make pictures, sounds and words with small neural networks, on your own machine.
  Everything you make is kept in the Gallery with the recipe that made it.</p>
</div>
"""

CSS = """
#atelier-header h1 { font-family: 'Lora', Georgia, serif; font-weight: 600; margin: 0.2em 0 0; }
#atelier-header p { margin: 0.2em 0 0.6em; color: var(--body-text-color-subdued); }
.how-it-works { background: var(--background-fill-secondary); }
footer { opacity: 0.6; }
"""


def theme() -> gr.themes.Base:
    """A warm, quiet theme using fonts that ship inside gradio (nothing fetched from the web)."""
    return gr.themes.Soft(
        primary_hue=gr.themes.colors.orange,
        secondary_hue=gr.themes.colors.amber,
        neutral_hue=gr.themes.colors.stone,
        font=[gr.themes.LocalFont("IBM Plex Sans"), "ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono"), "ui-monospace", "monospace"],
    )


def tab_modules() -> list[ModuleType]:
    """The tab modules present in this build, in display order; a tab not built yet is absent."""
    found = []
    for name in TAB_ORDER:
        try:
            found.append(importlib.import_module(f"studio.{name}"))
        except ModuleNotFoundError as err:
            if err.name != f"studio.{name}":
                raise
    return found


def build_app(settings: Settings | None = None) -> gr.Blocks:
    """Build the whole studio as a gr.Blocks (not launched)."""
    settings = settings or Settings()
    store = OutputStore(settings.outputs_dir)
    cachefix.install()
    with gr.Blocks(title="Atelier") as demo:
        ctx = StudioContext(settings=settings, store=store, demo=demo)
        gr.HTML(HEADER)
        with gr.Tabs(elem_id="atelier-tabs") as tabs:
            ctx.tabs = tabs
            for module in tab_modules():
                with gr.Tab(module.TITLE, id=module.NAME, elem_id=f"tab-{module.NAME}") as tab:
                    module.build(ctx, tab)
    # Quick events run up to 4 at a time; long jobs use their own concurrency ids (limit 1),
    # so a training run never blocks a slider.
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo


def launch_kwargs(settings: Settings, max_upload_mb: int = 200) -> dict[str, Any]:
    """Arguments for `demo.launch` that belong to the studio rather than to the command line."""
    return {
        "theme": theme(),
        "css": CSS,
        "allowed_paths": [str(settings.outputs_dir), str(settings.models_dir)],
        "max_file_size": f"{int(max_upload_mb)}mb",
        "footer_links": ["api", "settings"],
    }
