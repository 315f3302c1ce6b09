"""Image sets for training Paint models: the artist's files, folders or zip, made square."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from engines import tempfiles
from engines.archive import safe_extract
from engines.imageio import ImageInputError, open_image, square
from engines.paint import emoji

MIN_IMAGES = 16
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


@dataclass
class ImageSet:
    """Square uint8 pictures (N, res, res, 3), integer labels (N,), class names, and a report."""

    images: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    skipped: list[str] = field(default_factory=list)

    def describe(self) -> str:
        text = f"{len(self.images)} pictures in {len(self.class_names)} class(es)"
        if self.skipped:
            text += f"; skipped {len(self.skipped)} file(s) that were not readable pictures"
        return text


def load_image_set(
    sources: Iterable[str | os.PathLike], resolution: int = 64, use_folders: bool = True, loose_class: str = "all"
) -> ImageSet:
    """Read pictures from files, folders or zips. Classes come only from folders *inside* a zip or a
    given folder (a picture's own folder names its class); pictures given one by one, or lying at
    the top of a zip or folder, form one class named `loose_class` (the studio passes the model's
    name: gradio keeps each upload in a hash-named folder of its own, which means nothing). With
    fewer than two classes the set is one class, `loose_class`. Unreadable files are skipped and
    counted; fewer than MIN_IMAGES refuse."""
    images, folders, skipped, _ = _read(sources, resolution, loose_class)
    if len(images) < MIN_IMAGES:
        raise ValueError(
            f"found {len(images)} usable picture(s); training needs at least {MIN_IMAGES}"
            + (f" ({len(skipped)} file(s) were skipped as unreadable)" if skipped else "")
        )
    names = sorted(set(folders)) if use_folders and len(set(folders)) >= 2 else [loose_class]
    labels = np.array([names.index(f) if len(names) > 1 else 0 for f in folders], dtype=np.int64)
    return ImageSet(np.stack(images), labels, names, skipped)


def _read(
    sources: Iterable[str | os.PathLike], resolution: int, loose_class: str
) -> tuple[list[np.ndarray], list[str], list[str], int]:
    """Every readable picture the sources hold, made square at `resolution`, with its class folder
    (`loose_class` for loose ones), the names of the files skipped, and how many files repeated one
    already read into the same class (the same pictures dropped twice count once)."""
    with tempfiles.job_dir("paint-images") as work:
        images, folders, skipped, seen, repeats = [], [], [], set(), 0
        for path, folder in _gather(sources, work):
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                skipped.append(path.name)
                continue
            with open(path, "rb") as fh:  # read in blocks: an upload may be large
                digest = (folder, hashlib.file_digest(fh, "sha1").hexdigest())
            if digest in seen:
                repeats += 1
                continue
            seen.add(digest)
            try:
                img = open_image(path, max_side=max(4 * resolution, 512))
            except ImageInputError:
                skipped.append(path.name)
                continue
            images.append(np.asarray(square(img, resolution)))
            folders.append(folder or loose_class)
    return images, folders, skipped, repeats


SHEET_THUMB = 48  # a contact sheet's pictures, in pixels
SHEET_PER_CLASS = 12  # pictures of each class a contact sheet shows
SHEET_CLASSES = 12  # classes a contact sheet shows


@dataclass
class Survey:
    """What an upload holds before training: its classes, pictures per class, skipped files and a
    contact sheet (a row of pictures per class, labelled)."""

    class_names: list[str]
    counts: list[int]
    skipped: list[str]
    sheet: Image.Image | None
    repeats: int = 0  # files that repeated a picture already counted

    def describe(self) -> str:
        n = sum(self.counts)
        parts = [
            f"**{n} picture{'s' if n != 1 else ''}** in {len(self.class_names)} class(es): "
            + ", ".join(f"{c} ({k})" for c, k in zip(self.class_names, self.counts))
        ]
        if self.skipped:
            parts.append(f"{len(self.skipped)} file(s) skipped as unreadable")
        if self.repeats:
            parts.append(f"{self.repeats} repeated file(s) counted once")
        if n < MIN_IMAGES:
            parts.append(f"training needs at least {MIN_IMAGES}")
        return "; ".join(parts) + "."


def survey(sources: Iterable[str | os.PathLike], loose_class: str = "all", use_folders: bool = True) -> Survey:
    """The classes an upload would train (as `load_image_set` would make them), their counts and a contact sheet."""
    images, folders, skipped, repeats = _read(sources, SHEET_THUMB, loose_class)
    names = sorted(set(folders)) if use_folders and len(set(folders)) >= 2 else ([loose_class] if images else [])
    folders = folders if len(names) > 1 else [loose_class] * len(images)
    counts = [folders.count(n) for n in names]
    return Survey(names, counts, skipped, contact_sheet(images, folders, names) if images else None, repeats)


def contact_sheet(images: list[np.ndarray], folders: list[str], names: list[str]) -> Image.Image:
    """A row of up to SHEET_PER_CLASS pictures per class (at most SHEET_CLASSES), each row labelled."""
    shown = names[:SHEET_CLASSES]
    label_h, pad, side = 16, 4, SHEET_THUMB
    width = pad + SHEET_PER_CLASS * (side + pad)
    sheet = Image.new("RGB", (width, len(shown) * (label_h + side + pad) + pad), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for r, name in enumerate(shown):
        top = pad + r * (label_h + side + pad)
        members = [im for im, f in zip(images, folders) if f == name]
        draw.text((pad, top), f"{name[:60]} ({len(members)})", fill=(30, 30, 30))
        for c, im in enumerate(members[:SHEET_PER_CLASS]):
            sheet.paste(Image.fromarray(im), (pad + c * (side + pad), top + label_h))
    return sheet


def _gather(sources: Iterable[str | os.PathLike], work: Path) -> list[tuple[Path, str | None]]:
    """(file, class folder) for every file the sources hold, sorted by file: a file inside a zip or a
    given folder is classed by its own folder (None at the top), a loose file by nothing (None)."""
    found: list[tuple[Path, str | None]] = []
    for i, src in enumerate(sources):
        src = Path(src)
        if src.is_dir() or src.suffix.lower() == ".zip":
            top = src if src.is_dir() else safe_extract(src, work / f"zip{i}")
            found.extend((p, p.parent.name if p.parent != top else None) for p in top.rglob("*") if p.is_file())
        elif src.is_file():
            found.append((src, None))
    return sorted(
        ((f, c) for f, c in found if not any(part.startswith(("__MACOSX", ".")) for part in f.parts[-2:])),
        key=lambda fc: fc[0],
    )


EMOJI_NOTE = (
    "{n} single-codepoint emoji from Noto Color Emoji (OFL-1.1), rendered at {res}px on white, "
    "labelled by Unicode emoji group; random mirror flips"
)
KINDS_NOTE = (
    "{n} single-codepoint emoji from Noto Color Emoji (OFL-1.1), rendered at {res}px on white, "
    "labelled by kind (Unicode emoji subgroups in 33 classes); random mirror flips"
)


def group_of(name: str) -> str | None:
    """The group a kind's class name belongs to ('faces' for 'faces: smileys'), or None."""
    return name.split(":", 1)[0].strip() if ":" in name else None


def parent_classes(names: list[str], base_names: list[str]) -> list[int] | None:
    """Each class's parent in `base_names` when `names` refine it ('faces: smileys' under 'faces');
    None when they do not (the same list, or a name without a known parent)."""
    heads = [group_of(n) for n in names]
    if list(names) == list(base_names) or any(h not in base_names for h in heads):
        return None
    return [base_names.index(h) for h in heads]  # type: ignore[arg-type]


def save_prepared(path: str | os.PathLike, data: ImageSet, note: str) -> None:
    """Write a picture set, ready to train on, as one .npz (images, labels, class names, note), so a
    machine without the tools that made it (the emoji font, say) can train on exactly the same set."""
    np.savez_compressed(
        path, images=data.images, labels=data.labels, class_names=np.array(data.class_names), note=np.array(note)
    )


def load_prepared(path: str | os.PathLike, resolution: int) -> tuple[ImageSet, str]:
    """A set written by `save_prepared`, checked for shape and size."""
    try:
        with np.load(path, allow_pickle=False) as z:
            images, labels = z["images"], z["labels"].astype(np.int64)
            names, note = [str(c) for c in z["class_names"]], str(z["note"])
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"{os.fspath(path)} is not a prepared picture set (.npz from save_prepared): {exc}") from exc
    if images.ndim != 4 or images.shape[1:] != (resolution, resolution, 3) or len(images) != len(labels):
        raise ValueError(
            f"{os.fspath(path)} holds pictures of shape {images.shape[1:]}; "
            f"training at {resolution}px needs ({resolution}, {resolution}, 3)"
        )
    if len(images) < MIN_IMAGES or labels.min() < 0 or labels.max() >= len(names):
        raise ValueError(f"{os.fspath(path)} needs at least {MIN_IMAGES} pictures with labels below {len(names)}")
    return ImageSet(images.astype(np.uint8), labels, names), note


def training_set(sources: list[str], resolution: int) -> tuple[ImageSet, str]:
    """What the training and quality commands read: 'emoji' or 'emoji-kinds' (rendered from the
    font, labelled by group or by kind), one prepared .npz, or the artist's files, folders and
    zips; with a line saying what it is."""
    if sources in (["emoji"], ["emoji-kinds"]):
        return emoji_set(resolution, kinds=sources == ["emoji-kinds"])
    if len(sources) == 1 and str(sources[0]).lower().endswith(".npz"):
        return load_prepared(sources[0], resolution)
    data = load_image_set(sources, resolution)
    return data, f"{data.describe()} from {', '.join(map(str, sources))}"


def emoji_set(resolution: int = 64, kinds: bool = False) -> tuple[ImageSet, str]:
    """The bundled model's emoji, rendered from the font, labelled by group (8) or by kind (33), with its note."""
    images, labels = emoji.dataset(resolution, kinds)
    note = (KINDS_NOTE if kinds else EMOJI_NOTE).format(n=len(images), res=resolution)
    return ImageSet(images, labels, list(emoji.KIND_NAMES if kinds else emoji.CLASS_NAMES)), note
