"""Assemble the studio: one gr.Tab per tab module that exists, a calm theme, a sane queue."""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402  (the analytics switch must be set before gradio loads)

from engines import tempfiles  # noqa: E402
from engines.settings import Settings, assets_dir  # noqa: E402
from studio import cachefix, pathfix, sessionfix, sliderfix  # noqa: E402
from studio.common import StudioContext, configure, page_closed, studio  # noqa: E402

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
/* gradio's line plots draw the legend (which curve is which) under the chart, past the block's fixed
   height, where it was cut off: the block keeps room for it and the chart fits above */
.block:has(.vega-embed) { padding-bottom: 2.8em !important; }
.vega-embed svg.marks { overflow: visible !important; }
/* Every tab: controls and output side by side (.atelier-split); the output stays in view while the
   controls scroll. Wide screens: the output column is sticky. Narrow screens: the main output comes
   first and stays pinned at the top (at most 40% of the screen) while the controls scroll beneath;
   the output's other parts (.atelier-secondary) follow the controls. */
.gradio-container { overflow: visible !important; overflow-x: clip !important; }
#atelier-tabs .tab-wrapper { z-index: 1100; }  /* the "More tabs" menu opens above a pinned output */
#gallery-grid .thumbnail-item { max-height: 200px; }  /* a few outputs stay thumbnails, not posters */
#paint-kept, #stylize-kept, #sound-kept, #words-kept { max-height: 120px; overflow: hidden; }
@media (min-width: 769px) {
  .atelier-split { align-items: flex-start !important; }
  .atelier-output { position: sticky; top: 8px; align-self: flex-start; z-index: 4;
                    max-height: calc(100vh - 16px); overflow-y: auto; flex-wrap: nowrap !important; }
}
@media (max-width: 768px) {
  .atelier-split { flex-direction: column !important; flex-wrap: nowrap !important; }
  .atelier-split > .atelier-output { display: contents !important; }
  .atelier-split > :not(.atelier-output) { order: 1; }
  .atelier-split > .atelier-output > * { order: 0; }
  .atelier-split > .atelier-output > .atelier-secondary { order: 2; }
  .atelier-split > .atelier-output > .atelier-main-output {
    position: sticky; top: 0; z-index: 1000; background: var(--background-fill-primary);
    box-shadow: 0 6px 8px -6px rgba(0, 0, 0, 0.25); max-height: 40vh; }
  .atelier-main-output img, .atelier-main-output canvas { max-height: 34vh !important; object-fit: contain; }
  .atelier-main-output textarea { max-height: 30vh; overflow-y: auto; }
  .atelier-main-output .image-container, .atelier-main-output .image-frame { max-height: 34vh !important; }
  .atelier-split > :not(.atelier-output) { max-width: 100%; min-width: 0 !important; }
  .tabitem .row:not(.atelier-split) { flex-wrap: wrap !important; }
  .tabitem .row:not(.atelier-split) > * { min-width: min(100%, 150px) !important; }
  .atelier-split .image-container { max-width: 100%; overflow: hidden; }
}
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


# The browser's workspace key: made once, kept in localStorage and a cookie, and sent as a header
# on the studio's own requests (cookies alone fail inside a Space's iframe). `?workspace=KEY` in the
# address adopts a key, e.g. to open the same workspace in another browser.
HEAD = r"""
<script>
(function () {
  var NAME = "atelier_ws", OK = /^[A-Za-z0-9_-]{16,128}$/;
  var key = null;
  try {
    var url = new URL(window.location.href), given = url.searchParams.get("workspace");
    key = (given && OK.test(given)) ? given : localStorage.getItem(NAME);
    if (!key || !OK.test(key)) {
      var bytes = new Uint8Array(24); crypto.getRandomValues(bytes);
      key = btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    }
    localStorage.setItem(NAME, key);
    if (given) { url.searchParams.delete("workspace"); history.replaceState(null, "", url.toString()); }
  } catch (e) {
    if (!key) {
      key = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now())
        .replace(/[^A-Za-z0-9]/g, "");
    }
  }
  var secure = location.protocol === "https:" ? "; SameSite=None; Secure" : "; SameSite=Lax";
  document.cookie = NAME + "=" + key + "; path=/; max-age=31536000" + secure;
  window.atelierWorkspace = key;
  var plainFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    try {
      var target = new URL(typeof input === "string" ? input : input.url, location.href);
      if (target.origin === location.origin) {
        init = init || {};
        var headers = new Headers(init.headers || (typeof input !== "string" && input.headers) || {});
        headers.set("X-Atelier-Workspace", key);
        init.headers = headers;
      }
    } catch (e) {}
    return plainFetch(input, init);
  };
})();
</script>
"""


