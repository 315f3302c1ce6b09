"""Remaking the Melody panel's outputs from their recipes (see engines/replay.py). A melody recipe
(`kind` "melody") holds the primer's notes, the melody model and note model (by file hash), the
key, metre, bars, temperature, seed, timbre, tempo and swing; a MIDI render (`kind`
"midi_render") holds the MIDI file, kept in the workspace's Gallery inputs.

The notes are remade exactly (the melody RNN samples from a seeded generator); the wave is remade
faithfully but not promised bit for bit: each distinct note is vocoded in a batch whose make-up
depends on which notes a process has already cached, so `exact` is False for both kinds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engines.replay import ReplayContext
from engines.sound import compose, explore, melody_render, midi
from engines.sound import melody_studio as studio_part
from engines.sound.explore import find_checkpoint
from engines.sound.melody import ENGINE
from engines.sound.melody_render import Timbre
from engines.sound.primers import primer_of_recipe
from engines.sound.tunes import Tune

KINDS = studio_part.KINDS


def note_model_of(rec: dict, models_dir: Path | None) -> explore.NoteModel:
    """The note model a melody or MIDI-render recipe played with (bundled or the workspace's)."""
    found = explore.available_models(None if models_dir is None else Path(models_dir) / ENGINE)
    checkpoint = rec.get("note_checkpoint", rec.get("checkpoint"))
    return explore.load_note_model(
        find_checkpoint(found, checkpoint, rec.get("note_model", rec.get("model")), "note model")
    )


def melody_model_of(rec: dict, models_dir: Path | None) -> compose.MelodyModel:
    """The melody model a melody recipe names (bundled or the workspace's)."""
    found = compose.available_melody_models(None if models_dir is None else Path(models_dir) / ENGINE)
    return compose.load_melody_model(find_checkpoint(found, rec.get("checkpoint"), rec.get("model"), "melody model"))


def timbre_of(rec: dict) -> Timbre:
    """The render timbre a recipe names."""
    return studio_part.timbre_of(rec.get("preset"), rec.get("sliders") or [], rec.get("timbre"))


def tune_of(rec: dict, ctx: ReplayContext) -> Tune:
    """A melody recipe's notes (primer + continuation), made again: equal to the kept MIDI's notes."""
    out = _continuation(rec, melody_model_of(rec, ctx.models_dir))
    return out.tune


def _continuation(rec: dict, model: compose.MelodyModel) -> compose.Continuation:
    primer = primer_of_recipe(rec)
    if primer is None:
        return compose.compose(
            model,
            rec.get("key", "C major"),
            rec.get("metre", "4/4"),
            rec.get("bars", 4),
            rec.get("temperature", 0.8),
            rec.get("seed", 0),
        )
    return compose.continue_tune(
        model,
        primer,
        rec.get("bars", 4),
        rec.get("temperature", 0.8),
        rec.get("seed", 0),
        key=rec.get("key"),
        metre=rec.get("metre"),
    )


def melody_wave(rec: dict, ctx: ReplayContext) -> tuple[int, np.ndarray]:
    """(sample rate, wave) of a melody recipe."""
    note_model = note_model_of(rec, ctx.models_dir)
    tune = tune_of(rec, ctx)
    return melody_render.render_tracks(
        note_model,
        [midi.Track("melody", tune.notes)],
        timbre_of(rec),
        rec.get("tempo_bpm", 120.0),
        rec.get("swing", 0.0),
    )


def midi_song(rec: dict, ctx: ReplayContext) -> midi.Song:
    """The MIDI file a MIDI render played, from the Gallery's kept inputs."""
    try:
        path = ctx.store.input_path(rec.get("midi"))
    except KeyError as err:
        raise ValueError(str(err.args[0])) from None
    return midi.read_midi(path)


def midi_wave(rec: dict, ctx: ReplayContext) -> tuple[int, np.ndarray]:
    """(sample rate, wave) of a MIDI render recipe."""
    note_model = note_model_of(rec, ctx.models_dir)
    choice = studio_part.GM if rec.get("gm") else ""
    sound, _, _ = studio_part.render_song(
        note_model, midi_song(rec, ctx), choice, timbre_of(rec), rec.get("tempo_bpm", 0.0), rec.get("swing", 0.0)
    )
    return sound


def remake(recipe: dict, ctx: ReplayContext) -> tuple[int, np.ndarray]:
    """A melody or a MIDI render made again from its recipe: (sample rate, wave)."""
    kind = recipe.get("kind")
    if kind == "melody":
        return melody_wave(recipe, ctx)
    if kind == "midi_render":
        return midi_wave(recipe, ctx)
    raise ValueError(f"The Melody panel cannot remake an output of kind {str(kind)[:40]!r}.")


def exact(recipe: dict) -> bool:
    """False: the notes are remade exactly, the vocoded wave only faithfully (see the module's note)."""
    return False
