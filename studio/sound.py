"""Sound tab: play a note VAE with live timbre sliders, morph between timbres, encode your own
sound, let an RNN continue a sound, and train both on your own recordings. Layout and wiring only."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd

from engines import checkpoints
from engines import recipe as recipes
from engines.sound import instrument, pictures
from engines.sound.audio import MIN_NOTES, load_audio, load_many, notes_from_clips, sequences_from_clips
from engines.sound.render import midi_to_hz, note_name
from engines.sound.train import SoundTrainConfig, train_rnn, train_vae
from studio.common import Restorer, StudioContext, Trainings, add_model_file, friendly, how_it_works, label_for_recipe

NAME = "sound"
TITLE = "Sound"
N_SLIDERS = instrument.N_SLIDERS
CENTRE = "(centre of the model)"
MY_SOUND = "(my encoded sound)"
CURRENT = "(the current sound)"

HELP = f"""
Sound plays notes with a **variational autoencoder** (VAE): it learned to squeeze a whole note's
spectrogram into {16} numbers (its *timbre*) and to rebuild the note from them at any pitch. The
bundled model learned from about 13,000 notes of 111 General MIDI instruments.

- **Preset** starts from an instrument's timbre; the **timbre sliders** move along the ways the
  learned timbres differ most (principal directions). Every move plays the new note at once.
- **Encode my sound**: upload a recording of one note; its timbre lands on the sliders to edit.
- **Morph** turns one timbre (and pitch) into another over several seconds, as one sound.
- **Continue**: a recurrent network (RNN) listens to a sound and goes on playing; *temperature*
  adds surprise (0 = smooth and predictable).
- **Keep** saves the WAV, with its recipe, to the Gallery.
- **Train**: upload notes or melodies (wav, flac, ogg, mp3, or a zip). Notes are cut at their
  onsets and their pitch estimated; at least {MIN_NOTES} pitched notes are needed.
