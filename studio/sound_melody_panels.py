"""The Melody panel's layout (studio/sound_melody.py holds its handlers): Continue my melody /
Compose with the piano roll beside the player, MIDI in, the sample pack, and training a melody
model on the artist's MIDI files. Each function returns its components. Also what the panel's
handler modules share: its choices and the melody-model pickers of a request."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from engines import limits
from engines.sound import compose, explore, melody_render, sfz
from engines.sound import melody_studio as ms
from studio import common
from studio.sound_panels import NAME

SOURCES = ("my recording", "my MIDI file", "the current note", "nothing: compose")
STARTS = ("from scratch", "from the selected melody model")
CURRENT_TIMBRE = "(the timbre above)"


def melody_models(request: gr.Request | None) -> dict[str, Path]:
    """Bundled melody models and the caller's own (from their workspace)."""
    return compose.available_melody_models(common.workspace(request).models_dir / NAME)


def melody_model(label: str | None, request: gr.Request | None) -> compose.MelodyModel:
    """The melody model a label names, for this caller."""
    return compose.load_melody_model(common.pick_model(melody_models(request), label, "melody model"))


def first_choices() -> SimpleNamespace:
    """What the panel opens with (bundled models; the page has no visitor yet)."""
    found = compose.available_melody_models(None)
    notes = explore.available_models(None)
    first_note = next(iter(notes), None)
    model = explore.load_note_model(notes[first_note]) if first_note else None
    return SimpleNamespace(
        melody=list(found), presets=list(model.presets) if model else [], range=model.pitch_range if model else (45, 84)
    )


def layout(start: SimpleNamespace) -> SimpleNamespace:
    """The whole panel: an open 'Melody: continue a tune or compose one' accordion (the tab's Continue)
    with its parts."""
    with gr.Accordion("Melody: continue a tune or compose one", open=True, elem_id="sound-melody-panel"):
        gr.Markdown(
            "Sing, hum or play a few notes (or upload a MIDI file, or start from the note above) and the "
            "melody model carries on, played with the timbre above; or compose from nothing in a key and "
            "metre. The piano roll shows your notes in blue and the model's in orange."
        )
        cont = layout_continue(start)
        midi_in = layout_midi(start)
        pack = layout_pack(start)
        train = layout_train()
    return SimpleNamespace(cont=cont, midi=midi_in, pack=pack, train=train)


def _melody_model_row(start: SimpleNamespace) -> tuple[gr.Dropdown, gr.Button]:
    """The melody model picker (bundled and yours) and its refresh button."""
    with gr.Row():
        model_dd = gr.Dropdown(
            start.melody,
            value=start.melody[0] if start.melody else None,
            label="Melody model",
            elem_id="sound-melody-model",
            scale=3,
            allow_custom_value=True,
        )
        refresh = gr.Button("↻", scale=0, min_width=40, elem_id="sound-melody-refresh")
    return model_dd, refresh


def layout_continue(start: SimpleNamespace) -> SimpleNamespace:
    """Continue my melody / Compose: controls beside the player and the piano roll."""
    with gr.Row(elem_classes=["atelier-split"]):
        with gr.Column(scale=2):
            model_dd, refresh = _melody_model_row(start)
            source = gr.Radio(list(SOURCES), value=SOURCES[0], label="Start from", elem_id="sound-melody-source")
            recording = gr.Audio(
                type="filepath",
                label="My recording (sing, hum or play)",
                sources=["upload", "microphone"],
                elem_id="sound-melody-recording",
            )
            midi_file = gr.File(
                label="My MIDI file",
                file_types=[".mid", ".midi"],
                type="filepath",
                height=80,
                elem_id="sound-melody-midi",
            )
            with gr.Row():
                bars = gr.Slider(*compose.BARS_RANGE, value=4, step=1, label="Bars to add", elem_id="sound-melody-bars")
                temperature = gr.Slider(
                    *compose.TEMPERATURE_RANGE,
                    value=0.8,
                    step=0.05,
                    label="Temperature",
                    info="0 = the likeliest notes",
                    elem_id="sound-melody-temperature",
                )
                seed = gr.Number(
                    value=0, precision=0, label="Seed", minimum=0, maximum=limits.MAX_SEED, elem_id="sound-melody-seed"
                )
            with gr.Row():
                tempo = gr.Slider(
                    *melody_render.TEMPO_RANGE, value=120, step=1, label="Tempo (bpm)", elem_id="sound-melody-tempo"
                )
                swing = gr.Slider(
                    *melody_render.SWING_RANGE, value=0, step=0.05, label="Swing", elem_id="sound-melody-swing"
                )
            with gr.Row():
                key = gr.Dropdown(
                    [ms.AUTO, *ms.KEYS],
                    value=ms.AUTO,
                    label="Key (Compose: C major when auto)",
                    elem_id="sound-melody-key",
                    allow_custom_value=True,
                )
                metre = gr.Dropdown(
                    [ms.AUTO, *ms.METRES],
                    value=ms.AUTO,
                    label="Metre (Compose: 4/4 when auto)",
                    elem_id="sound-melody-metre",
                )
            run = gr.Button("Continue my melody", variant="primary", elem_id="sound-melody-btn")
        out = _continue_output()
    return SimpleNamespace(
        model_dd=model_dd,
        refresh=refresh,
        source=source,
        recording=recording,
        midi_file=midi_file,
        bars=bars,
        temperature=temperature,
        seed=seed,
        tempo=tempo,
        swing=swing,
        key=key,
        metre=metre,
        run=run,
        **vars(out),
    )


