"""Remaking Sound outputs from their recipes (see engines/replay.py): notes, morphs and sweeps (and
melodies, through engines.sound.melody_replay). Notes, morphs and sweeps are deterministic (a decoded
spectrum, vocoded from a fixed seed), so a remake on the same machine equals the kept file.

Old "continuation" recipes came from the frame RNN, which was retired (issue #21): they cannot be
made again (a ValueError says so); the kept file stays in the Gallery and plays as it was.

Inputs an output depends on are kept in the workspace's Gallery: an encoded sound's recording is
referenced as the note recipe's "source" ("inputs/<hash>.wav")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines import checkpoints
from engines.replay import ReplayContext
from engines.sound import instrument, melody_replay

ENGINE = instrument.ENGINE
KINDS = ("note", "morph", "continuation", "sweep")  # what the tab reopens ("continuation": its note only)
EXACT = ("note", "morph", "sweep")
CURRENT = "(the current sound)"  # a morph's end that is the note the controls played
RETIRED = (
    "This sound came from the frame continuation, which was retired, so it cannot be made again; "
    "it is kept as it was (the Gallery still plays the kept file). The Melody panel continues a tune now."
)


def find_model(rec: dict, models_dir: Path | None) -> Path:
    """The checkpoint a recipe names (by its hash, else by its name), bundled or the workspace's;
    ValueError naming the missing model otherwise."""
    found = instrument.available_models(None if models_dir is None else Path(models_dir) / ENGINE)
    for path in found.values():
        if checkpoints.file_hash(path) == rec.get("checkpoint"):
            return path
    for label, path in found.items():
        if label.startswith(f"{rec.get('model')} ("):
            return path
    raise ValueError(f"The note model that made this ({str(rec.get('model'))[:60]}) is not here; add it under Models.")


def timbre_of(rec: dict) -> list | None:
    """The explicit timbre of a note recipe or control value (a list, or {'timbre': [...], 'source': ref})."""
    value = rec.get("timbre") if isinstance(rec, dict) and "engine" in rec else rec
    if isinstance(value, dict):
        value = value.get("timbre")
    return list(value) if value else None


def note(model: instrument.NoteModel, rec: dict) -> tuple[np.ndarray, np.ndarray]:
    """(wave, log-mel) of a note recipe on its model."""
    return instrument.note(
        model,
        rec.get("pitch", 60),
        rec.get("velocity", 100),
        rec.get("seconds", 1.5),
        rec.get("preset"),
        rec.get("sliders") or [],
        timbre_of(rec),
    )


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
    return instrument.morph(
        model,
        (za, rec.get("pitch", 60)),
        (zb, rec.get("to_pitch", 60)),
        rec.get("seconds", 4),
        rec.get("velocity", 100),
    )


def remake(recipe: dict, ctx: ReplayContext) -> tuple[int, np.ndarray]:
    """A Sound output made again from its recipe: (sample rate, wave)."""
    kind = recipe.get("kind")
    if kind in melody_replay.KINDS:
        return melody_replay.remake(recipe, ctx)
    if kind == "continuation":
        raise ValueError(RETIRED)
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
