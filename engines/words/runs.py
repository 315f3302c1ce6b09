"""A Words training as the studio runs it: the artist's text checked (before any queueing) and read,
a Transformer or line-model run set up in the workspace (planned for a time budget from scratch,
fine-tuned from a model or from its own compact file, resumed from a stopped one), the disk it will
need, the line model's sliders measured when it ends, and its memory given back afterwards.

Runs the studio starts leave compact files when they finish their steps (weights only; training again
with the same name fine-tunes) and resumable ones when they end early (Stop, a closed page, the time
limit; training again with the same name goes on).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from engines import checkpoints
from engines.events import TrainEvent
from engines.jobs import StopToken
from engines.words import explore, files, lines
from engines.words import plan as planner
from engines.words.data import MIN_CHARS, check_text_size, user_corpus, verse_lines
from engines.words.gpt import GPTConfig
from engines.words.recipe import LinesTrainConfig, TrainConfig, finetune_config
from engines.words.train import train_gpt
from engines.words.train_lines import train_lines

MIN_VAE_LINES = 50
MEASURE_LINES = 12  # held-out lines a finished line-model training measures its sliders on

STUDIO_GPT = GPTConfig(block_size=128, n_layer=4, n_head=4, n_embd=256, dropout=0.1)
"""A Transformer trained from scratch in the studio: the bundled model's shape, which a CPU trains
at a step or two a second (the library default, 6 x 384 wide over 256 characters, takes ten
seconds a step on two cores, so a minutes-long budget would buy a handful of steps)."""


@dataclass
class TrainingRun:
    """A prepared training: its events (a generator), what it reads, and the disk it will need."""

    events: Iterator[TrainEvent]
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
    """Read the artist's text and set up a Transformer or RNN-VAE training into `out`: resuming it
    when it kept its training state, fine-tuning it when it was saved compact, else fine-tuning `init`
    when given; nothing runs until its events are iterated."""
    kind = "vae" if vae else "gpt"
    resumable = out.is_file() and files.resumable(_own_file(out, kind))
    base = out if out.is_file() and not resumable else init  # what the settings of a fine-tune come from
    corpus = user_corpus(paths, pasted or "")
    settings = dict(steps=steps, eval_every=50, checkpoint_every=250, time_budget_s=budget_s, compact=True)
    if vae:
        verse, held_out = verse_lines(corpus.train), verse_lines(corpus.val)
        del corpus
        if len(verse) < MIN_VAE_LINES or not held_out:
            raise ValueError(
                f"Found {len(verse)} usable lines (12-80 characters); the RNN-VAE needs at least "
                f"{MIN_VAE_LINES}, plus a few held out."
            )
        described = f"{len(verse):,} lines"
        cfg = finetune_config(base, **settings) if base else LinesTrainConfig(**settings)  # type: ignore[arg-type]
        events = train_lines(
            verse, held_out, out, cfg=cfg, stop=stop, name=name, data_note=described, init_from=init, device=device
        )
        events = measured_at_end(events, out, held_out, lines.vocabulary(verse))
    else:
        described = corpus.describe()
        model_cfg = STUDIO_GPT
        cfg = TrainConfig(eval_batches=4, lr=3e-4 if base else 1e-3, warmup=20, **settings)  # type: ignore[arg-type]
        if budget_s and init is None and not out.is_file():  # from scratch against the clock: plan for the budget
            p = planner.plan(budget_s, device=device, max_steps=steps)
            model_cfg, cfg, described = p.model, replace(p.train, compact=True), f"{described}; {p.reason}"
        events = train_gpt(
            corpus, out, model_cfg, cfg, stop=stop, name=name, data_note=described, init_from=init, device=device
        )
    return TrainingRun(released(events), described, vae, checkpoint_bytes(out, init, vae, resumable))


def _own_file(out: Path, kind: str) -> checkpoints.Checkpoint:
    """The artist's model that a training of `kind` with this name goes on from (refusing the other kind)."""
    ck = checkpoints.load(out, engine=files.ENGINE)
    if ck.config.get("kind") != kind:
        mine, other = ("line model", "Transformer") if kind == "vae" else ("Transformer", "line model")
        raise ValueError(f"You already have a {other} called {out.stem}; give the new {mine} another name.")
    return ck


def measured_at_end(
    events: Iterator[TrainEvent], out: Path, val_lines: list[str], vocab: set[str]
) -> Iterator[TrainEvent]:
    """Pass a line-model training's events through; when it ends with a checkpoint, measure what its
    sliders do and how far they stay readable (`lines.measure`), stored beside the checkpoint."""
    for ev in events:
        if ev.done and out.is_file() and len(val_lines) >= 4:
            try:
                measured = lines.measure(explore.load_line_model(out), val_lines, vocab, n_lines=MEASURE_LINES)
                files.save_measures(out, measured)
                ev.message = f"{ev.message}; sliders named by what they change"
            except ValueError:
                pass
        yield ev


def checkpoint_bytes(out: Path, init: Path | None, vae: bool, resumable: bool) -> int:
    """About what the run's checkpoint will add on disk (weights and optimiser state, float32)."""
    if out.is_file():
        # resuming rewrites a file of the same size; a compact one gains its two Adam moments
        return 0 if resumable else out.stat().st_size * 2
    if init is not None and init.is_file():
        return init.stat().st_size * 6  # a compact float16 model grows to float32 weights plus two moments
    params = 12 * STUDIO_GPT.n_layer * STUDIO_GPT.n_embd**2 if not vae else 2_500_000
    return params * 4 * 3


def released(events: Iterator[TrainEvent]) -> Iterator[TrainEvent]:
    """Pass a training's events through; when it ends, give its memory back to the system (the
    model, optimiser and the encoded text are freed, but the C allocator keeps freed pages unless
    asked to trim, so a studio would otherwise sit on a training's peak for good)."""
    try:
        yield from events
    finally:
        events.close()  # type: ignore[attr-defined]
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
