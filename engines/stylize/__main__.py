"""Stylize from the command line; every output carries its recipe.

python -m engines.stylize fast --content photo.jpg --style a.jpg b.jpg --weights 1 0.5 --out out.png
python -m engines.stylize gatys --content photo.jpg --style a.jpg --steps 200 --size 512 --out out.png
python -m engines.stylize dream --content photo.jpg --target layer:b8 --out dream.png
python -m engines.stylize grid --out assets/stylize-grid.jpg     # the README's side-by-side
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from engines import recipe as recipes
from engines.imageio import load_picture
from engines.stylize import fast
from engines.stylize.dream import DreamSettings, dream
from engines.stylize.gatys import GatysSettings, paint

SAMPLES = Path(__file__).resolve().parents[2] / "assets" / "samples"


def _last(stream):  # the final event of a streaming job, with progress on stderr
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
        content = load_picture(SAMPLES / "content" / f"{c_name}.jpg")
        style = load_picture(SAMPLES / "styles" / f"{s_name}.jpg")
        quick = fast.stylize(content, [style], [1.0], max_side=384)
        slow = _last(paint(content, [style], [1.0], GatysSettings(iterations=200, size=384))).preview
        for col, pic in enumerate([content, style, quick, slow]):
            tile = pic.convert("RGB").copy()
            tile.thumbnail((side, side), Image.Resampling.LANCZOS)
            sheet.paste(tile, (col * side + (side - tile.width) // 2, 30 + row * side + (side - tile.height) // 2))
    sheet.save(out, quality=90)
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m engines.stylize", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("fast", "gatys"):
        s = sub.add_parser(name)
        s.add_argument("--content", required=True)
        s.add_argument("--style", nargs="+", required=True)
        s.add_argument("--weights", nargs="+", type=float)
        s.add_argument("--size", type=int, default=512)
        s.add_argument("--keep-colours", action="store_true")
        s.add_argument("--out", required=True)
    sub.choices["fast"].add_argument("--strength", type=float, default=1.0)
    sub.choices["gatys"].add_argument("--steps", type=int, default=200)
    d = sub.add_parser("dream")
    d.add_argument("--content", help="omit to dream from noise")
    d.add_argument("--target", default="layer:b8")
    d.add_argument("--octaves", type=int, default=3)
    d.add_argument("--steps", type=int, default=12)
    d.add_argument("--size", type=int, default=384)
    d.add_argument("--out", required=True)
    g = sub.add_parser("grid")
    g.add_argument("--out", default=str(SAMPLES.parent / "stylize-grid.jpg"))
    args = p.parse_args(argv)

    if args.cmd == "grid":
        print(grid(Path(args.out)))
        return
    if args.cmd == "dream":
        content = load_picture(args.content) if args.content else None
        settings = DreamSettings(target=args.target, octaves=args.octaves, steps=args.steps, size=args.size)
        pic = _last(dream(content, settings)).preview
        rec = {
            "engine": "stylize",
            "method": "dream",
            "target": args.target,
            "octaves": args.octaves,
            "steps": args.steps,
        }
        print(recipes.write_png(args.out, pic, rec))
        return
    content = load_picture(args.content)
    styles = [load_picture(s) for s in args.style]
    weights = args.weights or [1.0] * len(styles)
    rec = {
        "engine": "stylize",
        "method": args.cmd,
        "content": Path(args.content).name,
        "styles": [Path(s).name for s in args.style],
        "weights": weights,
        "size": args.size,
        "keep_colours": args.keep_colours,
    }
    if args.cmd == "fast":
        pic = fast.stylize(content, styles, weights, args.strength, args.keep_colours, args.size)
        rec["strength"] = args.strength
    else:
        settings = GatysSettings(
            iterations=args.steps, size=args.size, preserve_color="luminance" if args.keep_colours else "none"
        )
        pic = _last(paint(content, styles, weights, settings)).preview
        rec["steps"] = args.steps
    print(recipes.write_png(args.out, pic, rec))


if __name__ == "__main__":
    main()
