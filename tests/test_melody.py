"""The melody RNN, MIDI in and out, note-list rendering and sample packs (engines only, no UI)."""

from __future__ import annotations

import io
import zipfile

import librosa
import mido
import numpy as np
import pytest
import soundfile as sf

from engines import checkpoints
from engines.jobs import StopToken
from engines.sound import compose, explore, melody_render, melody_tokens, midi, primers, sfz
from engines.sound.melody import MelodyConfig
from engines.sound.midi import Track
from engines.sound.pictures import piano_roll
from engines.sound.recipe import MelodyTrainConfig
from engines.sound.train_melody import train_melody
from engines.sound.tunes import Key, Note, Tune, in_key_share

NOTE_MODEL = explore.BUNDLED_DIR / "notes.pt"


def scale_walk(rng: np.random.Generator, tonic: int, n: int = 48) -> Tune:
    """A tiny 'tune': a random walk on a major scale in eighth notes."""
    steps = (0, 2, 4, 5, 7, 9, 11)
    degree, notes = 7, []
    for i in range(n):
        degree = int(np.clip(degree + rng.integers(-2, 3), 0, 13))
        notes.append(Note(48 + tonic + 12 * (degree // 7) + steps[degree % 7], i * 0.5, 0.5, 90))
    return Tune(notes, Key(tonic, "major"), (4, 4))


def median_midi(wave: np.ndarray, sr: int) -> float:
    """Median YIN pitch (librosa.yin, the fast relative of pyin) of a steady stretch, as fractional MIDI."""
    f0 = librosa.yin(wave, fmin=80, fmax=1400, sr=sr, frame_length=1024)
    return float(librosa.hz_to_midi(np.median(f0)))


@pytest.fixture(scope="module")
def note_model() -> explore.NoteModel:
    return explore.load_note_model(NOTE_MODEL)


def test_loss_falls_on_a_tiny_corpus_a_finished_run_is_compact_and_a_stopped_one_resumes(tmp_path, monkeypatch):
    monkeypatch.setenv("ATELIER_THREADS", "1")  # the training configures torch with it: one thread for a tiny model
    rng = np.random.default_rng(0)
    tunes = [scale_walk(rng, int(rng.integers(0, 12))) for _ in range(24)]
    out = tmp_path / "tiny.pt"
    small = MelodyConfig(hidden=32, embed=16, layers=1, dropout=0.0)
    cfg = MelodyTrainConfig(steps=40, batch=8, window=24, lr=1e-2, eval_every=20, checkpoint_every=20, compact=True)
    events = list(train_melody(tunes[:20], tunes[20:], out, small, cfg, device="cpu"))
    vals = [e.losses["held-out"] for e in events if "held-out" in e.losses]
    assert vals[-1] < vals[0] - 0.5 and events[-1].done and events[-1].history[-1] == (40, events[-1].losses)
    assert events[-1].message.startswith("Finished at step 40 of 40. Saved tiny (") and "compact" in events[-1].message
    assert all(e.eta_s is not None for e in events[1:-1]) and "opt" not in checkpoints.load(out).extra
    by_hand = MelodyTrainConfig(**{**cfg.__dict__, "steps": 10, "compact": False})  # the CLI's default
    again = list(train_melody(tunes[:20], tunes[20:], out, small, by_hand))
    assert "(fine-tuning tiny, 40 steps)" in again[0].message and again[-1].step == 10
    assert again[-1].message.startswith("Finished at step 10 of 10; saved tiny with its training state")
    assert checkpoints.load(out).meta["lineage"][-1]["steps"] == 40 and "opt" in checkpoints.load(out).extra
    stop, stopped = StopToken(), tmp_path / "s.pt"
    for ev in train_melody(tunes[:20], tunes[20:], stopped, small, cfg, stop=stop, device="cpu"):
        if ev.step == 20:
            stop.stop()
    assert ev.step == 21 and ev.message.startswith("Stopped at step 21 of 40; saved with its training state")
    assert "opt" in checkpoints.load(stopped).extra
    more = list(train_melody(tunes[:20], tunes[20:], stopped, small, cfg, device="cpu"))
    assert more[0].message == "resumed at step 21" and more[-1].step == 40 and "compact" in more[-1].message
    assert stopped.stat().st_size < 0.6 * out.stat().st_size  # the optimiser's state is gone


def test_events_round_trip_and_a_rest_is_an_event():
    tune = Tune([Note(60, 0, 1), Note(62, 1, 0.5), Note(64, 2.5, 0.5)], Key(0), (4, 4))  # a one-beat gap
    ev = melody_tokens.encode(tune)
    lo = melody_tokens.PITCH_LO
    assert [p for p in ev.pitch] == [60 - lo, 62 - lo, melody_tokens.REST, 64 - lo]
    assert ev.pos == [0, 12, 18, 30]
    assert melody_tokens.decode(ev.pitch, ev.dur) == [Note(60, 0, 1), Note(62, 1, 0.5), Note(64, 2.5, 0.5)]


def test_a_held_out_c_major_primer_continues_mostly_in_c_major():
    model = compose.load_melody_model()
    assert "public-domain" in model.meta["licence"]
    # "Soldier's Joy" opening, moved to C (a tune written here, not taken from the training files)
    pitches = [67, 72, 74, 76, 72, 79, 76, 72, 76, 74, 72, 71, 72, 74, 76, 74, 72, 71, 69, 67]
    primer = Tune([Note(p, i * 0.5, 0.5) for i, p in enumerate(pitches)], None, (2, 4))
    shares = []
    for seed in range(3):
        out = compose.continue_tune(model, primer, bars=4, temperature=0.8, seed=seed)
        assert out.tune.key == Key(0, "major")  # estimated from the primer
        assert out.tune.notes[:20] == primer.notes and len(out.new_notes) >= 6
        assert abs(out.tune.end - 18.0) < 1e-6  # the primer's 5 bars of 2/4 + 4 more
        shares.append(in_key_share(out.new_notes, Key(0, "major")))
    assert np.mean(shares) >= 0.8, shares
    again = compose.continue_tune(model, primer, bars=4, temperature=0.8, seed=0)
    assert again.tune.notes == compose.continue_tune(model, primer, bars=4, temperature=0.8, seed=0).tune.notes


def test_compose_fills_the_bars_in_the_chosen_key_and_metre():
    model = compose.load_melody_model()
    out = compose.compose(model, "D major", "6/8", bars=4, temperature=0.7, seed=3)
    assert out.split == 0 and out.tune.metre == (6, 8) and abs(out.tune.end - 12.0) < 1e-6
    assert in_key_share(out.tune.notes, Key(2, "major")) >= 0.7
    assert out.recipe["key"] == "D major" and out.recipe["metre"] == "6/8"
    with pytest.raises(ValueError, match="unknown key"):
        compose.compose(model, "H major")
    with pytest.raises(ValueError, match="bars"):
        compose.compose(model, bars=1000)
    roll = piano_roll([out.tune.notes], split=out.split, bar_beats=out.tune.bar_beats)
    assert roll.width > 100 and roll.height > 20


def test_midi_round_trip_keeps_the_notes_and_velocities_and_skips_drums():
    lead = [Note(60, 0, 0.5, 80), Note(64, 0.5, 0.25, 100), Note(67, 1, 1.5, 127)]
    bass = [Note(36, 0, 2, 70), Note(43, 2, 1, 60)]
    data = midi.write_midi([Track("lead", lead, 73), Track("bass", bass, 32)], tempo_bpm=96, metre=(3, 4))
    mid = mido.MidiFile(file=io.BytesIO(data))
    drums = mido.MidiTrack(
        [
            mido.Message("note_on", channel=9, note=36, velocity=100, time=0),
            mido.Message("note_off", channel=9, note=36, time=120),
        ]
    )
    mid.tracks.append(drums)
    buf = io.BytesIO()
    mid.save(file=buf)
    song = midi.read_midi(buf.getvalue())
    assert [t.notes for t in song.tracks] == [lead, bass]
    assert [t.program for t in song.tracks] == [73, 32] and song.tempo_bpm == 96 and song.metre == (3, 4)
    assert any("drum" in r for r in song.remarks)


def test_rendering_a_midi_file_plays_the_pitches_it_names(note_model, tmp_path):
    pitches = [57, 62, 66, 69, 74]
    path = tmp_path / "tune.mid"
    path.write_bytes(midi.write_midi([Note(p, i * 1.0, 1.0, 100) for i, p in enumerate(pitches)], tempo_bpm=120))
    sr, wave = melody_render.render_song(note_model, midi.read_midi(path), presets=["Flute"])
    assert wave.dtype == np.float32 and np.abs(wave).max() <= 0.9 + 1e-6
    for i, p in enumerate(pitches):  # each note sounds for half a second at 120 bpm
        seg = wave[int((i * 0.5 + 0.08) * sr) : int((i * 0.5 + 0.4) * sr)]
        assert abs(median_midi(seg, sr) - p) < 0.5, (p, median_midi(seg, sr))


def test_swing_moves_the_off_beat_eighths_only():
    assert melody_render.swing_time([0.0, 0.5, 1.0, 1.5], 1.0).tolist() == pytest.approx([0, 2 / 3, 1, 1 + 2 / 3])
    assert melody_render.swing_time([0.25, 0.5], 0.0).tolist() == [0.25, 0.5]


def test_the_sample_pack_maps_every_key_to_a_wav_of_its_pitch(note_model):
    data = sfz.export_pack(note_model, melody_render.Timbre("Clarinet"), low=50, high=74, step=8, name="my clarinet")
    zf = zipfile.ZipFile(io.BytesIO(data))
    regions = sfz.parse_sfz(zf.read("my_clarinet.sfz").decode())
    assert [int(r["pitch_keycenter"]) for r in regions] == [50, 58, 66, 74]
    assert int(regions[0]["lokey"]) == 0 and int(regions[-1]["hikey"]) == 127
    for a, b in zip(regions, regions[1:]):
        assert int(a["hikey"]) + 1 == int(b["lokey"])
    for r in regions:
        wave, sr = sf.read(io.BytesIO(zf.read(f"samples/{r['sample']}")), dtype="float32")
        assert abs(median_midi(wave[int(0.1 * sr) : int(1.2 * sr)], sr) - int(r["pitch_keycenter"])) < 0.5
    with pytest.raises(ValueError, match="plays MIDI"):
        sfz.export_pack(note_model, low=20, high=60)


def _midi_bytes(tracks: list[list[mido.Message]], tpb: int = 480) -> bytes:
    mid = mido.MidiFile(ticks_per_beat=tpb)
    for msgs in tracks:
        mid.tracks.append(mido.MidiTrack(msgs))
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()


def test_bad_midi_files_get_plain_messages(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        midi.read_midi(b"")
    with pytest.raises(ValueError, match="not a MIDI file"):
        midi.read_midi(b"hello, I am text")
    good = midi.write_midi([Note(60, 0, 1)])
    with pytest.raises(ValueError, match="damaged"):
        midi.read_midi(good[:30])
    drums = _midi_bytes(
        [
            [
                mido.Message("note_on", channel=9, note=38, velocity=90, time=0),
                mido.Message("note_off", channel=9, note=38, time=240),
            ]
        ]
    )
    with pytest.raises(ValueError, match="only drums"):
        midi.read_midi(drums)
    with pytest.raises(ValueError, match="no notes"):
        midi.read_midi(_midi_bytes([[mido.MetaMessage("track_name", name="silence", time=0)]]))
    many = midi.write_midi([Note(60 + i % 12, i * 0.25, 0.25) for i in range(50)])
    with pytest.raises(ValueError, match="more than 40 notes"):
        midi.read_midi(many, max_notes=40)
    long = midi.write_midi([Note(60, 0, 1), Note(62, 5000, 1)], tempo_bpm=60)
    with pytest.raises(ValueError, match=r"lasts 5,001 s at its tempo; the limit is 600 s"):
        midi.read_midi(long)
    path = tmp_path / "big.mid"
    path.write_bytes(b"MThd" + bytes(midi.MAX_MIDI_BYTES))
    with pytest.raises(ValueError, match="at most 2 MB"):
        midi.read_midi(path)
    with pytest.raises(ValueError, match="at most 180 s"):
        melody_render.check_length([Track("t", [Note(60, 0, 1), Note(60, 400, 1)])], 120)


def test_continue_my_melody_from_a_midi_file_a_recording_or_nothing(note_model, tmp_path):
    model = compose.load_melody_model()
    primer_notes = [Note(p, i * 0.5, 0.5, 90) for i, p in enumerate([62, 66, 69, 74, 69, 66, 64, 62])]
    mid = tmp_path / "primer.mid"
    mid.write_bytes(midi.write_midi(primer_notes, tempo_bpm=120))
    primer = primers.primer_from_file(mid)
    assert primer.notes == primer_notes
    piece = melody_render.melody_piece(
        note_model, model, primer, bars=2, seed=4, timbre=melody_render.Timbre("Flute"), tempo_bpm=132, swing=0.3
    )
    assert piece.split == 4.0 and piece.sample_rate == 16000 and len(piece.wave) > 16000 * 3
    assert midi.read_midi(piece.midi).tracks[0].notes == piece.tune.notes
    assert piece.picture.width > 100 and piece.recipe["tempo_bpm"] == 132 and piece.recipe["key"] == "D major"
    wav = tmp_path / "sung.wav"
    sf.write(
        wav,
        melody_render.render_tracks(note_model, [Track("p", primer_notes)], melody_render.Timbre("Clarinet"), 120)[1],
        16000,
    )
    heard = primers.primer_from_file(wav, tempo_bpm=120)
    assert [n.pitch for n in heard.notes] == [n.pitch for n in primer_notes]
    assert [n.start for n in heard.notes] == [n.start for n in primer_notes]
    composed = melody_render.melody_piece(note_model, model, None, bars=2, key="A minor", metre="3/4")
    assert composed.split == 0 and composed.tune.key == Key(9, "minor") and composed.tune.end == 6.0
    assert primers.primer_from_file(None) is None
