"""Sound sweeps: one note setting along X, another along Y, every cell a note; the result is one
WAV that plays the cells in order with short gaps (engines.sweep.sound_track) plus a small
spectrogram per cell. Axes: pitch, velocity, hold, preset, and any timbre slider ('timbre 1' or
its measured name, 'timbre 1: darker ↔ brighter'). The base settings are a note recipe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from engines import sweep
from engines.jobs import StopToken
from engines.sound import explore, named, pictures
from engines.sound.spectrum import audio_to_logmel

PITCH, VELOCITY, HOLD, PRESET = "pitch", "velocity", "hold", "preset"
AXES = (PITCH, VELOCITY, HOLD, PRESET)
CENTRE = "(centre of the model)"
THUMB = (160, 80)


def axis_names(model: explore.NoteModel) -> list[str]:
    """What a Sound sweep can move, for the tab's axis pickers."""
    names = named.slider_info(model, explore.N_SLIDERS)["names"]
    return [*AXES, *(f"timbre {i + 1}: {n}" for i, n in enumerate(names))]


def slider_index(name: str) -> int | None:
    """0-based slider of an axis named 'timbre 3' or 'timbre 3: …' (None for other axes)."""
    low = str(name).strip().lower()
    if low.startswith("timbre "):
        head = low[len("timbre ") :].split(":")[0].strip()
        if head.isdigit() and 1 <= int(head) <= explore.N_SLIDERS:
            return int(head) - 1
    return None


def check_axis(model: explore.NoteModel, ax: sweep.Axis) -> sweep.Axis:
    """An axis Sound knows, every value within the tab's bounds."""
    if ax.name == PITCH:
        return sweep.Axis(ax.name, tuple(explore.check_pitch(model, v) for v in ax.values))
    if ax.name == VELOCITY:
        return sweep.Axis(ax.name, tuple(explore.check_velocity(v) for v in ax.values))
    if ax.name == HOLD:
        return sweep.Axis(ax.name, tuple(explore.check_hold(v) for v in ax.values))
    if ax.name == PRESET:
        for v in ax.values:
            if str(v) not in model.presets and str(v) != CENTRE:
                raise ValueError(
                    f"{model.name} has no preset '{str(v)[:80]}'; choose from: {', '.join(model.presets)}."
                )
        return sweep.Axis(ax.name, tuple(str(v) for v in ax.values))
    i = slider_index(ax.name)
    if i is None:
        raise ValueError(f"A Sound sweep cannot move {ax.name!r}; choose one of: {', '.join(axis_names(model))}.")
    return sweep.Axis(ax.name, tuple(explore.check_sliders([v])[0] for v in ax.values))


def axes(model: explore.NoteModel, x_axis: Any, y_axis: Any) -> tuple[sweep.Axis, sweep.Axis]:
    """Both axes checked (at most sweep.MAX_CELLS cells, two different settings)."""
    xa, ya = sweep.check_axes(x_axis, y_axis)
    xa, ya = check_axis(model, xa), check_axis(model, ya)
    same = xa.name == ya.name or (slider_index(xa.name) is not None and slider_index(xa.name) == slider_index(ya.name))
    if same:
        raise ValueError(f"Both axes move {xa.name}; choose two different settings.")
    return xa, ya


def cell_recipe(base: dict, moves: dict[str, Any]) -> dict:
    """The note recipe of one cell: the base note with each axis's value in its place."""
    rec = {**base, "sliders": (list(base.get("sliders") or []) + [0.0] * explore.N_SLIDERS)[: explore.N_SLIDERS]}
    for name, value in moves.items():
        if name == PITCH:
            rec["pitch"] = float(value)
        elif name == VELOCITY:
            rec["velocity"] = int(value)
        elif name == HOLD:
            rec["seconds"] = float(value)
        elif name == PRESET:
            rec["preset"] = None if value == CENTRE else value
            rec.pop("timbre", None)
            rec.pop("source", None)
        else:
            rec["sliders"][slider_index(name)] = round(float(value), 4)
    return rec


def play(model: explore.NoteModel, rec: dict) -> tuple[int, np.ndarray]:
    """One cell's note as (sample rate, wave)."""
    return model.settings.sample_rate, explore.recipe_note(model, rec)[0]


def run(
    model: explore.NoteModel, base: dict, x_axis: Any, y_axis: Any, stop: StopToken | None = None
) -> Iterator[sweep.SweepEvent]:
    """A Sound sweep around the base note recipe: yields engines.sweep.SweepEvents, cell by cell."""
    xa, ya = axes(model, x_axis, y_axis)
    return sweep.run(lambda x, y: play(model, cell_recipe(base, {xa.name: x, ya.name: y})), xa, ya, stop)


def thumbnail(model: explore.NoteModel, wave: np.ndarray) -> Image.Image:
    """A small spectrogram of a cell."""
    return pictures.spectrogram(audio_to_logmel(wave, model.settings), *THUMB)


def recipe(model: explore.NoteModel, base: dict, xa: sweep.Axis, ya: sweep.Axis, cells: list[sweep.Cell]) -> dict:
    """A Sound sweep's recipe: the axes, the base note and each cell's length in samples (so the
    kept track can be cut back into its cells)."""
    return sweep.recipe(
        explore.ENGINE,
        xa,
        ya,
        base,
        model=model.name,
        checkpoint=model.hash,
        gap_s=sweep.GAP_SECONDS,
        cell_samples=[len(c.output[1]) for c in cells],
    )


def cells_of_track(rec: dict, wave: np.ndarray, sample_rate: int) -> list[np.ndarray]:
    """A kept sweep track cut back into its cells (by the lengths its recipe keeps)."""
    gap = int(round(float(rec.get("gap_s", sweep.GAP_SECONDS)) * sample_rate))
    out, at = [], 0
    for n in rec.get("cell_samples") or []:
        out.append(np.asarray(wave[at : at + int(n)], np.float32))
        at += int(n) + gap
    return out


def cell_recipes(rec: dict) -> list[dict]:
    """Each cell's note recipe, in the order the track plays them (rows of Y, then columns of X)."""
    xa, ya = sweep.axes_of(rec)
    base = dict(rec.get("base") or {})
    return [cell_recipe(base, {xa.name: x, ya.name: y}) for y in ya.values for x in xa.values]


def replay(rec: dict, models_dir: Path | None) -> tuple[int, np.ndarray]:
    """The track of a kept sweep, made again."""
    model = explore.load_note_model(explore.find_model(rec, models_dir))
    xa, ya = axes(model, rec.get("x"), rec.get("y"))
    base = dict(rec.get("base") or {})
    cells = sweep.run_all(lambda x, y: play(model, cell_recipe(base, {xa.name: x, ya.name: y})), xa, ya)
    return sweep.sound_track(cells)
