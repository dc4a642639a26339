"""Tests of monitor.watch.generator: a real DuckDB file, real Parquet/CSV files, real samplers.

Every bad input is written to disk as a generator would write it; each test then checks the
failed run and its message in the store, that the history already stored did not change, and
that a second generator in the same store keeps being measured.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collectors.metrics import RELATIVE_METRICS
from monitor.settings import SchedulerSettings
from monitor.store.database import Store
from monitor.watch.generator import GeneratorWatch, holdout_rows
from tests.support.generators import (
    COLUMNS,
    KIND,
    REFERENCE_ROWS,
    SAMPLE_SIZE,
    T0,
    VERSION_ROWS,
    Clock,
    collapsed,
    generator,
    real,
    runs,
    version_path,
    write,
)

SAMPLERS = "tests.monitor.watch.test_generator"
RELEASE = threading.Event()  # lets the abandoned slow sampler thread end


# --------------------------------------------------------------------------- data and setup


def reference_figures(store: Store, subject: str) -> dict[str, dict[str, float]]:
    """Version -> {metric: value} of the reference scope, from the latest ok run of each."""
    history = store.history(KIND, subject)
    history = history[history["scope"] == "reference"]
    latest = history.groupby("version")["run_id"].transform("max") == history["run_id"]
    out: dict[str, dict[str, float]] = {}
    for row in history[latest].itertuples():
        out.setdefault(row.version, {})[row.metric] = row.value
    return out


def scope_values(store: Store, subject: str, version: str, scope: str) -> dict[str, float]:
    history = store.history(KIND, subject)
    rows = history[(history["version"] == version) & (history["scope"] == scope)]
    rows = rows[rows["run_id"] == rows["run_id"].max()]
    return dict(zip(rows["metric"], rows["value"], strict=True))


def version_sampler(*, version: str, sample_size: int, seed: int) -> pd.DataFrame:
    """Real rows for most versions; ``broken*`` raises, ``slow*`` hangs far past any timeout."""
    if version.startswith("broken"):
        raise RuntimeError(f"checkpoint of {version} is corrupt")
    if version.startswith("slow"):
        RELEASE.wait(10.0)
    return real(sample_size, seed=sum(map(ord, version)))


@pytest.fixture
def release_samplers() -> Iterator[None]:
    RELEASE.clear()
    yield
    RELEASE.set()


# --------------------------------------------------------------------------- versions in order


def test_versions_are_measured_once_in_natural_order(tmp_path: Path, store: Store) -> None:
    settings = generator(tmp_path, "gan")
    watch = GeneratorWatch(settings, store)
    write(version_path(settings, "v2"), collapsed(VERSION_ROWS, 2, 0.8))
    write(version_path(settings, "v10"), collapsed(VERSION_ROWS, 10, 0.5))
    write(version_path(settings, "v1"), real(VERSION_ROWS, 1))

    assert [v.name for v in watch.versions()] == ["v1", "v2", "v10"]
    outcome = watch.scan()
    assert (outcome.measured, outcome.failed, outcome.pending) == (3, 0, 0)
    measured = runs(store, "gan")
    assert measured["version"].tolist() == ["v1", "v2", "v10"]
    assert measured["version_index"].tolist() == [0, 1, 2]
    assert set(measured["status"]) == {"ok"}
    fingerprints = {v.name: v.fingerprint for v in watch.versions()}
    assert store.measured(KIND, "gan") == fingerprints

    again = watch.scan()
    assert (again.measured, again.failed, again.pending) == (0, 0, 0)
    assert len(runs(store, "gan")) == 3
    assert watch.todo() == ([], 0)

    # One by one: a new version is the only one measured by the next scan.
    write(version_path(settings, "v11"), collapsed(VERSION_ROWS, 11, 0.4))
    due, waiting = watch.todo()
    assert [(i, v.name) for i, v in due] == [(3, "v11")] and waiting == 0
    assert watch.scan().measured == 1
    assert runs(store, "gan")["version"].tolist() == ["v1", "v2", "v10", "v11"]
    assert set(store.measured(KIND, "gan")) == {"v1", "v2", "v10", "v11"}


def test_a_rewritten_version_is_measured_again_and_history_keeps_both(
    tmp_path: Path, store: Store
) -> None:
    settings = generator(tmp_path, "gan")
    watch = GeneratorWatch(settings, store)
    write(version_path(settings, "v1"), real(VERSION_ROWS, 1))
    write(version_path(settings, "v2"), collapsed(VERSION_ROWS, 2, 0.6))
    assert watch.scan().measured == 2
    old = reference_figures(store, "gan")
    old_fingerprint = store.measured(KIND, "gan")["v1"]

    # The first (baseline) version is rewritten with other content.
    write(version_path(settings, "v1"), collapsed(VERSION_ROWS, 7, 0.3))
    due, _ = watch.todo()
    assert [v.name for _, v in due] == ["v1"]
    assert watch.scan().measured == 1
    assert watch.scan().measured == 0

    history = store.history(KIND, "gan")
    v1_runs = history.loc[history["version"] == "v1", "run_id"].unique()
    assert len(v1_runs) == 2
    assert store.measured(KIND, "gan")["v1"] != old_fingerprint
    assert runs(store, "gan")["fingerprint"].tolist()[0] == old_fingerprint
    first = history[(history["run_id"] == v1_runs.min()) & (history["scope"] == "reference")]
    assert dict(zip(first["metric"], first["value"], strict=True)) == old["v1"]
    new = reference_figures(store, "gan")["v1"]
    assert new["coverage"] < old["v1"]["coverage"]
    # The rewritten first version is still the baseline: its ratio to itself is 1.
    baseline = scope_values(store, "gan", "v1", "baseline")
    assert baseline and all(value == pytest.approx(1.0) for value in baseline.values())
    assert scope_values(store, "gan", "v1", "previous") == {}


# --------------------------------------------------------------------------- figures


def test_figures_have_every_scope_and_ratios_follow_the_stored_figures(
    tmp_path: Path, store: Store
) -> None:
    settings = generator(tmp_path, "gan")
    watch = GeneratorWatch(settings, store)
    spreads = {"v1": 1.0, "v2": 0.6, "v3": 0.3}
    for seed, (name, spread) in enumerate(spreads.items()):
        write(version_path(settings, name), collapsed(VERSION_ROWS, seed, spread))
    assert watch.scan().measured == 3

    history = store.history(KIND, "gan")
    scopes = set(history.loc[history["version"] == "v3", "scope"])
    expected = {"reference", "healthy", "baseline", "previous"}
    assert expected | {f"feature:{c}" for c in COLUMNS} <= scopes
    assert set(history.loc[history["version"] == "v1", "scope"]) >= expected - {"previous"}
    assert scope_values(store, "gan", "v1", "previous") == {}

    figures = reference_figures(store, "gan")
    first = scope_values(store, "gan", "v1", "baseline")
    relative = [m for m in RELATIVE_METRICS if figures["v1"].get(m)]
    assert len(relative) >= 6 and set(first) == set(relative)
    assert all(first[m] == pytest.approx(1.0) for m in relative)
    for version, prior in (("v2", "v1"), ("v3", "v2")):
        baseline = scope_values(store, "gan", version, "baseline")
        previous = scope_values(store, "gan", version, "previous")
        for metric in relative:
            value = figures[version][metric]
            assert baseline[metric] == pytest.approx(value / figures["v1"][metric], rel=1e-12)
            assert previous[metric] == pytest.approx(value / figures[prior][metric], rel=1e-12)
    # The collapse shows: coverage falls against the baseline, density climbs.
    v3 = scope_values(store, "gan", "v3", "baseline")
    assert v3["coverage"] < 0.9 and v3["density"] > 1.1
    # The healthy levels are the same for every version (one fitted reference).
    healthy = scope_values(store, "gan", "v1", "healthy")
    assert healthy and healthy == scope_values(store, "gan", "v3", "healthy")
    # Per-feature figures name the reference's columns.
    assert "ks_statistic" in scope_values(store, "gan", "v3", "feature:f0")
    assert "total_variation" in scope_values(store, "gan", "v3", "feature:segment")


def test_histogram_counts_add_up_to_the_rows_measured(tmp_path: Path, store: Store) -> None:
    settings = generator(tmp_path, "gan")
    watch = GeneratorWatch(settings, store)
    write(version_path(settings, "v1", ".csv"), real(VERSION_ROWS, 1))
    write(version_path(settings, "v2"), collapsed(150, 2, 0.5))  # fewer rows than sample_size
    assert watch.scan().measured == 2

    rows = runs(store, "gan").set_index("version")
    assert (
        rows["reference_rows"].tolist()
        == [REFERENCE_ROWS - holdout_rows(REFERENCE_ROWS, SAMPLE_SIZE)] * 2
    )
    assert rows.loc["v1", "sample_rows"] == SAMPLE_SIZE
    assert rows.loc["v2", "sample_rows"] == 150
    details = store.run_details(KIND, "gan", "histograms")
    assert details["version"].tolist() == ["v1", "v2"]
    for row in details.itertuples():
        histograms = json.loads(row.content)
        assert set(histograms) == set(COLUMNS)
        for name, histogram in histograms.items():
            assert histogram["kind"] == ("categorical" if name == "segment" else "numeric")
            assert sum(histogram["reference"]) == rows.loc[row.version, "reference_rows"]
            assert sum(histogram["sample"]) == rows.loc[row.version, "sample_rows"]
            bins = histogram.get("edges", [None, *histogram.get("categories", [])])
            assert len(histogram["reference"]) == len(histogram["sample"]) == len(bins) - 1


# --------------------------------------------------------------------------- bad input


def _bad_frame(change: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        return write(path, change(real(VERSION_ROWS, 5)))

    return make


def _nan(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[::10, "f1"] = np.nan  # in every 10th row, so the sample holds some
    return frame


def _inf(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[::10, "f2"] = -np.inf
    return frame


def _corrupt(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(np.random.default_rng(3).bytes(4096))
    return path


def _empty_folder(path: Path) -> Path:
    folder = path.with_suffix("")
    folder.mkdir(parents=True)
    return folder


BAD_VERSIONS = {
    # case: (writer of version v2 at the given path, fragments its error must contain)
    "empty folder": (_empty_folder, ["empty version"]),
    "missing column": (_bad_frame(lambda f: f.drop(columns="f1")), ["missing column", "f1"]),
    "extra column": (_bad_frame(lambda f: f.assign(leak=1.0)), ["unexpected column", "leak"]),
    "type changed": (
        _bad_frame(lambda f: f.assign(f2=f["f2"].map("{:.3f}".format))),
        ["f2", "numeric in the reference"],
    ),
    "corrupt parquet": (_corrupt, ["cannot read"]),
}


@pytest.mark.parametrize("case", list(BAD_VERSIONS))
def test_a_bad_version_is_a_failed_run_and_touches_nothing(
    case: str, tmp_path: Path, store: Store
) -> None:
    make, fragments = BAD_VERSIONS[case]
    gan = GeneratorWatch(generator(tmp_path, "gan"), store)
    other = GeneratorWatch(generator(tmp_path, "other"), store)
    write(version_path(gan.settings, "v1"), real(VERSION_ROWS, 1))
    write(version_path(other.settings, "a1"), real(VERSION_ROWS, 11))
    assert gan.scan().measured == 1 and other.scan().measured == 1
    before = store.history(KIND, "gan"), store.regions_history(KIND, "gan")
    other_before = store.history(KIND, "other")

    location = make(version_path(gan.settings, "v2"))
    write(version_path(gan.settings, "v3"), collapsed(VERSION_ROWS, 3, 0.7))
    outcome = gan.scan()
    assert (outcome.measured, outcome.failed) == (1, 1)

    failed = runs(store, "gan").query("status == 'failed'")
    assert failed["version"].tolist() == ["v2"]
    error = failed["error"].iloc[0]
    for fragment in ["'v2'", str(location), *fragments]:
        assert fragment in error, (fragment, error)
    assert failed["metric_count"].iloc[0] == failed["region_count"].iloc[0] == 0
    after = store.history(KIND, "gan")
    pd.testing.assert_frame_equal(after[after["version"] == "v1"], before[0])
    regions = store.regions_history(KIND, "gan")
    pd.testing.assert_frame_equal(regions[regions["version"] == "v1"], before[1])
    # v3 is compared with v1, the last version that was measured before it.
    v3 = scope_values(store, "gan", "v3", "previous")
    figures = reference_figures(store, "gan")
    assert v3["coverage"] == pytest.approx(figures["v3"]["coverage"] / figures["v1"]["coverage"])

    # The generator beside it keeps being measured; its history is untouched.
    write(version_path(other.settings, "a2"), collapsed(VERSION_ROWS, 12, 0.7))
    assert other.scan().measured == 1
    other_after = store.history(KIND, "other")
    pd.testing.assert_frame_equal(other_after[other_after["version"] == "a1"], other_before)
    assert set(runs(store, "other")["status"]) == {"ok"}


def test_missing_and_infinite_cells_are_measured_not_refused(tmp_path: Path, store: Store) -> None:
    """Issue 24: NaN and infinite cells are data (a missing share per column), not a failed run."""
    gan = GeneratorWatch(generator(tmp_path, "gan"), store)
    write(version_path(gan.settings, "v1"), real(VERSION_ROWS, 1))
    write(version_path(gan.settings, "v2"), _inf(_nan(real(VERSION_ROWS, 2))))
    assert gan.scan().measured == 2
    assert set(runs(store, "gan")["status"]) == {"ok"}
    f1, f2 = (scope_values(store, "gan", "v2", f"feature:{c}") for c in ("f1", "f2"))
    assert f1["missing_share"] == pytest.approx(0.1, abs=0.05) and f1["missing_expected"] == 0
    assert f2["missing_share"] == pytest.approx(0.1, abs=0.05)
    assert "missing_share" not in scope_values(store, "gan", "v1", "feature:f1")
    assert 0.5 < reference_figures(store, "gan")["v2"]["precision"] <= 1.0


def test_a_file_deleted_after_discovery_is_a_failed_run(tmp_path: Path, store: Store) -> None:
    gan = GeneratorWatch(generator(tmp_path, "gan"), store)
    other = GeneratorWatch(generator(tmp_path, "other"), store)
    write(version_path(gan.settings, "v1"), real(VERSION_ROWS, 1))
    assert gan.scan().measured == 1
    before = store.history(KIND, "gan")
    doomed = write(version_path(gan.settings, "v2"), real(VERSION_ROWS, 2))
    write(version_path(gan.settings, "v3"), real(VERSION_ROWS, 3))

    def delete_first(items: Iterable) -> Iterator:
        doomed.unlink()  # discovered by todo(), gone before it is read
        yield from items

    outcome = gan.scan(progress=delete_first)
    assert (outcome.measured, outcome.failed) == (1, 1)
    failed = runs(store, "gan").query("status == 'failed'")
    assert failed["version"].tolist() == ["v2"]
    assert str(doomed) in failed["error"].iloc[0]
    assert "no longer exists" in failed["error"].iloc[0]
    after = store.history(KIND, "gan")
    pd.testing.assert_frame_equal(after[after["version"] == "v1"], before)
    assert sorted(store.measured(KIND, "gan")) == ["v1", "v3"]
    assert gan.todo() == ([], 0)  # the deleted version is gone, not retried

    # Discover, delete, then measure one version directly.
    late = write(version_path(gan.settings, "v4"), real(VERSION_ROWS, 4))
    plan = gan.plan()
    gan.prepare(plan)
    (index, version), *_ = plan.due
    late.unlink()
    measured = gan.measure_one(index, version, plan)
    result = measured.result
    assert measured.logged is None and result.status == "failed"
    assert version.name == "v4" and str(late) in (result.error or "")

    write(version_path(other.settings, "a1"), real(VERSION_ROWS, 11))
    assert other.scan().measured == 1


def test_a_reference_with_fewer_rows_than_k_fails_the_run(tmp_path: Path, store: Store) -> None:
    settings = generator(tmp_path, "gan")
    gan = GeneratorWatch(settings, store)
    other = GeneratorWatch(generator(tmp_path, "other"), store)
    write(version_path(settings, "v1"), real(VERSION_ROWS, 1))
    assert gan.scan().measured == 1
    before = store.history(KIND, "gan")
    artifact = store.get_artifact(KIND, "gan", "feature_map")

    write(Path(settings.reference), real(6, 9))  # 6 rows: 5 reference and 1 holdout, k = 5
    write(version_path(settings, "v2"), real(VERSION_ROWS, 2))
    outcome = gan.scan()
    assert (outcome.measured, outcome.failed) == (0, 1)
    failed = runs(store, "gan").query("status == 'failed'")
    error = failed["error"].iloc[0]
    assert failed["version"].tolist() == ["v2"]
    assert settings.reference in error and "k = 5" in error, error
    pd.testing.assert_frame_equal(store.history(KIND, "gan"), before)
    assert store.get_artifact(KIND, "gan", "feature_map") == artifact

    write(version_path(other.settings, "a1"), real(VERSION_ROWS, 11))
    assert other.scan().measured == 1


@pytest.mark.usefixtures("release_samplers")
def test_a_sampler_that_raises_or_hangs_is_a_failed_run(tmp_path: Path, store: Store) -> None:
    names = tmp_path / "drawn" / "versions.txt"
    names.parent.mkdir(parents=True)
    names.write_text("g1\nbroken-g2\nslow-g3\ng4\n", encoding="utf-8")
    settings = generator(
        tmp_path,
        "drawn",
        versions=str(names),
        sampler=f"{SAMPLERS}:version_sampler",
        sampler_timeout_seconds=0.5,
    )
    drawn = GeneratorWatch(settings, store)
    other = GeneratorWatch(generator(tmp_path, "other"), store)
    write(version_path(other.settings, "a1"), real(VERSION_ROWS, 11))
    assert other.scan().measured == 1
    other_before = store.history(KIND, "other")

    outcome = drawn.scan()
    assert (outcome.measured, outcome.failed) == (2, 2)
    all_runs = runs(store, "drawn").set_index("version")
    assert all_runs["status"].to_dict() == {
        "g1": "ok", "broken-g2": "failed", "slow-g3": "failed", "g4": "ok",
    }  # fmt: skip
    broken, slow = all_runs.loc["broken-g2", "error"], all_runs.loc["slow-g3", "error"]
    assert f"{SAMPLERS}:version_sampler" in broken and "'broken-g2'" in broken
    assert "RuntimeError" in broken and "corrupt" in broken
    assert "'slow-g3'" in slow and "did not return within 0.5 s" in slow
    assert all_runs.loc["slow-g3", "duration_seconds"] < 5
    # g4 is compared with g1, the last version measured before it.
    figures = reference_figures(store, "drawn")
    previous = scope_values(store, "drawn", "g4", "previous")
    assert previous["recall"] == pytest.approx(figures["g4"]["recall"] / figures["g1"]["recall"])

    write(version_path(other.settings, "a2"), real(VERSION_ROWS, 12))
    assert other.scan().measured == 1
    other_after = store.history(KIND, "other")
    pd.testing.assert_frame_equal(other_after[other_after["version"] == "a1"], other_before)


# --------------------------------------------------------------------------- retry and resume


def test_a_failed_version_backs_off_gives_up_and_is_measured_once_fixed(
    tmp_path: Path, store: Store
) -> None:
    clock = Clock(T0)
    retry = SchedulerSettings(retry_initial_seconds=10, retry_max_seconds=15, retry_max_attempts=3)
    settings = generator(tmp_path, "gan")
    gan = GeneratorWatch(settings, store, scheduler=retry, clock=clock)
    write(version_path(settings, "v1"), real(VERSION_ROWS, 1))
    bad = _corrupt(version_path(settings, "v2"))

    def attempts() -> int:
        return int((runs(store, "gan")["status"] == "failed").sum())

    assert gan.scan().failed == 1 and attempts() == 1
    # Each wait is counted from the end of the last failed run: 10 s, then 20 s capped at 15 s.
    for wait, attempt in ((10, 2), (15, 3)):
        clock.advance(wait - 0.5)
        assert gan.todo() == ([], 1)
        outcome = gan.scan()
        assert (outcome.measured, outcome.failed, outcome.pending) == (0, 0, 1)
        assert attempts() == attempt - 1
        clock.advance(0.5)
        assert [v.name for _, v in gan.todo()[0]] == ["v2"]
        assert gan.scan().failed == 1 and attempts() == attempt

    # Three attempts used: the version waits for good, even a day later and after a restart.
    clock.advance(86_400)
    assert gan.todo() == ([], 1)
    assert gan.scan().pending == 1 and attempts() == 3
    restarted = GeneratorWatch(settings, store, scheduler=retry, clock=clock)
    assert restarted.todo() == ([], 1)

    # A fixed version (new content, new fingerprint) is measured at once, and only once.
    bad.unlink()
    write(bad, collapsed(VERSION_ROWS, 2, 0.8))
    assert [v.name for _, v in restarted.todo()[0]] == ["v2"]
    assert restarted.scan().measured == 1
    assert restarted.scan().measured == 0
    statuses = runs(store, "gan").query("version == 'v2'")["status"].tolist()
    assert statuses == ["failed", "failed", "failed", "ok"]
    assert restarted.todo() == ([], 0)


def test_versions_given_up_on_a_broken_reference_are_measured_once_it_is_fixed(
    tmp_path: Path, store: Store
) -> None:
    clock = Clock(T0)
    retry = SchedulerSettings(retry_initial_seconds=10, retry_max_seconds=10, retry_max_attempts=2)
    settings = generator(tmp_path, "gan")
    reference = Path(settings.reference)
    good = reference.read_bytes()
    reference.unlink()  # the reference is missing: every version fails, not for its own fault
    for name, seed in (("v1", 1), ("v2", 2)):
        write(version_path(settings, name), real(VERSION_ROWS, seed))
    gan = GeneratorWatch(settings, store, scheduler=retry, clock=clock)
    for _ in range(2):
        assert gan.scan().failed == 2
        clock.advance(10)
    failed = runs(store, "gan")
    assert failed["status"].tolist() == ["failed"] * 4
    assert all(settings.reference in error for error in failed["error"]), failed["error"]
    # Both used their two attempts against this (missing) reference: they wait for good.
    clock.advance(86_400)
    assert gan.todo() == ([], 2)
    # A corrupt reference is a different reference: fresh attempts, failed again.
    reference.write_bytes(b"not parquet")
    assert gan.scan().failed == 2
    # The reference is fixed: both versions are measured at once, in order, and only once.
    reference.write_bytes(good)
    restarted = GeneratorWatch(settings, store, scheduler=retry, clock=clock)
    assert [v.name for _, v in restarted.todo()[0]] == ["v1", "v2"]
    assert restarted.scan().measured == 2
    assert restarted.scan().measured == 0
    assert runs(store, "gan").query("status == 'ok'")["version"].tolist() == ["v1", "v2"]


def test_a_restart_resumes_without_measuring_again(tmp_path: Path) -> None:
    path = tmp_path / "tw.duckdb"
    settings = generator(tmp_path, "gan")
    write(version_path(settings, "v1"), real(VERSION_ROWS, 1))
    write(version_path(settings, "v2"), collapsed(VERSION_ROWS, 2, 0.6))
    with Store(path) as store:
        assert GeneratorWatch(settings, store).scan().measured == 2
        before = store.history(KIND, "gan")

    write(version_path(settings, "v3"), collapsed(VERSION_ROWS, 3, 0.3))
    with Store(path) as store:
        watch = GeneratorWatch(settings, store)
        due, waiting = watch.todo()
        assert [(i, v.name) for i, v in due] == [(2, "v3")] and waiting == 0
        assert watch.scan().measured == 1
        after = store.history(KIND, "gan")
        pd.testing.assert_frame_equal(after[after["version"] != "v3"], before)
        assert runs(store, "gan")["version"].tolist() == ["v1", "v2", "v3"]
        # The ratios of v3 use the figures stored before the restart.
        figures = reference_figures(store, "gan")
        previous = scope_values(store, "gan", "v3", "previous")
        baseline = scope_values(store, "gan", "v3", "baseline")
        for metric in ("coverage", "recall", "density"):
            value = figures["v3"][metric]
            assert previous[metric] == pytest.approx(value / figures["v2"][metric])
            assert baseline[metric] == pytest.approx(value / figures["v1"][metric])
