"""Sound from the command line.

    python -m engines.sound note --pitch 60 --preset "Violin" --seconds 2 --out violin.wav
    python -m engines.sound morph --from "Flute" --to "Distortion Guitar" --seconds 6 --out morph.wav
    python -m engines.sound train --data my_recordings/ --out ~/atelier/models/sound/mine.pt --steps 1500
    python -m engines.sound train-melody --data my_midi/ --out ~/atelier/models/sound/tunes.pt --steps 2000

Every file carries its recipe, as in the studio. --model picks a note model (default: bundled).
`train --help` and `train-melody --help` list every training option. Melodies (continue a tune,
compose one) are the studio's Melody panel.
"""

from __future__ import annotations

import argparse

from engines import recipe as recipes
from engines.sound import cli_train, explore
from engines.sound.render import note_name


def parser() -> argparse.ArgumentParser:
    """Every command's options."""
    p = argparse.ArgumentParser(
        prog="python -m engines.sound", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser("note", help="one note of a preset, moved along the timbre sliders")
    n.add_argument("--pitch", type=float, default=60)
    n.add_argument("--preset")
    n.add_argument("--sliders", type=float, nargs="*", default=[])
    m = sub.add_parser("morph", help="one timbre (and pitch) turning into another")
    m.add_argument("--from", dest="a", required=True)
    m.add_argument("--to", dest="b", required=True)
    m.add_argument("--pitch", type=float, default=60)
    m.add_argument("--to-pitch", type=float)
    for s in (n, m):
        s.add_argument("--model", default=None, help="a Sound note model (default: the bundled one)")
        s.add_argument("--seconds", type=float, default=2.0 if s is n else 6.0)
        s.add_argument("--velocity", type=int, default=100)
        s.add_argument("--out", required=True)
    cli_train.add_parsers(sub)
    return p


def play(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """`note` and `morph`: play with a note model and write the WAV with its recipe."""
    path = args.model or next(iter(explore.available_models(None).values()), None)
    if path is None:
        p.error("no bundled Sound model found; pass --model")
    model = explore.load_note_model(path)
    if args.cmd == "note":
        wave, _ = explore.note(model, args.pitch, args.velocity, args.seconds, args.preset, args.sliders)
        rec = explore.note_recipe(model, args.pitch, args.velocity, args.seconds, args.preset, args.sliders)
    else:
        b_pitch = args.pitch if args.to_pitch is None else args.to_pitch
        wave, _ = explore.morph(
            model,
            (explore.timbre(model, args.a), args.pitch),
            (explore.timbre(model, args.b), b_pitch),
            args.seconds,
            args.velocity,
        )
        rec = explore.morph_recipe(model, args.a, args.pitch, args.b, b_pitch, args.seconds, args.velocity)
    sr = model.settings.sample_rate
    recipes.write_wav(args.out, sr, wave, rec)
    print(f"wrote {args.out} ({len(wave) / sr:.2f} s at {note_name(int(round(args.pitch)))})")


def main(argv: list[str] | None = None) -> None:
    """Run one command."""
    p = parser()
    args = p.parse_args(argv)
    if args.cmd == "train":
        cli_train.run_train(args)
    elif args.cmd == "train-melody":
        cli_train.run_train_melody(args)
    else:
        play(p, args)


if __name__ == "__main__":
    main()
