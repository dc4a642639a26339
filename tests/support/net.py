"""Network helpers for tests: free loopback ports, waiting for a server, a TLS certificate."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


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


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) of a one-day self-signed certificate for 127.0.0.1, made by openssl
    in ``folder``."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key
