"""Sound tab: play a note VAE with live timbre sliders, morph between timbres, encode your own
sound, let an RNN continue a sound, and train both on your own recordings. Handlers first, then
the layout, then the wiring; the work itself (bounds, recipes, spectrograms, training data) lives
in engines.sound."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from engines import checkpoints, limits, tempfiles
from engines import recipe as recipes
from engines.jobs import LIVE, Ticket
from engines.sound import audio, instrument, pictures
from engines.sound.render import midi_to_hz, note_name
from engines.sound.spectrum import SpectrumSettings
from engines.sound.train import SoundEvent, studio_config, train_on
from studio import common
from studio.common import Restorer, StudioContext, friendly, how_it_works, one_input_per_slider

NAME = "sound"
TITLE = "Sound"
N_SLIDERS = instrument.N_SLIDERS
CENTRE = "(centre of the model)"
MY_SOUND = "(my encoded sound)"
CURRENT = "(the current sound)"
PRIMERS = ("the current note", "my upload")
KINDS = {"note model (timbre sliders)": "vae", "continuation RNN": "rnn"}
STARTS = ("from scratch", "from the selected model")
PITCH_RANGE = (45, 84)  # the bundled note model's range; a chosen model sets its own

HELP = f"""
Sound plays notes with a **variational autoencoder** (VAE): it learned to squeeze a whole note's
spectrogram into 16 numbers (its *timbre*) and to rebuild the note from them at any pitch it
learned. The bundled model learned from about 13,000 notes of 111 General MIDI instruments, MIDI
{PITCH_RANGE[0]}-{PITCH_RANGE[1]}.

- **Preset** starts from an instrument's timbre; the **timbre sliders** move along the ways the
  learned timbres differ most (principal directions). Every move plays the new note at once.
- **Encode my sound**: upload a recording of one note (up to {audio.MAX_UPLOAD_SECONDS:.0f} s); its
  timbre lands on the sliders to edit.
- **Morph** turns one timbre (and pitch) into another over several seconds, as one sound.
- **Continue**: a recurrent network (RNN) listens to a sound and goes on playing; *temperature*
  adds surprise (0 = smooth and predictable).
- **Keep** saves the WAV, with its recipe, to the Gallery.
- **Train**: upload notes or melodies (wav, flac, ogg, mp3, or a zip; up to
  {audio.MAX_TRAIN_BYTES / 1e6:.0f} MB in all, zips unpacked). Notes are cut at their onsets and their
  pitch estimated; at least {audio.MIN_NOTES} pitched notes are needed.
"""


# ------------------------------------------------------------------ models of this request
def _models(request: gr.Request | None, kind: str = "vae") -> dict[str, Path]:
    """Bundled Sound models of one kind ('vae' or 'rnn') and the caller's own (from their workspace)."""
    return instrument.available_models(common.workspace(request).models_dir / NAME, kind)


def _note_model(label: str | None, request: gr.Request | None) -> instrument.NoteModel:
    """The note model a label names, for this caller."""
    return instrument.load_note_model(common.pick_model(_models(request), label, "Sound model"))


def _rnn_model(label: str | None, request: gr.Request | None) -> instrument.ContinuationModel:
    """The continuation RNN a label names, for this caller."""
    return instrument.load_continuation_model(common.pick_model(_models(request, "rnn"), label, "continuation model"))


def pitch_label(pitch: float) -> str:
    """The note under the pitch slider: '**C4** · MIDI 60 · 261.6 Hz' (empty for a non-number)."""
    try:
        p = int(round(float(pitch)))
    except (TypeError, ValueError, OverflowError):
        return ""
    return f"**{note_name(p)}** · MIDI {p} · {midi_to_hz(p):.1f} Hz"


def _preset_name(choice: str | None) -> str | None:
    """The model's preset a Preset choice names (None: the centre, or an encoded sound)."""
    return None if choice in (None, "", CENTRE, MY_SOUND, CURRENT) else str(choice)


def _explicit(preset: str | None, timbre: list | None) -> list | None:
    """The encoded timbre, when the Preset says to play it."""
    return timbre if preset == MY_SOUND and timbre else None


