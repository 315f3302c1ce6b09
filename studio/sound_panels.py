"""Sound tab, part two: what the tab's handlers share (its constants, model pickers and the note
played from the controls), and the layout functions that return the components (the note,
its output with the history strip, Encode, Morph, Sweep, Train, Models). The Melody panel, the tab's
Continue, is studio/sound_melody_panels.py's."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from engines.sound import audio, explore, named, note_audio, pictures
from engines.sound import sweep as sound_sweep
from engines.sound.render import midi_to_hz, note_name
from studio import common, history, sweeps

NAME = "sound"
N_SLIDERS = explore.N_SLIDERS
CENTRE = sound_sweep.CENTRE
MY_SOUND = "(my encoded sound)"
CURRENT = "(the current sound)"
KINDS = {"note model (timbre sliders)": "vae"}  # what Train makes (the frame continuation RNN was retired, #21)
STARTS = ("from scratch", "from the selected model")
PITCH_RANGE = (45, 84)  # the bundled note model's range; a chosen model sets its own


# ------------------------------------------------------------------ models of this request
def models_of(request: gr.Request | None) -> dict[str, Path]:
    """Bundled Sound note models and the caller's own (from their workspace)."""
    return explore.available_models(common.workspace(request).models_dir / NAME)


def note_model(label: str | None, request: gr.Request | None) -> explore.NoteModel:
    """The note model a label names, for this caller."""
    return explore.load_note_model(common.pick_model(models_of(request), label, "Sound model"))


def pitch_label(pitch: float) -> str:
    """The note under the pitch slider: '**C4** · MIDI 60 · 261.6 Hz' (empty for a non-number)."""
    try:
        p = int(round(float(pitch)))
    except (TypeError, ValueError, OverflowError):
        return ""
    return f"**{note_name(p)}** · MIDI {p} · {midi_to_hz(p):.1f} Hz"


def slider_looks(model: explore.NoteModel | None, values: list | None = None, render: bool = True) -> list[gr.Slider]:
    """Each timbre slider named by what it was measured to change, over its safe range (widened to
    show a value outside it, as a recipe may hold). `render=False` while laying out the tab, where
    only the names and ranges are read (a slider made inside the layout would be drawn)."""
    if model is None:
        return [gr.Slider(label=f"Timbre {i + 1}", render=render) for i in range(N_SLIDERS)]
    info = named.slider_info(model, N_SLIDERS)
    out = []
    for i in range(N_SLIDERS):
        r = float(info["ranges"][i]) if i < len(info["ranges"]) else explore.SLIDER_RANGE[1]
        name = info["names"][i] if i < len(info["names"]) else ""
        v = _number(values[i] if values and i < len(values) else 0.0)
        out.append(gr.Slider(minimum=min(-r, v), maximum=max(r, v), label=f"{i + 1}. {name}", value=v, render=render))
    return out


def _number(v: object) -> float:
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return x if np.isfinite(x) else 0.0


def _preset_name(choice: str | None) -> str | None:
    """The model's preset a Preset choice names (None: the centre, or an encoded sound)."""
    return None if choice in (None, "", CENTRE, MY_SOUND, CURRENT) else str(choice)


def _explicit(preset: str | None, timbre: list | dict | None) -> list | None:
    """The encoded timbre, when the Preset says to play it (the control holds a list, or
    {'timbre': [...], 'source': 'inputs/...'} when the recording was kept)."""
    return explore.timbre_of(timbre) if preset == MY_SOUND and timbre else None


def _source(preset: str | None, timbre: list | dict | None) -> str | None:
    """The kept recording an encoded timbre came from, if any."""
    return timbre.get("source") if preset == MY_SOUND and isinstance(timbre, dict) else None


Played = tuple[explore.NoteModel, np.ndarray, np.ndarray, dict]  # model, wave, log-mel, recipe


def play(
    model_label: str,
    preset: str,
    pitch: float,
    velocity: float,
    seconds: float,
    timbre: list | dict | None,
    sliders: list[float],
    request: gr.Request | None,
) -> Played:
    """Render the note the controls describe: (model, wave, log-mel, recipe). The engine checks every
    value and remembers the last notes, so a Keep or a release replays the one just heard."""
    model = note_model(model_label, request)
    base, name = _explicit(preset, timbre), _preset_name(preset)
    wave, mel = explore.note(model, pitch, velocity, seconds, name, sliders, base)
    rec = explore.note_recipe(model, pitch, velocity, seconds, name, sliders, base)
    if _source(preset, timbre):
        rec["source"] = _source(preset, timbre)
    return model, wave, mel, rec


def spec(mel: np.ndarray, model: Any) -> Image.Image:
    """The spectrogram picture of a sound, with its time and frequency axes."""
    return pictures.spectrogram(mel, settings=model.settings)


