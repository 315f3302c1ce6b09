"""`python -m engines.paint train`: its options (every TrainConfig field, made by `engines.cli` so a
flag and its default cannot drift from the dataclass, plus the data, the file, the model's size and
the exports, declared here) and the run, printing one JSON line per report.

    python -m engines.paint train --data emoji --out runs/paint/emoji.pt --steps 20000 \\
        --bundle assets/models/paint          # the bundled model's recipe
    python -m engines.paint train --data my_pictures/ --out ~/atelier/models/paint/mine.pt --steps 2000

A run resumes from `--out` when it exists, so killing it loses at most `--checkpoint-every` steps.
With `--plain` every default is the article's DCGAN recipe (`TrainConfig.plain`).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

from engines import cli
from engines.device import describe_hardware
from engines.events import TrainEvent
from engines.paint.data import training_set
from engines.paint.export import export_for_sampling, export_resume_state
from engines.paint.model import GANConfig
from engines.paint.recipe import TrainConfig
from engines.paint.train import train

HELPS = {
    "steps": "total iterations; a resumed run continues up to this",
    "batch": "pictures per step",
    "loss": "'hinge' or 'bce' (the plain DCGAN's non-saturating loss)",
    "augment": "DiffAugment policies, comma-separated ('' for none)",
    "ema": "decay of the EMA generator that is sampled and saved (0: off)",
    "balance_classes": "draw each class equally often, then a picture of it",
    "class_weight": "weight of the auxiliary class loss (lower keeps more variety when there are many small classes)",
    "anchor_steps": "inversion steps for the anchors found at the end (the bundled model's 60; 0: none)",
    "glo": "weight of the anchor pull: each picture gets its own z, learnt with G, that must draw it (0: off)",
    "glo_spread": "with --glo: the share of fakes truncated toward a real picture's z, as the tab draws",
    "time_budget_s": "stop after this many seconds of this run (resumable)",
    "fit_budget": "with a time budget: time a few steps, then fit batch and steps (and the learning-rate tail) "
    "to end within it, as the tab does; --no-fit-budget just stops a resumable run",
    "lr_tail": "share of the run's end over which the learning rates fall to 10%% (0: flat)",
    "early_reports": "steps also reported (rate, ETA) before the first preview",
}
DATA_HELP = (
    "'emoji' or 'emoji-kinds' for the bundled set (8 groups or 33 kinds), a prepared .npz "
    "(python -m engines.paint emoji --out emoji64.npz), or files/folders/zips"
)


def add_parser(sub: Any, plain: bool = False) -> argparse.ArgumentParser:
    """The `train` command's parser under the subparsers `sub`; with `plain`, TrainConfig.plain's defaults."""
    p = sub.add_parser("train", help="train (or resume, or fine-tune) a Paint model", description=__doc__)
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--data", required=True, nargs="+", help=DATA_HELP)
    p.add_argument("--out", required=True, help="checkpoint to write (and resume from)")
    p.add_argument("--resolution", type=int, default=64, choices=(32, 64, 128))
    p.add_argument("--width", type=int, default=48, help="ngf = ndf")
    p.add_argument("--plain", action="store_true", help="the article's DCGAN (ablation baseline)")
    p.add_argument(
        "--minibatch-std",
        action="store_true",
        help="let D see how varied each group of four pictures of one class is "
        "(keeps a class from drawing one picture for every seed)",
    )
    p.add_argument(
        "--finetune",
        help="start from this Paint checkpoint (e.g. the bundled one); classes named "
        "'<its class>: <kind>' start as their parent class",
    )
    p.add_argument("--resume-from", help="a compact training state (see --bundle) to continue when --out is new")
    p.add_argument("--previews", help="folder for preview grids")
    p.add_argument("--bundle", help="also export a compact sampling copy into this folder at each checkpoint")
    p.add_argument("--device", default="auto")
    defaults = asdict(TrainConfig.plain()) if plain else None
    cli.add_options(p, TrainConfig, helps=HELPS, defaults=defaults)
    return p


def run(args: argparse.Namespace, argv: list[str]) -> None:
    """Train as the parsed options say, printing a JSON line per report (and exporting with --bundle)."""
    data, note = training_set(args.data, args.resolution)
    print(f"data: {data.describe()}; classes: {data.class_names}", flush=True)
    width = dict(ngf=args.width, ndf=args.width)
    model_cfg = GANConfig.plain(**width) if args.plain else GANConfig(**width, minibatch_std=args.minibatch_std)
    cfg = cli.from_args(TrainConfig, args)
    if args.resume_from and not Path(args.out).exists():
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.resume_from, args.out)
    previews = Path(args.previews) if args.previews else None
    if previews:
        previews.mkdir(parents=True, exist_ok=True)
    provenance = {"recipe": "python -m engines.paint " + shlex.join(argv), "hardware": describe_hardware(args.device)}
    events = train(
        data,
        args.out,
        model_cfg,
        cfg,
        init_from=args.finetune,
        device=args.device,
        data_note=note,
        name=Path(args.out).stem,
        provenance=provenance,
    )
    for ev in events:
        print(json.dumps(report_line(ev)), flush=True)
        if previews and ev.preview is not None:
            ev.preview.save(previews / f"step{ev.step:06d}.png")
        if ev.checkpoint and args.bundle:
            dst = Path(args.bundle) / f"{Path(args.out).stem}.pt"
            export_for_sampling(ev.checkpoint, dst)
            state = export_resume_state(ev.checkpoint, Path(args.bundle) / "train-state" / f"{Path(args.out).stem}.pt")
            print(f"exported {dst} ({dst.stat().st_size / 1e6:.1f} MB) and {state}", flush=True)


def report_line(ev: TrainEvent) -> dict:
    """One report as the log line the command prints (the keys its logs have always had)."""
    return {
        "step": ev.step,
        "d_loss": round(ev.losses["D"], 4),
        "g_loss": round(ev.losses["G"], 4),
        "img_per_s": round(ev.stats.get("img_per_s", 0.0), 1),
        "elapsed_s": round(ev.seconds, 1),
        "msg": ev.message,
    }
