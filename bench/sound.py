"""Sound benchmark. Keys: note_2s_ms, vocoder_speedup_vs_librosa (with vocoder_sc and
vocoder_sc_librosa), pitch_accuracy (pitch_notes), recon_logmel_l1 (recon_notes)
(plus slider_roundtrip_ms, machine), onset_click_ratio (the largest first sample over peak, every
preset at MIDI 60, through the tab's generate path; <= 0.01), tail_cut_db (the loudest level of a
note's last 10 ms before its end fade, relative to its peak; below -40 dB), sweep_5x5_s (a 5 x 5
sweep through the tab's handler, one torch thread). The tab's Continue, the Melody panel, adds the
keys of bench/melody.py and bench/sound_melody.py (continuation_active, melody_ms_per_bar, ...).

recon_logmel_l1 re-renders the bundled model's held-out notes from the soundfont (the same
seeded 5% split the recipe held out), so it needs Debian's fluid-soundfont-gm and tinysoundfont."""

from __future__ import annotations

import os
import platform
import time

import numpy as np
import torch

from bench import melody as melody_bench
from bench import sound_melody as sound_melody_bench
from bench.server import roundtrip_ms
from bench.timing import median_ms
from engines.device import configure
from engines.sound import explore, note_audio, render, spectrum
from engines.sound.train import split

NOTE_MODEL = explore.BUNDLED_DIR / "notes.pt"
HOLD_FOR_2S = 2.0 - (render.NOTE_FRAMES - note_audio.RELEASE_START - 4) * 256 / 16000  # held + release = 2 s