def build_app(
    settings: Settings | None = None,
    *,
    shared: bool = False,
    quota_mb: float | None = 500,
    train_minutes: float | None = 20,
    trainings: int = 1,
    queue_size: int = 64,
) -> gr.Blocks:
    """Build the whole studio as a gr.Blocks (not launched). `shared`: every visitor gets a
    workspace of their own, with `quota_mb` of disk and trainings capped at `train_minutes`."""
    configure(settings, shared=shared, quota_mb=quota_mb, train_minutes=train_minutes, trainings=trainings)
    housekeeping()
    cachefix.install()
    pathfix.install()
    sessionfix.install()
    sliderfix.install()
    # gradio's cache: every 15 minutes, files older than an hour go
    with gr.Blocks(title="Atelier", delete_cache=(900, 3600)) as demo:
        ctx = StudioContext(demo=demo)
        with gr.Row(equal_height=True):
            gr.HTML(HEADER)
            if os.environ.get("OAUTH_CLIENT_ID"):  # a Space with Hugging Face sign-in: the account is the workspace
                gr.LoginButton(scale=0, min_width=200)
        with gr.Tabs(elem_id="atelier-tabs") as tabs:
            ctx.tabs = tabs
            for module in tab_modules():
                with gr.Tab(module.TITLE, id=module.NAME, elem_id=f"tab-{module.NAME}") as tab:
                    module.build(ctx, tab)
        demo.unload(page_closed)
    # Quick events run up to 4 at a time; long jobs use their own concurrency ids (limit 1),
    # so a training run never blocks a slider. A full queue answers at once.
    # gradio's monitoring summary is a pandas table of the last 10,000 events, rebuilt after every event
    # by default: O(history) work on each slider move of a long-running studio. Atelier shows no such
    # dashboard, so keep a short history and summarise it rarely (read when the queue is made).
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    demo.queue(default_concurrency_limit=4, max_size=queue_size)
    busy_answer(demo)
    return demo


BUSY = "The studio is busy: try again in a moment."


def busy_answer(demo: gr.Blocks) -> None:
    """A full queue refuses at once (503) with a sentence for the visitor instead of gradio's
    "Queue is full. Max size is 64 and size is 64." (browsers show their own busy line)."""
    queue = demo._queue
    push = queue.push

    async def push_or_busy(body: Any, request: Any, username: str | None) -> tuple[bool, Any, str]:
        ok, detail, state = await push(body, request, username)
        return ok, (BUSY if state == "queue_full" else detail), state

    queue.push = push_or_busy


def housekeeping() -> None:
    """At start: sweep the studio's temp folder, and in every workspace remove half-written files
    and give whole outputs that lost their record (a crash mid-save) a record again."""
    tempfiles.sweep()
    for ws in studio().workspaces.all():
        if ws.outputs_dir.is_dir():
            ws.store.recover()


def launch_kwargs(settings: Settings, max_upload_mb: int = 200) -> dict[str, Any]:
    """Arguments for `demo.launch` that belong to the studio rather than to the command line."""
    own = [settings.workspaces_dir] if studio().shared else [settings.outputs_dir, settings.models_dir]
    return {
        "theme": theme(),
        "css": CSS,
        "head": HEAD,
        # a shared studio serves only workspace folders, named by a hash of their key so that their
        # file URLs cannot be guessed; a local one serves its own outputs and models. Both serve what
        # ships with Atelier (sample pictures and styles, bundled models), wherever it is started from.
        "allowed_paths": [*map(str, own), str(assets_dir())],
        "max_file_size": f"{int(max_upload_mb)}mb",
        "footer_links": ["api", "settings"],
        "state_session_capacity": 1000,  # state of the oldest idle pages is dropped beyond this
    }
