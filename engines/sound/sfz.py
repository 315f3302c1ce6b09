"""Sample packs: the current timbre (a preset of the note model plus slider moves) played across a
pitch range, zipped as WAVs with an SFZ file that maps each key to its sample, so any sampler
(sfizz, Decent Sampler via conversion, TX16Wx, ...) can play the studio's instrument.

SFZ is a plain-text format (https://sfzformat.com): one `<region>` per sample with the key it was
recorded at (`pitch_keycenter`) and the keys it covers (`lokey`..`hikey`).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import asdict

import numpy as np
import soundfile as sf
import torch

from engines import limits
from engines.sound import explore
from engines.sound.melody_render import Timbre, vocode_batch
from engines.sound.note_audio import VOCODER_ITERS, fit_duration
from engines.sound.render import note_name

STEP_RANGE = (1, 12)  # semitones between samples (the sampler repitches the keys between)
MAX_SAMPLES = 88
RELEASE_SECONDS = 0.3


def _file_name(pitch: int) -> str:
    return f"{pitch:03d}_{note_name(pitch).replace('#', 's')}.wav"


def pack_notes(model: explore.NoteModel, low: int, high: int, step: int) -> list[int]:
    """The sampled pitches: `low`, `low + step`, ... up to `high` (always included), inside the model's range."""
    low = int(explore.check_pitch(model, low, "The lowest key"))
    high = int(explore.check_pitch(model, high, "The highest key"))
    step = limits.whole(step, "The step (semitones)", *STEP_RANGE)
    if high < low:
        raise ValueError(f"the highest key ({high}) is below the lowest ({low})")
    pitches = list(range(low, high + 1, step))
    if pitches[-1] != high:
        pitches.append(high)
    if len(pitches) > MAX_SAMPLES:
        raise ValueError(f"that is {len(pitches)} samples; a pack holds at most {MAX_SAMPLES}")
    return pitches


def sfz_text(pitches: list[int], name: str, recipe: dict) -> str:
    """The SFZ mapping: each sample covers the keys nearer to it than to its neighbours."""
    lines = [
        f"// {name}: an Atelier sample pack",
        f"// recipe: {json.dumps(recipe)}",
        "",
        "<control>",
        "default_path=samples/",
        "",
        "<global>",
        f"ampeg_release={RELEASE_SECONDS}",
        "",
    ]
    for i, p in enumerate(pitches):
        lo = 0 if i == 0 else (pitches[i - 1] + p) // 2 + 1
        hi = 127 if i == len(pitches) - 1 else (p + pitches[i + 1]) // 2
        lines.append(f"<region> sample={_file_name(p)} pitch_keycenter={p} lokey={lo} hikey={hi}")
    return "\n".join(lines) + "\n"


def export_pack(
    model: explore.NoteModel,
    timbre: Timbre = Timbre(),
    low: int = 48,
    high: int = 72,
    step: int = 3,
    velocity: int = 100,
    seconds: float = 1.5,
    name: str = "atelier",
) -> bytes:
    """A zip (bytes) of `name`.sfz, samples/*.wav (16-bit mono at the model's rate, one per sampled
    pitch, the key held `seconds` then released) and recipe.json."""
    pitches = pack_notes(model, low, high, step)
    velocity, seconds = explore.check_velocity(velocity), explore.check_hold(seconds)
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", str(name))[:40].strip("_") or "atelier"
    z = explore.timbre(model, timbre.preset, timbre.sliders, timbre.base)
    with torch.no_grad():
        mels = explore.note_logmels(
            model, z[None].expand(len(pitches), -1), torch.tensor(pitches), torch.full((len(pitches),), float(velocity))
        )
    mels = torch.stack([fit_duration(m, seconds, model.settings) for m in mels])
    waves = vocode_batch(mels, model, VOCODER_ITERS)
    recipe = {
        "engine": "sound",
        "kind": "sample_pack",
        "model": model.name,
        "checkpoint": model.hash,
        **{k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(timbre).items()},
        "low": pitches[0],
        "high": pitches[-1],
        "step": step,
        "velocity": velocity,
        "seconds": seconds,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{safe}.sfz", sfz_text(pitches, safe, recipe))
        zf.writestr("recipe.json", json.dumps(recipe, indent=1))
        for p, w in zip(pitches, waves):
            peak = float(np.abs(w).max())
            w = w * (0.9 / peak) if peak > 0.9 else w
            data = io.BytesIO()
            sf.write(data, w, model.settings.sample_rate, format="WAV", subtype="PCM_16")
            zf.writestr(f"samples/{_file_name(p)}", data.getvalue())
    return buf.getvalue()


def parse_sfz(text: str) -> list[dict[str, str]]:
    """The regions of an SFZ text (opcodes of each `<region>` header), enough to check a pack."""
    regions, current = [], None
    for line in text.splitlines():
        line = line.split("//")[0].strip()
        for token in re.split(r"\s+(?=<)|(?<=>)\s+", line):
            if not token:
                continue
            if token.startswith("<"):
                current = {} if token == "<region>" else None
                if current is not None:
                    regions.append(current)
                token = token[token.index(">") + 1 :].strip()
            if current is not None and token:
                for k, v in re.findall(r"(\w+)=(\S+)", token):
                    current[k] = v
    return regions
