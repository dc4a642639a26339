"""History retention (monitor.store.retention): real DuckDB files, the real ``tailwatch prune``
CLI."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collectors.result import MetricValue, RunResult
from monitor.checks import CheckThresholds, evaluate_checks, generator_verdict
from monitor.settings import CorpusSettings
from monitor.store.database import Store
from monitor.store.history import version_figures
from monitor.store.retention import compact_file, fingerprint_file_name, prune, store_bytes
from monitor.watch.corpus import CorpusWatch
from tests.support.report_histories import generator_run

REPO = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
# The change checks' baseline is made from the first versions: retention keeps them.
FIRST = max(1, int(getattr(CheckThresholds(), "baseline_versions", 1)))


def test_store_stays_bounded_over_200_versions(tmp_path: Path) -> None:
    """Pruned every 10 versions (as the daemon's schedule would), the file stops growing; the
    kept versions' figures, the baseline and the checks are what they were without pruning."""
    rng = np.random.default_rng(3)
    sizes: list[int] = []
    detail_bytes = 0
    with Store(tmp_path / "kept.duckdb") as store, Store(":memory:") as everything:
        for index in range(200):
            run = generator_run(index, rng)
            detail_bytes += len(run.details["histograms"])
            store.record_run(run)
            everything.record_run(replace(run, details={}))  # the control, unpruned
            if index % 10 == 9:
                prune(store, keep_versions=20, keep_days=None, keep_first=FIRST)
                sizes.append(store_bytes(store.path))
        # Growth stops once the window is full (versions 40 on): the file's blocks are reused.
        assert max(sizes[4:]) <= max(sizes[:4]) * 1.1, sizes
        assert sizes[-1] < detail_bytes / 2, (sizes[-1], detail_bytes)

        kept = store.history("generator", "gan")
        full = everything.history("generator", "gan")
        versions = sorted(set(kept["version"]))
        assert versions == [f"v{i:03d}" for i in [*range(FIRST), *range(180, 200)]]
        cols = ["version", "metric", "scope", "value"]
        latest = full[full["version"].isin(versions)][cols].reset_index(drop=True)
        assert kept[cols].reset_index(drop=True).equals(latest)  # kept figures untouched
        # Pruned versions are still known as measured: nothing is measured again.
        assert store.measured("generator", "gan") == everything.measured("generator", "gan")
        assert store.run_details("generator", "gan", "histograms")["version"].tolist() == versions
        assert len(store.regions_history("generator", "gan")) == 20 * len(versions)

        def latest_checks(history: pd.DataFrame) -> dict[str, tuple]:
            figures, healthy = version_figures(history)
            return {
                c.check: (c.value, c.limit, min(c.streak, 20), c.breached[-20:], c.detail)
                for c in evaluate_checks(figures, healthy)
            }

        # The baseline's versions survive, so the latest versions' checks are unchanged
        # (streaks count the kept versions: keep_versions must be >= the persistence, 2).
        checks = latest_checks(kept)
        assert checks == latest_checks(full)
        assert checks["coverage_decline"][2] == 20  # and they do breach: coverage fell 40 %
    # The pruned, checkpointed file opens again (the daemon restarts): it passes the integrity
    # check although the checkpoint gave blocks back at its end.
    with Store(tmp_path / "kept.duckdb") as reopened:
        assert len(reopened.history("generator", "gan")) == len(kept)


def test_keep_days_and_the_window_union(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    with Store(tmp_path / "tw.duckdb") as store:
        for i in range(30):
            store.record_run(generator_run(i, rng))
        now = T0 + timedelta(hours=29, minutes=30)
        result = prune(store, keep_versions=None, keep_days=0.25, now=now)  # 6 hours
        versions = sorted(set(store.history("generator", "gan")["version"]))
        assert versions == ["v000", *[f"v{i:03d}" for i in range(24, 30)]]
        assert result.runs_pruned == 23
        again = prune(store, keep_versions=10, keep_days=0.25, now=now)  # nothing more to prune
        assert again.runs_pruned == 0
        assert prune(store, keep_versions=None, keep_days=None).runs_pruned == 0


def _snapshot_run(i: int, details: dict[str, str] | None = None) -> RunResult:
    """Snapshot ``s{i}`` (fingerprint ``c{i}``) of corpus ``mix``, ``i`` hours after T0."""
    start = T0 + timedelta(hours=i)
    return RunResult(
        subject_kind="corpus",
        subject="mix",
        version=f"s{i}",
        fingerprint=f"c{i}",
        version_index=i,
        started_at=start,
        finished_at=start,
        status="ok",
        metrics=[MetricValue("rows", "snapshot", 100.0 + i)],
        details=details or {},
    )


def test_corpus_fingerprint_files_beyond_the_window_are_deleted(tmp_path: Path) -> None:
    path = tmp_path / "tw.duckdb"
    folder = tmp_path / "tw.duckdb.corpora" / "mix"
    folder.mkdir(parents=True)
    with Store(path) as store:
        settings = CorpusSettings(name="mix", snapshots=str(tmp_path / "snaps" / "*"))
        watch = CorpusWatch(settings, store)
        for i in range(6):
            store.record_run(_snapshot_run(i, details={"mix": "{}"}))
            name = fingerprint_file_name(f"s{i}", f"c{i}")
            assert folder / name == watch.fingerprint_file(_Ref(f"s{i}", f"c{i}"))
            (folder / name).write_bytes(b"x")
        (folder / "unrelated.parquet").write_bytes(b"y")
        result = prune(store, keep_versions=2, keep_days=None)
        assert result.files_deleted == 3
        left = {p.name for p in folder.iterdir()}
        wanted = {fingerprint_file_name(f"s{i}", f"c{i}") for i in (0, 4, 5)}
        assert left == wanted | {"unrelated.parquet"}


class _Ref:
    """The two fields :meth:`CorpusWatch.fingerprint_file` reads."""

    def __init__(self, name: str, fingerprint: str) -> None:
        self.name, self.fingerprint = name, fingerprint


def test_compaction_shrinks_the_file_and_the_store_goes_on(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    path = tmp_path / "tw.duckdb"
    with Store(path) as store:
        for i in range(60):
            store.record_run(generator_run(i, rng))
        prune(store, keep_versions=5, keep_days=None)
        history = store.history("generator", "gan")
    before, after = compact_file(path)
    assert after < before * 0.7, (before, after)
    with Store(path) as store:
        assert store.history("generator", "gan").equals(history)
        run_id = store.record_run(generator_run(60, rng))  # the id sequence carries on
        assert run_id > int(history["run_id"].max())
        indexes = store.fetch_arrow("SELECT index_name FROM duckdb_indexes()").column(0)
        assert "runs_subject_version_idx" in indexes.to_pylist()


@pytest.mark.parametrize("window", [["--keep-versions", "3"]])
def test_prune_command(tmp_path: Path, window: list[str]) -> None:
    rng = np.random.default_rng(6)
    (tmp_path / "tailwatch.toml").write_text('[storage]\npath = "tw.duckdb"\n', encoding="utf-8")
    with Store(tmp_path / "tw.duckdb") as store:
        for i in range(12):
            store.record_run(generator_run(i, rng))
    command = [sys.executable, "-m", "monitor.cli", "prune", "--config", "tailwatch.toml"]
    done = subprocess.run(
        [*command, *window], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert f"pruned {9 - FIRST} run(s)" in done.stdout and "compacted" in done.stdout
    with Store(tmp_path / "tw.duckdb", read_only=True) as store:
        kept = sorted(set(store.history("generator", "gan")["version"]))
        assert kept == [f"v{i:03d}" for i in [*range(FIRST), 9, 10, 11]]
    no_window = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert no_window.returncode == 2 and "keep_versions" in no_window.stderr


def _verdict(history: pd.DataFrame) -> tuple[str, str, tuple[str, ...]]:
    """(latest version, verdict level, checks that page) of one generator's stored history."""
    figures, healthy = version_figures(history)
    verdict = generator_verdict(evaluate_checks(figures, healthy))
    return figures[-1].version, verdict.level, tuple(r.check for r in verdict.collapse)


def test_age_only_retention_never_deletes_the_present(tmp_path: Path) -> None:
    """keep_days alone, and the window passes without new data (issue 25, item 1): the latest
    versions the verdict reads keep their figures, so the verdict and the exported version stay;
    only the versions between the baseline and them are pruned."""
    rng = np.random.default_rng(7)
    # Healthy first versions, then a collapsed run of versions (coverage down 30 %: it pages).
    indexes = [0, 1, 2, 3, 150, 151, 152, 153]
    with Store(tmp_path / "tw.duckdb") as store, Store(":memory:") as everything:
        for index in indexes:
            run = generator_run(index, rng)
            store.record_run(run)
            everything.record_run(run)
        before = _verdict(store.history("generator", "gan"))
        assert before[:2] == ("v153", "collapse suspected"), before
        # A month later, no new version arrived: every version is older than the window.
        later = T0 + timedelta(days=40)
        result = prune(store, keep_versions=None, keep_days=1, keep_first=FIRST, now=later)
        assert result.runs_pruned == len(indexes) - FIRST - 2  # the latest 2 (persistence) stay
        kept = store.history("generator", "gan")
        assert _verdict(kept) == before
        latest = store.latest_run("generator", "gan")
        assert latest is not None and latest.version == "v153"
        control = everything.latest_run("generator", "gan")
        assert control is not None and latest.scopes == control.scopes
        # A longer persistence keeps as many latest versions as it needs.
        prune(everything, keep_versions=None, keep_days=1, keep_latest=3, now=later)
        versions = sorted(set(everything.history("generator", "gan")["version"]))
        assert versions == [*(f"v{i:03d}" for i in range(FIRST)), "v151", "v152", "v153"]


def test_age_only_retention_keeps_the_latest_snapshot_fingerprints(tmp_path: Path) -> None:
    """The next snapshot's difference needs the latest snapshot's multiset: an age-only window
    that passed keeps its file and figures (without it every row would count as added)."""
    path = tmp_path / "tw.duckdb"
    folder = tmp_path / "tw.duckdb.corpora" / "mix"
    folder.mkdir(parents=True)
    with Store(path) as store:
        for i in range(6):
            store.record_run(_snapshot_run(i))
            (folder / fingerprint_file_name(f"s{i}", f"c{i}")).write_bytes(b"x")
        # A failed newest snapshot: the latest ok one is still what the next difference needs.
        store.record_run(
            RunResult(
                subject_kind="corpus",
                subject="mix",
                version="s6",
                fingerprint="c6",
                version_index=6,
                started_at=T0 + timedelta(hours=6),
                finished_at=T0 + timedelta(hours=6),
                status="failed",
                error="unreadable",
            )
        )
        prune(store, keep_versions=None, keep_days=1, now=T0 + timedelta(days=30))
        left = {p.name for p in folder.iterdir()}
        assert fingerprint_file_name("s5", "c5") in left
        assert fingerprint_file_name("s0", "c0") in left  # the baseline
        assert fingerprint_file_name("s2", "c2") not in left
        latest = store.latest_run("corpus", "mix")
        assert latest is not None and latest.version == "s5"
        assert latest.figures("snapshot") == {"rows": 105.0}
