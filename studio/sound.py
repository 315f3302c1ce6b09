"""Sound tab: play a note VAE with named timbre sliders, continue a tune or compose one (the Melody
panel, studio/sound_melody.py), morph between timbres, encode your own sound, sweep two settings, and
train on your own recordings. Handlers first, then the layout (studio/sound_panels.py), then the
wiring; the work itself (bounds, recipes, remakes, spectrograms, sweeps, slider names, training
plans) lives in engines.sound."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from engines import recipe as recipes
from engines.jobs import LIVE
from engines.sound import audio, instrument
from engines.sound import replay as sound_replay
from engines.sound import sweep as sound_sweep
from engines.sound.render import note_name
from studio import common, history
from studio import sound_panels as panels
from studio.common import Restorer, StudioContext, friendly, how_it_works, one_input_per_slider
from studio.sound_actions import (  # noqa: F401
    RESTORE_KINDS,
    RESTORE_OUTPUTS,
    add_model,
    history_open,
    model_file,
    restore_recipe,
    sound_train,
    sweep_cell_open,
    sweep_stop,
)
from studio.sound_actions import sound_sweep_run as sound_sweep_run
from studio.sound_panels import (  # noqa: F401
    CENTRE,
    CURRENT,
    KINDS,
    MY_SOUND,
    N_SLIDERS,
    PITCH_RANGE,
    _explicit,
    _source,
    models_of,
    note_model,
    pitch_label,
    play,
    slider_looks,
    spec,
)

try:
    sound_melody = importlib.import_module("studio.sound_melody")
except ModuleNotFoundError as err:  # the melody panel is not built yet
    if err.name != "studio.sound_melody":
        raise
    sound_melody = None

NAME = "sound"
TITLE = "Sound"
_models = models_of  # the name the older tests use
# RESTORE_OUTPUTS (the components restore_recipe(rec, request) updates, in its order; build fills it and
# the melody panel may append its own) and restore_recipe live in studio.sound_actions, imported above.

HELP = f"""
Sound plays notes with a **variational autoencoder** (VAE): it learned to squeeze a whole note's
spectrogram into 16 numbers (its *timbre*) and to rebuild the note from them at any pitch it
learned. The bundled model learned from about 13,000 notes of 111 General MIDI instruments, MIDI
{PITCH_RANGE[0]}-{PITCH_RANGE[1]}.

- **Preset** starts from an instrument's timbre; the **timbre sliders** move along the ways the
  learned timbres differ most (principal directions). Each slider is **named by what it was measured
  to change** (notes rendered at -2 and +2 along it: brightness, attack, ring, noisiness, vibrato,
  loudness) and ranges only as far as notes stay usable. Every move plays the new note at once;
  each note starts from silence (a 4 ms ramp) and rings out until it has decayed.
- **Recent** keeps your last 12 results: click one to go back to it.
- **Encode my sound**: upload a recording of one note (up to {audio.MAX_UPLOAD_SECONDS:.0f} s); its
  timbre lands on the sliders to edit.
- **Morph** turns one timbre (and pitch) into another over several seconds, as one sound.
- **Melody: continue a tune or compose one**: sing, hum or play a few notes (or start from the note
  above, or a MIDI file) and a melody model carries on, played with the timbre above; or it composes
  from nothing in a key and metre. *Temperature* adds surprise (0 = the likeliest notes).
- **Sweep** plays two settings across a grid (pitch, velocity, hold, preset, any timbre slider) as
  one WAV with short gaps; click a cell to open it.
- **Keep** saves the WAV, with its recipe, to the Gallery; anything kept reopens here with every control.
- **Train**: upload notes or melodies (wav, flac, ogg, mp3, or a zip; up to
  {audio.MAX_TRAIN_BYTES / 1e6:.0f} MB in all, zips unpacked). Notes are cut at their onsets and their
  pitch estimated; at least {audio.MIN_NOTES} pitched notes are needed. With a time limit the run
  times a few steps first and plans its batch, steps and schedule to end on time.
