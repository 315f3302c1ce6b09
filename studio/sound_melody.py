"""Sound tab, the Melody panel: continue a sung, played or MIDI melody (or compose one in a key
and metre) with the melody RNN and play it with the tab's timbre; play any MIDI file through the
note model; export the timbre as an SFZ sample pack; train a melody model on the artist's MIDI
files. Handlers first (plain functions), then `build(ctx, tab, ui)`, which studio/sound.py calls
with its components; the layout is in studio/sound_melody_panels.py, the work in engines.sound."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pandas as pd
from PIL import Image

from engines import limits, tempfiles
from engines import recipe as recipes
from engines.jobs import Ticket
from engines.replay import ReplayContext
from engines.sound import audio, instrument, melody, melody_render, melody_replay, midi, sfz
from engines.sound import melody_studio as ms
from engines.sound.melody_train import MelodyEvent, MelodyTrainConfig, train_melody
from studio import common, sound_actions
from studio import sound_melody_panels as panels
from studio.common import StudioContext, friendly, one_input_per_slider
from studio.sound_melody_panels import CURRENT_TIMBRE, SOURCES, STARTS
from studio.sound_panels import (
    CENTRE,
    MY_SOUND,
    N_SLIDERS,
    NAME,
    _explicit,
    _preset_name,
    _source,
    models_of,
    note_model,
)

_SLOTS: dict[str, int] = {}  # restore value name -> position in the tab's RESTORE_OUTPUTS (build fills it)


# ------------------------------------------------------------------ models
def melody_models(request: gr.Request | None) -> dict[str, Path]:
    """Bundled melody models and the caller's own (from their workspace)."""
    return melody.available_melody_models(common.workspace(request).models_dir / NAME)


def melody_model(label: str | None, request: gr.Request | None) -> melody.MelodyModel:
    """The melody model a label names, for this caller."""
    return melody.load_melody_model(common.pick_model(melody_models(request), label, "melody model"))


@friendly
def melody_list(label: str | None, request: gr.Request | None = None) -> gr.Dropdown:
    """This caller's melody models (a vanished choice falls back to the first)."""
    found = melody_models(request)
    return gr.Dropdown(choices=list(found), value=label if label in found else next(iter(found), None))


@friendly
def play_as_choices(model_label: str | None, choice: str | None, request: gr.Request | None = None) -> gr.Dropdown:
    """MIDI in's 'play as' list for the chosen note model: the tab's timbre, GM programs, its presets."""
    names = [CURRENT_TIMBRE, ms.GM, *note_model(model_label, request).presets]
    return gr.Dropdown(choices=names, value=choice if choice in names else CURRENT_TIMBRE)


def _timbre(preset: str | None, timbre: list | dict | None, sliders: list[float]) -> ms.Timbre:
    """The tab's timbre as a render timbre."""
    return ms.timbre_of(_preset_name(preset), sliders, _explicit(preset, timbre))


# ------------------------------------------------------------------ continue my melody
def _primer(
    source: str,
    recording: str | None,
    midi_file: str | None,
    current: str | None,
    tempo: float,
    request: gr.Request | None,
) -> tuple[melody.Tune | None, dict]:
    """The primer the Source names and how the recipe refers to it (uploads kept in the Gallery inputs)."""
    if source not in SOURCES:
        raise ValueError(f"Choose where the melody starts: {', '.join(SOURCES)}.")
    if source == SOURCES[3]:
        return None, {"source": "none"}
    path = {SOURCES[0]: recording, SOURCES[1]: midi_file, SOURCES[2]: current}[source]
    if not path:
        raise ValueError(
            {
                SOURCES[0]: "Record or upload a melody first (sing, hum or play a few notes).",
                SOURCES[1]: "Upload a MIDI file first (.mid or .midi).",
                SOURCES[2]: "Play a note above first.",
            }[source]
        )
    if source == SOURCES[1] and Path(path).suffix.lower() not in melody_render.MIDI_SUFFIXES:
        raise ValueError(f"{Path(path).name} is not a MIDI file (.mid or .midi).")
    if source == SOURCES[2]:
        rec = recipes.read(path)
        if rec.get("engine") == NAME and rec.get("kind") == "note":
            return ms.primer_from_note(rec, tempo), {"source": "note", "note": rec}
        wave, sr = audio.sf_read(path)
        tune = ms.primer_from_wave(wave, sr, limits.number(tempo, "The tempo (bpm)", *melody_render.TEMPO_RANGE))
    else:
        tune = melody_render.primer_from_file(path, limits.number(tempo, "The tempo (bpm)", *melody_render.TEMPO_RANGE))
    ws = common.workspace(request)
    ws.check_room(Path(path).stat().st_size)
    suffix = ".mid" if source == SOURCES[1] else (Path(path).suffix.lower() or ".wav")
    return tune, {
        "source": ["recording", "midi", "sound"][SOURCES.index(source)],
        "input": ws.store.keep_input(path, suffix),
    }


