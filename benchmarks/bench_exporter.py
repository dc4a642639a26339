"""The exporter under load and attack (issue 25, item 5): scrapes at 100 req/s over TLS with basic
auth, alone, beside 32 slow clients, and beside 32 clients flooding ``/api/status``.

Run from the repository root::

    python -m benchmarks.bench_exporter                      # 15 s a phase (~1.5 min)
    python -m benchmarks.bench_exporter --root /old/checkout # the same load on another checkout

The daemon is the real ``tailwatch run`` in a subprocess (from ``--root``, this checkout by
default) over a real DuckDB store holding 3 generators x 40 versions of realistic size, with TLS
and basic auth; no subject is configured, so nothing but the load competes for the 2 cores. The
load comes from this process, from three loopback addresses (as three machines would):
127.0.0.1 scrapes ``/metrics`` at ``--rate`` per second and probes ``/-/healthy`` once a second;
in phase "slow", 127.0.0.2 holds ``--slow`` TLS connections that send one byte every 2 s and
reconnect when closed; in phase "status", 127.0.0.3 runs ``--slow`` clients that request
``/api/status`` back to back. Per phase: scrapes sent, failed (refused, reset, timed out or not
200), their latency (median, 99th percentile) and probes failed. It also times building the status
document against serving the published one, in this process. Writes
``benchmarks/results/exporter.json``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from monitor.checks import CheckThresholds
from monitor.status import status_document
from monitor.store import Store
from tests.support.net import free_port, self_signed_cert
from tests.support.report_histories import generator_run

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "exporter.json"
PASSWORD = "bench-secret"


def _store(path: Path) -> None:
    rng = np.random.default_rng(5)
    with Store(path) as store:
        for name in ("gan-a", "gan-b", "gan-c"):
            for index in range(40):
                store.record_run(generator_run(index, rng, subject=name))
        store.checkpoint()


def _request(
    url: str, context: ssl.SSLContext, source: str = "127.0.0.1", timeout: float = 5.0
) -> tuple[bool, float]:
    """(answered 200, seconds) of one authenticated GET from ``source``."""
    token = base64.b64encode(f"prom:{PASSWORD}".encode()).decode()
    host, port = "127.0.0.1", int(url.split(":")[2].split("/")[0])
    path = "/" + url.split("/", 3)[3]
    started = time.perf_counter()
    try:
        raw = socket.create_connection((host, port), timeout=timeout, source_address=(source, 0))
        with context.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(
                f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {token}\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            head = tls.recv(64)
            while tls.recv(65536):
                pass
        ok = head.startswith(b"HTTP/1.") and head[9:12] == b"200"
    except (OSError, ssl.SSLError):
        ok = False
    return ok, time.perf_counter() - started


class _Attack:
    """Background clients from one address until stopped: slow dribblers or a status flood."""

    def __init__(self, kind: str, port: int, context: ssl.SSLContext, clients: int) -> None:
        self.kind, self.port, self.context = kind, port, context
        self.stop = threading.Event()
        self.served = 0
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def __enter__(self) -> _Attack:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)

    def _run(self) -> None:
        while not self.stop.is_set():
            if self.kind == "status":
                ok, _ = _request(
                    f"https://127.0.0.1:{self.port}/api/status", self.context, "127.0.0.3"
                )
                self.served += ok
                continue
            try:  # slow: finish the handshake, then a byte every 2 s until the server closes
                raw = socket.create_connection(
                    ("127.0.0.1", self.port), timeout=5, source_address=("127.0.0.2", 0)
                )
                with self.context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                    for byte in b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 4000:
                        if self.stop.wait(2.0):
                            return
                        tls.sendall(bytes([byte]))
            except (OSError, ssl.SSLError):
                self.stop.wait(0.2)


def _phase(port: int, context: ssl.SSLContext, seconds: float, rate: float) -> dict[str, object]:
    url = f"https://127.0.0.1:{port}/metrics"
    results: list[tuple[bool, float]] = []
    probes: list[bool] = []
    with ThreadPoolExecutor(16) as pool:
        scrapes, checks = [], []
        started = time.monotonic()
        next_probe = started
        while (now := time.monotonic()) < started + seconds:
            due = int((now - started) * rate) + 1
            while len(scrapes) < due:
                scrapes.append(pool.submit(_request, url, context))
            if now >= next_probe:
                healthy = f"https://127.0.0.1:{port}/-/healthy"
                checks.append(pool.submit(_request, healthy, context))
                next_probe += 1.0
            time.sleep(0.002)
        results = [future.result() for future in scrapes]
        probes = [future.result()[0] for future in checks]
    elapsed = time.monotonic() - started
    latencies = sorted(d for ok, d in results if ok)
    return {
        "requests": len(results),
        "achieved_per_second": round(len(results) / elapsed, 1),
        "failed": sum(not ok for ok, _ in results),
        "latency_ms_median": round(1000 * statistics.median(latencies), 1) if latencies else None,
        "latency_ms_p99": (
            round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1) if latencies else None
        ),
        "probes": len(probes),
        "probes_failed": sum(not ok for ok in probes),
    }


def _status_costs(path: Path) -> dict[str, float]:
    """Median ms of building the status document against serving the published one."""
    from monitor.exporter.server import DaemonHealth, PublishedStatus

    with Store(path, read_only=True) as store:
        builds = []
        for _ in range(7):
            started = time.perf_counter()
            json.dumps(status_document(store, []))
            builds.append(time.perf_counter() - started)
        published = PublishedStatus(
            store, list, DaemonHealth, lambda _name: CheckThresholds(), True
        )
        published.body()
        served = []
        for _ in range(50):
            started = time.perf_counter()
            published.body()
            served.append(time.perf_counter() - started)
    return {
        "build_ms_median": round(1000 * statistics.median(builds), 2),
        "published_ms_median": round(1000 * statistics.median(served), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    parser.add_argument("--rate", type=float, default=100.0, help="scrapes per second")
    parser.add_argument("--slow", type=int, default=32, help="attacking clients per phase")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout the daemon runs from")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tailwatch-exporter-") as temporary:
        folder = Path(temporary)
        _store(folder / "tw.duckdb")
        cert, key = self_signed_cert(folder)
        port = free_port()
        digest = hashlib.sha256(PASSWORD.encode()).hexdigest()
        config = folder / "tailwatch.toml"
        config.write_text(
            f'[storage]\npath = "{folder / "tw.duckdb"}"\n[exporter]\nport = {port}\n'
            f'tls_certfile = "{cert}"\ntls_keyfile = "{key}"\nbasic_auth_username = "prom"\n'
            f'basic_auth_password_sha256 = "{digest}"\n',
            encoding="utf-8",
        )
        env = dict(os.environ, PYTHONPATH=str(args.root))
        log_file = (folder / "daemon.log").open("wb")
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "run", "--config", str(config)],
            cwd=args.root, env=env, stdout=subprocess.DEVNULL, stderr=log_file,
        )  # fmt: skip
        context = ssl.create_default_context(cafile=str(cert))
        try:
            deadline = time.monotonic() + 120
            while not _request(f"https://127.0.0.1:{port}/-/healthy", context)[0]:
                if time.monotonic() > deadline or daemon.poll() is not None:
                    raise SystemExit("the daemon did not start")
                time.sleep(0.5)
            _request(f"https://127.0.0.1:{port}/metrics", context)  # warm the gauges' cache
            phases: dict[str, dict[str, object]] = {}
            phases["scrapes"] = _phase(port, context, args.seconds, args.rate)
            with _Attack("slow", port, context, args.slow):
                time.sleep(3)  # the slow clients are connected
                phases["slow"] = _phase(port, context, args.seconds, args.rate)
            with _Attack("status", port, context, args.slow) as flood:
                phases["status"] = _phase(port, context, args.seconds, args.rate)
                phases["status"]["status_served"] = flood.served
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(60)
        log_file.close()
        refusals = sorted(
            {
                str(json.loads(line).get("reason", json.loads(line)["message"]))
                for line in (folder / "daemon.log").read_text().splitlines()
                if line.startswith("{") and "refused" in line
            }
        )
        costs = _status_costs(folder / "tw.duckdb")
    result = {"root": str(args.root), "rate": args.rate, "seconds": args.seconds,
              "clients": args.slow, "phases": phases, "status_document": costs,
              "refusals_logged": refusals}  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"daemon from {args.root}; {args.rate:g} scrapes/s over TLS + basic auth, "
          f"{args.seconds:g} s a phase, {args.slow} attacking clients")  # fmt: skip
    print(f"{'phase':8} {'sent':>6} {'per s':>6} {'failed':>7} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'probes failed':>14}")  # fmt: skip
    for name, phase in phases.items():
        cells = [phase[k] for k in ("requests", "achieved_per_second", "failed",
                                    "latency_ms_median", "latency_ms_p99")]  # fmt: skip
        probes = f"{phase['probes_failed']} / {phase['probes']}"
        print(f"{name:8} {cells[0]:>6} {cells[1]:>6} {cells[2]:>7} {cells[3]!s:>7} "
              f"{cells[4]!s:>7} {probes:>14}")  # fmt: skip
    print(f"refusals the daemon logged (at most one a minute each): {refusals or 'none'}")
    print(f"status document: built {costs['build_ms_median']} ms, "
          f"published {costs['published_ms_median']} ms (medians)")  # fmt: skip


if __name__ == "__main__":
    main()
