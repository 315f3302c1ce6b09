"""Stylize's jobs as the studio and scripts ask for them: every control checked against its bounds
(NaN, infinity, out-of-range and non-numbers get a plain ValueError), pictures read header-first
(`pictures.py`), and the recipe each output carries. Build a job with `fast_job`, `preset_job`,
`gatys_job` or `dream_job`, then run it; nothing here knows about the UI.

Bounds (the Stylize sliders' own ranges; the README's limits table names them):
- fast path and presets: strength 0-1, style and preset weights 0-1, size 128-4096 px (longer side);
- Gatys: 20-1000 steps, size 128-1024 px, style weight 0-5, content weight 0-2, smoothness 0-3;
- Dream: 1-6 octaves, 2-60 steps per octave, strength 0.005-0.1, channel 0-4095; it reads the size
  slider (128-4096) and dreams at most 768 px.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from engines import limits
from engines.jobs import StopToken
from engines.outputs import OutputStore
from engines.stylize import dream as dreams
from engines.stylize import fast, features
from engines.stylize.gatys import GatysEvent, GatysSettings, paint
from engines.stylize.pictures import read_mask, read_picture
from engines.stylize.shown import SHOWN, pixels_key

ENGINE = "stylize"
N_STYLES = 4
SIDE = (128, limits.MAX_PICTURE_SIDE)  # fast path and presets: longer side of the result
STYLE_SIDE = 1024  # styles are read at most this large (the predictor sees 256)
GATYS_STEPS = (20, 1000)
GATYS_SIDE = (128, 1024)
GATYS_STYLE_WEIGHT = (0.0, 5.0)
GATYS_CONTENT_WEIGHT = (0.0, 2.0)
GATYS_TV_WEIGHT = (0.0, 3.0)
OPTIMIZERS = ("lbfgs", "adam")
COLOR_MODES = ("none", "luminance", "histogram")
DREAM_OCTAVES = (1, 6)
DREAM_STEPS = (2, 60)
DREAM_STRENGTH = (0.005, 0.1)
DREAM_SIDE = (128, 768)  # the shared size slider goes higher; dreams stop at 768
DREAM_KINDS = ("layer", "channel", "class")
DREAM_STARTS = ("my picture", "noise")
MAX_CHANNEL = 4095
PRESET_NAMES = (  # the network came without names: each is named by what it paints
    "soft pastel",
    "bold black lines",
    "charcoal sketch",
    "vivid ribbons",
    "warm oils",
    "orange impasto",
    "indigo cells",
    "night blue and gold",
    "pencil and ink",
    "teal mosaic",
    "sepia oils",
    "ink outline",
    "lavender wash",
    "green expressionist",
    "pale blue wash",
    "stained glass",
    "blue crayon",
    "red weave",
    "sepia woodcut",
    "starry swirls",
    "red fauve",
    "paper cut-outs",
    "blue woodcut",
    "smoky grey",
    "blue etching",
    "bronze etching",
)
NO_CONTENT = "Add your picture first (or click a sample picture)."
NO_STYLE = "Add a style picture (or click a sample style)."


# ---------------------------------------------------------------- checks
def flag(value: Any, name: str) -> bool:
    """A checkbox: True or False (None reads as False); anything else is refused."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    raise ValueError(f"{name} must be true or false (got {str(value)[:40]!r}).")


def choice(value: Any, name: str, options: Sequence[str]) -> str:
    """One of `options`, or a message listing them."""
    if value not in options:
        shown = ", ".join(list(options)[:8]) + (", ..." if len(options) > 8 else "")
        raise ValueError(f"{name} must be one of: {shown} (got {str(value)[:60]!r}).")
    return str(value)


def content_picture(path: str | None, max_side: int) -> Image.Image:
    """The artist's picture, header-checked, at most `max_side` pixels on its longer side."""
    return read_picture(path, "Your picture", max_side, NO_CONTENT)


def style_pictures(
    paths: Sequence[str | None], weights: Sequence[Any]
) -> tuple[list[Image.Image], list[float], list[int]]:
    """The style slots in use: (pictures, their weights, their slot numbers 0-3). Every weight is
    checked (0-1), empty slots are skipped, and at least one style is needed."""
    checked = limits.numbers(weights, "Style weight", 0.0, 1.0)
    if len(paths) != N_STYLES or len(checked) != N_STYLES:
        raise ValueError(f"Give {N_STYLES} style slots and {N_STYLES} weights.")
    pics, used, names = [], [], []
    for i, (path, w) in enumerate(zip(paths, checked)):
        if path:
            pics.append(read_picture(path, f"Style {i + 1}", STYLE_SIDE, NO_STYLE))
            used.append(w)
            names.append(i)
    if not pics:
        raise ValueError(NO_STYLE)
    return pics, used, names


