"""Shared-studio benchmark: a `--multi-user` studio served to many API clients at once, each a
visitor with a workspace of their own.

Keys (stable):
- paint_p50_ms_1, paint_p95_ms_1: /paint_generate round trip for one client;
- paint_p95_ms_8, paint_rps_8: the same with 8 clients calling at once (target p95_8 <= 4 x p95_1);
- failed_calls_32: calls that failed or timed out among 32 concurrent clients x 10 calls (target 0);
- rss_growth_ratio: resident memory after many mixed calls (Paint, Stylize, Sound, Words) from new
  visitors, over the memory after one warm-up call of each (target <= 1.3);
- keep_long_line_s: /words_keep of one 20 M-character line, answered (kept or refused) (target <= 5);
- temp_files_left: files left in the studio's temp folder once the calls are over (target 0).
"""

from __future__ import annotations

import os
import random
import secrets
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.server import StudioProcess
from bench.timing import rss_mb
from bench.visitor import Visitor

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"
PAINT_ARGS = ("emoji (bundled)", "faces", "(none)", 0.5, 23, 0.2)


def _client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False, headers={"X-Atelier-Workspace": secrets.token_urlsafe(24)})


def _paint(client, value: float) -> None:
    client.predict(*PAINT_ARGS, value, *[0.0] * 9, api_name="/paint_generate")


def _paint_and_look(visitor: Visitor, value: float) -> None:
    """One /paint_generate call and the fetch of the picture it answers with, as the page does."""
    (picture,) = visitor.call("paint_generate", *PAINT_ARGS, value, *[0.0] * 9)
    assert visitor.fetch(picture)[:3] == b"\xff\xd8\xff"  # the live picture is a JPEG


def _slider_value(k: int) -> float:
    """The k-th call's direction slider value: a new one every call (in -1.5..1.5), so every call draws
    a new picture rather than answering from the studio's memory of recent pictures."""
    return round((k * 0.6180339887) % 1.0 * 3 - 1.5, 9)


def _timed_calls(url: str, clients: int, calls: int, light: bool = True) -> tuple[list[float], int, float]:
    """`clients` visitors each making `calls` /paint_generate calls at once: (ms per call, failures, seconds).
    `light`: plain-HTTP visitors (bench.visitor); else gradio_client, whose own CPU use on the same two
    cores is about twice the studio's per call."""
    visitors = [Visitor(url) if light else _client(url) for _ in range(clients)]
    call = _paint_and_look if light else _paint

    def visit(i: int) -> tuple[list[float], int]:
        times, failed = [], 0
        for j in range(calls):
            t = time.perf_counter()
            try:
                call(visitors[i], _slider_value(i * calls + j))
                times.append((time.perf_counter() - t) * 1000)
            except Exception:  # noqa: BLE001 - a failed call is what this counts
                failed += 1
        return times, failed

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(visit, range(clients)))
    wall = time.perf_counter() - started
    return [t for ts, _ in results for t in ts], sum(f for _, f in results), wall


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1) if values else float("nan")


def _mixed_call(client, i: int) -> None:
    """One of four live calls, by turn: a picture, a stylisation, a note, a short text."""
    from gradio_client import handle_file

    turn = i % 4
    if turn == 0:
        _paint(client, (i % 40) / 20 - 1)
    elif turn == 1:
        client.predict(
            handle_file(str(SAMPLES / "content" / "chelsea.jpg")),
            handle_file(str(SAMPLES / "styles" / "swirls.jpg")),
            None,
            None,
            None,
            0.5 + (i % 10) / 20,
            0.5,
            0.5,
            0.5,
            0.8,
            False,
            256,
            api_name="/stylize_fast",
        )
    elif turn == 2:
        client.predict(
            "notes (bundled)", "Violin", 60 + i % 12, 100, 0.5, None, 1.0, *[0.0] * 7, api_name="/sound_generate"
        )
    else:
        result = client.predict(
            "shakespeare (bundled)", "ROMEO:\n", 40, 0.8, 0, 0.95, 1.0, i, "", api_name="/words_generate"
        )
        assert result


def _memory(server: StudioProcess, visitors: int, calls_each: int) -> float:
    """RSS growth over `visitors` new visitors making `calls_each` mixed calls (after one warm-up of each)."""
    warm = _client(server.url)
    for i in range(4):
        _mixed_call(warm, i)
    before = rss_mb(server.proc.pid)
    for s in range(visitors):
        visitor = _client(server.url)
        for i in range(calls_each):
            _mixed_call(visitor, s * calls_each + i)
    time.sleep(1.0)
    return round(rss_mb(server.proc.pid) / before, 3)


def _keep_long_line(url: str) -> float:
    client = _client(url)
    line = "a" * 20_000_000
    started = time.perf_counter()
    try:
        client.predict("shakespeare (bundled)", "x", 40, 0.8, 0, 0.95, 1.0, 7, "", line, api_name="/words_keep")
    except Exception:  # noqa: BLE001 - a clear refusal is an answer too
        pass
    return round(time.perf_counter() - started, 2)


def run(quick: bool = False) -> dict:
    random.seed(0)
    with tempfile.TemporaryDirectory(prefix="atelier-bench-") as tmp:
        server = StudioProcess(Path(tmp), ["--multi-user"])
        try:
            server.wait_ready()
            one = _client(server.url)
            for i in range(5):  # warm-up: model loaded, caches primed
                _paint(one, i / 10)
            single, _, _ = _timed_calls(server.url, 1, 20 if quick else 60)
            eight, _, wall8 = _timed_calls(server.url, 8, 5 if quick else 10)
            _, failed32, _ = _timed_calls(server.url, 32, 4 if quick else 10)
            growth = _memory(server, 12 if quick else 100, 8 if quick else 10)
            keep_s = _keep_long_line(server.url)
            time.sleep(1.0)
            tmp_root = Path(tmp) / "tmp"
            left = sum(len(files) for _d, _s, files in os.walk(tmp_root)) if tmp_root.exists() else 0
        finally:
            server.stop()
    return {
        "paint_p50_ms_1": round(statistics.median(single), 1),
        "paint_p95_ms_1": _p(single, 0.95),
        "paint_p95_ms_8": _p(eight, 0.95),
        "paint_rps_8": round(len(eight) / wall8, 2),
        "failed_calls_32": failed32,
        "rss_growth_ratio": growth,
        "keep_long_line_s": keep_s,
        "temp_files_left": left,
        "quick": quick,
    }
