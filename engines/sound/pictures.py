"""Pictures of sounds for the studio: a log-mel spectrogram (low notes at the bottom), with a time
axis in seconds and a frequency axis in Hz/kHz when the sound's SpectrumSettings are given."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from engines.sound.spectrum import SpectrumSettings

# a warm 'ink on paper' colour ramp: paper -> ochre -> rust -> aubergine
_STOPS = np.array([[250, 247, 242], [236, 201, 140], [196, 120, 92], [120, 60, 90], [40, 26, 50]], np.float32)
LEFT, BOTTOM = 46, 18  # the margins the axes' labels take (px)
INK, PAPER = (60, 50, 60), (255, 255, 255)
FREQ_TICKS = (50, 100, 200, 500, 1000, 2000, 4000, 8000, 16000)
TIME_STEPS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)


def _ramp(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0, 1) * (len(_STOPS) - 1)
    i = np.minimum(x.astype(int), len(_STOPS) - 2)
    f = (x - i)[..., None]
    return (_STOPS[i] * (1 - f) + _STOPS[i + 1] * f).astype(np.uint8)


def _font(size: int = 11) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def hz_label(hz: float) -> str:
    """100 -> '100 Hz', 2000 -> '2 kHz', 1500 -> '1.5 kHz'."""
    return f"{hz / 1000:g} kHz" if hz >= 1000 else f"{hz:g} Hz"


def _mel_position(hz: float, s: SpectrumSettings) -> float:
    """Where a frequency sits on the mel axis, 0 (fmin) .. 1 (fmax), on librosa's Slaney mel scale."""
    import librosa

    lo, hi = librosa.hz_to_mel(s.fmin), librosa.hz_to_mel(s.fmax or s.sample_rate / 2)
    return float((librosa.hz_to_mel(hz) - lo) / (hi - lo))


def _draw_axes(canvas: Image.Image, frames: int, s: SpectrumSettings, plot: tuple[int, int, int, int]) -> None:
    """Frequency labels left of the plot, time labels below it, with small tick marks."""
    x0, y0, w, h = plot
    draw, font = ImageDraw.Draw(canvas), _font()
    top_hz = s.fmax or s.sample_rate / 2
    for hz in (f for f in FREQ_TICKS if s.fmin < f < top_hz):
        y = y0 + h - 1 - int(round(_mel_position(hz, s) * (h - 1)))
        draw.line([(x0 - 4, y), (x0 - 1, y)], fill=INK)
        label = hz_label(hz)
        tw = draw.textlength(label, font=font)
        draw.text((x0 - 6 - tw, y - 6), label, fill=INK, font=font)
    seconds = frames * s.hop / s.sample_rate
    step = next((t for t in TIME_STEPS if seconds / t <= 8), TIME_STEPS[-1])
    t = 0.0
    while t <= seconds + 1e-9:
        x = x0 + int(round(t / max(seconds, 1e-9) * (w - 1)))
        draw.line([(x, y0 + h), (x, y0 + h + 3)], fill=INK)
        label = f"{t:g} s"
        tw = draw.textlength(label, font=font)
        draw.text((min(max(x - tw / 2, x0), x0 + w - tw), y0 + h + 4), label, fill=INK, font=font)
        t = round(t + step, 6)


def spectrogram(
    log_mel: np.ndarray,
    width: int = 640,
    height: int = 200,
    floor_db: float = 70.0,
    settings: SpectrumSettings | None = None,
) -> Image.Image:
    """The log-mel (n_mels, frames) as a picture `width` x `height`, its loudest 70 dB shown. With
    `settings`, the picture has a left margin of frequencies (Hz/kHz, on the mel scale it is
    drawn in) and a bottom margin of times (seconds)."""
    db = 10 / np.log(10) * np.asarray(log_mel, np.float32)
    x = 1 - (db.max() - db) / floor_db
    frames = int(np.shape(log_mel)[1])
    plot = (LEFT, 0, width - LEFT - 4, height - BOTTOM) if settings is not None else (0, 0, width, height)
    img = Image.fromarray(_ramp(x[::-1])).resize(plot[2:], Image.Resampling.BILINEAR)
    if settings is None:
        return img
    canvas = Image.new("RGB", (width, height), PAPER)
    canvas.paste(img, plot[:2])
    _draw_axes(canvas, frames, settings, plot)
    return canvas