# ---------------------------------------------------------------- inputs kept with outputs
def input_size(paths: Sequence[str | None]) -> int:
    """Bytes the given input files take (what keeping them may add to the workspace)."""
    return sum(Path(p).stat().st_size for p in paths if p and Path(p).is_file())


def keep_inputs(
    store: OutputStore, content: str | None, styles: Sequence[str] = (), mask: Image.Image | None = None
) -> dict:
    """Keep the pictures an output was made from in the workspace (by content, once each) and
    return the recipe's references to them: content_ref, style_refs, mask_ref."""
    refs: dict[str, Any] = {}
    if content:
        refs["content_ref"] = store.keep_input(content, Path(content).suffix or ".png")
    if styles:
        refs["style_refs"] = [store.keep_input(p, Path(p).suffix or ".png") for p in styles]
    if mask is not None:
        refs["mask_ref"] = store.keep_input(mask_png(mask), ".png")
    return refs


def mask_png(mask: Image.Image) -> bytes:
    """The brushed mask as an orange RGBA layer (its opacity is the mask), the way the editor
    hands layers over, so `read_mask` reads it back unchanged."""
    layer = Image.new("RGBA", mask.size, (255, 122, 0, 0))
    layer.putalpha(mask.convert("L"))
    buf = io.BytesIO()
    layer.save(buf, format="PNG")
    return buf.getvalue()


def _files(content: str | None, styles: Sequence[str | None]) -> dict:
    """The input files as the history strip remembers them (paths valid while the studio runs)."""
    return {"content_file": str(content) if content else None, "style_files": [str(p) for p in styles if p]}


# ---------------------------------------------------------------- the fast path
@dataclass
class FastJob:
    """One fast stylisation: content, styles with weights, strength, colours, size."""

    content: Image.Image
    content_path: str
    styles: list[Image.Image]
    weights: list[float]
    style_paths: list[str]
    slots: list[int]
    strength: float
    keep_colours: bool
    size: int

    @property
    def style_names(self) -> list[str]:
        return [Path(p).name for p in self.style_paths]

    def paint(self) -> Image.Image:
        """The stylised picture (painted afresh)."""
        return fast.stylize(self.content, self.styles, self.weights, self.strength, self.keep_colours, self.size)

    def shown(self) -> Image.Image:
        """The stylised picture, reused when these very inputs and controls were painted just before."""
        return SHOWN.get(
            pixels_key("fast", self.content, *self.styles, self.weights, self.strength, self.keep_colours, self.size),
            self.paint,
        )

    def recipe(self, refs: dict | None = None) -> dict:
        """What made it (restores the controls; with `refs` from keep_inputs, remakes it exactly)."""
        return {
            "engine": ENGINE,
            "method": "fast",
            "styles": self.style_names,
            "slots": self.slots,
            "weights": list(self.weights),
            "content": Path(self.content_path).name,
            "strength": self.strength,
            "keep_colours": self.keep_colours,
            "size": self.size,
            **(refs if refs is not None else _files(self.content_path, self.style_paths)),
        }

    def keep_inputs(self, store: OutputStore) -> dict:
        return keep_inputs(store, self.content_path, self.style_paths)

    def title(self) -> str:
        return f"Stylized · {' + '.join(self.style_names)}"


def fast_job(
    content: str | None,
    styles: Sequence[str | None],
    weights: Sequence[Any],
    strength: Any,
    keep_colours: Any,
    size: Any,
) -> FastJob:
    """Check every input of the fast path (numbers first, then pictures) and read the pictures."""
    strength_v = limits.number(strength, "Strength", 0.0, 1.0)
    keep = flag(keep_colours, "Keep my colours")
    side = limits.whole(size, "The size", *SIDE)
    pic = content_picture(content, side)
    pics, used, slots = style_pictures(styles, weights)
    return FastJob(pic, str(content), pics, used, [str(styles[i]) for i in slots], slots, strength_v, keep, side)