@friendly
def sound_melody(
    melody_label: str,
    source: str,
    recording: str | None,
    midi_file: str | None,
    current: str | None,
    bars: float,
    temperature: float,
    seed: float | None,
    tempo: float,
    swing: float,
    key: str,
    metre: str,
    model_label: str,
    preset: str,
    timbre: list | dict | None,
    sliders: list[float],
    request: gr.Request | None = None,
) -> tuple[bytes, Image.Image, str, str]:
    """Continue the primer (a recording, a MIDI file, the current note) by some bars, or compose from
    nothing in a key and metre, and play it with the tab's timbre. Returns (the WAV carrying its
    recipe, the piano roll, the MIDI file to download, what was heard and made)."""
    seed = limits.seed(seed)
    bars = limits.whole(bars, "The bars", *melody.BARS_RANGE)
    temperature = limits.number(temperature, "The temperature", *melody.TEMPERATURE_RANGE)
    tempo = limits.number(tempo, "The tempo (bpm)", *melody_render.TEMPO_RANGE)
    swing = limits.number(swing, "The swing", *melody_render.SWING_RANGE)
    if key not in (ms.AUTO, *ms.KEYS):
        melody.Key.parse(key)  # a typed key is welcome when it is a key; this names the problem otherwise
    primer, info = _primer(source, recording, midi_file, current, tempo, request)
    mm, nm = melody_model(melody_label, request), note_model(model_label, request)
    piece = ms.make_piece(
        nm, mm, primer, info, bars, temperature, seed, _timbre(preset, timbre, sliders), tempo, swing, key, metre
    )
    if _source(preset, timbre):
        piece.recipe["source"] = _source(preset, timbre)
    ws = common.workspace(request)
    ws.check_room(len(piece.midi) + 2 * len(piece.wave) + 50_000)
    midi_path = ws.store.input_path(ws.store.keep_input(piece.midi, ".mid"))
    heard = piece.recipe["primer_notes"]
    made = len(piece.tune.notes) - heard
    said = (
        f"Continued the **{heard} notes** heard" if heard else "Composed"
    ) + f" · {made} new notes · **{piece.recipe['key']}**, {piece.recipe['metre']} · {float(tempo):g} bpm"
    return recipes.wav_bytes(piece.sample_rate, piece.wave, piece.recipe), piece.picture, str(midi_path), said


