"""Sound tab, the Melody panel's reopening: a kept melody or MIDI render (or its recipe) brings back
every control of the panel and of the tab's timbre, and its output (the kept file, or made again)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from engines import recipe as recipes
from engines.replay import ReplayContext
from engines.sound import explore, melody_replay, midi
from engines.sound import melody_studio as ms
from engines.sound.melody_tokens import check_metre
from engines.sound.pictures import piano_roll
from engines.sound.tunes import bar_beats
from studio import common, sound_actions
from studio.common import friendly
from studio.sound_melody_panels import CURRENT_TIMBRE, SOURCES, melody_models
from studio.sound_panels import CENTRE, MY_SOUND, N_SLIDERS, NAME, models_of

SLOTS: dict[str, int] = {}  # restore value name -> position in the tab's RESTORE_OUTPUTS (build fills it)


def accepts(rec: dict) -> bool:
    """Whether a recipe is one of this panel's (a melody or a MIDI render)."""
    return rec.get("engine") == NAME and rec.get("kind") in ms.KINDS


def _note_values(rec: dict, request: gr.Request | None) -> dict:
    """The tab's note model and timbre (preset, encoded timbre, sliders) from a melody or MIDI-render recipe."""
    which = {
        "checkpoint": rec.get("note_checkpoint", rec.get("checkpoint")),
        "model": rec.get("note_model", rec.get("model")),
    }
    label = common.label_for_recipe(models_of(request), which)
    base = rec.get("timbre")
    sliders = explore.check_sliders((list(rec.get("sliders") or []) + [0.0] * N_SLIDERS)[:N_SLIDERS])
    out = {
        "note_model": label,
        "preset": MY_SOUND if base else (rec.get("preset") or CENTRE),
        "timbre": ({"timbre": base, "source": rec["source"]} if rec.get("source") else base) if base else [],
        **{f"slider_{i}": v for i, v in enumerate(sliders)},
    }
    note = (rec.get("primer") or {}).get("note") if rec.get("kind") == "melody" else None
    if isinstance(note, dict):
        out.update(pitch=note.get("pitch", 60), velocity=note.get("velocity", 100), seconds=note.get("seconds", 1.5))
    return out


def _shown(rec: dict, request: gr.Request | None) -> tuple[str | bytes, bytes]:
    """(the kept WAV, or the remade one; the MIDI beside it, or remade) of a recipe."""
    kept = Path(rec["_kept"]) if rec.get("_kept") else None
    if kept and kept.is_file() and kept.with_suffix(".mid").is_file():
        return str(kept), kept.with_suffix(".mid").read_bytes()
    ws = common.workspace(request)
    ctx = ReplayContext(ws.models_dir, ws.store)
    clean = {k: v for k, v in rec.items() if k != "_kept"}
    sr, wave = melody_replay.remake(clean, ctx)
    if rec["kind"] == "melody":
        tune = melody_replay.tune_of(clean, ctx)
        data = midi.write_midi(
            [midi.Track("primer + continuation", tune.notes)], rec.get("tempo_bpm", 120.0), tune.metre
        )
    else:
        data = ws.store.input_path(rec.get("midi")).read_bytes()
    return (str(kept) if kept and kept.is_file() else recipes.wav_bytes(sr, wave, clean)), data


def restore_values(rec: dict, request: gr.Request | None = None) -> dict:
    """The controls and outputs a melody or MIDI-render recipe sets, by name (see panels.restored)."""
    ws = common.workspace(request)
    shown, data = _shown(rec, request)
    where = Path(rec["_kept"]).name if rec.get("_kept") else "the recipe"
    tracks = ms.tracks_of_midi(data)
    bar = bar_beats(check_metre(rec.get("metre", "4/4")))
    if rec["kind"] == "midi_render":
        play_as = rec.get("play_as") or (ms.GM if rec.get("gm") else CURRENT_TIMBRE)
        return {
            **_note_values(rec, request),
            "m_file": str(ws.store.input_path(rec["midi"])),
            "m_play_as": play_as,
            "m_tempo": rec.get("tempo_bpm", 0.0),
            "m_swing": rec.get("swing", 0.0),
            "m_audio": shown,
            "m_roll": piano_roll([t.notes for t in tracks], bar_beats=bar),
            "m_note": f"Reopened **{where}**.",
        }
    primer = rec.get("primer") or {}
    source = {"recording": SOURCES[0], "midi": SOURCES[1], "note": SOURCES[2], "sound": SOURCES[2]}.get(
        primer.get("source"), SOURCES[3]
    )
    upload = str(ws.store.input_path(primer["input"])) if primer.get("input") else None
    split = rec.get("split") if rec.get("primer_notes") else None
    roll = piano_roll([tracks[0].notes], split=split, bar_beats=bar)
    midi_path = ws.store.input_path(ws.store.keep_input(data, ".mid"))
    return {
        **_note_values(rec, request),
        "model": common.label_for_recipe(melody_models(request), rec),
        "source": source,
        "recording": upload if source == SOURCES[0] else gr.update(),
        "midi_file": upload if source == SOURCES[1] else gr.update(),
        "bars": rec.get("bars"),
        "temperature": rec.get("temperature"),
        "seed": rec.get("seed"),
        "tempo": rec.get("tempo_bpm"),
        "swing": rec.get("swing"),
        "key": rec.get("key"),
        "metre": rec.get("metre"),
        "audio": shown,
        "roll": roll,
        "midi_out": str(midi_path),
        "note": f"Reopened **{where}**.",
    }


@friendly
def restore_recipe(rec: dict, request: gr.Request | None = None) -> list:
    """Every component of the Sound tab's RESTORE_OUTPUTS (the melody panel's included) from a
    melody or MIDI-render recipe; what the recipe does not set stays as it is."""
    if not accepts(rec):
        raise ValueError("That recipe was not made by the Melody panel.")
    out = [gr.update()] * len(sound_actions.RESTORE_OUTPUTS)
    for name, value in restore_values(rec, request).items():
        if name in SLOTS:
            out[SLOTS[name]] = value
    return out
