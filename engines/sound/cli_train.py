"""The training commands of `python -m engines.sound`: `train` (the note VAE, on the bundled FluidR3
recipe or the artist's recordings) and `train-melody` (the melody RNN, on music21's public-domain
fiddle tunes or a folder of MIDI files). Their options are made from the config dataclasses
(engines.cli), so a flag and the setting it sets cannot drift; each event is printed as one JSON line."""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import Iterable
from pathlib import Path

from engines import checkpoints, cli, tempfiles
from engines.events import TrainEvent
from engines.sound import audio, melody_data, render
from engines.sound.melody import MelodyConfig
from engines.sound.recipe import MelodyTrainConfig, TrainConfig
from engines.sound.spectrum import SpectrumSettings
from engines.sound.train import train_vae
from engines.sound.train_common import ENGINE
from engines.sound.train_melody import train_melody
from engines.sound.vae import NoteVAEConfig

VAE_SHAPE = ("n_mels", "frames", "log_mean", "log_scale")  # set by the data, not by a flag
COMPACT = "when the run completes its steps, save no optimiser state (training it again fine-tunes)"
VAE_HELPS = {
    "kl_weight": "final weight of KL (nats per note) against L1 (per mel value)",
    "kl_warmup": "steps over which the KL weight rises from 0",
    "bf16": "bfloat16 autocast (faster on recent CPUs and GPUs)",
    "time_budget_s": "stop (and save) after this many seconds",
    "lr_schedule": "constant, or cosine (down to a tenth of lr)",
    "compact": COMPACT,
    "latent": "timbre numbers per note",
}
MELODY_HELPS = {
    "window": "events per training window",
    "transpose": "random key shift of each window, in semitones",
    "time_budget_s": "stop (and save) after this many seconds",
    "compact": COMPACT,
    "hidden": "GRU width",
    "embed": "width of each input embedding",
}


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The `train` and `train-melody` commands with every option of their configs."""
    t = sub.add_parser("train", help="train a note VAE (timbre sliders)")
    t.add_argument(
        "--data", nargs="+", required=True, help="'fluidr3' (the bundled recipe) or audio files/folders/zips"
    )
    _common(t, "fine-tune from this Sound note model", "also write a compact float16 copy into this folder when done")
    cli.add_options(t, TrainConfig, helps=VAE_HELPS)
    cli.add_options(t, NoteVAEConfig, skip=VAE_SHAPE, helps=VAE_HELPS)
    m = sub.add_parser("train-melody", help="train a melody model (note events -> next note)")
    m.add_argument(
        "--data",
        default="music21",
        help="'music21' (public-domain fiddle tunes from music21's corpus; needs the train extra) "
        "or a folder of MIDI files",
    )
    m.add_argument("--cache", default="runs/melody/corpus", help="parsed-corpus cache folder (music21 data)")
    m.add_argument("--no-parse", action="store_true", help="train on what the corpus cache already holds")
    m.add_argument("--workers", type=int, default=1, help="processes parsing the corpus the first time")
    _common(m, "fine-tune from this melody model", "also write a compact float16 copy (no optimiser) here")
    cli.add_options(m, MelodyTrainConfig, helps=MELODY_HELPS)
    cli.add_options(m, MelodyConfig, helps=MELODY_HELPS)


def _common(p: argparse.ArgumentParser, init_help: str, bundle_help: str) -> None:
    """The options both training commands take that are not config fields."""
    p.add_argument("--out", required=True, help="checkpoint to write (a run that ended early resumes from it)")
    p.add_argument("--init-from", default=None, help=init_help)
    p.add_argument("--bundle", default=None, help=bundle_help)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: the device default)")


def _print(events: Iterable[TrainEvent]) -> None:
    """One JSON line per event: step, named losses, seconds, ETA and how it ended."""
    for ev in events:
        losses = {k: None if v is None or math.isnan(v) else round(v, 4) for k, v in ev.losses.items()}
        line = {"step": ev.step, **losses, "seconds": round(ev.seconds, 1), "eta_s": ev.eta_s, "msg": ev.message}
        print(json.dumps(line), flush=True)


def _bundle(args: argparse.Namespace, digits: int) -> None:
    if args.bundle:
        dst = checkpoints.export_compact(args.out, Path(args.bundle) / Path(args.out).name, ENGINE)
        print(f"bundled {dst} ({dst.stat().st_size / 1e6:.{digits}f} MB)", flush=True)


def _threads(args: argparse.Namespace) -> None:
    if args.threads:
        os.environ["ATELIER_THREADS"] = str(args.threads)  # engines.device.configure reads it


def run_train(args: argparse.Namespace) -> None:
    """`train`: prepare the notes, train the note VAE, print its events, bundle it if asked."""
    _threads(args)
    settings = SpectrumSettings(n_mels=128)
    t0 = time.time()
    if args.data == ["fluidr3"]:
        notes = render.render_notes(settings)
        note = (
            f"FluidR3_GM (fluid-soundfont-gm, MIT) via tinysoundfont: {len(render.PROGRAMS)} General MIDI "
            f"programs x MIDI {render.LOW}-{render.HIGH} x velocities {list(render.VELOCITIES)} = "
            f"{len(notes):,} notes of {render.NOTE_FRAMES} frames, 5% held out"
        )
        names = {prog: render.GM_NAMES[prog] for prog in render.PRESETS}
    else:
        with tempfiles.job_dir("sound-train") as work:  # unpacked zips go once the data is read
            clips = audio.load_many(args.data, settings, work, max_bytes=10**12)  # the artist's own folders
        notes, names = audio.notes_from_clips(clips, settings)
        note = f"{len(notes):,} notes cut by onsets from {len(clips)} file(s): {', '.join(c.name for c in clips[:8])}"
    print(f"{note} (prepared in {time.time() - t0:.0f} s)", flush=True)
    cfg, model_cfg = cli.from_args(TrainConfig, args), cli.from_args(NoteVAEConfig, args)
    out, init = args.out, args.init_from
    events = train_vae(notes, out, settings, model_cfg, cfg, names, device=args.device, data_note=note, init_from=init)
    _print(events)
    _bundle(args, 1)


def run_train_melody(args: argparse.Namespace) -> None:
    """`train-melody`: read the tunes, train the melody RNN, print its events, bundle it if asked."""
    _threads(args)
    cfg, model_cfg = cli.from_args(MelodyTrainConfig, args), cli.from_args(MelodyConfig, args)
    t0 = time.time()
    if args.data == "music21":
        tunes = melody_data.read_corpus(args.cache, workers=args.workers, parse=not args.no_parse)
        licence = melody_data.LICENCE_NOTE
        note = f"{len(tunes):,} tunes from music21's corpus ({', '.join(melody_data.REPERTORIES)})"
    else:
        tunes, problems = melody_data.read_midi_folder(args.data)
        if problems:
            print(f"{len(problems)} MIDI file(s) skipped, e.g. {problems[0]}", flush=True)
        licence, note = "the artist's own MIDI files", f"{len(tunes):,} tracks from MIDI files in {args.data}"
    train, held = melody_data.split_by_tune(tunes, by="title" if args.data == "music21" else "source")
    note += f"; {len(held)} whole tunes held out (by title); random transpositions of up to {cfg.transpose} semitones"
    print(f"{note} (read in {time.time() - t0:.0f} s)", flush=True)
    events = train_melody(
        train,
        held,
        args.out,
        model_cfg,
        cfg,
        device=args.device,
        data_note=note,
        licence=licence,
        init_from=args.init_from,
    )
    _print(events)
    _bundle(args, 2)
