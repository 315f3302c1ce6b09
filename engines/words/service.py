"""What the Words tab asks of the engine, as plain functions a script or a test can call: the
bounds every request is checked against, the recipes kept with a text, keeping a text in a
Gallery, and preparing a training run on the artist's text (capped in size, time and memory).

Bounds (the studio's sliders use the same numbers):

- prompt: at most MAX_PROMPT_CHARS characters (the models read only their last 128-256);
- written length: 1 to `writer.MAX_NEW` (5,000) characters;
- temperature 0-2, top-k 0-100 (0 = off), top-p 0.05-1, repetition penalty 1-2, all finite;
- seed: a whole number 0 to 2**31-1 (`limits.seed`: empty or negative is refused; 0 is a seed like any other);
- stop sequences: at most MAX_STOPS of them, the field at most MAX_STOP_CHARS characters;
- a kept text: at most `limits.MAX_TEXT_CHARS` characters;
- morph: 2 to `writer.MAX_MORPH_STEPS` (40) steps; line sliders -3 to 3; a latent's numbers within +-LATENT_MAX;
- training text: at most `limits.MAX_TRAIN_TEXT_BYTES` bytes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from engines import limits
from engines.jobs import StopToken
from engines.outputs import Output, OutputStore
from engines.words import lines as line_measures
from engines.words import plan as planner
from engines.words import writer
from engines.words.data import MIN_CHARS, check_text_size, user_corpus, verse_lines
from engines.words.gpt import GPTConfig
from engines.words.train import GPTTrainConfig, WordsEvent, train_gpt
from engines.words.train_vae import VAETrainConfig, finetune_config, train_vae

ENGINE = "words"
MAX_PROMPT_CHARS = 10_000
MAX_STOPS = 10
MAX_STOP_CHARS = 500
TEMPERATURE = (0.0, 2.0)
TOP_K = (0, 100)
TOP_P = (0.05, 1.0)
PENALTY = (1.0, 2.0)
LENGTH = (1, writer.MAX_NEW)
SLIDER = 3.0  # line sliders move -SLIDER..SLIDER spreads along their direction
LATENT_MAX = 50.0  # a latent handed in by a script: each number within +-LATENT_MAX
MIN_VAE_LINES = 50

STUDIO_GPT = GPTConfig(block_size=128, n_layer=4, n_head=4, n_embd=256, dropout=0.1)
"""A Transformer trained from scratch in the studio: the bundled model's shape, which a CPU trains
at a step or two a second (the library default, 6 x 384 wide over 256 characters, takes ten
seconds a step on two cores, so a minutes-long budget would buy a handful of steps)."""


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

    def stream(self, w: writer.Writer) -> Iterator[str]:
        """The text written after the prompt, in chunks."""
        return writer.stream(
            w, self.prompt, self.length, self.temperature, self.top_k, self.top_p, self.penalty, self.seed, self.stop
        )


def writing_recipe(w: writer.Writer, s: WriteSettings, text: str) -> dict:
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
            limits.whole(steps, "The number of steps", 2, writer.MAX_MORPH_STEPS),
            path,
            decoding == "likeliest",
            limits.seed(seed),
        )

    def lines(self, m: writer.LineModel) -> list[str]:
        """The lines along the path, one per step."""
        return writer.morph(m, self.a, self.b, self.steps, self.path, self.greedy, seed=self.seed)

    def recipe(self, m: writer.LineModel) -> dict:
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
    m: writer.LineModel, base: Sequence[float] | None, sliders: Sequence[float]
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


def line_at(m: writer.LineModel, base: Sequence[float] | None, sliders: Sequence[float]) -> str:
    """The line at a latent (a script's list of numbers, or the centre) moved by the sliders."""
    z_base, vals = checked_line(m, base, sliders)
    return writer.decode(m, writer.latent(m, z_base, vals)[None])[0]


def line_recipe(m: writer.LineModel, base: Sequence[float] | None, sliders: Sequence[float]) -> dict:
    """The recipe of a line made with the sliders (its latent, or None for the centre, and the sliders)."""
    z_base, vals = checked_line(m, base, sliders)
    return {
        "engine": ENGINE,
        "kind": "line",
        "model": m.name,
        "checkpoint": m.hash,
        "base": z_base,
        "sliders": (vals + [0.0] * writer.N_SLIDERS)[: writer.N_SLIDERS],
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
        return {"base": src.get("base") or [], "sliders": (sliders + [0.0] * writer.N_SLIDERS)[: writer.N_SLIDERS]}
    raise ValueError("That recipe was not made by the Words tab.")


# ---------------------------------------------------------------- training
@dataclass
class TrainingRun:
    """A prepared training: its events (a generator), what it reads, and the disk it will need."""

    events: Iterator[WordsEvent]
    described: str
    vae: bool
    checkpoint_bytes: int


def check_training_text(paths: Sequence[str], pasted: str | None) -> None:
    """Refuse, before any queueing, a training without text or with more than the studio takes."""
    if not paths and not (pasted or "").strip():
        raise ValueError(f"Add your text first: .txt/.md files or pasted text (at least {MIN_CHARS:,} characters).")
    check_text_size(paths, pasted or "")


def prepare_training(
    vae: bool,
    paths: Sequence[str],
    pasted: str,
    out: Path,
    init: Path | None,
    steps: int,
    budget_s: float | None,
    stop: StopToken,
    device: str,
    name: str,
) -> TrainingRun:
    """Read the artist's text and set up a Transformer or RNN-VAE training into `out` (fine-tuning
    `init` when given); nothing runs until its events are iterated."""
    corpus = user_corpus(paths, pasted or "")
    if vae:
        train_lines, val_lines = verse_lines(corpus.train), verse_lines(corpus.val)
        del corpus
        if len(train_lines) < MIN_VAE_LINES or not val_lines:
            raise ValueError(
                f"Found {len(train_lines)} usable lines (12-80 characters); the RNN-VAE needs at least "
                f"{MIN_VAE_LINES}, plus a few held out."
            )
        described = f"{len(train_lines):,} lines"
        settings = dict(steps=steps, eval_every=50, checkpoint_every=250, time_budget_s=budget_s)
        cfg = finetune_config(init, **settings) if init else VAETrainConfig(**settings)
        events = train_vae(
            train_lines,
            val_lines,
            out,
            cfg=cfg,
            stop=stop,
            name=name,
            data_note=described,
            init_from=init,
            device=device,
        )
        events = measured_at_end(events, out, val_lines, line_measures.vocabulary(train_lines))
    else:
        described = corpus.describe()
        model_cfg, cfg = (
            STUDIO_GPT,
            GPTTrainConfig(
                steps=steps,
                eval_every=50,
                eval_batches=4,
                checkpoint_every=250,
                lr=3e-4 if init else 1e-3,
                warmup=20,
                time_budget_s=budget_s,
            ),
        )
        if budget_s and init is None and not out.is_file():  # from scratch against the clock: plan for the budget
            p = planner.plan(budget_s, device=device, max_steps=steps)
            model_cfg, cfg, described = p.model, p.train, f"{described}; {p.reason}"
        events = train_gpt(
            corpus, out, model_cfg, cfg, stop=stop, name=name, data_note=described, init_from=init, device=device
        )
    return TrainingRun(released(events), described, vae, _checkpoint_bytes(out, init, vae))


MEASURE_LINES = 12  # held-out lines a finished line-model training measures its sliders on


def measured_at_end(
    events: Iterator[WordsEvent], out: Path, val_lines: list[str], vocab: set[str]
) -> Iterator[WordsEvent]:
    """Pass a line-model training's events through; when it ends with a checkpoint, measure what its
    sliders do and how far they stay readable (`lines.measure`), stored beside the checkpoint."""
    for ev in events:
        if ev.done and out.is_file() and len(val_lines) >= 4:
            try:
                line_measures.save(
                    out, line_measures.measure(writer.load_line_model(out), val_lines, vocab, n_lines=MEASURE_LINES)
                )
                ev.message = f"{ev.message}; sliders named by what they change"
            except ValueError:
                pass
        yield ev


def _checkpoint_bytes(out: Path, init: Path | None, vae: bool) -> int:
    """About what the run's checkpoint will take on disk (weights and optimiser state, float32)."""
    if out.is_file():
        return 0  # resuming rewrites a file of the same size
    if init is not None and init.is_file():
        return init.stat().st_size * 6  # a compact float16 model grows to float32 weights plus two moments
    params = 12 * STUDIO_GPT.n_layer * STUDIO_GPT.n_embd**2 if not vae else 2_500_000
    return params * 4 * 3


def released(events: Iterator[WordsEvent]) -> Iterator[WordsEvent]:
    """Pass a training's events through; when it ends, give its memory back to the system (the
    model, optimiser and the encoded text are freed, but the C allocator keeps freed pages unless
    asked to trim, so a studio would otherwise sit on a training's peak for good)."""
    try:
        yield from events
    finally:
        events.close()
        del events
        release_memory()


def release_memory() -> None:
    """Collect garbage and return free heap pages to the system (glibc's malloc_trim; a no-op elsewhere)."""
    gc.collect()
    if os.name != "posix":
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass
