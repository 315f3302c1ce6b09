"""Paint: a class-conditional DCGAN-family image generator, its exploration tools and training.

The model and its training
    model.py        the networks: Generator, Discriminator (spectral norm, projection), GANConfig
    recipe.py       TrainConfig (the training settings), the learning-rate tail, fitting a run to a
                    time budget, the class-balanced picture sampler
    train.py        the training loop: `train(...)` yields engines.events.TrainEvent
    train_run.py    a run's state: prepare it (fresh, resumed, fine-tuned), save it, compact it
    train_steps.py  the named steps of the loop (batch, D step, G step, EMA, budget, report)
    losses.py, augment.py, weights.py   losses, DiffAugment, reusing weights across architectures
    anchors.py      each training picture's z (found by inversion), what truncation pulls toward
    export.py       compact copies (sampling, resumable state) and the note on what a training left
    data.py, emoji.py, images.py        picture sets (the artist's files, the bundled emoji), tensors

Exploring a model (what the studio and the CLI call)
    explore.py      load a model once, then seeds, truncation, class blends, sliders, morphs, recipes
    directions.py   GANSpace directions: found by PCA, named by what they change
    controls.py     the tab's controls checked and made ready (bounds and messages)
    invert.py       My picture: find the z and class blend that draw an artist's picture
    inverted.py     an inverted picture (its base z) under every Paint control
    based.py        the base as the studio keeps it, and keyframes of either kind
    sound_morph.py, sound_timing.py, sound_file.py   morphs that move with a sound
    replay.py, sweep.py                 remaking kept outputs; two-setting sweeps
    eval/           quality figures: FD, class probes, coverage, the pixel probe

The command line
    __main__.py     python -m engines.paint sample | morph | sheet | train | anchors | emoji
    cli_train.py    the train command: TrainConfig's fields as options (engines.cli)
"""
