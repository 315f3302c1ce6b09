"""Remaking Words outputs from their recipes (see engines/replay.py for the contract).

Kinds: 'writing' (a text written after a prompt at a seed), 'morph' (lines from one line to
another, kept as a poem), 'line' (the line at a latent moved by the sliders) and 'sweep' (a table
of texts). Every kind is deterministic for its model, settings and seed on one machine, so each is
`exact`, except a text that was edited after writing (its recipe says so)."""

from __future__ import annotations

from pathlib import Path

from engines import checkpoints
from engines import sweep as sweeps
from engines.replay import ReplayContext
from engines.words import explore, service
from engines.words.sweep import as_text, words_sweep

KINDS = ("writing", "morph", "line", "sweep")


def find_model(
    rec: dict, ctx: ReplayContext | None, kind: str, name_key: str = "model", hash_key: str = "checkpoint"
) -> Path:
    """The checkpoint a recipe names, among the bundled models and the workspace's (by file hash,
    else by name); a plain message when it is not here."""
    user = ctx.models_dir / service.ENGINE if ctx is not None else None
    found = explore.available_models(user, kind)
    for path in found.values():
        if checkpoints.file_hash(path) == rec.get(hash_key):
            return path
    for label, path in found.items():
        if label.rsplit(" (", 1)[0] == str(rec.get(name_key)):
            return path
    what = "Transformer" if kind == "gpt" else "line model"
    raise ValueError(f"The {what} that made this ({rec.get(name_key)}) is not here; add it under Models.")


def _kind(rec: dict) -> str:
    if not isinstance(rec, dict) or rec.get("engine") != service.ENGINE or rec.get("kind") not in KINDS:
        raise ValueError("That recipe was not made by the Words tab.")
    return str(rec["kind"])


def writing_settings(rec: dict) -> service.WriteSettings:
    """A writing recipe's settings, checked again (its length is what was really written)."""
    return service.WriteSettings.checked(
        rec.get("prompt", ""),
        rec.get("length", 400),
        rec.get("temperature", 0.8),
        rec.get("top_k", 0),
        rec.get("top_p", 0.95),
        rec.get("repetition_penalty", 1.0),
        rec.get("seed"),
        service.stop_text(rec.get("stop", [])),
    )


def remake(rec: dict, ctx: ReplayContext | None = None) -> str:
    """The text a Words recipe describes, made again (as the Gallery keeps it)."""
    kind = _kind(rec)
    if kind == "writing":
        s = writing_settings(rec)
        w = explore.load_writer(find_model(rec, ctx, "gpt"))
        return s.prompt + "".join(s.stream(w))
    if kind == "morph":
        s = service.MorphSettings.checked(
            rec.get("from"),
            rec.get("to"),
            rec.get("steps", 8),
            rec.get("path", "straight"),
            rec.get("decoding", "likeliest"),
            rec.get("seed", 0),
        )
        return "\n".join(s.lines(explore.load_line_model(find_model(rec, ctx, "vae")))) + "\n"
    if kind == "line":
        m = explore.load_line_model(find_model(rec, ctx, "vae"))
        return service.line_at(m, rec.get("base"), rec.get("sliders") or [])
    return remake_sweep(rec, ctx)


def remake_sweep(rec: dict, ctx: ReplayContext | None = None) -> str:
    """A Words sweep made again, as the text the Gallery keeps."""
    xa, ya = sweeps.axes_of(rec)
    line = rec.get("mode") == "line"
    w = None if line else explore.load_writer(find_model(rec, ctx, "gpt"))
    m = explore.load_line_model(find_model(rec, ctx, "vae", "vae", "vae_checkpoint")) if line else None
    cells: list[sweeps.Cell] = []
    for event in words_sweep(w, m, dict(rec.get("base") or {}), xa, ya):
        cells = event.cells
    return as_text(cells, xa, ya)


def exact(rec: dict) -> bool:
    """Every Words kind is remade exactly at its seed, unless the text was edited after writing."""
    try:
        _kind(rec)
    except ValueError:
        return False
    return not rec.get("edited")