def _continue_output() -> SimpleNamespace:
    """The melody's player, its piano roll, a note, Keep and the MIDI download."""
    with gr.Column(scale=3, elem_classes=["atelier-output"]):
        audio = gr.Audio(
            type="filepath",
            label="Melody",
            interactive=False,
            elem_id="sound-melody-audio",
            elem_classes=["atelier-main-output"],
        )
        roll = gr.Image(
            type="pil",
            label="Piano roll (blue: yours · orange: the model's)",
            height=220,
            interactive=False,
            elem_id="sound-melody-roll",
            buttons=[],
        )
        note = gr.Markdown(elem_id="sound-melody-note")
        with gr.Row():
            keep = gr.Button("Keep (save to Gallery)", variant="primary", elem_id="sound-melody-keep")
        midi_out = gr.File(label="MIDI file", interactive=False, height=80, elem_id="sound-melody-midi-out")
        kept = gr.File(
            label="Kept WAV with recipe",
            interactive=False,
            height=80,
            elem_id="sound-melody-kept",
            elem_classes=["atelier-secondary"],
        )
    return SimpleNamespace(audio=audio, roll=roll, note=note, keep=keep, midi_out=midi_out, kept=kept)


def layout_midi(start: SimpleNamespace) -> SimpleNamespace:
    """MIDI in: any MIDI file played through the note model."""
    with gr.Accordion("MIDI in", open=False, elem_id="sound-midi-panel"):
        gr.Markdown(
            "Play any MIDI file with the note model: every track with the timbre above, as one preset, or "
            "by each track's General MIDI program. Velocities are kept; tracks and chords are mixed."
        )
        with gr.Row():
            file = gr.File(
                label="MIDI file", file_types=[".mid", ".midi"], type="filepath", height=80, elem_id="sound-midi-file"
            )
            play_as = gr.Dropdown(
                [CURRENT_TIMBRE, ms.GM, *start.presets],
                value=CURRENT_TIMBRE,
                label="Play as",
                elem_id="sound-midi-play-as",
                allow_custom_value=True,
            )
            tempo = gr.Number(
                value=0,
                label="Tempo (bpm; 0 = the file's own)",
                minimum=0,
                maximum=melody_render.TEMPO_RANGE[1],
                elem_id="sound-midi-tempo",
            )
            swing = gr.Slider(*melody_render.SWING_RANGE, value=0, step=0.05, label="Swing", elem_id="sound-midi-swing")
        run = gr.Button("Play the MIDI file", variant="primary", elem_id="sound-midi-btn")
        with gr.Row():
            audio = gr.Audio(type="filepath", label="MIDI played", interactive=False, elem_id="sound-midi-audio")
            roll = gr.Image(
                type="pil",
                label="Piano roll (a colour per track)",
                height=200,
                interactive=False,
                elem_id="sound-midi-roll",
                buttons=[],
            )
        note = gr.Markdown(elem_id="sound-midi-note")
        with gr.Row():
            keep = gr.Button("Keep (save to Gallery)", elem_id="sound-midi-keep")
            kept = gr.File(label="Kept WAV with recipe", interactive=False, height=80, elem_id="sound-midi-kept")
    return SimpleNamespace(
        file=file,
        play_as=play_as,
        tempo=tempo,
        swing=swing,
        run=run,
        audio=audio,
        roll=roll,
        note=note,
        keep=keep,
        kept=kept,
    )


