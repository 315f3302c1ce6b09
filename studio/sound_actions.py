"""Sound tab, part three: the handlers behind the panels: training on the artist's sounds (with a
plan that fits a time limit), adding and downloading models, the Sweep, and reopening any Sound
recipe (a note, a morph, a sweep; an old frame continuation's note only) as every control and output of the tab."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd

from engines import checkpoints, limits, tempfiles
from engines import recipe as recipes
from engines import sweep as sweeps_engine
from engines.events import TrainEvent, history_rows
from engines.jobs import StopToken, Ticket
from engines.replay import ReplayContext
from engines.sound import audio, explore
from engines.sound import replay as sound_replay
from engines.sound import sweep as sound_sweep
from engines.sound.melody import KIND as MELODY_KIND
from engines.sound.recipe import studio_config
from engines.sound.spectrum import SpectrumSettings, audio_to_logmel
from engines.sound.train import plan_budget, train_on
from studio import common, history
from studio.common import friendly, status_says_why
from studio.sound_panels import (
    CENTRE,
    CURRENT,
    KINDS,
    MY_SOUND,
    N_SLIDERS,
    NAME,
    STARTS,
    models_of,
    note_model,
    play,
    spec,
)

RESTORE_OUTPUTS: list = []  # the components restore_recipe updates, in its order (studio.sound.build fills it)
RESTORE_KINDS = sound_replay.KINDS
RETIRED_KIND = "continuation RNN"  # Train's old choice for the frame continuation RNN (retired, issue #21)
BASE_OUTPUTS = 7 + N_SLIDERS + 2 + 7 + 8  # note controls, note output, morph, sweep
_SWEEP_STOPS: dict[str, StopToken] = {}


# ------------------------------------------------------------------ handlers: training and models
def _status(ev: TrainEvent, data: audio.TrainingData, name: str) -> str:
    """One line about a training event for the status box; at the end, how it was saved."""
    return common.training_line(ev, name, data.described, data.remarks)


def _stream(
    events: Iterator[TrainEvent],
    ticket: Ticket,
    data: audio.TrainingData,
    name: str,
    sample_rate: int,
    request: gr.Request | None,
) -> Iterator[tuple]:
    """The training's outputs as it runs: status, loss plot, what it plays now, the model lists. If
    the reader goes away, the training is stopped and saved here, before its queue ticket is given up."""
    preview: bytes | None = None
    with contextlib.closing(common.finish_on_close(events, ticket.stop_token)) as watched:
        for ev in watched:
            rows = history_rows(ev.history)
            if ev.preview is not None:
                preview = recipes.wav_bytes(sample_rate, ev.preview)
            models = gr.Dropdown(choices=list(models_of(request))) if ev.done else gr.update()
            yield _status(ev, data, name), (pd.DataFrame(rows[-800:]) if rows else gr.update()), preview, models


@friendly
@status_says_why(4)
def sound_train(
    files: list | None,
    kind: str,
    name: str,
    start: str,
    steps: float,
    minutes: float | None,
    model_label: str | None,
    request: gr.Request | None = None,
) -> Iterator[tuple]:
    """Train a note model on uploaded sounds in the caller's workspace, through the studio's training
    queue; streams (status, loss plot, preview clip, note models). It first
    says what it found (files, seconds, notes); with a time limit it times a few steps and plans the
    batch, steps and schedule to end on time (the Steps slider then does not apply). A stopped model of
    the same name resumes; a finished one was saved compact and is fine-tuned; the last line says which."""
    if kind == RETIRED_KIND:
        raise ValueError("The continuation RNN was retired; train a melody model in the Melody panel instead.")
    if kind not in KINDS:
        raise ValueError(f"Choose what to train: {' or '.join(KINDS)}.")
    name = (name or "").strip()
    if not files:
        raise ValueError("Add your sounds first (wav, flac, ogg, mp3 or a zip).")
    steps = limits.whole(steps, "Steps", 1, limits.MAX_TRAIN_STEPS)
    budget = common.budget_s(minutes)
    paths = [str(getattr(f, "name", None) or getattr(f, "path", None) or f) for f in files]
    same = (gr.update(),) * 3
    with common.training_ticket("Sound training", name, request) as ticket:
        for line in common.wait_turn(ticket):
            yield (line, *same)
        yield ("Listening to your sounds…", *same)
        note_path = models_of(request).get(model_label)
        settings = explore.load_note_model(note_path).settings if note_path else SpectrumSettings(n_mels=128)
        with tempfiles.job_dir("sound-train") as work:  # unpacked zips go as soon as the sounds are read
            data = audio.prepare_training_data(paths, settings, work)
        yield (data.summary() + " Training starts…", *same)
        init = models_of(request).get(model_label) if start == STARTS[1] else None
        out = common.workspace(request).engine_models_dir(NAME) / f"{name}.pt"
        device = common.studio().device
        planned = budget and limits.number(minutes or 0, "The time limit in minutes", 0, 24 * 60) > 0
        cfg, plan = (
            plan_budget(data, settings, budget, device, init)
            if planned  # the artist's own limit
            else (studio_config(steps, budget), "")
        )  # steps as asked (a cap still ends it)
        yield (f"{data.summary()} {plan}", *same)
        events = train_on(data, out, settings, cfg, ticket.stop_token, name, init, device)
        yield from _stream(events, ticket, data, name, settings.sample_rate, request)


@friendly
def add_model(path: str | None, request: gr.Request | None = None) -> tuple:
    """Add an uploaded Sound model (.pt) to the caller's models: a note model joins the note list, a
    melody model the Melody panel's list; returns (note models, a note)."""
    if not path:
        return gr.update(), ""
    ws = common.workspace(request)
    ws.check_room(Path(path).stat().st_size)
    kind = checkpoints.load(path, engine=NAME).config.get("kind")
    if kind == explore.RETIRED_KIND:
        raise ValueError(
            f"{Path(path).name} is a frame continuation RNN, which was retired; the Melody panel continues a tune now."
        )
    if kind not in ("vae", MELODY_KIND):
        raise ValueError(f"{Path(path).name} is not a Sound model this version can play")
    label, ck = common.add_model_file(path, ws.engine_models_dir(NAME), NAME)
    data = ck.meta.get("data", "unknown data")
    if kind == MELODY_KIND:
        return gr.update(), f"Added the melody model **{label}** ({data}): pick it under Melody."
    note = f"Added **{label}** ({data})."
    return gr.Dropdown(choices=list(models_of(request)), value=label), note


