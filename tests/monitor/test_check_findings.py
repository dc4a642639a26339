"""Findings by kind (issue 22): privacy apart from collapse, the figure that breached each check
of several sub-tests, "constant since" the first version, and "resolved at" for a check that
paged and recovered; in the verdict, ``status``, the report, the gate, JUnit and ``--fail-on``.
Real DuckDB stores written by record_run; the figures are hand-made so each sub-test is known."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from monitor.checks import (
    CheckThresholds,
    HealthyLevels,
    VersionFigures,
    evaluate_checks,
    generator_verdict,
)
from monitor.commands.check import (
    DEFAULT_FAIL_ON,
    generator_gate,
    parse_fail_on,
    report_findings,
    write_junit,
)
from monitor.report import build_report
from monitor.status import format_status, status_document
from monitor.store import Store, version_figures
from tests.support.report_histories import synthetic_run

ROWS = {"reference_rows": 2000.0, "sample_rows": 2000.0}
GOOD = {"coverage": 0.95, "recall": 0.93, "precision": 0.94, "density": 1.0, **ROWS}
HEALTHY = {**GOOD, "authenticity": 0.5, "dcr_close_share": 0.05}


def _results(figures: list[dict[str, float]], healthy: dict[str, float] | None = None) -> dict:
    history = [VersionFigures(f"v{i + 1}", f, 2000, 2000) for i, f in enumerate(figures)]
    levels = HealthyLevels(healthy if healthy is not None else HEALTHY)
    results = evaluate_checks(history, levels)
    return {"verdict": generator_verdict(results), **{r.check: r for r in results}}


def test_memorization_names_dcr_close_share_when_it_breaches_not_authenticity() -> None:
    """The issue's copying generator: authenticity on the safe side, 19 % of samples closer
    than the holdout's 5th percentile (limit 2 x 5 %)."""
    copying = {**GOOD, "authenticity": 0.289, "dcr_close_share": 0.19}
    out = _results([copying, copying, copying])
    memo = out["memorization"]
    assert memo.breached == (True, True, True)
    assert (memo.figure, memo.value) == ("dcr_close_share", 0.19)
    assert memo.limit == pytest.approx(0.1)
    assert "dcr_close_share 0.190 above its limit 0.100" in memo.detail
    assert "authenticity 0.289 (limit" in memo.detail and "holds" in memo.detail
    assert memo.constant and memo.since == "v1"


def test_memorization_names_authenticity_when_it_breaches() -> None:
    out = _results([{**GOOD, "authenticity": 0.5, "dcr_close_share": 0.05},
                    {**GOOD, "authenticity": 0.2, "dcr_close_share": 0.05}])  # fmt: skip
    memo = out["memorization"]
    assert memo.breached == (False, True)
    assert (memo.figure, memo.value) == ("authenticity", 0.2)
    assert memo.limit == pytest.approx(0.4)  # 0.8 x 0.5
    assert memo.detail.startswith("authenticity 0.200 below its limit 0.400")


def test_membership_exposure_names_the_tpr_when_the_auc_holds() -> None:
    """AUC 0.574 under its limit 0.6; TPR at 1 % FPR 0.12 over 5 x 1 % with 2,000 non-members."""
    attacked = {**GOOD, "membership_auc": 0.574, "membership_tpr_at_1pct_fpr": 0.12,
                "membership_rows": 2000.0}  # fmt: skip
    exposure = _results([attacked])["membership_exposure"]
    assert exposure.breached == (True,)
    assert (exposure.figure, exposure.value) == ("membership_tpr_at_1pct_fpr", 0.12)
    assert exposure.limit == pytest.approx(0.05)
    assert "membership_auc 0.574 (limit 0.600) holds" in exposure.detail


def test_membership_exposure_names_the_auc_when_it_breaches() -> None:
    attacked = {**GOOD, "membership_auc": 0.8, "membership_tpr_at_1pct_fpr": 0.02,
                "membership_rows": 2000.0}  # fmt: skip
    exposure = _results([attacked])["membership_exposure"]
    assert (exposure.figure, exposure.value, exposure.limit) == ("membership_auc", 0.8, 0.6)
    quiet = _results([{**attacked, "membership_auc": 0.52}])["membership_exposure"]
    assert quiet.breached == (False,) and quiet.figure == "membership_auc" and quiet.detail == ""


def test_diversity_and_tail_checks_name_the_figure_that_breached() -> None:
    text = {"text_distinct_1": 0.5, "text_distinct_2": 0.8, "text_semantic_diversity": 0.6}
    out = _results([{**GOOD, **text}, {**GOOD, **text, "text_distinct_2": 0.3}], healthy={})
    assert out["diversity_decline"].breached == (False, True)
    assert out["diversity_decline"].figure == "text_distinct_2"
    assert out["diversity_decline"].value == 0.3

    def tails(share: float) -> VersionFigures:
        per = {"income": {"tail_share_lower": share, "tail_expected_lower": 0.05},
               "age": {"tail_share_lower": 0.05, "tail_expected_lower": 0.05}}  # fmt: skip
        return VersionFigures("v", GOOD, 2000, 2000, per)

    history = [tails(0.05), tails(0.0)]
    thinning = {r.check: r for r in evaluate_checks(history, {})}["tail_thinning"]
    assert thinning.breached == (False, True)
    assert thinning.figure == "income (lower tail) share / baseline's" and thinning.value == 0.0


