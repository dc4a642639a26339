"""Store.figures_by_version reads one scope's rows in SQL (issue 26: the daemon reads the anchors
every scan, and the whole history grew with every version): the same answer as filtering the
whole history (monitor.store.reads.figures_by_version over Store.history), with several scopes,
failed runs, re-measured versions (a new fingerprint) and other subjects in the store."""

from __future__ import annotations

from pathlib import Path

from collectors.result import RunResult
from monitor.store.database import Store
from monitor.store.reads import figures_by_version
from tests.support.store_runs import run

SCOPES = ("reference", "healthy", "f0", "f1")


def result(version: str, index: int, fingerprint: str, minute: int, *, subject: str = "gan",
           status: str = "ok", offset: float = 0.0) -> RunResult:  # fmt: skip
    return run(version, index, fingerprint=fingerprint, minute=minute, subject=subject,
               status=status, offset=offset, n_metrics=6, n_regions=0, scopes=SCOPES)  # fmt: skip


def test_scope_rows_in_sql_equal_the_filtered_history(tmp_path: Path) -> None:
    with Store(tmp_path / "tw.duckdb") as store:
        store.record_run(result("v1", 1, "a", 0))
        store.record_run(result("v2", 2, "b", 1, offset=1.0))
        store.record_run(result("v2", 2, "c", 2, offset=2.0))  # re-measured: a new fingerprint
        store.record_run(result("v3", 3, "d", 3, status="failed"))
        store.record_run(result("v1", 1, "e", 4, subject="other", offset=9.0))
        for scope in ("reference", "healthy", "f1", "missing"):
            expected = figures_by_version(store.history("generator", "gan"), scope)
            assert store.figures_by_version("generator", "gan", scope) == expected
        anchors = store.figures_by_version("generator", "gan", "reference")
        assert sorted(anchors) == [1, 2]
        assert anchors[2]["m0"] == 2.0  # the newest run of v2
