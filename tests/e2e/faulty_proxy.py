"""A misbehaving partner in front of a live platform: 429s with Retry-After, 500s, slow and truncated answers.

It forwards to the platform behind it (on loopback only) and, once `faults` is switched on, answers a
share of the requests itself or spoils the platform's answer, with a seeded random generator so a run
can be replayed.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests


@dataclass
class Faults:
    rate_limited: float = 0.5  # 429 with Retry-After, request not forwarded
    server_error: float = 0.2  # 500 after forwarding (the change may have been applied)
    truncated: float = 0.1  # forwarded, answer cut in the middle of its JSON
    slow: float = 0.2  # forwarded after a delay
    slow_seconds: tuple[float, float] = (0.1, 0.8)
    retry_after: int = 1
    seed: int = 2211
    counts: dict[str, int] = field(default_factory=dict)


class FaultyProxy:
    """`proxy = FaultyProxy(); proxy.target = platform.base_url; proxy.faults = Faults()`."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.target: str | None = None
        self.faults: Faults | None = None
        self._random = random.Random(0)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in separate writes

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_faults(self, faults: Faults | None) -> None:
        with self._lock:
            self.faults = faults
            self._random = random.Random(faults.seed if faults else 0)

    def _draw(self) -> tuple[str, float]:
        with self._lock:
            faults = self.faults
            if faults is None:
                return "pass", 0.0
            roll = self._random.random()
            delay = self._random.uniform(*faults.slow_seconds)
        bounds = [
            ("rate_limited", faults.rate_limited),
            ("server_error", faults.server_error),
            ("truncated", faults.truncated),
            ("slow", faults.slow),
        ]
        edge = 0.0
        for kind, share in bounds:
            edge += share
            if roll < edge:
                with self._lock:
                    faults.counts[kind] = faults.counts.get(kind, 0) + 1
                return kind, delay
        return "pass", 0.0

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        kind, delay = self._draw()
        if kind == "rate_limited":
            assert self.faults is not None
            self._reply(handler, 429, b"Too Many Requests", {"Retry-After": str(self.faults.retry_after)})
            return
        if kind == "slow":
            time.sleep(delay)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length")}
        try:
            upstream = requests.request(
                handler.command, f"{self.target}{handler.path}", data=body, headers=headers, timeout=30
            )
        except requests.RequestException:
            self._reply(handler, 502, b"bad gateway", {})
            return
        content = upstream.content
        if kind == "server_error":
            self._reply(handler, 500, b"<html>Internal Server Error</html>", {"Content-Type": "text/html"})
            return
        if kind == "truncated":
            content = content[: max(1, len(content) // 2)]
        passthrough = {
            k: v
            for k, v in upstream.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")
        }
        self._reply(handler, upstream.status_code, content, passthrough)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, content: bytes, headers: dict[str, str]) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
