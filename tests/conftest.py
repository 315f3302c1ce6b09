"""Shared fixtures: a real studio process on a free port, and Debian chromium for playwright."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.server import ROOT, StudioProcess  # noqa: F401  (ROOT is shared with the tests)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
Studio = StudioProcess


BENIGN = ("starlette.requests.ClientDisconnect",)  # a browser closed mid-upload when its test ended


def assert_no_traceback(server: StudioProcess) -> None:
    """The studio's log shows no traceback (errors reach users as messages, not crashes)."""
    log = server.log()
    for part in log.split("Traceback (most recent call last):")[1:]:
        last_line = next((ln for ln in part.splitlines() if ln and not ln.startswith(" ")), "")
        if not last_line.startswith(BENIGN):
            raise AssertionError("the studio logged a traceback:\n" + part[:3000])


@pytest.fixture(scope="session")
def studio(tmp_path_factory):
    """One studio for the whole test session (the app and browser tests share it)."""
    server = Studio(tmp_path_factory.mktemp("studio-home"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright: Debian's chromium, offline flags, never a downloaded browser."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}
