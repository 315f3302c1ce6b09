"""Words tab: a small Transformer that writes after your prompt (streaming), an RNN-VAE that walks
from one line to another and edits a line with latent sliders, and training both on your own
text. Layout and wiring only."""

from __future__ import annotations

import random
from pathlib import Path

import gradio as gr
import pandas as pd

from engines import checkpoints
from engines import recipe as recipes
from engines.words import writer
from engines.words.data import MIN_CHARS, user_corpus, verse_lines
from engines.words.train import GPTTrainConfig, train_gpt
from engines.words.train_vae import VAETrainConfig, finetune_config, train_vae
from studio.common import Restorer, StudioContext, Trainings, add_model_file, friendly, how_it_works, label_for_recipe

NAME = "words"
TITLE = "Words"
N_SLIDERS = writer.N_SLIDERS
EXAMPLE_A = "Shall I compare thee to a summer's day?"
EXAMPLE_B = "The quality of mercy is not strained."

HELP = f"""
Words writes with two small networks that read and write one character at a time.

- The **Transformer** continues your prompt in the voice it learned (the bundled one read
  Shakespeare's plays and poems). **Temperature** adds daring (0 = always the likeliest
  letter); **top-k** and **top-p** keep only the likeliest letters; the **repetition penalty**
  discourages loops; the same **seed** writes the same text again. **Stop at** ends the text
  before a word or mark you name (write a new line as `\\n`).
- The **RNN-VAE** squeezes a whole line into a few numbers (its *latent*). **Morph** walks the
  straight (or spherical) path between two lines and writes a line at each step; the **sliders**
  move a line along the ways lines differ most; **Surprise me** draws a line nobody wrote.
- **Keep** saves the text, with its recipe, to the Gallery.
- **Train**: upload .txt or .md files (UTF-8) or paste text, at least {MIN_CHARS:,} characters.
"""

_trainings = Trainings()


def _stop_list(text: str) -> list[str]:
    """'\\n\\n, THE END' -> ['\\n\\n', 'THE END'] (commas separate; \\n and \\t are escapes)."""
    parts = [p.strip() for p in (text or "").split(",")]
    return [p.replace("\\n", "\n").replace("\\t", "\t") for p in parts if p.strip()]


