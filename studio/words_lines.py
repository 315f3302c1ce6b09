"""The Words tab's line model (RNN-VAE): morphing from one line to another, and the eight line sliders
(named by what they were measured to change, limited to where lines stay readable), with keeping a
line, 'Use this line', 'Surprise me' and the history strip; handlers, then layout, then wiring."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from engines import limits
from engines.words import explore, service
from engines.words import sweep as words_sweep
from engines.words.service import MorphSettings
from studio import common, history
from studio.common import friendly, one_input_per_slider
from studio.words_base import N_SLIDERS, initial, line_model_for, line_model_or_none, new_seed

EXAMPLE_A = "Shall I compare thee to a summer's day?"
EXAMPLE_B = "The quality of mercy is not strained."


# ------------------------------------------------------------------ handlers
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
    m = line_model_for(vae_label, request)
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
    m = line_model_for(vae_label, request)
    return service.line_at(m, base or None, [d1, d2, d3, d4, d5, d6, d7, d8])


@friendly
def words_keep_line(vae_label: str | None, base: list | None, sliders: list, request: gr.Request | None = None) -> str:
    """Keep the line the sliders show, with its recipe (latent and sliders), in the caller's Gallery."""
    m = line_model_for(vae_label, request)
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
    rec = service.line_recipe(line_model_for(vae_label, request), base or None, sliders)
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
    rec = MorphSettings.checked(a, b, steps, path, decoding, seed).recipe(line_model_for(vae_label, request))
    return history.push(entries, poem, {**rec, "shown": poem + "\n"}, "morph")


@friendly
def line_model_changed(vae_label: str | None, request: gr.Request | None = None) -> list:
    """A new line model: its sliders' names and readable ranges (back to 0), and the sweep's axes."""
    m = line_model_or_none(vae_label, request)
    axes = words_sweep.axis_names(m)
    return [*slider_updates(m), gr.update(choices=axes), gr.update(choices=axes)]


@common.live
@friendly
def use_line(vae_label: str | None, line: str | None, request: gr.Request | None = None) -> tuple:
    """'Use this line': the line's latent, and every slider back to 0."""
    m = line_model_for(vae_label, request)
    z = explore.encode_line(m, limits.text(line, "The line", limits.MAX_LINE_CHARS))
    return [round(float(x), 5) for x in z], *[0.0] * N_SLIDERS


@common.live
@friendly
def surprise(vae_label: str | None, request: gr.Request | None = None) -> tuple:
    """'Surprise me': a latent drawn from the prior with a new seed each press, sliders at 0."""
    m = line_model_for(vae_label, request)
    return [round(float(x), 5) for x in explore.surprise(m, new_seed())], *[0.0] * N_SLIDERS


# ------------------------------------------------------------------ layout
def slider_updates(m: explore.LineModel | None, values: list[float] | None = None) -> list:
    """The eight line sliders named by what they change and limited to their readable range."""
    names = m.slider_names() if m else [f"Direction {i + 1}" for i in range(N_SLIDERS)]
    reach = m.slider_ranges() if m else [explore.DEFAULT_RANGE] * N_SLIDERS
    values = values or [0.0] * N_SLIDERS
    return [
        gr.update(minimum=-r, maximum=r, value=max(-r, min(r, float(v))), label=f"{i + 1}. {n}")
        for i, (n, r, v) in enumerate(zip(names, reach, values))
    ]


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


def sliders_panel(m: explore.LineModel | None) -> SimpleNamespace:
    """Line sliders (RNN-VAE) named by what they change on `m` (the page's first line model), with
    the hidden latent a script may set."""
    with gr.Accordion("Line sliders (RNN-VAE)", open=False, elem_id="words-sliders-panel"):
        gr.Markdown(
            "Each slider is named by what it was measured to change; it goes only as far as lines stay readable."
        )
        with gr.Row():
            base_line = gr.Textbox(value=EXAMPLE_A, label="Start from this line", elem_id="words-base-line", scale=3)
            encode = gr.Button("Use this line", elem_id="words-encode", scale=1)
            surprise_btn = gr.Button("🎲 Surprise me", elem_id="words-surprise", scale=1)
        sliders = [
            gr.Slider(u["minimum"], u["maximum"], value=0, step=0.05, label=u["label"], elem_id=f"words-dir-{i}")
            for i, u in enumerate(slider_updates(m))
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


# ------------------------------------------------------------------ wiring
def wire_morph(m: SimpleNamespace, seed: gr.Number, entries: gr.State, strip: gr.Gallery) -> None:
    """Morph (api words_morph: its parameter order is the scripts' contract), then the history strip."""
    morph_inputs = [m.vae, m.line_a, m.line_b, m.steps, m.path, m.decoding, seed]
    m.morph.click(
        words_morph, morph_inputs, m.poem, api_name="words_morph", concurrency_id="words_write", concurrency_limit=2
    ).success(
        remember_morph,
        [*morph_inputs, m.poem, entries],
        [entries, strip],
        api_visibility="private",
        show_progress="hidden",
    )


def wire_sliders(vae: gr.Dropdown, s: SimpleNamespace, entries: gr.State, strip: gr.Gallery, axes: list) -> None:
    """The line sliders: live moves, history when they settle, keeping a line, a new line model
    (which renames the sliders and the sweep's `axes` pickers)."""
    live = dict(show_progress="hidden", concurrency_id="words_live", concurrency_limit=4)
    gr.on(
        [sl.input for sl in s.sliders] + [s.base.change],
        words_line,
        [vae, s.base, *s.sliders],
        s.line,
        trigger_mode="always_last",
        api_name="words_line",
        **live,
    )
    settled = dict(
        fn=one_input_per_slider(remember_line, N_SLIDERS, "direction"),
        inputs=[vae, s.base, *s.sliders, s.line, entries],
        outputs=[entries, strip],
        api_visibility="private",
        show_progress="hidden",
    )
    gr.on([sl.release for sl in s.sliders], **settled)
    s.encode.click(use_line, [vae, s.base_line], [s.base, *s.sliders], api_visibility="private", **live)
    s.surprise.click(surprise, vae, [s.base, *s.sliders], api_visibility="private", **live).then(
        words_line, [vae, s.base, *s.sliders], s.line, api_visibility="private", **live
    ).success(**settled)
    s.keep_line.click(
        one_input_per_slider(words_keep_line, N_SLIDERS, "direction"),
        [vae, s.base, *s.sliders],
        s.kept_line,
        api_name="words_keep_line",
    )
    vae.change(line_model_changed, vae, [*s.sliders, *axes], api_visibility="private", show_progress="hidden")