# ---------------------------------------------------------------- presets
@dataclass
class PresetJob:
    """A blend of the 26 preset styles on the artist's picture."""

    content: Image.Image
    content_path: str
    weights: list[float]
    keep_colours: bool
    size: int

    def paint(self) -> Image.Image:
        return fast.presets(self.content, self.weights, self.keep_colours, self.size)

    def shown(self) -> Image.Image:
        """The blend, reused when these very inputs were painted just before."""
        return SHOWN.get(pixels_key("presets", self.content, self.weights, self.keep_colours, self.size), self.paint)

    def recipe(self, refs: dict | None = None) -> dict:
        return {
            "engine": ENGINE,
            "method": "presets",
            "content": Path(self.content_path).name,
            "presets": self.used(),
            "keep_colours": self.keep_colours,
            "size": self.size,
            **(refs if refs is not None else _files(self.content_path, [])),
        }

    def keep_inputs(self, store: OutputStore) -> dict:
        return keep_inputs(store, self.content_path)

    def used(self) -> dict[str, float]:
        """Preset number -> weight, for the presets in the blend."""
        return {str(i + 1): w for i, w in enumerate(self.weights) if w > 0}

    def title(self) -> str:
        return f"Presets {' + '.join(PRESET_NAMES[int(i) - 1] for i in self.used())}"


def preset_job(content: str | None, keep_colours: Any, size: Any, weights: Sequence[Any]) -> PresetJob:
    """Check the preset blend's inputs: 26 weights of 0-1, the size, then the picture."""
    if len(weights) != fast.N_PRESETS:
        raise ValueError(f"Give {fast.N_PRESETS} preset weights (got {len(weights)}).")
    ws = limits.numbers(weights, "Preset", 0.0, 1.0)
    keep = flag(keep_colours, "Keep my colours")
    side = limits.whole(size, "The size", *SIDE)
    return PresetJob(content_picture(content, side), str(content), ws, keep, side)


def preset_sheet(content: str | None, side: int = 192) -> list[tuple[Image.Image, str]]:
    """Each preset alone on a small copy of the picture, labelled with its number and name."""
    pic = content_picture(content, side)
    return [
        (fast.presets(pic, np.eye(fast.N_PRESETS)[i]), f"{i + 1} · {PRESET_NAMES[i]}") for i in range(fast.N_PRESETS)
    ]


# ---------------------------------------------------------------- Gatys
@dataclass
class GatysJob:
    """One slow painting: the settings, the pictures, the mask."""

    content: Image.Image
    content_path: str
    styles: list[Image.Image]
    weights: list[float]
    style_paths: list[str]
    slots: list[int]
    settings: GatysSettings
    mask: Image.Image | None = None

    def run(self, stop: StopToken | None, device: str, allow_downloads: bool = False) -> Iterator[GatysEvent]:
        """The optimisation's events (see gatys.paint)."""
        return paint(self.content, self.styles, self.weights, self.settings, self.mask, stop, device, allow_downloads)

    def recipe(self, ev: GatysEvent, refs: dict | None = None) -> dict:
        s = self.settings
        return {
            "engine": ENGINE,
            "method": "gatys",
            "styles": [Path(p).name for p in self.style_paths],
            "slots": self.slots,
            "weights": list(self.weights),
            "content": Path(self.content_path).name,
            "steps": ev.step,
            "steps_asked": s.iterations,
            "size": s.size,
            "style_weight": s.style_weight,
            "content_weight": s.content_weight,
            "tv_weight": s.tv_weight,
            "backbone": s.backbone,
            "optimizer": s.optimizer,
            "keep_colours": s.preserve_color,
            "masked": self.mask is not None,
            "style_loss": round(ev.style_loss, 5),
            "content_loss": round(ev.content_loss, 5),
            **(refs if refs is not None else _files(self.content_path, self.style_paths)),
        }

    def keep_inputs(self, store: OutputStore) -> dict:
        return keep_inputs(store, self.content_path, self.style_paths, self.mask)

    def title(self) -> str:
        return f"Painted slowly · {' + '.join(Path(p).name for p in self.style_paths)}"


