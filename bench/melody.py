"""Melody benchmark. Keys: melody_val_nll and melody_val_nll_unigram (nats per note event on whole
held-out tunes; target: at least 30% below the unigram), melody_in_key (share of generated notes in
the primer's key, temperature 0.8, continuations of held-out primers; target >= 0.85),
melody_pitch_match (share of rendered notes whose pyin pitch is within 50 cents of the note; target
>= 0.9), melody_ms_per_bar (generate + render 8 bars at 120 bpm, cold note cache; target <= 250 ms),
plus melody_ms_per_bar_warm and the counts behind each figure.

The held-out tunes come from the training recipe's parsed-corpus cache (runs/melody/corpus, written
by `python -m engines.sound train-melody --data music21`); without it (and without music21) the NLLs
are read from the checkpoint's metadata and the key test is skipped (None)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from engines.sound import compose, explore, melody_render, tunes
from engines.sound.midi import Track

CORPUS_CACHE = Path("runs/melody/corpus")
NOTE_MODEL = explore.BUNDLED_DIR / "notes.pt"
PRESETS = ("Flute", "Violin", "Clarinet", "Acoustic Grand Piano")


def _held_out() -> list[tunes.Tune] | None:
    if not any(CORPUS_CACHE.glob("*.json")):
        return None
    from engines.sound import melody_data

    tunes = melody_data.read_corpus(CORPUS_CACHE, parse=False)
    return melody_data.split_by_tune(tunes)[1]


def _nll(model: compose.MelodyModel, held: list[tunes.Tune] | None) -> dict:
    metrics = model.meta.get("metrics", {})
    if held is None:
        return {
            "melody_val_nll": metrics.get("val_nll"),
            "melody_val_nll_unigram": metrics.get("val_nll_unigram"),
            "melody_nll_source": "checkpoint metadata",
        }
    from engines.sound import melody_data
    from engines.sound.train_melody import event_set, held_out_nll, unigram_nll

    train = melody_data.split_by_tune(melody_data.read_corpus(CORPUS_CACHE, parse=False))[0]
    held_set = event_set(held, max_len=1024)
    return {
        "melody_val_nll": round(held_out_nll(model.rnn, held_set), 4),
        "melody_val_nll_unigram": round(unigram_nll(event_set(train, max_len=4096), held_set), 4),
        "melody_held_out_tunes": len(held_set),
        "melody_nll_source": "held-out tunes",
    }


def _primer(tune: tunes.Tune, bars: int = 2) -> tunes.Tune:
    """The tune's first `bars` bars (after any pickup)."""
    end = bars * tune.bar_beats - tune.pickup
    return tunes.Tune([n for n in tune.notes if n.start < end - 1e-6], tune.key, tune.metre, tune.pickup)


def _in_key(model: compose.MelodyModel, held: list[tunes.Tune] | None, count: int) -> dict:
    if held is None:
        return {"melody_in_key": None}
    usable = [t for t in held if t.key is not None and len(_primer(t).notes) >= 4][:count]
    shares, notes = [], 0
    for i, tune in enumerate(usable):
        out = compose.continue_tune(model, _primer(tune), bars=4, temperature=0.8, seed=i)
        shares.append(tunes.in_key_share(out.new_notes, tune.key) * len(out.new_notes))
        notes += len(out.new_notes)
    return {
        "melody_in_key": round(sum(shares) / max(notes, 1), 4),
        "melody_in_key_continuations": len(usable),
        "melody_in_key_notes": notes,
    }


def _pitch_match(model: compose.MelodyModel, notes_model: explore.NoteModel, pieces: int) -> dict:
    """Render composed tunes at 120 bpm and compare each note's median pyin pitch (over its held
    part) with the note, after the octave move into the note model's range."""
    import librosa

    lo, hi = notes_model.pitch_range
    hits = total = skipped = 0
    for i in range(pieces):
        tune = compose.compose(
            model,
            tunes.Key(i * 5 % 12, "major" if i % 2 == 0 else "minor"),
            (4, 4),
            bars=4,
            temperature=0.8,
            seed=100 + i,
        ).tune
        sr, wave = melody_render.render_tracks(
            notes_model, [Track("m", tune.notes)], melody_render.Timbre(PRESETS[i % len(PRESETS)]), 120.0
        )
        hop = 256
        f0, voiced, _ = librosa.pyin(wave, fmin=80, fmax=1400, sr=sr, frame_length=1024, hop_length=hop)
        for n in tune.notes:
            start, length = n.start * 0.5, n.duration * 0.5 * melody_render.LEGATO
            if length < 0.12:
                skipped += 1  # too short for pyin's 64 ms frames to read
                continue
            a, b = int((start + 0.04) * sr / hop), int((start + length - 0.02) * sr / hop)
            seg = f0[a:b][voiced[a:b] & np.isfinite(f0[a:b])]
            target = melody_render.fit_pitch(n.pitch, lo, hi)
            total += 1
            hits += bool(len(seg) and abs(librosa.hz_to_midi(np.median(seg)) - target) < 0.5)
    return {
        "melody_pitch_match": round(hits / max(total, 1), 4),
        "melody_pitch_notes": total,
        "melody_pitch_notes_too_short": skipped,
    }


def _speed(model: compose.MelodyModel, notes_model: explore.NoteModel, repeats: int) -> dict:
    def once(seed: int) -> float:
        t = time.perf_counter()
        tune = compose.compose(model, "G major", (4, 4), bars=8, temperature=0.8, seed=seed).tune
        melody_render.render_tracks(notes_model, [Track("m", tune.notes)], melody_render.Timbre("Flute"), 120.0)
        return (time.perf_counter() - t) * 1000 / 8

    once(0)  # load and warm up
    cold = []
    for r in range(repeats):
        melody_render.clear_cache()
        cold.append(once(r + 1))
    warm = [once(r + 1) for r in range(repeats)]
    return {
        "melody_ms_per_bar": round(float(np.median(cold)), 1),
        "melody_ms_per_bar_warm": round(float(np.median(warm)), 1),
        "melody_threads": torch.get_num_threads(),
    }


def run(quick: bool = False) -> dict:
    model = compose.load_melody_model()
    notes_model = explore.load_note_model(NOTE_MODEL)
    held = _held_out()
    out = {"melody_model": model.name, "melody_checkpoint": model.hash}
    out.update(_nll(model, held))
    out.update(_in_key(model, held, 12 if quick else 50))
    out.update(_pitch_match(model, notes_model, 2 if quick else 8))
    out.update(_speed(model, notes_model, 2 if quick else 5))
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), indent=1))