"""


# ------------------------------------------------------------------ the note
@friendly
def sound_generate(
    model_label: str,
    preset: str,
    pitch: float,
    velocity: float,
    seconds: float,
    timbre: list | dict | None,
    sliders: list[float],
    request: gr.Request | None = None,
) -> tuple[bytes, Image.Image]:
    """One note from the controls: (a WAV carrying its recipe, as bytes; its spectrogram). No file is written."""
    with LIVE.live():
        model, wave, mel, rec = play(model_label, preset, pitch, velocity, seconds, timbre, sliders, request)
    return recipes.wav_bytes(model.settings.sample_rate, wave, rec), spec(mel, model)


@friendly
def sound_keep(
    model_label: str,
    preset: str,
    pitch: float,
    velocity: float,
    seconds: float,
    timbre: list | dict | None,
    sliders: list[float],
    request: gr.Request | None = None,
) -> str:
    """Save the note on screen (the one just played, not made again) with its recipe to the caller's
    Gallery; returns the kept WAV's path."""
    ws = common.workspace(request)
    model, wave, _, rec = play(model_label, preset, pitch, velocity, seconds, timbre, sliders, request)
    ws.check_room(2 * len(wave) + 50_000)
    title = f"{model.name} · {preset or 'centre'} · {note_name(int(round(rec['pitch'])))}"
    out = ws.store.save_sound(model.settings.sample_rate, wave, rec, title=title)
    gr.Info("Kept in the Gallery.")
    return str(out.path)


def reset_sliders() -> list[float]:
    """Every timbre slider back to 0."""
    return [0.0] * N_SLIDERS


@friendly
def sound_encode(model_label: str, path: str | None, request: gr.Request | None = None) -> tuple:
    """An uploaded note's timbre and pitch onto the controls: (preset, timbre, pitch, note, *sliders at 0).
    The recording is kept in the caller's Gallery inputs, so what is made from it can be reopened."""
    if not path:
        return (gr.update(),) * 4 + (gr.update(),) * N_SLIDERS
    model = note_model(model_label, request)
    clip = audio.load_upload(path, model.settings, "The sound to encode")
    z, midi = instrument.encode(model, clip.wave)
    ws = common.workspace(request)
    ws.check_room(Path(path).stat().st_size)
    source = ws.store.keep_input(path, Path(path).suffix.lower() or ".wav")
    names = [CENTRE, *model.presets, MY_SOUND]
    note = f"Encoded **{clip.name}**: {pitch_label(midi)}. " + " ".join(clip.notes)
    return (
        gr.Dropdown(choices=names, value=MY_SOUND),
        {"timbre": [round(float(x), 5) for x in z], "source": source},
        midi,
        note,
        *reset_sliders(),
    )


@friendly
def note_settled(
    entries: list | None,
    model_label: str,
    preset: str,
    pitch: float,
    velocity: float,
    seconds: float,
    timbre: list | dict | None,
    sliders: list[float],
    request: gr.Request | None = None,
) -> tuple[list, list]:
    """A control came to rest: the note it plays joins the history strip (the note was just heard,
    so it is not made again)."""
    model, wave, _, rec = play(model_label, preset, pitch, velocity, seconds, timbre, sliders, request)
    caption = f"{rec.get('preset') or ('encoded' if rec.get('timbre') else 'centre')} · {note_name(int(rec['pitch']))}"
    return history.push(entries, (model.settings.sample_rate, wave), rec, caption)


@friendly
def file_settled(entries: list | None, path: str | None) -> tuple[list, list]:
    """A morph or sweep finished: its kept file joins the history strip."""
    if not path or not Path(path).is_file():
        return entries or [], history.shown(entries or [])
    wave, sr = audio.sf_read(path)
    rec = recipes.read(path)
    caption = {"morph": "morph", "continuation": "continuation", "sweep": "sweep"}.get(rec.get("kind"), "sound")
    return history.push(entries, (sr, wave), {**rec, "_kept": str(path)}, caption)