def _vocoder(model: explore.NoteModel, repeats: int) -> dict:
    """Our vocoder against librosa's mel_to_audio on the same mel of a real note (32 iterations each)."""
    import librosa

    s = model.settings
    wave = render.level(render.Renderer().note(0, 60, 100), 100) if _has_soundfont() else _tone(s)
    mel = spectrum.audio_to_mel(wave, s)
    ours_ms = median_ms(lambda: spectrum.mel_to_audio(mel, s, length=len(wave)), repeats=repeats, warmup=1)

    def theirs():
        return librosa.feature.inverse.mel_to_audio(
            mel, sr=s.sample_rate, n_fft=s.n_fft, hop_length=s.hop, n_iter=32, norm="slaney", length=len(wave)
        )

    librosa_ms = median_ms(theirs, repeats=max(1, repeats // 3), warmup=1)
    sc = spectrum.spectral_convergence(spectrum.mel_to_audio(mel, s, length=len(wave)), wave, s)
    sc_ref = spectrum.spectral_convergence(theirs(), wave, s)
    return {
        "vocoder_speedup_vs_librosa": round(librosa_ms / ours_ms, 2),
        "vocoder_ms": round(ours_ms, 1),
        "vocoder_librosa_ms": round(librosa_ms, 1),
        "vocoder_sc": round(sc, 4),
        "vocoder_sc_librosa": round(sc_ref, 4),
    }


def _tone(s: spectrum.SpectrumSettings) -> np.ndarray:
    t = np.arange(2 * s.sample_rate) / s.sample_rate
    return (0.5 * np.exp(-2 * t) * sum(np.sin(2 * np.pi * 261.6 * k * t) / k for k in range(1, 8))).astype(np.float32)


def _has_soundfont() -> bool:
    try:
        render.find_soundfont()
        import tinysoundfont  # noqa: F401

        return True
    except (FileNotFoundError, ImportError):
        return False


def _pitch_accuracy(model: explore.NoteModel, n: int) -> float:
    """Share of notes from random latents whose pyin median f0 is within 50 cents of the request."""
    from engines.sound.audio import estimate_pitch

    lo, hi = model.pitch_range
    gen = torch.Generator().manual_seed(0)
    hits = 0
    for i in range(n):
        pitch = lo + (hi - lo) * i / max(1, n - 1)
        z = torch.randn(model.vae.cfg.latent, generator=gen)
        wave, _ = explore.note(model, round(pitch), 100, 1.0, base=z.tolist())
        found = estimate_pitch(wave, model.settings.sample_rate)
        hits += found is not None and abs(found - round(pitch)) < 0.5
    return round(hits / n, 3)


def _held_out(model: explore.NoteModel, n: int) -> render.NoteSet:
    """The recipe's held-out notes, re-rendered (same order, same seeded split)."""
    combos = [(p, q, v) for p in render.PROGRAMS for q in range(render.LOW, render.HIGH + 1) for v in render.VELOCITIES]
    _, val = split(len(combos), seed=0)
    pick = [combos[i] for i in val[np.linspace(0, len(val) - 1, n).astype(int)]]
    r, s = render.Renderer(), model.settings
    total = (render.NOTE_FRAMES - 1) * s.hop
    mels = [
        spectrum.audio_to_logmel(render.level(r.note(p, q, v, total_samples=total), v), s)[:, : render.NOTE_FRAMES]
        for p, q, v in pick
    ]
    return render.NoteSet(
        np.stack(mels).astype(np.float16),
        np.array([c[1] for c in pick]),
        np.array([c[2] for c in pick]),
        np.array([c[0] for c in pick]),
    )


def _roundtrip_ms(n: int) -> float:
    return roundtrip_ms(
        "/sound_generate",
        lambda v: ("notes (bundled)", "Flute", 60, 100, HOLD_FOR_2S, None, v, *([0.0] * (explore.N_SLIDERS - 1))),
        n,
    )


def _studio_path() -> dict:
    """onset_click_ratio, tail_cut_db and sweep_5x5_s, measured through the Sound tab's handlers
    (a shared studio over a scratch folder, one torch thread)."""
    import io
    from types import SimpleNamespace

    import soundfile as sf

    from engines import tempfiles
    from engines.settings import Settings
    from studio import common, sound

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    request = SimpleNamespace(headers={"x-atelier-workspace": "bench" * 5}, cookies={}, session_hash="b", session={})
    model = explore.load_note_model(NOTE_MODEL)
    label = next(k for k, v in explore.available_models(None).items() if v.resolve() == NOTE_MODEL.resolve())
    onset, tail, flat = 0.0, -200.0, [0.0] * explore.N_SLIDERS
    try:
        with tempfiles.job_dir("bench-sound") as work:
            common.configure(
                Settings(models_dir=work / "m", outputs_dir=work / "o", workspaces_dir=work / "w"), shared=True
            )
            for preset in model.presets:
                wav, _ = sound.sound_generate(label, preset, 60, 100, 1.0, None, flat, request=request)
                wave, sr = sf.read(io.BytesIO(wav), dtype="float32")
                peak, end = float(np.abs(wave).max()), int(note_audio.END_FADE_S * sr)
                onset = max(onset, abs(float(wave[0])) / peak)
                level = float(np.sqrt(np.mean(wave[-2 * end : -end] ** 2)))
                tail = max(tail, 20 * np.log10(level / peak + 1e-12))
            t = time.perf_counter()
            for _ in sound.sound_sweep_run(
                label, "Flute", 60, 100, 1.0, None, flat, "pitch", "48:72:5", "timbre 1", "-2:2:5", request=request
            ):
                pass
            sweep_s = time.perf_counter() - t
    finally:
        torch.set_num_threads(threads)
        common.configure()
    return {
        "onset_click_ratio": round(float(onset), 5),
        "tail_cut_db": round(float(tail), 1),
        "sweep_5x5_s": round(sweep_s, 2),
    }


def run(quick: bool = False) -> dict:
    configure("cpu")
    model = explore.load_note_model(NOTE_MODEL)
    presets = iter(list(model.presets) * 50)
    result = {
        "note_2s_ms": median_ms(
            lambda: explore.note(model, 60, 100, HOLD_FOR_2S, next(presets)), repeats=10 if quick else 30, warmup=2
        )
    }
    result.update(_vocoder(model, 3 if quick else 9))
    n_pitch = 60 if quick else 200
    result["pitch_accuracy"] = _pitch_accuracy(model, n_pitch)
    result["pitch_notes"] = n_pitch
    if _has_soundfont():
        from engines.sound.train import vae_metrics

        held = _held_out(model, 128 if quick else 666)
        result["recon_logmel_l1"] = round(vae_metrics(model.vae, held, max_notes=len(held))["recon_logmel_l1"], 4)
        result["recon_notes"] = len(held)
    else:
        result["recon_logmel_l1"] = None
        result["recon_note"] = (
            "needs apt fluid-soundfont-gm and pip --no-deps tinysoundfont to re-render held-out notes"
        )
    result.update(_studio_path())
    result["slider_roundtrip_ms"] = _roundtrip_ms(15 if quick else 40)
    result.update(melody_bench.run(quick))  # melody_val_nll(_unigram), melody_in_key, melody_pitch_match, ...
    result.update(sound_melody_bench.run(quick))  # continuation_active, melody_ms_per_bar (the tab's Continue)
    result["machine"] = " ".join(
        filter(
            None,
            [
                platform.machine(),
                f"{os.cpu_count()} cpus",
                f"torch {torch.__version__}",
                f"{torch.get_num_threads()} threads",
            ],
        )
    )
    return result