def layout_pack(start: SimpleNamespace) -> SimpleNamespace:
    """Sample pack: the timbre above across a pitch range, as WAVs and an SFZ file."""
    lo, hi = start.range
    with gr.Accordion("Sample pack (SFZ)", open=False, elem_id="sound-pack-panel"):
        gr.Markdown(
            f"Export the timbre above (preset and sliders) as a zip of notes with an SFZ file any sampler "
            f"plays (at most {sfz.MAX_SAMPLES} samples; the sampler repitches the keys between)."
        )
        with gr.Row():
            low = gr.Slider(lo, hi, value=max(lo, 48), step=1, label="Lowest key (MIDI)", elem_id="sound-pack-low")
            high = gr.Slider(lo, hi, value=min(hi, 72), step=1, label="Highest key (MIDI)", elem_id="sound-pack-high")
            step = gr.Slider(*sfz.STEP_RANGE, value=3, step=1, label="Every (semitones)", elem_id="sound-pack-step")
        run = gr.Button("Export sample pack", elem_id="sound-pack-btn")
        with gr.Row():
            file = gr.File(label="Sample pack (zip)", interactive=False, height=80, elem_id="sound-pack-file")
            note = gr.Markdown(elem_id="sound-pack-note")
    return SimpleNamespace(low=low, high=high, step=step, run=run, file=file, note=note)


def layout_train() -> SimpleNamespace:
    """Train a melody model on the artist's MIDI files (a stopped model of the same name resumes)."""
    with gr.Accordion("Train a melody model", open=False, elem_id="sound-melody-train-panel"):
        gr.Markdown(
            f"Upload MIDI files (or a zip of them; up to {ms.MAX_TRAIN_FILES} files, "
            f"{ms.MAX_TRAIN_BYTES / 1e6:.0f} MB). Every pitched track's top line becomes a melody to learn; "
            "a stopped training keeps its training state, so a model of the same name carries on where it "
            "stopped; a finished one is saved compact, and training it again fine-tunes from it. It lands in "
            "your models."
        )
        files = gr.File(
            label="My MIDI files",
            file_count="multiple",
            file_types=[".mid", ".midi", ".zip"],
            type="filepath",
            elem_id="sound-melody-train-files",
        )
        with gr.Row():
            name = gr.Textbox(value="my-melodies", label="Model name", elem_id="sound-melody-train-name")
            start = gr.Radio(list(STARTS), value=STARTS[1], label="Start", elem_id="sound-melody-train-start")
            steps = gr.Slider(10, 5000, value=600, step=10, label="Steps", elem_id="sound-melody-train-steps")
            minutes = gr.Number(
                value=10, label="Time limit (minutes; 0 = none)", minimum=0, elem_id="sound-melody-train-minutes"
            )
        with gr.Row():
            start_btn = gr.Button("Train", variant="primary", elem_id="sound-melody-train-btn")
            stop_btn = gr.Button("Stop", elem_id="sound-melody-train-stop")
        status = gr.Markdown(elem_id="sound-melody-train-status")
        plot = gr.LinePlot(
            x="step",
            y="loss",
            color="curve",
            height=220,
            label="Loss (nats per note event)",
            elem_id="sound-melody-train-plot",
        )
    return SimpleNamespace(
        files=files,
        name=name,
        start=start,
        steps=steps,
        minutes=minutes,
        start_btn=start_btn,
        stop_btn=stop_btn,
        status=status,
        plot=plot,
    )


def restored(mel: SimpleNamespace) -> dict:
    """The panel's components a reopened recipe sets, by the names restore_values uses."""
    c, m = mel.cont, mel.midi
    return {
        "model": c.model_dd,
        "source": c.source,
        "recording": c.recording,
        "midi_file": c.midi_file,
        "bars": c.bars,
        "temperature": c.temperature,
        "seed": c.seed,
        "tempo": c.tempo,
        "swing": c.swing,
        "key": c.key,
        "metre": c.metre,
        "audio": c.audio,
        "roll": c.roll,
        "midi_out": c.midi_out,
        "note": c.note,
        "m_file": m.file,
        "m_play_as": m.play_as,
        "m_tempo": m.tempo,
        "m_swing": m.swing,
        "m_audio": m.audio,
        "m_roll": m.roll,
        "m_note": m.note,
    }
