"""Picture inputs that hand the handler the file undecoded, and the bundled sample pictures.

gradio's Image opens (and for some modes decodes) every upload before a handler runs, and its
ImageEditor decodes every layer, so an empty file or a decompression bomb would fail there with a
bare "Error". These inputs hand the handler the file itself, which it checks header-first
(`engines.stylize.pictures`). Instance methods rather than subclasses: gradio writes a .pyi stub
beside any module defining a component class. Paint's inversion panel uses `picture_upload` too."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import gradio as gr
from gradio import processing_utils
from gradio.data_classes import FileData

from engines.settings import assets_dir


def samples_dir() -> Path:
    """The bundled sample pictures: content/ (photos) and styles/ (style pictures)."""
    return assets_dir() / "samples"


def sample_paths(kind: str) -> list[str]:
    """The bundled sample pictures of `kind` ('content' or 'styles')."""
    return sorted(str(p) for p in (samples_dir() / kind).glob("*.jpg"))


def _undecoded_picture(self: gr.Image, payload: Any) -> str | None:
    """The upload's path (a data: URL is written to gradio's cache as bytes, undecoded)."""
    if payload is None:
        return None
    if payload.url and str(payload.url).startswith("data:"):
        return processing_utils.save_base64_to_cache(payload.url, self.GRADIO_CACHE)
    return str(payload.path) if payload.path else None


def _undecoded_layer(self: gr.ImageEditor, file: FileData | bytes | None, flatten_on_white: bool = False) -> str | None:
    """An editor layer as a file path in gradio's cache (bytes are written as they are)."""
    if file is None:
        return None
    if isinstance(file, FileData):
        return str(file.path)
    return processing_utils.save_bytes_to_cache(bytes(file), "layer.png", self.GRADIO_CACHE)


def picture_upload(value: str | None = None, **kwargs: Any) -> gr.Image:
    """gr.Image(type="filepath") whose handler receives the uploaded file undecoded."""
    image = gr.Image(value, type="filepath", image_mode=None, **kwargs)
    image.preprocess = types.MethodType(_undecoded_picture, image)  # type: ignore[method-assign]
    return image


def mask_editor(**kwargs: Any) -> gr.ImageEditor:
    """gr.ImageEditor(type="filepath") whose handler receives the brushed layers as files, undecoded."""
    editor = gr.ImageEditor(type="filepath", **kwargs)
    editor.convert_and_format_image = types.MethodType(_undecoded_layer, editor)  # type: ignore[method-assign]
    return editor
