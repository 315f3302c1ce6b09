"""Playing a Sound note model, what the studio calls: loading note VAEs (with their slider axes and
preset timbres), a timbre from a preset and sliders, notes of any length, morphs along a latent path,
encoding the artist's own sound, the recipes that play each again, and playing a note recipe.
Everything is deterministic for a given model and settings. (Melodies are `compose.py`'s: the frame
RNN that once continued a sound here was retired, issue #21.)"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engines import checkpoints, limits
from engines.settings import assets_dir
from engines.sound.audio import estimate_pitch, find_onsets, note_window
from engines.sound.note_audio import MAX_SECONDS, MIN_SECONDS, fit_duration, render_note
from engines.sound.render import NOTE_FRAMES, level
from engines.sound.spectrum import SpectrumSettings, audio_to_logmel
from engines.sound.vae import NoteVAE, NoteVAEConfig

ENGINE = "sound"
RETIRED_KIND = "rnn"  # the frame continuation RNN's checkpoints (retired, issue #21)
BUNDLED_DIR = assets_dir() / "models" / "sound"
N_SLIDERS = 8
NOTE_CACHE = 12  # notes kept in memory (a slider's release and Keep reuse the note just played)

# ---------------------------------------------------------------- what a request may ask for
VELOCITY_RANGE = (1, 127)  # MIDI velocity
SLIDER_RANGE = (-3.0, 3.0)  # a timbre slider, in spreads of its principal direction
TIMBRE_LIMIT = 50.0  # |number| in an explicit timbre (encoded notes stay within a few)
MORPH_SECONDS = (1.0, limits.MAX_SOUND_SECONDS)
MORPH_STEPS = (2, 64)  # latents decoded along a morph's path


@dataclass
class NoteModel:
    """A loaded note VAE with its slider axes and preset timbres."""

    vae: NoteVAE
    settings: SpectrumSettings
    meta: dict
    path: Path
    hash: str
    mean: torch.Tensor
    directions: torch.Tensor  # (latent, latent) rows by falling variance
    std: torch.Tensor
    presets: dict[str, torch.Tensor]

    @property
    def name(self) -> str:
        return self.meta.get("name") or self.path.stem

    @property
    def pitch_range(self) -> tuple[int, int]:
        lo, hi = self.meta.get("pitch_range", [45, 84])
        return int(lo), int(hi)


def _float_state(ck: checkpoints.Checkpoint) -> dict:
    return {k: v.float() if v.is_floating_point() else v for k, v in ck.state_dict.items()}


def _build(path: str) -> NoteModel:
    ck = checkpoints.load(path, engine=ENGINE)
    settings = SpectrumSettings(**ck.config["spectrum"])
    kind = ck.config.get("kind")
    if kind == RETIRED_KIND:
        raise checkpoints.CheckpointError(
            f"{Path(path).name} is a frame continuation RNN: it was retired (the Melody panel continues a tune now)"
        )
    if kind != "vae":
        raise checkpoints.CheckpointError(f"{Path(path).name} is not a Sound model this version can play")
    vae = NoteVAE(NoteVAEConfig(**ck.config["vae"]))
    vae.load_state_dict(_float_state(ck))
    atlas = ck.extra.get("atlas") or {}
    latent = vae.cfg.latent
    return NoteModel(
        vae.eval().requires_grad_(False),
        settings,
        ck.meta,
        Path(path),
        checkpoints.file_hash(path),
        torch.tensor(atlas.get("mean", [0.0] * latent)),
        torch.tensor(atlas.get("directions", torch.eye(latent).tolist())),
        torch.tensor(atlas.get("std", [1.0] * latent)),
        {k: torch.tensor(v) for k, v in atlas.get("presets", {}).items()},
    )


load = checkpoints.file_cached(_build, "Sound model")
"""Load a Sound checkpoint once per file version; later calls reuse it."""


def load_note_model(path: str | os.PathLike) -> NoteModel:
    """The note model at `path` (CheckpointError for any other kind of file)."""
    return load(path)


def kind_of(path: str | os.PathLike) -> str:
    """'vae' for a Sound note model (the only kind this module plays; CheckpointError otherwise)."""
    load(path)
    return "vae"


# ---------------------------------------------------------------- notes
def timbre(
    model: NoteModel, preset: str | None = None, sliders: Sequence[float] = (), base: Sequence[float] | None = None
) -> torch.Tensor:
    """The latent for a preset (or an explicit `base`, or the centre) moved along the principal
    directions by `sliders`, each in units of that direction's spread."""
    if base is not None:
        z = torch.tensor(check_timbre(model, base), dtype=torch.float32)
    elif preset:
        if preset not in model.presets:
            raise ValueError(f"{model.name} has no preset '{str(preset)[:80]}'")
        z = model.presets[preset].clone()
    else:
        z = model.mean.clone()
    for i, s in enumerate(check_sliders(sliders)[: len(model.directions)]):
        z = z + s * model.std[i] * model.directions[i]
    return z


