"""Sound from the command line.

    python -m engines.sound note --pitch 60 --preset "Violin" --seconds 2 --out violin.wav
    python -m engines.sound morph --from "Flute" --to "Distortion Guitar" --seconds 6 --out morph.wav
    python -m engines.sound train --model vae --data my_recordings/ --out ~/atelier/models/sound/mine.pt

Every file carries its recipe, as in the studio. --model picks a checkpoint (default: bundled).
Melodies (continue a tune, compose one) are the studio's Melody panel; see engines.sound.melody_train
to train a melody model.
"""

from __future__ import annotations

import argparse
import sys

from engines import recipe as recipes
from engines.sound import instrument
from engines.sound.render import note_name


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train"]:
        from engines.sound.train import main as train_main

        return train_main(argv[1:])
    p = argparse.ArgumentParser(
        prog="python -m engines.sound", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser("note")
    n.add_argument("--pitch", type=float, default=60)
    n.add_argument("--preset")
    n.add_argument("--sliders", type=float, nargs="*", default=[])
    m = sub.add_parser("morph")
    m.add_argument("--from", dest="a", required=True)
    m.add_argument("--to", dest="b", required=True)
    m.add_argument("--pitch", type=float, default=60)
    m.add_argument("--to-pitch", type=float)
    for s in (n, m):
        s.add_argument("--model", default=None, help="a Sound checkpoint (default: the bundled one)")
        s.add_argument("--seconds", type=float, default=2.0 if s is n else 6.0)
        s.add_argument("--velocity", type=int, default=100)
        s.add_argument("--out", required=True)
    args = p.parse_args(argv)
    path = args.model or next(iter(instrument.available_models(None).values()), None)
    if path is None:
        p.error("no bundled Sound model found; pass --model")
    model = instrument.load_note_model(path)
    if args.cmd == "note":
        wave, _ = instrument.note(model, args.pitch, args.velocity, args.seconds, args.preset, args.sliders)
        rec = instrument.note_recipe(model, args.pitch, args.velocity, args.seconds, args.preset, args.sliders)
    else:
        b_pitch = args.pitch if args.to_pitch is None else args.to_pitch
        wave, _ = instrument.morph(
            model,
            (instrument.timbre(model, args.a), args.pitch),
            (instrument.timbre(model, args.b), b_pitch),
            args.seconds,
            args.velocity,
        )
        rec = instrument.morph_recipe(model, args.a, args.pitch, args.b, b_pitch, args.seconds, args.velocity)
    sr = model.settings.sample_rate
    recipes.write_wav(args.out, sr, wave, rec)
    print(f"wrote {args.out} ({len(wave) / sr:.2f} s at {note_name(int(round(args.pitch)))})")


if __name__ == "__main__":
    main()