Played = tuple[instrument.NoteModel, np.ndarray, np.ndarray, dict]  # model, wave, log-mel, recipe


def _play(model_label: str, preset: str, pitch: float, velocity: float, seconds: float, timbre: list | None,
          sliders: list[float], request: gr.Request | None) -> Played:
    """Render the note the controls describe: (model, wave, log-mel, recipe). The engine checks every value."""
    model = _note_model(model_label, request)
    base, name = _explicit(preset, timbre), _preset_name(preset)
    wave, mel = instrument.note(model, pitch, velocity, seconds, name, sliders, base)
    return model, wave, mel, instrument.note_recipe(model, pitch, velocity, seconds, name, sliders, base)


# ------------------------------------------------------------------ handlers: the note
@friendly
def sound_generate(model_label: str, preset: str, pitch: float, velocity: float, seconds: float,
                   timbre: list | None, sliders: list[float],
                   request: gr.Request | None = None) -> tuple[bytes, Image.Image]:
    """One note from the controls: (a WAV carrying its recipe, as bytes; its spectrogram). No file is written."""
    with LIVE.live():
        model, wave, mel, rec = _play(model_label, preset, pitch, velocity, seconds, timbre, sliders, request)
    return recipes.wav_bytes(model.settings.sample_rate, wave, rec), pictures.spectrogram(mel)


@friendly
def sound_keep(model_label: str, preset: str, pitch: float, velocity: float, seconds: float, timbre: list | None,
               sliders: list[float], request: gr.Request | None = None) -> str:
    """Save the current note with its recipe to the caller's Gallery; returns the kept WAV's path."""
    ws = common.workspace(request)
    model, wave, _, rec = _play(model_label, preset, pitch, velocity, seconds, timbre, sliders, request)
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
    """An uploaded note's timbre and pitch onto the controls: (preset, timbre, pitch, note, *sliders at 0)."""
    if not path:
        return (gr.update(),) * 4 + (gr.update(),) * N_SLIDERS
    model = _note_model(model_label, request)
    clip = audio.load_upload(path, model.settings, "The sound to encode")
    z, midi = instrument.encode(model, clip.wave)
    names = [CENTRE, *model.presets, MY_SOUND]
    note = f"Encoded **{clip.name}**: {pitch_label(midi)}. " + " ".join(clip.notes)
    return (gr.Dropdown(choices=names, value=MY_SOUND), [round(float(x), 5) for x in z], midi, note,
            *reset_sliders())


@friendly
def model_changed(model_label: str, preset: str, pitch: float, pitch_a: float, pitch_b: float,
                  request: gr.Request | None = None) -> tuple:
    """A note model was chosen: its presets (here and in Morph) and its pitch range on the pitch sliders."""
    model = _note_model(model_label, request)
    names = [CENTRE, *model.presets]
    value = preset if preset in names else names[min(1, len(names) - 1)]
    lo, hi = model.pitch_range

    def ranged(label: str, v: float) -> gr.Slider:
        try:
            v = float(np.clip(float(v), lo, hi))
        except (TypeError, ValueError):
            v = float(np.clip(60, lo, hi))
        return gr.Slider(minimum=lo, maximum=hi, value=v if np.isfinite(v) else float(lo), label=label)

    return (gr.Dropdown(choices=names, value=value), gr.Dropdown(choices=[CURRENT, *names[1:]]),
            gr.Dropdown(choices=[CURRENT, *names[1:]]), ranged(f"Pitch (MIDI; this model plays {lo}-{hi})", pitch),
            ranged("From pitch", pitch_a), ranged("To pitch", pitch_b))


@friendly
def model_lists(model_label: str | None, rnn_label: str | None,
                request: gr.Request | None = None) -> tuple[gr.Dropdown, gr.Dropdown]:
    """The note and continuation model lists of this caller (a vanished choice falls back to the first)."""
    notes, rnns = _models(request), _models(request, "rnn")
    return (gr.Dropdown(choices=list(notes), value=model_label if model_label in notes else next(iter(notes), None)),
            gr.Dropdown(choices=list(rnns), value=rnn_label if rnn_label in rnns else next(iter(rnns), None)))


