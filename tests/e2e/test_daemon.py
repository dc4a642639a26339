"""The daemon end to end: the real CLI in a subprocess, a real DuckDB file, real scrapes.

Versions of the built-in collapsing scenario appear one by one; the gauges follow; ``status``
works while the daemon holds the file; a ``kill -9`` and a restart finish the work without
duplicates; a corrupt version is a failed run, counted and shown; SIGTERM stops it cleanly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.demo.tabular import FEATURES, DemoScenario
from monitor.store.database import Store
from tests.support.net import free_port, wait_http

pytestmark = pytest.mark.slow
GENERATOR = "demo-gan"
CORPUS = "demo-corpus"  # fed by the generator: leaks 50 rows of every earlier generation


def _config(root: Path, scenario: DemoScenario, port: int) -> Path:
    path = root / "tailwatch.toml"
    path.write_text(
        f"""
[storage]
path = "tailwatch.duckdb"
read_copy_interval_seconds = 0  # status is read right after each version
[exporter]
port = {port}
[scheduler]
retry_initial_seconds = 1
retry_max_seconds = 2
retry_max_attempts = 2
[[generators]]
name = "{GENERATOR}"
reference = "{scenario.reference_path}"
holdout = "{scenario.holdout_path}"
versions = "{scenario.versions_dir}/*.parquet"
categorical = ["segment"]
sample_size = 800
regions = 8
interval_seconds = 1
[[corpora]]
name = "{CORPUS}"
snapshots = "{scenario.corpus_dir}/*"
content_columns = {json.dumps([*FEATURES, "segment"])}
generator_column = "generator"
max_synthetic_fraction = 0.3
interval_seconds = 1
""",
        encoding="utf-8",
    )
    return path


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = wait_http(f"http://127.0.0.1:{port}/metrics").decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _latest_version(port: int) -> str | None:
    for (name, labels), _ in _scrape(port).items():
        if name == "tailwatch_generator_version_info":
            return dict(labels)["version"]
    return None


def _wait_version(port: int, version: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _latest_version(port) == version:
            return
        time.sleep(0.5)
    raise TimeoutError(
        f"{version} not exported within {timeout} s (latest {_latest_version(port)})"
    )


def _wait_snapshot(port: int, snapshot: str, timeout: float = 90.0) -> None:
    key = ("tailwatch_corpus_snapshot_info", (("corpus", CORPUS), ("snapshot", snapshot)))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if key in _scrape(port):
            return
        time.sleep(0.5)
    raise TimeoutError(f"{snapshot} not exported within {timeout} s")


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Path, DemoScenario, int, list[subprocess.Popen]]]:
    scenario = DemoScenario(tmp_path / "data", rows=800)
    scenario.write_reference()
    scenario.versions_dir.mkdir(parents=True)
    scenario.corpus_dir.mkdir(parents=True)
    port = free_port()
    config = _config(tmp_path, scenario, port)
    started: list[subprocess.Popen] = []
    yield config, scenario, port, started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _start(config: Path, started: list[subprocess.Popen]) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "run", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=config.parent,
    )
    started.append(process)
    return process


def _status(config: Path) -> tuple[int, dict]:
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "status", "--json", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {}


def test_daemon_measures_exports_survives_kill_and_stops_cleanly(setup) -> None:
    config, scenario, port, started = setup
    generations = scenario.generations()
    frames = [next(generations) for _ in range(5)]

    def publish(index: int) -> None:
        scenario.write_version(index, frames[index])
        scenario.write_snapshot(frames[: index + 1])

    publish(0)
    daemon = _start(config, started)
    _wait_version(port, "gen-000")
    first = _scrape(port)
    coverage_key = ("tailwatch_generator_coverage", (("generator", GENERATOR),))
    assert 0.8 < first[coverage_key] <= 1.0
    assert (
        first[("tailwatch_generator_coverage_vs_baseline_ratio", (("generator", GENERATOR),))]
        == 1.0
    )

    # status works while the daemon holds the file (it reads the published copy)
    code, document = _status(config)
    assert code == 0, document
    assert "daemon running" in document["note"]
    subject = next(s for s in document["subjects"] if s["kind"] == "generator")
    assert subject["name"] == GENERATOR and subject["ok_runs"] == 1
    assert subject["metrics"]["coverage"] == pytest.approx(first[coverage_key])

    for index in (1, 2):
        publish(index)
        _wait_version(port, f"gen-{index:03d}")

    # kill -9 with new versions and snapshots waiting, restart: the work finishes without
    # duplicates
    publish(3)
    publish(4)
    time.sleep(1.5)
    daemon.send_signal(signal.SIGKILL)
    daemon.wait(10)
    daemon = _start(config, started)
    _wait_version(port, "gen-004")
    _wait_snapshot(port, "snapshot-004")

    # a corrupt version: a failed run, counted, shown; the daemon keeps serving
    (scenario.versions_dir / "gen-005.parquet").write_bytes(os.urandom(4096))
    deadline = time.monotonic() + 60
    failed_key = (
        "tailwatch_runs_total",
        (("kind", "generator"), ("status", "failed"), ("subject", GENERATOR)),
    )
    while _scrape(port).get(failed_key, 0) < 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    scrape = _scrape(port)
    assert scrape[failed_key] >= 1
    assert (
        scrape[("tailwatch_last_run_failed", (("kind", "generator"), ("subject", GENERATOR)))] == 1
    )
    time.sleep(1.5)  # let the daemon publish its read copy after the failed run
    code, document = _status(config)
    assert code == 1  # the last run failed
    failed = next(s for s in document["subjects"] if s["kind"] == "generator")
    assert "gen-005" in failed["last_error"]

    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(30) == 0

    with Store(config.parent / "tailwatch.duckdb", read_only=True) as store:
        runs = store.runs(kind="generator", subject=GENERATOR, limit=1000)
        ok = runs[runs["status"] == "ok"]
        assert sorted(ok["version"]) == [f"gen-{i:03d}" for i in range(5)]  # each once
        history = store.history("generator", GENERATOR)
        snapshots = store.runs(kind="corpus", subject=CORPUS, limit=1000)
        corpus = store.history("corpus", CORPUS)
        registered = store.fetch_arrow(
            "SELECT count(*) AS n, count(DISTINCT source) AS sources FROM synthetic_registry"
        ).to_pylist()[0]
    # every snapshot scanned once; every sampled row registered once (800 rows a version)
    assert sorted(snapshots["version"]) == [f"snapshot-{i:03d}" for i in range(5)]
    assert (snapshots["status"] == "ok").all()
    assert registered == {"n": 800 * 5, "sources": 5}
    # snapshot 2 came after generations 0 and 1 were measured: their 2 x 50 leaked rows count
    leaked = corpus.query("version == 'snapshot-002' and scope == 'snapshot'")
    assert leaked.set_index("metric")["value"]["unlabeled_synthetic_rows"] == 100
    figures = history[history["scope"] == "reference"].pivot_table(
        index="version_index", columns="metric", values="value"
    )
    # the collapse signature across versions: coverage and recall fall, precision holds,
    # density climbs above 1
    assert figures["coverage"].iloc[-1] < figures["coverage"].iloc[0] - 0.1
    assert figures["recall"].iloc[-1] < figures["recall"].iloc[0] - 0.2
    assert figures["precision"].iloc[-1] > 0.85
    assert figures["density"].iloc[-1] > 1.1
