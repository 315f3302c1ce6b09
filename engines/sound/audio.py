"""The artist's own audio: load (any rate, any channels, capped length), check, cut into notes by
onsets with a pyin pitch for each, or into windows for the RNN."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engines.sound.render import HIGH, LOW, NOTE_FRAMES, NoteSet, level
from engines.sound.spectrum import SpectrumSettings, audio_to_logmel

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".m4a"}
MAX_SECONDS = 600.0          # longer files are cut here, with a message
SILENCE_PEAK = 1e-3          # a file quieter than this everywhere counts as silent
MIN_NOTES = 8                # fewer usable notes cannot train a note model


@dataclass
class Clip:
    name: str
    wave: np.ndarray          # mono float32 at the settings' rate
    notes: list[str]          # what happened on loading (resampled, downmixed, cut, clipped)


def load_audio(path: str | os.PathLike, settings: SpectrumSettings, max_seconds: float = MAX_SECONDS) -> Clip:
    """A mono wave at the model's rate. Raises ValueError with a clear message for non-audio,
    damaged or silent files."""
    import librosa
    import soundfile as sf

    path = Path(path)
    messages = []
    try:
        info = sf.info(str(path))
        native_sr, channels = info.samplerate, info.channels
    except Exception:
        native_sr, channels = None, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wave, sr = librosa.load(str(path), sr=None, mono=False, duration=max_seconds)
    except Exception:
        raise ValueError(f"{path.name} could not be read as audio (is it a WAV, FLAC, OGG or MP3 file?)") from None
    if wave.size == 0:
        raise ValueError(f"{path.name} holds no audio")
    if wave.ndim > 1:
        wave = wave.mean(0)
        messages.append(f"mixed {channels or 'several'} channels down to mono")
    total = getattr(info, "duration", None) if native_sr else None
    if total and total > max_seconds:
        messages.append(f"used the first {max_seconds:.0f} s of {total:.0f} s")
    if np.mean(np.abs(wave) >= 0.999) > 0.001:
        messages.append("the recording clips (flat tops at full scale); expect some distortion")
    if sr != settings.sample_rate:
        wave = librosa.resample(wave, orig_sr=sr, target_sr=settings.sample_rate)
        messages.append(f"resampled {sr} Hz to {settings.sample_rate} Hz")
    if not np.isfinite(wave).all():
        raise ValueError(f"{path.name} holds damaged samples")
    if np.abs(wave).max() < SILENCE_PEAK:
        raise ValueError(f"{path.name} is silent")
    return Clip(path.name, wave.astype(np.float32), messages)


def gather_audio(sources: Iterable[str | os.PathLike], workdir: str | os.PathLike | None = None) -> tuple[list[Path], int]:
    """Audio files among files, folders and zips; returns (files, skipped non-audio count)."""
    import tempfile

    from engines.archive import gather_files

    workdir = workdir or tempfile.mkdtemp(prefix="atelier-sound-")
    found = gather_files(sources, workdir)
    files = [f for f in found if f.suffix.lower() in AUDIO_SUFFIXES]
    return files, len(found) - len(files)


def load_many(sources: Iterable[str | os.PathLike], settings: SpectrumSettings) -> list[Clip]:
    """Every readable clip among `sources`; unreadable ones are skipped (the error says how many)."""
    files, skipped = gather_audio(sources)
    clips, bad = [], []
    for f in files:
        try:
            clips.append(load_audio(f, settings))
        except ValueError as err:
            bad.append(str(err))
    if not clips:
        raise ValueError("no usable audio found" + (f": {bad[0]}" if bad else "") +
                         (f" ({skipped} non-audio file(s) skipped)" if skipped else ""))
    return clips


def estimate_pitch(wave: np.ndarray, sr: int) -> float | None:
    """Median pyin f0 of the voiced frames as a (fractional) MIDI number, or None if unpitched."""
    import librosa

    f0, voiced, _ = librosa.pyin(wave, fmin=55.0, fmax=2100.0, sr=sr, frame_length=1024)
    f0 = f0[voiced & np.isfinite(f0)]
    if len(f0) < 3:
        return None
    return float(librosa.hz_to_midi(np.median(f0)))


def note_window(wave: np.ndarray, start: int, settings: SpectrumSettings) -> np.ndarray:
    """`NOTE_FRAMES` frames of audio from `start`, padded with silence, faded at the cut."""
    n = (NOTE_FRAMES - 1) * settings.hop
    seg = wave[start:start + n].copy()
    if len(seg) < n:
        seg = np.pad(seg, (0, n - len(seg)))
    fade = min(len(seg), settings.sample_rate // 20)
    seg[-fade:] *= np.linspace(1, 0, fade)
    return seg


def find_onsets(wave: np.ndarray, settings: SpectrumSettings) -> np.ndarray:
    """Sample positions where notes start (a note sounding from the very first sample counts too)."""
    import librosa

    lead = settings.sample_rate // 10  # silence in front, so a note at time 0 has an onset
    padded = np.concatenate([np.zeros(lead, np.float32), wave])
    onsets = librosa.onset.onset_detect(y=padded, sr=settings.sample_rate, hop_length=settings.hop,
                                        units="samples", backtrack=True)
    onsets = np.clip(onsets - lead, 0, None)
    if len(onsets) == 0:
        onsets = np.array([int(np.argmax(np.abs(wave) > 0.1 * np.abs(wave).max()))])
    return np.unique(onsets)


def split_notes(clip: Clip, settings: SpectrumSettings, max_notes: int = 400) -> list[tuple[np.ndarray, float]]:
    """Cut a clip into note windows at its onsets; each with its pyin pitch (unpitched ones dropped)."""
    sr = settings.sample_rate
    onsets = find_onsets(clip.wave, settings)
    out = []
    for i, start in enumerate(onsets[:max_notes]):
        end = onsets[i + 1] if i + 1 < len(onsets) else len(clip.wave)
        seg = note_window(clip.wave, int(start), settings)
        body = clip.wave[int(start):int(min(end, start + sr))]
        if len(body) < sr // 10 or np.abs(body).max() < SILENCE_PEAK * 10:
            continue  # too short or too quiet to be a note
        pitch = estimate_pitch(body, sr)
        if pitch is not None:
            out.append((seg, pitch))
    return out


def notes_from_clips(clips: list[Clip], settings: SpectrumSettings) -> tuple[NoteSet, dict[int, str]]:
    """Training notes from the artist's clips (pitch rounded and kept inside the model's range),
    labelled by source file so each file becomes a preset timbre."""
    mels, pitches, labels = [], [], []
    for label, clip in enumerate(clips):
        for seg, pitch in split_notes(clip, settings):
            midi = int(np.clip(round(pitch), LOW - 12, HIGH + 12))
            mels.append(audio_to_logmel(level(seg, 100), settings)[:, :NOTE_FRAMES].astype(np.float16))
            pitches.append(midi)
            labels.append(label)
    if len(mels) < MIN_NOTES:
        raise ValueError(f"found {len(mels)} pitched note(s) in the upload; training needs at least {MIN_NOTES} "
                         "(upload recordings of single notes or melodies, at least a few seconds in all)")
    n = len(mels)
    notes = NoteSet(np.stack(mels), np.array(pitches), np.full(n, 100), np.array(labels))
    return notes, {i: Path(c.name).stem for i, c in enumerate(clips)}


def sequences_from_clips(clips: list[Clip], settings: SpectrumSettings, frames: int = 256) -> np.ndarray:
    """Overlapping log-mel windows (N, n_mels, frames) over the artist's clips, for the RNN."""
    out = []
    for clip in clips:
        mel = audio_to_logmel(level(clip.wave, 110), settings).astype(np.float16)
        if mel.shape[1] < frames:
            continue
        for start in range(0, mel.shape[1] - frames + 1, frames // 2):
            out.append(mel[:, start:start + frames])
    if len(out) < 4:
        seconds = frames * settings.hop / settings.sample_rate
        raise ValueError(f"the upload is too short: the RNN needs at least about {2 * seconds:.0f} s of audio")
    return np.stack(out)
