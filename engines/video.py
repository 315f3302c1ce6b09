"""Writing frame sequences: GIF with Pillow, MP4 (H.264) through the ffmpeg that imageio-ffmpeg ships."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from engines.fsutil import atomic_path


def save_gif(
    frames: Sequence[Image.Image], path: str | os.PathLike, fps: float = 12, loop: bool = True, comment: bytes = b""
) -> Path:
    """Animated GIF of `frames` at `fps` (atomic write); `comment` may carry a recipe."""
    if not frames:
        raise ValueError("a morph needs at least one frame")
    duration = max(20, int(round(1000 / fps)))
    with atomic_path(path) as tmp:
        frames[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=list(frames[1:]),
            duration=duration,
            loop=0 if loop else 1,
            disposal=2,
            optimize=False,
            comment=comment,
        )
    return Path(path)


def save_mp4(frames: Sequence[Image.Image], path: str | os.PathLike, fps: float = 24) -> Path:
    """H.264 MP4 of `frames` (sizes rounded up to even numbers, as the codec needs)."""
    if not frames:
        raise ValueError("a morph needs at least one frame")
    try:
        import imageio_ffmpeg
    except ImportError:
        raise ValueError("MP4 export needs the imageio-ffmpeg package (pip install imageio-ffmpeg)") from None
    w, h = frames[0].size
    w2, h2 = w + w % 2, h + h % 2
    with atomic_path(path) as tmp:
        cmd = [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{w2}x{h2}",
            "-r",
            str(fps),
            "-i",
            "-",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            str(tmp),
        ]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdin is not None
        for frame in frames:
            frame = frame.convert("RGB")
            if frame.size != (w2, h2):
                frame = frame.resize((w2, h2), Image.Resampling.LANCZOS)
            proc.stdin.write(frame.tobytes())
        proc.stdin.close()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise RuntimeError(f"ffmpeg could not write the video: {err.strip()[:300]}")
    return Path(path)
