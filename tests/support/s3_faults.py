"""A fault-injecting HTTP proxy in front of the tests' S3 server (moto): real HTTP both ways,
with ``503 SlowDown`` answers while an outage lasts (a count of requests, or until cleared), as
an object store under load answers."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = ["FaultProxy", "fault_proxy", "is_data_read", "moto_server", "use_credentials"]

SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


class FaultProxy:
    """Forwards every request to ``upstream``; answers 503 SlowDown instead while failing."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.lock = threading.Lock()
        self.failures_left = 0  # the next N requests fail
        self.failing = False  # every request fails until cleared
        self.only: Callable[[str, str], bool] | None = None  # (method, path): which requests
        self.refused = 0  # 503s answered
        self.forwarded = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if proxy.take_failure(self.command, self.path):
                    self.send_response(503, "Slow Down")
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(SLOW_DOWN)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(SLOW_DOWN)
                    return
                upstream = http.client.HTTPConnection(
                    proxy.upstream.hostname, proxy.upstream.port, timeout=30
                )
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                self.send_response(response.status, response.reason)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                length = response.getheader("Content-Length") if self.command == "HEAD" else None
                self.send_header("Content-Length", length or str(len(data)))  # HEAD: the object's
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream.close()
                with proxy.lock:
                    proxy.forwarded += 1

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def take_failure(self, method: str, path: str) -> bool:
        with self.lock:
            if self.only is not None and not self.only(method, path):
                return False
            if self.failing or self.failures_left > 0:
                self.failures_left = max(0, self.failures_left - 1)
                self.refused += 1
                return True
            return False

    def fail(
        self, requests: int | None = None, only: Callable[[str, str], bool] | None = None
    ) -> None:
        """Fail the next ``requests`` requests, or (None) every request until :meth:`heal`;
        ``only`` (method, path) picks which requests may fail (default: all)."""
        with self.lock:
            self.only = only
            if requests is None:
                self.failing = True
            else:
                self.failures_left = requests

    def heal(self) -> None:
        with self.lock:
            self.failing, self.failures_left, self.only = False, 0, None


def is_data_read(method: str, path: str) -> bool:
    """A GET of an object's bytes (not a listing): what a scan does after discovery."""
    return method == "GET" and "?" not in path  # listings and bucket queries carry a query


def use_credentials(monkeypatch: Any, key_id: str, secret: str) -> None:
    """Credentials through the AWS environment chain, no metadata service, no endpoint."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": key_id,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3 server on a free loopback port; yields its endpoint URL."""
    import logging

    from moto.server import ThreadedMotoServer

    from tests.support.net import free_port

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream)
    proxy.thread.start()
    try:
        yield proxy
    finally:
        proxy.server.shutdown()
        proxy.server.server_close()