@friendly
def model_file(label: str | None, request: gr.Request | None = None) -> str:
    """The selected note model's checkpoint, to download."""
    return str(common.pick_model(models_of(request), label, "Sound model"))


# ------------------------------------------------------------------ sweep
def _stop_token(request: gr.Request | None) -> StopToken:
    """This workspace's sweep stop token, fresh for a new sweep."""
    token = _SWEEP_STOPS[common.workspace(request).name] = StopToken()
    return token


def sweep_stop(request: gr.Request | None = None) -> str:
    """The sweep's Stop button: stop this workspace's running sweep after its current cell."""
    token = _SWEEP_STOPS.get(common.workspace(request).name)
    if token is None:
        return "No sweep is running."
    token.stop()
    return "Stopping after this cell…"


def _cells_shown(model: explore.NoteModel, waves: list[np.ndarray], labels: list[str]) -> list:
    """The cells gallery: a small spectrogram per cell, captioned with its values."""
    return [(sound_sweep.thumbnail(model, w), label) for w, label in zip(waves, labels)]


@friendly
def sound_sweep_run(
    model_label: str,
    preset: str,
    pitch: float,
    velocity: float,
    seconds: float,
    timbre: list | dict | None,
    sliders: list[float],
    x_axis: str,
    x_values: str,
    y_axis: str,
    y_values: str,
    request: gr.Request | None = None,
) -> Iterator[tuple]:
    """Sweep two note settings around the current note (at most 100 cells; Stop ends it early):
    streams (status, the track of every cell in turn, the cells' spectrograms, the kept file, each
    cell's recipe). The track is kept in the Gallery with the sweep's recipe."""
    ws = common.workspace(request)
    model, _, _, base = play(model_label, preset, pitch, velocity, seconds, timbre, sliders, request)
    xa, ya = sound_sweep.axes(model, (x_axis, x_values), (y_axis, y_values))
    stop, same = _stop_token(request), (gr.update(),) * 4
    cells: list[sweeps_engine.Cell] = []
    for event in sound_sweep.run(model, base, xa, ya, stop):
        cells = event.cells
        if not event.done:
            yield (f"Sweeping: {event.message}…", *same)
    if not cells:
        raise ValueError("The sweep was stopped before its first cell.")
    sr, track = sweeps_engine.sound_track(cells)
    rec = sound_sweep.recipe(model, base, xa, ya, cells)
    ws.check_room(2 * len(track) + 50_000)
    out = ws.store.save_sound(sr, track, rec, title=f"{model.name} · sweep {xa.name} × {ya.name}")
    labels = [label for label, _ in sweeps_engine.cell_sounds(cells)]
    done = f"{len(cells)} cells" + (" (stopped early)" if stop.stopped else "") + ", kept in the Gallery."
    yield (
        done,
        str(out.path),
        _cells_shown(model, [c.output[1] for c in cells], labels),
        str(out.path),
        sound_sweep.cell_recipes(rec)[: len(cells)],
    )


