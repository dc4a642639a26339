"""The report's checks as people read them: kind (change or gap) and detail of every check, the
fidelity gaps apart (constant since the first version or not), precision with its limit and the
categories plot. Real DuckDB files written by record_run; the HTML, Markdown and JSON as written.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from collectors.result import RunResult
from monitor.report.write import build_report, write_report
from monitor.store.database import Store
from tests.support.report_histories import synthetic_run
from tests.support.report_runs import HEALTHY, _run


def _write(tmp_path: Path, runs: list[RunResult]) -> tuple[dict, str, str]:
    db = tmp_path / "tw.duckdb"
    with Store(db) as store:
        for run in runs:
            store.record_run(run)
    with Store(db, read_only=True) as store:
        report = build_report(store)
    html, data, md = write_report(report, tmp_path / "out")
    return json.loads(data.read_text()), html.read_text(), md.read_text()


def _section(html: str, sid: str) -> str:
    start = html.index(f'id="{sid}"')
    return html[start : html.index("</section>", start)]


def _rows(fragment: str) -> list[list[str]]:
    """The cells (tags stripped) of every body row of the first table in ``fragment``."""
    body = fragment[fragment.index("<tbody>") : fragment.index("</tbody>")]
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body)
    ]


def test_a_constant_gap_is_listed_as_such_and_never_an_alert(tmp_path: Path) -> None:
    # "blurry" always blurred (precision far below the healthy level from v0 on); "steady" is
    # fine until v2, then loses a real category for two versions (a change: it pages).
    runs = [_run("blurry", i, precision=0.5) for i in range(4)]
    runs += [_run("steady", i, lost=1.0 if i >= 2 else 0.0) for i in range(4)]
    data, html, md = _write(tmp_path, runs)
    sections = {s["name"]: s for s in data["generators"]}
    assert sections["blurry"]["verdict"]["level"] == "healthy"
    assert sections["steady"]["verdict"]["level"] == "collapse suspected"
    assert {(a["subject"], a["check"]) for a in data["alerts"]} == {("steady", "category_lost")}, (
        "a gap is never among the alerts"
    )

    blurry = _section(html, "generator-blurry")
    gaps = _rows(blurry[blurry.index('id="generator-blurry-gaps"') :])
    assert [row[:4] for row in gaps] == [["precision_gap", "v0", "yes", "4"]]
    checks = {row[0]: row for row in _rows(blurry[blurry.index("<h3>Checks") :])}
    assert checks["precision_gap"][1] == "gap (ticket)"
    assert checks["precision_decline"][1] == "change" and checks["precision_decline"][4] == "0"
    assert checks["memorization"][1] == "change (privacy)"

    steady = _section(html, "generator-steady")
    checks = {row[0]: row for row in _rows(steady[steady.index("<h3>Checks") :])}
    assert checks["category_lost"][4] == "2"
    assert checks["category_lost"][5] == "segment (1 more)", "the detail names the feature"
    # The category gap appeared at v2: a gap, but not a constant one.
    gaps = _rows(steady[steady.index('id="generator-steady-gaps"') :])
    assert [row[:4] for row in gaps] == [["category_gap", "v2", "no", "2"]]

    blurry_md = md[md.index("## Generator `blurry`") : md.index("## Generator `steady`")]
    assert "| precision_gap | v0 | yes | 4 |" in blurry_md
    assert "Change checks breached by the latest version (they page):\n\nNone." in blurry_md
    steady_md = md[md.index("## Generator `steady`") :]
    assert "| category_lost | change |" in steady_md and "segment (1 more)" in steady_md
    assert "| category_gap | v2 | no | 2 |" in steady_md


def test_precision_limit_and_categories_are_plotted(tmp_path: Path) -> None:
    runs = [_run("kde", i, precision=0.95 - 0.25 * i, lost=float(i >= 2)) for i in range(4)]
    data, html, _ = _write(tmp_path, runs)
    (section,) = data["generators"]
    precision = section["metrics"]["precision"]
    assert precision["check"] == "precision_decline"
    assert len(precision["limits"]) == 4 and all(v is not None for v in precision["limits"][1:])
    assert section["metrics"]["categories_lost"]["check"] == "category_lost"
    plots = dict(re.findall(r'data-plot="([a-z]+)"><img alt="[^"]*" src="data:image/svg\+xml;'
                            r'base64,([^"]+)"', html))  # fmt: skip
    assert {"metrics", "categories"} <= set(plots)
    svg = base64.b64decode(plots["categories"]).decode()
    assert "Real categories lost" in svg and "Rare-category mass" in svg
    metrics_svg = base64.b64decode(plots["metrics"]).decode()
    assert "Precision" in metrics_svg


def test_without_categorical_figures_the_categories_plot_says_so(tmp_path: Path) -> None:
    figures = {k: v for k, v in HEALTHY.items() if k not in ("categories_lost",
                                                             "rare_category_mass")}  # fmt: skip
    runs = [synthetic_run("numeric", f"v{i}", i, figures, figures) for i in range(2)]
    _, html, _ = _write(tmp_path, runs)
    assert 'data-plot-missing="categories"' in html
    assert "No fidelity gap at the latest version." in html


def test_the_standing_gates_are_plotted_with_their_limits(tmp_path: Path) -> None:
    """Issue 15: utility, membership AUC and verified yield across versions, breaches marked."""
    runs = []
    for i in range(4):
        figures = {**HEALTHY, "utility_ratio": 1.0 - 0.3 * max(i - 1, 0),
                   "membership_auc": 0.5 + 0.01 * i, "verified_yield": 0.8 - 0.1 * i}  # fmt: skip
        runs.append(synthetic_run("gan", f"v{i}", i, figures, HEALTHY))
    data, html, _ = _write(tmp_path, runs)
    (section,) = data["generators"]
    assert section["metrics"]["utility_ratio"]["check"] == "utility_decline"
    assert section["metrics"]["membership_auc"]["check"] == "membership_exposure"
    plots = dict(re.findall(r'data-plot="([a-z]+)"><img alt="[^"]*" src="data:image/svg\+xml;'
                            r'base64,([^"]+)"', html))  # fmt: skip
    svg = base64.b64decode(plots["gates"]).decode()
    for heading in ("Utility: TSTR / TRTR", "Membership attack ROC AUC", "Verified yield"):
        assert heading in svg
    checks = {c["check"]: c for c in section["checks"]}
    assert checks["utility_decline"]["breached"] == [False, False, True, True]
    assert checks["membership_exposure"]["streak"] == 0


def test_without_gates_there_is_no_gates_plot(tmp_path: Path) -> None:
    _, html, _ = _write(tmp_path, [_run("plain", i) for i in range(2)])
    assert 'data-plot="gates"' not in html
