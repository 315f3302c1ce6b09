"""Remaking Sound outputs from their recipes (see engines/replay.py): notes, morphs, continuations
and sweeps. Notes, morphs and sweeps are deterministic (a decoded spectrum, vocoded from a fixed
seed), so a remake on the same machine equals the kept file; a continuation samples an RNN step by
step and is remade faithfully but not promised bit for bit.

Inputs an output depends on are kept in the workspace's Gallery: an uploaded primer is referenced
as {"input": "inputs/<hash>.wav"}, an encoded sound's recording as the note recipe's "source"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines import checkpoints
from engines.replay import ReplayContext
from engines.sound import instrument, melody_replay

ENGINE = instrument.ENGINE
KINDS = ("note", "morph", "continuation", "sweep")
EXACT = ("note", "morph", "sweep")
CURRENT = "(the current sound)"   # a morph's end that is the note the controls played


def find_model(rec: dict, models_dir: Path | None, kind: str = "vae") -> Path:
    """The checkpoint a recipe names (by its hash, else by its name), bundled or the workspace's;
    ValueError naming the missing model otherwise."""
    found = instrument.available_models(None if models_dir is None else Path(models_dir) / ENGINE, kind)
    for path in found.values():
        if checkpoints.file_hash(path) == rec.get("checkpoint"):
            return path
    for label, path in found.items():
        if label.startswith(f"{rec.get('model')} ("):
            return path
    what = "continuation model" if kind == "rnn" else "note model"
    raise ValueError(f"The {what} that made this ({str(rec.get('model'))[:60]}) is not here; add it under Models.")


def timbre_of(rec: dict) -> list | None:
    """The explicit timbre of a note recipe or control value (a list, or {'timbre': [...], 'source': ref})."""
    value = rec.get("timbre") if isinstance(rec, dict) and "engine" in rec else rec
    if isinstance(value, dict):
        value = value.get("timbre")
    return list(value) if value else None


def note(model: instrument.NoteModel, rec: dict) -> tuple[np.ndarray, np.ndarray]:
    """(wave, log-mel) of a note recipe on its model."""
    return instrument.note(model, rec.get("pitch", 60), rec.get("velocity", 100), rec.get("seconds", 1.5),
                           rec.get("preset"), rec.get("sliders") or [], timbre_of(rec))


def morph_end(model: instrument.NoteModel, choice: str, current: dict | None) -> torch.Tensor:
    """The latent at one end of a morph: a preset's, or the current sound's (its preset, sliders, timbre)."""
    if choice == CURRENT:
        cur = current or {}
        preset = cur.get("preset")
        preset = preset if preset in model.presets else None
        return instrument.timbre(model, preset, cur.get("sliders") or [], timbre_of(cur.get("timbre")))
    return instrument.timbre(model, str(choice) if choice in model.presets else _unknown(model, choice))


def _unknown(model: instrument.NoteModel, choice: Any) -> str:
    raise ValueError(f"{model.name} has no preset '{str(choice)[:80]}'")


def morph(model: instrument.NoteModel, rec: dict) -> tuple[np.ndarray, np.ndarray]:
    """(wave, log-mel) of a morph recipe on its model."""
    za, zb = morph_end(model, rec.get("from"), rec.get("current")), morph_end(model, rec.get("to"), rec.get("current"))
    return instrument.morph(model, (za, rec.get("pitch", 60)), (zb, rec.get("to_pitch", 60)), rec.get("seconds", 4),
                            rec.get("velocity", 100))


def primer_wave(rec: dict, ctx: ReplayContext, settings) -> np.ndarray:
    """The sound a continuation listened to: a note (remade from its recipe) or an upload kept in the Gallery."""
    from engines.sound import audio

    primer = rec.get("primer")
    if isinstance(primer, dict) and primer.get("kind") == "note":
        model = instrument.load_note_model(find_model(primer, ctx.models_dir))
        return note(model, primer)[0]
    if isinstance(primer, dict) and primer.get("input"):
        try:
            path = ctx.store.input_path(primer["input"])
        except KeyError as err:
            raise ValueError(str(err.args[0])) from None
        return audio.load_upload(path, settings, "The primer").wave
    raise ValueError("This continuation's primer was not kept with it, so it cannot be made again.")


def continuation(rec: dict, ctx: ReplayContext) -> tuple[np.ndarray, np.ndarray, int]:
    """(wave, log-mel, frame where the RNN takes over) of a continuation recipe."""
    rnn = instrument.load_continuation_model(find_model(rec, ctx.models_dir, "rnn"))
    primer = primer_wave(rec, ctx, rnn.settings)
    return instrument.continue_sound(rnn, primer, rec.get("seconds", 4), rec.get("temperature", 0.5),
                                     rec.get("seed", 0))


def remake(recipe: dict, ctx: ReplayContext) -> tuple[int, np.ndarray]:
    """A Sound output made again from its recipe: (sample rate, wave)."""
    kind = recipe.get("kind")
    if kind in melody_replay.KINDS:
        return melody_replay.remake(recipe, ctx)
    if kind == "continuation":
        rnn_rate = instrument.load_continuation_model(find_model(recipe, ctx.models_dir, "rnn")).settings.sample_rate
        return rnn_rate, continuation(recipe, ctx)[0]
    if kind == "sweep":
        from engines.sound import sweep as sound_sweep

        return sound_sweep.replay(recipe, ctx.models_dir)
    if kind not in ("note", "morph"):
        raise ValueError(f"Sound cannot remake an output of kind {str(kind)[:40]!r}.")
    model = instrument.load_note_model(find_model(recipe, ctx.models_dir))
    wave = note(model, recipe)[0] if kind == "note" else morph(model, recipe)[0]
    return model.settings.sample_rate, wave


def exact(recipe: dict) -> bool:
    """Notes, morphs and sweeps of notes are remade bit for bit on the same machine."""
    if recipe.get("kind") in melody_replay.KINDS:
        return melody_replay.exact(recipe)
    return recipe.get("kind") in EXACT