@friendly
def model_changed(
    model_label: str,
    preset: str,
    pitch: float,
    pitch_a: float,
    pitch_b: float,
    sliders: list | None = None,
    request: gr.Request | None = None,
) -> tuple:
    """A note model was chosen: its presets (here and in Morph), its pitch range on the pitch sliders,
    its timbre sliders' measured names and safe ranges, and the sweep's axes."""
    model = note_model(model_label, request)
    names = [CENTRE, *model.presets]
    value = preset if preset in names else names[min(1, len(names) - 1)]
    lo, hi = model.pitch_range

    def ranged(label: str, v: float) -> gr.Slider:
        try:
            v = float(np.clip(float(v), lo, hi))
        except (TypeError, ValueError):
            v = float(np.clip(60, lo, hi))
        return gr.Slider(minimum=lo, maximum=hi, value=v if np.isfinite(v) else float(lo), label=label)

    axes = sound_sweep.axis_names(model)
    return (
        gr.Dropdown(choices=names, value=value),
        gr.Dropdown(choices=[CURRENT, *names[1:]]),
        gr.Dropdown(choices=[CURRENT, *names[1:]]),
        ranged(f"Pitch (MIDI; this model plays {lo}-{hi})", pitch),
        ranged("From pitch", pitch_a),
        ranged("To pitch", pitch_b),
        *slider_looks(model, sliders),
        gr.Dropdown(choices=axes),
        gr.Dropdown(choices=axes),
    )


@friendly
def model_lists(model_label: str | None, request: gr.Request | None = None) -> gr.Dropdown:
    """The note model list of this caller (a vanished choice falls back to the first)."""
    notes = models_of(request)
    return gr.Dropdown(choices=list(notes), value=model_label if model_label in notes else next(iter(notes), None))


# ------------------------------------------------------------------ morph
@friendly
def sound_morph(
    model_label: str,
    a: str,
    pitch_a: float,
    b: str,
    pitch_b: float,
    seconds: float,
    velocity: float,
    preset: str,
    timbre: list | dict | None,
    sliders: list[float],
    request: gr.Request | None = None,
) -> tuple[str, Image.Image]:
    """Morph timbre/pitch A into B ('(the current sound)' or a preset at each end) over some seconds;
    kept in the caller's Gallery. Returns (the kept WAV's path, its spectrogram)."""
    ws = common.workspace(request)
    model = note_model(model_label, request)
    current = {"preset": preset, "sliders": instrument.check_sliders(sliders), "timbre": _explicit(preset, timbre)}
    if _source(preset, timbre):
        current["source"] = _source(preset, timbre)
    rec = instrument.morph_recipe(model, a, pitch_a, b, pitch_b, seconds, velocity, current)
    wave, mel = sound_replay.morph(model, rec)
    ws.check_room(2 * len(wave) + 50_000)
    out = ws.store.save_sound(model.settings.sample_rate, wave, rec, title=f"{model.name} · morph {a} → {b}")
    return str(out.path), spec(mel, model)


@friendly
def restore(path: str | None, request: gr.Request | None = None) -> list:
    """Every control and output from a kept sound's recipe (a WAV from here or from the Gallery)."""
    if not path:
        return [gr.update()] * max(len(RESTORE_OUTPUTS), 7 + N_SLIDERS)
    if Path(path).stat().st_size > 4 * audio.MAX_UPLOAD_BYTES:
        raise ValueError(f"{Path(path).name} is larger than any sound kept here; choose a WAV kept by Sound.")
    rec = recipes.read(path)
    if rec.get("engine") != NAME:
        raise ValueError("That file's recipe was not made by Sound.")
    if rec.get("kind") not in RESTORE_KINDS and sound_melody is not None and hasattr(sound_melody, "restore_recipe"):
        return sound_melody.restore_recipe({**rec, "_kept": str(path)}, request)
    return restore_recipe({**rec, "_kept": str(path)}, request)


def _one_input_per_slider(handler: Callable[..., Any]) -> Callable[..., Any]:
    """`handler` with one gradio input per timbre slider (see common.one_input_per_slider)."""
    return one_input_per_slider(handler, N_SLIDERS, "timbre")


