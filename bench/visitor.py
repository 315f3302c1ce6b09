"""A scripted visitor that speaks gradio's plain HTTP API, as curl or a browser would: POST
/gradio_api/call/<name>, read the answer from its event stream, then fetch the picture it names.
Light on the client's CPU, so a load test on one machine measures the studio, not the client."""

from __future__ import annotations

import http.client
import json
import secrets
from typing import Any
from urllib.parse import urlsplit


class CallError(RuntimeError):
    """The studio answered a call with an error (its message is the exception's)."""


class Visitor:
    """One visitor (a workspace key of their own) on one kept-alive connection."""

    def __init__(self, url: str, key: str | None = None, timeout: float = 60) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.headers = {"X-Atelier-Workspace": key or secrets.token_urlsafe(24)}
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def _request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {**self.headers, **({"Content-Type": "application/json"} if body else {})}
        for attempt in (0, 1):  # a kept-alive connection the server closed is opened again once
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def call(self, api_name: str, *data: Any) -> list:
        """The outputs of one call of `api_name` (without its slash), or CallError."""
        status, body = self._request("POST", f"/gradio_api/call/{api_name}", json.dumps({"data": list(data)}).encode())
        if status != 200:
            raise CallError(f"{status}: {body[:200].decode(errors='replace')}")
        event_id = json.loads(body)["event_id"]
        status, stream = self._request("GET", f"/gradio_api/call/{api_name}/{event_id}")
        event = None
        for line in stream.decode().splitlines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                payload = line.split(":", 1)[1].strip()
                if event == "error":
                    raise CallError(payload)
                return json.loads(payload)
        raise CallError(f"no answer in the event stream ({status})")

    def fetch(self, file_data: dict) -> bytes:
        """The bytes of a file an answer names (as the page loads the picture it shows)."""
        path = urlsplit(file_data["url"]).path
        status, body = self._request("GET", path)
        if status != 200:
            raise CallError(f"{status} for {path}")
        return body

    def close(self) -> None:
        self.conn.close()
