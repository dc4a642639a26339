"""Tests of monitor.report.write: real DuckDB files in tmp_path, histories written by record_run."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from collectors.result import RunResult
from monitor.checks import (
    CHECK_KINDS,
    CHECKS,
    GAPS,
    CheckThresholds,
    HealthyLevels,
    VersionFigures,
    evaluate_checks,
)
from monitor.report.write import (
    REPORT_FILES,
    build_report,
    new_report_dir,
    prune_reports,
    write_report,
)
from monitor.store.database import Store
from tests.support.report_histories import T0, corpus_run, measured_versions, synthetic_run

HEALTHY = {"coverage": 0.97, "recall": 0.95, "precision": 0.96, "density": 1.0,
           "worst_region_coverage": 0.9, "tail_frequency_ratio_min": 0.9,
           "tail_frequency_ratio_max": 1.1, "authenticity": 0.5}  # fmt: skip


@pytest.fixture(scope="module")
def collapsing() -> list[RunResult]:
    """Five versions measured with the real engine, each worse than the last."""
    return measured_versions()


def _write(path: Path, runs: list[RunResult]) -> Path:
    with Store(path) as store:
        for run in runs:
            store.record_run(run)
    return path


def _report(path: Path, out: Path, **kwargs: object) -> tuple[dict, str, str]:
    with Store(path, read_only=True) as store:
        report = build_report(store, **kwargs)  # type: ignore[arg-type]
    paths = write_report(report, out)
    assert [p.name for p in paths] == list(REPORT_FILES)
    return (
        json.loads(paths[1].read_text()),
        paths[0].read_text(encoding="utf-8"),
        paths[2].read_text(encoding="utf-8"),
    )


def _steady(version: str, index: int, coverage: float = 0.96) -> RunResult:
    figures = {**HEALTHY, "coverage": coverage, "recall": 0.94, "authenticity": 0.5}
    return synthetic_run("steady", version, index, figures, HEALTHY)


def test_json_figures_equal_the_stored_metrics(tmp_path: Path, collapsing: list) -> None:
    db = _write(tmp_path / "tw.duckdb", collapsing)
    data, html, _ = _report(db, tmp_path / "out")
    with Store(db, read_only=True) as store:
        history = store.history("generator", "gan")
        regions = store.regions_history("generator", "gan")
        runs = store.runs("generator", "gan")
    (section,) = data["generators"]
    versions = list(history["version"].drop_duplicates())
    assert section["versions"] == versions == [f"v{i}" for i in range(5)]
    reference = history[history["scope"] == "reference"]
    assert set(section["metrics"]) == set(reference["metric"])
    for row in reference.itertuples():
        stored = section["metrics"][row.metric]["values"][versions.index(row.version)]
        assert stored == pytest.approx(row.value, abs=0, rel=1e-12), (row.metric, row.version)
    healthy = history[(history["scope"] == "healthy") & (history["version"] == "v4")]
    for row in healthy.itertuples():
        assert section["metrics"][row.metric]["healthy"] == row.value
    grid = section["regions"]
    for row in regions.itertuples():
        r = grid["regions"].index(row.region)
        assert grid["coverage"][r][versions.index(row.version)] == pytest.approx(row.coverage)
        assert grid["real_rows"][r] == row.real_rows
    features = {f["feature"]: f for f in section["features"]}
    per = history[history["scope"].str.startswith("feature:")]
    shown = {"ks_statistic": "drift", "total_variation": "drift",
             "tail_frequency_ratio_lower": "tail_lower",
             "tail_frequency_ratio_upper": "tail_upper"}  # fmt: skip
    for row in per[per["metric"].isin(shown)].itertuples():
        feature = features[row.scope.removeprefix("feature:")]
        key = shown[row.metric]
        assert feature[key][versions.index(row.version)] == pytest.approx(row.value)
    # The alerts are evaluate_checks' verdicts, with the value and limit of each version.
    rows = runs.set_index("version")

    def scoped(version: str, scope: str) -> dict[str, float]:
        rows = history[(history["version"] == version) & (history["scope"] == scope)]
        return dict(rows[["metric", "value"]].values)

    def features_of(version: str) -> dict[str, dict[str, float]]:
        rows = per[per["version"] == version]
        return {scope.removeprefix("feature:"): dict(group[["metric", "value"]].values)
                for scope, group in rows.groupby("scope")}  # fmt: skip

    history_figures = [
        VersionFigures(v, scoped(v, "reference"), int(rows.loc[v, "reference_rows"]),
                       int(rows.loc[v, "sample_rows"]), features_of(v), scoped(v, "healthy_spread"))
        for v in versions
    ]  # fmt: skip
    healthy_figures = HealthyLevels(
        scoped("v4", "healthy"), scoped("v4", "healthy_spread"), scoped("v4", "healthy_meta")
    )
    expected = []
    for i, version in enumerate(versions):
        for result in evaluate_checks(history_figures[: i + 1], healthy_figures):
            if result.breached[-1] and result.kind != "gap":
                expected.append((version, result.check, result.value, result.limit))
    got = [(a["version"], a["check"], a["value"], a["limit"]) for a in data["alerts"]]
    assert sorted(got, key=str) == sorted(expected, key=str)
    assert expected, "the collapsing history must breach some check"
    assert data["verdict"]["level"] == "collapse suspected"
    assert {"coverage_decline", "recall_decline"} <= {c for _, c, _, _ in expected}
    for check in ("coverage_decline", "recall_decline"):
        assert check in html


def test_html_is_self_contained_with_every_plot(tmp_path: Path, collapsing: list) -> None:
    db = _write(tmp_path / "tw.duckdb", collapsing)
    _, html, md = _report(db, tmp_path / "out")
    plots = set(re.findall(r'data-plot="([a-z]+)"', html))
    assert plots == {"metrics", "regions", "categories", "tails", "drift", "histograms"}
    assert not re.search(r'(src|href)="(?!data:|#)', html), "only data: URIs and anchors"
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "<script" not in html
    assert "COLLAPSE" in html.upper() and "collapse suspected" in md
    assert "| v4 |" in md and "coverage_decline" in md


def test_empty_store_says_so(tmp_path: Path) -> None:
    db = _write(tmp_path / "tw.duckdb", [])
    data, html, md = _report(db, tmp_path / "out")
    assert data["verdict"]["level"] == "no data"
    assert data["generators"] == [] and data["corpora"] == [] and data["alerts"] == []
    for text in (html, md):
        assert "No generator is recorded in the store." in text
    assert "No corpus is recorded in the store." in html
    assert "No check was breached" in md


def test_generator_with_one_version(tmp_path: Path, collapsing: list) -> None:
    db = _write(tmp_path / "tw.duckdb", collapsing[:1])
    data, html, md = _report(db, tmp_path / "out")
    (section,) = data["generators"]
    assert section["versions"] == ["v0"]
    assert any("Only one version has been measured" in n for n in section["notes"])
    assert "Only one version has been measured" in html and "Only one version" in md
    assert 'data-plot="metrics"' in html


def test_generator_with_only_failed_runs(tmp_path: Path) -> None:
    db = _write(tmp_path / "tw.duckdb", [synthetic_run("gan", "v0", 0, {}, {}, status="failed")])
    data, html, _ = _report(db, tmp_path / "out")
    (section,) = data["generators"]
    assert section["verdict"]["level"] == "no data" and section["failed_runs"] == 1
    assert "sample file vanished" in html
    assert "No version of this generator has been measured successfully yet." in html


def test_steady_generator_is_healthy_and_a_new_breach_is_watch(tmp_path: Path) -> None:
    runs = [_steady(f"v{i}", i) for i in range(4)]
    db = _write(tmp_path / "a.duckdb", runs)
    data, _, _ = _report(db, tmp_path / "a")
    assert data["verdict"]["level"] == "healthy" and data["alerts"] == []
    db = _write(tmp_path / "b.duckdb", [*runs, _steady("v4", 4, coverage=0.5)])
    data, _, _ = _report(db, tmp_path / "b")
    assert data["verdict"]["level"] == "watch"
    assert [(a["version"], a["check"]) for a in data["alerts"]] == [("v4", "coverage_decline")]
    db = _write(tmp_path / "c.duckdb", [*runs, _steady("v4", 4, 0.5), _steady("v5", 5, 0.4)])
    data, _, _ = _report(db, tmp_path / "c")
    assert data["verdict"]["level"] == "collapse suspected"
    assert "coverage_decline (2 versions in a row)" in data["verdict"]["reasons"][0]


def test_thresholds_are_passed_to_the_checks(tmp_path: Path) -> None:
    runs = [_steady("v0", 0), _steady("v1", 1, coverage=0.87)]  # within 0.9 of the baseline
    db = _write(tmp_path / "tw.duckdb", runs)
    with Store(db, read_only=True) as store:
        default = build_report(store)
        strict = build_report(store, thresholds=CheckThresholds(coverage_share=0.99))
        by_name = build_report(store, thresholds=lambda name: CheckThresholds(coverage_share=0.99))
    assert default.alerts == ()
    assert [(a.version, a.check) for a in strict.alerts] == [("v1", "coverage_decline")]
    assert by_name.alerts == strict.alerts


def test_histograms_missing_are_said_plainly(tmp_path: Path) -> None:
    figures = {**HEALTHY, "ks_statistic_max": 0.2}
    db = _write(tmp_path / "tw.duckdb", [synthetic_run("gan", "v0", 0, figures, HEALTHY,
                                                       features=3, regions=4)])  # fmt: skip
    data, html, _ = _report(db, tmp_path / "out")
    assert data["generators"][0]["histograms"] == []
    assert "Histograms not recorded for version v0." in html
    assert 'data-plot="drift"' in html and 'data-plot="regions"' in html


def test_histograms_are_those_of_the_latest_version(tmp_path: Path, collapsing: list) -> None:
    db = _write(tmp_path / "tw.duckdb", collapsing)
    data, _, _ = _report(db, tmp_path / "out")
    section = data["generators"][0]
    assert section["histograms_version"] == "v4"
    latest = json.loads(collapsing[-1].details["histograms"])
    assert [h["feature"] for h in section["histograms"]] == section["top_drifting"]
    for hist in section["histograms"]:
        assert hist["sample"] == latest[hist["feature"]]["sample"]
        assert hist["reference"] == latest[hist["feature"]]["reference"]


def test_corpus_without_synthetic_rows(tmp_path: Path) -> None:
    figures = {"rows": 5000, "synthetic_fraction": 0.0, "unlabeled_synthetic_ratio": 0.0,
               "budget_exceeded": 0.0, "synthetic_budget_ratio": 0.3}  # fmt: skip
    runs = [corpus_run("clean", f"s{i}", i, figures, {"human": 5000 + i}) for i in range(3)]
    db = _write(tmp_path / "tw.duckdb", runs)
    data, html, md = _report(db, tmp_path / "out")
    (corpus,) = data["corpora"]
    assert corpus["verdict"]["level"] == "healthy"
    assert corpus["provenance"] == {"human": [5000.0, 5001.0, 5002.0]}
    assert corpus["figures"]["synthetic_fraction"] == [0.0, 0.0, 0.0]
    for text in (html, md):
        assert "Snapshot s2 holds no synthetic rows." in text
    assert 'data-plot="provenance"' in html and 'data-plot="leakage"' in html


def test_corpus_leakage_and_budget(tmp_path: Path) -> None:
    def snapshot(i: int, synthetic: float, unlabeled: float) -> RunResult:
        figures = {"rows": 1000.0, "synthetic_fraction": synthetic,
                   "synthetic_budget_ratio": 0.3, "budget_exceeded": float(synthetic > 0.3),
                   "unlabeled_synthetic_ratio": unlabeled,
                   "near_duplicate_synthetic_ratio": 0.01, "near_duplicate_synthetic_ratio_lower":
                   0.0, "near_duplicate_synthetic_ratio_upper": 0.02}  # fmt: skip
        mix = {"human": 1000 * (1 - synthetic) - 10, "synthetic": 1000 * synthetic, "unknown": 10}
        return corpus_run("mix", f"s{i}", i, figures, mix)

    runs = [snapshot(0, 0.1, 0.0), snapshot(1, 0.2, 0.0), snapshot(2, 0.35, 0.004)]
    db = _write(tmp_path / "tw.duckdb", [*runs, _steady("v0", 0)])
    data, html, md = _report(db, tmp_path / "out")
    (corpus,) = data["corpora"]
    assert corpus["verdict"]["level"] == "leakage"
    assert data["verdict"]["level"] == "leakage"  # above the healthy generator
    alerts = {(a["subject"], a["version"], a["check"]) for a in data["alerts"]}
    assert alerts == {("mix", "s2", "synthetic_budget"), ("mix", "s2", "unlabeled_synthetic")}
    budget = next(a for a in data["alerts"] if a["check"] == "synthetic_budget")
    assert (budget["value"], budget["limit"]) == (0.35, 0.3)
    assert corpus["provenance"]["synthetic"] == [100.0, 200.0, 350.0]
    assert "synthetic_budget" in md and "LEAKAGE" in html.upper()


def test_since_and_generator_filter(tmp_path: Path) -> None:
    runs = [_steady(f"v{i}", i) for i in range(4)] + [_steady("v4", 4, coverage=0.5)]
    other = synthetic_run("other", "w0", 0, HEALTHY, HEALTHY)
    db = _write(tmp_path / "tw.duckdb", [*runs, other])
    with Store(db, read_only=True) as store:
        report = build_report(store, since=T0 + timedelta(days=2), generator="steady")
        naive = build_report(store, since=(T0 + timedelta(days=2)).replace(tzinfo=None))
        with pytest.raises(ValueError, match="known: \\['other', 'steady'\\]"):
            build_report(store, generator="nope")
    (section,) = report.generators
    assert section.versions == ("v2", "v3", "v4") and report.corpora == ()
    assert naive.generators[0].verdict.reasons == (
        "other: no version measured successfully since 2026-03-03",
    )
    assert section.metrics["coverage"].values == (0.96, 0.96, 0.5)
    # The baseline stays the first version ever measured: the breach is still found.
    assert [(a.version, a.check) for a in section.alerts] == [("v4", "coverage_decline")]
    assert [g.versions for g in naive.generators] == [(), ("v2", "v3", "v4")]


def test_report_size_stays_small_for_dozens_of_versions(tmp_path: Path, collapsing: list) -> None:
    histograms = collapsing[-1].details["histograms"]
    runs = []
    for i in range(48):
        figures = {**HEALTHY, "coverage": 0.97 - i / 100, "ks_statistic_max": 0.3}
        runs.append(synthetic_run("big", f"v{i:02d}", i, figures, HEALTHY, features=60,
                                  regions=20, details={"histograms": histograms}))  # fmt: skip
    db = _write(tmp_path / "tw.duckdb", runs)
    out = tmp_path / "out"
    data, _, _ = _report(db, out)
    assert len(data["generators"][0]["versions"]) == 48
    sizes = {name: os.path.getsize(out / name) for name in REPORT_FILES}
    assert sizes["report.html"] < 3_000_000, sizes
    assert sizes["report.json"] < 2_000_000, sizes
    assert sum(sizes.values()) < 5_000_000, sizes


def test_prune_reports_keeps_the_newest(tmp_path: Path) -> None:
    moments = [datetime(2026, 5, d, 8, 0, tzinfo=UTC) for d in range(1, 6)]
    folders = [new_report_dir(tmp_path, m) for m in moments]
    for folder in folders:
        folder.mkdir()
    (tmp_path / "notes.txt").write_text("keep me")
    (tmp_path / "report-manual").mkdir()
    assert folders[0].name == "report-20260501T080000Z"
    removed = prune_reports(tmp_path, keep=2)
    assert removed == folders[:3]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["notes.txt", "report-20260504T080000Z", "report-20260505T080000Z",
                    "report-manual"]  # fmt: skip
    assert prune_reports(tmp_path / "missing", keep=1) == []
    with pytest.raises(ValueError):
        prune_reports(tmp_path, keep=-1)


def test_every_check_is_in_the_report(tmp_path: Path) -> None:
    db = _write(tmp_path / "tw.duckdb", [_steady("v0", 0)])
    data, html, _ = _report(db, tmp_path / "out")
    assert [c["check"] for c in data["generators"][0]["checks"]] == list(CHECK_KINDS)
    assert all(check in html for check in CHECK_KINDS)
    kinds = {c["check"]: c["kind"] for c in data["generators"][0]["checks"]}
    assert {kinds[c] for c in CHECKS} == {"collapse", "privacy"}
    assert {kinds[c] for c in GAPS} == {"gap"}