# ------------------------------------------------------------------ handlers: morph and continue
def _timbre_of(model: instrument.NoteModel, choice: str, preset: str, timbre: list | None,
               sliders: list[float]) -> Any:
    """The latent at one end of a morph: the current sound's, or a preset's."""
    if choice == CURRENT:
        return instrument.timbre(model, _preset_name(preset), sliders, _explicit(preset, timbre))
    return instrument.timbre(model, _preset_name(choice))


@friendly
def sound_morph(model_label: str, a: str, pitch_a: float, b: str, pitch_b: float, seconds: float, velocity: float,
                preset: str, timbre: list | None, sliders: list[float],
                request: gr.Request | None = None) -> tuple[str, Image.Image]:
    """Morph timbre/pitch A into B ('(the current sound)' or a preset at each end) over some seconds;
    kept in the caller's Gallery. Returns (the kept WAV's path, its spectrogram)."""
    ws = common.workspace(request)
    model = _note_model(model_label, request)
    za, zb = (_timbre_of(model, a, preset, timbre, sliders), _timbre_of(model, b, preset, timbre, sliders))
    wave, mel = instrument.morph(model, (za, pitch_a), (zb, pitch_b), seconds, velocity)
    current = {"preset": preset, "sliders": instrument.check_sliders(sliders), "timbre": _explicit(preset, timbre)}
    rec = instrument.morph_recipe(model, a, pitch_a, b, pitch_b, seconds, velocity, current)
    ws.check_room(2 * len(wave) + 50_000)
    out = ws.store.save_sound(model.settings.sample_rate, wave, rec, title=f"{model.name} · morph {a} → {b}")
    return str(out.path), pictures.spectrogram(mel)


@friendly
def sound_continue(rnn_label: str, source: str, primer_path: str | None, seconds: float, temperature: float,
                   seed: float | None, model_label: str, preset: str, pitch: float, velocity: float, hold: float,
                   timbre: list | None, sliders: list[float],
                   request: gr.Request | None = None) -> tuple[str, Image.Image]:
    """Let the RNN continue a primer (the current note, or an upload) for some seconds; kept in the
    caller's Gallery. Returns (the kept WAV's path, its spectrogram with a line where the RNN takes over)."""
    ws = common.workspace(request)
    rnn = _rnn_model(rnn_label, request)
    seed = limits.seed(seed)
    if source == PRIMERS[1]:
        if not primer_path:
            raise ValueError("Upload a primer sound first (or choose the current note).")
        clip = audio.load_upload(primer_path, rnn.settings, "The primer")
        primer, described = clip.wave, clip.name
    else:
        _, primer, _, described = _play(model_label, preset, pitch, velocity, hold, timbre, sliders, request)
    wave, mel, at = instrument.continue_sound(rnn, primer, seconds, temperature, seed)
    rec = instrument.continuation_recipe(rnn, described, seconds, temperature, seed)
    ws.check_room(2 * len(wave) + 50_000)
    out = ws.store.save_sound(rnn.settings.sample_rate, wave, rec, title=f"{rnn.name} · continuation")
    return str(out.path), pictures.spectrogram(mel, mark_frame=at)


# ------------------------------------------------------------------ handlers: training and models
def _status(ev: SoundEvent, data: audio.TrainingData, name: str) -> str:
    """One line about a training event for the status box."""
    if ev.done:
        return f"**Done** ({ev.message or 'finished'}): step {ev.step}. The model **{name} (yours)** is in the list."
    return (f"**{ev.message or 'training'}**: step {ev.step} of {ev.total} · {data.described} · {ev.seconds:.0f} s"
            + (f" · {data.remarks}" if data.remarks else ""))


