"""Render an NSynth-like set of notes from a General MIDI soundfont.

The bundled Sound models learn from notes this module renders itself: General MIDI programs x
pitches x velocities, each note held for 1.5 s and released, from Debian's `fluid-soundfont-gm`
(FluidR3_GM, MIT) through PyPI's `tinysoundfont` (installed with --no-deps).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engines.sound.spectrum import SpectrumSettings, audio_to_logmel

SOUNDFONT_PLACES = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/local/share/soundfonts/FluidR3_GM.sf2",
)
HOLD_SECONDS = 1.5  # key held down, then released; the note picture is 2.03 s in all
NOTE_FRAMES = 128
LOW, HIGH = 45, 84  # the bundled model's pitch range: A2 .. C6
VELOCITIES = (64, 100, 127)
# pitched General MIDI programs: everything up to the 'ethnic' family, without orchestra hit (55)
PROGRAMS = tuple(p for p in range(112) if p != 55)

GM_NAMES = (
    "Acoustic Grand Piano",
    "Bright Acoustic Piano",
    "Electric Grand Piano",
    "Honky-tonk Piano",
    "Electric Piano 1",
    "Electric Piano 2",
    "Harpsichord",
    "Clavinet",
    "Celesta",
    "Glockenspiel",
    "Music Box",
    "Vibraphone",
    "Marimba",
    "Xylophone",
    "Tubular Bells",
    "Dulcimer",
    "Drawbar Organ",
    "Percussive Organ",
    "Rock Organ",
    "Church Organ",
    "Reed Organ",
    "Accordion",
    "Harmonica",
    "Tango Accordion",
    "Nylon Guitar",
    "Steel Guitar",
    "Jazz Guitar",
    "Clean Guitar",
    "Muted Guitar",
    "Overdriven Guitar",
    "Distortion Guitar",
    "Guitar Harmonics",
    "Acoustic Bass",
    "Finger Bass",
    "Pick Bass",
    "Fretless Bass",
    "Slap Bass 1",
    "Slap Bass 2",
    "Synth Bass 1",
    "Synth Bass 2",
    "Violin",
    "Viola",
    "Cello",
    "Contrabass",
    "Tremolo Strings",
    "Pizzicato Strings",
    "Orchestral Harp",
    "Timpani",
    "String Ensemble 1",
    "String Ensemble 2",
    "Synth Strings 1",
    "Synth Strings 2",
    "Choir Aahs",
    "Voice Oohs",
    "Synth Voice",
    "Orchestra Hit",
    "Trumpet",
    "Trombone",
    "Tuba",
    "Muted Trumpet",
    "French Horn",
    "Brass Section",
    "Synth Brass 1",
    "Synth Brass 2",
    "Soprano Sax",
    "Alto Sax",
    "Tenor Sax",
    "Baritone Sax",
    "Oboe",
    "English Horn",
    "Bassoon",
    "Clarinet",
    "Piccolo",
    "Flute",
    "Recorder",
    "Pan Flute",
    "Blown Bottle",
    "Shakuhachi",
    "Whistle",
    "Ocarina",
    "Square Lead",
    "Sawtooth Lead",
    "Calliope Lead",
    "Chiff Lead",
    "Charang Lead",
    "Voice Lead",
    "Fifths Lead",
    "Bass + Lead",
    "New Age Pad",
    "Warm Pad",
    "Polysynth Pad",
    "Choir Pad",
    "Bowed Pad",
    "Metallic Pad",
    "Halo Pad",
    "Sweep Pad",
    "Rain FX",
    "Soundtrack FX",
    "Crystal FX",
    "Atmosphere FX",
    "Brightness FX",
    "Goblins FX",
    "Echoes FX",
    "Sci-fi FX",
    "Sitar",
    "Banjo",
    "Shamisen",
    "Koto",
    "Kalimba",
    "Bagpipe",
    "Fiddle",
    "Shanai",
)
# named timbres offered as presets (their encodings become the preset latents)
PRESETS = (
    0,
    4,
    6,
    11,
    12,
    19,
    21,
    24,
    27,
    30,
    33,
    40,
    42,
    46,
    48,
    52,
    56,
    57,
    60,
    65,
    68,
    71,
    73,
    80,
    81,
    89,
    105,
    108,
)

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def note_name(midi: int) -> str:
    """MIDI number -> name with octave, e.g. 60 -> 'C4'."""
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def midi_to_hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def find_soundfont(path: str | os.PathLike | None = None) -> Path:
    """The FluidR3 General MIDI soundfont (or `path`), with install advice when missing."""
    places = [path] if path else [os.environ.get("ATELIER_SOUNDFONT"), *SOUNDFONT_PLACES]
    for p in places:
        if p and Path(p).is_file():
            return Path(p)
    raise FileNotFoundError(
        "no General MIDI soundfont found: install Debian's fluid-soundfont-gm "
        "(apt-get install fluid-soundfont-gm) or set ATELIER_SOUNDFONT"
    )


class Renderer:
    """A tinysoundfont synthesiser on one soundfont, rendering mono float32 at the model's rate."""

    def __init__(self, soundfont: str | os.PathLike | None = None, sample_rate: int = 16000) -> None:
        try:
            import tinysoundfont
        except ImportError as err:
            raise ImportError("rendering notes needs tinysoundfont: pip install --no-deps tinysoundfont") from err
        self.sample_rate = sample_rate
        self.synth = tinysoundfont.Synth(samplerate=sample_rate)
        self.sfid = self.synth.sfload(str(find_soundfont(soundfont)))

    def _take(self, samples: int) -> np.ndarray:
        return np.frombuffer(self.synth.generate(samples), dtype=np.float32).reshape(-1, 2).mean(1)

    def _silence(self) -> None:
        self.synth.sounds_off()
        self._take(self.sample_rate // 10)  # let the voices end before the next render

    def note(
        self, program: int, pitch: int, velocity: int, hold_s: float = HOLD_SECONDS, total_samples: int | None = None
    ) -> np.ndarray:
        """One note: key down for `hold_s`, then released, `total_samples` long in all."""
        sr = self.sample_rate
        total = total_samples or (NOTE_FRAMES - 1) * 256 * sr // 16000
        held = min(total, int(hold_s * sr))
        self.synth.program_select(0, self.sfid, 0, program)
        self.synth.noteon(0, pitch, velocity)
        a = self._take(held)
        self.synth.noteoff(0, pitch)
        b = self._take(total - held)
        self._silence()
        return np.concatenate([a, b])


def level(wave: np.ndarray, velocity: int) -> np.ndarray:
    """Peak-normalise so loudness follows velocity alone, whatever the instrument's own gain."""
    peak = float(np.abs(wave).max())
    return (wave * (0.9 * velocity / 127 / peak)).astype(np.float32) if peak > 1e-6 else wave


@dataclass
class NoteSet:
    """Log-mel pictures of notes (N, n_mels, frames) with their pitch, velocity and program."""

    logmels: np.ndarray
    pitches: np.ndarray
    velocities: np.ndarray
    programs: np.ndarray

    def subset(self, index: np.ndarray) -> NoteSet:
        return NoteSet(self.logmels[index], self.pitches[index], self.velocities[index], self.programs[index])

    def __len__(self) -> int:
        return len(self.pitches)


def render_notes(
    settings: SpectrumSettings,
    programs: Iterable[int] = PROGRAMS,
    pitches: Iterable[int] = range(LOW, HIGH + 1),
    velocities: Iterable[int] = VELOCITIES,
    soundfont: str | None = None,
) -> NoteSet:
    """The bundled models' training set: every program x pitch x velocity, as float16 log-mels."""
    r = Renderer(soundfont, settings.sample_rate)
    total = (NOTE_FRAMES - 1) * settings.hop
    mels, ps, vs, progs = [], [], [], []
    for prog in programs:
        for pitch in pitches:
            for vel in velocities:
                wave = level(r.note(prog, pitch, vel, total_samples=total), vel)
                mels.append(audio_to_logmel(wave, settings)[:, :NOTE_FRAMES].astype(np.float16))
                ps.append(pitch)
                vs.append(vel)
                progs.append(prog)
    return NoteSet(np.stack(mels), np.array(ps), np.array(vs), np.array(progs))
