"""Words tab: a small Transformer that writes after your prompt (streaming), an RNN-VAE that walks
from one line to another and edits a line with latent sliders, and training both on your own
text. Handlers first (plain functions, callable from tests), then the layout, then the wiring.
The checks, recipes and training set-up live in `engines.words.service`."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pandas as pd

from engines import checkpoints, limits
from engines import recipe as recipes
from engines.words import service, writer
from engines.words.data import MIN_CHARS
from engines.words.service import MorphSettings, WriteSettings
from engines.words.train import WordsEvent
from studio import common
from studio.common import Restorer, StudioContext, friendly, how_it_works

NAME = "words"
TITLE = "Words"
N_SLIDERS = writer.N_SLIDERS
assert N_SLIDERS == 8, "words_line takes eight direction sliders"
EXAMPLE_A = "Shall I compare thee to a summer's day?"
EXAMPLE_B = "The quality of mercy is not strained."
TRAIN_KINDS = ("Transformer (writes on)", "RNN-VAE (lines)")
TRAIN_STARTS = ("from scratch", "from the selected model")
GPT_WHAT, VAE_WHAT = "Transformer", "line model (RNN-VAE)"

HELP = f"""
Words writes with two small networks that read and write one character at a time.

- The **Transformer** continues your prompt in the voice it learned (the bundled one read
  Shakespeare's plays and poems). **Temperature** adds daring (0 = always the likeliest
  letter); **top-k** and **top-p** keep only the likeliest letters; the **repetition penalty**
  discourages loops; the same **seed** writes the same text again (🎲 draws a new one). **Stop at**
  ends the text before a word or mark you name (write a new line as `\\n`). Up to
  {writer.MAX_NEW:,} characters at a time (the slider goes to 2,000).
- The **RNN-VAE** squeezes a whole line into a few numbers (its *latent*). **Morph** walks the
  straight (or spherical) path between two lines and writes a line at each step; the **sliders**
  move a line along the ways lines differ most; **Surprise me** draws a line nobody wrote.