def _stream(events: Iterator[SoundEvent], ticket: Ticket, data: audio.TrainingData, name: str, sample_rate: int,
            request: gr.Request | None) -> Iterator[tuple]:
    """The training's outputs as it runs: status, loss plot, what it plays now, the model lists. If
    the reader goes away, the training is stopped and saved here, before its queue ticket is given up."""
    rows: list[dict] = []
    preview: bytes | None = None
    with contextlib.closing(common.finish_on_close(events, ticket.stop_token)) as watched:
        for ev in watched:
            if ev.step and ev.loss == ev.loss:
                rows.append({"step": ev.step, "loss": ev.loss, "split": "training"})
                if ev.val is not None:
                    rows.append({"step": ev.step, "loss": ev.val, "split": "held out"})
            if ev.preview is not None:
                preview = recipes.wav_bytes(sample_rate, ev.preview)
            lists = ((gr.Dropdown(choices=list(_models(request))), gr.Dropdown(choices=list(_models(request, "rnn"))))
                     if ev.done else (gr.update(), gr.update()))
            yield (_status(ev, data, name), pd.DataFrame(rows[-800:]), preview, *lists)


@friendly
def sound_train(files: list | None, kind: str, name: str, start: str, steps: float, minutes: float | None,
                model_label: str | None, rnn_label: str | None, request: gr.Request | None = None) -> Iterator[tuple]:
    """Train a note model or a continuation RNN on uploaded sounds in the caller's workspace, through
    the studio's training queue; streams (status, loss plot, preview clip, note models, RNNs)."""
    if kind not in KINDS:
        raise ValueError(f"Choose what to train: {' or '.join(KINDS)}.")
    name, kind = (name or "").strip(), KINDS[kind]
    if not files:
        raise ValueError("Add your sounds first (wav, flac, ogg, mp3 or a zip).")
    steps = limits.whole(steps, "Steps", 1, limits.MAX_TRAIN_STEPS)
    budget = common.budget_s(minutes)
    paths = [str(getattr(f, "name", None) or getattr(f, "path", None) or f) for f in files]
    same = (gr.update(),) * 4
    with common.training_ticket("Sound training", name, request) as ticket:
        for line in common.wait_turn(ticket):
            yield (line, *same)
        yield ("Listening to your sounds…", *same)
        note_path = _models(request).get(model_label)
        settings = instrument.load_note_model(note_path).settings if note_path else SpectrumSettings(n_mels=128)
        with tempfiles.job_dir("sound-train") as work:  # unpacked zips go as soon as the sounds are read
            data = audio.prepare_training_data(paths, kind, settings, work)
        init = _models(request, kind).get(rnn_label if kind == "rnn" else model_label) if start == STARTS[1] else None
        out = common.workspace(request).engine_models_dir(NAME) / f"{name}.pt"
        events = train_on(data, out, settings, studio_config(kind, steps, budget), ticket.stop_token, name, init,
                          common.studio().device)
        yield from _stream(events, ticket, data, name, settings.sample_rate, request)


@friendly
def add_model(path: str | None, request: gr.Request | None = None) -> tuple:
    """Add an uploaded Sound model (.pt) to the caller's models: (note models, RNNs, a note)."""
    if not path:
        return gr.update(), gr.update(), ""
    ws = common.workspace(request)
    ws.check_room(Path(path).stat().st_size)
    if checkpoints.load(path, engine=NAME).config.get("kind") not in ("vae", "rnn"):
        raise ValueError(f"{Path(path).name} is not a Sound model this version can play")
    label, ck = common.add_model_file(path, ws.engine_models_dir(NAME), NAME)
    note = f"Added **{label}** ({ck.meta.get('data', 'unknown data')})."
    if ck.config["kind"] == "rnn":
        return gr.update(), gr.Dropdown(choices=list(_models(request, "rnn")), value=label), note
    return gr.Dropdown(choices=list(_models(request)), value=label), gr.update(), note


@friendly
def model_file(label: str | None, request: gr.Request | None = None) -> str:
    """The selected note model's checkpoint, to download."""
    return str(common.pick_model(_models(request), label, "Sound model"))


