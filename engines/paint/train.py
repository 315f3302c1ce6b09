"""Train a Paint GAN: hinge loss, spectral-norm projection D, DiffAugment, EMA generator.

As a library: `train(...)` is a generator of TrainEvent (progress, losses, preview picture), so
the UI can stream it and stop it. As a command:

    python -m engines.paint.train --data emoji --out runs/paint/emoji.pt --steps 20000 \
        --bundle assets/models/paint          # the bundled model's recipe
    python -m engines.paint.train --data my_pictures/ --out ~/atelier/models/paint/mine.pt --steps 2000

A run resumes from `--out` when it exists, so killing it loses at most `--checkpoint-every` steps.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from engines.device import describe_hardware
from engines.jobs import StopToken, end_reason
from engines.paint.data import ImageSet
from engines.paint.export import export_for_sampling, export_resume_state
from engines.paint.model import GANConfig
from engines.paint.recipe import (  # noqa: F401  (re-exported: the settings and reports belong to training)
    BATCHES,
    MIN_FIT_STEPS,
    RECIPE_KEYS,
    TIMING_STEPS,
    Plan,
    TrainConfig,
    TrainEvent,
    bundled_recipe,
    class_sampler,
    fit_plan,
    lr_scale,
)
from engines.paint.train_steps import (  # noqa: F401  (ENGINE, EARLIER_KEYS re-exported)
    EARLIER_KEYS,
    ENGINE,
    count_step,
    d_step,
    draw_batch,
    ema_step,
    fit_to_budget,
    g_step,
    prepare,
    preview,
    report,
    set_learning_rates,
)


def train(
    data: ImageSet,
    out: str | Path,
    model_cfg: GANConfig | None = None,
    cfg: TrainConfig | None = None,
    init_from: str | Path | None = None,
    resume: bool = True,
    stop: StopToken | None = None,
    device: str = "auto",
    data_note: str = "",
    name: str | None = None,
    provenance: dict | None = None,
) -> Iterator[TrainEvent]:
    """Train (or resume, or fine-tune from `init_from`) a Paint model on `data`, writing `out`.

    Yields a TrainEvent every `preview_every` steps (with a preview grid) and after each
    checkpoint; the last event has done=True. Stopping through `stop` saves before returning.
    `provenance` (e.g. recipe, hardware) is kept in the checkpoint's metadata; a fine-tune records
    its base model's training under `lineage`.
    """
    run = prepare(
        data, Path(out), model_cfg, cfg or TrainConfig(), init_from, resume, stop, device, data_note, name, provenance
    )
    yield TrainEvent(
        run.step,
        run.total,
        run.d_avg,
        run.g_avg,
        0.0,
        0.0,
        preview(run),
        message=run.message or "started",
        batch=run.batch,
    )
    if run.step >= run.total:
        yield TrainEvent(
            run.step,
            run.total,
            run.d_avg,
            run.g_avg,
            0.0,
            0.0,
            preview(run),
            run.out,
            True,
            f"already trained for {run.step} steps; ask for more steps to continue",
            list(run.history),
        )
        return
    run.first_step = run.step
    while run.step < run.total:
        set_learning_rates(run)
        batch = draw_batch(run)
        d_loss = d_step(run, batch)
        g_loss = g_step(run, batch)
        ema_step(run)
        count_step(run, d_loss, g_loss)
        fit_now = fit_to_budget(run)
        reason = end_reason(run.step, run.total, stop, run.t0, run.cfg.time_budget_s, time.time())
        event = report(run, reason, fit_now)
        if event is not None:
            yield event
        if reason:
            return


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--data",
        required=True,
        nargs="+",
        help="'emoji' or 'emoji-kinds' for the bundled set "
        "(8 groups or 33 kinds), a prepared .npz "
        "(python -m engines.paint.emoji --out emoji64.npz), or files/folders/zips",
    )
    p.add_argument("--out", required=True, help="checkpoint to write (and resume from)")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--resolution", type=int, default=64, choices=(32, 64, 128))
    p.add_argument("--width", type=int, default=48, help="ngf = ndf")
    p.add_argument("--plain", action="store_true", help="the article's DCGAN (ablation baseline)")
    p.add_argument(
        "--finetune",
        help="start from this Paint checkpoint (e.g. the bundled one); classes named "
        "'<its class>: <kind>' start as their parent class",
    )
    p.add_argument("--resume-from", help="a compact training state (see --bundle) to continue when --out is new")
    p.add_argument("--time-budget", type=float, help="stop after this many seconds of this run (resumable)")
    p.add_argument(
        "--class-weight",
        type=float,
        help="weight of the auxiliary class loss (default 0.5; "
        "lower keeps more variety within each class when there are many small classes)",
    )
    p.add_argument(
        "--minibatch-std",
        action="store_true",
        help="let D see how varied each group of four pictures "
        "of one class is (keeps a class from drawing one picture for every seed)",
    )
    p.add_argument(
        "--glo",
        type=float,
        default=TrainConfig.glo,
        help="weight of the anchor pull: each picture "
        "gets its own z, learnt with G, that must draw it (the bundled model's 10; 0: off)",
    )
    p.add_argument(
        "--glo-spread",
        type=float,
        default=TrainConfig.glo_spread,
        help="with --glo: the share of fakes "
        "truncated toward a real picture's z by a random psi, as the tab draws (the bundled model's 0.5)",
    )
    p.add_argument(
        "--anchor-steps",
        type=int,
        default=TrainConfig.anchor_steps,
        help="inversion steps for the anchors found at the end (the bundled model's 60)",
    )
    p.add_argument(
        "--lr-tail",
        type=float,
        default=TrainConfig.lr_tail,
        help="share of the run's end over which the learning rates fall to 10%% (0: flat)",
    )
    p.add_argument(
        "--fit-budget",
        action="store_true",
        help="with --time-budget: time a few steps, then fit the "
        "batch and steps (and the learning-rate tail) to end within it, as the tab does (without it a "
        "budget just stops a resumable run)",
    )
    p.add_argument("--checkpoint-every", type=int, default=500)
    p.add_argument("--preview-every", type=int, default=250)
    p.add_argument("--previews", help="folder for preview grids")
    p.add_argument("--bundle", help="also export a compact sampling copy into this folder at each checkpoint")
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    from engines.paint.data import training_set

    data, note = training_set(args.data, args.resolution)
    print(f"data: {data.describe()}; classes: {data.class_names}", flush=True)

    model_cfg = (
        GANConfig.plain(ngf=args.width, ndf=args.width)
        if args.plain
        else GANConfig(ngf=args.width, ndf=args.width, minibatch_std=args.minibatch_std)
    )
    base = TrainConfig.plain if args.plain else TrainConfig
    cfg = base(
        steps=args.steps,
        batch=args.batch,
        seed=args.seed,
        checkpoint_every=args.checkpoint_every,
        preview_every=args.preview_every,
        time_budget_s=args.time_budget,
    )
    if args.class_weight is not None:
        cfg = replace(cfg, class_weight=args.class_weight)
    if not args.plain:
        cfg = replace(cfg, glo=args.glo, glo_spread=args.glo_spread, anchor_steps=args.anchor_steps)
    cfg = replace(cfg, lr_tail=0.0 if args.plain else args.lr_tail, fit_budget=args.fit_budget)
    if args.resume_from and not Path(args.out).exists():
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.resume_from, args.out)
    previews = Path(args.previews) if args.previews else None
    if previews:
        previews.mkdir(parents=True, exist_ok=True)
    provenance = {
        "recipe": "python -m engines.paint.train " + shlex.join(sys.argv[1:] if argv is None else argv),
        "hardware": describe_hardware(args.device),
    }
    for ev in train(
        data,
        args.out,
        model_cfg,
        cfg,
        init_from=args.finetune,
        device=args.device,
        data_note=note,
        name=Path(args.out).stem,
        provenance=provenance,
    ):
        print(
            json.dumps(
                {
                    "step": ev.step,
                    "d_loss": round(ev.d_loss, 4),
                    "g_loss": round(ev.g_loss, 4),
                    "img_per_s": round(ev.img_per_s, 1),
                    "elapsed_s": round(ev.elapsed_s, 1),
                    "msg": ev.message,
                }
            ),
            flush=True,
        )
        if previews and ev.preview is not None:
            ev.preview.save(previews / f"step{ev.step:06d}.png")
        if ev.checkpoint and args.bundle:
            dst = Path(args.bundle) / f"{Path(args.out).stem}.pt"
            export_for_sampling(ev.checkpoint, dst)
            state = export_resume_state(ev.checkpoint, Path(args.bundle) / "train-state" / f"{Path(args.out).stem}.pt")
            print(f"exported {dst} ({dst.stat().st_size / 1e6:.1f} MB) and {state}", flush=True)


if __name__ == "__main__":
    main()
