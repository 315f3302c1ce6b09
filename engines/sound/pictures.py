"""Pictures of sounds for the studio: a log-mel spectrogram (low notes at the bottom), with a time
axis in seconds and a frequency axis in Hz/kHz when the sound's SpectrumSettings are given; and a
piano roll of note lists (bars over a grid of bars and octaves)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from engines.sound.spectrum import SpectrumSettings
from engines.sound.tunes import Note

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


# ---------------------------------------------------------------- the piano roll
PRIMER_COLOUR = (120, 144, 176)
NEW_COLOUR = (231, 111, 81)
TRACK_COLOURS = ((231, 111, 81), (42, 157, 143), (233, 196, 106), (120, 144, 176), (168, 100, 168), (80, 160, 220))


def piano_roll(
    tracks: Sequence[Sequence[Note]],
    split: float | None = None,
    bar_beats: float = 4.0,
    px_per_beat: int = 40,
    px_per_semitone: int = 8,
    max_width: int = 4000,
) -> Image.Image:
    """A piano-roll picture of note lists (one colour per list): notes as bars over a grid of bars
    and octaves (C rows darker); with `split`, notes before that beat are drawn in the primer's blue
    and a line marks where the continuation starts."""
    notes = [n for t in tracks for n in t]
    if not notes:
        return Image.new("RGB", (320, 120), (250, 250, 248))
    lo, hi = min(n.pitch for n in notes) - 2, max(n.pitch for n in notes) + 2
    beats = max(n.start + n.duration for n in notes)
    px_per_beat = max(4, min(px_per_beat, int(max_width / max(beats, 1))))
    W, H, left = int(beats * px_per_beat) + 48, (hi - lo + 1) * px_per_semitone + 8, 40
    img = Image.new("RGB", (W, H), (250, 250, 248))
    d = ImageDraw.Draw(img)

    def y(p: int) -> int:
        return 4 + (hi - p) * px_per_semitone

    for p in range(lo, hi + 1):
        if p % 12 in (1, 3, 6, 8, 10):
            d.rectangle([left, y(p), W, y(p) + px_per_semitone - 1], fill=(238, 238, 234))
        if p % 12 == 0:
            d.line([left, y(p) + px_per_semitone - 1, W, y(p) + px_per_semitone - 1], fill=(200, 200, 196))
            d.text((2, y(p) - 4), f"C{p // 12 - 1}", fill=(90, 90, 90))
    b = 0.0
    while b <= beats + 1e-6 and bar_beats > 0:
        d.line([left + b * px_per_beat, 0, left + b * px_per_beat, H], fill=(205, 205, 200))
        b += bar_beats
    for i, track in enumerate(tracks):
        for n in track:
            colour = TRACK_COLOURS[i % len(TRACK_COLOURS)] if len(tracks) > 1 else NEW_COLOUR
            if split is not None and n.start < split - 1e-6:
                colour = PRIMER_COLOUR
            x0 = left + n.start * px_per_beat
            x1 = max(x0 + 2, left + (n.start + n.duration) * px_per_beat - 1)
            d.rectangle([x0, y(n.pitch), x1, y(n.pitch) + px_per_semitone - 2], fill=colour)
    if split is not None:
        x = left + split * px_per_beat
        d.line([x, 0, x, H], fill=(40, 40, 40), width=2)
    return img
