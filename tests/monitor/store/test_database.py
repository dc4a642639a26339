"""Tests of monitor.store.database: real DuckDB files in tmp_path, real threads, a real killed
process."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from collectors.result import MetricValue, RegionValue
from monitor.store.database import LATEST_VERSION, Store, StoreError
from monitor.store.schema import MIGRATIONS, Migration, migrate
from tests.support.store_runs import T0, run

REPO = Path(__file__).resolve().parents[3]
TABLES = {
    "schema_migrations", "subjects", "versions", "runs", "metrics", "regions", "artifacts",
    "run_details",
}  # fmt: skip


def test_run_details_round_trip_and_json_check(store: Store) -> None:
    first, second = run("v1", 1), run("v2", 2, minute=1)
    first.details["histograms"] = '{"x": {"kind": "numeric", "edges": [0, 1], "sample": [3]}}'
    store.record_run(first)
    store.record_run(second)
    details = store.run_details("generator", "gan", "histograms")
    assert details["version"].tolist() == ["v1"]
    assert details["content"].iloc[0] == first.details["histograms"]
    broken = run("v3", 3, minute=2)
    broken.details["histograms"] = "{not json"
    with pytest.raises(ValueError, match="run detail 'histograms' must be JSON"):
        store.record_run(broken)
    assert "v3" not in store.measured("generator", "gan")


def test_round_trip(store: Store) -> None:
    result = run("v1", 1)
    result.metrics.extend(
        [
            MetricValue("precision", "baseline", 0.25),
            MetricValue("nan_metric", "reference", float("nan")),
            MetricValue("inf_metric", "reference", float("inf")),
        ]
    )
    result.regions.append(RegionValue(7, 0, float("nan"), float("inf")))
    run_id = store.record_run(result)

    assert store.subjects() == [("generator", "gan")]
    assert store.measured("generator", "gan") == {"v1": "fp"}
    history = store.history("generator", "gan")
    assert len(history) == 51  # 50 + precision/baseline; NaN and inf skipped
    assert set(history["run_id"]) == {run_id}
    values = {(r.metric, r.scope): r.value for r in history.itertuples()}
    assert values[("m7", "reference")] == 7.0
    assert values[("precision", "baseline")] == 0.25
    assert not {"nan_metric", "inf_metric"} & set(history["metric"])
    assert history["finished_at"].iloc[0] == T0 + timedelta(seconds=30)

    regions = store.regions_history("generator", "gan")
    assert list(regions["region"]) == [0, 1, 2, 7]
    assert list(regions["real_rows"]) == [10, 20, 30, 0]
    assert regions["coverage"].iloc[3] != regions["coverage"].iloc[3]  # NULL -> NaN

    (row,) = store.runs().to_dict("records")
    assert row["id"] == run_id and row["kind"] == "generator" and row["subject"] == "gan"
    assert (row["version"], row["fingerprint"], row["version_index"]) == ("v1", "fp", 1)
    assert (row["status"], row["duration_seconds"]) == ("ok", 30.0)
    assert (row["reference_rows"], row["sample_rows"]) == (1000, 500)
    assert (row["metric_count"], row["region_count"]) == (51, 4)
    assert row["started_at"] == T0

    (status,) = store.latest_runs()
    assert (status.last_version, status.last_status, status.last_ok_version) == ("v1", "ok", "v1")
    assert status.last_finished_at == T0 + timedelta(seconds=30)
    assert (status.ok_runs, status.failed_runs, status.versions_measured) == (1, 0, 1)
    assert store.run_counts() == {("generator", "gan", "ok"): 1, ("generator", "gan", "failed"): 0}


def test_times_are_stored_as_utc(store: Store) -> None:
    result = run("v1", 1)
    plus2 = timezone(timedelta(hours=2))
    result.started_at = datetime(2026, 3, 1, 12, 0, tzinfo=plus2)
    result.finished_at = datetime(2026, 3, 1, 12, 5, tzinfo=plus2)
    store.record_run(result)
    row = store.runs().iloc[0]
    assert row["started_at"] == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert store.latest_runs()[0].last_finished_at == datetime(2026, 3, 1, 10, 5, tzinfo=UTC)


def test_idempotent_rerecord(store: Store) -> None:
    first = store.record_run(run("v1", 1))
    again = store.record_run(run("v1", 1, minute=5, offset=100.0))
    assert again == first
    assert len(store.runs()) == 1
    assert len(store.history("generator", "gan")) == 50
    assert store.history("generator", "gan")["value"].max() == 49.0  # the first run's figures
    changed = store.record_run(run("v1", 1, fingerprint="fp2", minute=10))
    assert changed != first
    assert store.measured("generator", "gan") == {"v1": "fp2"}
    failed_a = store.record_run(run("v2", 2, status="failed", minute=11))
    failed_b = store.record_run(run("v2", 2, status="failed", minute=12))
    assert failed_a != failed_b  # every failed attempt is kept
    assert len(store.runs()) == 4


def test_failed_runs_counted_and_reset_after_ok(store: Store) -> None:
    assert store.failures("generator", "gan", "v1", "fp") == (0, None)
    store.record_run(run("v1", 1, status="failed", minute=1, n_metrics=0, n_regions=0))
    store.record_run(run("v1", 1, status="failed", minute=2, n_metrics=0, n_regions=0))
    store.record_run(run("v1", 1, status="failed", fingerprint="other", minute=3))
    count, last = store.failures("generator", "gan", "v1", "fp")
    assert (count, last) == (2, T0 + timedelta(minutes=2, seconds=30))
    assert store.measured("generator", "gan") == {}
    (status,) = store.latest_runs()
    assert (status.last_status, status.last_error, status.last_ok_version) == (
        "failed",
        "boom",
        None,
    )
    assert (status.ok_runs, status.failed_runs, status.versions_measured) == (0, 3, 0)
    assert store.latest_ok_metrics("generator") == {}

    store.record_run(run("v1", 1, minute=4))
    assert store.failures("generator", "gan", "v1", "fp") == (0, None)
    assert store.failures("generator", "gan", "v1", "other")[0] == 1
    assert store.run_counts()[("generator", "gan", "failed")] == 3
    assert store.run_counts()[("generator", "gan", "ok")] == 1


def test_latest_metrics_follow_highest_version_index(store: Store) -> None:
    store.record_run(run("v3", 3, minute=1, offset=3000.0))
    store.record_run(run("v1", 1, minute=2, offset=1000.0))  # finished later, lower index
    store.record_run(run("c1", 1, kind="corpus", subject="mix", n_metrics=2, offset=7.0))
    latest = store.latest_ok_metrics("generator")
    assert set(latest) == {"gan"}
    assert latest["gan"][("m0", "reference")] == 3000.0
    assert len(latest["gan"]) == 50
    assert store.latest_ok_metrics("corpus") == {
        "mix": {("m0", "reference"): 7.0, ("m1", "reference"): 8.0}
    }
    gan = next(s for s in store.latest_runs() if s.subject == "gan")
    assert (gan.last_version, gan.last_ok_version, gan.versions_measured) == ("v1", "v3", 2)
    history = store.history("generator", "gan")
    assert list(history["version"].drop_duplicates()) == ["v1", "v3"]  # by version_index
    store.record_run(run("v4", 4, minute=3, offset=4000.0))
    assert store.latest_ok_metrics("generator")["gan"][("m0", "reference")] == 4000.0


def test_runs_filters_and_limit(store: Store) -> None:
    for i in range(5):
        store.record_run(run(f"v{i}", i, minute=i))
    store.record_run(run("c1", 1, kind="corpus", subject="mix", minute=10))
    assert len(store.runs(limit=3)) == 3
    assert list(store.runs(kind="generator", limit=2)["version"]) == ["v4", "v3"]
    assert list(store.runs(subject="mix")["kind"]) == ["corpus"]
    assert store.runs(kind="corpus", subject="gan").empty
    assert store.history("generator", "missing").empty
    assert list(store.history("generator", "missing").columns) == [
        "version", "version_index", "run_id", "finished_at", "metric", "scope", "value",
        "reference_rows", "sample_rows",
    ]  # fmt: skip


def test_bad_input_writes_nothing(store: Store) -> None:
    bad = run("v1", 1)
    bad.metrics.append(MetricValue("m0", "reference", 1.0))
    with pytest.raises(ValueError, match="repeats metrics"):
        store.record_run(bad)
    negative = run("v1", 1)
    negative.sample_rows = -1  # rejected by the database inside the transaction
    with pytest.raises(duckdb.ConstraintException):
        store.record_run(negative)
    assert store.runs().empty and store.subjects() == []
    with pytest.raises(ValueError, match="kind"):
        store.record_run(run("v1", 1, kind="model"))


def test_artifacts(store: Store) -> None:
    assert store.get_artifact("generator", "gan", "features") is None
    store.put_artifact("generator", "gan", "features", '{"mean": [1, 2]}', "ref1")
    store.put_artifact("generator", "gan", "features", '{"mean": [3]}', "ref2")
    assert store.get_artifact("generator", "gan", "features") == ('{"mean": [3]}', "ref2")
    assert store.get_artifact("corpus", "gan", "features") is None
    with pytest.raises(ValueError, match="JSON"):
        store.put_artifact("generator", "gan", "pickle", "\x80\x04K\x01.", "x")
    assert store.subjects() == [("generator", "gan")]


def test_migrations_from_empty_file_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "tw.duckdb"
    with Store(path) as store:
        assert store.schema_version == LATEST_VERSION == len(MIGRATIONS)
        store.record_run(run("v1", 1))
    con = duckdb.connect(str(path))
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    applied = con.execute("SELECT version, applied_at FROM schema_migrations").fetchall()
    con.close()
    assert tables >= TABLES
    assert [v for v, _ in applied] == list(range(1, LATEST_VERSION + 1))
    with Store(path) as store:
        assert store.schema_version == LATEST_VERSION
        assert store.measured("generator", "gan") == {"v1": "fp"}
    con = duckdb.connect(str(path))
    assert con.execute("SELECT version, applied_at FROM schema_migrations").fetchall() == applied
    con.close()
    with Store(path, read_only=True) as reader:
        assert len(reader.history("generator", "gan")) == 50
        with pytest.raises(StoreError, match="read-only"):
            reader.record_run(run("v2", 2))


def test_migrate_upgrades_an_old_file_step_by_step(tmp_path: Path) -> None:
    path = str(tmp_path / "tw.duckdb")
    with Store(path) as store:
        store.record_run(run("v1", 1))
    nxt = LATEST_VERSION + 1
    newer = (*MIGRATIONS, Migration(nxt, "note column", "ALTER TABLE runs ADD COLUMN note VARCHAR"))
    broken = (*newer, Migration(nxt + 1, "broken", "CREATE TABLE half (x INT); SELECT * FROM nope"))
    con = duckdb.connect(path)
    try:
        with pytest.raises(StoreError, match=f"migration {nxt + 1}"):
            migrate(con, broken)
        # the good step committed, the broken one left nothing behind
        versions = [r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()]
        assert sorted(versions) == list(range(1, nxt + 1))
        assert con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'"
        ).fetchone() == (0,)
        assert con.execute("SELECT note FROM runs").fetchall() == [(None,)]
        assert migrate(con, newer) == nxt  # nothing left to do
    finally:
        con.close()


def test_newer_schema_refused(tmp_path: Path) -> None:
    path = tmp_path / "tw.duckdb"
    Store(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations VALUES (?, now()::TIMESTAMP)", [LATEST_VERSION + 1])
    con.close()
    for read_only in (False, True):
        with pytest.raises(StoreError, match=f"schema version {LATEST_VERSION + 1}, newer"):
            Store(path, read_only=read_only)


def test_memory_limit_is_applied(tmp_path: Path) -> None:
    with Store(tmp_path / "tw.duckdb", memory_limit="256MB") as store:
        setting = store._cursor().execute("SELECT current_setting('memory_limit')").fetchone()
    assert setting == ("244.1 MiB",)


def test_closed_store_refuses_use(tmp_path: Path) -> None:
    store = Store(tmp_path / "tw.duckdb")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.subjects()


def test_reads_in_another_thread_never_see_a_partial_run(store: Store) -> None:
    n_runs, stop = 60, threading.Event()
    errors: list[str] = []
    reads = 0

    def reader() -> None:
        nonlocal reads
        while not stop.is_set():
            page = store.runs(limit=10_000)
            bad = page[(page["metric_count"] != 50) | (page["region_count"] != 3)]
            if not bad.empty:
                errors.append(f"partial runs visible: {bad[['id', 'metric_count']].values}")
            for subject, figures in store.latest_ok_metrics("generator").items():
                if len(figures) != 50:
                    errors.append(f"{subject}: {len(figures)} metrics")
            reads += 1

    thread = threading.Thread(target=reader)
    thread.start()
    started = time.monotonic()
    try:
        for i in range(n_runs):
            store.record_run(run(f"v{i}", i, subject=f"s{i % 3}", minute=i))
    finally:
        stop.set()
        thread.join(timeout=30)
    assert time.monotonic() - started < 20
    assert not errors, errors[:3]
    assert reads >= 5  # the reader really ran alongside the writer
    assert len(store.runs(limit=1000)) == n_runs


_WRITER = """
import sys
from datetime import UTC, datetime, timedelta
from collectors.result import MetricValue, RegionValue, RunResult
from monitor.store.database import Store

