"""The Words tab's layout (small functions that each lay out one part of the tab and return its
components, wired in `studio.words._wire`), the caller's models, and the handlers that turn a recipe
back into every control: reopening, the history strip and the sweep (its cells open in the tab)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pandas as pd

from engines import limits
from engines import recipe as recipes
from engines import sweep as sweeps
from engines.jobs import StopToken
from engines.words import service, writer
from engines.words import sweep as words_sweep
from engines.words.data import MIN_CHARS
from engines.words.service import WriteSettings
from studio import common, history
from studio import sweeps as sweep_panel_layout
from studio.common import friendly

NAME = "words"
N_SLIDERS = writer.N_SLIDERS
GPT_WHAT, VAE_WHAT = "Transformer", "line model (RNN-VAE)"
EXAMPLE_A = "Shall I compare thee to a summer's day?"
EXAMPLE_B = "The quality of mercy is not strained."
TRAIN_KINDS = ("Transformer (writes on)", "RNN-VAE (lines)")
TRAIN_STARTS = ("from scratch", "from the selected model")


# ------------------------------------------------------------------ the caller's models
def models(kind: str, request: gr.Request | None) -> dict[str, Path]:
    """The bundled models of one kind ('gpt' or 'vae') and the caller's own."""
    return writer.available_models(common.workspace(request).engine_models_dir(NAME), kind)


def writer_for(label: str | None, request: gr.Request | None) -> writer.Writer:
    """The Transformer a label names, among those the caller may use."""
    return writer.load_writer(common.pick_model(models("gpt", request), label, GPT_WHAT))


def line_model_for(label: str | None, request: gr.Request | None) -> writer.LineModel:
    """The line model (RNN-VAE) a label names, among those the caller may use."""
    return writer.load_line_model(common.pick_model(models("vae", request), label, VAE_WHAT))


def initial(kind: str) -> dict[str, Path]:
    """The models the page opens with: a local studio's own and bundled; a shared one's bundled only
    (each visitor's own appear when the tab opens)."""
    own = None if common.studio().shared else common.studio().workspaces.local.engine_models_dir(NAME)
    return writer.available_models(own, kind)


def first_line_model() -> writer.LineModel | None:
    """The line model the page opens with (its slider names and ranges label the sliders)."""
    first = initial("vae")
    return writer.load_line_model(next(iter(first.values()))) if first else None


def writing_controls() -> SimpleNamespace:
    """The controls column: model, prompt, length, sampling, seed (and its 'new seed each time'
    switch), stop sequences."""
    first = initial("gpt")
    with gr.Row():
        model = gr.Dropdown(
            list(first),
            value=next(iter(first), None),
            label="Transformer",
            elem_id="words-model",
            scale=3,
            allow_custom_value=True,
        )
        refresh = gr.Button("↻", scale=0, min_width=40, elem_id="words-models-refresh")
    prompt = gr.Textbox(
        value="ROMEO:\n",
        lines=4,
        label="Prompt",
        elem_id="words-prompt",
        max_length=service.MAX_PROMPT_CHARS,
        placeholder="Begin a line, a speech, a poem… (or leave empty)",
    )
    length = gr.Slider(1, 2000, value=400, step=1, label="Length (characters)", elem_id="words-length")
    with gr.Row():
        temperature = gr.Slider(
            *service.TEMPERATURE, value=0.8, step=0.05, label="Temperature", elem_id="words-temperature"
        )
        top_p = gr.Slider(*service.TOP_P, value=0.95, step=0.01, label="Top-p", elem_id="words-top-p")
    with gr.Row():
        top_k = gr.Slider(*service.TOP_K, value=0, step=1, label="Top-k (0 = off)", elem_id="words-top-k")
        penalty = gr.Slider(*service.PENALTY, value=1.0, step=0.05, label="Repetition penalty", elem_id="words-penalty")
    with gr.Row(equal_height=True):
        seed = gr.Number(
            value=1, precision=0, minimum=0, maximum=limits.MAX_SEED, label="Seed", elem_id="words-seed", scale=2
        )
        dice = gr.Button("🎲", elem_id="words-dice", scale=0, min_width=50)
        fresh = gr.Checkbox(
            value=True,
            label="New seed each time",
            elem_id="words-new-seed",
            scale=1,
            info="Off: Write uses the seed shown",
        )
    stop_at = gr.Textbox(
        value="",
        label="Stop at (comma-separated)",
        elem_id="words-stop",
        placeholder="\\n\\n, THE END",
        max_length=service.MAX_STOP_CHARS,
    )
    return SimpleNamespace(
        model=model,
        refresh=refresh,
        prompt=prompt,
        length=length,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        penalty=penalty,
        seed=seed,
        dice=dice,
        fresh=fresh,
        stop_at=stop_at,
    )


