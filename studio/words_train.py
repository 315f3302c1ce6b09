"""The Words tab's training panel: what the uploaded or pasted text holds, then a Transformer or line
model trained on it through the studio's training queue, streaming its status, losses and what it
writes now; at the end, whether the file it left is compact (training again fine-tunes) or keeps its
training state (training again goes on). Handlers, then layout, then wiring."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import gradio as gr
import pandas as pd

from engines import limits
from engines.events import TrainEvent, history_rows
from engines.words import data, runs
from engines.words.data import MIN_CHARS
from studio import common
from studio.common import friendly, status_says_why
from studio.words_base import NAME, model_lists, models

TRAIN_KINDS = ("Transformer (writes on)", "RNN-VAE (lines)")
TRAIN_STARTS = ("from scratch", "from the selected model")
PLOT_ROWS = 800  # the loss plot shows the latest rows


# ------------------------------------------------------------------ handlers
@friendly
@status_says_why(5)
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
    runs.check_training_text(paths, pasted)
    with common.training_ticket("Words training", name, request) as ticket:
        for line in common.wait_turn(ticket):
            yield line, gr.update(), gr.update(), gr.update(), gr.update()
        yield "Reading your text…", gr.update(), gr.update(), gr.update(), gr.update()
        ws = common.workspace(request)
        selected = vae_label if vae else model_label
        init = models("vae" if vae else "gpt", request).get(selected) if start == TRAIN_STARTS[1] else None
        out = ws.engine_models_dir(NAME) / f"{name}.pt"
        run = runs.prepare_training(
            vae, paths, pasted, out, init, n_steps, budget, ticket.stop_token, common.studio().device, name
        )
        ws.check_room(run.checkpoint_bytes)
        for ev in common.finish_on_close(run.events, ticket.stop_token):
            lists = model_lists(request) if (ev.done or ev.checkpoint) else (gr.update(), gr.update())
            between = bool(ev.step) and not ev.preview and not ev.done  # a report between samples: keep them
            sample = gr.update() if between else ev.preview or ""
            yield train_status(ev, name, run.described), gr.update() if between else loss_plot(ev), sample, *lists


def loss_plot(ev: TrainEvent) -> pd.DataFrame | dict:
    """The loss plot's rows (step, loss, curve) for the run so far, or no change before the first."""
    rows = history_rows(ev.history)[-PLOT_ROWS:]
    if not rows:
        return gr.update()
    table = pd.DataFrame(rows)
    table["loss"] = table["loss"].round(3)
    return table


def train_status(ev: TrainEvent, name: str, described: str) -> str:
    """The status line under the Train button; at the end, what was saved and what training again does."""
    return common.training_line(ev, name, described)


@friendly
def describe_upload(files: list | None, pasted: str | None) -> str:
    """What the uploaded and pasted text holds (files, characters, lines, a sample), before training."""
    pasted = limits.text(pasted, "The pasted text", limits.MAX_TRAIN_TEXT_BYTES)
    return data.describe_sources([str(getattr(f, "name", f)) for f in files or []], pasted or "")


def stop_training(request: gr.Request | None = None) -> str:
    """The Stop button: stop this workspace's training, from whichever page started it."""
    return common.stop_training(request)


# ------------------------------------------------------------------ layout
def panel() -> SimpleNamespace:
    """Train on my own text (what the upload holds is shown before training starts)."""
    with gr.Accordion("Train on my own text", open=False, elem_id="words-train-panel"):
        gr.Markdown(
            f"Upload .txt or .md files (UTF-8), or paste text: at least {MIN_CHARS:,} characters and at most "
            f"{limits.MAX_TRAIN_TEXT_BYTES // 1_000_000} MB; a few hundred thousand characters give a voice of "
            "its own. Training saves as it goes; training again with the same name goes on from a stopped run "
            "and fine-tunes a finished one. With a time limit, a Transformer from scratch first times a few "
            "steps and picks the size that fits it."
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
            color="curve",
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


# ------------------------------------------------------------------ wiring
def wire(t: SimpleNamespace, model: gr.Dropdown, vae: gr.Dropdown) -> None:
    """Train (api words_train: its parameter order is the scripts' contract), Stop, and the upload's survey."""
    t.train.click(
        words_train,
        [t.files, t.pasted, t.kind, t.name, t.start, t.steps, t.minutes, model, vae],
        [t.status, t.plot, t.sample, model, vae],
        api_name="words_train",
        **common.TRAINING_EVENT,
    )
    t.stop.click(stop_training, None, t.status, api_visibility="private", queue=False)
    for trigger in (t.files.change, t.pasted.blur):
        trigger(describe_upload, [t.files, t.pasted], t.found, api_visibility="private", show_progress="hidden")
