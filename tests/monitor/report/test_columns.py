"""The report's per-column drift table against the figures a real DuckDB store holds.

Expected rows are computed here from ``Store.history`` (the stored ``feature:<column>`` figures)
with the rule written out again (scipy's Kolmogorov quantile for the KS critical value), never
through monitor.report.
"""

from __future__ import annotations

import html as html_lib
import json
import math
import re
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from scipy.special import kolmogi

from collectors.result import MetricValue, RunResult
from monitor.report.write import REPORT_FILES, build_report, write_report
from monitor.store.database import Store
from tests.support.report_histories import T0, measured_versions, synthetic_run

HEALTHY = {"coverage": 0.97, "recall": 0.95, "precision": 0.96, "density": 1.0}


def _write(path: Path, runs: list[RunResult]) -> Path:
    with Store(path) as store:
        for run in runs:
            store.record_run(run)
    return path


def _report(path: Path, out: Path) -> tuple[dict, str, str]:
    with Store(path, read_only=True) as store:
        report = build_report(store)
    paths = dict(zip(REPORT_FILES, write_report(report, out), strict=True))
    return (
        json.loads(paths["report.json"].read_text()),
        paths["report.html"].read_text(encoding="utf-8"),
        paths["report.md"].read_text(encoding="utf-8"),
    )


def _stored(db: Path, subject: str) -> tuple[dict[str, dict[str, dict[str, float]]], pd.DataFrame]:
    """version -> column -> metric -> value, from the latest run of each version."""
    with Store(db, read_only=True) as store:
        history = store.history("generator", subject)
    latest = history.sort_values(["version_index", "run_id"]).groupby("version")["run_id"].max()
    rows = history[history["run_id"].isin(latest) & history["scope"].str.startswith("feature:")]
    out: dict[str, dict[str, dict[str, float]]] = {}
    for row in rows.itertuples():
        column = row.scope.removeprefix("feature:")
        out.setdefault(row.version, {}).setdefault(column, {})[row.metric] = row.value
    return out, history


