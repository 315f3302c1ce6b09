"""The sound a Paint morph moves with, as a file: read (header checked first: size and length
refused before decoding), and the finished morph written as an MP4 carrying that sound plus a
small preview GIF, every scratch file in the caller's job folder (`engines.tempfiles.job_dir`).

Bounds: a file of at most MAX_BYTES (50 MB) lasting at most sound_timing.MAX_SECONDS (60 s); the
rest (silence, too short, no onsets) is checked by `sound_timing.check_sound` / `analyse`.
"""

from __future__ import annotations

import os
import re
import subprocess
import warnings
from pathlib import Path

import numpy as np

from engines.paint import sound_morph, sound_timing

MAX_BYTES = 50_000_000
SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".m4a")


def read_sound(path: str | os.PathLike | None, what: str = "The sound") -> tuple[int, np.ndarray]:
    """(sample rate, mono float32 wave) of a sound file at its own rate; ValueError when it is
    missing, empty, over MAX_BYTES, longer than sound_timing.MAX_SECONDS, not audio, or silent."""
    import librosa
    import soundfile as sf

    if not path:
        raise ValueError(
            f"{what}: upload one (WAV, FLAC, OGG or MP3, up to {sound_timing.MAX_SECONDS:g} s) "
            "or choose one of your Gallery's sounds."
        )
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"{what} was not received; add it again.")
    size = file.stat().st_size
    if size == 0:
        raise ValueError(f"{what} ({file.name}) is an empty file.")
    if size > MAX_BYTES:
        raise ValueError(f"{what} ({file.name}) is {size / 1e6:.0f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB.")
    try:
        seconds = float(sf.info(str(file)).duration)
    except Exception:  # noqa: BLE001 - a format libsndfile cannot read: measured after decoding below
        seconds = None
    limit = sound_timing.MAX_SECONDS
    if seconds is not None and seconds > limit + 0.05:
        raise ValueError(
            f"{what} ({file.name}) lasts {seconds:.0f} s; a morph follows at most {limit:g} s. Trim it first."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wave, sr = librosa.load(str(file), sr=None, mono=True, duration=limit + 1.0)
    except Exception:  # noqa: BLE001 - whatever the decoder says, the artist gets one sentence
        raise ValueError(
            f"{what} ({file.name}) could not be read as audio; give a WAV, FLAC, OGG or MP3 file."
        ) from None
    return sound_timing.check_sound((int(sr), np.asarray(wave, np.float32)), what)


def export(result: sound_morph.SoundMorph, work: Path, comment: bytes = b"") -> tuple[Path, Path]:
    """(MP4 with the sound as AAC, preview GIF), both written in `work` (the job's scratch folder)."""
    mp4, gif = sound_morph.export(result, work / "morph.mp4", work / "morph.gif", comment=comment, work=work)
    assert gif is not None
    return mp4, gif


def streams(path: str | os.PathLike) -> dict[str, float | bool]:
    """What ffmpeg reads in a media file: {'seconds', 'video', 'audio'} (for checks and tests)."""
    import imageio_ffmpeg

    proc = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, timeout=60
    )
    text = proc.stderr.decode(errors="replace")
    found = re.search(r"Duration: (\d+):(\d+):([\d.]+)", text)
    seconds = int(found.group(1)) * 3600 + int(found.group(2)) * 60 + float(found.group(3)) if found else 0.0
    return {"seconds": seconds, "video": "Video:" in text, "audio": "Audio:" in text}


def audio_seconds(path: str | os.PathLike, rate: int = 16_000) -> float:
    """How long the audio track of a media file lasts, by decoding it (0.0 without one)."""
    import imageio_ffmpeg

    proc = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(path),
            "-map",
            "0:a:0",
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            str(rate),
            "-",
        ],
        capture_output=True,
        timeout=60,
    )
    return len(proc.stdout) / 2 / rate if proc.returncode == 0 else 0.0
