"""Words sweeps: a table of short texts with one Words setting along X and another along Y.

Settings a sweep moves (AXES): the Transformer's temperature, top-p, top-k, repetition penalty and
seed (each cell writes CELL_CHARS characters after the prompt), or a line slider
('line slider 1: shorter ↔ longer', in spreads; each cell is the line there). A sweep with a line
slider is a *line* sweep: its other axis is another slider, the seed or the temperature (lines are
then sampled at that temperature and seed; 0 = the likeliest line). Every value is checked with
the tab's own bounds, and a line slider's values with its measured readable range.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engines import limits, sweep
from engines.jobs import StopToken
from engines.words import explore, service

TEMPERATURE, TOP_P, TOP_K, PENALTY, SEED = "temperature", "top-p", "top-k", "repetition penalty", "seed"
AXES = (TEMPERATURE, TOP_P, TOP_K, PENALTY, SEED)  # plus 'line slider N: name'
KEYS = {TEMPERATURE: "temperature", TOP_P: "top_p", TOP_K: "top_k", PENALTY: "repetition_penalty", SEED: "seed"}
LINE_AXES_TOO = (TEMPERATURE, SEED)  # what a line sweep may move besides its sliders
CELL_CHARS = 120  # what each writing cell writes (at most MAX_CELL_CHARS)
MAX_CELL_CHARS = 400


def axis_names(m: explore.LineModel | None) -> list[str]:
    """What a Words sweep can move, for the tab's axis pickers."""
    names = m.slider_names() if m is not None else [f"Direction {i + 1}" for i in range(explore.N_SLIDERS)]
    return [*AXES, *(f"line slider {i + 1}: {n}" for i, n in enumerate(names))]


def slider_index(name: str) -> int | None:
    """The slider an axis name moves ('line slider 3: ...' -> 2), or None."""
    low = str(name).strip().lower()
    if not low.startswith("line slider "):
        return None
    head = low[len("line slider ") :].split(":")[0].strip()
    return int(head) - 1 if head.isdigit() and 1 <= int(head) <= explore.N_SLIDERS else None


def check_axis(ax: sweep.Axis, m: explore.LineModel | None) -> sweep.Axis:
    """An axis whose name Words knows and whose values are within the tab's bounds."""
    name = ax.name
    checks = {
        TEMPERATURE: lambda v: limits.number(v, "The temperature", *service.TEMPERATURE),
        TOP_P: lambda v: limits.number(v, "Top-p", *service.TOP_P),
        TOP_K: lambda v: limits.whole(v, "Top-k", *service.TOP_K),
        PENALTY: lambda v: limits.number(v, "The repetition penalty", *service.PENALTY),
        SEED: limits.seed,
    }
    if name in checks:
        return sweep.Axis(name, tuple(checks[name](v) for v in ax.values))
    i = slider_index(name)
    if i is None:
        raise ValueError(f"A Words sweep cannot move {name!r}; choose one of: {', '.join(axis_names(m))}.")
    if m is None:
        raise ValueError("Choose a line model to sweep a line slider.")
    reach = m.slider_ranges()[i]
    return sweep.Axis(name, tuple(limits.number(v, f"Line slider {i + 1}", -reach, reach) for v in ax.values))


def axes(x_axis: Any, y_axis: Any, m: explore.LineModel | None) -> tuple[sweep.Axis, sweep.Axis, str]:
    """Both axes checked, and the sweep's mode: 'writing' or 'line'."""
    xa, ya = sweep.check_axes(x_axis, y_axis)
    xa, ya = check_axis(xa, m), check_axis(ya, m)
    if xa.name == ya.name or (slider_index(xa.name) is not None and slider_index(xa.name) == slider_index(ya.name)):
        raise ValueError(f"Both axes move {xa.name}; choose two different settings.")
    line = [a for a in (xa, ya) if slider_index(a.name) is not None]
    if not line:
        return xa, ya, "writing"
    other = [a for a in (xa, ya) if slider_index(a.name) is None]
    if other and other[0].name not in LINE_AXES_TOO:
        raise ValueError(
            f"A sweep with a line slider moves another slider, the seed or the temperature, not {other[0].name}."
        )
    return xa, ya, "line"