def _html_rows(page: str, subject: str) -> list[list[str]]:
    start = page.index(f'id="generator-{subject}-columns"')
    table = page[start : page.index("</table>", start)]
    cells = re.compile(r"<td[^>]*>(.*?)</td>")
    return [
        [html_lib.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in cells.findall(row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table)[1:]
    ]


def _md_rows(text: str) -> list[list[str]]:
    start = text.index("Per-column drift (latest version)")
    lines = text[start:].splitlines()[2:]
    table = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        table.append([c.strip() for c in line.strip("|").split("|")])
    return table


def test_table_equals_the_stored_figures(tmp_path: Path) -> None:
    db = _write(tmp_path / "tw.duckdb", measured_versions())
    data, page, md = _report(db, tmp_path / "out")
    stored, history = _stored(db, "gan")
    latest, baseline = stored["v4"], stored["v0"]
    rows_n = int(history["reference_rows"].iloc[-1]), int(history["sample_rows"].iloc[-1])
    numeric = [c for c, v in latest.items() if "ks_statistic" in v]
    n, m = rows_n
    critical = kolmogi(0.01 / len(numeric)) * math.sqrt((n + m) / (n * m))

    expected = []
    for column, values in latest.items():
        statistic = "ks_statistic" if "ks_statistic" in values else "total_variation"
        drift = values[statistic]
        limit = max(0.1, critical) if statistic == "ks_statistic" else 0.1
        flagged = drift > limit or values.get("categories_lost", 0) > 0
        expected.append((column, statistic, drift, baseline[column][statistic], flagged))
    expected.sort(key=lambda e: (not e[4], -e[2]))

    table = data["generators"][0]["columns"]
    assert table["version"] == "v4" and table["baseline"] == "v0"
    assert table["ks_critical"] == pytest.approx(critical, rel=1e-3)
    assert [r["column"] for r in table["rows"]] == [e[0] for e in expected]
    for row, (column, statistic, drift, before, flagged) in zip(
        table["rows"], expected, strict=True
    ):
        values = latest[column]
        assert row["statistic"] == statistic
        assert row["drift"] == drift and row["baseline"] == before
        assert row["change"] == pytest.approx(drift - before)
        assert row["ks_statistic"] == values.get("ks_statistic")
        assert row["total_variation"] == values.get("total_variation")
        assert row["tail_share_lower"] == values.get("tail_share_lower")
        assert row["tail_reference_lower"] == values.get("tail_expected_lower")
        assert row["tail_share_upper"] == values.get("tail_share_upper")
        assert row["tail_reference_upper"] == values.get("tail_expected_upper")
        lost = values.get("categories_lost")
        assert row["categories_lost"] == (None if lost is None else int(lost))
        assert bool(row["flags"]) == flagged, row
    # The collapsing history drifts in every column by v4; the lost categories are named.
    kind = next(r for r in table["rows"] if r["column"] == "kind")
    assert f"{int(latest['kind']['categories_lost'])} categories lost" in kind["flags"]

    shown = _html_rows(page, "gan")
    assert [r[0] for r in shown] == [e[0] for e in expected]
    for cells, (column, statistic, drift, before, _) in zip(shown, expected, strict=True):
        assert cells[2 if statistic == "ks_statistic" else 3] == f"{drift:.3f}"
        assert cells[4] == f"{before:.3f}" and cells[5] == f"{drift - before:+.3f}"
        if column != "kind":
            lower = latest[column]
            assert cells[6] == (f"{100 * lower['tail_share_lower']:.2f} % "
                                f"(ref {100 * lower['tail_expected_lower']:.2f} %)")  # fmt: skip
    assert "more columns" not in page
    assert [r[0] for r in _md_rows(md)] == [e[0] for e in expected]


def test_at_most_twenty_rows_shown_worst_first(tmp_path: Path) -> None:
    runs = [synthetic_run("wide", f"v{i}", i, HEALTHY, HEALTHY, features=30) for i in range(3)]
    db = _write(tmp_path / "tw.duckdb", runs)
    data, page, md = _report(db, tmp_path / "out")
    stored, _ = _stored(db, "wide")
    latest = stored["v2"]
    n = m = 1000
    critical = kolmogi(0.01 / 30) * math.sqrt((n + m) / (n * m))
    limit = max(0.1, critical)
    order = sorted(latest, key=lambda c: (not latest[c]["ks_statistic"] > limit,
                                          -latest[c]["ks_statistic"], c))  # fmt: skip
    flagged_hidden = sum(1 for c in order[20:] if latest[c]["ks_statistic"] > limit)

    rows = data["generators"][0]["columns"]["rows"]
    assert len(rows) == 30, "report.json holds every column"
    assert [r["column"] for r in rows] == order
    assert [r[0] for r in _html_rows(page, "wide")] == order[:20]
    assert f"10 more columns ({flagged_hidden} of them flagged)" in page
    assert [r[0] for r in _md_rows(md)] == order[:20]
    assert f"(10 more columns, {flagged_hidden} of them flagged, are in report.json.)" in md


def _tail_run(index: int, shares: dict[str, tuple[float, float]], rows: int) -> RunResult:
    metrics = [MetricValue(k, "reference", v) for k, v in HEALTHY.items()]
    metrics += [MetricValue(k, "healthy", v) for k, v in HEALTHY.items()]
    for column, (lower, expected) in shares.items():
        scope = f"feature:{column}"
        metrics += [
            MetricValue("ks_statistic", scope, 0.02),
            MetricValue("tail_share_lower", scope, lower),
            MetricValue("tail_expected_lower", scope, expected),
        ]
    start = T0 + timedelta(days=index)
    return RunResult(
        subject_kind="generator", subject="tails", version=f"v{index}", fingerprint=f"t{index}",
        version_index=index, started_at=start, finished_at=start + timedelta(minutes=1),
        status="ok", reference_rows=rows, sample_rows=rows, metrics=metrics,
    )  # fmt: skip


def test_tail_flags_need_support_and_more_than_noise(tmp_path: Path) -> None:
    healthy = {"thin": (0.01, 0.01), "fine": (0.01, 0.01), "rare": (0.001, 0.001)}
    latest = {
        "thin": (0.001, 0.01),  # 5 rows where the reference gives 50: a tenth
        "fine": (0.009, 0.01),  # within the factors
        "rare": (0.0, 0.001),  # 5 rows expected: too few to judge
    }
    db = _write(tmp_path / "tw.duckdb", [_tail_run(0, healthy, 5000), _tail_run(1, latest, 5000)])
    data, page, _ = _report(db, tmp_path / "out")
    rows = {r["column"]: r for r in data["generators"][0]["columns"]["rows"]}
    assert rows["thin"]["flags"] == ["lower tail x0.10"]
    assert rows["fine"]["flags"] == [] and rows["rare"]["flags"] == []
    assert data["generators"][0]["columns"]["rows"][0]["column"] == "thin"
    assert _html_rows(page, "tails")[0][6] == "0.10 % (ref 1.00 %)"