@friendly
def restore(path: str | None, request: gr.Request | None = None) -> list:
    """The note controls from a kept sound's recipe (a WAV from here or from the Gallery)."""
    if not path:
        return [gr.update()] * (7 + N_SLIDERS)
    if Path(path).stat().st_size > audio.MAX_UPLOAD_BYTES:
        raise ValueError(f"{Path(path).name} is larger than any sound kept here; choose a WAV kept by Sound.")
    rec = recipes.read(path)
    if rec.get("engine") != NAME or rec.get("kind") != "note":
        raise ValueError("That file's recipe was not made by Sound's note controls.")
    label = common.label_for_recipe(_models(request), rec)
    base = rec.get("timbre")
    sliders = instrument.check_sliders((list(rec.get("sliders") or []) + reset_sliders())[:N_SLIDERS])
    return [label, MY_SOUND if base else (rec.get("preset") or CENTRE), rec.get("pitch", 60),
            rec.get("velocity", 100), rec.get("seconds", 1.5), base,
            f"Restored the controls from **{Path(path).name}**.", *sliders]


def _one_input_per_slider(handler: Callable[..., Any]) -> Callable[..., Any]:
    """`handler` with one gradio input per timbre slider (see common.one_input_per_slider)."""
    return one_input_per_slider(handler, N_SLIDERS, "timbre")


# ------------------------------------------------------------------ layout
def _first_models() -> tuple[str | None, str | None, list[str], tuple[int, int]]:
    """What the tab opens with (bundled models: the page has no visitor yet): note model, RNN,
    preset choices, pitch range."""
    notes, rnns = instrument.available_models(None), instrument.available_models(None, "rnn")
    first = next(iter(notes), None)
    if first is None:
        return None, next(iter(rnns), None), [CENTRE], PITCH_RANGE
    model = instrument.load_note_model(notes[first])
    return first, next(iter(rnns), None), [CENTRE, *model.presets], model.pitch_range


def _layout_note(first: str | None, presets: list[str], lo: int, hi: int) -> SimpleNamespace:
    """The note's controls: model, preset, pitch, velocity, hold, timbre sliders."""
    with gr.Row():
        model_dd = gr.Dropdown([first] if first else [], value=first, label="Note model", elem_id="sound-model",
                               scale=3, allow_custom_value=True)
        refresh = gr.Button("↻", scale=0, min_width=40, elem_id="sound-models-refresh")
    preset = gr.Dropdown(presets, value=presets[min(1, len(presets) - 1)], label="Preset", elem_id="sound-preset",
                         allow_custom_value=True)
    start = int(np.clip(60, lo, hi))
    pitch = gr.Slider(lo, hi, value=start, step=1, label=f"Pitch (MIDI; this model plays {lo}-{hi})",
                      elem_id="sound-pitch")
    pitch_name = gr.Markdown(pitch_label(start), elem_id="sound-pitch-name")
    with gr.Row():
        velocity = gr.Slider(*instrument.VELOCITY_RANGE, value=100, step=1, label="Velocity", elem_id="sound-velocity")
        seconds = gr.Slider(instrument.MIN_SECONDS, instrument.MAX_SECONDS, value=1.5, step=0.05, label="Hold (s)",
                            info="how long the key is held; the release rings on after", elem_id="sound-seconds")
    with gr.Accordion("Timbre", open=True):
        sliders = [gr.Slider(*instrument.SLIDER_RANGE, value=0, step=0.05, label=f"Timbre {i + 1}",
                             elem_id=f"sound-dir-{i}") for i in range(N_SLIDERS)]
    reset = gr.Button("Reset sliders", elem_id="sound-reset")
    timbre = gr.JSON(value=[], visible=False, label="Encoded timbre")  # an input of /sound_generate for scripts
    return SimpleNamespace(model_dd=model_dd, refresh=refresh, preset=preset, pitch=pitch, pitch_name=pitch_name,
                           velocity=velocity, seconds=seconds, sliders=sliders, reset=reset, timbre=timbre)


def _layout_encode() -> SimpleNamespace:
    """Encode my sound: an upload whose timbre becomes the starting point."""
    with gr.Accordion("Encode my sound", open=False, elem_id="sound-encode-panel"):
        gr.Markdown(f"Upload a recording of one note (wav, flac, ogg, mp3; up to {audio.MAX_UPLOAD_SECONDS:.0f} s). "
                    "Its timbre becomes the starting point and the sliders edit it.")
        file = gr.Audio(type="filepath", label="My sound", sources=["upload", "microphone"],
                        elem_id="sound-encode-file")
        note = gr.Markdown(elem_id="sound-encode-note")
    return SimpleNamespace(file=file, note=note)