store = Store(sys.argv[1])
start = int(sys.argv[2])
t0 = datetime(2026, 1, 1, tzinfo=UTC)
for i in range(start, start + 100_000):
    version = f"v{i // 2}"  # every version is recorded twice: the second must be a no-op
    metrics = [MetricValue(f"m{j}", "reference", float(j)) for j in range(50)]
    regions = [RegionValue(r, 5, 0.5, 1.0) for r in range(4)]
    finished = t0 + timedelta(seconds=i)
    result = RunResult("generator", "crash", version, "fp", i // 2, t0, finished, "ok",
                       metrics=metrics, regions=regions)
    print(store.record_run(result), flush=True)
"""


def _write_until_killed(path: Path, start: int) -> list[int]:
    """Start a writer process, let it commit at least 20 runs, kill -9 it; return printed ids."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path), str(start)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    ids: list[int] = []
    reader = threading.Thread(target=lambda: ids.extend(int(line) for line in proc.stdout))
    reader.start()
    try:
        deadline = time.monotonic() + 20
        while len(ids) < 20 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(ids) >= 20, proc.stderr.read() if proc.poll() is not None else "too slow"
        with pytest.raises(StoreError, match="is locked by process"):
            Store(path)  # the writer process holds the file, and the error names it
        time.sleep(random.uniform(0, 0.3))
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        reader.join(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    return ids


@pytest.mark.slow
def test_kill_9_during_writes_leaves_a_consistent_store(tmp_path: Path) -> None:
    path = tmp_path / "crash.duckdb"
    start = 0
    for _ in range(3):  # later rounds write on after recovering from the previous kill
        printed = _write_until_killed(path, start)
        with Store(path) as store:
            page = store.runs(limit=1_000_000)
            assert set(printed) <= set(page["id"])  # every commit it reported survived
            assert (page["metric_count"] == 50).all() and (page["region_count"] == 4).all()
            assert not page.duplicated(["subject", "version", "fingerprint"]).any()
            assert set(page["status"]) == {"ok"}
            history = store.history("generator", "crash")
            assert (history.groupby("run_id").size() == 50).all()
            assert set(history["run_id"]) == set(page["id"])
            start = 2 * (int(page["version_index"].max()) + 1)
