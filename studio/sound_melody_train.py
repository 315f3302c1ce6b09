"""Sound tab, the Melody panel's training: a melody model trained on the artist's MIDI files through
the studio's training queue, streaming its status, loss plot and the model list; the last line says
whether the model was saved compact (finished) or with its training state (stopped: train again to go on)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import gradio as gr
import pandas as pd

from engines import limits, tempfiles
from engines.events import TrainEvent, history_rows
from engines.jobs import Ticket
from engines.sound import melody_studio as ms
from engines.sound.recipe import melody_studio_config
from engines.sound.train_melody import train_melody
from studio import common
from studio.common import friendly, status_says_why
from studio.sound_melody_panels import STARTS, melody_models
from studio.sound_panels import NAME


def _train_status(ev: TrainEvent, name: str, said: str) -> str:
    """One line about a training event: step, losses, time left; at the end, how the model was saved."""
    if ev.step == 0 and not ev.done:
        return f"**{ev.message}**. {said}"
    held = ev.losses.get("held-out")
    losses = f"loss {ev.loss:.3f}" + (f", held out {held:.3f}" if held is not None else "") if ev.losses else ""
    return common.training_line(ev, name, extra=losses)


def _train_stream(
    events: Iterator[TrainEvent], ticket: Ticket, name: str, said: str, request: gr.Request | None
) -> Iterator[tuple]:
    """The training's outputs as it runs; a closed page stops it and saves (common.finish_on_close)."""
    with contextlib.closing(common.finish_on_close(events, ticket.stop_token)) as watched:
        for ev in watched:
            rows = history_rows(ev.history)
            models = (
                gr.Dropdown(choices=list(melody_models(request)), value=f"{name} (yours)") if ev.done else gr.update()
            )
            yield _train_status(ev, name, said), (pd.DataFrame(rows[-800:]) if rows else gr.update()), models


@friendly
@status_says_why(3)
def sound_melody_train(
    files: list | None,
    name: str,
    start: str,
    steps: float,
    minutes: float | None,
    melody_label: str | None,
    request: gr.Request | None = None,
) -> Iterator[tuple]:
    """Train a melody model on the caller's MIDI files through the studio's training queue; streams
    (status, loss plot, models). A stopped model of the same name resumes, a finished (compact) one is
    fine-tuned, a new name starts from scratch or from the selected model."""
    name = (name or "").strip()
    if not files:
        raise ValueError("Add your MIDI files first (.mid, .midi, or a zip of them).")
    steps = limits.whole(steps, "Steps", 1, limits.MAX_TRAIN_STEPS)
    budget = common.budget_s(minutes)
    paths = [str(getattr(f, "name", None) or getattr(f, "path", None) or f) for f in files]
    with common.training_ticket("Melody training", name, request) as ticket:
        for line in common.wait_turn(ticket):
            yield line, gr.update(), gr.update()
        with tempfiles.job_dir("melody-train") as work:
            ms.gather_midi(paths, work)
            train, held, said = ms.read_tunes(work)
        out = common.workspace(request).engine_models_dir(NAME) / f"{name}.pt"
        init = melody_models(request).get(melody_label) if start == STARTS[1] and not out.exists() else None
        events = train_melody(
            train,
            held,
            out,
            cfg=melody_studio_config(steps, budget),
            stop=ticket.stop_token,
            device=common.studio().device,
            data_note=said,
            licence="the artist's own MIDI files",
            name=name,
            init_from=init,
        )
        yield from _train_stream(events, ticket, name, said, request)
