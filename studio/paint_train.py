"""Paint's training panel: what the dropped pictures hold (classes, counts, a contact sheet) before
training, then a run in the studio's training queue with the bundled model's recipe, streaming
step, pictures/s, ETA, losses and previews of the artist's own classes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pandas as pd
from PIL import Image

from engines import checkpoints, limits
from engines.events import END_REASONS, TrainEvent, end_sentence, history_rows
from engines.paint import controls, explore
from engines.paint.data import MIN_IMAGES, load_image_set, survey
from engines.paint.export import resumable
from engines.paint.recipe import TrainConfig, bundled_recipe
from engines.paint.train import train
from studio import common
from studio.common import friendly, status_says_why
from studio.paint_base import NAME, load, models

TRAIN_STARTS = ("from scratch", "from the selected model")


# ------------------------------------------------------------------ handlers
def _paths(files: list | None) -> list[str]:
    return [str(getattr(f, "name", f)) for f in files or []]


@friendly
def preview_upload(files: list | None, name: str) -> tuple[str, Image.Image | None]:
    """What the dropped pictures hold: the classes training will make, with counts, and a contact sheet."""
    if not files:
        return "", None
    loose = limits.text(name, "The model's name", 100).strip() or "my-pictures"
    found = survey(_paths(files), loose_class=loose)
    if not found.class_names:
        return "No readable pictures in what you dropped (png, jpg, webp, or a zip of them).", None
    return found.describe(), found.sheet


def recipe_config(start: str, model_label: str | None, request: gr.Request | None, **settings: object) -> TrainConfig:
    """The training settings: the recipe the selected model (when fine-tuning) or the bundled default
    model was trained with, read from its checkpoint, with this run's `settings`."""
    found = models(request)
    source = found.get(model_label) if start == TRAIN_STARTS[1] and model_label in found else None
    source = source or next(iter(explore.available_models(None).values()), None)
    recipe = bundled_recipe(checkpoints.load(source).meta) if source else {}
    return TrainConfig(**{**recipe, **settings})  # type: ignore[arg-type]


@friendly
@status_says_why(4)
def paint_train(
    files: list | None,
    name: str,
    start: str,
    steps: float,
    minutes: float | None,
    resolution: int,
    model_label: str | None,
    request: gr.Request | None = None,
) -> Iterator[tuple]:
    """Train a Paint model on uploaded pictures into the caller's workspace, through the studio's
    training queue; streams (status, losses, preview, model list)."""
    name = limits.text(name, "The model's name", 100).strip()
    n_steps, res = controls.training_request(steps, resolution)
    budget = common.budget_s(minutes)
    if start not in TRAIN_STARTS:
        raise ValueError(f"Start must be one of: {', '.join(TRAIN_STARTS)}.")
    if not files:
        raise ValueError(f"Add your pictures first (at least {MIN_IMAGES}, or a zip).")
    ws = common.workspace(request)
    with common.training_ticket("Paint training", name, request) as ticket:
        for line in common.wait_turn(ticket):
            yield line, gr.update(), gr.update(), gr.update()
        yield "Reading your pictures…", None, None, gr.update()
        data = load_image_set(_paths(files), res, loose_class=name)
        cfg = recipe_config(
            start, model_label, request, steps=n_steps, checkpoint_every=200, preview_every=25, time_budget_s=budget
        )
        events = train(
            data,
            ws.engine_models_dir(NAME) / f"{name}.pt",
            cfg=cfg,
            init_from=_init_from(start, model_label, res, request),
            stop=ticket.stop_token,
            device=common.studio().device,
            name=name,
            data_note=data.describe(),
            compact=True,
        )
        for ev in common.finish_on_close(events, ticket.stop_token):
            status = train_status(ev, name, data.describe(), n_steps)
            if ev.done:
                status += _keep_preview(ev, name, data.describe(), request)
            rows = loss_rows(ev)
            yield (
                status,
                pd.DataFrame(rows).astype({"step": int, "loss": float}) if rows else gr.update(),
                ev.preview if ev.preview is not None else gr.update(),
                gr.Dropdown(choices=list(models(request))) if ev.done or ev.checkpoint else gr.update(),
            )


def _init_from(start: str, model_label: str | None, resolution: int, request: gr.Request | None) -> Path | None:
    """The checkpoint a training starts from: the selected model when asked and of the same size."""
    found = models(request)
    if start != TRAIN_STARTS[1] or model_label not in found:
        return None
    return found[model_label] if load(model_label, request).config.resolution == resolution else None


CURVES = {"G": "painter (G)", "D": "critic (D)"}  # the plot's names for the two networks' losses


def loss_rows(ev: TrainEvent) -> list[dict]:
    """The plot's rows (step, loss, curve) for the run's last 400 reports, NaN losses left out; the
    curves are named for what each network does (the painter draws, the critic judges)."""
    rows = [row for row in history_rows(ev.history[-400:]) if row["loss"] == row["loss"]]
    return [{**row, "curve": CURVES.get(row["curve"], row["curve"])} for row in rows]


