"""Names and safe ranges for a note model's timbre sliders, from measurements.

Each slider moves the timbre along one principal direction. To name it, notes are decoded at -2
and +2 along that direction (from the model's centre and a few presets, at MIDI 48, 60 and 72) and
measured on their spectrum: brightness (spectral centroid, in octaves), attack (seconds to reach
the peak), ring (seconds from the peak until 30 dB down), noisiness (spectral flatness of the held
part), vibrato (how much the held part's brightness and level wobble) and loudness (level of the
held part, dB). Each change is divided by how much that property varies between the model's
presets; the largest names the slider ('darker <-> brighter'). A slider's safe range is the
largest of 3, 2.5, 2, 1.5 at which every measured note stays within the presets' span of
brightness, noisiness, vibrato and loudness (widened by a quarter of it) and audible. The result is
computed once per checkpoint and stored in a small JSON beside the model (`<model>.sliders.json`),
which every later load reads.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import torch

from engines.fsutil import atomic_write_bytes
from engines.sound.spectrum import SpectrumSettings

PROPERTIES = {  # name -> (label towards lower values, label towards higher values)
    "brightness": ("darker", "brighter"),
    "attack": ("sharper attack", "softer attack"),
    "ring": ("shorter", "rings longer"),
    "noisiness": ("purer", "noisier"),
    "vibrato": ("steadier", "wobblier"),
    "loudness": ("quieter", "louder"),
}
PROBE = 2.0  # slider positions measured: -PROBE and +PROBE
PITCHES = (48, 60, 72)
BASES = 5  # the centre and up to four presets
RANGES = (3.0, 2.5, 2.0, 1.5)  # candidate safe ranges, widest first
MARGIN = 0.25  # a safe note stays within the presets' span widened by this share of it
SAFE_WITHIN = ("brightness", "noisiness", "vibrato", "loudness")  # (a slow swell or a long ring is a usable sound)
SUFFIX = ".sliders.json"
VERSION = 1
_CACHE: dict[str, dict] = {}
_LOCK = threading.Lock()


def _mel_hz(s: SpectrumSettings) -> np.ndarray:
    import librosa

    return librosa.mel_frequencies(s.n_mels, fmin=s.fmin, fmax=s.fmax or s.sample_rate / 2).astype(np.float32)


def measure(log_mel: np.ndarray, s: SpectrumSettings, held: tuple[int, int] = (10, 90)) -> dict[str, float]:
    """The properties of one note picture (n_mels, frames): brightness, attack, ring, noisiness,
    vibrato, loudness (see the module's docstring)."""
    power = np.exp(np.asarray(log_mel, np.float64))
    energy = power.sum(0)
    db = 10 * np.log10(np.maximum(energy, 1e-12))
    frame_s = s.hop / s.sample_rate
    peak = int(np.argmax(db))
    attack = int(np.argmax(db >= db[peak] - 3)) * frame_s
    below = np.nonzero(db[peak:] < db[peak] - 30)[0]
    ring = (int(below[0]) if len(below) else len(db) - peak) * frame_s
    hz = _mel_hz(s)[:, None]
    a, b = held
    part = power[:, a:b] + 1e-12
    centroid = (part * hz).sum(0) / part.sum(0)
    flat = np.exp(np.log(part).mean(0)) / part.mean(0)
    smooth = np.convolve(np.log2(centroid), np.ones(9) / 9, mode="same")
    wobble = np.log2(centroid)[4:-4] - smooth[4:-4]
    level = db[a:b]
    level_wobble = level[4:-4] - np.convolve(level, np.ones(9) / 9, mode="same")[4:-4]
    return {
        "brightness": float(np.log2((centroid * part.sum(0)).sum() / part.sum())),
        "attack": float(attack),
        "ring": float(ring),
        "noisiness": float(flat.mean()),
        "vibrato": float(wobble.std() + level_wobble.std() / 10),
        "loudness": float(level.mean()),
    }


def _decode(model, z: torch.Tensor, pitch: int) -> np.ndarray:
    with torch.no_grad():
        return model.vae.decode(z, torch.full((len(z),), float(pitch)), torch.full((len(z),), 100.0)).numpy()


def _bases(model) -> torch.Tensor:
    names = sorted(model.presets)
    pick = [names[i] for i in np.linspace(0, len(names) - 1, min(BASES - 1, len(names))).astype(int)] if names else []
    return torch.stack([model.mean, *[model.presets[n] for n in dict.fromkeys(pick)]])


def _along(model, bases: torch.Tensor, i: int, s: float) -> torch.Tensor:
    return bases + s * model.std[i] * model.directions[i]


def _table(model, zs: torch.Tensor) -> list[dict[str, float]]:
    return [measure(m, model.settings) for p in PITCHES for m in _decode(model, zs, p)]


def _span(model) -> dict[str, tuple[float, float, float]]:
    """Each property's (low, high, spread) over the model's presets (its centre if it has none)."""
    zs = torch.stack(list(model.presets.values())) if model.presets else model.mean[None]
    rows = _table(model, zs)
    out = {}
    for k in PROPERTIES:
        v = np.array([r[k] for r in rows])
        out[k] = (float(v.min()), float(v.max()), float(max(v.std(), 1e-6)))
    return out


def _safe(rows: list[dict[str, float]], span: dict, loud_floor: float) -> bool:
    for r in rows:
        if not all(np.isfinite(list(r.values()))) or r["loudness"] < loud_floor:
            return False
        for k in SAFE_WITHIN:
            lo, hi, _ = span[k]
            margin = MARGIN * (hi - lo)
            if not lo - margin <= r[k] <= hi + margin:
                return False
    return True


def label(name: str, sign: float) -> str:
    """'darker ↔ brighter' for a slider that raises the property (reversed when it lowers it)."""
    lo, hi = PROPERTIES[name]
    return f"{lo} ↔ {hi}" if sign >= 0 else f"{hi} ↔ {lo}"


def names_from(effects: list[dict[str, float]]) -> list[str]:
    """Slider names from measured effects (property -> change per spread, signed): each slider is
    named by its largest effect; a property already naming a stronger slider yields to the next
    one, and a slider sharing its name anyway gets its second property added."""
    order = sorted(range(len(effects)), key=lambda i: -max(abs(v) for v in effects[i].values()))
    used: set[str] = set()
    names = [""] * len(effects)
    for i in order:
        ranked = sorted(effects[i], key=lambda k: -abs(effects[i][k]))
        free = [k for k in ranked if k not in used and abs(effects[i][k]) >= 0.5 * abs(effects[i][ranked[0]])]
        first = free[0] if free else ranked[0]
        name = label(first, effects[i][first])
        if first in used:
            second = ranked[1] if ranked[0] == first else ranked[0]
            name = f"{name} ({PROPERTIES[second][effects[i][second] >= 0]})"
        used.add(first)
        names[i] = name
    return names


def measure_model(model, sliders: int) -> dict:
    """Measure a note model's first `sliders` directions: their effects, names and safe ranges."""
    bases = _bases(model)
    span = _span(model)
    centre = _table(model, bases)
    loud_floor = min(r["loudness"] for r in centre) - 20.0
    effects, ranges = [], []
    for i in range(min(sliders, len(model.directions))):
        lo, hi = _table(model, _along(model, bases, i, -PROBE)), _table(model, _along(model, bases, i, PROBE))
        effects.append(
            {k: round(float(np.mean([h[k] - low[k] for h, low in zip(hi, lo)]) / span[k][2]), 4) for k in PROPERTIES}
        )
        ranges.append(
            next(
                (
                    r
                    for r in RANGES
                    if _safe(_table(model, _along(model, bases, i, r)), span, loud_floor)
                    and _safe(_table(model, _along(model, bases, i, -r)), span, loud_floor)
                ),
                RANGES[-1],
            )
        )
    return {
        "version": VERSION,
        "checkpoint": model.hash,
        "probe": PROBE,
        "pitches": list(PITCHES),
        "effects": effects,
        "names": names_from(effects),
        "ranges": ranges,
        "how": __doc__.split("\n\n")[1].replace("\n", " "),
    }


def sidecar(path: str | Path) -> Path:
    """Where a model's slider measurements are kept: beside it."""
    path = Path(path)
    return path.with_name(path.stem + SUFFIX)


def slider_info(model, sliders: int = 8) -> dict:
    """The stored measurements of a model's sliders ({'names', 'ranges', 'effects', ...}): read
    from beside the checkpoint when they are for this checkpoint, else measured once and written
    there (kept in memory when the folder is read-only)."""
    with _LOCK:
        if model.hash in _CACHE:
            return _CACHE[model.hash]
        info = None
        side = sidecar(model.path)
        try:
            found = json.loads(side.read_text(encoding="utf-8"))
            if found.get("checkpoint") == model.hash and found.get("version") == VERSION:
                info = found
        except (OSError, ValueError):
            pass
        if info is None:
            info = measure_model(model, sliders)
            try:
                atomic_write_bytes(side, json.dumps(info, ensure_ascii=False, indent=1).encode())
            except OSError:
                pass
        info = {**info, "names": names_from(info["effects"])}  # names always follow the stored numbers
        _CACHE[model.hash] = info
        return info


def forget(model_hash: str | None = None) -> None:
    """Drop remembered measurements (all, or one checkpoint's), so the next use reads the file again."""
    with _LOCK:
        if model_hash is None:
            _CACHE.clear()
        else:
            _CACHE.pop(model_hash, None)
