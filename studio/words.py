"""Words tab: a small Transformer that writes after your prompt (streaming), an RNN-VAE that walks
from one line to another and edits a line with latent sliders, and training both on your own
text. This module holds the writing handlers, the writing layout, and `build` with its wiring; the
line model (`words_lines`), training (`words_train`), sweep (`words_sweep`), reopening
(`words_restore`) and the models (`words_base`) have modules of their own. The checks, recipes and
training set-up live in `engines.words`."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import gradio as gr

from engines import limits
from engines.words import explore, service
from engines.words import replay as words_replay
from engines.words.data import MIN_CHARS
from engines.words.service import WriteSettings
from studio import common, history, words_base, words_lines, words_restore, words_sweep, words_train
from studio.common import Restorer, StudioContext, friendly, how_it_works
from studio.words_base import N_SLIDERS, initial, new_seed, writer_for

NAME = "words"
TITLE = "Words"
assert N_SLIDERS == 8, "words_line takes eight direction sliders"

HELP = f"""
Words writes with two small networks that read and write one character at a time.

- The **Transformer** continues your prompt in the voice it learned (the bundled one read
  Shakespeare's plays and poems). **Temperature** adds daring (0 = always the likeliest
  letter); **top-k** and **top-p** keep only the likeliest letters; the **repetition penalty**
  discourages loops; the same **seed** writes the same text again (🎲 draws a new one; with **New seed
  each time** on, every Write draws one, and the seed shown is the one that wrote the text). **Stop at**
  ends the text before a word or mark you name (write a new line as `\\n`). Up to
  {explore.MAX_NEW:,} characters at a time (the slider goes to 2,000).
- The **RNN-VAE** squeezes a whole line into a few numbers (its *latent*). **Morph** walks the
  straight (or spherical) path between two lines and writes a line at each step; the **sliders**
  move a line along the ways lines differ most, each named by the trait it was measured to change
  and limited to where lines stay readable; **Surprise me** draws a line nobody wrote.
- **Recent** keeps your last 12 results: click one to go back to it. **Sweep** writes a table of
  short texts over two settings; click a cell to open it.