def writing_output() -> SimpleNamespace:
    """The output column: Write and Stop, the written text, Keep and the kept file, the history strip."""
    with gr.Row():
        write = gr.Button("Write", variant="primary", elem_id="words-write")
        stop = gr.Button("Stop", elem_id="words-stop-writing")
    output = gr.Textbox(
        lines=18,
        max_lines=40,
        label="Written",
        elem_id="words-output",
        interactive=False,
        buttons=["copy"],
        elem_classes=["atelier-main-output"],
    )
    notes = gr.Markdown(elem_id="words-notes", elem_classes=["atelier-secondary"])
    keep = gr.Button("Keep (save to Gallery)", variant="primary", elem_id="words-keep")
    kept = gr.File(
        label="Download TXT with recipe",
        interactive=False,
        elem_id="words-kept",
        height=80,
        elem_classes=["atelier-secondary"],
    )
    strip, entries = history.strip("words-history")
    return SimpleNamespace(
        write=write, stop=stop, output=output, notes=notes, keep=keep, kept=kept, strip=strip, entries=entries
    )


def morph_panel() -> SimpleNamespace:
    """Morph between two lines (RNN-VAE)."""
    first = initial("vae")
    with gr.Accordion("Morph between two lines (RNN-VAE)", open=False, elem_id="words-morph-panel"):
        with gr.Row():
            vae = gr.Dropdown(
                list(first),
                value=next(iter(first), None),
                label="Line model",
                elem_id="words-vae-model",
                allow_custom_value=True,
            )
            steps = gr.Slider(2, 20, value=8, step=1, label="Steps", elem_id="words-morph-steps")
            path = gr.Radio(["straight", "spherical"], value="straight", label="Path", elem_id="words-morph-path")
            decoding = gr.Radio(
                ["likeliest", "sampled"], value="likeliest", label="Decoding", elem_id="words-morph-decode"
            )
        with gr.Row():
            line_a = gr.Textbox(value=EXAMPLE_A, label="From", elem_id="words-line-a")
            line_b = gr.Textbox(value=EXAMPLE_B, label="To", elem_id="words-line-b")
        morph = gr.Button("Morph", variant="primary", elem_id="words-morph-btn")
        poem = gr.Textbox(
            lines=10, label="The path, as a poem", interactive=False, elem_id="words-poem", buttons=["copy"]
        )
    return SimpleNamespace(
        vae=vae, steps=steps, path=path, decoding=decoding, line_a=line_a, line_b=line_b, morph=morph, poem=poem
    )


def slider_updates(m: writer.LineModel | None, values: list[float] | None = None) -> list:
    """The eight line sliders named by what they change and limited to their readable range."""
    names = m.slider_names() if m else [f"Direction {i + 1}" for i in range(writer.N_SLIDERS)]
    reach = m.slider_ranges() if m else [writer.DEFAULT_RANGE] * writer.N_SLIDERS
    values = values or [0.0] * writer.N_SLIDERS
    return [
        gr.update(minimum=-r, maximum=r, value=max(-r, min(r, float(v))), label=f"{i + 1}. {n}")
        for i, (n, r, v) in enumerate(zip(names, reach, values))
    ]