@friendly
def sound_melody_keep(shown: str | None, midi_file: str | None, request: gr.Request | None = None) -> str:
    """Keep the melody or MIDI render on screen (not made again) in the caller's Gallery with its
    recipe, and its MIDI file beside it as <id>.mid; returns the kept WAV's path."""
    if not shown or not Path(shown).is_file():
        raise ValueError("Make a melody first; Keep saves the one on screen.")
    rec = recipes.read(shown)
    if rec.get("engine") != NAME or rec.get("kind") not in ms.KINDS:
        raise ValueError("The sound on screen is not a melody made here; make one first.")
    if not midi_file or not Path(midi_file).is_file():
        raise ValueError("The melody's MIDI file is missing; make the melody again.")
    data = ms.midi_bytes_ok(Path(midi_file).read_bytes())
    wave, sr = audio.sf_read(shown)
    ws = common.workspace(request)
    ws.check_room(2 * len(wave) + len(data) + 50_000)
    title = (
        f"{rec.get('model', 'melody')} · {rec.get('key', '')} · {rec.get('bars', '')} bars"
        if rec["kind"] == "melody"
        else f"MIDI · {Path(midi_file).name}"
    )
    out = ws.store.save_sound(sr, wave, rec, title=title)
    out.path.with_suffix(".mid").write_bytes(data)
    gr.Info("Kept in the Gallery, with its MIDI file.")
    return str(out.path)


# ------------------------------------------------------------------ MIDI in and the sample pack
@friendly
def sound_render_midi(
    midi_file: str | None,
    play_as: str,
    tempo: float,
    swing: float,
    model_label: str,
    preset: str,
    timbre: list | dict | None,
    sliders: list[float],
    request: gr.Request | None = None,
) -> tuple[bytes, Image.Image, str]:
    """Play a MIDI file through the note model (every track as the tab's timbre, as one preset, or by
    its General MIDI program; velocities kept, tracks mixed; tempo 0 = the file's own). Returns
    (the WAV carrying its recipe, the piano roll, how each track was played)."""
    if not midi_file:
        raise ValueError("Upload a MIDI file first (.mid or .midi).")
    nm = note_model(model_label, request)
    song = midi.read_midi(midi_file)
    tab = _timbre(preset, timbre, sliders)
    chosen = tab if play_as in (None, "", CURRENT_TIMBRE) else ms.Timbre(_preset_name(play_as))
    if chosen.preset and chosen.preset not in nm.presets and play_as != ms.GM:
        raise ValueError(f"{nm.name} has no preset '{str(play_as)[:60]}'.")
    (sr, wave), roll, said = ms.render_song(nm, song, play_as, chosen, tempo, swing)
    ws = common.workspace(request)
    ws.check_room(Path(midi_file).stat().st_size)
    rec = {
        **ms.midi_recipe(nm, ws.store.keep_input(midi_file, ".mid"), play_as, chosen, tempo, swing),
        "play_as": play_as or CURRENT_TIMBRE,
    }
    if play_as in (None, "", CURRENT_TIMBRE) and _source(preset, timbre):
        rec["source"] = _source(preset, timbre)
    return recipes.wav_bytes(sr, wave, rec), roll, said


@friendly
def sound_pack(
    model_label: str,
    preset: str,
    timbre: list | dict | None,
    sliders: list[float],
    low: float,
    high: float,
    step: float,
    request: gr.Request | None = None,
) -> tuple[str, str]:
    """The tab's timbre played from `low` to `high` every `step` semitones, zipped with an SFZ file
    (kept in the caller's workspace for download). Returns (the zip's path, what it holds)."""
    nm = note_model(model_label, request)
    pitches = sfz.pack_notes(nm, low, high, step)
    name = _preset_name(preset) or ("my sound" if preset == MY_SOUND else "centre")
    data = sfz.export_pack(nm, _timbre(preset, timbre, sliders), pitches[0], pitches[-1], int(step), name=name)
    ws = common.workspace(request)
    ws.check_room(len(data))
    path = ws.store.input_path(ws.store.keep_input(data, ".zip"))
    return str(path), (
        f"**{len(pitches)} samples** ({pitches[0]}-{pitches[-1]}, every {int(step)} semitones) "
        f"and an SFZ file, {len(data) / 1e6:.1f} MB."
    )


# ------------------------------------------------------------------ training
def _train_status(ev: MelodyEvent, name: str, said: str) -> str:
    """One line about a training event: step, losses, ETA."""
    if ev.done:
        return f"**Done** ({ev.message}): step {ev.step}. The model **{name} (yours)** is in the list."
    if ev.step == 0:
        return f"**{ev.message}**. {said}"
    eta = f" · about {ev.eta:.0f} s to go" if ev.eta is not None else ""
    val = f" · held out {ev.val:.3f}" if ev.val is not None else ""
    return f"**Training**: step {ev.step} of {ev.total} · loss {ev.loss:.3f}{val} · {ev.elapsed:.0f} s{eta}"


