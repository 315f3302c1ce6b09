"""The artist's own audio: load (any rate, any channels, capped length and size), check, cut into
notes by onsets with a pyin pitch for each; and the whole preparation
of a training upload (files and zips unpacked into the caller's scratch folder, capped in size)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from engines import limits
from engines.archive import ArchiveError, safe_extract
from engines.sound.render import HIGH, LOW, NOTE_FRAMES, NoteSet, level
from engines.sound.spectrum import SpectrumSettings, audio_to_logmel

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".m4a"}
MAX_SECONDS = 600.0  # longer training files are cut here, with a message
SILENCE_PEAK = 1e-3  # a file quieter than this everywhere counts as silent
MIN_NOTES = 8  # fewer usable notes cannot train a note model
MAX_UPLOAD_SECONDS = limits.MAX_SOUND_SECONDS  # one sound to encode or continue (30 s)
MAX_UPLOAD_BYTES = 50_000_000  # its file (a 30 s 48 kHz 24-bit stereo WAV is 8.6 MB)
MAX_TRAIN_BYTES = 500_000_000  # what one training upload may come to, zips unpacked
MAX_TRAIN_FILES = 2_000  # audio files in one training upload
MAX_TRAIN_SECONDS = 3_600.0  # audio one training listens to; files beyond are skipped


@dataclass
class Clip:
    name: str
    wave: np.ndarray  # mono float32 at the settings' rate
    notes: list[str]  # what happened on loading (resampled, downmixed, cut, clipped)


def load_audio(path: str | os.PathLike, settings: SpectrumSettings, max_seconds: float = MAX_SECONDS) -> Clip:
    """A mono wave at the model's rate. Raises ValueError with a clear message for non-audio,
    damaged or silent files."""
    import librosa

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


def load_upload(path: str | os.PathLike, settings: SpectrumSettings, what: str = "The sound") -> Clip:
    """One uploaded sound (to encode), refused with a message when its
    file is over MAX_UPLOAD_BYTES or it lasts over MAX_UPLOAD_SECONDS."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{what} was not received; upload it again.")
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise ValueError(f"{what} ({path.name}) is {size / 1e6:.0f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB.")
    try:
        seconds = float(sf.info(str(path)).duration)
    except Exception:  # noqa: BLE001 - a format libsndfile cannot read: measured after decoding below
        seconds = None

    def too_long(secs: float) -> ValueError:
        return ValueError(
            f"{what} ({path.name}) lasts {secs:.0f} s; the limit is {MAX_UPLOAD_SECONDS:.0f} s. "
            "Trim it to the note or phrase you want."
        )

    if seconds is not None and seconds > MAX_UPLOAD_SECONDS + 0.05:
        raise too_long(seconds)
    clip = load_audio(path, settings, max_seconds=MAX_UPLOAD_SECONDS + 1.0)
    if len(clip.wave) > (MAX_UPLOAD_SECONDS + 0.05) * settings.sample_rate:
        raise too_long(len(clip.wave) / settings.sample_rate)
    return clip


def gather_audio(
    sources: Iterable[str | os.PathLike], workdir: str | os.PathLike, max_bytes: int | None = None
) -> tuple[list[Path], int]:
    """Audio files among uploaded files, folders and zips; zips unpack into `workdir` (the caller's
    scratch folder, which the caller removes). Everything together may come to `max_bytes`
    (MAX_TRAIN_BYTES); a zip that would unpack past it is refused before anything is written.
    Returns (audio files, count of skipped non-audio files)."""
    limit = MAX_TRAIN_BYTES if max_bytes is None else int(max_bytes)
    found: list[Path] = []
    used = 0
    for i, src in enumerate(Path(s) for s in sources):
        if src.suffix.lower() == ".zip":
            try:
                out = safe_extract(src, Path(workdir) / f"zip{i}", max_bytes=max(0, limit - used))
            except ArchiveError as err:
                raise ValueError(f"{err} Your sounds may come to {limit / 1e6:.0f} MB in all, zips unpacked.") from None
            new = [p for p in out.rglob("*") if p.is_file()]
        elif src.is_dir():
            new = [p for p in src.rglob("*") if p.is_file()]
        else:
            new = [src] if src.is_file() else []
        found += new
        used += sum(p.stat().st_size for p in new)
        if used > limit:
            raise ValueError(
                f"your sounds come to more than {limit / 1e6:.0f} MB; one training takes at most "
                "that much (zips unpacked). Upload fewer or shorter recordings."
            )
    found = [f for f in found if not any(part.startswith(("__MACOSX", ".")) for part in f.parts[-2:])]
    files = sorted(f for f in found if f.suffix.lower() in AUDIO_SUFFIXES)
    if len(files) > MAX_TRAIN_FILES:
        raise ValueError(
            f"the upload holds {len(files):,} audio files; one training takes at most {MAX_TRAIN_FILES:,}."
        )
    return files, len(found) - len(files)


