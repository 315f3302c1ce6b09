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
from engines.words import data, service, writer
from engines.words import replay as words_replay
from engines.words import sweep as words_sweep
from engines.words.data import MIN_CHARS
from engines.words.service import MorphSettings, WriteSettings
from engines.words.train import WordsEvent
from studio import common, history
from studio import words_panels as panels
from studio.common import Restorer, StudioContext, friendly, how_it_works, one_input_per_slider
from studio.words_panels import (  # noqa: F401
    GPT_WHAT,
    RESTORED,
    VAE_WHAT,
    history_pick,
    open_cell,
    recipe_updates,
    restore,
    stop_sweep,
    words_sweep_run,
)
from studio.words_panels import line_model_for as _line_model
from studio.words_panels import models as _models
from studio.words_panels import writer_for as _writer

NAME = "words"
TITLE = "Words"
N_SLIDERS = writer.N_SLIDERS
assert N_SLIDERS == 8, "words_line takes eight direction sliders"
EXAMPLE_A, EXAMPLE_B = panels.EXAMPLE_A, panels.EXAMPLE_B
TRAIN_KINDS, TRAIN_STARTS = panels.TRAIN_KINDS, panels.TRAIN_STARTS

HELP = f"""
Words writes with two small networks that read and write one character at a time.

- The **Transformer** continues your prompt in the voice it learned (the bundled one read
  Shakespeare's plays and poems). **Temperature** adds daring (0 = always the likeliest
  letter); **top-k** and **top-p** keep only the likeliest letters; the **repetition penalty**
  discourages loops; the same **seed** writes the same text again (🎲 draws a new one; with **New seed
  each time** on, every Write draws one, and the seed shown is the one that wrote the text). **Stop at**
  ends the text before a word or mark you name (write a new line as `\\n`). Up to
  {writer.MAX_NEW:,} characters at a time (the slider goes to 2,000).
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
    w = _writer(model_label, request)
    note = " ".join(writer.prepare_prompt(w, s.prompt).notes)
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
    w = _writer(model_label, request)
    ws = common.workspace(request)
    ws.check_room(len(text.encode("utf-8", errors="replace")) + 4096)
    out = service.keep(ws.store, text, service.writing_recipe(w, s, text), service.title_of(w.name, text))
    gr.Info("Kept in the Gallery.")
    return str(out.path)


def new_seed() -> int:
    """The dice: a fresh seed."""
    return random.randint(0, limits.MAX_SEED)


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
    rec = service.writing_recipe(_writer(model_label, request), s, text)
    return history.push(entries, text, {**rec, "shown": text}, f"seed {s.seed}")


# ------------------------------------------------------------------ lines (RNN-VAE)
@friendly
def words_morph(
    vae_label: str | None,
    a: str | None,
    b: str | None,
    steps: float,
    path: str,
    decoding: str,
    seed: float | None,
    request: gr.Request | None = None,
) -> str:
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
def words_line(
    vae_label: str | None,
    base: list | None,
    d1: float,
    d2: float,
    d3: float,
    d4: float,
    d5: float,
    d6: float,
    d7: float,
    d8: float,
    request: gr.Request | None = None,
) -> str:
    """The line at a latent (from 'Use this line', 'Surprise me' or a script; empty: the centre)
    moved by the eight direction sliders."""
    m = _line_model(vae_label, request)
    return service.line_at(m, base or None, [d1, d2, d3, d4, d5, d6, d7, d8])


@friendly
def words_keep_line(vae_label: str | None, base: list | None, sliders: list, request: gr.Request | None = None) -> str:
    """Keep the line the sliders show, with its recipe (latent and sliders), in the caller's Gallery."""
    m = _line_model(vae_label, request)
    line = service.line_at(m, base or None, sliders)
    ws = common.workspace(request)
    ws.check_room(8192)
    out = service.keep(ws.store, line, service.line_recipe(m, base or None, sliders), f"{m.name} · {line[:40]}")
    gr.Info("Kept in the Gallery.")
    return str(out.path)


@friendly
def remember_line(
    vae_label: str | None,
    base: list | None,
    sliders: list,
    line: str | None,
    entries: list | None,
    request: gr.Request | None = None,
) -> tuple:
    """When a slider settles (or a line is drawn): the line and its recipe in front of the history strip."""
    if not (line or "").strip():
        return entries or [], gr.update()
    rec = service.line_recipe(_line_model(vae_label, request), base or None, sliders)
    return history.push(entries, line, {**rec, "shown": line}, "line")