def _done_line(ev: TrainEvent, name: str, asked: int) -> str:
    """The final status, as every tab words it: how the training ended and which file it left
    (compact, or with its training state), then that the model is in the list."""
    if ev.checkpoint is None or not Path(ev.checkpoint).is_file():
        said = "" if not ev.message or ev.message in END_REASONS else f" ({ev.message})"
        return f"**Done**{said}: the model **{name} (yours)** is in the list."
    reason = ev.message if ev.message in END_REASONS else "finished"
    ended = end_sentence(reason, ev.step, asked, Path(ev.checkpoint), name, not resumable(ev.checkpoint))
    return f"**Done**: {ended.rstrip('.')}. The model **{name} (yours)** is in the list."


def train_status(ev: TrainEvent, name: str, data_note: str, asked: int | None = None) -> str:
    """The status line for one training event: step of total, pictures/s, elapsed and ETA; at the end,
    how it ended against the `asked` steps (the run's total when not given) and what it saved."""
    if ev.done:
        return _done_line(ev, name, asked or ev.total)
    if not ev.step:
        return f"**{ev.message or 'started'}** · {data_note} · timing the first steps…"
    return common.training_line(ev, name, data_note, f"{ev.stats.get('img_per_s', 0.0):.0f} pictures/s")


def _keep_preview(ev: TrainEvent, name: str, data_note: str, request: gr.Request | None) -> str:
    """Keep a finished training's last preview in the caller's Gallery; '' or a note why not."""
    if ev.preview is None:
        return ""
    ws = common.workspace(request)
    try:
        ws.check_room()
    except ValueError as err:
        return f" (its preview was not kept: {err})"
    ws.store.save_image(
        ev.preview, controls.preview_recipe(name, ev.step, data_note), title=f"{name} · after {ev.step} steps"
    )
    return ""


# ------------------------------------------------------------------ layout and wiring
def panel() -> SimpleNamespace:
    """The training accordion: pictures (and what they hold), name, settings, Start/Stop, status, losses, preview."""
    with gr.Accordion("Train on my own pictures", open=False, elem_id="paint-train-panel"):
        gr.Markdown(
            f"At least {MIN_IMAGES} pictures (png, jpg, webp), or a zip. Sub-folders of a zip become "
            "classes; loose pictures are one class, named after the model. Training saves every few "
            "hundred steps; training again with the same name goes on from it (a stopped run resumes; a "
            "finished one, saved compact, is fine-tuned further). With a time limit, it times a few "
            "steps first and fits its batch and steps to end on time."
        )
        with gr.Row():
            files = gr.File(
                file_count="multiple", file_types=["image", ".zip"], label="Your pictures", elem_id="paint-train-files"
            )
            with gr.Column():
                name = gr.Textbox(value="my-pictures", label="Name of the new model", elem_id="paint-train-name")
                start = gr.Radio(list(TRAIN_STARTS), value=TRAIN_STARTS[1], label="Start", elem_id="paint-train-start")
                steps = gr.Slider(
                    50, controls.MAX_TRAIN_STEPS, value=1500, step=50, label="Steps", elem_id="paint-train-steps"
                )
                minutes = gr.Number(value=0, label="Time limit in minutes (0 = none)", elem_id="paint-train-minutes")
                resolution = gr.Radio(
                    list(controls.RESOLUTIONS), value=64, label="Size in pixels", elem_id="paint-train-res"
                )
        found = gr.Markdown(elem_id="paint-train-found")
        sheet = gr.Image(
            type="pil",
            label="What you dropped, by class",
            interactive=False,
            height=220,
            elem_id="paint-train-sheet",
            buttons=["fullscreen"],
        )
        with gr.Row():
            start_btn = gr.Button("Start training", variant="primary", elem_id="paint-train-start-btn")
            stop_btn = gr.Button("Stop", variant="stop", elem_id="paint-train-stop")
        status = gr.Markdown(elem_id="paint-train-status")
        with gr.Row():
            plot = gr.LinePlot(
                x="step",
                y="loss",
                color="curve",
                height=260,
                label="Losses",
                y_title="loss",
                x_title="step",
                elem_id="paint-train-plot",
            )
            preview = gr.Image(
                type="pil",
                label="What it draws now",  # a row per class of yours; short, so a phone shows it beside the buttons
                height=260,
                interactive=False,
                buttons=["download", "fullscreen"],
                elem_id="paint-train-preview",
            )
    return SimpleNamespace(
        files=files,
        name=name,
        start=start,
        steps=steps,
        minutes=minutes,
        resolution=resolution,
        found=found,
        sheet=sheet,
        start_btn=start_btn,
        stop_btn=stop_btn,
        status=status,
        plot=plot,
        preview=preview,
    )


def wire(t: SimpleNamespace, model_dd: gr.Dropdown) -> None:
    """Training (/paint_train) through the studio's queue, Stop (any page of the workspace), the upload's survey."""
    t.start_btn.click(
        paint_train,
        [t.files, t.name, t.start, t.steps, t.minutes, t.resolution, model_dd],
        [t.status, t.plot, t.preview, model_dd],
        api_name="paint_train",
        **common.TRAINING_EVENT,
    )
    t.stop_btn.click(common.stop_training, None, t.status, api_visibility="private", queue=False)
    gr.on(  # the loose class takes the model's name: say it again when the name is changed
        [t.files.change, t.name.blur, t.name.submit],
        preview_upload,
        [t.files, t.name],
        [t.found, t.sheet],
        api_visibility="private",
        show_progress="minimal",
    )