def load_many(
    sources: Iterable[str | os.PathLike],
    settings: SpectrumSettings,
    workdir: str | os.PathLike,
    max_bytes: int | None = None,
) -> list[Clip]:
    """Every readable clip among `sources` (zips unpacked into `workdir`), up to MAX_TRAIN_SECONDS
    of audio in all; unreadable files are skipped (the error says how many when none is left)."""
    files, skipped = gather_audio(sources, workdir, max_bytes)
    clips, bad, seconds = [], [], 0.0
    for f in files:
        if seconds >= MAX_TRAIN_SECONDS:
            bad.append(f"{f.name}: skipped, the first {MAX_TRAIN_SECONDS / 60:.0f} minutes of audio are enough")
            continue
        try:
            clip = load_audio(f, settings, max_seconds=min(MAX_SECONDS, MAX_TRAIN_SECONDS - seconds))
        except ValueError as err:
            bad.append(str(err))
            continue
        clips.append(clip)
        seconds += len(clip.wave) / settings.sample_rate
    if not clips:
        raise ValueError(
            "no usable audio found"
            + (f": {bad[0]}" if bad else "")
            + (f" ({skipped} non-audio file(s) skipped)" if skipped else "")
        )
    if bad:
        clips[-1].notes.append(f"{len(bad)} file(s) not used ({bad[0]})")
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
    seg = wave[start : start + n].copy()
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
    onsets = librosa.onset.onset_detect(
        y=padded, sr=settings.sample_rate, hop_length=settings.hop, units="samples", backtrack=True
    )
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
        body = clip.wave[int(start) : int(min(end, start + sr))]
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
        raise ValueError(
            f"found {len(mels)} pitched note(s) in the upload; training needs at least {MIN_NOTES} "
            "(upload recordings of single notes or melodies, at least a few seconds in all)"
        )
    n = len(mels)
    notes = NoteSet(np.stack(mels), np.array(pitches), np.full(n, 100), np.array(labels))
    return notes, {i: Path(c.name).stem for i, c in enumerate(clips)}


@dataclass
class TrainingData:
    """A training upload, prepared: note pictures with preset names for the note model, with a
    line describing it and remarks about how the files were read."""

    notes: NoteSet  # the notes cut from the clips
    names: dict[int, str]  # source index -> preset name (the file's stem)
    described: str  # "123 notes from 4 file(s), 95 s of audio"
    remarks: str  # "a.wav: resampled 44100 Hz to 16000 Hz; ..."
    files: int = 0  # audio files read
    seconds: float = 0.0  # seconds of audio in them
    found: int = 0  # notes cut from them

    def summary(self) -> str:
        """What was found in the upload, in one line for the artist."""
        return (
            f"Found **{self.files} file(s)**, **{self.seconds:.0f} s of audio**, **{self.found} pitched notes**"
            + (f" ({self.remarks})" if self.remarks else "")
            + "."
        )


def prepare_training_data(
    sources: Iterable[str | os.PathLike],
    settings: SpectrumSettings,
    workdir: str | os.PathLike,
    max_bytes: int | None = None,
) -> TrainingData:
    """Read a training upload (files and zips; zips unpack into `workdir`, at most `max_bytes`,
    MAX_TRAIN_BYTES by default) and cut it into the notes a note model learns from."""
    clips = load_many(sources, settings, workdir, max_bytes)
    remarks = "; ".join(f"{c.name}: {', '.join(c.notes)}" for c in clips if c.notes)
    seconds = sum(len(c.wave) for c in clips) / settings.sample_rate
    heard = f"{len(clips)} file(s), {seconds:.0f} s of audio"
    notes, names = notes_from_clips(clips, settings)
    return TrainingData(notes, names, f"{len(notes)} notes from {heard}", remarks, len(clips), seconds, len(notes))


def sf_read(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """A WAV the studio kept, as (mono float32 wave, sample rate)."""
    wave, sr = sf.read(str(path), dtype="float32", always_2d=False)
    return (wave.mean(1) if wave.ndim > 1 else wave).astype(np.float32), int(sr)