# ------------------------------------------------------------------ reopening: recipe -> controls and output
def _note_part(rec: dict, request: gr.Request | None, message: str) -> list:
    """The note controls (model, preset, pitch, velocity, hold, timbre, message, *sliders) from a note recipe."""
    label = common.label_for_recipe(models_of(request), rec)
    base = rec.get("timbre")
    timbre = {"timbre": base, "source": rec["source"]} if base and rec.get("source") else base
    sliders = explore.check_sliders((list(rec.get("sliders") or []) + [0.0] * N_SLIDERS)[:N_SLIDERS])
    return [
        label,
        MY_SOUND if base else (rec.get("preset") or CENTRE),
        rec.get("pitch", 60),
        rec.get("velocity", 100),
        rec.get("seconds", 1.5),
        timbre,
        message,
        *sliders,
    ]


def _kept_or_remade(rec: dict, request: gr.Request | None) -> tuple[str | bytes, np.ndarray, int]:
    """(the kept file, or the remade WAV; its wave; sample rate)."""
    kept = rec.get("_kept")
    if kept and Path(kept).is_file():
        wave, sr = audio.sf_read(kept)
        return kept, wave, sr
    ws = common.workspace(request)
    sr, wave = sound_replay.remake(rec, ReplayContext(ws.models_dir, ws.store))
    return recipes.wav_bytes(sr, wave, {k: v for k, v in rec.items() if k != "_kept"}), wave, sr