# ------------------------------------------------------------------ layout
def first_models() -> SimpleNamespace:
    """What the tab opens with (bundled models: the page has no visitor yet): note model,
    preset choices, pitch range, the sliders' names and ranges, the sweep's axes."""
    notes = explore.available_models(None)
    first = next(iter(notes), None)
    model = explore.load_note_model(notes[first]) if first else None
    return SimpleNamespace(
        first=first,
        presets=[CENTRE, *model.presets] if model else [CENTRE],
        range=model.pitch_range if model else PITCH_RANGE,
        sliders=slider_looks(model, render=False),
        axes=sound_sweep.axis_names(model) if model else list(sound_sweep.AXES),
    )


def layout_note(start: SimpleNamespace) -> SimpleNamespace:
    """The note's controls: model, preset, pitch, velocity, hold, timbre sliders (named by what they change)."""
    first, presets, (lo, hi), looks = start.first, start.presets, start.range, start.sliders
    with gr.Row():
        model_dd = gr.Dropdown(
            [first] if first else [],
            value=first,
            label="Note model",
            elem_id="sound-model",
            scale=3,
            allow_custom_value=True,
        )
        refresh = gr.Button("↻", scale=0, min_width=40, elem_id="sound-models-refresh")
    preset = gr.Dropdown(
        presets,
        value=presets[min(1, len(presets) - 1)],
        label="Preset",
        elem_id="sound-preset",
        allow_custom_value=True,
    )
    middle = int(np.clip(60, lo, hi))
    pitch = gr.Slider(
        lo, hi, value=middle, step=1, label=f"Pitch (MIDI; this model plays {lo}-{hi})", elem_id="sound-pitch"
    )
    pitch_name = gr.Markdown(pitch_label(middle), elem_id="sound-pitch-name")
    with gr.Row():
        velocity = gr.Slider(*explore.VELOCITY_RANGE, value=100, step=1, label="Velocity", elem_id="sound-velocity")
        seconds = gr.Slider(
            note_audio.MIN_SECONDS,
            note_audio.MAX_SECONDS,
            value=1.5,
            step=0.05,
            label="Hold (s)",
            info="how long the key is held; the release rings on after",
            elem_id="sound-seconds",
        )
    with gr.Accordion("Timbre", open=True):
        gr.Markdown("Each slider is named by what it was measured to change, over the range where notes stay usable.")
        sliders = [
            gr.Slider(
                look.minimum if look.minimum is not None else explore.SLIDER_RANGE[0],
                look.maximum if look.maximum is not None else explore.SLIDER_RANGE[1],
                value=0,
                step=0.05,
                label=look.label,
                elem_id=f"sound-dir-{i}",
            )
            for i, look in enumerate(looks)
        ]
    reset = gr.Button("Reset sliders", elem_id="sound-reset")
    timbre = gr.JSON(value=[], visible=False, label="Encoded timbre")  # an input of /sound_generate for scripts
    return SimpleNamespace(
        model_dd=model_dd,
        refresh=refresh,
        preset=preset,
        pitch=pitch,
        pitch_name=pitch_name,
        velocity=velocity,
        seconds=seconds,
        sliders=sliders,
        reset=reset,
        timbre=timbre,
    )


def layout_encode() -> SimpleNamespace:
    """Encode my sound: an upload whose timbre becomes the starting point."""
    with gr.Accordion("Encode my sound", open=False, elem_id="sound-encode-panel"):
        gr.Markdown(
            f"Upload a recording of one note (wav, flac, ogg, mp3; up to {audio.MAX_UPLOAD_SECONDS:.0f} s). "
            "Its timbre becomes the starting point and the sliders edit it."
        )
        file = gr.Audio(
            type="filepath", label="My sound", sources=["upload", "microphone"], elem_id="sound-encode-file"
        )
        note = gr.Markdown(elem_id="sound-encode-note")
    return SimpleNamespace(file=file, note=note)


def layout_output() -> SimpleNamespace:
    """The output column: the note, its spectrogram (with time and frequency axes), Keep, the kept
    file and the strip of recent results."""
    audio_out = gr.Audio(
        type="filepath",
        label="Note",
        autoplay=True,
        interactive=False,
        elem_id="sound-audio",
        elem_classes=["atelier-main-output"],
    )
    spec = gr.Image(
        type="pil",
        label="Spectrogram (log-mel)",
        height=210,
        interactive=False,
        elem_id="sound-spec",
        buttons=[],
        elem_classes=["atelier-secondary"],
    )
    keep = gr.Button("Keep (save to Gallery)", variant="primary", elem_id="sound-keep")
    kept = gr.File(
        label="Download WAV with recipe",
        interactive=False,
        elem_id="sound-kept",
        height=80,
        elem_classes=["atelier-secondary"],
    )
    strip, entries = history.strip("sound-history")
    return SimpleNamespace(audio=audio_out, spec=spec, keep=keep, kept=kept, strip=strip, entries=entries)


