"""What each line slider does, measured: the RNN-VAE's sliders move a line along the principal
directions of the latent codes of real lines; this module finds, for each direction, the property
of a line that changes most along it, and how far it can go before lines turn to garble.

- **Names**: held-out lines are encoded, moved to -AT and +AT spreads along a direction, and decoded
  the tab's way (beam search). Each property below is computed on both sets; the one that moves most
  (difference of the means over the property's spread among the unmoved lines) names the direction,
  e.g. 'shorter ↔ longer'. Each name is used once; a direction that moves nothing clearly keeps its
  number ('direction 5 (no clear trait)').
- **Safe ranges**: at each of MAGNITUDES the share of dictionary-like words (words of the text the
  model learned from) is measured on both sides; a direction's range is the largest magnitude up to
  which the share stays at least READABLE of the unmoved lines' share.

The measurements are computed once (`measure`, or `python -m engines.words measure-lines MODEL`) and
stored in a JSON beside the checkpoint (`<model>.directions.json`, `files.save_measures` /
`files.read_measures`), so names and ranges come from measurements, not guesses.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence

import torch

from engines.words import explore

AT = 2.0  # spreads along a direction where names are measured
MAGNITUDES = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
READABLE = 0.85  # share of the unmoved lines' dictionary words a moved line must keep
MIN_RANGE = 0.5
MIN_EFFECT = 0.15  # a smaller standardised change names nothing
_WORD = re.compile(r"[A-Za-z']+")
_PUNCT = set(",.;:!?-'\"()")


def _words(line: str) -> list[str]:
    """The words of a line, lower case, without surrounding apostrophes."""
    return [w.strip("'").lower() for w in _WORD.findall(line) if w.strip("'")]


def _share(line: str, pred: Callable[[str], bool], among: Callable[[str], bool]) -> float:
    """Share of the line's characters of one kind (`among`) that `pred` picks."""
    chars = [c for c in line if among(c)]
    return sum(pred(c) for c in chars) / len(chars) if chars else 0.0


# name -> (measure of one line, what less of it reads as, what more of it reads as)
PROPERTIES: dict[str, tuple[Callable[[str], float], str, str]] = {
    "length": (lambda s: float(len(s)), "shorter", "longer"),
    "words": (lambda s: float(len(_words(s))), "fewer words", "more words"),
    "word length": (lambda s: statistics.fmean([len(w) for w in _words(s)] or [0]), "shorter words", "longer words"),
    "punctuation": (
        lambda s: _share(s, lambda c: c in _PUNCT, lambda c: not c.isspace()),
        "less punctuation",
        "more punctuation",
    ),
    "capitals": (lambda s: _share(s, str.isupper, str.isalpha), "fewer capitals", "more capitals"),
    "vowels": (lambda s: _share(s, lambda c: c.lower() in "aeiou", str.isalpha), "fewer vowels", "more vowels"),
    "question": (lambda s: float(s.rstrip().endswith("?")), "statements", "questions"),
    "closing mark": (lambda s: float(s.rstrip()[-1:] in ".!?;:"), "runs on", "ends on a stop"),
    "exclamation": (lambda s: float("!" in s or s.lstrip().startswith(("O ", "Oh", "Ah"))), "calm", "exclaims"),
}


def vocabulary(text_or_lines: str | Sequence[str]) -> set[str]:
    """The words of a text (lower case): what 'dictionary-like' means for a model trained on it
    (the first 5 MB hold every common word)."""
    text = text_or_lines if isinstance(text_or_lines, str) else "\n".join(text_or_lines)
    return set(_words(text[:5_000_000]))


def readable(lines: Sequence[str], vocab: set[str]) -> float:
    """Share of the lines' words that are in `vocab` (0 when they hold no words at all)."""
    found = [w for line in lines for w in _words(line)]
    return sum(w in vocab for w in found) / len(found) if found else 0.0


def _effect(prop: Callable[[str], float], base: list[str], minus: list[str], plus: list[str]) -> float:
    """How far a property moves from the minus side to the plus side, in spreads among the unmoved lines."""
    spread = statistics.pstdev([prop(s) for s in base]) or 1e-3
    spread = max(spread, 0.05 * (abs(statistics.fmean([prop(s) for s in base])) or 1.0))
    return (statistics.fmean([prop(s) for s in plus]) - statistics.fmean([prop(s) for s in minus])) / spread


def name_directions(effects: list[dict[str, float]]) -> list[dict]:
    """Each direction's name from its effects (property -> standardised change), strongest first,
    each property used once."""
    order = sorted(((abs(e), i, p) for i, eff in enumerate(effects) for p, e in eff.items()), reverse=True)
    named: dict[int, dict] = {}
    used: set[str] = set()
    for size, i, prop in order:
        if i in named or prop in used or size < MIN_EFFECT:
            continue
        _, low, high = PROPERTIES[prop]
        e = effects[i][prop]
        named[i] = {"name": f"{low} ↔ {high}" if e > 0 else f"{high} ↔ {low}", "property": prop, "effect": round(e, 3)}
        used.add(prop)
    return [
        named.get(i, {"name": f"direction {i + 1} (no clear trait)", "property": None, "effect": 0.0})
        for i in range(len(effects))
    ]


@torch.no_grad()
def measure(
    m: explore.LineModel,
    lines: Sequence[str],
    vocab: set[str],
    n_lines: int = 32,
    at: float = AT,
    magnitudes: Sequence[float] = MAGNITUDES,
    decode: Callable | None = None,
    n_directions: int | None = None,
) -> dict:
    """Names and safe ranges of a line model's first `n_directions` directions (default: the tab's
    sliders), measured on `n_lines` of `lines` (held-out lines, spread over them).
    `decode(m, z) -> lines` defaults to the tab's likeliest decoding."""
    n_directions = min(len(m.directions), n_directions or explore.N_SLIDERS)
    decode = decode or explore.decode
    pick = [s for s in lines[:: max(1, len(lines) // n_lines)] if s.strip()][:n_lines]
    if len(pick) < 4:
        raise ValueError("Measuring the sliders needs at least 4 held-out lines.")
    zs = torch.stack([explore.encode_line(m, s) for s in pick])
    base = decode(m, zs)
    base_share = readable(base, vocab)
    floor = READABLE * base_share
    mags = sorted(set(list(magnitudes) + [at]))
    effects, ranges, shares = [], [], []
    for i in range(n_directions):
        step = m.std[i] * m.directions[i]
        moved = {s: decode(m, torch.cat([zs - s * step, zs + s * step])) for s in mags}
        n = len(pick)
        minus, plus = moved[at][:n], moved[at][n:]
        effects.append({p: _effect(f, base, minus, plus) for p, (f, _, _) in PROPERTIES.items()})
        share = {s: min(readable(moved[s][:n], vocab), readable(moved[s][n:], vocab)) for s in mags}
        safe = MIN_RANGE
        for s in mags:
            if share[s] < floor:
                break
            safe = max(safe, s)
        ranges.append(safe)
        shares.append({f"{s:g}": round(v, 3) for s, v in share.items()})
    names = name_directions(effects)
    return {
        "checkpoint": m.hash,
        "at": at,
        "lines": len(pick),
        "base_readable": round(base_share, 3),
        "readable_floor": round(floor, 3),
        "directions": [
            {**nm, "range": r, "readable": sh, "effects": {p: round(e, 3) for p, e in eff.items()}}
            for nm, r, sh, eff in zip(names, ranges, shares, effects)
        ],
    }