- **Keep** saves the text, with its recipe, to the Gallery (up to {limits.MAX_TEXT_CHARS:,} characters).
- **Train**: upload .txt or .md files (UTF-8) or paste text, at least {MIN_CHARS:,} characters and at
  most {limits.MAX_TRAIN_TEXT_BYTES // 1_000_000} MB.
"""


# ------------------------------------------------------------------ models of the caller
def _models(kind: str, request: gr.Request | None) -> dict[str, Path]:
    """The bundled models of one kind ('gpt' or 'vae') and the caller's own."""
    return writer.available_models(common.workspace(request).engine_models_dir(NAME), kind)


def _writer(label: str | None, request: gr.Request | None) -> writer.Writer:
    """The Transformer a label names, among those the caller may use."""
    return writer.load_writer(common.pick_model(_models("gpt", request), label, GPT_WHAT))


def _line_model(label: str | None, request: gr.Request | None) -> writer.LineModel:
    """The line model (RNN-VAE) a label names, among those the caller may use."""
    return writer.load_line_model(common.pick_model(_models("vae", request), label, VAE_WHAT))


def _initial(kind: str) -> dict[str, Path]:
    """The models the page opens with: a local studio's own and bundled; a shared one's bundled only
    (each visitor's own appear when the tab opens)."""
    own = None if common.studio().shared else common.studio().workspaces.local.engine_models_dir(NAME)
    return writer.available_models(own, kind)


# ------------------------------------------------------------------ writing
@friendly
def words_generate(model_label: str | None, prompt: str | None, length: float, temperature: float, top_k: float,
                   top_p: float, penalty: float, seed: float | None, stop: str | None,
                   request: gr.Request | None = None) -> Iterator[tuple[str, str]]:
    """Write after the prompt (temperature, top-k, top-p, repetition penalty, seed, stop sequences);
    streams (the prompt and the text so far, notes)."""
    s = WriteSettings.checked(prompt, length, temperature, top_k, top_p, penalty, seed, stop)
    w = _writer(model_label, request)
    note = " ".join(writer.prepare_prompt(w, s.prompt).notes)
    shown = s.prompt
    yield shown, note
    for chunk in s.stream(w):
        shown += chunk
        yield shown, note


@friendly
def words_keep(model_label: str | None, prompt: str | None, length: float, temperature: float, top_k: float,
               top_p: float, penalty: float, seed: float | None, stop: str | None, text: str | None,
               request: gr.Request | None = None) -> str:
    """Keep the written text with its recipe in the caller's Gallery; returns the kept file's path."""
    text = service.checked_text(text)  # first: an oversized text is refused before anything reads it
    s = WriteSettings.checked(prompt, length, temperature, top_k, top_p, penalty, seed, stop)
    w = _writer(model_label, request)
    ws = common.workspace(request)
    ws.check_room(len(text.encode("utf-8", errors="replace")) + 4096)
    out = service.keep(ws.store, text, service.writing_recipe(w, s, text), service.title_of(w.name, text))
    gr.Info("Kept in the Gallery.")
    return str(out.path)


def new_seed() -> int:
    """The dice: a fresh seed."""
    return random.randint(0, limits.MAX_SEED)


# ------------------------------------------------------------------ lines (RNN-VAE)
@friendly
def words_morph(vae_label: str | None, a: str | None, b: str | None, steps: float, path: str, decoding: str,
                seed: float | None, request: gr.Request | None = None) -> str:
    """Lines along the latent path from line A to line B, one per step, as a poem (kept in the Gallery)."""
    s = MorphSettings.checked(a, b, steps, path, decoding, seed)
    m = _line_model(vae_label, request)
    text = "\n".join(s.lines(m))
    ws = common.workspace(request)
    ws.check_room(len(text.encode("utf-8", errors="replace")) + 4096)
    service.keep(ws.store, text + "\n", s.recipe(m), f"{m.name} · {s.a[:24]} → {s.b[:24]}")
    return text


@common.live
@friendly
def words_line(vae_label: str | None, base: list | None, d1: float, d2: float, d3: float, d4: float, d5: float,
               d6: float, d7: float, d8: float, request: gr.Request | None = None) -> str:
    """The line at a latent (from 'Use this line', 'Surprise me' or a script; empty: the centre)
    moved by the eight direction sliders."""
    m = _line_model(vae_label, request)
    return service.line_at(m, base or None, [d1, d2, d3, d4, d5, d6, d7, d8])


@common.live
@friendly
def use_line(vae_label: str | None, line: str | None, request: gr.Request | None = None) -> tuple:
    """'Use this line': the line's latent, and every slider back to 0."""
    m = _line_model(vae_label, request)
    z = writer.encode_line(m, limits.text(line, "The line", limits.MAX_LINE_CHARS))
    return [round(float(x), 5) for x in z], *[0.0] * N_SLIDERS


@common.live
@friendly
def surprise(vae_label: str | None, request: gr.Request | None = None) -> tuple:
    """'Surprise me': a latent drawn from the prior with a new seed each press, sliders at 0."""
    m = _line_model(vae_label, request)
    return [round(float(x), 5) for x in writer.surprise(m, new_seed())], *[0.0] * N_SLIDERS


# ------------------------------------------------------------------ training
@friendly
def words_train(files: list | None, pasted: str | None, kind: str, name: str | None, start: str, steps: float,
                minutes: float | None, model_label: str | None, vae_label: str | None,
                request: gr.Request | None = None) -> Iterator[tuple]:
    """Train a Transformer or an RNN-VAE on uploaded or pasted text into the caller's workspace,
    through the studio's training queue; streams (status, losses, sample, both model lists)."""
    name = limits.text(name, "The model's name", 100).strip()
    pasted = limits.text(pasted, "The pasted text", limits.MAX_TRAIN_TEXT_BYTES)
    n_steps = limits.whole(steps, "The number of steps", 1, limits.MAX_TRAIN_STEPS)
    budget = common.budget_s(minutes)
    if kind not in TRAIN_KINDS or start not in TRAIN_STARTS:
        raise ValueError(f"Train one of: {', '.join(TRAIN_KINDS)}; start {' or '.join(TRAIN_STARTS)}.")
    vae, paths = kind == TRAIN_KINDS[1], [str(getattr(f, "name", f)) for f in files or []]
    service.check_training_text(paths, pasted)
    with common.training_ticket("Words training", name, request) as ticket:
        for line in common.wait_turn(ticket):
            yield line, gr.update(), gr.update(), gr.update(), gr.update()
        yield "Reading your text…", gr.update(), gr.update(), gr.update(), gr.update()
        ws = common.workspace(request)
        init = _models("vae" if vae else "gpt", request).get(vae_label if vae else model_label) \
            if start == TRAIN_STARTS[1] else None
        run = service.prepare_training(vae, paths, pasted, ws.engine_models_dir(NAME) / f"{name}.pt", init, n_steps,
                                       budget, ticket.stop_token, common.studio().device, name)
        ws.check_room(run.checkpoint_bytes)
        rows: list[dict] = []
        for ev in common.finish_on_close(run.events, ticket.stop_token):
            rows += _loss_rows(ev, vae)
            lists = _model_lists(request) if (ev.done or ev.checkpoint) else (gr.update(), gr.update())
            yield (_train_status(ev, name, run.described), pd.DataFrame(rows[-800:]), ev.sample, *lists)


def _loss_rows(ev: WordsEvent, vae: bool) -> list[dict]:
    """The loss plot's rows for one training event (none before the first step or for a NaN loss)."""
    if not ev.step or ev.train_loss != ev.train_loss:
        return []
    rows = [{"step": ev.step, "loss": ev.train_loss, "split": "training"}]
    if ev.val_loss is not None:
        rows.append({"step": ev.step, "loss": ev.val_loss, "split": "held-out KL" if vae else "held out"})
    return rows


def _train_status(ev: WordsEvent, name: str, described: str) -> str:
    """The status line under the Train button."""
    if ev.done:
        return f"**Done** ({ev.message or 'finished'}): step {ev.step}. The model **{name} (yours)** is in the list."
    return f"**{ev.message or 'training'}**: step {ev.step} of {ev.total} · {described} · {ev.seconds:.0f} s"


def _model_lists(request: gr.Request | None, gpt: str | None = None, vae: str | None = None) -> tuple:
    """Both model dropdowns refreshed with the caller's models (keeping a choice that still exists)."""
    out = []
    for kind, value in (("gpt", gpt), ("vae", vae)):
        found = list(_models(kind, request))
        out.append(gr.Dropdown(choices=found, value=value if value in found else (found[0] if found else None)))
    return tuple(out)


def stop_training(request: gr.Request | None = None) -> str:
    """The Stop button: stop this workspace's training, from whichever page started it."""
    return common.stop_training(request)


# ------------------------------------------------------------------ models and recipes
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
    gpt_list, vae_list = _model_lists(request, label if kind == "gpt" else None, label if kind == "vae" else None)
    return (gpt_list, gr.update(), note) if kind == "gpt" else (gr.update(), vae_list, note)


@friendly
def download_model(label: str | None, request: gr.Request | None = None) -> str:
    """The selected Transformer's file, for download."""
    return str(common.pick_model(_models("gpt", request), label, GPT_WHAT))


@friendly
def refresh_models(gpt_label: str | None, vae_label: str | None, request: gr.Request | None = None) -> tuple:
    """Both model lists as they are now in the caller's workspace."""
    return _model_lists(request, gpt_label, vae_label)


@friendly
def restore(path: str | None, request: gr.Request | None = None) -> list:
    """The writing controls from a text's recipe (a kept .txt), and a note."""
    if not path:
        return [gr.update()] * 10
    rec = recipes.read(path)
    if rec.get("engine") != NAME or rec.get("kind") != "writing":
        raise ValueError("That file's recipe was not made by the Words Transformer.")
    label = common.label_for_recipe(_models("gpt", request), rec)
    return [label, rec.get("prompt", ""), rec.get("length", 400), rec.get("temperature", 0.8), rec.get("top_k", 0),
            rec.get("top_p", 0.95), rec.get("repetition_penalty", 1.0), rec.get("seed", 0),
            service.stop_text(rec.get("stop", [])), f"Restored the controls from **{Path(path).name}**."]


# ------------------------------------------------------------------ layout
def _writing_controls() -> SimpleNamespace:
    """The controls column: model, prompt, length, sampling, seed, stop sequences."""
    first = _initial("gpt")
    with gr.Row():
        model = gr.Dropdown(list(first), value=next(iter(first), None), label="Transformer", elem_id="words-model",
                            scale=3, allow_custom_value=True)
        refresh = gr.Button("↻", scale=0, min_width=40, elem_id="words-models-refresh")
    prompt = gr.Textbox(value="ROMEO:\n", lines=4, label="Prompt", elem_id="words-prompt",
                        max_length=service.MAX_PROMPT_CHARS,
                        placeholder="Begin a line, a speech, a poem… (or leave empty)")
    length = gr.Slider(1, 2000, value=400, step=1, label="Length (characters)", elem_id="words-length")
    with gr.Row():
        temperature = gr.Slider(*service.TEMPERATURE, value=0.8, step=0.05, label="Temperature",
                                elem_id="words-temperature")
        top_p = gr.Slider(*service.TOP_P, value=0.95, step=0.01, label="Top-p", elem_id="words-top-p")
    with gr.Row():
        top_k = gr.Slider(*service.TOP_K, value=0, step=1, label="Top-k (0 = off)", elem_id="words-top-k")
        penalty = gr.Slider(*service.PENALTY, value=1.0, step=0.05, label="Repetition penalty", elem_id="words-penalty")
    with gr.Row(equal_height=True):
        seed = gr.Number(value=1, precision=0, minimum=0, maximum=limits.MAX_SEED, label="Seed", elem_id="words-seed",
                         scale=2)
        dice = gr.Button("🎲", elem_id="words-dice", scale=0, min_width=50)
        stop_at = gr.Textbox(value="", label="Stop at (comma-separated)", elem_id="words-stop", scale=3,
                             placeholder="\\n\\n, THE END", max_length=service.MAX_STOP_CHARS)
    return SimpleNamespace(model=model, refresh=refresh, prompt=prompt, length=length, temperature=temperature,
                           top_k=top_k, top_p=top_p, penalty=penalty, seed=seed, dice=dice, stop_at=stop_at)


def _writing_output() -> SimpleNamespace:
    """The output column: Write and Stop, the written text, Keep and the kept file."""
    with gr.Row():
        write = gr.Button("Write", variant="primary", elem_id="words-write")
        stop = gr.Button("Stop", elem_id="words-stop-writing")
    output = gr.Textbox(lines=18, max_lines=40, label="Written", elem_id="words-output", interactive=False,
                        buttons=["copy"], elem_classes=["atelier-main-output"])
    notes = gr.Markdown(elem_id="words-notes", elem_classes=["atelier-secondary"])
    keep = gr.Button("Keep (save to Gallery)", variant="primary", elem_id="words-keep")
    kept = gr.File(label="Download TXT with recipe", interactive=False, elem_id="words-kept", height=80,
                   elem_classes=["atelier-secondary"])
    return SimpleNamespace(write=write, stop=stop, output=output, notes=notes, keep=keep, kept=kept)


def _morph_panel() -> SimpleNamespace:
    """Morph between two lines (RNN-VAE)."""
    first = _initial("vae")
    with gr.Accordion("Morph between two lines (RNN-VAE)", open=False, elem_id="words-morph-panel"):
        with gr.Row():
            vae = gr.Dropdown(list(first), value=next(iter(first), None), label="Line model",
                              elem_id="words-vae-model", allow_custom_value=True)
            steps = gr.Slider(2, 20, value=8, step=1, label="Steps", elem_id="words-morph-steps")
            path = gr.Radio(["straight", "spherical"], value="straight", label="Path", elem_id="words-morph-path")
            decoding = gr.Radio(["likeliest", "sampled"], value="likeliest", label="Decoding",
                                elem_id="words-morph-decode")
        with gr.Row():
            line_a = gr.Textbox(value=EXAMPLE_A, label="From", elem_id="words-line-a")
            line_b = gr.Textbox(value=EXAMPLE_B, label="To", elem_id="words-line-b")
        morph = gr.Button("Morph", variant="primary", elem_id="words-morph-btn")
        poem = gr.Textbox(lines=10, label="The path, as a poem", interactive=False, elem_id="words-poem",
                          buttons=["copy"])
    return SimpleNamespace(vae=vae, steps=steps, path=path, decoding=decoding, line_a=line_a, line_b=line_b,
                           morph=morph, poem=poem)


def _sliders_panel() -> SimpleNamespace:
    """Line sliders (RNN-VAE), with the hidden latent a script may set."""
    with gr.Accordion("Line sliders (RNN-VAE)", open=False, elem_id="words-sliders-panel"):
        with gr.Row():
            base_line = gr.Textbox(value=EXAMPLE_A, label="Start from this line", elem_id="words-base-line", scale=3)
            encode = gr.Button("Use this line", elem_id="words-encode", scale=1)
            surprise_btn = gr.Button("🎲 Surprise me", elem_id="words-surprise", scale=1)
        sliders = [gr.Slider(-service.SLIDER, service.SLIDER, value=0, step=0.05, label=f"Direction {i + 1}",
                             elem_id=f"words-dir-{i}") for i in range(N_SLIDERS)]
        line = gr.Textbox(label="The line now", interactive=False, elem_id="words-slider-line")
    base = gr.JSON(value=[], visible=False, label="Line latent")  # an input of /words_line for scripts
    return SimpleNamespace(base_line=base_line, encode=encode, surprise=surprise_btn, sliders=sliders, line=line,
                           base=base)


def _train_panel() -> SimpleNamespace:
    """Train on my own text."""
    with gr.Accordion("Train on my own text", open=False, elem_id="words-train-panel"):
        gr.Markdown(f"Upload .txt or .md files (UTF-8), or paste text: at least {MIN_CHARS:,} characters and at most "
                    f"{limits.MAX_TRAIN_TEXT_BYTES // 1_000_000} MB; a few hundred thousand characters give a voice of "
                    "its own. Training saves as it goes; training again with the same name resumes.")
        with gr.Row():
            files = gr.File(file_count="multiple", file_types=[".txt", ".md"], label="Your texts",
                            elem_id="words-train-files")
            pasted = gr.Textbox(lines=6, label="…or paste text here", elem_id="words-train-pasted")
        with gr.Row():
            kind = gr.Radio(list(TRAIN_KINDS), value=TRAIN_KINDS[0], label="Train", elem_id="words-train-kind")
            name = gr.Textbox(value="my-words", label="Name of the new model", elem_id="words-train-name")
            start = gr.Radio(list(TRAIN_STARTS), value=TRAIN_STARTS[1], label="Start", elem_id="words-train-start")
            steps = gr.Slider(20, 20000, value=1000, step=10, label="Steps", elem_id="words-train-steps")
            minutes = gr.Number(value=0, label="Time limit in minutes (0 = none)", elem_id="words-train-minutes")
        with gr.Row():
            train = gr.Button("Start training", variant="primary", elem_id="words-train-btn")
            stop = gr.Button("Stop", variant="stop", elem_id="words-train-stop")
        status = gr.Markdown(elem_id="words-train-status")
        with gr.Row():
            plot = gr.LinePlot(x="step", y="loss", color="split", height=240, label="Loss", elem_id="words-train-plot")
            sample = gr.Textbox(lines=8, label="What it writes now", interactive=False, elem_id="words-train-sample")
    return SimpleNamespace(files=files, pasted=pasted, kind=kind, name=name, start=start, steps=steps,
                           minutes=minutes, train=train, stop=stop, status=status, plot=plot, sample=sample)


def _models_panel() -> SimpleNamespace:
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


def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Words tab and wire its events."""
    how_it_works(HELP)
    with gr.Row(elem_classes=["atelier-split"]):
        with gr.Column(scale=2):
            c = _writing_controls()
        with gr.Column(scale=3, elem_classes=["atelier-output"]):
            o = _writing_output()
    ui = SimpleNamespace(c=c, o=o, m=_morph_panel(), s=_sliders_panel(), t=_train_panel(), p=_models_panel())
    _wire(ctx, tab, ui)


# ------------------------------------------------------------------ wiring
def _wire(ctx: StudioContext, tab: gr.Tab, ui: SimpleNamespace) -> None:
    """Connect the events (api names and their parameter order are the scripts' contract)."""
    c, o, m, s, t, p = ui.c, ui.o, ui.m, ui.s, ui.t, ui.p
    gen_inputs = [c.model, c.prompt, c.length, c.temperature, c.top_k, c.top_p, c.penalty, c.seed, c.stop_at]
    writing = o.write.click(words_generate, gen_inputs, [o.output, o.notes], api_name="words_generate",
                            concurrency_id="words_write", concurrency_limit=2, show_progress="hidden")
    o.stop.click(None, None, None, cancels=[writing], api_visibility="private", queue=False)
    c.dice.click(new_seed, None, c.seed, api_visibility="private", show_progress="hidden")
    o.keep.click(words_keep, [*gen_inputs, o.output], o.kept, api_name="words_keep")
    m.morph.click(words_morph, [m.vae, m.line_a, m.line_b, m.steps, m.path, m.decoding, c.seed], m.poem,
                  api_name="words_morph", concurrency_id="words_write", concurrency_limit=2)
    live = dict(show_progress="hidden", concurrency_id="words_live", concurrency_limit=4)
    gr.on([sl.input for sl in s.sliders] + [s.base.change], words_line, [m.vae, s.base, *s.sliders], s.line,
          trigger_mode="always_last", api_name="words_line", **live)
    s.encode.click(use_line, [m.vae, s.base_line], [s.base, *s.sliders], api_visibility="private", **live)
    s.surprise.click(surprise, m.vae, [s.base, *s.sliders], api_visibility="private", **live)
    t.train.click(words_train, [t.files, t.pasted, t.kind, t.name, t.start, t.steps, t.minutes, c.model, m.vae],
                  [t.status, t.plot, t.sample, c.model, m.vae], api_name="words_train", **common.TRAINING_EVENT)
    t.stop.click(stop_training, None, t.status, api_visibility="private", queue=False)
    p.upload.upload(add_model, p.upload, [c.model, m.vae, p.note], api_visibility="private")
    p.download.click(download_model, c.model, p.downloaded, api_visibility="private")
    for trigger in (c.refresh.click, tab.select):
        trigger(refresh_models, [c.model, m.vae], [c.model, m.vae], api_visibility="private", show_progress="hidden")
    restore_outputs = [*gen_inputs, p.note]
    p.open_recipe.upload(restore, p.open_recipe, restore_outputs, api_visibility="private")
    ctx.restorers[NAME] = Restorer(restore, restore_outputs, lambda rec: rec.get("kind") == "writing")
