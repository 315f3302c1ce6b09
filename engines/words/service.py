"""What the Words tab asks of the engine, as plain functions a script or a test can call: the
bounds every request is checked against, the recipes kept with a text, keeping a text in a
Gallery, and the controls a recipe restores (training runs are set up in `runs.py`).

Bounds (the studio's sliders use the same numbers):

- prompt: at most MAX_PROMPT_CHARS characters (the models read only their last 128-256);
- written length: 1 to `explore.MAX_NEW` (5,000) characters;
- temperature 0-2, top-k 0-100 (0 = off), top-p 0.05-1, repetition penalty 1-2, all finite;
- seed: a whole number 0 to 2**31-1 (`limits.seed`: empty or negative is refused; 0 is a seed like any other);
- stop sequences: at most MAX_STOPS of them, the field at most MAX_STOP_CHARS characters;
- a kept text: at most `limits.MAX_TEXT_CHARS` characters;
- morph: 2 to `explore.MAX_MORPH_STEPS` (40) steps; line sliders -3 to 3; a latent's numbers within +-LATENT_MAX;
- training text: at most `limits.MAX_TRAIN_TEXT_BYTES` bytes (`runs.check_training_text`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from engines import limits
from engines.outputs import Output, OutputStore
from engines.words import explore
from engines.words.files import ENGINE

MAX_PROMPT_CHARS = 10_000
MAX_STOPS = 10
MAX_STOP_CHARS = 500
TEMPERATURE = (0.0, 2.0)
TOP_K = (0, 100)
TOP_P = (0.05, 1.0)
PENALTY = (1.0, 2.0)
LENGTH = (1, explore.MAX_NEW)
SLIDER = 3.0  # line sliders move -SLIDER..SLIDER spreads along their direction
LATENT_MAX = 50.0  # a latent handed in by a script: each number within +-LATENT_MAX


# ---------------------------------------------------------------- writing
def stop_list(text: str | None) -> list[str]:
    """'\\n\\n, THE END' -> ['\\n\\n', 'THE END'] (commas separate; \\n and \\t are escapes)."""
    text = limits.text(text, "The stop sequences", MAX_STOP_CHARS)
    parts = [p.strip() for p in text.split(",")]
    stops = [p.replace("\\n", "\n").replace("\\t", "\t") for p in parts if p.strip()]
    if len(stops) > MAX_STOPS:
        raise ValueError(f"Give at most {MAX_STOPS} stop sequences (got {len(stops)}).")
    return stops


def stop_text(stops: Sequence[str]) -> str:
    """The stop field for a list of stop sequences (the inverse of `stop_list`)."""
    return ", ".join(str(s).replace("\n", "\\n").replace("\t", "\\t") for s in stops)


@dataclass(frozen=True)
class WriteSettings:
    """A writing request's controls, each checked against the bounds above."""

    prompt: str
    length: int
    temperature: float
    top_k: int
    top_p: float
    penalty: float
    seed: int
    stop: tuple[str, ...]

    @classmethod
    def checked(cls, prompt, length, temperature, top_k, top_p, penalty, seed, stop) -> WriteSettings:
        """The controls as given by the UI or a script, or a ValueError naming the first bad one."""
        return cls(
            limits.text(prompt, "The prompt", MAX_PROMPT_CHARS),
            limits.whole(length, "The length", *LENGTH),
            limits.number(temperature, "The temperature", *TEMPERATURE),
            limits.whole(top_k, "Top-k", *TOP_K),
            limits.number(top_p, "Top-p", *TOP_P),
            limits.number(penalty, "The repetition penalty", *PENALTY),
            limits.seed(seed),
            tuple(stop_list(stop)),
        )

    def stream(self, w: explore.Writer) -> Iterator[str]:
        """The text written after the prompt, in chunks."""
        return explore.stream(
            w, self.prompt, self.length, self.temperature, self.top_k, self.top_p, self.penalty, self.seed, self.stop
        )


def writing_recipe(w: explore.Writer, s: WriteSettings, text: str) -> dict:
    """The recipe of a written text. `length` is what was really written after the prompt (a text
    stopped early or cut by a stop sequence is reproduced exactly by it); `length_asked` keeps the
    slider's value when it differs."""
    written = len(text) - len(s.prompt) if text.startswith(s.prompt) else None
    rec = {
        "engine": ENGINE,
        "kind": "writing",
        "model": w.name,
        "checkpoint": w.hash,
        "prompt": s.prompt,
        "length": s.length,
        "temperature": s.temperature,
        "top_k": s.top_k,
        "top_p": s.top_p,
        "repetition_penalty": s.penalty,
        "seed": s.seed,
        "stop": list(s.stop),
    }
    if written is None:
        rec["edited"] = True  # the text does not start with the prompt: it was changed after writing
    elif written != s.length:
        rec["length"], rec["length_asked"] = max(LENGTH[0], written), s.length
    return rec


def checked_text(text: str | None, what: str = "The text") -> str:
    """A text to keep: non-empty and at most MAX_TEXT_CHARS (checked before anything reads it whole)."""
    text = limits.text(text, what)
    if not text.strip():
        raise ValueError("Write something first.")
    return text


def keep(store: OutputStore, text: str, rec: dict, title: str) -> Output:
    """Save `text` with its recipe in a Gallery (the caller checked its room first)."""
    return store.save_text(text, rec, title=title)