def _layout_output() -> SimpleNamespace:
    """The output column: the note, its spectrogram, Keep and the kept file."""
    audio_out = gr.Audio(type="filepath", label="Note", autoplay=True, interactive=False, elem_id="sound-audio",
                         elem_classes=["atelier-main-output"])
    spec = gr.Image(type="pil", label="Spectrogram (log-mel)", height=200, interactive=False, elem_id="sound-spec",
                    buttons=[], elem_classes=["atelier-secondary"])
    keep = gr.Button("Keep (save to Gallery)", variant="primary", elem_id="sound-keep")
    kept = gr.File(label="Download WAV with recipe", interactive=False, elem_id="sound-kept", height=80,
                   elem_classes=["atelier-secondary"])
    return SimpleNamespace(audio=audio_out, spec=spec, keep=keep, kept=kept)


def _layout_morph(presets: list[str], lo: int, hi: int) -> SimpleNamespace:
    """Morph: one evolving sound from timbre (and pitch) A to B."""
    with gr.Accordion("Morph", open=False, elem_id="sound-morph-panel"):
        gr.Markdown("One evolving sound from timbre A to timbre B (and pitch A to pitch B). It is kept in the Gallery.")
        choices, start = [CURRENT, *presets[1:]], int(np.clip(60, lo, hi))
        with gr.Row():
            a = gr.Dropdown(choices, value=CURRENT, label="From", elem_id="sound-morph-a", allow_custom_value=True)
            pitch_a = gr.Slider(lo, hi, value=start, step=1, label="From pitch", elem_id="sound-morph-pitch-a")
            b = gr.Dropdown(choices, value=choices[-1], label="To", elem_id="sound-morph-b", allow_custom_value=True)
            pitch_b = gr.Slider(lo, hi, value=start, step=1, label="To pitch", elem_id="sound-morph-pitch-b")
            seconds = gr.Slider(instrument.MORPH_SECONDS[0], 20, value=5, step=0.5, label="Seconds",
                                elem_id="sound-morph-seconds")
        render = gr.Button("Render morph", variant="primary", elem_id="sound-morph-btn")
        with gr.Row():
            out = gr.Audio(type="filepath", label="Morph", interactive=False, elem_id="sound-morph-audio")
            spec = gr.Image(type="pil", label="Spectrogram", height=200, interactive=False, elem_id="sound-morph-spec",
                            buttons=[])
    return SimpleNamespace(a=a, pitch_a=pitch_a, b=b, pitch_b=pitch_b, seconds=seconds, render=render, out=out,
                           spec=spec)


def _layout_continue(first_rnn: str | None) -> SimpleNamespace:
    """Continue: the RNN listens to a primer and keeps playing."""
    with gr.Accordion("Continue (RNN)", open=False, elem_id="sound-continue-panel"):
        gr.Markdown("The RNN listens to the primer (the current note, or your upload) and keeps playing. "
                    "The result is kept in the Gallery.")
        with gr.Row():
            rnn_dd = gr.Dropdown([first_rnn] if first_rnn else [], value=first_rnn, label="Continuation model",
                                 elem_id="sound-rnn-model", allow_custom_value=True)
            source = gr.Radio(list(PRIMERS), value=PRIMERS[0], label="Primer", elem_id="sound-primer-src")
            primer = gr.Audio(type="filepath", label="Primer upload", sources=["upload", "microphone"],
                              elem_id="sound-primer-file")
        with gr.Row():
            seconds = gr.Slider(*instrument.CONTINUE_SECONDS, value=6, step=0.5, label="Seconds to add",
                                elem_id="sound-cont-seconds")
            temperature = gr.Slider(*instrument.TEMPERATURE_RANGE, value=0.5, step=0.05, label="Temperature",
                                    elem_id="sound-temperature")
            seed = gr.Number(value=0, precision=0, label="Seed", elem_id="sound-cont-seed", minimum=0,
                             maximum=limits.MAX_SEED)
        run = gr.Button("Continue", variant="primary", elem_id="sound-cont-btn")
        with gr.Row():
            out = gr.Audio(type="filepath", label="Primer + continuation", interactive=False,
                           elem_id="sound-cont-audio")
            spec = gr.Image(type="pil", label="Spectrogram (the line marks where the RNN takes over)", height=200,
                            interactive=False, elem_id="sound-cont-spec", buttons=[])
    return SimpleNamespace(rnn_dd=rnn_dd, source=source, primer=primer, seconds=seconds, temperature=temperature,
                           seed=seed, run=run, out=out, spec=spec)


