"""Pictures of sounds for the studio: a log-mel spectrogram (low notes at the bottom)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

# a warm 'ink on paper' colour ramp: paper -> ochre -> rust -> aubergine
_STOPS = np.array([[250, 247, 242], [236, 201, 140], [196, 120, 92], [120, 60, 90], [40, 26, 50]], np.float32)


def _ramp(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0, 1) * (len(_STOPS) - 1)
    i = np.minimum(x.astype(int), len(_STOPS) - 2)
    f = (x - i)[..., None]
    return (_STOPS[i] * (1 - f) + _STOPS[i + 1] * f).astype(np.uint8)


def spectrogram(log_mel: np.ndarray, width: int = 640, height: int = 200, floor_db: float = 70.0,
                mark_frame: int | None = None) -> Image.Image:
    """The log-mel (n_mels, frames) as a picture, its loudest 70 dB shown; `mark_frame` draws a
    line at that frame (where a continuation takes over from its primer)."""
    db = 10 / np.log(10) * np.asarray(log_mel, np.float32)
    x = 1 - (db.max() - db) / floor_db
    img = Image.fromarray(_ramp(x[::-1])).resize((width, height), Image.Resampling.BILINEAR)
    if mark_frame is not None:
        at = int(width * mark_frame / max(1, np.shape(log_mel)[1]))
        ImageDraw.Draw(img).line([(at, 0), (at, height)], fill=tuple(int(c) for c in _STOPS[-1]), width=2)
    return img
