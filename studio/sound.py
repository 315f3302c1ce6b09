"""Sound tab: play a note VAE with named timbre sliders, continue a tune or compose one (the Melody
panel, studio/sound_melody.py), morph between timbres, encode your own sound, sweep two settings, and
train on your own recordings. The handlers are studio/sound_note.py's (the note, Morph) and
studio/sound_actions.py's (training, models, Sweep, reopening); the layout is studio/sound_panels.py's;
here are the help, reopening a kept file, `build` and the wiring. The work itself (bounds, recipes,
remakes, spectrograms, sweeps, slider names, training plans) lives in engines.sound."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from engines import recipe as recipes
from engines.sound import audio
from studio import common, sound_melody, sound_melody_restore
from studio import sound_panels as panels
from studio.common import Restorer, StudioContext, friendly, how_it_works, one_input_per_slider
from studio.sound_actions import (  # noqa: F401
    RESTORE_KINDS,
    RESTORE_OUTPUTS,
    add_model,
    history_open,
    model_file,
    restore_recipe,
    sound_sweep_run,
    sound_train,
    sweep_cell_open,
    sweep_stop,
)
from studio.sound_note import (
    file_settled,
    model_changed,
    model_lists,
    note_settled,
    reset_sliders,
    sound_encode,
    sound_generate,
    sound_keep,
    sound_morph,
)
from studio.sound_panels import (  # noqa: F401
    CENTRE,
    CURRENT,
    KINDS,
    MY_SOUND,
    N_SLIDERS,
    PITCH_RANGE,
    models_of,
    pitch_label,
    slider_looks,
    spec,
)

NAME = "sound"
TITLE = "Sound"
# RESTORE_OUTPUTS (the components restore_recipe(rec, request) updates, in its order; build fills it and
# the melody panel appends its own) and restore_recipe live in studio.sound_actions, imported above.

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
    if rec.get("kind") not in RESTORE_KINDS:
        return sound_melody_restore.restore_recipe({**rec, "_kept": str(path)}, request)
    return restore_recipe({**rec, "_kept": str(path)}, request)


def _one_input_per_slider(handler: Callable[..., Any]) -> Callable[..., Any]:
    """`handler` with one gradio input per timbre slider (see common.one_input_per_slider)."""
    return one_input_per_slider(handler, N_SLIDERS, "timbre")


# ------------------------------------------------------------------ layout
def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Sound tab (controls beside the note, which stays in view) and wire its events. The
    melody panel (studio/sound_melody.py, the tab's Continue) sits right below the note:
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
    return bool(mine or sound_melody_restore.accepts(rec))


def _wire_restore(ctx: StudioContext, ui: SimpleNamespace) -> None:
    """Reopening (after the melody panel has had its chance to add to RESTORE_OUTPUTS): a recipe file,
    the Gallery's 'Open in Sound', a history click, a sweep cell click."""
    outputs = list(RESTORE_OUTPUTS)
    ui.models.open_recipe.upload(restore, ui.models.open_recipe, outputs, api_visibility="private")
    ui.out.strip.select(history_open, ui.out.entries, outputs, api_visibility="private")
    ui.sweep.cells.select(sweep_cell_open, ui.sweep.recipes, outputs, api_visibility="private")
    ctx.restorers[NAME] = Restorer(restore, outputs, _accepts)