def restore_recipe(rec: dict, request: gr.Request | None = None) -> list:
    """Every control and output of the tab (RESTORE_OUTPUTS, in order) from a Sound recipe: a note
    (its note remade exactly), a morph or a sweep (the kept file, or remade). An old frame
    continuation (retired, issue #21) brings back the note it listened to, if any, with a line
    saying so. Parts a recipe does not set stay as they are."""
    kind, keep = rec.get("kind"), gr.update()
    if kind not in RESTORE_KINDS:
        raise ValueError("That recipe was not made by Sound.")
    where = Path(rec["_kept"]).name if rec.get("_kept") else "the recipe"
    primer = rec.get("primer") if isinstance(rec.get("primer"), dict) else None
    note_rec = {
        "note": rec,
        "morph": {**rec, **(rec.get("current") or {})},
        "sweep": {**rec, **(rec.get("base") or {})},
        "continuation": primer,
    }.get(kind)
    note_rec = note_rec if note_rec and note_rec.get("checkpoint") else None
    if note_rec and note_rec.get("preset") in (None, MY_SOUND, CURRENT) and not note_rec.get("timbre"):
        note_rec = {**note_rec, "preset": None}
    message = _retired_message(where, note_rec) if kind == "continuation" else f"Reopened **{where}**."
    parts = _note_part(note_rec, request, message) if note_rec else [keep] * (7 + N_SLIDERS)
    if kind == "continuation" and not note_rec:
        parts[6] = message
    if kind == "morph" and note_rec:
        parts[2] = parts[4] = keep  # a morph keeps its own pitches and length; the note's stay as they are
    main = [keep, keep]
    if kind == "note":
        made, wave, sr = _kept_or_remade(rec, request)
        model = note_model(parts[0], request)
        main = [made, spec(audio_to_logmel(wave, model.settings), model)]
    morph, sweep = [keep] * 7, [keep] * 8
    if kind == "morph":
        made, wave, _ = _kept_or_remade(rec, request)
        model = note_model(parts[0], request)
        morph = [
            rec.get("from"),
            rec.get("pitch"),
            rec.get("to"),
            rec.get("to_pitch"),
            rec.get("seconds"),
            made,
            spec(audio_to_logmel(wave, model.settings), model),
        ]
    elif kind == "sweep":
        sweep = _sweep_part(rec, request)
    extra = [keep] * max(0, len(RESTORE_OUTPUTS) - BASE_OUTPUTS)  # components the melody panel added
    return [*parts, *main, *morph, *sweep, *extra]


def _retired_message(where: str, note_rec: dict | None) -> str:
    """What reopening an old frame continuation says: its note only (if it listened to one)."""
    what = "its note is back on the controls" if note_rec else "it listened to an upload, so the controls stay"
    return (
        f"Reopened **{where}**: a frame continuation, which was retired, so {what}; the sound itself is "
        "kept as it was (the Gallery plays it). Continue a tune in the Melody panel."
    )


def _sweep_part(rec: dict, request: gr.Request | None) -> list:
    """The Sweep panel from a sweep recipe: axes, values, the track, the cells and their recipes."""
    made, wave, sr = _kept_or_remade(rec, request)
    model = note_model(common.label_for_recipe(models_of(request), rec), request)
    xa, ya = sweeps_engine.axes_of(rec)
    waves = sound_sweep.cells_of_track(rec, wave, sr) if rec.get("_kept") else []
    labels = [f"{sweeps_engine.format_value(x)}, {sweeps_engine.format_value(y)}" for y in ya.values for x in xa.values]
    values = ", ".join(str(v) for v in xa.values), ", ".join(str(v) for v in ya.values)
    return [
        xa.name,
        values[0],
        ya.name,
        values[1],
        f"Reopened a sweep of {len(labels)} cells.",
        made,
        _cells_shown(model, waves, labels),
        sound_sweep.cell_recipes(rec),
    ]


@friendly
def history_open(entries: list | None, evt: gr.SelectData, request: gr.Request | None = None) -> list:
    """A click on the history strip: that result's controls and output come back (undo)."""
    return restore_recipe(history.picked(entries, evt), request)


@friendly
def sweep_cell_open(cell_recipes: list | None, evt: gr.SelectData, request: gr.Request | None = None) -> list:
    """A click on a sweep cell: the note controls take that cell's values and it plays."""
    cell_recipes = cell_recipes or []
    if evt.index is None or not 0 <= int(evt.index) < len(cell_recipes):
        raise ValueError("That cell is no longer shown.")
    return restore_recipe(cell_recipes[int(evt.index)], request)