def _train_stream(
    events: Iterator[MelodyEvent], ticket: Ticket, name: str, said: str, request: gr.Request | None
) -> Iterator[tuple]:
    """The training's outputs as it runs; a closed page stops it and saves (common.finish_on_close)."""
    rows: list[dict] = []
    with contextlib.closing(common.finish_on_close(events, ticket.stop_token)) as watched:
        for ev in watched:
            if ev.step and ev.loss == ev.loss:
                rows.append({"step": ev.step, "loss": ev.loss, "split": "training"})
                if ev.val is not None:
                    rows.append({"step": ev.step, "loss": ev.val, "split": "held out"})
            models = (
                gr.Dropdown(choices=list(melody_models(request)), value=f"{name} (yours)") if ev.done else gr.update()
            )
            yield _train_status(ev, name, said), (pd.DataFrame(rows[-800:]) if rows else gr.update()), models


@friendly
def sound_melody_train(
    files: list | None,
    name: str,
    start: str,
    steps: float,
    minutes: float | None,
    melody_label: str | None,
    request: gr.Request | None = None,
) -> Iterator[tuple]:
    """Train a melody model on the caller's MIDI files (resumed when the name exists; or fine-tuned
    from the selected model), through the studio's training queue; streams (status, loss plot, models)."""
    name = (name or "").strip()
    if not files:
        raise ValueError("Add your MIDI files first (.mid, .midi, or a zip of them).")
    steps = limits.whole(steps, "Steps", 1, limits.MAX_TRAIN_STEPS)
    budget = common.budget_s(minutes)
    paths = [str(getattr(f, "name", None) or getattr(f, "path", None) or f) for f in files]
    with common.training_ticket("Melody training", name, request) as ticket:
        for line in common.wait_turn(ticket):
            yield line, gr.update(), gr.update()
        with tempfiles.job_dir("melody-train") as work:
            ms.gather_midi(paths, work)
            train, held, said = ms.read_tunes(work)
        out = common.workspace(request).engine_models_dir(NAME) / f"{name}.pt"
        init = melody_models(request).get(melody_label) if start == STARTS[1] and not out.exists() else None
        cfg = MelodyTrainConfig(
            steps=steps,
            eval_every=max(10, min(250, steps // 10)),
            checkpoint_every=max(10, min(500, steps // 5)),
            time_budget_s=budget,
        )
        events = train_melody(
            train,
            held,
            out,
            cfg=cfg,
            stop=ticket.stop_token,
            device=common.studio().device,
            data_note=said,
            licence="the artist's own MIDI files",
            name=name,
            init_from=init,
        )
        yield from _train_stream(events, ticket, name, said, request)


# ------------------------------------------------------------------ reopening
def accepts(rec: dict) -> bool:
    """Whether a recipe is one of this panel's (a melody or a MIDI render)."""
    return rec.get("engine") == NAME and rec.get("kind") in ms.KINDS


def _note_values(rec: dict, request: gr.Request | None) -> dict:
    """The tab's note model and timbre (preset, encoded timbre, sliders) from a melody or MIDI-render recipe."""
    which = {
        "checkpoint": rec.get("note_checkpoint", rec.get("checkpoint")),
        "model": rec.get("note_model", rec.get("model")),
    }
    label = common.label_for_recipe(models_of(request), which)
    base = rec.get("timbre")
    sliders = instrument.check_sliders((list(rec.get("sliders") or []) + [0.0] * N_SLIDERS)[:N_SLIDERS])
    out = {
        "note_model": label,
        "preset": MY_SOUND if base else (rec.get("preset") or CENTRE),
        "timbre": ({"timbre": base, "source": rec["source"]} if rec.get("source") else base) if base else [],
        **{f"slider_{i}": v for i, v in enumerate(sliders)},
    }
    note = (rec.get("primer") or {}).get("note") if rec.get("kind") == "melody" else None
    if isinstance(note, dict):
        out.update(pitch=note.get("pitch", 60), velocity=note.get("velocity", 100), seconds=note.get("seconds", 1.5))
    return out


def _shown(rec: dict, request: gr.Request | None) -> tuple[str | bytes, bytes]:
    """(the kept WAV, or the remade one; the MIDI beside it, or remade) of a recipe."""
    kept = Path(rec["_kept"]) if rec.get("_kept") else None
    if kept and kept.is_file() and kept.with_suffix(".mid").is_file():
        return str(kept), kept.with_suffix(".mid").read_bytes()
    ws = common.workspace(request)
    ctx = ReplayContext(ws.models_dir, ws.store)
    clean = {k: v for k, v in rec.items() if k != "_kept"}
    sr, wave = melody_replay.remake(clean, ctx)
    if rec["kind"] == "melody":
        tune = melody_replay.tune_of(clean, ctx)
        data = midi.write_midi(
            [midi.Track("primer + continuation", tune.notes)], rec.get("tempo_bpm", 120.0), tune.metre
        )
    else:
        data = ws.store.input_path(rec.get("midi")).read_bytes()
    return (str(kept) if kept and kept.is_file() else recipes.wav_bytes(sr, wave, clean)), data


def restore_values(rec: dict, request: gr.Request | None = None) -> dict:
    """The controls and outputs a melody or MIDI-render recipe sets, by name (see panels.restored)."""
    ws = common.workspace(request)
    shown, data = _shown(rec, request)
    where = Path(rec["_kept"]).name if rec.get("_kept") else "the recipe"
    tracks = ms.tracks_of_midi(data)
    bar = melody.bar_beats(melody.check_metre(rec.get("metre", "4/4")))
    if rec["kind"] == "midi_render":
        play_as = rec.get("play_as") or (ms.GM if rec.get("gm") else CURRENT_TIMBRE)
        return {
            **_note_values(rec, request),
            "m_file": str(ws.store.input_path(rec["midi"])),
            "m_play_as": play_as,
            "m_tempo": rec.get("tempo_bpm", 0.0),
            "m_swing": rec.get("swing", 0.0),
            "m_audio": shown,
            "m_roll": melody_render.piano_roll([t.notes for t in tracks], bar_beats=bar),
            "m_note": f"Reopened **{where}**.",
        }
    primer = rec.get("primer") or {}
    source = {"recording": SOURCES[0], "midi": SOURCES[1], "note": SOURCES[2], "sound": SOURCES[2]}.get(
        primer.get("source"), SOURCES[3]
    )
    upload = str(ws.store.input_path(primer["input"])) if primer.get("input") else None
    split = rec.get("split") if rec.get("primer_notes") else None
    roll = melody_render.piano_roll([tracks[0].notes], split=split, bar_beats=bar)
    midi_path = ws.store.input_path(ws.store.keep_input(data, ".mid"))
    return {
        **_note_values(rec, request),
        "model": common.label_for_recipe(melody_models(request), rec),
        "source": source,
        "recording": upload if source == SOURCES[0] else gr.update(),
        "midi_file": upload if source == SOURCES[1] else gr.update(),
        "bars": rec.get("bars"),
        "temperature": rec.get("temperature"),
        "seed": rec.get("seed"),
        "tempo": rec.get("tempo_bpm"),
        "swing": rec.get("swing"),
        "key": rec.get("key"),
        "metre": rec.get("metre"),
        "audio": shown,
        "roll": roll,
        "midi_out": str(midi_path),
        "note": f"Reopened **{where}**.",
    }


@friendly
def restore_recipe(rec: dict, request: gr.Request | None = None) -> list:
    """Every component of the Sound tab's RESTORE_OUTPUTS (the melody panel's included) from a
    melody or MIDI-render recipe; what the recipe does not set stays as it is."""
    if not accepts(rec):
        raise ValueError("That recipe was not made by the Melody panel.")
    out = [gr.update()] * len(sound_actions.RESTORE_OUTPUTS)
    for name, value in restore_values(rec, request).items():
        if name in _SLOTS:
            out[_SLOTS[name]] = value
    return out


# ------------------------------------------------------------------ layout and wiring
def build(ctx: StudioContext, tab: gr.Tab, ui: SimpleNamespace) -> None:
    """Add the Melody panel to the Sound tab. Uses from `ui`: note.model_dd, note.preset, note.timbre,
    note.sliders (the timbre), note.pitch/velocity/seconds (reopening a melody primed by the note)
    and out.audio (the current note, a primer)."""
    start = panels.first_choices()
    mel = panels.layout(start)
    n = ui.note
    restored = {
        "note_model": n.model_dd,
        "preset": n.preset,
        "timbre": n.timbre,
        "pitch": n.pitch,
        "velocity": n.velocity,
        "seconds": n.seconds,
        **{f"slider_{i}": s for i, s in enumerate(n.sliders)},
        **panels.restored(mel),
    }
    outputs = sound_actions.RESTORE_OUTPUTS
    for name, comp in restored.items():
        at = next((i for i, c in enumerate(outputs) if c is comp), None)
        if at is None:
            outputs.append(comp)
            at = len(outputs) - 1
        _SLOTS[name] = at
    _wire(ctx, tab, ui, mel)


def _timbre_inputs(ui: SimpleNamespace) -> list:
    n = ui.note
    return [n.model_dd, n.preset, n.timbre, *n.sliders]


def _wire(ctx: StudioContext, tab: gr.Tab, ui: SimpleNamespace, mel: SimpleNamespace) -> None:
    """Connect the panel (api names /sound_melody, /sound_render_midi, /sound_pack, /sound_melody_train)."""
    c, m, p, t = mel.cont, mel.midi, mel.pack, mel.train
    export = dict(concurrency_id="sound_export", concurrency_limit=1)
    quiet = dict(api_visibility="private", show_progress="hidden")
    c.run.click(
        one_input_per_slider(sound_melody, N_SLIDERS, "timbre"),
        [
            c.model_dd,
            c.source,
            c.recording,
            c.midi_file,
            ui.out.audio,
            c.bars,
            c.temperature,
            c.seed,
            c.tempo,
            c.swing,
            c.key,
            c.metre,
            *_timbre_inputs(ui),
        ],
        [c.audio, c.roll, c.midi_out, c.note],
        api_name="sound_melody",
        **export,
    )
    c.keep.click(sound_melody_keep, [c.audio, c.midi_out], c.kept, api_name="sound_melody_keep")
    m.run.click(
        one_input_per_slider(sound_render_midi, N_SLIDERS, "timbre"),
        [m.file, m.play_as, m.tempo, m.swing, *_timbre_inputs(ui)],
        [m.audio, m.roll, m.note],
        api_name="sound_render_midi",
        **export,
    )
    m.keep.click(sound_melody_keep, [m.audio, m.file], m.kept, api_visibility="private")
    p.run.click(
        one_input_per_slider(sound_pack, N_SLIDERS, "timbre"),
        [*_timbre_inputs(ui), p.low, p.high, p.step],
        [p.file, p.note],
        api_name="sound_pack",
        **export,
    )
    t.start_btn.click(
        sound_melody_train,
        [t.files, t.name, t.start, t.steps, t.minutes, c.model_dd],
        [t.status, t.plot, c.model_dd],
        api_name="sound_melody_train",
        **common.TRAINING_EVENT,
    )
    t.stop_btn.click(common.stop_training, None, t.status, api_visibility="private", queue=False)
    gr.on([tab.select, ctx.demo.load, c.refresh.click], melody_list, c.model_dd, c.model_dd, **quiet)
    gr.on([ui.note.model_dd.change, ctx.demo.load], play_as_choices, [ui.note.model_dd, m.play_as], m.play_as, **quiet)