@friendly
def remember_morph(
    vae_label: str | None,
    a: str | None,
    b: str | None,
    steps: float,
    path: str,
    decoding: str,
    seed: float | None,
    poem: str | None,
    entries: list | None,
    request: gr.Request | None = None,
) -> tuple:
    """After Morph: the poem and its recipe in front of the history strip."""
    if not (poem or "").strip():
        return entries or [], gr.update()
    rec = MorphSettings.checked(a, b, steps, path, decoding, seed).recipe(_line_model(vae_label, request))
    return history.push(entries, poem, {**rec, "shown": poem + "\n"}, "morph")


@friendly
def line_model_changed(vae_label: str | None, request: gr.Request | None = None) -> list:
    """A new line model: its sliders' names and readable ranges (back to 0), and the sweep's axes."""
    found = _models("vae", request)
    m = writer.load_line_model(found[vae_label]) if vae_label in found else None
    axes = words_sweep.axis_names(m)
    return [*panels.slider_updates(m), gr.update(choices=axes), gr.update(choices=axes)]


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
def words_train(
    files: list | None,
    pasted: str | None,
    kind: str,
    name: str | None,
    start: str,
    steps: float,
    minutes: float | None,
    model_label: str | None,
    vae_label: str | None,
    request: gr.Request | None = None,
) -> Iterator[tuple]:
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
        init = (
            _models("vae" if vae else "gpt", request).get(vae_label if vae else model_label)
            if start == TRAIN_STARTS[1]
            else None
        )
        run = service.prepare_training(
            vae,
            paths,
            pasted,
            ws.engine_models_dir(NAME) / f"{name}.pt",
            init,
            n_steps,
            budget,
            ticket.stop_token,
            common.studio().device,
            name,
        )
        ws.check_room(run.checkpoint_bytes)
        rows: list[dict] = []
        for ev in common.finish_on_close(run.events, ticket.stop_token):
            rows += _loss_rows(ev, vae)
            lists = _model_lists(request) if (ev.done or ev.checkpoint) else (gr.update(), gr.update())
            yield (
                _train_status(ev, name, run.described),
                (pd.DataFrame(rows[-800:]) if rows else gr.update()),
                ev.sample,
                *lists,
            )


def _loss_rows(ev: WordsEvent, vae: bool) -> list[dict]:
    """The loss plot's rows for one training event (none before the first step or for a NaN loss)."""
    if not ev.step or ev.train_loss != ev.train_loss:
        return []
    rows = [{"step": ev.step, "loss": round(ev.train_loss, 3), "split": "training"}]
    if ev.val_loss is not None:
        rows.append({"step": ev.step, "loss": round(ev.val_loss, 3), "split": "held-out KL" if vae else "held out"})
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


@friendly
def describe_upload(files: list | None, pasted: str | None) -> str:
    """What the uploaded and pasted text holds (files, characters, lines, a sample), before training."""
    pasted = limits.text(pasted, "The pasted text", limits.MAX_TRAIN_TEXT_BYTES)
    return data.describe_sources([str(getattr(f, "name", f)) for f in files or []], pasted or "")


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