def _layout_train() -> SimpleNamespace:
    """Training on the artist's own sounds, with its status, loss plot and preview."""
    with gr.Accordion("Train on my own sounds", open=False, elem_id="sound-train-panel"):
        gr.Markdown(f"Recordings of notes or melodies (wav, flac, ogg, mp3), or a zip: up to "
                    f"{audio.MAX_TRAIN_BYTES / 1e6:.0f} MB in all (zips unpacked). The note model needs at least "
                    f"{audio.MIN_NOTES} pitched notes; the continuation RNN about 10 seconds of sound. Training saves "
                    "every 250 steps; training again with the same name resumes.")
        with gr.Row():
            files = gr.File(file_count="multiple", file_types=["audio", ".zip"], label="Your sounds",
                            elem_id="sound-train-files")
            with gr.Column():
                kind = gr.Radio(list(KINDS), value=next(iter(KINDS)), label="Train", elem_id="sound-train-kind")
                name = gr.Textbox(value="my-sounds", label="Name of the new model", elem_id="sound-train-name")
                start = gr.Radio(list(STARTS), value=STARTS[1], label="Start", elem_id="sound-train-start")
                steps = gr.Slider(20, 20000, value=1000, step=10, label="Steps", elem_id="sound-train-steps")
                minutes = gr.Number(value=0, label="Time limit in minutes (0 = none)", elem_id="sound-train-minutes")
        with gr.Row():
            start_btn = gr.Button("Start training", variant="primary", elem_id="sound-train-btn")
            stop_btn = gr.Button("Stop", variant="stop", elem_id="sound-train-stop")
        status = gr.Markdown(elem_id="sound-train-status")
        with gr.Row():
            plot = gr.LinePlot(x="step", y="loss", color="split", height=240, label="Loss", elem_id="sound-train-plot")
            preview = gr.Audio(type="filepath", label="What it plays now", interactive=False,
                               elem_id="sound-train-preview")
    return SimpleNamespace(files=files, kind=kind, name=name, start=start, steps=steps, minutes=minutes,
                           start_btn=start_btn, stop_btn=stop_btn, status=status, plot=plot, preview=preview)


def _layout_models() -> SimpleNamespace:
    """Adding and downloading models, and opening a kept sound's recipe."""
    with gr.Accordion("Models and recipes", open=False):
        with gr.Row():
            upload = gr.File(label="Add a Sound model (.pt)", file_types=[".pt"], elem_id="sound-upload-model")
            with gr.Column():
                download_btn = gr.Button("Download the selected note model", elem_id="sound-download-btn")
                download = gr.File(label="The selected model", interactive=False, elem_id="sound-download-model")
            open_recipe = gr.File(label="Open a sound's recipe (.wav)", file_types=[".wav"],
                                  elem_id="sound-open-recipe")
        note = gr.Markdown()
    return SimpleNamespace(upload=upload, download_btn=download_btn, download=download, open_recipe=open_recipe,
                           note=note)


