"""Pictures that move with sound: a Paint morph timed to a sound's onsets or beats, exported as an
MP4 with the sound as its audio track (and a small preview GIF).

Timing: the sound's onsets or beats (`sound_timing`). Two ways to move:
- 'step': each onset moves on to the next keyframe (cycling), gliding over at most GLIDE_S with a
  smoothstep ease (or until the next onset, if that comes sooner); between onsets it holds still;
- 'push': the keyframes are spread evenly over the sound (one keyframe holds still), and each
  onset pushes z along a principal direction by its strength x `push` standard deviations,
  decaying with time constant `decay` seconds.

Bounds: at most sound_timing.MAX_SECONDS (60 s) of sound, MIN_FPS-MAX_FPS (1-30) frames per second, so at most
MAX_FRAMES (1,800) frames; the GIF preview at most GIF_FPS (12) fps, GIF_MAX_FRAMES (240) frames,
GIF_SIDE (160) px. Frames are rendered in batches of 32 (a 60 s, 30 fps, 256 px video: about
10-20 s of rendering and a few seconds of encoding on 2 CPU cores).
"""

from __future__ import annotations

import contextlib
import math
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from engines import limits, tempfiles
from engines.fsutil import atomic_path
from engines.jobs import StopToken
from engines.paint import explore
from engines.paint.explore import PaintModel
from engines.paint.sound_timing import MAX_SECONDS, TIMINGS, Timing, analyse, check_sound
from engines.video import save_gif, save_mp4

MIN_FPS, MAX_FPS, FPS = 1, 30, 24
MAX_FRAMES = int(MAX_SECONDS * MAX_FPS)
MODES = ("step", "push")
GLIDE_S = 0.25  # step mode: the move to the next keyframe takes at most this
GLIDE_MAX_S = 2.0
DECAY_S, DECAY_MAX_S = 0.35, 3.0  # push mode: how fast a push fades
PUSH, PUSH_MAX = 2.0, 4.0  # push mode: standard deviations at full strength
UPSCALES = (1, 2, 4)
BATCH = 32
GIF_FPS, GIF_MAX_FRAMES, GIF_SIDE = 12, 240, 160
MAX_KEYFRAMES = limits.MAX_KEYFRAMES


@dataclass
class SoundMorph:
    """The frames and what made them."""

    frames: list[Image.Image]
    fps: float
    timing: Timing
    sample_rate: int
    wave: np.ndarray  # mono float32
    settings: dict = field(default_factory=dict)
    stopped: bool = False


@dataclass
class SoundMorphEvent:
    fraction: float
    preview: Image.Image | None
    message: str = ""
    result: SoundMorph | None = None

    @property
    def done(self) -> bool:
        return self.result is not None


# ---------------------------------------------------------------- the path through z
def _ease(t: np.ndarray | float) -> np.ndarray | float:
    return t * t * (3 - 2 * t)


def step_positions(timing: Timing, n_frames: int, fps: float, glide: float = GLIDE_S) -> list[tuple[int, float]]:
    """Step mode: for each frame, (index of the keyframe it leaves, eased 0-1 toward the next).
    Keyframe indices count up without end; take them modulo the number of keyframes."""
    times = timing.times
    out = []
    for f in range(n_frames):
        t = f / fps
        k = int(np.searchsorted(times, t, side="right"))  # onsets so far
        if k == 0:
            out.append((0, 0.0))
            continue
        start = times[k - 1]
        span = min(glide, (times[k] - start) if k < len(times) else glide)
        u = 1.0 if span <= 0 else min(1.0, (t - start) / span)
        out.append((k - 1, float(_ease(u))))
    return out


def push_envelope(timing: Timing, n_frames: int, fps: float, decay: float = DECAY_S) -> np.ndarray:
    """Push mode: (n_frames,) sum of each onset's strength decaying exponentially from its time."""
    t = np.arange(n_frames) / fps
    env = np.zeros(n_frames)
    for when, strength in zip(timing.times, timing.strengths):
        after = t >= when - 0.5 / fps  # the onset's own frame already moves
        env[after] += strength * np.exp(-np.maximum(t[after] - when, 0) / max(decay, 1e-3))
    return np.minimum(env, 1.5)


