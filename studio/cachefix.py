"""Write gradio's cached pictures and sounds once, atomically.

gradio names a cached picture or sound by the hash of its bytes and writes it with
`Path.write_bytes`, every time. When two events make the same picture (a slider released where
it started, a refresh while a preview repeats), the file is truncated and rewritten while the
browser may be reading it: uvicorn then logs "Too little/much data for declared Content-Length"
and the picture does not load. Same hash, same bytes: so write only when the file is missing,
under a temporary name renamed into place, as gradio already does for `save_file_to_cache`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gradio import processing_utils as pu
from PIL import Image


def _write_once(folder: Path, name: str, data: bytes) -> str:
    folder.mkdir(exist_ok=True, parents=True)
    target = folder / name
    if not target.exists():
        fd, staging = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(staging, target)
        except BaseException:
            Path(staging).unlink(missing_ok=True)
            raise
    return str(target.resolve())


def save_pil_to_cache(img: Image.Image, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    """gradio's save_pil_to_cache, written once and atomically."""
    data = pu.encode_pil_to_bytes(img, format)
    return _write_once(Path(cache_dir) / pu.hash_bytes(data), f"{name}.{format}", data)


def save_bytes_to_cache(data: bytes, file_name: str, cache_dir: str) -> str:
    """gradio's save_bytes_to_cache, written once and atomically."""
    if not Path(file_name).suffix:
        file_name += pu.detect_audio_format(data)
    return _write_once(Path(cache_dir) / pu.hash_bytes(data), Path(file_name).name, data)


def install() -> None:
    """Route gradio's cache writes through the functions above (idempotent)."""
    pu.save_pil_to_cache = save_pil_to_cache
    pu.save_bytes_to_cache = save_bytes_to_cache