def sliders_panel() -> SimpleNamespace:
    """Line sliders (RNN-VAE), named by what they change, with the hidden latent a script may set."""
    m = first_line_model()
    names = m.slider_names() if m else [f"Direction {i + 1}" for i in range(writer.N_SLIDERS)]
    reach = m.slider_ranges() if m else [writer.DEFAULT_RANGE] * writer.N_SLIDERS
    with gr.Accordion("Line sliders (RNN-VAE)", open=False, elem_id="words-sliders-panel"):
        gr.Markdown(
            "Each slider is named by what it was measured to change; it goes only as far as lines stay readable."
        )
        with gr.Row():
            base_line = gr.Textbox(value=EXAMPLE_A, label="Start from this line", elem_id="words-base-line", scale=3)
            encode = gr.Button("Use this line", elem_id="words-encode", scale=1)
            surprise_btn = gr.Button("🎲 Surprise me", elem_id="words-surprise", scale=1)
        sliders = [
            gr.Slider(-r, r, value=0, step=0.05, label=f"{i + 1}. {n}", elem_id=f"words-dir-{i}")
            for i, (n, r) in enumerate(zip(names, reach))
        ]
        with gr.Row():
            line = gr.Textbox(label="The line now", interactive=False, elem_id="words-slider-line", scale=4)
            keep_line = gr.Button("Keep this line", elem_id="words-keep-line", scale=1)
        kept_line = gr.File(label="Kept line", interactive=False, elem_id="words-kept-line", height=60)
    base = gr.JSON(value=[], visible=False, label="Line latent")  # an input of /words_line for scripts
    return SimpleNamespace(
        base_line=base_line,
        encode=encode,
        surprise=surprise_btn,
        sliders=sliders,
        line=line,
        base=base,
        keep_line=keep_line,
        kept_line=kept_line,
    )


def train_panel() -> SimpleNamespace:
    """Train on my own text (what the upload holds is shown before training starts)."""
    with gr.Accordion("Train on my own text", open=False, elem_id="words-train-panel"):
        gr.Markdown(
            f"Upload .txt or .md files (UTF-8), or paste text: at least {MIN_CHARS:,} characters and at most "
            f"{limits.MAX_TRAIN_TEXT_BYTES // 1_000_000} MB; a few hundred thousand characters give a voice of "
            "its own. Training saves as it goes; training again with the same name resumes. With a time "
            "limit, a Transformer from scratch first times a few steps and picks the size that fits it."
        )
        with gr.Row():
            files = gr.File(
                file_count="multiple", file_types=[".txt", ".md"], label="Your texts", elem_id="words-train-files"
            )
            pasted = gr.Textbox(lines=6, label="…or paste text here", elem_id="words-train-pasted")
        found = gr.Markdown(elem_id="words-train-found")
        with gr.Row():
            kind = gr.Radio(list(TRAIN_KINDS), value=TRAIN_KINDS[0], label="Train", elem_id="words-train-kind")
            name = gr.Textbox(value="my-words", label="Name of the new model", elem_id="words-train-name")
            start = gr.Radio(list(TRAIN_STARTS), value=TRAIN_STARTS[1], label="Start", elem_id="words-train-start")
            steps = gr.Slider(20, 20000, value=5000, step=10, label="Steps (at most)", elem_id="words-train-steps")
            minutes = gr.Number(value=0, label="Time limit in minutes (0 = none)", elem_id="words-train-minutes")
        with gr.Row():
            train = gr.Button("Start training", variant="primary", elem_id="words-train-btn")
            stop = gr.Button("Stop", variant="stop", elem_id="words-train-stop")
        status = gr.Markdown(elem_id="words-train-status")
        # full width, with a y title and rounded losses, so the y labels have room
        plot = gr.LinePlot(
            x="step",
            y="loss",
            color="split",
            height=260,
            label="Loss",
            elem_id="words-train-plot",
            y_title="loss (nats per character)",
            x_title="step",
        )
        sample = gr.Textbox(lines=8, label="What it writes now", interactive=False, elem_id="words-train-sample")
    return SimpleNamespace(
        files=files,
        pasted=pasted,
        found=found,
        kind=kind,
        name=name,
        start=start,
        steps=steps,
        minutes=minutes,
        train=train,
        stop=stop,
        status=status,
        plot=plot,
        sample=sample,
    )


