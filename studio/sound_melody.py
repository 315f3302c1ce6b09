"""Sound tab, the Melody panel: continue a sung, played or MIDI melody (or compose one in a key
and metre) with the melody RNN and play it with the tab's timbre; play any MIDI file through the
note model; export the timbre as an SFZ sample pack. Handlers first (plain functions), then
`build(ctx, tab, ui)`, which studio/sound.py calls with its components. Training a melody model is
studio/sound_melody_train.py's, reopening studio/sound_melody_restore.py's, the layout
studio/sound_melody_panels.py's, the work engines.sound's."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr
from PIL import Image

from engines import limits
from engines import recipe as recipes
from engines.sound import audio, compose, midi, primers, sfz
from engines.sound import melody_studio as ms
from engines.sound.melody_render import SWING_RANGE, TEMPO_RANGE
from engines.sound.tunes import Key, Tune
from studio import common, sound_actions
from studio import sound_melody_panels as panels
from studio.common import StudioContext, friendly, one_input_per_slider
from studio.sound_melody_panels import CURRENT_TIMBRE, SOURCES, melody_model, melody_models
from studio.sound_melody_restore import SLOTS
from studio.sound_melody_train import sound_melody_train
from studio.sound_panels import MY_SOUND, N_SLIDERS, NAME, _explicit, _preset_name, _source, note_model


# ------------------------------------------------------------------ models
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


def run_label(source: str | None) -> dict:
    """The panel's button says what it will do: continue the artist's melody, or compose one."""
    return gr.update(value="Compose a melody" if source == SOURCES[-1] else "Continue my melody")


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
) -> tuple[Tune | None, dict]:
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
    if source == SOURCES[1] and Path(path).suffix.lower() not in midi.MIDI_SUFFIXES:
        raise ValueError(f"{Path(path).name} is not a MIDI file (.mid or .midi).")
    if source == SOURCES[2]:
        rec = recipes.read(path)
        if rec.get("engine") == NAME and rec.get("kind") == "note":
            return primers.primer_from_note(rec, tempo), {"source": "note", "note": rec}
        wave, sr = audio.sf_read(path)
        tune = primers.primer_from_wave(wave, sr, limits.number(tempo, "The tempo (bpm)", *TEMPO_RANGE))
    else:
        tune = primers.primer_from_file(path, limits.number(tempo, "The tempo (bpm)", *TEMPO_RANGE))
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
    bars = limits.whole(bars, "The bars", *compose.BARS_RANGE)
    temperature = limits.number(temperature, "The temperature", *compose.TEMPERATURE_RANGE)
    tempo = limits.number(tempo, "The tempo (bpm)", *TEMPO_RANGE)
    swing = limits.number(swing, "The swing", *SWING_RANGE)
    if key not in (ms.AUTO, *ms.KEYS):
        Key.parse(key)  # a typed key is welcome when it is a key; this names the problem otherwise
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
        SLOTS[name] = at
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
    c.source.change(run_label, c.source, c.run, **quiet)
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
    gr.on(
        [tab.select, ctx.demo.load, c.refresh.click, ui.models.upload.upload],
        melody_list,
        c.model_dd,
        c.model_dd,
        **quiet,
    )
    gr.on([ui.note.model_dd.change, ctx.demo.load], play_as_choices, [ui.note.model_dd, m.play_as], m.play_as, **quiet)
