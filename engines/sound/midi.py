"""MIDI in and out with mido: any MIDI file -> note lists per track (velocity kept, drums skipped),
and note lists -> a MIDI file's bytes.

Times inside Atelier are beats (quarter notes), so a melody can be played at any tempo; a file's
own tempo is read (its first tempo event) and written back. Damaged or absurd files are refused
with a ValueError that says what is wrong and which limit was crossed.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import mido

from engines.sound.tunes import Key, Note

MIDI_SUFFIXES = (".mid", ".midi")
MAX_MIDI_BYTES = 2_000_000  # a MIDI file (a whole symphony is a few hundred kB)
MAX_NOTES = 20_000  # notes read from one file (all tracks)
MAX_SECONDS = 600.0  # how long a file may play at its own tempo
DRUM_CHANNEL = 9  # General MIDI channel 10, counted from 0
DEFAULT_TEMPO_BPM = 120.0


@dataclass
class Track:
    """The notes of one instrument: a MIDI track (or one channel of it) with its General MIDI program."""

    name: str
    notes: list[Note]
    program: int = 0
    channel: int = 0


@dataclass
class Song:
    """A MIDI file read into note lists: its tracks, tempo, metre and key signature (None when absent)."""

    tracks: list[Track]
    tempo_bpm: float = DEFAULT_TEMPO_BPM
    metre: tuple[int, int] = (4, 4)
    key: Key | None = None  # when the file names one
    remarks: list[str] = field(default_factory=list)

    @property
    def notes(self) -> list[Note]:
        return sorted((n for t in self.tracks for n in t.notes), key=lambda n: (n.start, n.pitch))

    @property
    def beats(self) -> float:
        return max((n.start + n.duration for n in self.notes), default=0.0)


# ---------------------------------------------------------------- reading
_KEYS = {
    "C": 0,
    "C#": 1,
    "Db": 1,
    "D": 2,
    "D#": 3,
    "Eb": 3,
    "E": 4,
    "F": 5,
    "F#": 6,
    "Gb": 6,
    "G": 7,
    "G#": 8,
    "Ab": 8,
    "A": 9,
    "A#": 10,
    "Bb": 10,
    "B": 11,
    "Cb": 11,
}


def _key_of(name: str) -> Key | None:
    """The Key a MIDI key signature names ('F#m' -> F# minor), None for an unknown name."""
    minor = name.endswith("m")
    tonic = _KEYS.get(name[:-1] if minor else name)
    return None if tonic is None else Key(tonic, "minor" if minor else "major")


def read_midi(source: str | os.PathLike | bytes, max_notes: int = MAX_NOTES, max_seconds: float = MAX_SECONDS) -> Song:
    """Read a MIDI file (path or bytes) into pitched tracks. Raises ValueError, in plain words, for a
    file that is empty, not MIDI, damaged, drums only, without notes, or over the note/length caps."""
    name = "the MIDI file" if isinstance(source, (bytes, bytearray)) else Path(source).name
    data = bytes(source) if isinstance(source, (bytes, bytearray)) else _read_bytes(source, name)
    if not data:
        raise ValueError(f"{name} is empty (0 bytes)")
    if not data.startswith(b"MThd"):
        raise ValueError(f"{name} is not a MIDI file (it does not start with a MIDI header)")
    try:
        mid = mido.MidiFile(file=io.BytesIO(data), clip=True)
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as err:
        raise ValueError(
            f"{name} is damaged and cannot be read as MIDI ({str(err)[:80] or 'it ends too early'})"
        ) from None
    if mid.type == 2:
        raise ValueError(f"{name} is a type 2 MIDI file (independent patterns); save it as type 0 or 1")
    tpb = mid.ticks_per_beat
    if not tpb or tpb <= 0:
        raise ValueError(f"{name} has no usable time division (ticks per beat: {tpb}); SMPTE timing is not supported")
    tempo, metre, key = None, None, None
    tracks: list[Track] = []
    drum_notes, total, remarks = 0, 0, []
    for ti, mtrack in enumerate(mid.tracks):
        tick = 0
        sounding: dict[tuple[int, int], tuple[int, int]] = {}  # (channel, pitch) -> (start tick, velocity)
        programs: dict[int, int] = {}
        by_channel: dict[int, list[Note]] = {}
        track_name = ""
        for msg in mtrack:
            tick += msg.time
            if msg.type == "set_tempo" and tempo is None:
                tempo = msg.tempo
            elif msg.type == "time_signature" and metre is None:
                metre = (msg.numerator, msg.denominator)
            elif msg.type == "key_signature" and key is None:
                key = _key_of(msg.key)
            elif msg.type == "track_name" and not track_name:
                track_name = msg.name.strip()[:60]
            elif msg.type == "program_change":
                programs.setdefault(msg.channel, msg.program)
            elif msg.type in ("note_on", "note_off"):
                k = (msg.channel, msg.note)
                if msg.type == "note_on" and msg.velocity > 0:
                    if k in sounding:  # re-struck before release: end the first
                        _close(by_channel, k, sounding.pop(k), tick, tpb)
                    sounding[k] = (tick, msg.velocity)
                elif k in sounding:
                    _close(by_channel, k, sounding.pop(k), tick, tpb)
        for k, v in list(sounding.items()):  # never released: end at the track's end
            _close(by_channel, k, v, tick, tpb)
        for ch, notes in sorted(by_channel.items()):
            if ch == DRUM_CHANNEL:
                drum_notes += len(notes)
                continue
            total += len(notes)
            if total > max_notes:
                raise ValueError(
                    f"{name} holds more than {max_notes:,} notes; the limit is {max_notes:,} "
                    "(split it into shorter files)"
                )
            label = track_name or f"track {ti + 1}"
            if len(by_channel) > 1:
                label += f" ch{ch + 1}"
            tracks.append(Track(label, sorted(notes, key=lambda n: (n.start, n.pitch)), programs.get(ch, 0), ch))
    if not tracks:
        if drum_notes:
            raise ValueError(
                f"{name} holds only drums ({drum_notes:,} notes on channel 10); there is no melody to play"
            )
        raise ValueError(f"{name} holds no notes")
    bpm = DEFAULT_TEMPO_BPM if tempo is None else 60_000_000 / tempo
    song = Song(tracks, round(bpm, 3), metre or (4, 4), key, remarks)
    seconds = song.beats * 60.0 / bpm
    if seconds > max_seconds:
        raise ValueError(f"{name} lasts {seconds:,.0f} s at its tempo; the limit is {max_seconds:,.0f} s")
    if drum_notes:
        remarks.append(f"skipped {drum_notes:,} drum notes (channel 10)")
    return song


def _read_bytes(path: str | os.PathLike, name: str) -> bytes:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{name} was not found; upload it again")
    size = path.stat().st_size
    if size > MAX_MIDI_BYTES:
        raise ValueError(f"{name} is {size / 1e6:.1f} MB; a MIDI file may be at most {MAX_MIDI_BYTES / 1e6:.0f} MB")
    return path.read_bytes()


def _close(by_channel: dict[int, list[Note]], k: tuple[int, int], on: tuple[int, int], tick: int, tpb: int) -> None:
    start, vel = on
    if tick > start:
        by_channel.setdefault(k[0], []).append(Note(k[1], start / tpb, (tick - start) / tpb, int(vel)))


# ---------------------------------------------------------------- writing
def write_midi(
    tracks: Sequence[Track] | Sequence[Note],
    tempo_bpm: float = DEFAULT_TEMPO_BPM,
    metre: tuple[int, int] = (4, 4),
    ticks_per_beat: int = 480,
) -> bytes:
    """A type-1 MIDI file (bytes) of note lists: one track per Track (a bare list of notes is one
    track), each on its own channel (skipping the drum channel) with its program."""
    if tracks and isinstance(tracks[0], Note):
        tracks = [Track("melody", list(tracks))]
    mid = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    meta = mido.MidiTrack()
    meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(float(tempo_bpm)), time=0))
    meta.append(mido.MetaMessage("time_signature", numerator=int(metre[0]), denominator=int(metre[1]), time=0))
    meta.append(mido.MetaMessage("end_of_track", time=0))
    mid.tracks.append(meta)
    channels = [c for c in range(16) if c != DRUM_CHANNEL]
    for i, track in enumerate(tracks):
        ch = channels[i % len(channels)]
        mt = mido.MidiTrack()
        mt.append(mido.MetaMessage("track_name", name=track.name[:60] or f"track {i + 1}", time=0))
        mt.append(mido.Message("program_change", channel=ch, program=int(track.program) % 128, time=0))
        events = []
        for n in track.notes:
            on = int(round(n.start * ticks_per_beat))
            off = max(on + 1, int(round((n.start + n.duration) * ticks_per_beat)))
            pitch, vel = min(127, max(0, int(n.pitch))), min(127, max(1, int(n.velocity)))
            events += [(on, 1, pitch, vel), (off, 0, pitch, 0)]
        events.sort(key=lambda e: (e[0], e[1]))  # note-offs before note-ons at the same tick
        now = 0
        for at, is_on, pitch, vel in events:
            kind = "note_on" if is_on else "note_off"
            mt.append(mido.Message(kind, channel=ch, note=pitch, velocity=vel, time=at - now))
            now = at
        mt.append(mido.MetaMessage("end_of_track", time=0))
        mid.tracks.append(mt)
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()
