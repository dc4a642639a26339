"""Network helpers for tests: free loopback ports and waiting for a server."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_http(url: str, timeout: float = 30.0, **kwargs: object) -> bytes:
    """GET ``url`` until it answers 200 or ``timeout`` passes; returns the body."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5, **kwargs) as response:
                return response.read()
        except (urllib.error.URLError, ConnectionError, OSError) as error:
            last = error
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s: {last}")
