"""Paint from the command line.

    python -m engines.paint sample --seeds 0-15 --class faces --psi 0.8 --out pictures/
    python -m engines.paint morph --seeds 3 9 27 --frames 60 --fps 15 --out morph.gif   (or .mp4)
    python -m engines.paint sheet --seeds 0-7 --out classes.png    (a row per class, a column per seed)
    python -m engines.paint train --data my_pictures/ --out ~/atelier/models/paint/mine.pt --steps 2000
    python -m engines.paint anchors --model mine.pt --data my_pictures/   (find each picture's z afresh)

Every picture and morph carries its recipe, as in the studio. --model picks a checkpoint
(default: the bundled emoji model).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from PIL import Image, ImageDraw

from engines import recipe as recipes
from engines.paint import explore


def _seeds(spec: list[str]) -> list[int]:
    out: list[int] = []
    for part in spec:
        if "-" in part.strip("-"):
            lo, hi = part.split("-", 1)
            out.extend(range(int(lo), int(hi) + 1))
        else:
            out.append(int(part))
    return out


def class_sheet(model: explore.PaintModel, seeds: list[int], psi: float | None = None, upscale: int = 1) -> Image.Image:
    """A contact sheet: one row per class (named on the left), one column per seed, so what
    the class changes and what the seed keeps can be read at a glance (psi: the tab's default)."""
    psi = explore.default_psi(model) if psi is None else psi
    rows = [
        explore.render(
            model,
            torch.stack([explore.latent(model, s, psi, blend=name) for s in seeds]),
            explore.class_vector(model, name),
            upscale,
        )
        for name in model.class_names
    ]
    labels = [name.replace(": ", ":\n") for name in model.class_names]  # a kind under its group
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    size = rows[0][0].width
    label_w = max(120, *(measure.multiline_textbbox((0, 0), t)[2] + 12 for t in labels))
    sheet = Image.new("RGB", (label_w + size * len(seeds), size * len(rows)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, (label, pics) in enumerate(zip(labels, rows)):
        draw.multiline_text((6, r * size + size // 2), label, fill="black", anchor="lm")
        for c, pic in enumerate(pics):
            sheet.paste(pic, (label_w + c * size, r * size))
    return sheet


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train"]:
        from engines.paint.train import main as train_main

        return train_main(argv[1:])
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
            help="truncation (default: the tab's, 0.4 toward the model's "
            "anchors, 0.8 toward the mean for a model without them)",
        )
        s.add_argument("--upscale", type=int, default=1, choices=(1, 2, 4))
        s.add_argument("--out", required=True)
        s.add_argument("--device", default="cpu")
    sub.choices["morph"].add_argument("--frames", type=int, default=48)
    sub.choices["morph"].add_argument("--fps", type=float, default=12)
    sub.choices["morph"].add_argument("--no-loop", action="store_true")
    sub.add_parser("train", help="see python -m engines.paint.train --help")
    a = sub.add_parser("anchors", help="find the z of every training picture (stored in the model file)")
    a.add_argument("--model", required=True)
    a.add_argument(
        "--data", required=True, nargs="+", help="what it was trained on ('emoji', 'emoji-kinds', .npz, files)"
    )
    a.add_argument("--steps", type=int, default=100)
    args = p.parse_args(argv)
    if args.cmd == "anchors":
        return _anchors(args.model, args.data, args.steps)

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
        print(recipes.write_png(args.out, class_sheet(model, seeds, args.psi, args.upscale), rec))
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
    from engines.video import save_gif, save_mp4

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
    import time

    from engines import checkpoints
    from engines.paint.anchors import invert
    from engines.paint.data import training_set
    from engines.paint.images import to_tensor

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