def layout_morph(presets: list[str], lo: int, hi: int) -> SimpleNamespace:
    """Morph: one evolving sound from timbre (and pitch) A to B."""
    with gr.Accordion("Morph", open=False, elem_id="sound-morph-panel"):
        gr.Markdown("One evolving sound from timbre A to timbre B (and pitch A to pitch B). It is kept in the Gallery.")
        choices, start = [CURRENT, *presets[1:]], int(np.clip(60, lo, hi))
        with gr.Row():
            a = gr.Dropdown(choices, value=CURRENT, label="From", elem_id="sound-morph-a", allow_custom_value=True)
            pitch_a = gr.Slider(lo, hi, value=start, step=1, label="From pitch", elem_id="sound-morph-pitch-a")
            b = gr.Dropdown(choices, value=choices[-1], label="To", elem_id="sound-morph-b", allow_custom_value=True)
            pitch_b = gr.Slider(lo, hi, value=start, step=1, label="To pitch", elem_id="sound-morph-pitch-b")
            seconds = gr.Slider(
                explore.MORPH_SECONDS[0], 20, value=5, step=0.5, label="Seconds", elem_id="sound-morph-seconds"
            )
        render = gr.Button("Render morph", variant="primary", elem_id="sound-morph-btn")
        with gr.Row():
            out = gr.Audio(type="filepath", label="Morph", interactive=False, elem_id="sound-morph-audio")
            spec = gr.Image(
                type="pil", label="Spectrogram", height=200, interactive=False, elem_id="sound-morph-spec", buttons=[]
            )
    return SimpleNamespace(
        a=a, pitch_a=pitch_a, b=b, pitch_b=pitch_b, seconds=seconds, render=render, out=out, spec=spec
    )


def layout_train() -> SimpleNamespace:
    """Training on the artist's own sounds, with its status, loss plot and preview."""
    with gr.Accordion("Train on my own sounds", open=False, elem_id="sound-train-panel"):
        gr.Markdown(
            f"Recordings of notes or melodies (wav, flac, ogg, mp3), or a zip: up to "
            f"{audio.MAX_TRAIN_BYTES / 1e6:.0f} MB in all (zips unpacked). The note model needs at least "
            f"{audio.MIN_NOTES} pitched notes. Training saves every 250 steps. A stopped training keeps its "
            "training state, so training again with the same name goes on; a finished one is saved compact, "
            "and training it again fine-tunes from it. (The melodies Continue plays come from a melody "
            "model: train one on your MIDI files in the Melody panel.)"
        )
        with gr.Row():
            files = gr.File(
                file_count="multiple", file_types=["audio", ".zip"], label="Your sounds", elem_id="sound-train-files"
            )
            with gr.Column():
                # one kind left (a note model); kept, hidden, as /sound_train's second input for scripts
                kind = gr.Radio(
                    list(KINDS), value=next(iter(KINDS)), label="Train", elem_id="sound-train-kind", visible=False
                )
                name = gr.Textbox(value="my-sounds", label="Name of the new model", elem_id="sound-train-name")
                start = gr.Radio(list(STARTS), value=STARTS[1], label="Start", elem_id="sound-train-start")
                steps = gr.Slider(20, 20000, value=1000, step=10, label="Steps", elem_id="sound-train-steps")
                minutes = gr.Number(
                    value=0,
                    label="Time limit in minutes (0 = none; with a limit the steps are planned to fit it)",
                    elem_id="sound-train-minutes",
                )
        with gr.Row():
            start_btn = gr.Button("Start training", variant="primary", elem_id="sound-train-btn")
            stop_btn = gr.Button("Stop", variant="stop", elem_id="sound-train-stop")
        status = gr.Markdown(elem_id="sound-train-status")
        with gr.Row():
            plot = gr.LinePlot(x="step", y="loss", color="curve", height=240, label="Loss", elem_id="sound-train-plot")
            preview = gr.Audio(
                type="filepath", label="What it plays now", interactive=False, elem_id="sound-train-preview"
            )
    return SimpleNamespace(
        files=files,
        kind=kind,
        name=name,
        start=start,
        steps=steps,
        minutes=minutes,
        start_btn=start_btn,
        stop_btn=stop_btn,
        status=status,
        plot=plot,
        preview=preview,
    )


def layout_models() -> SimpleNamespace:
    """Adding and downloading models, and opening a kept sound's recipe."""
    with gr.Accordion("Models and recipes", open=False):
        with gr.Row():
            upload = gr.File(label="Add a Sound model (.pt)", file_types=[".pt"], elem_id="sound-upload-model")
            with gr.Column():
                download_btn = gr.Button("Download the selected note model", elem_id="sound-download-btn")
                download = gr.File(label="The selected model", interactive=False, elem_id="sound-download-model")
            open_recipe = gr.File(
                label="Open a sound's recipe (.wav)", file_types=[".wav"], elem_id="sound-open-recipe"
            )
        note = gr.Markdown()
    return SimpleNamespace(
        upload=upload, download_btn=download_btn, download=download, open_recipe=open_recipe, note=note
    )


def layout_sweep(axes: list[str]) -> SimpleNamespace:
    """Sweep: two note settings across and down; one WAV of every cell plus a spectrogram per cell."""
    x = (axes[0], "48, 55, 60, 67, 72")
    y = (axes[4] if len(axes) > 4 else axes[1], "-2:2:5" if len(axes) > 4 else "64, 100, 127")
    panel = sweeps.panel("sound", axes, x, y, kind="sound")
    panel.recipes = gr.State([])  # each cell's note recipe, to open a clicked cell
    return panel
