"""A picture sweep's cells drawn as one labelled grid: X values above the columns, Y values beside
the rows, both axes named in the margins (the default font, so it draws anywhere)."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from engines.sweep_axes import Axis, Cell


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: the bitmap font, one size
        return ImageFont.load_default()


_PLAIN = str.maketrans({"↔": "<->", "→": "->", "←": "<-", "↓": "v", "…": "...", "·": "-"})


def plain(text: str) -> str:
    """Text the default font can draw (it lacks arrows and a few other signs)."""
    return text.translate(_PLAIN)


def _text_size(draw: ImageDraw.ImageDraw, text: str, font) -> tuple[int, int]:
    box = draw.textbbox((0, 0), text, font=font)
    return box[2] - box[0], box[3] - box[1]


def grid_picture(
    cells: Sequence[Cell], x_axis: Axis, y_axis: Axis, cell_side: int | None = None, title: str = ""
) -> Image.Image:
    """The cells' pictures in a grid (X across, Y down), each at `cell_side` px (default: the
    first picture's size, at least 128 and at most 384), X values above the columns with X's name
    over them, Y values left of the rows with Y's name above them; cells not made yet stay blank."""
    pictures = [c for c in cells if isinstance(c.output, Image.Image)]
    if not pictures:
        raise ValueError("the sweep has no pictures yet")
    first = pictures[0].output
    side = cell_side or min(384, max(128, max(first.size)))
    font_size = max(14, min(22, side // 9))
    font, bold = _font(font_size), _font(font_size + 2)
    pad, gap = 10, 4
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    y_labels, x_labels = [plain(t) for t in y_axis.labels()], [plain(t) for t in x_axis.labels()]
    x_name, y_name, title = f"{plain(x_axis.name)} ->", f"<- {plain(y_axis.name)}", plain(title)
    line_h = _text_size(probe, "Ag", font)[1] + 6
    label_w = max(_text_size(probe, t, font)[0] for t in y_labels)
    left = pad + line_h + pad + label_w + pad  # the Y name runs up the left edge, then the values
    top = pad + (line_h + 4 if title else 0) + 2 * line_h + pad
    cols, rows = len(x_axis.values), len(y_axis.values)
    width = max(left + cols * (side + gap) + pad, pad + _text_size(probe, title, bold)[0] + pad)
    height = top + rows * (side + gap) + pad
    canvas = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    ink, soft = (20, 20, 20), (90, 90, 90)
    y0 = pad
    if title:
        draw.text((pad, y0), title, fill=ink, font=bold)
        y0 += line_h + 4
    # X axis name centred over the columns, then each X value over its column
    name_w = _text_size(draw, x_name, bold)[0]
    draw.text((left + max(0, (cols * (side + gap) - name_w) // 2), y0), x_name, fill=ink, font=bold)
    for c, label in enumerate(x_labels):
        w = _text_size(draw, label, font)[0]
        draw.text((left + c * (side + gap) + (side - w) // 2, y0 + line_h), label, fill=soft, font=font)
    # Y axis name turned to read upward beside the rows, each Y value beside its row
    tw = _text_size(draw, y_name, bold)[0] + 4
    strip = Image.new("RGB", (tw, line_h), (255, 255, 255))
    ImageDraw.Draw(strip).text((0, 0), y_name, fill=ink, font=bold)
    strip = strip.rotate(90, expand=True)
    rows_h = rows * (side + gap)
    canvas.paste(strip, (pad, top + max(0, (rows_h - strip.height) // 2)))
    for r, label in enumerate(y_labels):
        h = _text_size(draw, label, font)[1]
        draw.text((pad + line_h + pad, top + r * (side + gap) + (side - h) // 2), label, fill=soft, font=font)
    for cell in pictures:
        im = cell.output.convert("RGB")
        if im.size != (side, side):
            im = im.copy()
            im.thumbnail((side, side), Image.Resampling.LANCZOS if max(im.size) > side else Image.Resampling.NEAREST)
            if max(im.size) < side:
                im = im.resize(
                    (side, round(side * im.height / im.width))
                    if im.width >= im.height
                    else (round(side * im.width / im.height), side),
                    Image.Resampling.LANCZOS,
                )
        x = left + cell.col * (side + gap) + (side - im.width) // 2
        y = top + cell.row * (side + gap) + (side - im.height) // 2
        canvas.paste(im, (x, y))
    return canvas