def gatys_job(
    content: str | None,
    styles: Sequence[str | None],
    weights: Sequence[Any],
    steps: Any,
    size: Any,
    style_weight: Any,
    content_weight: Any,
    tv_weight: Any,
    backbone: Any,
    optimizer: Any,
    color_mode: Any,
    mask_layers: Sequence[str | None] | None = None,
) -> GatysJob:
    """Check every Gatys input against its bounds, then read the pictures and the brushed mask."""
    settings = GatysSettings(
        iterations=limits.whole(steps, "Steps", *GATYS_STEPS),
        size=limits.whole(size, "The size", *GATYS_SIDE),
        style_weight=limits.number(style_weight, "Style weight", *GATYS_STYLE_WEIGHT),
        content_weight=limits.number(content_weight, "Content weight", *GATYS_CONTENT_WEIGHT),
        tv_weight=limits.number(tv_weight, "Smoothness (TV)", *GATYS_TV_WEIGHT),
        backbone=choice(backbone, "The feature network", (features.LITE0, features.VGG19)),
        optimizer=choice(optimizer, "The optimiser", OPTIMIZERS),
        preserve_color=choice(color_mode, "Keep colours", COLOR_MODES),
    )
    pic = content_picture(content, settings.size)
    pics, used, slots = style_pictures(styles, weights)
    return GatysJob(
        pic, str(content), pics, used, [str(styles[i]) for i in slots], slots, settings, read_mask(mask_layers)
    )


def loss_rows(history: Sequence[tuple[int, float, float]]) -> list[dict]:
    """A Gatys run's history as plot rows: (step, loss, part) with part 'style' or 'content'."""
    rows = []
    for step, style, content in history:
        rows += [{"step": step, "loss": style, "part": "style"}, {"step": step, "loss": content, "part": "content"}]
    return rows


# ---------------------------------------------------------------- Dream
@dataclass
class DreamJob:
    """One dream: what to dream of, the settings, the starting picture (None: noise)."""

    picture: Image.Image | None
    settings: dreams.DreamSettings
    subject: str  # the layer's or class's name, for the title
    start: str
    content_path: str | None = None
    controls: dict = field(default_factory=dict)  # kind, layer, channel, class as the tab showed them

    def run(self, stop: StopToken | None, device: str) -> Iterator[dreams.DreamEvent]:
        return dreams.dream(self.picture, self.settings, stop, device)

    def recipe(self, refs: dict | None = None) -> dict:
        s = self.settings
        files = _files(self.content_path if self.picture is not None else None, [])
        return {
            "engine": ENGINE,
            "method": "dream",
            "target": s.target,
            "octaves": s.octaves,
            "steps": s.steps,
            "strength": s.strength,
            "start": self.start,
            "size": s.size,
            **self.controls,
            **({"content": Path(self.content_path).name} if self.picture is not None and self.content_path else {}),
            **(refs if refs is not None else files),
        }

    def keep_inputs(self, store: OutputStore) -> dict:
        return keep_inputs(store, self.content_path if self.picture is not None else None)

    def title(self) -> str:
        return f"Dream of {self.subject}"


def dream_target(kind: str, layer: str, channel: Any, class_name: Any) -> tuple[str, str]:
    """(engine target string, subject for the title) from the Dream controls."""
    tap = dreams.LAYERS[layer]
    if kind == "channel":
        n = limits.whole(channel, "The channel", 0, MAX_CHANNEL)
        return f"channel:{tap}:{n}", f"{layer}, channel {n}"
    if kind == "class":
        classes = features.imagenet_classes()
        return f"class:{classes.index(choice(class_name, 'The class', classes))}", str(class_name)
    return f"layer:{tap}", layer


def dream_job(
    content: str | None,
    kind: Any,
    layer: Any,
    channel: Any,
    class_name: Any,
    octaves: Any,
    steps: Any,
    strength: Any,
    start: Any,
    size: Any,
) -> DreamJob:
    """Check every Dream input against its bounds; read the picture unless it starts from noise."""
    kind = choice(kind, "Dream of", DREAM_KINDS)
    layer = choice(layer, "The layer", tuple(dreams.LAYERS))
    start = choice(start, "Start from", DREAM_STARTS)
    target, subject = dream_target(kind, layer, channel, class_name)
    side = min(limits.whole(size, "The size", *SIDE), DREAM_SIDE[1])
    settings = dreams.DreamSettings(
        target=target,
        octaves=limits.whole(octaves, "Octaves", *DREAM_OCTAVES),
        steps=limits.whole(steps, "Steps per octave", *DREAM_STEPS),
        strength=limits.number(strength, "Strength", *DREAM_STRENGTH),
        size=side,
    )
    pic = None if start == "noise" else content_picture(content, side)
    shown = {
        "kind": kind,
        "layer": layer,
        "channel": limits.whole(channel, "The channel", 0, MAX_CHANNEL) if kind == "channel" else 0,
        "class_name": str(class_name) if kind == "class" else None,
    }
    return DreamJob(pic, settings, subject, start, str(content) if content else None, shown)
