"""Remaking Sound outputs from their recipes (see engines/replay.py): notes, morphs and sweeps (and
melodies, through engines.sound.melody_replay). Notes, morphs and sweeps are deterministic (a decoded
spectrum, vocoded from a fixed seed), so a remake on the same machine equals the kept file.

Old "continuation" recipes came from the frame RNN, which was retired (issue #21): they cannot be
made again (a ValueError says so); the kept file stays in the Gallery and plays as it was.

Inputs an output depends on are kept in the workspace's Gallery: an encoded sound's recording is
referenced as the note recipe's "source" ("inputs/<hash>.wav")."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from engines.replay import ReplayContext
from engines.sound import explore, melody_replay
from engines.sound import sweep as sound_sweep
from engines.sound.explore import timbre_of

ENGINE = explore.ENGINE
KINDS = ("note", "morph", "continuation", "sweep")  # what the tab reopens ("continuation": its note only)
EXACT = ("note", "morph", "sweep")
CURRENT = "(the current sound)"  # a morph's end that is the note the controls played
RETIRED = (
    "This sound came from the frame continuation, which was retired, so it cannot be made again; "
    "it is kept as it was (the Gallery still plays the kept file). The Melody panel continues a tune now."
)


def morph_end(model: explore.NoteModel, choice: str, current: dict | None) -> torch.Tensor:
    """The latent at one end of a morph: a preset's, or the current sound's (its preset, sliders, timbre)."""
    if choice == CURRENT:
        cur = current or {}
        preset = cur.get("preset")
        preset = preset if preset in model.presets else None
        return explore.timbre(model, preset, cur.get("sliders") or [], timbre_of(cur.get("timbre")))
    return explore.timbre(model, str(choice) if choice in model.presets else _unknown(model, choice))


def _unknown(model: explore.NoteModel, choice: Any) -> str:
    raise ValueError(f"{model.name} has no preset '{str(choice)[:80]}'")


def morph(model: explore.NoteModel, rec: dict) -> tuple[np.ndarray, np.ndarray]:
    """(wave, log-mel) of a morph recipe on its model."""
    za, zb = morph_end(model, rec.get("from"), rec.get("current")), morph_end(model, rec.get("to"), rec.get("current"))
    return explore.morph(
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
        return sound_sweep.replay(recipe, ctx.models_dir)
    if kind not in ("note", "morph"):
        raise ValueError(f"Sound cannot remake an output of kind {str(kind)[:40]!r}.")
    model = explore.load_note_model(explore.find_model(recipe, ctx.models_dir))
    wave = explore.recipe_note(model, recipe)[0] if kind == "note" else morph(model, recipe)[0]
    return model.settings.sample_rate, wave


def exact(recipe: dict) -> bool:
    """Notes, morphs and sweeps of notes are remade bit for bit on the same machine."""
    if recipe.get("kind") in melody_replay.KINDS:
        return melody_replay.exact(recipe)
    return recipe.get("kind") in EXACT