def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Sound tab (controls beside the note, which stays in view) and wire its events."""
    first, first_rnn, presets, (lo, hi) = _first_models()
    how_it_works(HELP)
    with gr.Row(elem_classes=["atelier-split"]):
        with gr.Column(scale=2):
            note = _layout_note(first, presets, lo, hi)
            encode = _layout_encode()
        with gr.Column(scale=3, elem_classes=["atelier-output"]):
            out = _layout_output()
    ui = SimpleNamespace(note=note, encode=encode, out=out, morph=_layout_morph(presets, lo, hi),
                         cont=_layout_continue(first_rnn), train=_layout_train(), models=_layout_models())
    _wire(ctx, tab, ui)


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
    _wire_panels(ui)
    _wire_models(ctx, ui)


def _wire_note(ctx: StudioContext, tab: gr.Tab, ui: SimpleNamespace) -> None:
    """The note: live playing, model changes, reset, keep, encode."""
    n, out = ui.note, ui.out
    generate = _one_input_per_slider(sound_generate)
    gr.on([s.input for s in n.sliders] + [n.pitch.input, n.velocity.input, n.seconds.input, n.preset.change,
                                          n.timbre.change, ctx.demo.load],
          generate, _note_inputs(ui), [out.audio, out.spec], trigger_mode="always_last", api_name="sound_generate",
          **LIVE_EVENT)
    n.pitch.change(pitch_label, n.pitch, n.pitch_name, queue=False, **QUIET)
    gr.on([n.model_dd.change, ctx.demo.load], model_changed,
          [n.model_dd, n.preset, n.pitch, ui.morph.pitch_a, ui.morph.pitch_b],
          [n.preset, ui.morph.a, ui.morph.b, n.pitch, ui.morph.pitch_a, ui.morph.pitch_b], **QUIET)
    gr.on([tab.select, ctx.demo.load, n.refresh.click], model_lists, [n.model_dd, ui.cont.rnn_dd],
          [n.model_dd, ui.cont.rnn_dd], **QUIET)
    n.reset.click(reset_sliders, None, n.sliders, **QUIET).then(
        generate, _note_inputs(ui), [out.audio, out.spec], api_visibility="private", **LIVE_EVENT)
    out.keep.click(_one_input_per_slider(sound_keep), _note_inputs(ui), out.kept, api_name="sound_keep",
                   concurrency_id="sound_live")
    ui.encode.file.change(sound_encode, [n.model_dd, ui.encode.file],
                          [n.preset, n.timbre, n.pitch, ui.encode.note, *n.sliders], api_visibility="private")


def _wire_panels(ui: SimpleNamespace) -> None:
    """Morph (/sound_morph), Continue (/sound_continue) and training (/sound_train, Stop)."""
    n, m, c, t = ui.note, ui.morph, ui.cont, ui.train
    m.render.click(_one_input_per_slider(sound_morph),
                   [n.model_dd, m.a, m.pitch_a, m.b, m.pitch_b, m.seconds, n.velocity, n.preset, n.timbre, *n.sliders],
                   [m.out, m.spec], api_name="sound_morph", **EXPORT_EVENT)
    c.run.click(_one_input_per_slider(sound_continue),
                [c.rnn_dd, c.source, c.primer, c.seconds, c.temperature, c.seed, *_note_inputs(ui)],
                [c.out, c.spec], api_name="sound_continue", **EXPORT_EVENT)
    t.start_btn.click(sound_train, [t.files, t.kind, t.name, t.start, t.steps, t.minutes, n.model_dd, c.rnn_dd],
                      [t.status, t.plot, t.preview, n.model_dd, c.rnn_dd], api_name="sound_train",
                      **common.TRAINING_EVENT)
    t.stop_btn.click(common.stop_training, None, t.status, api_visibility="private", queue=False)


def _wire_models(ctx: StudioContext, ui: SimpleNamespace) -> None:
    """Adding and downloading models, and restoring the controls from a recipe (here or from the Gallery)."""
    n, mm = ui.note, ui.models
    mm.upload.upload(add_model, mm.upload, [n.model_dd, ui.cont.rnn_dd, mm.note], api_visibility="private")
    mm.download_btn.click(model_file, n.model_dd, mm.download, api_visibility="private")
    restored = [n.model_dd, n.preset, n.pitch, n.velocity, n.seconds, n.timbre, mm.note, *n.sliders]
    mm.open_recipe.upload(restore, mm.open_recipe, restored, api_visibility="private")
    ctx.restorers[NAME] = Restorer(restore, restored, lambda rec: rec.get("kind") == "note")