def models_panel() -> SimpleNamespace:
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


def sweep_panel() -> SimpleNamespace:
    """The Sweep panel (a table of short texts) and the state holding the last sweep's recipe."""
    axes = words_sweep.axis_names(first_line_model())
    panel = sweep_panel_layout.panel(
        "words", axes, (words_sweep.TEMPERATURE, "0.3, 0.8, 1.2"), (words_sweep.SEED, "1, 2, 3"), kind="text"
    )
    panel.recipe = gr.State(None)
    return panel


# ------------------------------------------------------------------ recipes back into controls
RESTORED = (
    "model",
    "prompt",
    "length",
    "temperature",
    "top_k",
    "top_p",
    "penalty",
    "seed",
    "stop",
    "output",
    "vae",
    "from",
    "to",
    "steps",
    "path",
    "decoding",
    "poem",
    "base",
    *(f"slider{i}" for i in range(N_SLIDERS)),
    "line",
    "x_axis",
    "x_values",
    "y_axis",
    "y_values",
    "table",
    "sweep",
    "note",
)
"""What reopening sets, in the order of the Restorer's outputs (every kind sets its own part)."""


def recipe_updates(rec: dict, text: str, request: gr.Request | None, note: str = "") -> list:
    """Every control a Words recipe restores (the one function behind reopening, history and sweep
    cells), and the output it made; the rest left as they are."""
    if rec.get("engine") != NAME:
        raise ValueError("That recipe was not made by the Words tab.")
    kind, v = rec.get("kind"), service.controls_of(rec)
    got: dict = {"note": note}
    if kind == "writing" or (kind == "sweep" and rec.get("mode") != "line"):
        got.update(model=common.label_for_recipe(models("gpt", request), rec), **v)
        got["output"] = text if kind == "writing" else gr.update()
    else:
        vae_rec = {"model": rec.get("vae"), "checkpoint": rec.get("vae_checkpoint")} if kind == "sweep" else rec
        m = line_model_for(common.label_for_recipe(models("vae", request), vae_rec), request)
        got["vae"] = next(lbl for lbl, path in models("vae", request).items() if path == m.path)
        got.update({k: v[k] for k in ("from", "to", "steps", "path", "decoding", "seed") if k in v})
        if "sliders" in v:
            moved = slider_updates(m, v["sliders"])
            got.update(base=v["base"], **{f"slider{i}": u for i, u in enumerate(moved)})
        got["poem" if kind == "morph" else "line"] = text.rstrip("\n") if kind in ("morph", "line") else gr.update()
    if kind == "sweep":
        xa, ya = sweeps.axes_of(rec)
        got.update(
            x_axis=xa.name,
            x_values=", ".join(map(str, xa.values)),
            y_axis=ya.name,
            y_values=", ".join(map(str, ya.values)),
            sweep=rec,
            table=pd.DataFrame(rec.get("table") or [[]]) if rec.get("table") else gr.update(),
        )
    return [got.get(k, gr.update()) for k in RESTORED]


@friendly
def restore(path: str | None, request: gr.Request | None = None) -> list:
    """Reopen a kept Words output (a text, a morph, a line or a sweep): every control and the output."""
    if not path:
        return [gr.update()] * len(RESTORED)
    rec = recipes.read(path)
    note = f"Restored **{Path(path).name}**."
    return recipe_updates(rec, recipes.read_text(path), request, note)


@friendly
def history_pick(entries: list | None, evt: gr.SelectData, request: gr.Request | None = None) -> list:
    """A click on the history strip: that result's controls and output back (undo)."""
    rec = dict(history.picked(entries, evt))
    return recipe_updates(rec, str(rec.pop("shown", "")), request, "Back to an earlier result.")


