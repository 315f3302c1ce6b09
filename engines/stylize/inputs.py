"""The pictures a Stylize output was made from, kept with it in the workspace (by content, once
each), so it reopens and remakes after the upload is gone; or, for the history strip, remembered by
path while the studio runs. A recipe refers to them as `*_ref` and `*_file` (see restore.py)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from engines.outputs import OutputStore


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


def remembered(content: str | None, styles: Sequence[str | None] = ()) -> dict:
    """The input files as the history strip remembers them (paths valid while the studio runs)."""
    return {"content_file": str(content) if content else None, "style_files": [str(p) for p in styles if p]}