"""

_trainings = Trainings()


def _wav(wave: np.ndarray, sr: int, rec: dict | None = None) -> str:
    """A fresh temporary WAV (a new name each time, so the browser never reads a half-written file)."""
    path = Path(tempfile.gettempdir()) / "atelier-sound" / f"{uuid.uuid4().hex}.wav"
    path.parent.mkdir(exist_ok=True)
    recipes.write_wav(path, sr, wave, rec or {"engine": NAME})
    return str(path)


def _pitch_label(pitch: float) -> str:
    p = int(round(pitch))
    return f"**{note_name(p)}** · MIDI {p} · {midi_to_hz(p):.1f} Hz"


def build(ctx: StudioContext, tab: gr.Tab) -> None:
    """Lay out the Sound tab and wire its events."""
    user_dir = ctx.settings.engine_models_dir(NAME)

    def models(kind: str = "vae") -> dict[str, Path]:
        return instrument.available_models(user_dir, kind)

    def load(label: str | None) -> instrument.NoteModel:
        found = models()
        if not found:
            raise ValueError("No Sound model yet: train one in the Train panel below.")
        if label not in found:
            raise ValueError(f"unknown model {label!r}; choose one of: {', '.join(found)}")
        return instrument.load_note_model(found[label])

    def load_rnn(label: str | None) -> instrument.ContinuationModel:
        found = models("rnn")
        if not found:
            raise ValueError("No continuation model yet: train one in the Train panel below.")
        if label not in found:
            raise ValueError(f"unknown continuation model {label!r}; choose one of: {', '.join(found)}")
        return instrument.load_continuation_model(found[label])

    first, first_rnn = next(iter(models()), None), next(iter(models("rnn")), None)
    first_presets = [CENTRE, *load(first).presets] if first else [CENTRE]

    how_it_works(HELP)
    with gr.Row():
        with gr.Column(scale=2):
            with gr.Row():
                model_dd = gr.Dropdown(list(models()), value=first, label="Note model", elem_id="sound-model", scale=3,
                                       allow_custom_value=True)
                refresh = gr.Button("↻", scale=0, min_width=40, elem_id="sound-models-refresh")
            preset = gr.Dropdown(first_presets, value=first_presets[min(1, len(first_presets) - 1)], label="Preset",
                                 elem_id="sound-preset", allow_custom_value=True)
            pitch = gr.Slider(33, 96, value=60, step=1, label="Pitch (MIDI; 60 = middle C)", elem_id="sound-pitch")
            pitch_name = gr.Markdown(_pitch_label(60), elem_id="sound-pitch-name")
            with gr.Row():
                velocity = gr.Slider(1, 127, value=100, step=1, label="Velocity", elem_id="sound-velocity")
                seconds = gr.Slider(0.25, 8, value=1.5, step=0.05, label="Hold (s)",
                                    info="how long the key is held; the release rings on after",
                                    elem_id="sound-seconds")
            with gr.Accordion("Timbre", open=True):
                sliders = [gr.Slider(-3, 3, value=0, step=0.05, label=f"Timbre {i + 1}", elem_id=f"sound-dir-{i}")
                           for i in range(N_SLIDERS)]
            reset = gr.Button("Reset sliders", elem_id="sound-reset")
        with gr.Column(scale=3):
            audio = gr.Audio(type="filepath", label="Note", autoplay=True, interactive=False, elem_id="sound-audio")
            spec_img = gr.Image(type="pil", label="Spectrogram (log-mel)", height=200, interactive=False,
                                elem_id="sound-spec", buttons=[])
            keep = gr.Button("Keep (save to Gallery)", variant="primary", elem_id="sound-keep")
            kept = gr.File(label="Download WAV with recipe", interactive=False, elem_id="sound-kept", height=80)

    with gr.Accordion("Encode my sound", open=False, elem_id="sound-encode-panel"):
        gr.Markdown("Upload a recording of one note (wav, flac, ogg, mp3). Its timbre becomes the starting point "
                    "and the sliders edit it.")
        with gr.Row():
            enc_file = gr.Audio(type="filepath", label="My sound", sources=["upload", "microphone"],
                                elem_id="sound-encode-file")
            enc_note = gr.Markdown(elem_id="sound-encode-note")

    with gr.Accordion("Morph", open=False, elem_id="sound-morph-panel"):
        gr.Markdown("One evolving sound from timbre A to timbre B (and pitch A to pitch B).")
        with gr.Row():
            morph_a = gr.Dropdown([CURRENT, *first_presets[1:]], value=CURRENT, label="From", elem_id="sound-morph-a",
                                  allow_custom_value=True)
            pitch_a = gr.Slider(33, 96, value=60, step=1, label="From pitch", elem_id="sound-morph-pitch-a")
            morph_b = gr.Dropdown([CURRENT, *first_presets[1:]], value=first_presets[-1], label="To",
                                  elem_id="sound-morph-b", allow_custom_value=True)
            pitch_b = gr.Slider(33, 96, value=60, step=1, label="To pitch", elem_id="sound-morph-pitch-b")
            morph_s = gr.Slider(1, 20, value=5, step=0.5, label="Seconds", elem_id="sound-morph-seconds")
        morph_btn = gr.Button("Render morph", variant="primary", elem_id="sound-morph-btn")
        with gr.Row():
            morph_audio = gr.Audio(type="filepath", label="Morph", interactive=False, elem_id="sound-morph-audio")
            morph_spec = gr.Image(type="pil", label="Spectrogram", height=200, interactive=False,
                                  elem_id="sound-morph-spec", buttons=[])

    with gr.Accordion("Continue (RNN)", open=False, elem_id="sound-continue-panel"):
        gr.Markdown("The RNN listens to the primer (the current note, or your upload) and keeps playing.")
        with gr.Row():
            rnn_dd = gr.Dropdown(list(models("rnn")), value=first_rnn, label="Continuation model",
                                 elem_id="sound-rnn-model", allow_custom_value=True)
            primer_src = gr.Radio(["the current note", "my upload"], value="the current note", label="Primer",
                                  elem_id="sound-primer-src")
            primer_file = gr.Audio(type="filepath", label="Primer upload", sources=["upload", "microphone"],
                                   elem_id="sound-primer-file")
        with gr.Row():
            cont_s = gr.Slider(0.5, 30, value=6, step=0.5, label="Seconds to add", elem_id="sound-cont-seconds")
            temperature = gr.Slider(0, 1.5, value=0.5, step=0.05, label="Temperature", elem_id="sound-temperature")
            cont_seed = gr.Number(value=0, precision=0, label="Seed", elem_id="sound-cont-seed", minimum=0)
        cont_btn = gr.Button("Continue", variant="primary", elem_id="sound-cont-btn")
        with gr.Row():
            cont_audio = gr.Audio(type="filepath", label="Primer + continuation", interactive=False,
                                  elem_id="sound-cont-audio")
            cont_spec = gr.Image(type="pil", label="Spectrogram (the line marks where the RNN takes over)", height=200,
                                 interactive=False, elem_id="sound-cont-spec", buttons=[])

    with gr.Accordion("Train on my own sounds", open=False, elem_id="sound-train-panel"):
        gr.Markdown(f"Recordings of notes or melodies (wav, flac, ogg, mp3), or a zip. The note model needs at "
                    f"least {MIN_NOTES} pitched notes; the continuation RNN about 10 seconds of sound. Training "
                    "saves every 250 steps; training again with the same name resumes.")
        with gr.Row():
            train_files = gr.File(file_count="multiple", file_types=["audio", ".zip"], label="Your sounds",
                                  elem_id="sound-train-files")
            with gr.Column():
                train_kind = gr.Radio(["note model (timbre sliders)", "continuation RNN"],
                                      value="note model (timbre sliders)", label="Train", elem_id="sound-train-kind")
                train_name = gr.Textbox(value="my-sounds", label="Name of the new model", elem_id="sound-train-name")
                start_from = gr.Radio(["from scratch", "from the selected model"], value="from the selected model",
                                      label="Start", elem_id="sound-train-start")
                steps = gr.Slider(20, 20000, value=1000, step=10, label="Steps", elem_id="sound-train-steps")
                minutes = gr.Number(value=0, label="Time limit in minutes (0 = none)", elem_id="sound-train-minutes")
        with gr.Row():
            train_btn = gr.Button("Start training", variant="primary", elem_id="sound-train-btn")
            stop_btn = gr.Button("Stop", variant="stop", elem_id="sound-train-stop")
        train_status = gr.Markdown(elem_id="sound-train-status")
        with gr.Row():
            loss_plot = gr.LinePlot(x="step", y="loss", color="split", height=240, label="Loss",
                                    elem_id="sound-train-plot")
            train_preview = gr.Audio(type="filepath", label="What it plays now", interactive=False,
                                     elem_id="sound-train-preview")

    with gr.Accordion("Models and recipes", open=False):
        with gr.Row():
            upload_model = gr.File(label="Add a Sound model (.pt)", file_types=[".pt"], elem_id="sound-upload-model")
            with gr.Column():
                download_btn = gr.Button("Download the selected note model", elem_id="sound-download-btn")
                download_model = gr.File(label="The selected model", interactive=False, elem_id="sound-download-model")
            open_recipe = gr.File(label="Open a sound's recipe (.wav)", file_types=[".wav"],
                                  elem_id="sound-open-recipe")
        models_note = gr.Markdown()

    timbre_base = gr.JSON(value=[], visible=False, label="Encoded timbre")  # an input of /sound_generate for scripts
    note_inputs = [model_dd, preset, pitch, velocity, seconds, timbre_base, *sliders]

    # ------------------------------------------------------------------ handlers
    def _preset(model, name):
        return None if name in (None, "", CENTRE, MY_SOUND) else name

    def _play(model_label, preset_v, pitch_v, vel_v, sec_v, base, slider_vals):
        model = load(model_label)
        use_base = base if preset_v == MY_SOUND and base else None
        wave, mel = instrument.note(model, float(pitch_v), int(vel_v), float(sec_v), _preset(model, preset_v),
                                    slider_vals, use_base)
        rec = instrument.note_recipe(model, pitch_v, vel_v, sec_v, _preset(model, preset_v), slider_vals, use_base)
        return model, wave, mel, rec

    @friendly
    def sound_generate(model_label, preset_v, pitch_v, vel_v, sec_v, base, *slider_vals):
        """One note from model, preset (or encoded timbre), pitch, velocity, duration and timbre sliders;
        returns (WAV, spectrogram picture)."""
        model, wave, mel, rec = _play(model_label, preset_v, pitch_v, vel_v, sec_v, base, slider_vals)
        return _wav(wave, model.settings.sample_rate, rec), pictures.spectrogram(mel)

    @friendly
    def keep_it(model_label, preset_v, pitch_v, vel_v, sec_v, base, *slider_vals):
        model, wave, _, rec = _play(model_label, preset_v, pitch_v, vel_v, sec_v, base, slider_vals)
        title = f"{model.name} · {preset_v or 'centre'} · {note_name(int(round(pitch_v)))}"
        out = ctx.store.save_sound(model.settings.sample_rate, wave, rec, title=title)
        gr.Info("Kept in the Gallery.")
        return str(out.path)

    @friendly
    def on_model(model_label, current):
        model = load(model_label)
        names = [CENTRE, *model.presets]
        value = current if current in names else names[min(1, len(names) - 1)]
        lo, hi = model.pitch_range
        return (gr.Dropdown(choices=names, value=value), gr.Dropdown(choices=[CURRENT, *names[1:]]),
                gr.Dropdown(choices=[CURRENT, *names[1:]]), gr.Slider(label=f"Pitch (MIDI; this model plays {lo}-{hi})"))

    @friendly
    def encode_upload(model_label, path):
        if not path:
            return gr.update(), gr.update(), gr.update(), "", *[gr.update()] * N_SLIDERS
        model = load(model_label)
        clip = load_audio(path, model.settings)
        z, midi = instrument.encode(model, clip.wave)
        names = [CENTRE, *model.presets, MY_SOUND]
        note = f"Encoded **{clip.name}**: pitch {_pitch_label(midi)}. " + " ".join(clip.notes)
        return (gr.Dropdown(choices=names, value=MY_SOUND), [round(float(x), 5) for x in z], midi, note,
                *[0.0] * N_SLIDERS)

    def _timbre_of(model, choice, preset_v, base, slider_vals):
        if choice == CURRENT:
            use_base = base if preset_v == MY_SOUND and base else None
            return instrument.timbre(model, _preset(model, preset_v), slider_vals, use_base)
        return instrument.timbre(model, _preset(model, choice))

    @friendly
    def sound_morph(model_label, a, pa, b, pb, sec_v, vel_v, preset_v, base, *slider_vals, progress=gr.Progress()):
        """Morph timbre/pitch A into B over some seconds ('(the current sound)' or a preset name at each end);
        returns (WAV, spectrogram picture). The morph is kept in the Gallery."""
        model = load(model_label)
        progress(0.2, desc="decoding the path")
        wave, mel = instrument.morph(model, (_timbre_of(model, a, preset_v, base, slider_vals), float(pa)),
                                     (_timbre_of(model, b, preset_v, base, slider_vals), float(pb)),
                                     float(sec_v), int(vel_v))
        rec = {"engine": NAME, "kind": "morph", "model": model.name, "checkpoint": model.hash, "from": a, "to": b,
               "pitch": float(pa), "to_pitch": float(pb), "seconds": float(sec_v), "velocity": int(vel_v),
               "current": {"preset": preset_v, "sliders": [float(s) for s in slider_vals], "timbre": base}}
        out = ctx.store.save_sound(model.settings.sample_rate, wave, rec, title=f"{model.name} · morph {a} → {b}")
        return str(out.path), pictures.spectrogram(mel)

    @friendly
    def sound_continue(rnn_label, src, primer_path, sec_v, temp_v, seed_v, model_label, preset_v, pitch_v, vel_v,
                       note_s, base, *slider_vals, progress=gr.Progress()):
        """Let the RNN continue a primer (the current note, or an uploaded file) for some seconds;
        returns (WAV, spectrogram picture). The result is kept in the Gallery."""
        rnn = load_rnn(rnn_label)
        if src == "my upload":
            if not primer_path:
                raise ValueError("Upload a primer sound first (or choose the current note).")
            clip = load_audio(primer_path, rnn.settings)
            primer, primer_desc = clip.wave, clip.name
        else:
            _, primer, _, rec = _play(model_label, preset_v, pitch_v, vel_v, note_s, base, slider_vals)
            primer_desc = rec
        progress(0.2, desc="listening and playing on")
        wave, mel, at = instrument.continue_sound(rnn, primer, float(sec_v), float(temp_v), int(seed_v or 0))
        rec = {"engine": NAME, "kind": "continuation", "model": rnn.name, "checkpoint": rnn.hash,
               "primer": primer_desc, "seconds": float(sec_v), "temperature": float(temp_v), "seed": int(seed_v or 0)}
        out = ctx.store.save_sound(rnn.settings.sample_rate, wave, rec, title=f"{rnn.name} · continuation")
        pic = pictures.spectrogram(mel)
        x = int(pic.width * at / mel.shape[1])
        from PIL import ImageDraw
        ImageDraw.Draw(pic).line([(x, 0), (x, pic.height)], fill=(40, 26, 50), width=2)
        return str(out.path), pic

    @friendly
    def sound_train(files, kind, name, start, n_steps, limit_min, model_label, rnn_label, request: gr.Request):
        """Train a note model or a continuation RNN on uploaded sounds; streams status, loss and a preview clip."""
        name = (name or "").strip()
        if not files:
            raise ValueError("Add your sounds first (wav, flac, ogg, mp3 or a zip).")
        rnn = kind == "continuation RNN"
        with _trainings.hold("Sound training", name, request) as token:
            yield "Listening to your sounds…", None, None, gr.Dropdown(), gr.Dropdown()
            settings = load(model_label).settings if model_label in models() else None
            from engines.sound.spectrum import SpectrumSettings
            settings = settings or SpectrumSettings(n_mels=128)
            clips = load_many([getattr(f, "name", f) for f in files], settings)
            remarks = "; ".join(f"{c.name}: {', '.join(c.notes)}" for c in clips if c.notes)
            cfg = SoundTrainConfig(steps=int(n_steps), batch=32 if rnn else 64, eval_every=50, checkpoint_every=250,
                                   kl_warmup=max(1, int(n_steps) // 4),
                                   time_budget_s=float(limit_min) * 60 if limit_min else None)
            out = user_dir / f"{name}.pt"
            if rnn:
                seqs = sequences_from_clips(clips, settings)
                described = f"{len(seqs)} windows from {len(clips)} file(s)"
                init = models("rnn").get(rnn_label) if start == "from the selected model" else None
                events = train_rnn(seqs, out, settings, cfg=cfg, stop=token, name=name, data_note=described,
                                   init_from=init, device=str(ctx.settings.torch_device()))
            else:
                notes, labels = notes_from_clips(clips, settings)
                described = f"{len(notes)} notes from {len(clips)} file(s)"
                init = models().get(model_label) if start == "from the selected model" else None
                events = train_vae(notes, out, settings, cfg=cfg, names=labels, stop=token, name=name,
                                   data_note=described, init_from=init, device=str(ctx.settings.torch_device()))
            rows: list[dict] = []
            preview = None
            for ev in events:
                if ev.step and ev.loss == ev.loss:
                    rows.append({"step": ev.step, "loss": ev.loss, "split": "training"})
                    if ev.val is not None:
                        rows.append({"step": ev.step, "loss": ev.val, "split": "held out"})
                if ev.preview is not None:
                    preview = _wav(ev.preview, settings.sample_rate)
                status = (f"**{ev.message or 'training'}**: step {ev.step} of {ev.total} · {described} · "
                          f"{ev.seconds:.0f} s" + (f" · {remarks}" if remarks else ""))
                if ev.done:
                    status = (f"**Done** ({ev.message or 'finished'}): step {ev.step}. The model **{name} (yours)** "
                              "is in the list.")
                yield (status, pd.DataFrame(rows[-800:]), preview, gr.Dropdown(choices=list(models())),
                       gr.Dropdown(choices=list(models("rnn"))))

    @friendly
    def add_model(path):
        if not path:
            return gr.Dropdown(), gr.Dropdown(), ""
        if checkpoints.load(path, engine=NAME).config.get("kind") not in ("vae", "rnn"):
            raise ValueError(f"{Path(path).name} is not a Sound model this version can play")
        label, ck = add_model_file(path, user_dir, NAME)
        note = f"Added **{label}** ({ck.meta.get('data', 'unknown data')})."
        if ck.config["kind"] == "rnn":
            return gr.Dropdown(), gr.Dropdown(choices=list(models("rnn")), value=label), note
        return gr.Dropdown(choices=list(models()), value=label), gr.Dropdown(), note

    @friendly
    def restore(path):
        if not path:
            return [gr.update()] * (7 + N_SLIDERS)
        rec = recipes.read(path)
        if rec.get("engine") != NAME or rec.get("kind") != "note":
            raise ValueError("That file's recipe was not made by Sound's note controls.")
        label = label_for_recipe(models(), rec)
        base = rec.get("timbre")
        preset_v = MY_SOUND if base else (rec.get("preset") or CENTRE)
        vals = list(rec.get("sliders", [])) + [0.0] * N_SLIDERS
        return [label, preset_v, rec.get("pitch", 60), rec.get("velocity", 100), rec.get("seconds", 2.0), base,
                f"Restored the controls from **{Path(path).name}**.", *vals[:N_SLIDERS]]

    # ------------------------------------------------------------------ wiring
    live = dict(show_progress="hidden", concurrency_id="sound_live", concurrency_limit=4)
    gr.on([s.input for s in sliders] + [pitch.input, velocity.input, seconds.input, preset.change, timbre_base.change,
                                        ctx.demo.load],
          sound_generate, note_inputs, [audio, spec_img], trigger_mode="always_last",
          api_name="sound_generate", **live)
    pitch.change(_pitch_label, pitch, pitch_name, api_visibility="private", show_progress="hidden", queue=False)
    gr.on([model_dd.change, ctx.demo.load], on_model, [model_dd, preset], [preset, morph_a, morph_b, pitch],
          api_visibility="private", show_progress="hidden")
    refresh.click(lambda v, r: (gr.Dropdown(choices=list(models()), value=v if v in models() else next(iter(models()), None)),
                                gr.Dropdown(choices=list(models("rnn")))),
                  [model_dd, rnn_dd], [model_dd, rnn_dd], api_visibility="private", show_progress="hidden")
    reset.click(lambda: [0.0] * N_SLIDERS, None, sliders, api_visibility="private", show_progress="hidden").then(
        sound_generate, note_inputs, [audio, spec_img], api_visibility="private", **live)
    keep.click(keep_it, note_inputs, kept, api_name="sound_keep", concurrency_id="sound_live")
    enc_file.change(encode_upload, [model_dd, enc_file], [preset, timbre_base, pitch, enc_note, *sliders],
                    api_visibility="private")
    morph_btn.click(sound_morph, [model_dd, morph_a, pitch_a, morph_b, pitch_b, morph_s, velocity, preset, timbre_base,
                                  *sliders], [morph_audio, morph_spec], api_name="sound_morph",
                    concurrency_id="sound_export", concurrency_limit=1)
    cont_btn.click(sound_continue, [rnn_dd, primer_src, primer_file, cont_s, temperature, cont_seed, model_dd, preset,
                                    pitch, velocity, seconds, timbre_base, *sliders], [cont_audio, cont_spec],
                   api_name="sound_continue", concurrency_id="sound_export", concurrency_limit=1)
    train_btn.click(sound_train, [train_files, train_kind, train_name, start_from, steps, minutes, model_dd, rnn_dd],
                    [train_status, loss_plot, train_preview, model_dd, rnn_dd], api_name="sound_train",
                    concurrency_id="training", concurrency_limit=2, show_progress="minimal")
    stop_btn.click(_trainings.stop, None, train_status, api_visibility="private", queue=False)
    upload_model.upload(add_model, upload_model, [model_dd, rnn_dd, models_note], api_visibility="private")
    download_btn.click(friendly(lambda label: str(load(label).path)), model_dd, download_model,
                       api_visibility="private")
    restore_outputs = [model_dd, preset, pitch, velocity, seconds, timbre_base, models_note, *sliders]
    open_recipe.upload(restore, open_recipe, restore_outputs, api_visibility="private")
    ctx.restorers[NAME] = Restorer(restore, restore_outputs, lambda rec: rec.get("kind") == "note")
    tab.select(lambda v, r: (gr.Dropdown(choices=list(models()), value=v), gr.Dropdown(choices=list(models("rnn")), value=r)),
               [model_dd, rnn_dd], [model_dd, rnn_dd], api_visibility="private", show_progress="hidden")
