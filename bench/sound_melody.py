"""The Sound tab's Melody panel. Keys: continuation_active (share of the 100-ms windows after the
primer whose RMS level is within 30 dB of the primer's loudest window, for the panel's Continue at
its default settings, one torch thread; target >= 0.8) with its worst case and how many
continuations it averages, over three primers: a hummed sine melody (a 'recording'), a violin
phrase rendered by the note VAE and written to a WAV (a recording of an instrument), and the
current note (a Sound note recipe); plus melody_ms_per_bar (generate + render 8 bars at 120 bpm,
cold note cache; from bench/melody.py) and melody_ms_per_bar_warm.

The old frame-RNN 'Continue' panel's collapse into silence is what continuation_active catches."""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np
import soundfile as sf
import torch

from bench import melody as melody_bench
from engines import recipe, tempfiles
from engines.settings import Settings
from engines.sound import compose, explore, melody_render
from engines.sound import melody_studio as ms
from engines.sound.midi import Note, Track

NOTE_MODEL = explore.BUNDLED_DIR / "notes.pt"
HUMMED = (60, 62, 64, 65, 67, 65, 64, 62)


def hummed(sr: int = 16000, seconds: float = 0.5) -> np.ndarray:
    """A 'sung' melody: sine tones with a few harmonics, a soft attack and a decay."""
    t = np.arange(int(seconds * sr)) / sr
    env = np.minimum(1, t * 60) * np.exp(-3 * t)
    return np.concatenate(
        [
            sum(0.4 / k * np.sin(2 * np.pi * 440 * 2 ** ((p - 69) / 12) * k * t) for k in range(1, 6)) * env
            for p in HUMMED
        ]
    ).astype(np.float32)


def _primers(work, model: explore.NoteModel) -> dict[str, tuple[str, str]]:
    """name -> (panel source, file): the hummed WAV, a violin phrase WAV, the current note's WAV."""
    hum, violin, note = work / "hum.wav", work / "violin.wav", work / "note.wav"
    sf.write(hum, hummed(), 16000)
    phrase = [Note(p, i * 0.5, 0.5, 96) for i, p in enumerate((67, 69, 71, 72, 74, 72, 71, 69))]
    sf.write(violin, melody_render.render_tracks(model, [Track("v", phrase)], ms.Timbre("Violin"), 120)[1], 16000)
    rec = explore.note_recipe(model, 64, 100, 1.5, next(iter(model.presets)), [0.0] * explore.N_SLIDERS)
    note.write_bytes(recipe.wav_bytes(16000, explore.note(model, 64, 100, 1.5, rec["preset"])[0], rec))
    return {
        "hummed": ("my recording", str(hum)),
        "violin": ("my recording", str(violin)),
        "current note": ("the current note", str(note)),
    }


def continuation_active(seeds: int) -> dict:
    """continuation_active through the panel's handler at its default settings (4 bars, temperature
    0.8, 120 bpm, no swing, key and metre from the primer, the tab's first preset)."""
    from studio import common, sound_melody
    from studio.sound_melody_panels import SOURCES

    model = explore.load_note_model(NOTE_MODEL)
    note_label = next(k for k, v in explore.available_models(None).items() if v.resolve() == NOTE_MODEL.resolve())
    melody_label = next(iter(compose.available_melody_models(None)))
    request = SimpleNamespace(headers={"x-atelier-workspace": "melody" * 4}, cookies={}, session_hash="b", session={})
    preset, flat = next(iter(model.presets)), [0.0] * explore.N_SLIDERS
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    shares: dict[str, list[float]] = {}
    try:
        with tempfiles.job_dir("bench-melody") as work:
            common.configure(
                Settings(models_dir=work / "m", outputs_dir=work / "o", workspaces_dir=work / "w"), shared=True
            )
            for name, (source, path) in _primers(work, model).items():
                for seed in range(seeds):
                    blob, _, _, _ = sound_melody.sound_melody(
                        melody_label,
                        source,
                        path if source == SOURCES[0] else None,
                        None,
                        path if source == SOURCES[2] else None,
                        4,
                        0.8,
                        seed,
                        120,
                        0.0,
                        ms.AUTO,
                        ms.AUTO,
                        note_label,
                        preset,
                        None,
                        flat,
                        request=request,
                    )
                    wave, sr = sf.read(io.BytesIO(blob), dtype="float32")
                    rec = _recipe(work, blob)
                    split = ms.split_seconds(rec["split"], rec["tempo_bpm"], rec["swing"])
                    shares.setdefault(name, []).append(ms.continuation_active(wave, sr, split))
    finally:
        torch.set_num_threads(threads)
        common.configure()
    every = [x for v in shares.values() for x in v]
    return {
        "continuation_active": round(float(np.mean(every)), 4),
        "continuation_active_min": round(float(np.min(every)), 4),
        "continuation_active_by_primer": {k: round(float(np.mean(v)), 4) for k, v in shares.items()},
        "continuation_active_pieces": len(every),
    }


def _recipe(work, blob: bytes) -> dict:
    path = work / "shown.wav"
    path.write_bytes(blob)
    return recipe.read(path)


def run(quick: bool = False) -> dict:
    out = continuation_active(3 if quick else 10)
    notes_model = explore.load_note_model(NOTE_MODEL)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out.update(melody_bench._speed(compose.load_melody_model(), notes_model, 2 if quick else 5))
    finally:
        torch.set_num_threads(threads)
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), indent=1))