def title_of(model_name: str, text: str) -> str:
    """'model · first line' for the Gallery (only the opening of the text is looked at)."""
    first_line = next((ln for ln in text[:2000].splitlines() if ln.strip()), "text")[:40]
    return f"{model_name} · {first_line}"


# ---------------------------------------------------------------- lines (RNN-VAE)
@dataclass(frozen=True)
class MorphSettings:
    """A morph request's controls, checked."""

    a: str
    b: str
    steps: int
    path: str
    greedy: bool
    seed: int

    @classmethod
    def checked(cls, a, b, steps, path, decoding, seed) -> MorphSettings:
        """The controls as given, or a ValueError naming the first bad one."""
        if path not in ("straight", "spherical"):
            raise ValueError(f"The path is 'straight' or 'spherical' (got {str(path)[:40]!r}).")
        if decoding not in ("likeliest", "sampled"):
            raise ValueError(f"The decoding is 'likeliest' or 'sampled' (got {str(decoding)[:40]!r}).")
        return cls(
            limits.text(a, "The first line", limits.MAX_LINE_CHARS),
            limits.text(b, "The second line", limits.MAX_LINE_CHARS),
            limits.whole(steps, "The number of steps", 2, explore.MAX_MORPH_STEPS),
            path,
            decoding == "likeliest",
            limits.seed(seed),
        )

    def lines(self, m: explore.LineModel) -> list[str]:
        """The lines along the path, one per step."""
        return explore.morph(m, self.a, self.b, self.steps, self.path, self.greedy, seed=self.seed)

    def recipe(self, m: explore.LineModel) -> dict:
        return {
            "engine": ENGINE,
            "kind": "morph",
            "model": m.name,
            "checkpoint": m.hash,
            "from": self.a,
            "to": self.b,
            "steps": self.steps,
            "path": self.path,
            "decoding": "likeliest" if self.greedy else "sampled",
            "seed": self.seed,
        }


def checked_line(
    m: explore.LineModel, base: Sequence[float] | None, sliders: Sequence[float]
) -> tuple[list[float] | None, list[float]]:
    """A latent (a script's list of numbers, or None for the centre) and slider values, checked: each
    slider within its measured readable range (`LineModel.slider_ranges`, at most +-SLIDER)."""
    vals = limits.numbers(sliders, "Direction", -SLIDER, SLIDER)
    for i, (v, reach) in enumerate(zip(vals, m.slider_ranges(len(vals)))):
        if abs(v) > reach:
            raise ValueError(
                f"Direction {i + 1} ({m.slider_names()[i]}) stays readable between {-reach:g} and "
                f"{reach:g} on this model (got {v:g})."
            )
    if base is not None and not isinstance(base, (list, tuple)):
        raise ValueError("The line's latent must be a list of numbers (or empty for the centre).")
    z_base = limits.numbers(base, "Latent number", -LATENT_MAX, LATENT_MAX) if base else None
    return z_base, vals


def line_at(m: explore.LineModel, base: Sequence[float] | None, sliders: Sequence[float]) -> str:
    """The line at a latent (a script's list of numbers, or the centre) moved by the sliders."""
    z_base, vals = checked_line(m, base, sliders)
    return explore.decode(m, explore.latent(m, z_base, vals)[None])[0]


def line_recipe(m: explore.LineModel, base: Sequence[float] | None, sliders: Sequence[float]) -> dict:
    """The recipe of a line made with the sliders (its latent, or None for the centre, and the sliders)."""
    z_base, vals = checked_line(m, base, sliders)
    return {
        "engine": ENGINE,
        "kind": "line",
        "model": m.name,
        "checkpoint": m.hash,
        "base": z_base,
        "sliders": (vals + [0.0] * explore.N_SLIDERS)[: explore.N_SLIDERS],
        "slider_names": m.slider_names(),
    }


# ---------------------------------------------------------------- recipes -> controls
def controls_of(rec: dict) -> dict:
    """The tab's control values a recipe restores (only the keys its kind sets)."""
    kind = rec.get("kind")
    if kind == "writing" or (kind == "sweep" and rec.get("mode") != "line"):
        src = rec if kind == "writing" else dict(rec.get("base") or {})
        return {
            "prompt": src.get("prompt", ""),
            "length": src.get("length", 400),
            "temperature": src.get("temperature", 0.8),
            "top_k": src.get("top_k", 0),
            "top_p": src.get("top_p", 0.95),
            "penalty": src.get("repetition_penalty", 1.0),
            "seed": src.get("seed", 0),
            "stop": stop_text(src.get("stop", [])),
        }
    if kind == "morph":
        return {
            "from": rec.get("from", ""),
            "to": rec.get("to", ""),
            "steps": rec.get("steps", 8),
            "path": rec.get("path", "straight"),
            "decoding": rec.get("decoding", "likeliest"),
            "seed": rec.get("seed", 0),
        }
    if kind in ("line", "sweep"):
        src = rec if kind == "line" else dict(rec.get("base") or {})
        sliders = [float(v) for v in (src.get("sliders") or [])]
        return {"base": src.get("base") or [], "sliders": (sliders + [0.0] * explore.N_SLIDERS)[: explore.N_SLIDERS]}
    raise ValueError("That recipe was not made by the Words tab.")