def check_sliders(sliders: Sequence[float]) -> list[float]:
    """Timbre slider values as finite floats within SLIDER_RANGE (at most N_SLIDERS of them)."""
    sliders = list(sliders or [])
    if len(sliders) > N_SLIDERS:
        raise ValueError(f"give at most {N_SLIDERS} timbre slider values, not {len(sliders)}")
    return limits.numbers(sliders, "Timbre", *SLIDER_RANGE)


def check_timbre(model: NoteModel, base: Sequence[float]) -> list[float]:
    """An explicit timbre (an encoded sound): exactly the model's latent size of finite numbers."""
    if isinstance(base, (str, bytes)) or not hasattr(base, "__len__"):
        raise ValueError("a timbre is a list of numbers (as 'Encode my sound' makes)")
    if len(base) != model.mean.numel():
        raise ValueError(f"a timbre for this model has {model.mean.numel()} numbers, not {len(base)}")
    return limits.numbers(base, "Timbre number", -TIMBRE_LIMIT, TIMBRE_LIMIT)


def coordinates(model: NoteModel, z: torch.Tensor, base: torch.Tensor) -> list[float]:
    """Slider positions that take `base` towards `z` (the part along the slider axes)."""
    d = (z - base) @ model.directions[:N_SLIDERS].T
    return (d / model.std[:N_SLIDERS].clamp_min(1e-6)).tolist()


def check_pitch(model: NoteModel, pitch: float, what: str = "The pitch") -> float:
    """A finite MIDI pitch within the range the model learned (the bundled one plays 45-84)."""
    pitch = limits.number(pitch, what)
    lo, hi = model.pitch_range
    if not lo <= pitch <= hi:
        raise ValueError(
            f"{model.name} plays MIDI {lo}-{hi}; {what.lower()} {pitch:g} is outside that range. "
            f"Choose a pitch from {lo} to {hi}."
        )
    return pitch


def check_velocity(velocity: float) -> int:
    """A whole MIDI velocity from 1 to 127."""
    return limits.whole(velocity, "The velocity", *VELOCITY_RANGE)


def check_hold(seconds: float) -> float:
    """How long the key is held: MIN_SECONDS to MAX_SECONDS (limits.MAX_SOUND_SECONDS)."""
    return limits.number(seconds, "The hold (seconds)", MIN_SECONDS, MAX_SECONDS)


@torch.no_grad()
def note_logmels(model: NoteModel, z: torch.Tensor, pitch: torch.Tensor, velocity: torch.Tensor) -> torch.Tensor:
    """Decode latents (B, latent) at pitches and velocities (B,) to log-mels (B, n_mels, frames)."""
    return model.vae.decode(z, pitch.float(), velocity.float())


_NOTES: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
_NOTES_LOCK = threading.Lock()


