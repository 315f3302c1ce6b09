"""Sound tab, the note's handlers: play a note from the controls (live), keep it, encode an uploaded
note's timbre onto the controls, the history strip's pushes, a model change (presets, pitch range,
named sliders, sweep axes) and Morph. Plain module-level functions; studio/sound.py wires them."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from engines import recipe as recipes
from engines.jobs import LIVE
from engines.sound import audio, explore
from engines.sound import replay as sound_replay
from engines.sound import sweep as sound_sweep
from engines.sound.render import note_name
from studio import common, history
from studio.common import friendly
from studio.sound_panels import (
    CENTRE,
    CURRENT,
    MY_SOUND,
    N_SLIDERS,
    _explicit,
    _source,
    models_of,
    note_model,
    pitch_label,
    play,
    slider_looks,
    spec,
)


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
    z, midi = explore.encode(model, clip.wave)
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
    current = {"preset": preset, "sliders": explore.check_sliders(sliders), "timbre": _explicit(preset, timbre)}
    if _source(preset, timbre):
        current["source"] = _source(preset, timbre)
    rec = explore.morph_recipe(model, a, pitch_a, b, pitch_b, seconds, velocity, current)
    wave, mel = sound_replay.morph(model, rec)
    ws.check_room(2 * len(wave) + 50_000)
    out = ws.store.save_sound(model.settings.sample_rate, wave, rec, title=f"{model.name} · morph {a} → {b}")
    return str(out.path), spec(mel, model)
