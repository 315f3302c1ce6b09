"""Stylize outputs made again from their recipes (`engines.replay` calls these).

- fast stylisations and preset blends: exact (the same inputs give the same pixels on one machine;
  the faint noise `fast.soften_flat` adds to flat regions has a fixed seed);
- Gatys paintings and dreams: made again with every setting and input, but not bit for bit
  (an optimisation's floating-point path varies; a stopped painting is remade to its full steps);
- sweeps: the grid again (exact when its cells are fast or preset ones).
Inputs come from the workspace's kept inputs (`restore.find_input`); a missing one is named.
"""

from __future__ import annotations

from PIL import Image

from engines import sweep as sweeps
from engines.replay import ReplayContext
from engines.stylize import restore
from engines.stylize import sweep as stylize_sweep
from engines.sweep_axes import Cell

EXACT = ("fast", "presets")


def exact(recipe: dict) -> bool:
    """Whether a remake on the same machine equals the kept file."""
    if recipe.get("kind") == "sweep":
        return (recipe.get("base") or {}).get("method") in EXACT
    return recipe.get("method") in EXACT


def remake(recipe: dict, ctx: ReplayContext) -> Image.Image:
    """The picture a Stylize recipe describes, made again (ValueError naming a missing input)."""
    if recipe.get("kind") == "sweep":
        return remake_sweep(recipe, ctx)
    job = restore.job(recipe, ctx.store)
    method = recipe.get("method")
    if method in EXACT:
        return job.paint()
    last = None
    events = job.run(None, ctx.device) if method == "dream" else job.run(None, ctx.device, False)
    for last in events:
        pass
    if last is None:
        raise ValueError("The remake made no picture.")
    return last.preview


def remake_sweep(recipe: dict, ctx: ReplayContext) -> Image.Image:
    """A Stylize sweep's grid made again from its recipe."""
    xa, ya = sweeps.axes_of(recipe)
    xa, ya, base, events = stylize_sweep.run(dict(recipe.get("base") or {}), xa, ya, ctx.store, preview_every=0)
    cells: list[Cell] = []
    for event in events:
        cells = event.cells
    return stylize_sweep.grid(cells, xa, ya)