def note(
    model: NoteModel,
    pitch: float = 60,
    velocity: int = 100,
    seconds: float = 1.5,
    preset: str | None = None,
    sliders: Sequence[float] = (),
    base: Sequence[float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(wave, log-mel) of one note with the given timbre, the key held for `seconds` (the
    instrument's release rings on after it, until it has decayed). The last NOTE_CACHE notes are
    remembered, so playing the same note again (a Keep, a slider's release) costs nothing."""
    pitch, velocity, seconds = check_pitch(model, pitch), check_velocity(velocity), check_hold(seconds)
    sliders = check_sliders(sliders)
    base = None if base is None else check_timbre(model, base)
    key = (model.hash, pitch, velocity, seconds, preset, tuple(sliders), None if base is None else tuple(base))
    with _NOTES_LOCK:
        if key in _NOTES:
            _NOTES.move_to_end(key)
            wave, mel = _NOTES[key]
            return wave.copy(), mel.copy()
    z = timbre(model, preset, sliders, base)
    mel = note_logmels(model, z[None], torch.tensor([pitch]), torch.tensor([float(velocity)]))[0]
    wave, mel = render_note(fit_duration(mel, seconds, model.settings), model.settings)
    with _NOTES_LOCK:
        _NOTES[key] = (wave, mel)
        while len(_NOTES) > NOTE_CACHE:
            _NOTES.popitem(last=False)
    return wave.copy(), mel.copy()


def morph(
    model: NoteModel,
    a: tuple[torch.Tensor, float],
    b: tuple[torch.Tensor, float],
    seconds: float = 4.0,
    velocity: int = 100,
    steps: int = 24,
) -> tuple[np.ndarray, np.ndarray]:
    """One evolving sound from timbre/pitch `a` to `b`: the note's envelope is stretched over
    `seconds` (plus the release) while each moment takes its spectrum from the latent (and pitch) at that point of
    the straight path."""
    (za, pa), (zb, pb) = a, b
    pa, pb = check_pitch(model, pa, "The start pitch"), check_pitch(model, pb, "The end pitch")
    seconds = limits.number(seconds, "The morph's length (seconds)", *MORPH_SECONDS)
    velocity, steps = check_velocity(velocity), limits.whole(steps, "The morph's steps", *MORPH_STEPS)
    t = torch.linspace(0, 1, steps)[:, None]
    zs = (1 - t) * za + t * zb
    pitches = (1 - t[:, 0]) * pa + t[:, 0] * pb
    notes = note_logmels(model, zs, pitches, torch.full((steps,), float(velocity)))
    shaped = torch.stack([fit_duration(n, seconds, model.settings) for n in notes])  # (steps, mels, T)
    frames = shaped.shape[2]
    pos = torch.linspace(0, steps - 1, frames)
    lo = pos.floor().long().clamp(max=steps - 2)
    w = (pos - lo.float())[None]
    cols = torch.arange(frames)
    mel = shaped[lo, :, cols].T * (1 - w) + shaped[lo + 1, :, cols].T * w
    return render_note(mel, model.settings)


def encode(model: NoteModel, wave: np.ndarray, pitch: float | None = None) -> tuple[torch.Tensor, float]:
    """The timbre latent and MIDI pitch of a recorded note (from its first onset; pitch by pyin
    unless given). Raises ValueError for silence or unpitched sound."""
    s = model.settings
    if np.abs(wave).max() < 1e-3:
        raise ValueError("the sound is silent")
    start = int(find_onsets(wave, s)[0])
    seg = level(note_window(wave, start, s), 100)
    if pitch is None:
        pitch = estimate_pitch(wave[start : start + s.sample_rate], s.sample_rate)
        if pitch is None:
            raise ValueError("no clear pitch found in the sound; record or upload a single sustained note")
    lo, hi = model.pitch_range
    pitch = float(np.clip(round(pitch), lo, hi))  # a note beyond the model's range is read at its edge
    mel = torch.as_tensor(audio_to_logmel(seg, s)[:, :NOTE_FRAMES])[None]
    with torch.no_grad():
        mu, _ = model.vae.encode(mel, torch.tensor([pitch]), torch.tensor([100.0]))
    return mu[0], pitch


def available_models(user_dir: str | os.PathLike | None = None, kind: str = "vae") -> dict[str, Path]:
    """Display name -> checkpoint for the bundled and the artist's Sound note models ('vae', the only
    kind: other Sound checkpoints, melody models and retired frame RNNs, are left out)."""
    return checkpoints.labelled_models(BUNDLED_DIR, user_dir, ENGINE, lambda p: kind_of(p) == kind)


def note_recipe(
    model: NoteModel,
    pitch: float,
    velocity: int,
    seconds: float,
    preset: str | None,
    sliders: Sequence[float],
    base: Sequence[float] | None = None,
) -> dict:
    """Everything needed to play the same note again."""
    rec = {
        "engine": ENGINE,
        "kind": "note",
        "model": model.name,
        "checkpoint": model.hash,
        "pitch": float(pitch),
        "velocity": int(velocity),
        "seconds": float(seconds),
        "preset": preset,
        "sliders": [round(float(s), 4) for s in sliders],
    }
    if base is not None:
        rec["timbre"] = [round(float(x), 5) for x in base]
    return rec


def morph_recipe(
    model: NoteModel,
    a: str,
    pitch_a: float,
    b: str,
    pitch_b: float,
    seconds: float,
    velocity: int,
    current: dict | None = None,
) -> dict:
    """The recipe of a morph from timbre `a` to `b` (preset names, or the current sound described
    by `current`: its preset, sliders and explicit timbre)."""
    return {
        "engine": ENGINE,
        "kind": "morph",
        "model": model.name,
        "checkpoint": model.hash,
        "from": a,
        "to": b,
        "pitch": float(pitch_a),
        "to_pitch": float(pitch_b),
        "seconds": float(seconds),
        "velocity": int(velocity),
        **({"current": current} if current is not None else {}),
    }


# ---------------------------------------------------------------- recipes played again
def find_checkpoint(found: dict[str, Path], checkpoint: str | None, name: str | None, what: str) -> Path:
    """The checkpoint among `found` (label -> path) with the file hash `checkpoint`, else the one named
    `name`; ValueError naming the missing model otherwise."""
    for path in found.values():
        if checkpoints.file_hash(path) == checkpoint:
            return path
    for label, path in found.items():
        if label.startswith(f"{name} ("):
            return path
    raise ValueError(f"The {what} that made this ({str(name)[:60]}) is not here; add it under Models.")


def find_model(rec: dict, models_dir: Path | None) -> Path:
    """The note model a recipe names (by its hash, else by its name), bundled or in `models_dir`."""
    found = available_models(None if models_dir is None else Path(models_dir) / ENGINE)
    return find_checkpoint(found, rec.get("checkpoint"), rec.get("model"), "note model")


def timbre_of(rec: dict) -> list | None:
    """The explicit timbre of a note recipe or control value (a list, or {'timbre': [...], 'source': ref})."""
    value = rec.get("timbre") if isinstance(rec, dict) and "engine" in rec else rec
    if isinstance(value, dict):
        value = value.get("timbre")
    return list(value) if value else None


def recipe_note(model: NoteModel, rec: dict) -> tuple[np.ndarray, np.ndarray]:
    """(wave, log-mel) of a note recipe on its model."""
    return note(
        model,
        rec.get("pitch", 60),
        rec.get("velocity", 100),
        rec.get("seconds", 1.5),
        rec.get("preset"),
        rec.get("sliders") or [],
        timbre_of(rec),
    )
