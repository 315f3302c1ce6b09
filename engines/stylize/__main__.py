"""Stylize from the command line; every output carries the recipe the studio would write for it.

python -m engines.stylize fast --content photo.jpg --style a.jpg b.jpg --weights 1 0.5 --out out.png
python -m engines.stylize gatys --content photo.jpg --style a.jpg --steps 200 --size 512 --out out.png
python -m engines.stylize dream --content photo.jpg --target layer:b8 --out dream.png
python -m engines.stylize grid --out assets/stylize-grid.jpg     # the README's side-by-side

`gatys` takes every field of GatysSettings as an option and `dream` every field of DreamSettings
(--tv-weight, --preserve-color, --octave-scale, --jitter, ...; see `gatys --help`), so a flag and the
setting it sets cannot drift.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from engines import cli
from engines import recipe as recipes
from engines.device import pick_device
from engines.imageio import load_picture
from engines.settings import assets_dir
from engines.stylize import fast
from engines.stylize.controls import Styled
from engines.stylize.dream import DreamSettings
from engines.stylize.gatys import GatysSettings, paint
from engines.stylize.jobs import FastJob
from engines.stylize.slow_jobs import DreamJob, GatysJob

GATYS_HELPS = {
    "steps": "loss evaluations over all scales",
    "size": "longer side of the result, in pixels",
    "style_weight": "how much the style's textures count",
    "content_weight": "how much the picture's own shapes count",
    "tv_weight": "smoothness: how much neighbouring pixels are pulled together",
    "optimizer": "lbfgs or adam",
    "adam_lr": "Adam's step size",
    "preserve_color": "none, luminance (keep the picture's colours) or histogram (recolour the styles first)",
    "backbone": "efficientnet-lite0 (offline) or vgg19 (when its weights are in the torch cache)",
    "multiscale": "start at 256 px when the result is larger",
    "preview_every": "evaluations between progress reports",
}
DREAM_HELPS = {
    "target": "layer:<tap>, channel:<tap>:<n> or class:<ImageNet index 0-999>; taps b1 b3 b5 b8 b11 b14",
    "octaves": "scales, small to large",
    "octave_scale": "size ratio between neighbouring octaves",
    "steps": "gradient steps per octave",
    "strength": "step size in pixel units",
    "jitter": "random shift in pixels before each step",
    "size": "longer side of the dream, in pixels",
    "seed": "the jitter's (and the starting noise's) seed",
}


def _samples() -> Path:
    return assets_dir() / "samples"


def _last(stream: Iterable[Any]) -> Any:
    """The final event of a streaming job (Gatys or Dream), printing its progress on one line."""
    event = None
    for event in stream:
        print(f"\rstep {event.step}/{event.total}", end="", flush=True)
    print()
    return event


def grid(out: Path, side: int = 256) -> Path:
    """Rows of content, style, fast result and Gatys result (EfficientNet-lite0, no VGG)."""
    pairs = [("chelsea", "swirls"), ("coffee", "mosaic"), ("astronaut", "waves")]
    font = ImageFont.load_default(size=18)
    sheet = Image.new("RGB", (4 * side, len(pairs) * side + 30), "white")
    draw = ImageDraw.Draw(sheet)
    for col, title in enumerate(["content", "style", "fast (Ghiasi)", "Gatys on lite0"]):
        draw.text((col * side + 8, 6), title, fill=(40, 40, 40), font=font)
    for row, (c_name, s_name) in enumerate(pairs):
        content = load_picture(_samples() / "content" / f"{c_name}.jpg")
        style = load_picture(_samples() / "styles" / f"{s_name}.jpg")
        quick = fast.stylize(content, [style], [1.0], max_side=384)
        slow = _last(paint(content, [style], [1.0], GatysSettings(steps=200, size=384))).preview
        for col, pic in enumerate([content, style, quick, slow]):
            tile = pic.convert("RGB").copy()
            tile.thumbnail((side, side), Image.Resampling.LANCZOS)
            sheet.paste(tile, (col * side + (side - tile.width) // 2, 30 + row * side + (side - tile.height) // 2))
    sheet.save(out, quality=90)
    return out


def parser() -> argparse.ArgumentParser:
    """The CLI's options: the pictures and files by hand, Gatys and Dream settings from their dataclasses."""
    p = argparse.ArgumentParser(
        prog="python -m engines.stylize", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("fast", "gatys"):
        s = sub.add_parser(name)
        s.add_argument("--content", required=True, help="your picture")
        s.add_argument("--style", nargs="+", required=True, help="one or more style pictures")
        s.add_argument("--weights", nargs="+", type=float, help="one weight per style (default: 1 each)")
        s.add_argument("--out", required=True, help="the PNG to write (it carries its recipe)")
    f = sub.choices["fast"]
    f.add_argument("--strength", type=float, default=1.0, help="0 (your picture's own style) to 1 (default: 1.0)")
    f.add_argument("--keep-colours", action="store_true", help="keep your picture's colours")
    f.add_argument("--size", type=int, default=512, help="longer side of the result, in pixels (default: 512)")
    g = sub.choices["gatys"]
    g.add_argument("--device", default="auto", help="cpu, cuda, mps or auto (default: auto)")
    cli.add_options(g, GatysSettings, skip=("naive",), helps=GATYS_HELPS)
    d = sub.add_parser("dream")
    d.add_argument("--content", help="your picture (omit to dream from noise)")
    d.add_argument("--out", required=True, help="the PNG to write (it carries its recipe)")
    d.add_argument("--device", default="auto", help="cpu, cuda, mps or auto (default: auto)")
    cli.add_options(d, DreamSettings, helps=DREAM_HELPS)
    sub.add_parser("grid").add_argument("--out", default=str(assets_dir() / "stylize-grid.jpg"))
    return p


def _styled(args: argparse.Namespace) -> Styled:
    """The pictures of `fast` and `gatys` in a styled job's order (the styles take slots 0, 1, ...)."""
    styles = [load_picture(s) for s in args.style]
    weights = list(args.weights or [1.0] * len(styles))
    if len(weights) != len(styles):
        raise SystemExit(f"give one weight per style ({len(styles)} styles, {len(weights)} weights)")
    return load_picture(args.content), args.content, styles, weights, list(args.style), list(range(len(styles)))


def _painted(args: argparse.Namespace) -> tuple[Image.Image, dict]:
    """The picture the command makes and its recipe: the studio's, plus every setting it does not show."""
    if args.cmd == "fast":
        job = FastJob(*_styled(args), args.strength, args.keep_colours, args.size)
        return job.paint(), job.recipe(refs={})
    device = str(pick_device(args.device))
    if args.cmd == "gatys":
        painting = GatysJob(*_styled(args), cli.from_args(GatysSettings, args))
        ev = _last(painting.run(None, device))
        return ev.preview, {**asdict(painting.settings), **painting.recipe(ev, refs={})}
    settings = cli.from_args(DreamSettings, args)
    picture = load_picture(args.content) if args.content else None
    dreaming = DreamJob(picture, settings, settings.target, "my picture" if picture else "noise", args.content)
    return _last(dreaming.run(None, device)).preview, {**asdict(settings), **dreaming.recipe(refs={})}


def main(argv: list[str] | None = None) -> None:
    """Run one command; print the path of what it wrote."""
    args = parser().parse_args(argv)
    if args.cmd == "grid":
        print(grid(Path(args.out)))
        return
    picture, recipe = _painted(args)
    print(recipes.write_png(args.out, picture, recipe))


if __name__ == "__main__":
    main()
