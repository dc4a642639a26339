"""Soak: the real daemon under a steady stream of versions and snapshots for ``--minutes``.

Run from the repository root::

    python -m benchmarks.bench_soak                    # 10 minutes (make bench-soak)
    python -m benchmarks.bench_soak --minutes 2        # a shorter run
    python -m benchmarks.bench_soak --read-copy-interval 0   # a read copy after every scan

The load is ``tailwatch demo`` in a subprocess (the real CLI, daemon, exporter and DuckDB store): a
self-consuming generator publishes a version every ``--every`` seconds and the two demo corpora a
snapshot with it; every subject is scanned each ``--interval`` seconds. Every ``--sample-every``
seconds the benchmark reads, from ``/proc/<pid>``, the resident memory (``VmRSS``) and the open file
descriptors, the size of the store, its WAL and read copy on disk, and from one real scrape of
``/metrics`` the read copy's counters (``tailwatch_read_copy_written_bytes_total``,
``_publishes_total``) and the daemon's health (``tailwatch_ready``,
``tailwatch_store_errors_total``).
It prints the first, last and peak figures and the growth per hour of RSS and open files over the
second half of the run (after the warm-up), and writes ``benchmarks/results/soak.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]
MiB = 2**20


def _proc(pid: int) -> tuple[int, int, int]:
    """(RSS bytes, open file descriptors, bytes the process wrote to storage) of ``pid``."""
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    written = 0
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            written = int(line.split()[1])
    return rss, fds, written


def _scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    wanted = {
        "tailwatch_read_copy_written_bytes_total",
        "tailwatch_read_copy_publishes_total",
        "tailwatch_read_copy_duration_seconds",
        "tailwatch_ready",
        "tailwatch_store_errors_total",
        "tailwatch_generator_versions_measured",
    }
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name in wanted
    }


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per hour."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    num = sum((t - mean_t) * (v - mean_v) for t, v in points)
    den = sum((t - mean_t) ** 2 for t, _ in points)
    return 0.0 if den == 0 else num / den * 3600


def soak(args: argparse.Namespace) -> dict[str, object]:
    """Run the demo daemon for ``args.minutes`` and sample it; returns the figures."""
    from tests.support.net import free_port, wait_http

    workdir = Path(tempfile.mkdtemp(prefix="tailwatch-soak-"))
    port = free_port()
    generations = max(2, int(args.minutes * 60 / args.every) + 1)
    env = dict(os.environ)
    env["TAILWATCH_STORAGE__READ_COPY_INTERVAL_SECONDS"] = str(args.read_copy_interval)
    command = [
        sys.executable, "-m", "monitor.cli", "demo", "--workdir", str(workdir),
        "--generations", str(generations), "--every", str(args.every),
        "--interval", str(args.interval), "--sample-size", str(args.sample_size),
        "--port", str(port),
    ]  # fmt: skip
    log = open(workdir / "daemon.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    store = workdir / "tailwatch.duckdb"
    samples: list[dict[str, float]] = []
    try:
        wait_http(f"http://127.0.0.1:{port}/-/healthy", timeout=120)
        started = time.monotonic()
        deadline = started + args.minutes * 60
        while time.monotonic() < deadline and process.poll() is None:
            rss, fds, written = _proc(process.pid)
            sample = {
                "seconds": round(time.monotonic() - started, 1),
                "rss_bytes": rss,
                "open_files": fds,
                "process_written_bytes": written,
                "store_bytes": _size(store),
                "wal_bytes": _size(store.with_name(store.name + ".wal")),
                "read_copy_bytes": _size(store.with_name(store.name + ".snapshot")),
                **_scrape(port),
            }
            samples.append(sample)
            print(
                f"{sample['seconds']:7.0f} s  rss {rss / MiB:7.1f} MiB  fds {fds:4d}  "
                f"store+WAL {(sample['store_bytes'] + sample['wal_bytes']) / MiB:6.2f} MiB  "
                "read copy written "
                f"{sample.get('tailwatch_read_copy_written_bytes_total', 0) / MiB:8.2f} MiB "
                f"({sample.get('tailwatch_read_copy_publishes_total', 0):.0f} copies)",
                flush=True,
            )
            time.sleep(args.sample_every)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
    if not samples:
        raise SystemExit(f"the daemon did not run; see {workdir / 'daemon.log'}")
    half = [s for s in samples if s["seconds"] >= samples[-1]["seconds"] / 2]
    first, last = samples[0], samples[-1]
    return {
        "command": " ".join(["python -m benchmarks.bench_soak", *sys.argv[1:]]),
        "minutes": args.minutes,
        "every_seconds": args.every,
        "read_copy_interval_seconds": args.read_copy_interval,
        "sample_size": args.sample_size,
        "versions_measured": last.get("tailwatch_generator_versions_measured"),
        "rss_mib": {
            "first": first["rss_bytes"] / MiB,
            "last": last["rss_bytes"] / MiB,
            "peak": max(s["rss_bytes"] for s in samples) / MiB,
            "second_half_growth_per_hour": _slope_per_hour(
                [(s["seconds"], s["rss_bytes"] / MiB) for s in half]
            ),
        },
        "open_files": {
            "first": first["open_files"],
            "last": last["open_files"],
            "peak": max(s["open_files"] for s in samples),
            "second_half_growth_per_hour": _slope_per_hour(
                [(s["seconds"], s["open_files"]) for s in half]
            ),
        },
        "store_mib": {  # the file and its WAL (DuckDB checkpoints the WAL at 16 MiB)
            "first": (first["store_bytes"] + first["wal_bytes"]) / MiB,
            "last": (last["store_bytes"] + last["wal_bytes"]) / MiB,
        },
        "read_copy": {
            "written_mib": last.get("tailwatch_read_copy_written_bytes_total", 0) / MiB,
            "publishes": last.get("tailwatch_read_copy_publishes_total", 0),
            "last_seconds": last.get("tailwatch_read_copy_duration_seconds"),
        },
        "process_written_mib": last["process_written_bytes"] / MiB,
        "ready_always": all(s.get("tailwatch_ready") == 1 for s in samples),
        "store_errors": last.get("tailwatch_store_errors_total"),
        "workdir": str(workdir),
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between versions")
    parser.add_argument("--interval", type=float, default=2.0, help="scan interval, seconds")
    parser.add_argument("--sample-size", type=int, default=1000)
    parser.add_argument("--sample-every", type=float, default=10.0, help="seconds")
    parser.add_argument(
        "--read-copy-interval", type=float, default=60.0, help="storage.read_copy_interval_seconds"
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "soak.json")
    args = parser.parse_args()
    result = soak(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    summary = {k: v for k, v in result.items() if k != "samples"}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
