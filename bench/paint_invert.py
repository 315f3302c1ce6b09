"""Paint inversion benchmark. Keys: invert_l1, invert_s (plus invert_l1_max, invert_l1_start,
invert_l1_random, invert_cache_s, invert_pictures, invert_threads, paint_sweep_5x5_s).

invert_l1: mean L1 (pixels in [-1, 1]) between each of 50 pictures (4 with --quick) the bundled
emoji.pt drew at the tab's truncation (explore.PSI_ANCHOR toward its anchors; seeds 7000 + i, class
i mod 8) and the drawing of what `invert.invert` found for it (target <= 0.06). invert_l1_start is
the same for the nearest start alone (no optimisation); invert_l1_random for a random seed of the
right class at the same truncation, the figure to read it against.
invert_s: seconds per picture (target <= 10 on 2 CPU cores), after the model's starts are drawn
once (invert_cache_s, the first inversion's extra cost). paint_sweep_5x5_s: one 5 x 5 Paint sweep
(truncation x a direction) to its grid picture, engine only (the studio's figure adds the round trip).
"""

from __future__ import annotations

import time

import torch

from engines.paint import explore, invert
from engines.paint import sweep as paint_sweep

BUNDLED = explore.BUNDLED_DIR / "emoji.pt"


def _l1(a, b) -> float:
    return float((invert.to_target(a) - invert.to_target(b)).abs().mean())


def run(quick: bool = False) -> dict:
    torch.set_num_threads(1)  # small batches: one thread is fastest (two spin on a shared machine)
    model = explore.load_model(BUNDLED)
    n = 4 if quick else 50
    names = model.class_names
    t = time.time()
    invert.starts(model)
    cache_s = time.time() - t
    l1s, secs, start_l1s, random_l1s = [], [], [], []
    for i in range(n):
        cls = names[i % len(names)]
        target = explore.generate(model, 7000 + i, explore.PSI_ANCHOR, cls)
        t = time.time()
        found = invert.invert_picture(model, target)
        secs.append(time.time() - t)
        l1s.append(found.l1)
        z0, lab = invert.nearest_starts(model, invert.to_target(target), 1)
        start = explore.render(model, z0, torch.nn.functional.one_hot(lab, len(names)).float())[0]
        start_l1s.append(_l1(start, target))
        random_l1s.append(_l1(explore.generate(model, 90_000 + i, explore.PSI_ANCHOR, cls), target))
    t = time.time()
    paint_sweep.run_sweep(
        model,
        {"seed": 1, "psi": explore.PSI_ANCHOR, "classes": {names[0]: 1.0}},
        ("truncation", "0.2, 0.4, 0.6, 0.8, 1.0"),
        ("direction 3", "-2:2:5"),
    )
    sweep_s = time.time() - t
    return {
        "invert_l1": round(sum(l1s) / n, 4),
        "invert_l1_max": round(max(l1s), 4),
        "invert_l1_start": round(sum(start_l1s) / n, 4),
        "invert_l1_random": round(sum(random_l1s) / n, 4),
        "invert_s": round(sum(secs) / n, 2),
        "invert_cache_s": round(cache_s, 2),
        "invert_pictures": n,
        "invert_threads": torch.get_num_threads(),
        "paint_sweep_5x5_s": round(sweep_s, 2),
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv)))
