"""The per-column table's missing share (issue 24): the version's beside the reference's, as its
own value, only where some column has missing cells (complete-data tables keep their columns)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from collectors.result import MetricValue, RunResult
from tests.monitor.report.test_columns import HEALTHY, _html_rows, _md_rows, _report, _write
from tests.support.report_histories import T0

HEAD = ["column", "kind", "KS", "TV", "baseline", "change", "lower tail share",
        "upper tail share", "categories lost", "flagged"]  # fmt: skip


def _run(index: int, missing: dict[str, tuple[float, float]], rows: int = 2000) -> RunResult:
    """Two numeric columns; ``missing``: column -> (version's share, reference's share)."""
    metrics = [MetricValue(k, "reference", v) for k, v in HEALTHY.items()]
    metrics += [MetricValue(k, "healthy", v) for k, v in HEALTHY.items()]
    for column in ("age", "income"):
        metrics.append(MetricValue("ks_statistic", f"feature:{column}", 0.02))
    for column, (share, expected) in missing.items():
        metrics += [
            MetricValue("missing_share", f"feature:{column}", share),
            MetricValue("missing_expected", f"feature:{column}", expected),
        ]
    start = T0 + timedelta(days=index)
    return RunResult(
        subject_kind="generator", subject="gaps", version=f"v{index}", fingerprint=f"m{index}",
        version_index=index, started_at=start, finished_at=start + timedelta(minutes=1),
        status="ok", reference_rows=rows, sample_rows=rows, metrics=metrics,
    )  # fmt: skip


def _head(page: str) -> list[str]:
    start = page.index('id="generator-gaps-columns"')
    table = page[start : page.index("</tr>", start)]
    return [cell.split(">")[-1] for cell in table.split("</th>")[:-1]]


def test_missing_share_shown_beside_the_reference_for_every_column(tmp_path: Path) -> None:
    runs = [_run(0, {"income": (0.09, 0.09)}), _run(1, {"income": (0.41, 0.09)})]
    data, page, md = _report(_write(tmp_path / "tw.duckdb", runs), tmp_path / "out")
    rows = {r["column"]: r for r in data["generators"][0]["columns"]["rows"]}
    assert rows["income"]["missing_share"] == 0.41
    assert rows["income"]["missing_reference"] == 0.09
    assert rows["age"]["missing_share"] is None and rows["age"]["missing_reference"] is None

    assert _head(page) == [*HEAD[:-1], "missing share", "flagged"]
    html_cells = {cells[0]: cells for cells in _html_rows(page, "gaps")}
    md_cells = {cells[0]: cells for cells in _md_rows(md)}
    for cells in (html_cells, md_cells):
        assert cells["income"][9] == "41.00 % (ref 9.00 %)"
        assert cells["age"][9] == "0.00 % (ref 0.00 %)"
        assert cells["income"][10] == "missing 9.0% (reference) -> 41.0%"
        assert len(cells["age"]) == len(HEAD) + 1


def test_complete_data_tables_have_no_missing_column(tmp_path: Path) -> None:
    runs = [_run(0, {}), _run(1, {})]
    _, page, md = _report(_write(tmp_path / "tw.duckdb", runs), tmp_path / "out")
    assert _head(page) == HEAD
    assert all(len(cells) == len(HEAD) for cells in _html_rows(page, "gaps"))
    assert all(len(cells) == len(HEAD) for cells in _md_rows(md))