def test_privacy_is_its_own_finding_never_collapse() -> None:
    copying = {**GOOD, "authenticity": 0.3, "dcr_close_share": 0.19}
    verdict = _results([copying, copying, copying])["verdict"]
    assert verdict.level == "healthy" and not verdict.collapse and not verdict.watch
    assert [r.check for r in verdict.privacy] == ["memorization"]
    assert verdict.privacy_level == "privacy risk"
    assert verdict.labels == ("healthy", "privacy risk") and verdict.findings == {"privacy"}
    once = _results([{**GOOD, "authenticity": 0.5, "dcr_close_share": 0.05}, copying])["verdict"]
    assert once.privacy_level == "privacy watch" and once.level == "healthy"


def test_a_check_that_paged_and_recovered_is_resolved_at_its_version() -> None:
    low = {**GOOD, "coverage": 0.5}
    out = _results([GOOD, low, low, GOOD])
    coverage = out["coverage_decline"]
    assert coverage.breached == (False, True, True, False)
    assert coverage.resolved_at(2) == "v4" and coverage.resolved_at(3) is None
    verdict = out["verdict"]
    assert verdict.level == "healthy"
    assert [(r.check, at) for r, at in verdict.resolved] == [("coverage_decline", "v4")]
    once = _results([GOOD, low, GOOD])["verdict"]  # one version never paged
    assert once.resolved == ()


def _store(path: Path) -> Path:
    copying = {**GOOD, "authenticity": 0.3, "dcr_close_share": 0.19}
    low = {**copying, "coverage": 0.5}
    with Store(path) as store:
        for i, figures in enumerate([copying, copying, copying]):
            store.record_run(synthetic_run("copycat", f"v{i + 1}", i, figures, HEALTHY))
        for i, figures in enumerate([copying, low, low, copying]):
            store.record_run(synthetic_run("healed", f"v{i + 1}", i, figures, HEALTHY))
    return path


def test_status_and_report_keep_the_kinds_apart(tmp_path: Path) -> None:
    with Store(_store(tmp_path / "tw.duckdb"), read_only=True) as store:
        document = status_document(store)
        report = build_report(store)
    by_name = {s["name"]: s for s in document["subjects"]}
    copycat, healed = by_name["copycat"], by_name["healed"]
    assert copycat["level"] == "healthy" and copycat["change_checks"] == []
    assert copycat["verdict"] == "healthy; privacy risk"
    (memo,) = copycat["privacy_checks"]
    assert (memo["check"], memo["finding"], memo["figure"]) == (
        "memorization", "privacy", "dcr_close_share")  # fmt: skip
    assert memo["value"] == 0.19 and memo["limit"] == pytest.approx(0.1)
    assert memo["constant"] and memo["since"] == "v1"
    assert healed["resolved"] == [
        {"check": "coverage_decline", "kind": "collapse", "resolved_at": "v4"}
    ]
    text = format_status(document)
    assert "copycat: privacy risk: privacy checks breached (not a collapse): memorization " \
           "(constant since v1, 3 versions; dcr_close_share 0.190, limit 0.100" in text  # fmt: skip
    assert "healed: paged and recovered: coverage_decline resolved at v4" in text
    assert json.dumps(document)  # /api/status serialises it as is

    sections = {s.name: s for s in report.generators}
    verdict = sections["copycat"].verdict
    assert verdict.level == "healthy" and verdict.labels == ("privacy risk",)
    assert any("privacy risk (constant since v1), not a collapse" in r and
               "(dcr_close_share 0.190, limit 0.100" in r for r in verdict.reasons)  # fmt: skip
    assert any("coverage_decline paged earlier and resolved at v4" in r
               for r in sections["healed"].verdict.reasons)  # fmt: skip
    assert "privacy risk" in report.verdict.labels
    assert report_findings(report) == {"privacy"}


def test_the_gate_fails_on_privacy_only_when_asked(tmp_path: Path) -> None:
    assert parse_fail_on("privacy") == ("privacy",)
    assert "privacy" in DEFAULT_FAIL_ON
    with Store(_store(tmp_path / "tw.duckdb"), read_only=True) as store:
        figures, healthy = version_figures(store.history("generator", "copycat"))
    gate = generator_gate("copycat", figures, healthy, CheckThresholds())
    assert gate.level == "healthy" and gate.details["verdict"] == "healthy; privacy risk"
    assert gate.failing(("privacy",)) and not gate.failing(("collapse",))
    (case,) = gate.failing(DEFAULT_FAIL_ON)
    assert case.check == "memorization" and case.findings == {"privacy"}
    assert case.message.startswith("dcr_close_share 0.19, limit 0.1")
    junit = tmp_path / "junit.xml"
    write_junit([gate], ("privacy",), junit)
    root = ET.parse(junit).getroot()
    failure = next(c for c in root.iter("testcase") if c.get("name") == "memorization").find(
        "failure"
    )
    assert failure is not None and failure.get("type") == "privacy"
    assert "dcr_close_share" in failure.get("message", "")
    verdict = {p.get("name"): p.get("value") for p in root.iter("property")}["verdict"]
    assert verdict == "healthy; privacy risk"
