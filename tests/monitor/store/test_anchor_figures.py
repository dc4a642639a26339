"""Store.anchor_figures: the figures a scan compares its due versions with, read for those
versions only (issue 26: the daemon read every version's figures every scan). For every set of
due versions, measured in order (some failing, so not added), each one's baseline (first earlier
version) and previous (last earlier version) equal those of the whole history
(Store.figures_by_version), with re-measured versions, failed runs, ok runs without figures in the
scope (a version's newest run among them), gaps in the indices and other subjects in the store.
Real DuckDB."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.result import RunResult
from monitor.store.database import Store
from tests.support.store_runs import run

Figures = dict[int, dict[str, float]]


def result(version: str, index: int, fingerprint: str, minute: int, *, subject: str = "gan",
           status: str = "ok", offset: float = 0.0,
           scopes: tuple[str, ...] = ("reference", "healthy")) -> RunResult:  # fmt: skip
    return run(version, index, fingerprint=fingerprint, minute=minute, subject=subject,
               status=status, offset=offset, n_metrics=5, n_regions=0, scopes=scopes)  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "tw.duckdb") as store:
        store.record_run(result("v1", 1, "a", 0))
        store.record_run(result("v2", 2, "a", 1, offset=1.0))
        store.record_run(result("v2", 2, "b", 2, offset=2.0))  # re-measured: the newest counts
        store.record_run(result("v3", 3, "a", 3, status="failed"))  # no figures
        store.record_run(result("v4", 4, "a", 4, offset=4.0, scopes=("healthy",)))  # none here
        store.record_run(result("v6", 6, "a", 5, offset=6.0))  # a gap at 5
        store.record_run(result("v7", 7, "a", 6, offset=7.0, subject="other"))
        store.record_run(result("v8", 8, "a", 7, offset=8.0))
        # v6 re-measured without figures in the reference scope: its older run's count there.
        store.record_run(result("v6", 6, "c", 8, offset=60.0, scopes=("healthy",)))
        yield store


def compared(anchors: Figures, due: tuple[int, ...], failing: set[int]) -> list[tuple]:
    """GeneratorWatch.measure_one's baseline and previous of each due version, in order."""
    anchors = {i: dict(f) for i, f in anchors.items()}
    out = []
    for index in due:
        earlier = [i for i in anchors if i < index]
        baseline = anchors[min(earlier)] if earlier else None
        previous = anchors[max(earlier)] if earlier else None
        out.append((index, baseline, previous))
        if index not in failing:
            anchors[index] = {"m0": 100.0 + index}  # this version's own figures
    return out


def test_each_due_version_gets_the_anchors_of_the_whole_history(store: Store) -> None:
    full = store.figures_by_version("generator", "gan", "reference")
    assert sorted(full) == [1, 2, 6, 8]
    assert (full[2]["m0"], full[6]["m0"]) == (2.0, 6.0)
    indices = range(0, 11)
    checked = 0
    for size in (1, 2, 3):
        for due in itertools.combinations(indices, size):
            part = store.anchor_figures("generator", "gan", "reference", list(due))
            assert all(part[i] == full[i] for i in part)  # a subset of the whole history's
            for failing in (set(), set(due[:1])):
                assert compared(part, due, failing) == compared(full, due, failing)
                checked += 1
    assert checked > 300
    every = tuple(indices)
    part = store.anchor_figures("generator", "gan", "reference", list(every))
    assert compared(part, every, {3, 5}) == compared(full, every, {3, 5})


def test_only_what_is_needed_is_read(store: Store) -> None:
    assert store.anchor_figures("generator", "gan", "reference", []) == {}
    assert store.anchor_figures("generator", "gan", "reference", [1]) == {}  # nothing before
    latest = store.anchor_figures("generator", "gan", "reference", [9])
    assert sorted(latest) == [1, 8]  # the baseline and the previous version only
    healthy = store.figures_by_version("generator", "gan", "healthy")
    assert store.anchor_figures("generator", "gan", "healthy", [5]) == {
        i: healthy[i] for i in (1, 4)
    }
    assert store.anchor_figures("generator", "nobody", "reference", [3]) == {}