def check_base(base: dict, mode: str) -> dict:
    """The settings every cell shares, checked (a writing recipe's keys, plus `base`/`sliders` for lines)."""
    if not isinstance(base, dict):
        raise ValueError("The base settings must be a dict of the tab's controls.")
    s = service.WriteSettings.checked(
        base.get("prompt", ""),
        min(int(limits.number(base.get("length", CELL_CHARS), "The length", *service.LENGTH)), MAX_CELL_CHARS),
        base.get("temperature", 0.8),
        base.get("top_k", 0),
        base.get("top_p", 0.95),
        base.get("repetition_penalty", 1.0),
        base.get("seed", 0),
        service.stop_text(base.get("stop", [])),
    )
    out = {
        "prompt": s.prompt,
        "length": s.length,
        "temperature": s.temperature,
        "top_k": s.top_k,
        "top_p": s.top_p,
        "repetition_penalty": s.penalty,
        "seed": s.seed,
        "stop": list(s.stop),
    }
    if mode == "line":
        sliders = limits.numbers(list(base.get("sliders") or []), "Direction", -service.SLIDER, service.SLIDER)
        out["sliders"] = (sliders + [0.0] * explore.N_SLIDERS)[: explore.N_SLIDERS]
        latent = base.get("base")
        if latent is not None and not isinstance(latent, (list, tuple)):
            raise ValueError("The line's latent must be a list of numbers (or empty for the centre).")
        out["base"] = limits.numbers(latent, "Latent number", -service.LATENT_MAX, service.LATENT_MAX) or None
    return out


def cell_settings(base: dict, moves: dict[str, Any]) -> dict:
    """The base settings with each axis's value put in its place."""
    s = {**base}
    if "sliders" in base:
        s["sliders"] = list(base["sliders"])
    for name, value in moves.items():
        i = slider_index(name)
        if i is not None:
            s["sliders"][i] = value
        else:
            s[KEYS[name]] = value
    return s


def make_cell(w: explore.Writer | None, m: explore.LineModel | None, s: dict, mode: str) -> str:
    """One cell: the text written after the prompt (writing) or the line (line sweeps)."""
    if mode == "line":
        z = explore.latent(m, s.get("base"), s["sliders"])[None]
        greedy = float(s.get("temperature", 0.0)) <= 0
        return explore.decode(
            m, z, greedy=greedy, temperature=float(s.get("temperature", 0.8)), seed=int(s.get("seed", 0))
        )[0]
    return explore.write(
        w,
        s["prompt"],
        length=s["length"],
        temperature=s["temperature"],
        top_k=s["top_k"],
        top_p=s["top_p"],
        repetition_penalty=s["repetition_penalty"],
        seed=s["seed"],
        stop=s["stop"],
    )


def words_sweep(
    w: explore.Writer | None,
    m: explore.LineModel | None,
    base: dict,
    x_axis: Any,
    y_axis: Any,
    stop: StopToken | None = None,
) -> Iterator[sweep.SweepEvent]:
    """A Words sweep: yields sweep.SweepEvents (cells so far); `table(...)` lays out the texts."""
    xa, ya, mode = axes(x_axis, y_axis, m)
    settings = check_base(base, mode)
    if mode == "line" and m is None:
        raise ValueError("Choose a line model to sweep a line slider.")
    if mode == "writing" and w is None:
        raise ValueError("Choose a Transformer to sweep its writing.")
    return sweep.run(
        lambda x, y: make_cell(w, m, cell_settings(settings, {xa.name: x, ya.name: y}), mode), xa, ya, stop
    )


def recipe(
    w: explore.Writer | None, m: explore.LineModel | None, base: dict, xa: sweep.Axis, ya: sweep.Axis, mode: str
) -> dict:
    """A Words sweep's recipe (the models that made it, its mode, both axes and the shared settings)."""
    extra: dict = {"mode": mode}
    if w is not None and mode == "writing":
        extra.update(model=w.name, checkpoint=w.hash)
    if m is not None and mode == "line":
        extra.update(vae=m.name, vae_checkpoint=m.hash)
    return sweep.recipe(service.ENGINE, xa, ya, check_base(base, mode), **extra)


def as_text(cells: list[sweep.Cell], xa: sweep.Axis, ya: sweep.Axis) -> str:
    """The sweep as a plain text (what the Gallery keeps): one heading per row, one entry per cell."""
    parts = []
    labels_x, labels_y = xa.labels(), ya.labels()
    for r, label in enumerate(labels_y):
        parts.append(f"## {ya.name} = {label}\n")
        for c in (c for c in cells if c.row == r):
            parts.append(f"### {xa.name} = {labels_x[c.col]}\n{c.output}\n")
    return "\n".join(parts)


def cell_at(rec: dict, row: int, col: int) -> dict:
    """The settings of one cell of a sweep recipe (for opening it in the tab)."""
    xa, ya = sweep.axes_of(rec)
    if not (0 <= row < len(ya.values) and 0 <= col < len(xa.values)):
        raise ValueError("That cell is not in the sweep.")
    return cell_settings(dict(rec.get("base") or {}), {xa.name: xa.values[col], ya.name: ya.values[row]})