# ------------------------------------------------------------------ layout and wiring
def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Words tab and wire its events."""
    how_it_works(HELP)
    with gr.Row(elem_classes=["atelier-split"]):
        with gr.Column(scale=2):
            c = panels.writing_controls()
        with gr.Column(scale=3, elem_classes=["atelier-output"]):
            o = panels.writing_output()
    ui = SimpleNamespace(
        c=c,
        o=o,
        m=panels.morph_panel(),
        s=panels.sliders_panel(),
        w=panels.sweep_panel(),
        t=panels.train_panel(),
        p=panels.models_panel(),
    )
    _wire(ctx, tab, ui)
    _wire_lines(ui)
    _wire_more(ctx, tab, ui)


def _restored(ui: SimpleNamespace) -> list:
    """The components reopening sets, in the order of RESTORED."""
    c, o, m, s, w, p = ui.c, ui.o, ui.m, ui.s, ui.w, ui.p
    return [
        c.model,
        c.prompt,
        c.length,
        c.temperature,
        c.top_k,
        c.top_p,
        c.penalty,
        c.seed,
        c.stop_at,
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


def _wire(ctx: StudioContext, tab: gr.Tab, ui: SimpleNamespace) -> None:
    """Writing, keeping and history (api names and their parameter order are the scripts' contract)."""
    c, o, m = ui.c, ui.o, ui.m
    gen_inputs = [c.model, c.prompt, c.length, c.temperature, c.top_k, c.top_p, c.penalty, c.seed, c.stop_at]
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
    morph_inputs = [m.vae, m.line_a, m.line_b, m.steps, m.path, m.decoding, c.seed]
    m.morph.click(
        words_morph, morph_inputs, m.poem, api_name="words_morph", concurrency_id="words_write", concurrency_limit=2
    ).success(
        remember_morph,
        [*morph_inputs, m.poem, o.entries],
        [o.entries, o.strip],
        api_visibility="private",
        show_progress="hidden",
    )
    o.strip.select(history_pick, o.entries, _restored(ui), api_visibility="private")


def _wire_lines(ui: SimpleNamespace) -> None:
    """The line sliders: live moves, history when they settle, keeping a line, a new line model."""
    m, s, o, w = ui.m, ui.s, ui.o, ui.w
    live = dict(show_progress="hidden", concurrency_id="words_live", concurrency_limit=4)
    gr.on(
        [sl.input for sl in s.sliders] + [s.base.change],
        words_line,
        [m.vae, s.base, *s.sliders],
        s.line,
        trigger_mode="always_last",
        api_name="words_line",
        **live,
    )
    remember = one_input_per_slider(remember_line, N_SLIDERS, "direction")
    settled = dict(
        fn=remember,
        inputs=[m.vae, s.base, *s.sliders, s.line, o.entries],
        outputs=[o.entries, o.strip],
        api_visibility="private",
        show_progress="hidden",
    )
    gr.on([sl.release for sl in s.sliders], **settled)
    s.encode.click(use_line, [m.vae, s.base_line], [s.base, *s.sliders], api_visibility="private", **live)
    s.surprise.click(surprise, m.vae, [s.base, *s.sliders], api_visibility="private", **live).then(
        words_line, [m.vae, s.base, *s.sliders], s.line, api_visibility="private", **live
    ).success(**settled)
    s.keep_line.click(
        one_input_per_slider(words_keep_line, N_SLIDERS, "direction"),
        [m.vae, s.base, *s.sliders],
        s.kept_line,
        api_name="words_keep_line",
    )
    m.vae.change(
        line_model_changed, m.vae, [*s.sliders, w.x_axis, w.y_axis], api_visibility="private", show_progress="hidden"
    )


def _wire_more(ctx: StudioContext, tab: gr.Tab, ui: SimpleNamespace) -> None:
    """Sweep, training, models and reopening."""
    c, m, s, w, t, p = ui.c, ui.m, ui.s, ui.w, ui.t, ui.p
    gen_inputs = [c.model, c.prompt, c.length, c.temperature, c.top_k, c.top_p, c.penalty, c.seed, c.stop_at]
    w.run.click(
        one_input_per_slider(words_sweep_run, N_SLIDERS, "direction"),
        [*gen_inputs, m.vae, s.base, *s.sliders, w.x_axis, w.x_values, w.y_axis, w.y_values],
        [w.status, w.table, w.kept, w.recipe],
        api_name="words_sweep",
        concurrency_id="words_write",
        concurrency_limit=2,
        show_progress="minimal",
    )
    w.stop.click(stop_sweep, None, w.status, api_visibility="private", queue=False)
    w.table.select(open_cell, w.recipe, _restored(ui), api_visibility="private")
    t.train.click(
        words_train,
        [t.files, t.pasted, t.kind, t.name, t.start, t.steps, t.minutes, c.model, m.vae],
        [t.status, t.plot, t.sample, c.model, m.vae],
        api_name="words_train",
        **common.TRAINING_EVENT,
    )
    t.stop.click(stop_training, None, t.status, api_visibility="private", queue=False)
    for trigger in (t.files.change, t.pasted.blur):
        trigger(describe_upload, [t.files, t.pasted], t.found, api_visibility="private", show_progress="hidden")
    p.upload.upload(add_model, p.upload, [c.model, m.vae, p.note], api_visibility="private")
    p.download.click(download_model, c.model, p.downloaded, api_visibility="private")
    for trigger in (c.refresh.click, tab.select):
        trigger(refresh_models, [c.model, m.vae], [c.model, m.vae], api_visibility="private", show_progress="hidden")
    p.open_recipe.upload(restore, p.open_recipe, _restored(ui), api_visibility="private")
    ctx.restorers[NAME] = Restorer(restore, _restored(ui), lambda rec: rec.get("kind") in words_replay.KINDS)