# ------------------------------------------------------------------ sweep
_SWEEP_STOPS: dict[str, StopToken] = {}


@friendly
def words_sweep_run(
    model_label: str | None,
    prompt: str | None,
    length: float,
    temperature: float,
    top_k: float,
    top_p: float,
    penalty: float,
    seed: float | None,
    stop: str | None,
    vae_label: str | None,
    base: list | None,
    sliders: list,
    x_axis: str,
    x_values: str,
    y_axis: str,
    y_values: str,
    request: gr.Request | None = None,
) -> Iterator[tuple]:
    """A sweep over two of the tab's settings: a table of short texts (or lines), streamed cell by
    cell, kept in the Gallery with its recipe; yields (status, table, kept file, recipe)."""
    found = models("vae", request)
    m = writer.load_line_model(found[vae_label]) if vae_label in found else None
    xa, ya, mode = words_sweep.axes((x_axis, x_values), (y_axis, y_values), m)
    w = writer_for(model_label, request) if mode == "writing" else None
    s = WriteSettings.checked(prompt, length, temperature, top_k, top_p, penalty, seed, stop)
    base_settings = {
        "prompt": s.prompt,
        "length": min(s.length, words_sweep.CELL_CHARS),
        "temperature": s.temperature,
        "top_k": s.top_k,
        "top_p": s.top_p,
        "repetition_penalty": s.penalty,
        "seed": s.seed,
        "stop": list(s.stop),
        "base": base or None,
        "sliders": list(sliders),
    }
    ws = common.workspace(request)
    ws.check_room(64_000)
    token = _SWEEP_STOPS[ws.name] = StopToken()
    cells: list[sweeps.Cell] = []
    for ev in words_sweep.words_sweep(w, m, base_settings, xa, ya, token):
        cells = ev.cells
        yield f"**{ev.message}**", pd.DataFrame(sweeps.text_table(cells, xa, ya)), gr.update(), gr.update()
    rec = words_sweep.recipe(w, m, base_settings, xa, ya, mode)
    rec["table"] = sweeps.text_table(cells, xa, ya)
    out = service.keep(ws.store, words_sweep.as_text(cells, xa, ya), rec, f"Words sweep · {xa.name} × {ya.name}")
    yield (
        f"**Done**: {len(cells)} cells, kept in the Gallery. Click a cell to open it.",
        pd.DataFrame(rec["table"]),
        str(out.path),
        rec,
    )


def stop_sweep(request: gr.Request | None = None) -> str:
    """The sweep's Stop button: end this workspace's sweep after the cell being made."""
    token = _SWEEP_STOPS.get(common.workspace(request).name)
    if token is None:
        return "No sweep is running."
    token.stop()
    return "Stopping after this cell…"


@friendly
def open_cell(rec: dict | None, evt: gr.SelectData, request: gr.Request | None = None) -> list:
    """A click on a sweep's table: that cell's settings in the tab, and its text."""
    if not rec:
        raise ValueError("Run a sweep first.")
    row, col = (evt.index or [0, 0])[:2] if isinstance(evt.index, (list, tuple)) else (0, 0)
    if int(row) < 1 or int(col) < 1:
        raise ValueError("Click a cell with a text (not a heading).")
    cell = words_sweep.cell_at(rec, int(row) - 1, int(col) - 1)
    text = str((rec.get("table") or [])[int(row)][int(col)]) if rec.get("table") else ""
    line = rec.get("mode") == "line"
    if line:
        cell_rec = {
            "engine": NAME,
            "kind": "line",
            "model": rec.get("vae"),
            "checkpoint": rec.get("vae_checkpoint"),
            "base": cell.get("base"),
            "sliders": cell["sliders"],
        }
    else:
        cell_rec = {
            **cell,
            "engine": NAME,
            "kind": "writing",
            "model": rec.get("model"),
            "checkpoint": rec.get("checkpoint"),
        }
        text = cell["prompt"] + text
    return recipe_updates(cell_rec, text, request, "Opened a sweep cell.")
