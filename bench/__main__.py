"""`python -m bench <engine> [--quick]`: run one benchmark and print its JSON object."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

ENGINES = ("studio", "shared", "paint", "stylize", "sound", "words")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("engine", choices=ENGINES)
    p.add_argument("--quick", action="store_true", help="smaller samples, same keys")
    args = p.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        module = importlib.import_module(f"bench.{args.engine}")
    except ModuleNotFoundError as err:
        if err.name != f"bench.{args.engine}":
            raise
        sys.exit(f"no benchmark for {args.engine!r} yet: its engine is not built")
    print(json.dumps(module.run(quick=args.quick)))


if __name__ == "__main__":
    main()
