"""Studio benchmark: cold start to HTTP 200, and memory once every tab's model has been used.

Keys: cold_start_s, rss_mb_all_loaded (plus rss_mb_idle, tabs, machine), replay_exact (the share of
deterministic kept outputs, a Paint picture, a Stylize fast result, a Sound note and a Words text at a
seed, that /gallery_replay remakes identical to the kept file; target 1.0) with replay_checked.
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.server import StudioProcess
from bench.timing import rss_mb

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"


def _continue_the_note(last: tuple) -> tuple:
    """/sound_melody's inputs to continue the note /sound_generate just played (its WAV carries the
    note's recipe), by 2 bars at the panel's defaults, with the bundled models and the Flute."""
    from gradio_client import handle_file

    note = last[0] if isinstance(last, (list, tuple)) else last
    return (
        "melody (bundled)",
        "the current note",
        None,
        None,
        handle_file(str(note)),
        2,
        0.8,
        0,
        120.0,
        0.0,
        "auto (from the primer)",
        "auto (from the primer)",
        "notes (bundled)",
        "Flute",
        [],
        *[0.0] * 8,
    )


def _warm_args() -> dict[str, list[tuple[str, tuple | Callable[[tuple], tuple]]]]:
    """One quick call per engine that loads its default model; calls for absent tabs are skipped. A
    callable in place of the inputs makes them from the previous call's result."""
    from gradio_client import handle_file

    content, style = (
        handle_file(str(SAMPLES / "content" / "chelsea.jpg")),
        handle_file(str(SAMPLES / "styles" / "swirls.jpg")),
    )
    return {
        "gallery": [("/gallery_items", ("all", ""))],
        "paint": [("/paint_generate", ())],
        "stylize": [
            ("/stylize_fast", (content, style, None, None, None, 1.0, 0.5, 0.5, 0.5, 1.0, False, 512)),
            (
                "/stylize_gatys",
                (
                    content,
                    style,
                    None,
                    None,
                    None,
                    1.0,
                    0.5,
                    0.5,
                    0.5,
                    20,
                    256,
                    1.0,
                    0.15,
                    0.3,
                    "efficientnet-lite0",
                    "lbfgs",
                    "none",
                    None,
                ),
            ),
        ],
        "sound": [("/sound_generate", ()), ("/sound_melody", _continue_the_note)],
        "words": [("/words_generate", ()), ("/words_line", ())],
    }


def _keep_calls() -> list[tuple[str, tuple]]:
    """One kept output per deterministic path, through the tabs' own Keep endpoints."""
    from gradio_client import handle_file

    content, style = (
        handle_file(str(SAMPLES / "content" / "chelsea.jpg")),
        handle_file(str(SAMPLES / "styles" / "swirls.jpg")),
    )
    return [
        ("/paint_keep", ("emoji (bundled)", "faces", "(none)", 0.5, 42, 0.2, 0.5, *[0.0] * 9, 2)),
        ("/stylize_keep", (content, style, None, None, None, 1.0, 0.5, 0.5, 0.5, 0.8, False, 384)),
        ("/sound_keep", ("notes (bundled)", "Violin", 64, 100, 1.0, None, 1.0, *[0.0] * 8)),
        ("/words_keep", ("shakespeare (bundled)", "ROMEO:\n", 120, 0.8, 0, 0.95, 1.0, 7, "", None)),
    ]


def _replay_exact(client, endpoints: dict) -> tuple[float, int]:
    """Keep one output of each deterministic kind, remake each through /gallery_replay; (share identical, count)."""
    if "/gallery_replay" not in endpoints:
        return float("nan"), 0
    for api_name, args in _keep_calls():
        if api_name not in endpoints:
            continue
        if api_name == "/words_keep":  # keep what the tab wrote at that seed
            text = client.predict(*args[:-1], api_name="/words_generate")
            text = text[0] if isinstance(text, (list, tuple)) else text
            args = (*args[:-1], text)
        client.predict(*args, api_name=api_name)
    results = [
        client.predict(item["id"], api_name="/gallery_replay")[1]
        for item in client.predict("all", "", api_name="/gallery_items")
    ]
    exact = [r for r in results if r.get("exact")]
    return (round(sum(bool(r.get("matches")) for r in exact) / len(exact), 3) if exact else float("nan")), len(exact)


def _cold_start(home: Path) -> float:
    server = StudioProcess(home)
    try:
        return server.wait_ready()
    finally:
        server.stop()


def run(quick: bool = False) -> dict:
    from gradio_client import Client

    with tempfile.TemporaryDirectory(prefix="atelier-bench-") as tmp:
        starts = [_cold_start(Path(tmp) / f"cold{i}") for i in range(2 if quick else 5)]
        server = StudioProcess(Path(tmp) / "warm")
        try:
            server.wait_ready()
            idle = rss_mb(server.proc.pid)
            client = Client(server.url, verbose=False)
            endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
            used = []
            for tab, calls in _warm_args().items():
                last: tuple = ()
                for api_name, args in calls:
                    if api_name in endpoints:
                        last = client.predict(*(args(last) if callable(args) else args), api_name=api_name)
                        used.append(tab)
            loaded = rss_mb(server.proc.pid)
            replay_share, replay_n = _replay_exact(client, endpoints)
        finally:
            server.stop()
    return {
        "cold_start_s": round(statistics.median(starts), 2),
        "rss_mb_all_loaded": loaded,
        "rss_mb_idle": idle,
        "tabs": sorted(set(used)),
        "replay_exact": replay_share,
        "replay_checked": replay_n,
        "machine": " ".join(filter(None, [platform.machine(), platform.processor(), f"{os.cpu_count()} cpus"])),
    }
