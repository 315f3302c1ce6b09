"""Paint from the command line.

    python -m engines.paint sample --seeds 0-15 --class faces --psi 0.8 --out pictures/
    python -m engines.paint morph --seeds 3 9 27 --frames 60 --fps 15 --out morph.gif   (or .mp4)
    python -m engines.paint sheet --seeds 0-7 --out classes.png    (a row per class, a column per seed)
    python -m engines.paint train --data my_pictures/ --out ~/atelier/models/paint/mine.pt --steps 2000
    python -m engines.paint anchors --model mine.pt --data my_pictures/   (find each picture's z afresh)
    python -m engines.paint emoji --out emoji64.npz [--kinds]   (the bundled model's pictures, prepared)

Every picture and morph carries its recipe, as in the studio. --model picks a checkpoint
(default: the bundled emoji model). `train --help` lists every training option.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from engines import checkpoints
from engines import recipe as recipes
from engines.paint import cli_train, explore
from engines.paint.anchors import invert
from engines.paint.data import emoji_set, save_prepared, training_set
from engines.paint.images import to_tensor
from engines.video import save_gif, save_mp4


def _seeds(spec: list[str]) -> list[int]:
    out: list[int] = []
    for part in spec:
        if "-" in part.strip("-"):
            lo, hi = part.split("-", 1)
            out.extend(range(int(lo), int(hi) + 1))
        else:
            out.append(int(part))
    return out


def parser(plain: bool = False) -> argparse.ArgumentParser:
    """Every command's options (`plain`: the train command's defaults are the plain DCGAN's)."""
    p = argparse.ArgumentParser(
        prog="python -m engines.paint", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("sample", "morph", "sheet"):
        s = sub.add_parser(name)
        s.add_argument("--model", default=str(explore.BUNDLED_DIR / "emoji.pt"))
        s.add_argument("--seeds", nargs="+", default=["0-7"], help="numbers or ranges like 0-15")
        s.add_argument("--class", dest="cls", help="class name (default: the model's first)")
        s.add_argument(
            "--psi",
            type=float,
            help=f"truncation (default: the tab's, {explore.PSI_ANCHOR} toward the model's "
            f"anchors, {explore.PSI_MEAN} toward the mean for a model without them)",
        )
        s.add_argument("--upscale", type=int, default=1, choices=(1, 2, 4))
        s.add_argument("--out", required=True)
        s.add_argument("--device", default="cpu")
    sub.choices["morph"].add_argument("--frames", type=int, default=48)
    sub.choices["morph"].add_argument("--fps", type=float, default=12)
    sub.choices["morph"].add_argument("--no-loop", action="store_true")
    cli_train.add_parser(sub, plain)
    a = sub.add_parser("anchors", help="find the z of every training picture (stored in the model file)")
    a.add_argument("--model", required=True)
    a.add_argument(
        "--data", required=True, nargs="+", help="what it was trained on ('emoji', 'emoji-kinds', .npz, files)"
    )
    a.add_argument("--steps", type=int, default=100)
    e = sub.add_parser("emoji", help="render the bundled model's emoji set into a prepared .npz")
    e.add_argument("--out", required=True)
    e.add_argument("--size", type=int, default=64, choices=(32, 64, 128))
    e.add_argument("--kinds", action="store_true", help="label by kind (33 classes) rather than group (8)")
    return p


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parser(plain=argv[:1] == ["train"] and "--plain" in argv).parse_args(argv)
    if args.cmd == "train":
        return cli_train.run(args, argv)
    if args.cmd == "anchors":
        return _anchors(args.model, args.data, args.steps)
    if args.cmd == "emoji":
        data, note = emoji_set(args.size, args.kinds)
        save_prepared(args.out, data, note)
        return print(f"wrote {args.out}: {len(data.images)} emoji at {args.size}px")
    _pictures(args)


def _pictures(args: argparse.Namespace) -> None:
    """The sample, sheet and morph commands: pictures, a contact sheet or a morph, each with its recipe."""
    model = explore.load_model(args.model, args.device)
    if args.psi is None:
        args.psi = explore.default_psi(model)
    cls = args.cls or model.class_names[0]
    seeds = _seeds(args.seeds)
    if args.cmd == "sheet":
        rec = {
            "engine": "paint",
            "model": model.name,
            "checkpoint": model.hash,
            "seeds": seeds,
            "psi": args.psi,
            "classes": model.class_names,
            "upscale": args.upscale,
        }
        print(recipes.write_png(args.out, explore.class_sheet(model, seeds, args.psi, args.upscale), rec))
        return
    if args.cmd == "sample":
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for seed in seeds:
            rec = explore.recipe(model, seed, args.psi, {cls: 1.0}, [], [], args.upscale)
            path = recipes.write_png(
                out / f"{model.name}-{cls.replace(' ', '_')}-{seed}.png", explore.from_recipe(model, rec), rec
            )
            print(path)
        return
    _morph(model, args, cls, seeds)


def _morph(model: explore.PaintModel, args: argparse.Namespace, cls: str, seeds: list[int]) -> None:
    """The morph command: a GIF (recipe in its comment) or an MP4 (recipe beside it)."""
    keys = [
        {"seed": s, "psi": args.psi, "classes": {cls: 1.0}, "truncation": explore.truncation_of(model)} for s in seeds
    ]
    frames = explore.morph(
        model,
        [(explore.latent(model, s, args.psi, blend=cls), explore.class_vector(model, cls)) for s in seeds],
        args.frames,
        not args.no_loop,
        args.upscale,
    )
    rec = {
        "engine": "paint",
        "model": model.name,
        "checkpoint": model.hash,
        "keyframes": keys,
        "frames": args.frames,
        "fps": args.fps,
        "loop": not args.no_loop,
        "upscale": args.upscale,
    }
    if args.out.lower().endswith(".mp4"):
        path = save_mp4(frames, args.out, args.fps)
        recipes.write_sidecar(path, rec)
    else:
        path = save_gif(frames, args.out, args.fps, not args.no_loop, comment=recipes.gif_comment(rec))
    print(path)


def _anchors(path: str, data_spec: list[str], steps: int) -> None:
    """Add (or renew) the anchors of a Paint model file in place, written atomically."""
    model = explore.load_model(path)
    data, _ = training_set(data_spec, model.config.resolution)
    if list(data.class_names) != model.class_names:
        raise SystemExit(
            f"those pictures' classes ({', '.join(data.class_names)}) are not the model's "
            f"({', '.join(model.class_names)})"
        )
    t0 = time.time()
    found = invert(
        model.generator,
        to_tensor(data.images),
        torch.from_numpy(data.labels).long(),
        steps,
        progress=lambda done, total: print(f"anchors: {done}/{total} pictures", flush=True),
    )
    ck = checkpoints.load(path, engine="paint")
    ck.extra["anchors"] = found.to_payload()
    ck.meta["anchors"] = {
        "pictures": len(data.images),
        "steps": steps,
        "l1": round(found.l1, 4),
        "seconds": round(time.time() - t0, 1),
    }
    checkpoints.save(path, ck)
    print(f"{path}: {len(data.images)} anchors, mean L1 {found.l1:.4f} ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
