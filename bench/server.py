"""A real studio process on a free port with its own folders (used by tests and benchmarks)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StudioProcess:
    """`launch.py` as a subprocess with its own home, outputs, models and gradio temp folders."""

    def __init__(self, home: Path, extra_args: list[str] | None = None) -> None:
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.home / "studio.log"
        env = {
            **os.environ,
            "GRADIO_TEMP_DIR": str(self.home / "gradio-tmp"),
            "ATELIER_HOME": str(self.home),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "PYTHONUNBUFFERED": "1",
            "ATELIER_TMP": str(self.home / "tmp"),
        }
        env.pop("GRADIO_SERVER_NAME", None)
        self.started = time.time()
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "launch.py"), "--port", str(self.port), "--device", "cpu", *(extra_args or [])],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 120) -> float:
        """Block until the page answers HTTP 200; returns seconds since the process started."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"studio exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        return time.time() - self.started
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"studio did not answer within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """Interrupt the process (as Ctrl-C would), killing it if it does not end in 10 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def roundtrip_ms(api_name: str, args: Callable[[float], tuple], n: int) -> float:
    """Median ms of `n` gradio_client calls of `api_name` against a fresh studio; `args(v)` gives
    each call's arguments for a slider value v sweeping -2..2 (so no two calls are alike)."""
    from gradio_client import Client

    from bench.timing import median_ms

    with tempfile.TemporaryDirectory(prefix="atelier-bench-") as tmp:
        server = StudioProcess(Path(tmp))
        try:
            server.wait_ready()
            client = Client(server.url, verbose=False)
            values = iter(np.linspace(-2, 2, n + 3))
            return median_ms(lambda: client.predict(*args(float(next(values))), api_name=api_name), repeats=n, warmup=3)
        finally:
            server.stop()