def frame_latents(
    model: PaintModel,
    keyframes: Sequence[tuple[torch.Tensor, torch.Tensor]],
    timing: Timing,
    fps: float,
    mode: str = "step",
    glide: float = GLIDE_S,
    direction: int = 0,
    push: float = PUSH,
    decay: float = DECAY_S,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(z (F, z_dim), class weights (F, n_classes)) for every frame of the sound."""
    n_frames = max(1, int(math.ceil(timing.seconds * fps)))
    keys = [(z.detach().float().cpu().flatten(), y.detach().float().cpu().flatten()) for z, y in keyframes]
    zs, ys = [], []
    if mode == "step":
        for k, u in step_positions(timing, n_frames, fps, glide):
            (za, ya), (zb, yb) = keys[k % len(keys)], keys[(k + 1) % len(keys)]
            zs.append(explore.slerp(za, zb, u) if u > 0 else za)
            ys.append((1 - u) * ya + u * yb)
    else:
        vec = model.directions[direction].vector.float().cpu() if model.directions else torch.zeros_like(keys[0][0])
        env = push_envelope(timing, n_frames, fps, decay)
        for f in range(n_frames):
            pos = f / max(n_frames - 1, 1) * (len(keys) - 1)
            k = min(int(pos), len(keys) - 1)
            u = float(_ease(pos - k)) if k < len(keys) - 1 else 0.0
            (za, ya), (zb, yb) = keys[k], keys[min(k + 1, len(keys) - 1)]
            zs.append((explore.slerp(za, zb, u) if u > 0 else za) + float(push * env[f]) * vec)
            ys.append((1 - u) * ya + u * yb)
    return torch.stack(zs), torch.stack(ys)


# ---------------------------------------------------------------- checks
def check_settings(
    model: PaintModel,
    keyframes: Sequence,
    fps: Any,
    mode: Any,
    timing: Any,
    upscale: Any,
    glide: Any,
    direction: Any,
    push: Any,
    decay: Any,
) -> dict:
    """Every setting within its bounds, or a ValueError naming it."""
    if mode not in MODES:
        raise ValueError(f"The mode must be one of {', '.join(MODES)}.")
    if timing not in TIMINGS:
        raise ValueError(f"The timing must be one of {', '.join(TIMINGS)}.")
    need = 2 if mode == "step" else 1
    if len(keyframes) < need:
        raise ValueError(
            "A sound-timed morph needs at least two keyframes (add keyframes first)."
            if need == 2
            else "Add a keyframe first."
        )
    if len(keyframes) > MAX_KEYFRAMES:
        raise ValueError(f"A morph takes at most {MAX_KEYFRAMES} keyframes (got {len(keyframes)}).")
    factor = limits.number(upscale, "The upscale")
    if factor not in UPSCALES:
        raise ValueError(f"The upscale must be one of {', '.join(map(str, UPSCALES))}.")
    n_dirs = max(len(model.directions), 1)
    return {
        "fps": limits.number(fps, "The frames per second", MIN_FPS, MAX_FPS),
        "mode": mode,
        "timing": timing,
        "upscale": int(factor),
        "glide": limits.number(glide, "The glide", 0.0, GLIDE_MAX_S),
        "direction": limits.whole(direction, "The direction", 0, n_dirs - 1),
        "push": limits.number(push, "The push", -PUSH_MAX, PUSH_MAX),
        "decay": limits.number(decay, "The decay", 0.02, DECAY_MAX_S),
    }


# ---------------------------------------------------------------- making it
def sound_morph(
    model: PaintModel,
    keyframes: Sequence[tuple[torch.Tensor, torch.Tensor]],
    sound: Any,
    fps: float = FPS,
    mode: str = "step",
    timing: str = "onsets",
    upscale: int = 4,
    glide: float = GLIDE_S,
    direction: int = 0,
    push: float = PUSH,
    decay: float = DECAY_S,
    stop: StopToken | None = None,
) -> Iterator[SoundMorphEvent]:
    """Frames of a morph through `keyframes` ((z, class weights) pairs, as explore.morph takes
    them) that moves with `sound` ((sr, samples)). Yields progress with the latest frame; the last
    event carries the SoundMorph. A stop ends it with the frames so far."""
    s = check_settings(model, keyframes, fps, mode, timing, upscale, glide, direction, push, decay)
    sr, wave = check_sound(sound)
    yield SoundMorphEvent(0.02, None, "listening for onsets")
    found = analyse(sr, wave, s["timing"])
    zs, ys = frame_latents(
        model, keyframes, found, s["fps"], s["mode"], s["glide"], s["direction"], s["push"], s["decay"]
    )
    frames: list[Image.Image] = []
    stopped = False
    for i in range(0, len(zs), BATCH):
        if stop is not None and stop.stopped:
            stopped = True
            break
        frames += explore.render(model, zs[i : i + BATCH], ys[i : i + BATCH], s["upscale"])
        yield SoundMorphEvent(0.05 + 0.95 * len(frames) / len(zs), frames[-1], f"frame {len(frames)} of {len(zs)}")
    yield SoundMorphEvent(
        1.0,
        frames[-1] if frames else None,
        "stopped" if stopped else f"{len(frames)} frames",
        SoundMorph(frames, s["fps"], found, sr, wave, s, stopped),
    )


def make(
    model: PaintModel, keyframes: Sequence[tuple[torch.Tensor, torch.Tensor]], sound: Any, **kw: Any
) -> SoundMorph:
    """`sound_morph` run to the end."""
    result = None
    for event in sound_morph(model, keyframes, sound, **kw):
        result = event.result or result
    assert result is not None
    return result


def frame_changes(frames: Sequence[Image.Image]) -> np.ndarray:
    """Mean absolute change (0-255) from each frame to the next: (len(frames) - 1,)."""
    arr = [np.asarray(f.convert("RGB"), dtype=np.float32) for f in frames]
    return np.array([np.abs(b - a).mean() for a, b in zip(arr[:-1], arr[1:])])


# ---------------------------------------------------------------- export
def export(
    result: SoundMorph,
    mp4_path: str | Path,
    gif_path: str | Path | None = None,
    comment: bytes = b"",
    work: Path | None = None,
) -> tuple[Path, Path | None]:
    """The MP4 (H.264 frames + the sound as AAC) and, when asked, a preview GIF (at most GIF_FPS,
    GIF_MAX_FRAMES frames of GIF_SIDE px, covering the whole sound). Scratch files go in `work`
    (else a job folder of the studio's temp folder)."""
    import imageio_ffmpeg
    import soundfile as sf

    if not result.frames:
        raise ValueError("The morph has no frames to export (it was stopped before the first).")
    with contextlib.nullcontext(work) if work is not None else tempfiles.job_dir("sound-morph") as tmp:
        video, audio = Path(tmp) / "video.mp4", Path(tmp) / "sound.wav"
        save_mp4(result.frames, video, result.fps)
        sf.write(str(audio), result.wave, result.sample_rate, subtype="PCM_16")
        with atomic_path(mp4_path) as out:
            cmd = [
                imageio_ffmpeg.get_ffmpeg_exe(),
                "-y",
                "-loglevel",
                "error",
                "-i",
                str(video),
                "-i",
                str(audio),
                "-map",
                "0:v:0",
                "-map",
                "1:a:0",
                "-c:v",
                "copy",
                "-c:a",
                "aac",
                "-b:a",
                "160k",
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
                str(out),
            ]
            proc = subprocess.run(cmd, capture_output=True, timeout=300)
            if proc.returncode != 0:
                raise RuntimeError(f"ffmpeg could not add the sound: {proc.stderr.decode(errors='replace')[:300]}")
    gif = None
    if gif_path is not None:
        gif = save_gif(preview_frames(result), gif_path, preview_fps(result), comment=comment)
    return Path(mp4_path), gif


def preview_fps(result: SoundMorph) -> float:
    seconds = len(result.frames) / result.fps
    return max(1.0, min(GIF_FPS, result.fps, GIF_MAX_FRAMES / max(seconds, 1e-6)))


def preview_frames(result: SoundMorph) -> list[Image.Image]:
    """The frames a preview GIF shows: every frame at the preview's rate, at most GIF_SIDE px."""
    fps = preview_fps(result)
    n = min(GIF_MAX_FRAMES, max(1, int(len(result.frames) / result.fps * fps)))
    picks = [min(len(result.frames) - 1, int(round(i * result.fps / fps))) for i in range(n)]
    out = []
    for i in picks:
        im = result.frames[i]
        if max(im.size) > GIF_SIDE:
            im = im.resize((GIF_SIDE, GIF_SIDE * im.height // im.width), Image.Resampling.LANCZOS)
        out.append(im)
    return out


def recipe(model: PaintModel, keyframes: Sequence[dict], result: SoundMorph, sound_name: str = "") -> dict:
    """What made a sound-timed morph: the keyframe dicts (as /paint_morph takes them), the settings,
    the sound's name, length and the onset times found."""
    return {
        "engine": explore.ENGINE,
        "kind": "sound morph",
        "model": model.name,
        "checkpoint": model.hash,
        "keyframes": list(keyframes),
        **{k: v for k, v in result.settings.items()},
        "sound": sound_name,
        "seconds": round(result.timing.seconds, 3),
        "frames": len(result.frames),
        "onsets": [round(float(t), 3) for t in result.timing.times[:500]],
        "tempo": None if result.timing.tempo is None else round(result.timing.tempo, 2),
    }
