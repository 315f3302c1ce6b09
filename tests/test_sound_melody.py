"""The Sound tab's Melody panel, its handlers called directly (no browser): hum-to-melody, Compose,
MIDI in, the SFZ pack, bad MIDI files, Keep with its MIDI beside it, reopening, training on MIDI
files; real workspaces and a temp folder left empty."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import librosa
import mido
import numpy as np
import pytest
import soundfile as sf
import torch

from engines import checkpoints, recipe, tempfiles
from engines.replay import ReplayContext
from engines.settings import Settings
from engines.sound import compose, explore, melody_replay, midi, sfz
from engines.sound import melody_studio as ms
from engines.sound.tunes import Key, Note, in_key_share
from studio import common, sound_melody, sound_melody_restore
from studio.sound_melody_panels import CURRENT_TIMBRE, SOURCES, STARTS, melody_models

pytestmark = pytest.mark.skipif(
    not explore.available_models(None, "vae") or not compose.BUNDLED.is_file(), reason="no bundled Sound models"
)
NOTES, MELODY = "notes (bundled)", "melody (bundled)"
N = explore.N_SLIDERS
KEY_A, KEY_B = "a" * 24, "b" * 24
HUMMED = (60, 62, 64, 65, 67, 65, 64, 62)


def _request(key: str = KEY_A) -> SimpleNamespace:
    return SimpleNamespace(headers={"x-atelier-workspace": key}, cookies={}, session_hash="s1", session={})


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def shared_studio(tmp_path, monkeypatch):
    monkeypatch.setenv("ATELIER_THREADS", "1")  # a training configures torch with it (small models here)
    tempfiles.set_root(tmp_path / "tmp")
    yield common.configure(
        Settings(models_dir=tmp_path / "m", outputs_dir=tmp_path / "o", workspaces_dir=tmp_path / "w"), shared=True
    )
    assert tempfiles.count_files() == 0  # no handler leaves scratch behind


def _hum(path: Path, pitches=HUMMED, seconds: float = 0.5, sr: int = 16000) -> Path:
    """A 'sung' recording: sine tones (a few harmonics, a soft attack and decay) at known pitches."""
    t = np.arange(int(seconds * sr)) / sr
    env = np.minimum(1, t * 60) * np.exp(-3 * t)
    tones = [
        sum(0.4 / k * np.sin(2 * np.pi * 440 * 2 ** ((p - 69) / 12) * k * t) for k in range(1, 6)) * env
        for p in pitches
    ]
    sf.write(path, np.concatenate(tones), sr)
    return path


def _melody(
    source=SOURCES[0],
    recording=None,
    midi_file=None,
    current=None,
    bars=4,
    temperature=0.8,
    seed=0,
    tempo=120,
    swing=0.0,
    key=ms.AUTO,
    metre=ms.AUTO,
    preset="Violin",
    sliders=None,
    key_ws=KEY_A,
):
    return sound_melody.sound_melody(
        MELODY,
        source,
        recording and str(recording),
        midi_file and str(midi_file),
        current,
        bars,
        temperature,
        seed,
        tempo,
        swing,
        key,
        metre,
        NOTES,
        preset,
        None,
        sliders or [0.0] * N,
        request=_request(key_ws),
    )


def _shown(tmp_path: Path, blob: bytes) -> Path:
    """What gradio does with a returned WAV: a file the Keep button then reads."""
    path = tmp_path / "shown.wav"
    path.write_bytes(blob)
    return path


def test_a_hummed_melody_continues_and_does_not_fall_silent(tmp_path):
    blob, roll, midi_path, said = _melody(recording=_hum(tmp_path / "hum.wav"))
    wave, sr = sf.read(io.BytesIO(blob), dtype="float32")
    rec = recipe.read(_shown(tmp_path, blob))
    assert rec["kind"] == "melody" and rec["primer"]["source"] == "recording" and rec["primer"]["input"]
    assert [n[0] for n in rec["primer"]["notes"]] == list(HUMMED)  # the hummed pitches were heard
    assert roll.width > 200 and roll.height > 40 and "8 notes" in said
    notes = midi.read_midi(midi_path).tracks[0].notes
    assert [n.pitch for n in notes[:8]] == list(HUMMED) and len(notes) > 12
    active = ms.continuation_active(wave, sr, ms.split_seconds(rec["split"], 120))
    assert active >= 0.8, active


def test_compose_in_c_major_writes_mostly_c_major_notes():
    shares = []
    for seed in range(2):
        blob, roll, midi_path, said = _melody(SOURCES[3], key="C major", metre="3/4", bars=4, seed=seed)
        notes = midi.read_midi(midi_path).tracks[0].notes
        assert "Composed" in said and max(n.start + n.duration for n in notes) == pytest.approx(12.0)
        shares.append(in_key_share(notes, Key(0, "major")))
    assert np.mean(shares) >= 0.8, shares


def test_the_current_note_is_a_primer(tmp_path):
    note = explore.note_recipe(
        explore.load_note_model(explore.BUNDLED_DIR / "notes.pt"), 67, 100, 1.0, "Flute", [0.0] * N
    )
    current = tmp_path / "note.wav"
    current.write_bytes(recipe.wav_bytes(16000, np.zeros(1600, np.float32), note))
    blob, _, midi_path, _ = _melody(SOURCES[2], current=str(current), bars=2)
    notes = midi.read_midi(midi_path).tracks[0].notes
    assert notes[0] == Note(67, 0.0, 2.0, 100) and len(notes) > 2
    wave, sr = sf.read(io.BytesIO(blob), dtype="float32")
    assert ms.continuation_active(wave, sr, 1.0) >= 0.8


def _yin(wave: np.ndarray, sr: int) -> float:
    return float(librosa.hz_to_midi(np.median(librosa.yin(wave, fmin=80, fmax=1400, sr=sr, frame_length=1024))))


def test_a_midi_file_plays_the_pitches_it_names(tmp_path):
    pitches = [57, 62, 66, 69, 74]
    path = tmp_path / "tune.mid"
    path.write_bytes(midi.write_midi([Note(p, float(i), 1.0, 100) for i, p in enumerate(pitches)], tempo_bpm=120))
    blob, roll, said = sound_melody.sound_render_midi(
        str(path), "Flute", 0, 0.0, NOTES, "Violin", None, [0.0] * N, request=_request()
    )
    wave, sr = sf.read(io.BytesIO(blob), dtype="float32")
    for i, p in enumerate(pitches):  # each note half a second at the file's 120 bpm
        assert abs(_yin(wave[int((i * 0.5 + 0.08) * sr) : int((i * 0.5 + 0.4) * sr)], sr) - p) < 0.5
    assert "5 notes as Flute" in said and roll.width > 100
    gm, _, said = sound_melody.sound_render_midi(
        str(path), ms.GM, 90, 0.0, NOTES, "Violin", None, [0.0] * N, request=_request()
    )
    assert "Acoustic Grand Piano" in said and "90 bpm" in said  # program 0 is the grand piano
    _, _, said = sound_melody.sound_render_midi(
        str(path), CURRENT_TIMBRE, 0, 0.0, NOTES, "Violin", None, [1.0] * N, request=_request()
    )
    assert "as Violin" in said


def test_the_sample_pack_has_a_region_per_wav():
    path, said = sound_melody.sound_pack(
        NOTES, "Clarinet", None, [0.5] + [0.0] * (N - 1), 50, 74, 8, request=_request()
    )
    zf = zipfile.ZipFile(path)
    regions = sfz.parse_sfz(zf.read("Clarinet.sfz").decode())
    wavs = sorted(n for n in zf.namelist() if n.endswith(".wav"))
    assert sorted(f"samples/{r['sample']}" for r in regions) == wavs and len(wavs) == 4 and "4 samples" in said
    assert common.workspace(_request()).owns(path)
    with pytest.raises(gr.Error, match="at most 88|semitones|between 1 and 12"):
        sound_melody.sound_pack(NOTES, "Clarinet", None, [0.0] * N, 50, 74, 0, request=_request())
    with pytest.raises(gr.Error, match="below the lowest"):
        sound_melody.sound_pack(NOTES, "Clarinet", None, [0.0] * N, 74, 50, 2, request=_request())


def _midi_bytes(msgs: list, tpb: int = 480) -> bytes:
    mid = mido.MidiFile(ticks_per_beat=tpb)
    mid.tracks.append(mido.MidiTrack(msgs))
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()


def test_bad_midi_files_and_bad_numbers_get_messages(tmp_path):
    good = midi.write_midi([Note(60, 0, 1)])
    drums = _midi_bytes(
        [
            mido.Message("note_on", channel=9, note=38, velocity=90, time=0),
            mido.Message("note_off", channel=9, note=38, time=240),
        ]
    )
    long = midi.write_midi([Note(60, 0, 1), Note(62, 5000, 1)], tempo_bpm=60)
    cases = {
        "empty.mid": (b"", "empty"),
        "drums.mid": (drums, "only drums"),
        "cut.mid": (good[:30], "damaged"),
        "long.mid": (long, "lasts 5,001 s"),
        "text.mid": (b"hello", "not a MIDI file"),
    }
    for name, (data, message) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(gr.Error, match=message):
            sound_melody.sound_render_midi(
                str(tmp_path / name), CURRENT_TIMBRE, 0, 0, NOTES, "Violin", None, [0.0] * N, request=_request()
            )
        with pytest.raises(gr.Error, match=message):
            _melody(SOURCES[1], midi_file=tmp_path / name)
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(16000, np.float32), 16000)
    for kwargs, message in (
        ({"recording": silent}, "silent"),
        ({"recording": None}, "Record or upload"),
        ({"recording": silent, "bars": 1000}, "bars must be between 1 and 64"),
        ({"source": SOURCES[3], "temperature": float("nan")}, "finite"),
        ({"source": SOURCES[3], "seed": ""}, "Type a seed"),
        ({"source": SOURCES[3], "tempo": 1000}, "tempo"),
        ({"source": SOURCES[3], "key": "H major"}, "unknown key"),
        ({"source": SOURCES[3], "bars": 64, "tempo": 30}, "at most 180 s"),
    ):
        with pytest.raises(gr.Error, match=message):
            _melody(**{"source": SOURCES[0], **kwargs})
    (tmp_path / "short.mid").write_bytes(good)
    with pytest.raises(gr.Error, match="tempo must be 0"):
        sound_melody.sound_render_midi(
            str(tmp_path / "short.mid"), CURRENT_TIMBRE, 5, 0, NOTES, "Violin", None, [0.0] * N, request=_request()
        )


def test_keep_lands_in_the_callers_workspace_with_its_midi_and_reopens(tmp_path):
    blob, _, midi_path, _ = _melody(SOURCES[1], midi_file=_primer_midi(tmp_path), bars=2, seed=5)
    kept = Path(sound_melody.sound_melody_keep(str(_shown(tmp_path, blob)), midi_path, request=_request(KEY_A)))
    mine, theirs = common.workspace(_request(KEY_A)).store, common.workspace(_request(KEY_B)).store
    assert [o.path for o in mine.list()] == [kept] and theirs.list() == []
    assert kept.with_suffix(".mid").read_bytes() == Path(midi_path).read_bytes()
    kept_wave, _ = sf.read(kept, dtype="float32")
    assert np.abs(kept_wave - sf.read(io.BytesIO(blob), dtype="float32")[0]).max() < 1e-4  # the one on screen
    rec = recipe.read(kept)
    ws = common.workspace(_request(KEY_A))
    tune = melody_replay.tune_of(rec, ReplayContext(ws.models_dir, ws.store))

    def ticks(notes):
        return [(n.pitch, round(n.start * 480), round(n.duration * 480), n.velocity) for n in notes]

    assert ticks(tune.notes) == ticks(midi.read_midi(kept.with_suffix(".mid")).tracks[0].notes)  # remade = kept
    sr, remade = melody_replay.remake(rec, ReplayContext(ws.models_dir, ws.store))
    assert sr == 16000 and abs(len(remade) - len(kept_wave)) < 160 and not melody_replay.exact(rec)
    values = sound_melody_restore.restore_values({**rec, "_kept": str(kept)}, _request(KEY_A))
    assert values["source"] == SOURCES[1]
    assert Path(values["midi_file"]).read_bytes() == _primer_midi(tmp_path).read_bytes()
    assert values["audio"] == str(kept) and values["seed"] == 5 and values["preset"] == "Violin"
    assert sound_melody_restore.accepts(rec) and not sound_melody_restore.accepts({"engine": "sound", "kind": "note"})
    with pytest.raises(gr.Error, match="not a melody"):
        note = tmp_path / "note.wav"
        note.write_bytes(recipe.wav_bytes(16000, np.zeros(100), {"engine": "sound", "kind": "note"}))
        sound_melody.sound_melody_keep(str(note), midi_path, request=_request())


def _primer_midi(tmp_path: Path) -> Path:
    path = tmp_path / "primer.mid"
    if not path.exists():
        path.write_bytes(midi.write_midi([Note(p, i * 0.5, 0.5, 90) for i, p in enumerate([62, 66, 69, 74, 69, 66])]))
    return path


def test_training_on_midi_files_lands_in_the_callers_models_only(tmp_path):
    rng = np.random.default_rng(0)
    files = []
    for i in range(3):
        notes = [Note(60 + int(rng.choice([0, 2, 4, 5, 7, 9, 11])), j * 0.5, 0.5) for j in range(24)]
        files.append(tmp_path / f"t{i}.mid")
        files[-1].write_bytes(midi.write_midi(notes))
    with zipfile.ZipFile(tmp_path / "more.zip", "w") as z:
        z.write(files[2], "inside/t2.mid")
        z.writestr("readme.txt", "not MIDI")
    outs = list(
        sound_melody.sound_melody_train(
            [str(files[0]), str(files[1]), str(tmp_path / "more.zip")],
            "tunes",
            STARTS[0],
            2,
            0,
            MELODY,
            request=_request(KEY_A),
        )
    )
    assert "3 melodies" in outs[0][0] and outs[-1][0].startswith("**Done**: Finished at step 2 of 2. Saved tunes (")
    assert "compact: training it again fine-tunes from it" in outs[-1][0]
    tunes = common.workspace(_request(KEY_A)).models_dir / "sound" / "tunes.pt"
    assert "opt" not in checkpoints.load(tunes, engine="sound").extra
    for out in sound_melody.sound_melody_train(
        [str(files[0]), str(files[1])], "tunes", STARTS[0], 200, 0, MELODY, request=_request(KEY_A)
    ):
        if "(fine-tuning tunes, 2 steps)" in out[0]:
            common.stop_training(_request(KEY_A))  # Stop, right after it started
    assert out[0].startswith("**Done**: Stopped at step 1 of 200; saved with its training state (")
    assert "opt" in checkpoints.load(tunes, engine="sound").extra
    assert "tunes (yours)" in melody_models(_request(KEY_A))
    assert "tunes (yours)" not in melody_models(_request(KEY_B))
    with pytest.raises(gr.Error, match="No MIDI files"):
        list(
            sound_melody.sound_melody_train([str(tmp_path / "x.txt")], "t", STARTS[0], 2, 0, MELODY, request=_request())
        )


def test_the_panel_builds_in_the_tab_and_a_kept_melody_reopens_through_the_tab(tmp_path):
    from studio import sound, sound_actions
    from studio.common import StudioContext

    with gr.Blocks() as demo:
        ctx = StudioContext(demo)
        with gr.Tab("Sound") as tab:
            sound.build(ctx, tab)
    blob, _, midi_path, _ = _melody(SOURCES[3], key="G major", bars=1, seed=2)
    kept = sound_melody.sound_melody_keep(str(_shown(tmp_path, blob)), midi_path, request=_request())
    rec = recipe.read(kept)
    assert ctx.restorers["sound"].accepts(rec)
    updates = ctx.restorers["sound"].fn(kept, request=_request())
    outputs = sound_actions.RESTORE_OUTPUTS
    assert len(updates) == len(outputs) == len(ctx.restorers["sound"].outputs)
    by_id = {getattr(c, "elem_id", None): u for c, u in zip(outputs, updates)}
    assert by_id["sound-melody-audio"] == kept and by_id["sound-melody-key"] == "G major"
    assert by_id["sound-preset"] == "Violin" and by_id["sound-melody-source"] == SOURCES[3]


def test_the_button_says_whether_it_continues_or_composes():
    assert sound_melody.run_label("nothing: compose")["value"] == "Compose a melody"
    assert all(sound_melody.run_label(s)["value"] == "Continue my melody" for s in SOURCES[:-1])
