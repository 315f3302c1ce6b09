"""Stylize recipes turned back into the tab's controls and pictures.

A recipe names its pictures three ways, tried in this order: `*_file` (a path the history strip
remembers while the studio runs), `*_ref` (an input kept in the workspace with the output:
`OutputStore.keep_input`), and the file name alone (older recipes; found only when it is a bundled
sample). A picture found none of these ways is *missing*: `controls` lists a message naming it (the
studio shows it and leaves that picture as it is), `controls(strict=True)` raises it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engines.outputs import OutputStore
from engines.settings import assets_dir
from engines.stylize import dream as dreams
from engines.stylize import fast, features, jobs, slow_jobs
from engines.stylize.controls import N_STYLES

METHODS = ("fast", "presets", "gatys", "dream")


def sample(name: Any) -> str | None:
    """The bundled sample picture called `name`, if there is one."""
    for kind in ("content", "styles"):
        path = assets_dir() / "samples" / kind / str(name)
        if name and path.name == str(name) and path.is_file():
            return str(path)
    return None


def find_input(label: str, name: Any, ref: Any, file: Any, store: OutputStore | None) -> str:
    """The path of one input of a recipe; ValueError naming it when it is not here."""
    if file and Path(str(file)).is_file():
        return str(file)
    if ref:
        if store is not None:
            try:
                return str(store.input_path(ref))
            except KeyError:
                pass
        if sample(name):  # a bundled sample is the same picture wherever the studio runs
            return str(sample(name))
        raise ValueError(f"{label} this was made from ({name or ref}) is no longer kept in your Gallery; add it again.")
    found = sample(name)
    if found:
        return found
    raise ValueError(f"{label} this was made from ({name or 'unnamed'}) was not kept with it; add it again.")


def _at(values: Any, i: int) -> Any:
    return values[i] if isinstance(values, list) and i < len(values) else None


def inputs(rec: dict, store: OutputStore | None, strict: bool = False) -> tuple[dict, list[str]]:
    """The recipe's pictures: {'content', 'styles' (4 slots), 'mask'} and the messages of those missing."""
    found: dict[str, Any] = {"styles": [None] * N_STYLES}
    missing: list[str] = []

    def look(label: str, name: Any, ref: Any, file: Any) -> str | None:
        try:
            return find_input(label, name, ref, file, store)
        except ValueError as err:
            if strict:
                raise
            missing.append(str(err))
            return None

    if rec.get("method") != "dream" or rec.get("start") != "noise":
        found["content"] = look("Your picture", rec.get("content"), rec.get("content_ref"), rec.get("content_file"))
    names = list(rec.get("styles") or [])
    slots = list(rec.get("slots") or range(len(names)))
    for k, slot in enumerate(slots[:N_STYLES]):
        found["styles"][int(slot)] = look(
            f"Style {int(slot) + 1}", _at(names, k), _at(rec.get("style_refs"), k), _at(rec.get("style_files"), k)
        )
    if rec.get("mask_ref"):
        found["mask"] = look("The brushed mask", "brushed mask", rec.get("mask_ref"), None)
    return found, missing


def style_weights(rec: dict) -> list[float]:
    """The four style weights as the sliders showed them (slots not in use: 0.5)."""
    weights = [0.5] * N_STYLES
    slots = list(rec.get("slots") or range(len(rec.get("weights") or [])))
    for slot, w in zip(slots, rec.get("weights") or []):
        weights[int(slot)] = float(w)
    return weights


def preset_weights(rec: dict) -> list[float]:
    """The 26 preset weights (a recipe keeps the ones in the blend by number)."""
    weights = [0.0] * fast.N_PRESETS
    for number, w in dict(rec.get("presets") or {}).items():
        if str(number).isdigit() and 1 <= int(number) <= fast.N_PRESETS:
            weights[int(number) - 1] = float(w)
    return weights


def dream_controls(rec: dict) -> dict:
    """Dream's controls from its recipe (older recipes keep only the target: it is read back)."""
    kind, tap, index = dreams.parse_target(str(rec.get("target", "layer:b8")))
    layer = rec.get("layer") or next((name for name, t in dreams.LAYERS.items() if t == tap), "parts (block 8)")
    class_name = rec.get("class_name") or (features.imagenet_classes()[index] if kind == "class" else None)
    return {
        "kind": kind,
        "layer": layer,
        "channel": index if kind == "channel" else rec.get("channel", 0),
        "class_name": class_name,
        "octaves": rec.get("octaves", 3),
        "steps": rec.get("steps", 12),
        "strength": rec.get("strength", 0.03),
        "start": rec.get("start", "my picture"),
        "size": rec.get("size"),
    }


def gatys_controls(rec: dict) -> dict:
    """'Paint it slowly' controls from its recipe (the steps asked for, not those done before a Stop)."""
    return {
        "steps": rec.get("steps_asked", rec.get("steps", 200)),
        "size": rec.get("size", 384),
        "style_weight": rec.get("style_weight", 1.0),
        "content_weight": rec.get("content_weight", 0.15),
        "tv_weight": rec.get("tv_weight", 0.3),
        "backbone": rec.get("backbone", features.LITE0),
        "optimizer": rec.get("optimizer", "lbfgs"),
        "color_mode": rec.get("keep_colours", "none"),
    }


def controls(rec: dict, store: OutputStore | None, strict: bool = False) -> dict:
    """Every control the recipe sets: {'method', 'content', 'styles', 'weights', 'strength', 'keep_colours',
    'size', 'presets', 'gatys', 'dream', 'mask', 'missing'}; keys it does not set are absent."""
    method = rec.get("method")
    if rec.get("engine") != jobs.ENGINE or method not in METHODS:
        raise ValueError("That recipe was not made by Stylize.")
    found, missing = inputs(rec, store, strict)
    out: dict[str, Any] = {"method": method, "missing": missing, **found}
    if method in ("fast", "gatys"):
        out["weights"] = style_weights(rec)
    if method in ("fast", "presets"):
        out["keep_colours"] = bool(rec.get("keep_colours", False))
    if method != "gatys" and rec.get("size") is not None:
        out["size"] = int(rec["size"])
    if method == "fast":
        out["strength"] = float(rec.get("strength", 1.0))
    elif method == "presets":
        out["presets"] = preset_weights(rec)
    elif method == "gatys":
        out["gatys"] = gatys_controls(rec)
    else:
        out["dream"] = dream_controls(rec)
    return out


def job(rec: dict, store: OutputStore | None) -> Any:
    """The job a recipe describes, its inputs found (ValueError naming the first one missing)."""
    c = controls(rec, store, strict=True)
    if c["method"] == "fast":
        return jobs.fast_job(c["content"], c["styles"], c["weights"], c["strength"], c["keep_colours"], c["size"])
    if c["method"] == "presets":
        return jobs.preset_job(c["content"], c["keep_colours"], c["size"], c["presets"])
    if c["method"] == "gatys":
        g = c["gatys"]
        return slow_jobs.gatys_job(
            c["content"],
            c["styles"],
            c["weights"],
            g["steps"],
            g["size"],
            g["style_weight"],
            g["content_weight"],
            g["tv_weight"],
            g["backbone"],
            g["optimizer"],
            g["color_mode"],
            [c["mask"]] if c.get("mask") else None,
        )
    d = c["dream"]
    return slow_jobs.dream_job(
        c.get("content"),
        d["kind"],
        d["layer"],
        d["channel"],
        d["class_name"],
        d["octaves"],
        d["steps"],
        d["strength"],
        d["start"],
        d["size"],
    )
