"""The pictures Stylize last painted for the screen, so Keep (and a slider's release, the history
strip, a sweep cell opened again) reuse what is shown instead of painting it again. Keyed by the
inputs' pixels and every control, so a changed control or picture paints afresh."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PIL import Image


class Shown:
    """The last few pictures painted for the screen, by a key of their inputs' pixels and every
    control, so Keep (and a slider's release) reuse what is shown instead of painting again."""

    def __init__(self, entries: int = 8, max_pixels: int = 48_000_000) -> None:
        self._items: OrderedDict[str, Image.Image] = OrderedDict()
        self._lock = threading.Lock()
        self.entries, self.max_pixels = entries, max_pixels

    def get(self, key: str, paint: Callable[[], Image.Image]) -> Image.Image:
        """The picture for `key`, painted with `paint` only when it is not here."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        picture = paint()
        with self._lock:
            self._items[key] = picture
            while len(self._items) > self.entries or (
                len(self._items) > 1 and sum(im.width * im.height for im in self._items.values()) > self.max_pixels
            ):
                self._items.popitem(last=False)
        return picture

    def clear(self) -> None:
        """Forget every picture (tests start from nothing)."""
        with self._lock:
            self._items.clear()


SHOWN = Shown()


def pixels_key(*parts: Any) -> str:
    """A key over pictures (their pixels) and plain values."""
    h = hashlib.sha1()
    for part in parts:
        if isinstance(part, Image.Image):
            h.update(f"{part.size}{part.mode}".encode())
            h.update(part.tobytes())
        else:
            h.update(repr(part).encode())
        h.update(b"|")
    return h.hexdigest()
