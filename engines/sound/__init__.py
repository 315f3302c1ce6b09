"""Sound: a timbre VAE over whole notes, a melody model over note events, and what plays them.

The note model (timbre sliders):
    vae.py            the network: a pitch- and velocity-conditioned VAE over log-mel pictures of notes
    explore.py        what the studio calls: load note models, timbres, notes, morphs, encode, recipes
    note_audio.py     a decoded note picture -> a clean wave (held length, ringing tail, vocoding, ends)
    named.py          each timbre slider named by what it was measured to change, and its safe range
    sfz.py            the current timbre as an SFZ sample pack
The melody model:
    melody.py         the network: a GRU over note events with pitch and duration heads, `generate()`
    melody_tokens.py  its vocabulary: tunes <-> events (pitch, duration, position in the bar, key, metre)
    tunes.py          notes, keys and tunes in beats; key estimation, top line, last bars
    compose.py        load melody models; continue a tune or compose one
    primers.py        primers from a MIDI file, a recording or the note on screen; primer notes in recipes
    melody_render.py  note lists played through the note model (tempo, swing); a melody piece
    melody_studio.py  the Melody panel's engine work: recipes, MIDI renders, MIDI uploads for training
    melody_data.py    training tunes: music21's public-domain fiddle tunes, the artist's MIDI files
    midi.py           MIDI files in and out (mido)
Training:
    recipe.py         TrainConfig (the note VAE), MelodyTrainConfig, their schedules, the studio's recipes
    train.py          the note VAE's training loop and its time-budget plan
    train_melody.py   the melody RNN's training loop
    train_common.py   what both loops share: where a run starts, ETA, compact-or-resumable saving
    cli_train.py      the `train` and `train-melody` commands
Sound in and out:
    spectrum.py       log-mel spectra and the Griffin-Lim vocoder
    audio.py          reading uploads, onsets, pitch, notes cut from recordings, training uploads
    render.py         notes rendered from a General MIDI soundfont (the bundled model's data)
    pictures.py       spectrograms and piano rolls
Outputs again:
    replay.py         remake a note, morph or sweep from its recipe (melodies via melody_replay.py)
    melody_replay.py  remake a melody or MIDI render from its recipe
    sweep.py          two note settings across a grid
    __main__.py       the CLI: note, morph, train, train-melody
"""