- **Keep** saves the text, with its recipe, to the Gallery (up to {limits.MAX_TEXT_CHARS:,} characters).
- **Train**: upload .txt or .md files (UTF-8) or paste text, at least {MIN_CHARS:,} characters and at
  most {limits.MAX_TRAIN_TEXT_BYTES // 1_000_000} MB.
"""


# ------------------------------------------------------------------ writing
@friendly
def words_generate(
    model_label: str | None,
    prompt: str | None,
    length: float,
    temperature: float,
    top_k: float,
    top_p: float,
    penalty: float,
    seed: float | None,
    stop: str | None,
    request: gr.Request | None = None,
) -> Iterator[tuple[str, str]]:
    """Write after the prompt (temperature, top-k, top-p, repetition penalty, seed, stop sequences);
    streams (the prompt and the text so far, notes)."""
    s = WriteSettings.checked(prompt, length, temperature, top_k, top_p, penalty, seed, stop)
    w = writer_for(model_label, request)
    note = " ".join(explore.prepare_prompt(w, s.prompt).notes)
    shown = s.prompt
    yield shown, note
    for chunk in s.stream(w):
        shown += chunk
        yield shown, note


@friendly
def words_keep(
    model_label: str | None,
    prompt: str | None,
    length: float,
    temperature: float,
    top_k: float,
    top_p: float,
    penalty: float,
    seed: float | None,
    stop: str | None,
    text: str | None,
    request: gr.Request | None = None,
) -> str:
    """Keep the written text with its recipe in the caller's Gallery; returns the kept file's path."""
    text = service.checked_text(text)  # first: an oversized text is refused before anything reads it
    s = WriteSettings.checked(prompt, length, temperature, top_k, top_p, penalty, seed, stop)
    w = writer_for(model_label, request)
    ws = common.workspace(request)
    ws.check_room(len(text.encode("utf-8", errors="replace")) + 4096)
    out = service.keep(ws.store, text, service.writing_recipe(w, s, text), service.title_of(w.name, text))
    gr.Info("Kept in the Gallery.")
    return str(out.path)


def next_seed(fresh: bool, seed: float | None) -> int:
    """Before Write: a new seed when 'New seed each time' is on, else the seed shown (checked)."""
    return new_seed() if fresh else limits.seed(seed)


@friendly
def remember_writing(
    model_label: str | None,
    prompt: str | None,
    length: float,
    temperature: float,
    top_k: float,
    top_p: float,
    penalty: float,
    seed: float | None,
    stop: str | None,
    text: str | None,
    entries: list | None,
    request: gr.Request | None = None,
) -> tuple:
    """After Write: the written text and its recipe in front of the history strip."""
    if not (text or "").strip():
        return entries or [], gr.update()
    s = WriteSettings.checked(prompt, length, temperature, top_k, top_p, penalty, seed, stop)
    rec = service.writing_recipe(writer_for(model_label, request), s, text)
    return history.push(entries, text, {**rec, "shown": text}, f"seed {s.seed}")


# ------------------------------------------------------------------ layout
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


def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Words tab and wire its events."""
    how_it_works(HELP)
    with gr.Row(elem_classes=["atelier-split"]):
        with gr.Column(scale=2):
            c = writing_controls()
        with gr.Column(scale=3, elem_classes=["atelier-output"]):
            o = writing_output()
    first_vae = words_base.first_line_model()
    ui = SimpleNamespace(
        c=c,
        o=o,
        m=words_lines.morph_panel(),
        s=words_lines.sliders_panel(first_vae),
        w=words_sweep.panel(first_vae),
        t=words_train.panel(),
        p=words_base.panel(),
    )
    restored = _restored(ui)
    _wire(ui, restored)
    words_lines.wire_sliders(ui.m.vae, ui.s, ui.o.entries, ui.o.strip, [ui.w.x_axis, ui.w.y_axis])
    writing_inputs = _writing_inputs(c)
    words_sweep.wire(ui.w, [*writing_inputs, ui.m.vae, ui.s.base, *ui.s.sliders], restored)
    words_train.wire(ui.t, c.model, ui.m.vae)
    words_base.wire(ui.p, c.model, ui.m.vae, c.refresh, tab)
    ui.p.open_recipe.upload(words_restore.restore, ui.p.open_recipe, restored, api_visibility="private")
    ctx.restorers[NAME] = Restorer(words_restore.restore, restored, lambda rec: rec.get("kind") in words_replay.KINDS)


def _writing_inputs(c: SimpleNamespace) -> list:
    """The writing controls, in the order of /words_generate."""
    return [c.model, c.prompt, c.length, c.temperature, c.top_k, c.top_p, c.penalty, c.seed, c.stop_at]


def _restored(ui: SimpleNamespace) -> list:
    """The components reopening sets, in the order of words_restore.RESTORED."""
    c, o, m, s, w, p = ui.c, ui.o, ui.m, ui.s, ui.w, ui.p
    return [
        *_writing_inputs(c),
        o.output,
        m.vae,
        m.line_a,
        m.line_b,
        m.steps,
        m.path,
        m.decoding,
        m.poem,
        s.base,
        *s.sliders,
        s.line,
        w.x_axis,
        w.x_values,
        w.y_axis,
        w.y_values,
        w.table,
        w.recipe,
        p.note,
    ]


def _wire(ui: SimpleNamespace, restored: list) -> None:
    """Writing, keeping, morphing and the history strip (api names and their parameter order are the
    scripts' contract)."""
    c, o = ui.c, ui.o
    gen_inputs = _writing_inputs(c)
    writing = o.write.click(
        next_seed, [c.fresh, c.seed], c.seed, api_visibility="private", show_progress="hidden", queue=False
    ).success(
        words_generate,
        gen_inputs,
        [o.output, o.notes],
        api_name="words_generate",
        concurrency_id="words_write",
        concurrency_limit=2,
        show_progress="hidden",
    )
    writing.success(
        remember_writing,
        [*gen_inputs, o.output, o.entries],
        [o.entries, o.strip],
        api_visibility="private",
        show_progress="hidden",
    )
    o.stop.click(None, None, None, cancels=[writing], api_visibility="private", queue=False)
    c.dice.click(new_seed, None, c.seed, api_visibility="private", show_progress="hidden")
    o.keep.click(words_keep, [*gen_inputs, o.output], o.kept, api_name="words_keep")
    words_lines.wire_morph(ui.m, c.seed, o.entries, o.strip)
    o.strip.select(words_restore.history_pick, o.entries, restored, api_visibility="private")