def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Words tab and wire its events."""
    user_dir = ctx.settings.engine_models_dir(NAME)

    def models(kind: str = "gpt") -> dict[str, Path]:
        return writer.available_models(user_dir, kind)

    def load(label: str | None) -> writer.Writer:
        found = models()
        if not found:
            raise ValueError("No Transformer yet: train one in the Train panel below.")
        if label not in found:
            raise ValueError(f"unknown model {label!r}; choose one of: {', '.join(found)}")
        return writer.load_writer(found[label])

    def load_lines(label: str | None) -> writer.LineModel:
        found = models("vae")
        if not found:
            raise ValueError("No line model (RNN-VAE) yet: train one in the Train panel below.")
        if label not in found:
            raise ValueError(f"unknown line model {label!r}; choose one of: {', '.join(found)}")
        return writer.load_line_model(found[label])

    first, first_vae = next(iter(models()), None), next(iter(models("vae")), None)

    how_it_works(HELP)
    with gr.Row():
        with gr.Column(scale=2):
            with gr.Row():
                model_dd = gr.Dropdown(list(models()), value=first, label="Transformer", elem_id="words-model", scale=3,
                                       allow_custom_value=True)
                refresh = gr.Button("↻", scale=0, min_width=40, elem_id="words-models-refresh")
            prompt = gr.Textbox(value="ROMEO:\n", lines=4, label="Prompt", elem_id="words-prompt",
                                placeholder="Begin a line, a speech, a poem… (or leave empty)")
            length = gr.Slider(20, 2000, value=400, step=10, label="Length (characters)", elem_id="words-length")
            with gr.Row():
                temperature = gr.Slider(0, 2, value=0.8, step=0.05, label="Temperature", elem_id="words-temperature")
                top_p = gr.Slider(0.05, 1, value=0.95, step=0.01, label="Top-p", elem_id="words-top-p")
            with gr.Row():
                top_k = gr.Slider(0, 100, value=0, step=1, label="Top-k (0 = off)", elem_id="words-top-k")
                penalty = gr.Slider(1, 2, value=1.0, step=0.05, label="Repetition penalty", elem_id="words-penalty")
            with gr.Row(equal_height=True):
                seed = gr.Number(value=1, precision=0, minimum=0, label="Seed", elem_id="words-seed", scale=2)
                dice = gr.Button("🎲", elem_id="words-dice", scale=0, min_width=50)
                stop_at = gr.Textbox(value="", label="Stop at (comma-separated)", elem_id="words-stop", scale=3,
                                     placeholder="\\n\\n, THE END")
            with gr.Row():
                write_btn = gr.Button("Write", variant="primary", elem_id="words-write")
                stop_write = gr.Button("Stop", elem_id="words-stop-writing")
        with gr.Column(scale=3):
            output = gr.Textbox(lines=18, max_lines=40, label="Written", elem_id="words-output", interactive=False,
                                buttons=["copy"])
            notes = gr.Markdown(elem_id="words-notes")
            keep = gr.Button("Keep (save to Gallery)", variant="primary", elem_id="words-keep")
            kept = gr.File(label="Download TXT with recipe", interactive=False, elem_id="words-kept", height=80)

    with gr.Accordion("Morph between two lines (RNN-VAE)", open=False, elem_id="words-morph-panel"):
        with gr.Row():
            vae_dd = gr.Dropdown(list(models("vae")), value=first_vae, label="Line model", elem_id="words-vae-model",
                                 allow_custom_value=True)
            steps = gr.Slider(2, 20, value=8, step=1, label="Steps", elem_id="words-morph-steps")
            path = gr.Radio(["straight", "spherical"], value="straight", label="Path", elem_id="words-morph-path")
            greedy = gr.Radio(["likeliest", "sampled"], value="likeliest", label="Decoding", elem_id="words-morph-decode")
        with gr.Row():
            line_a = gr.Textbox(value=EXAMPLE_A, label="From", elem_id="words-line-a")
            line_b = gr.Textbox(value=EXAMPLE_B, label="To", elem_id="words-line-b")
        morph_btn = gr.Button("Morph", variant="primary", elem_id="words-morph-btn")
        poem = gr.Textbox(lines=10, label="The path, as a poem", interactive=False, elem_id="words-poem",
                          buttons=["copy"])

    with gr.Accordion("Line sliders (RNN-VAE)", open=False, elem_id="words-sliders-panel"):
        with gr.Row():
            base_line = gr.Textbox(value=EXAMPLE_A, label="Start from this line", elem_id="words-base-line", scale=3)
            encode_btn = gr.Button("Use this line", elem_id="words-encode", scale=1)
            surprise_btn = gr.Button("🎲 Surprise me", elem_id="words-surprise", scale=1)
        sliders = [gr.Slider(-3, 3, value=0, step=0.05, label=f"Direction {i + 1}", elem_id=f"words-dir-{i}")
                   for i in range(N_SLIDERS)]
        slider_line = gr.Textbox(label="The line now", interactive=False, elem_id="words-slider-line")

    with gr.Accordion("Train on my own text", open=False, elem_id="words-train-panel"):
        gr.Markdown(f"Upload .txt or .md files (UTF-8), or paste text: at least {MIN_CHARS:,} characters; a few "
                    "hundred thousand give a voice of its own. Training saves as it goes; training again with the "
                    "same name resumes.")
        with gr.Row():
            train_files = gr.File(file_count="multiple", file_types=[".txt", ".md"], label="Your texts",
                                  elem_id="words-train-files")
            pasted = gr.Textbox(lines=6, label="…or paste text here", elem_id="words-train-pasted")
        with gr.Row():
            train_kind = gr.Radio(["Transformer (writes on)", "RNN-VAE (lines)"], value="Transformer (writes on)",
                                  label="Train", elem_id="words-train-kind")
            train_name = gr.Textbox(value="my-words", label="Name of the new model", elem_id="words-train-name")
            start_from = gr.Radio(["from scratch", "from the selected model"], value="from the selected model",
                                  label="Start", elem_id="words-train-start")
            train_steps = gr.Slider(20, 20000, value=1000, step=10, label="Steps", elem_id="words-train-steps")
            minutes = gr.Number(value=0, label="Time limit in minutes (0 = none)", elem_id="words-train-minutes")
        with gr.Row():
            train_btn = gr.Button("Start training", variant="primary", elem_id="words-train-btn")
            stop_btn = gr.Button("Stop", variant="stop", elem_id="words-train-stop")
        train_status = gr.Markdown(elem_id="words-train-status")
        with gr.Row():
            loss_plot = gr.LinePlot(x="step", y="loss", color="split", height=240, label="Loss",
                                    elem_id="words-train-plot")
            train_sample = gr.Textbox(lines=8, label="What it writes now", interactive=False,
                                      elem_id="words-train-sample")

    with gr.Accordion("Models and recipes", open=False):
        with gr.Row():
            upload_model = gr.File(label="Add a Words model (.pt)", file_types=[".pt"], elem_id="words-upload-model")
            with gr.Column():
                download_btn = gr.Button("Download the selected Transformer", elem_id="words-download-btn")
                download_model = gr.File(label="The selected model", interactive=False, elem_id="words-download-model")
            open_recipe = gr.File(label="Open a text's recipe (.txt)", file_types=[".txt"], elem_id="words-open-recipe")
        models_note = gr.Markdown()

    slider_base = gr.JSON(value=[], visible=False, label="Line latent")  # an input of /words_line for scripts
    gen_inputs = [model_dd, prompt, length, temperature, top_k, top_p, penalty, seed, stop_at]

    # ------------------------------------------------------------------ handlers
    def _recipe(w, prompt_v, length_v, temp_v, k_v, p_v, pen_v, seed_v, stop_v):
        return {"engine": NAME, "kind": "writing", "model": w.name, "checkpoint": w.hash, "prompt": prompt_v or "",
                "length": int(length_v), "temperature": float(temp_v), "top_k": int(k_v), "top_p": float(p_v),
                "repetition_penalty": float(pen_v), "seed": int(seed_v or 0), "stop": _stop_list(stop_v)}

    @friendly
    def words_generate(model_label, prompt_v, length_v, temp_v, k_v, p_v, pen_v, seed_v, stop_v):
        """Write after the prompt with temperature, top-k, top-p, repetition penalty, seed and stop
        sequences; streams (text so far, notes)."""
        w = load(model_label)
        prepared = writer.prepare_prompt(w, prompt_v or "")
        note = " ".join(prepared.notes)
        shown = prompt_v or ""
        yield shown, note
        for chunk in writer.stream(w, prompt_v or "", int(length_v), float(temp_v), int(k_v), float(p_v),
                                   float(pen_v), int(seed_v or 0), _stop_list(stop_v)):
            shown += chunk
            yield shown, note

    @friendly
    def keep_it(model_label, prompt_v, length_v, temp_v, k_v, p_v, pen_v, seed_v, stop_v, text):
        if not (text or "").strip():
            raise ValueError("Write something first.")
        w = load(model_label)
        rec = _recipe(w, prompt_v, length_v, temp_v, k_v, p_v, pen_v, seed_v, stop_v)
        first_line = next((ln for ln in text.splitlines() if ln.strip()), "text")[:40]
        out = ctx.store.save_text(text, rec, title=f"{w.name} · {first_line}")
        gr.Info("Kept in the Gallery.")
        return str(out.path)

    @friendly
    def words_morph(vae_label, a, b, n_steps, path_v, decoding, seed_v):
        """Lines along the latent path from line A to line B; returns the poem (one line per step).
        The poem is kept in the Gallery."""
        m = load_lines(vae_label)
        lines = writer.morph(m, a, b, int(n_steps), path_v, decoding == "likeliest", seed=int(seed_v or 0))
        text = "\n".join(lines)
        rec = {"engine": NAME, "kind": "morph", "model": m.name, "checkpoint": m.hash, "from": a, "to": b,
               "steps": int(n_steps), "path": path_v, "decoding": decoding, "seed": int(seed_v or 0)}
        ctx.store.save_text(text + "\n", rec, title=f"{m.name} · {a[:24]} → {b[:24]}")
        return text

    @friendly
    def words_line(vae_label, base, *slider_vals):
        """Decode the line at a latent (from 'Use this line' or 'Surprise me') moved by the sliders."""
        m = load_lines(vae_label)
        z = writer.latent(m, base or None, slider_vals)
        return writer.decode(m, z[None])[0]

    @friendly
    def use_line(vae_label, line):
        m = load_lines(vae_label)
        return [round(float(x), 5) for x in writer.encode_line(m, line)], *[0.0] * N_SLIDERS

    @friendly
    def surprise(vae_label):
        m = load_lines(vae_label)
        return [round(float(x), 5) for x in writer.surprise(m, random.randint(0, 2**31 - 1))], *[0.0] * N_SLIDERS

    @friendly
    def words_train(files, pasted_v, kind, name, start, n_steps, limit_min, model_label, vae_label,
                    request: gr.Request):
        """Train a Transformer or an RNN-VAE on uploaded or pasted text; streams status, losses and samples."""
        name = (name or "").strip()
        paths = [getattr(f, "name", f) for f in files or []]
        if not paths and not (pasted_v or "").strip():
            raise ValueError(f"Add your text first: .txt/.md files or pasted text (at least {MIN_CHARS:,} characters).")
        vae = kind == "RNN-VAE (lines)"
        with _trainings.hold("Words training", name, request) as token:
            corpus = user_corpus(paths, pasted_v or "")
            out = user_dir / f"{name}.pt"
            budget = float(limit_min) * 60 if limit_min else None
            if vae:
                train_lines, val_lines = verse_lines(corpus.train), verse_lines(corpus.val)
                if len(train_lines) < 50 or not val_lines:
                    raise ValueError(f"found {len(train_lines)} usable lines (12-80 characters); the RNN-VAE needs "
                                     "at least 50, plus a few held out")
                init = models("vae").get(vae_label) if start == "from the selected model" else None
                described = f"{len(train_lines):,} lines"
                settings = dict(steps=int(n_steps), eval_every=50, checkpoint_every=250, time_budget_s=budget)
                cfg = finetune_config(init, **settings) if init else VAETrainConfig(**settings)
                events = train_vae(train_lines, val_lines, out, cfg=cfg, stop=token,
                    name=name, data_note=described, init_from=init, device=str(ctx.settings.torch_device()))
            else:
                init = models().get(model_label) if start == "from the selected model" else None
                described = corpus.describe()
                cfg = GPTTrainConfig(steps=int(n_steps), eval_every=50, eval_batches=4, checkpoint_every=250,
                                     lr=3e-4 if init else 1e-3, warmup=20, time_budget_s=budget)
                events = train_gpt(corpus, out, cfg=cfg, stop=token, name=name, data_note=described, init_from=init,
                                   device=str(ctx.settings.torch_device()))
            rows: list[dict] = []
            for ev in events:
                if ev.step and ev.train_loss == ev.train_loss:
                    rows.append({"step": ev.step, "loss": ev.train_loss, "split": "training"})
                    if ev.val_loss is not None:
                        rows.append({"step": ev.step, "loss": ev.val_loss, "split": "held-out KL" if vae else "held out"})
                status = f"**{ev.message or 'training'}**: step {ev.step} of {ev.total} · {described} · {ev.seconds:.0f} s"
                if ev.done:
                    status = (f"**Done** ({ev.message or 'finished'}): step {ev.step}. The model **{name} (yours)** "
                              "is in the list.")
                yield (status, pd.DataFrame(rows[-800:]), ev.sample, gr.Dropdown(choices=list(models())),
                       gr.Dropdown(choices=list(models("vae"))))

    @friendly
    def add_model(path_v):
        if not path_v:
            return gr.Dropdown(), gr.Dropdown(), ""
        if checkpoints.load(path_v, engine=NAME).config.get("kind") not in ("gpt", "vae"):
            raise ValueError(f"{Path(path_v).name} is not a Words model this version can use")
        label, ck = add_model_file(path_v, user_dir, NAME)
        note = f"Added **{label}** ({ck.meta.get('data', 'unknown data')})."
        if ck.config["kind"] == "vae":
            return gr.Dropdown(), gr.Dropdown(choices=list(models("vae")), value=label), note
        return gr.Dropdown(choices=list(models()), value=label), gr.Dropdown(), note

    @friendly
    def restore(path_v):
        if not path_v:
            return [gr.update()] * 10
        rec = recipes.read(path_v)
        if rec.get("engine") != NAME or rec.get("kind") != "writing":
            raise ValueError("That file's recipe was not made by the Words Transformer.")
        label = label_for_recipe(models(), rec)
        stops = ", ".join(s.replace("\n", "\\n").replace("\t", "\\t") for s in rec.get("stop", []))
        return [label, rec.get("prompt", ""), rec.get("length", 400), rec.get("temperature", 0.8), rec.get("top_k", 0),
                rec.get("top_p", 0.95), rec.get("repetition_penalty", 1.0), rec.get("seed", 0), stops,
                f"Restored the controls from **{Path(path_v).name}**."]

    # ------------------------------------------------------------------ wiring
    writing = write_btn.click(words_generate, gen_inputs, [output, notes], api_name="words_generate",
                              concurrency_id="words_write", concurrency_limit=2, show_progress="hidden")
    stop_write.click(None, None, None, cancels=[writing], api_visibility="private", queue=False)
    dice.click(lambda: random.randint(0, 2**31 - 1), None, seed, api_visibility="private", show_progress="hidden")
    keep.click(keep_it, [*gen_inputs, output], kept, api_name="words_keep")
    morph_btn.click(words_morph, [vae_dd, line_a, line_b, steps, path, greedy, seed], poem, api_name="words_morph",
                    concurrency_id="words_write", concurrency_limit=2)
    live = dict(show_progress="hidden", concurrency_id="words_live", concurrency_limit=4)
    gr.on([s.input for s in sliders] + [slider_base.change], words_line, [vae_dd, slider_base, *sliders],
          slider_line, trigger_mode="always_last", api_name="words_line", **live)
    encode_btn.click(use_line, [vae_dd, base_line], [slider_base, *sliders], api_visibility="private", **live)
    surprise_btn.click(surprise, vae_dd, [slider_base, *sliders], api_visibility="private", **live)
    train_btn.click(words_train, [train_files, pasted, train_kind, train_name, start_from, train_steps, minutes,
                                  model_dd, vae_dd], [train_status, loss_plot, train_sample, model_dd, vae_dd],
                    api_name="words_train", concurrency_id="training", concurrency_limit=2, show_progress="minimal")
    stop_btn.click(_trainings.stop, None, train_status, api_visibility="private", queue=False)
    upload_model.upload(add_model, upload_model, [model_dd, vae_dd, models_note], api_visibility="private")
    download_btn.click(friendly(lambda label: str(load(label).path)), model_dd, download_model,
                       api_visibility="private")
    refresh.click(lambda v, r: (gr.Dropdown(choices=list(models()), value=v if v in models() else next(iter(models()), None)),
                                gr.Dropdown(choices=list(models("vae")))),
                  [model_dd, vae_dd], [model_dd, vae_dd], api_visibility="private", show_progress="hidden")
    restore_outputs = [*gen_inputs, models_note]
    open_recipe.upload(restore, open_recipe, restore_outputs, api_visibility="private")
    ctx.restorers[NAME] = Restorer(restore, restore_outputs, lambda rec: rec.get("kind") == "writing")
    tab.select(lambda v, r: (gr.Dropdown(choices=list(models()), value=v), gr.Dropdown(choices=list(models("vae")), value=r)),
               [model_dd, vae_dd], [model_dd, vae_dd], api_visibility="private", show_progress="hidden")