# ------------------------------------------------------------------ layout
def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Sound tab (controls beside the note, which stays in view) and wire its events. The
    melody panel (studio/sound_melody.py, the tab's Continue), when present, sits right below the note:
    its place is kept by an empty column there and filled once RESTORE_OUTPUTS holds the tab's own
    components, so the panel finds them and appends only its own."""
    start = panels.first_models()
    how_it_works(HELP)
    with gr.Row(elem_classes=["atelier-split"]):
        with gr.Column(scale=2):
            note = panels.layout_note(start)
            encode = panels.layout_encode()
        with gr.Column(scale=3, elem_classes=["atelier-output"]):
            out = panels.layout_output()
    melody_place = gr.Column()
    lo, hi = start.range
    ui = SimpleNamespace(
        note=note,
        encode=encode,
        out=out,
        morph=panels.layout_morph(start.presets, lo, hi),
        sweep=panels.layout_sweep(start.axes),
        train=panels.layout_train(),
        models=panels.layout_models(),
    )
    RESTORE_OUTPUTS[:] = _restore_outputs(ui)
    _wire(ctx, tab, ui)
    if sound_melody is not None:
        with melody_place:
            sound_melody.build(ctx, tab, ui)
    _wire_restore(ctx, ui)


def _restore_outputs(ui: SimpleNamespace) -> list:
    """The components restore_recipe updates, in its order."""
    n, m, s = ui.note, ui.morph, ui.sweep
    return [
        n.model_dd,
        n.preset,
        n.pitch,
        n.velocity,
        n.seconds,
        n.timbre,
        ui.models.note,
        *n.sliders,
        ui.out.audio,
        ui.out.spec,
        m.a,
        m.pitch_a,
        m.b,
        m.pitch_b,
        m.seconds,
        m.out,
        m.spec,
        s.x_axis,
        s.x_values,
        s.y_axis,
        s.y_values,
        s.status,
        s.track,
        s.cells,
        s.recipes,
    ]


# ------------------------------------------------------------------ wiring
LIVE_EVENT = dict(show_progress="hidden", concurrency_id="sound_live", concurrency_limit=4)
EXPORT_EVENT = dict(concurrency_id="sound_export", concurrency_limit=1)
QUIET = dict(api_visibility="private", show_progress="hidden")


def _note_inputs(ui: SimpleNamespace) -> list:
    """The inputs of /sound_generate and /sound_keep, in the README's order."""
    n = ui.note
    return [n.model_dd, n.preset, n.pitch, n.velocity, n.seconds, n.timbre, *n.sliders]


def _wire(ctx: StudioContext, tab: gr.Tab, ui: SimpleNamespace) -> None:
    """Connect the tab's events to the handlers above (api names as the README documents them)."""
    _wire_note(ctx, tab, ui)
    _wire_history(ui)
    _wire_panels(ui)
    _wire_sweep(ui)
    _wire_models(ui)


def _wire_note(ctx: StudioContext, tab: gr.Tab, ui: SimpleNamespace) -> None:
    """The note: live playing, model changes, reset, keep, encode."""
    n, out, m, s = ui.note, ui.out, ui.morph, ui.sweep
    generate = _one_input_per_slider(sound_generate)
    gr.on(
        [s.input for s in n.sliders]
        + [n.pitch.input, n.velocity.input, n.seconds.input, n.preset.change, n.timbre.change, ctx.demo.load],
        generate,
        _note_inputs(ui),
        [out.audio, out.spec],
        trigger_mode="always_last",
        api_name="sound_generate",
        **LIVE_EVENT,
    )
    n.pitch.change(pitch_label, n.pitch, n.pitch_name, queue=False, **QUIET)
    gr.on(
        [n.model_dd.change, ctx.demo.load],
        one_input_per_slider(model_changed, N_SLIDERS, "timbre"),
        [n.model_dd, n.preset, n.pitch, m.pitch_a, m.pitch_b, *n.sliders],
        [n.preset, m.a, m.b, n.pitch, m.pitch_a, m.pitch_b, *n.sliders, s.x_axis, s.y_axis],
        **QUIET,
    )
    gr.on([tab.select, ctx.demo.load, n.refresh.click], model_lists, n.model_dd, n.model_dd, **QUIET)
    n.reset.click(reset_sliders, None, n.sliders, **QUIET).then(
        generate, _note_inputs(ui), [out.audio, out.spec], api_visibility="private", **LIVE_EVENT
    )
    out.keep.click(
        _one_input_per_slider(sound_keep),
        _note_inputs(ui),
        out.kept,
        api_name="sound_keep",
        concurrency_id="sound_live",
    )
    ui.encode.file.change(
        sound_encode,
        [n.model_dd, ui.encode.file],
        [n.preset, n.timbre, n.pitch, ui.encode.note, *n.sliders],
        api_visibility="private",
    )


def _wire_history(ui: SimpleNamespace) -> None:
    """The strip of recent results: a note joins when a control comes to rest (not on every drag frame)."""
    n, out = ui.note, ui.out
    settled = [s.release for s in n.sliders] + [
        n.pitch.release,
        n.velocity.release,
        n.seconds.release,
        n.preset.input,
        n.model_dd.input,
        n.reset.click,
        ui.encode.file.change,
    ]
    gr.on(
        settled,
        _one_input_per_slider(note_settled),
        [out.entries, *_note_inputs(ui)],
        [out.entries, out.strip],
        trigger_mode="always_last",
        **QUIET,
    )
    for done, path in ((ui.morph.out.change, ui.morph.out), (ui.sweep.kept.change, ui.sweep.kept)):
        done(file_settled, [out.entries, path], [out.entries, out.strip], **QUIET)


def _wire_panels(ui: SimpleNamespace) -> None:
    """Morph (/sound_morph) and training (/sound_train, Stop)."""
    n, m, t = ui.note, ui.morph, ui.train
    m.render.click(
        _one_input_per_slider(sound_morph),
        [n.model_dd, m.a, m.pitch_a, m.b, m.pitch_b, m.seconds, n.velocity, n.preset, n.timbre, *n.sliders],
        [m.out, m.spec],
        api_name="sound_morph",
        **EXPORT_EVENT,
    )
    t.start_btn.click(
        sound_train,
        [t.files, t.kind, t.name, t.start, t.steps, t.minutes, n.model_dd],
        [t.status, t.plot, t.preview, n.model_dd],
        api_name="sound_train",
        **common.TRAINING_EVENT,
    )
    t.stop_btn.click(common.stop_training, None, t.status, api_visibility="private", queue=False)


def _wire_sweep(ui: SimpleNamespace) -> None:
    """The sweep (/sound_sweep) and its Stop."""
    s = ui.sweep
    s.run.click(
        _one_input_per_slider(sound_sweep_run),
        [*_note_inputs(ui), s.x_axis, s.x_values, s.y_axis, s.y_values],
        [s.status, s.track, s.cells, s.kept, s.recipes],
        api_name="sound_sweep",
        **EXPORT_EVENT,
    )
    s.stop.click(sweep_stop, None, s.status, api_visibility="private", queue=False)


def _wire_models(ui: SimpleNamespace) -> None:
    """Adding and downloading models."""
    n, mm = ui.note, ui.models
    mm.upload.upload(add_model, mm.upload, [n.model_dd, mm.note], api_visibility="private")
    mm.download_btn.click(model_file, n.model_dd, mm.download, api_visibility="private")


def _accepts(rec: dict) -> bool:
    """Whether the Sound tab reopens a recipe (its own kinds, and the melody panel's when present)."""
    mine = rec.get("engine") == NAME and rec.get("kind") in RESTORE_KINDS
    theirs = sound_melody is not None and getattr(sound_melody, "accepts", lambda r: False)(rec)
    return bool(mine or theirs)


def _wire_restore(ctx: StudioContext, ui: SimpleNamespace) -> None:
    """Reopening (after the melody panel has had its chance to add to RESTORE_OUTPUTS): a recipe file,
    the Gallery's 'Open in Sound', a history click, a sweep cell click."""
    outputs = list(RESTORE_OUTPUTS)
    ui.models.open_recipe.upload(restore, ui.models.open_recipe, outputs, api_visibility="private")
    ui.out.strip.select(history_open, ui.out.entries, outputs, api_visibility="private")
    ui.sweep.cells.select(sweep_cell_open, ui.sweep.recipes, outputs, api_visibility="private")
    ctx.restorers[NAME] = Restorer(restore, outputs, _accepts)
