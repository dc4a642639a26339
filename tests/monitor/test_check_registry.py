"""A check is one record: registering it is enough for it to appear in the settings section,
the report, ``status``, JUnit and the rules-file check (monitor.checks.registry), and removing
it takes it out of all of them. Real TOML files, a real DuckDB store."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.checks import (
    CHECK_KINDS,
    CHECKS,
    Check,
    CheckThresholds,
    HealthyLevels,
    Threshold,
    VersionFigures,
    evaluate_checks,
    records,
    register,
    registered,
    threshold_table,
)
from monitor.checks.outcome import Outcome
from monitor.checks.stubs import alert_stub, rule_problems, runbook_stub
from monitor.commands.check import generator_gate, write_junit
from monitor.report import build_report
from monitor.settings import ConfigError, load_settings
from monitor.status import format_status, status_document
from monitor.store import Store, version_figures
from tests.rules.tools import RUNBOOKS, load_rules
from tests.support.report_runs import _run

TOY_SHARE = Threshold("toy_precision_floor", 0.6, "toy: precision below this", gt=0, le=1)


def _toy_rule(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    value = current.figures.get("precision")
    if value is None:
        return None, None, None, ""
    limit = t.toy_precision_floor
    return value < limit, limit, value, "toy detail" if value < limit else ""


TOY = Check(
    "toy_precision_floor",
    "collapse",
    "precision below a fixed floor (a test's check)",
    reads=("precision",),
    watches="precision",
    rule=_toy_rule,
    alert="TailwatchToyPrecisionFloor",
    thresholds=(TOY_SHARE,),
)


@pytest.fixture
def toy() -> Iterator[Check]:
    with registered(TOY) as check:
        yield check
    assert "toy_precision_floor" not in CHECK_KINDS


def _config(tmp_path: Path, checks: str, folder: str) -> Path:
    path = tmp_path / folder / "tailwatch.toml"
    path.parent.mkdir(parents=True)
    path.write_text(
        '[[generators]]\nname = "blurry"\nreference = "real/*.parquet"\nversions = "v/*"\n'
        f"[generators.checks]\n{checks}\n",
        encoding="utf-8",
    )
    return path


def _store(path: Path) -> Path:
    with Store(path) as store:
        for i in range(3):
            store.record_run(_run("blurry", i, precision=0.5))
    return path


def test_a_registered_record_is_a_setting(toy: Check, tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, "toy_precision_floor = 0.4", "a"))
    assert settings.thresholds_for("blurry").toy_precision_floor == 0.4
    assert CheckThresholds().toy_precision_floor == 0.6
    with pytest.raises(ConfigError, match="toy_precision_floor"):
        load_settings(_config(tmp_path, "toy_precision_floor = 2.0", "b"))


def test_a_removed_record_is_no_setting(tmp_path: Path) -> None:
    with registered(TOY):
        assert "toy_precision_floor" in threshold_table()
    assert "toy_precision_floor" not in threshold_table()
    with pytest.raises(ConfigError, match="toy_precision_floor"):
        load_settings(_config(tmp_path, "toy_precision_floor = 0.4", "c"))


def test_a_registered_record_is_judged_in_status_report_and_junit(
    toy: Check, tmp_path: Path
) -> None:
    with Store(_store(tmp_path / "tw.duckdb"), read_only=True) as store:
        document = status_document(store)
        report = build_report(store)
        figures, healthy = version_figures(store.history("generator", "blurry"))
    (subject,) = document["subjects"]
    found = {f["check"]: f for f in subject["change_checks"]}
    assert found["toy_precision_floor"]["versions_in_a_row"] == 3
    assert found["toy_precision_floor"]["limit"] == 0.6
    assert "toy_precision_floor (constant since v0, 3 versions" in format_status(document)

    (section,) = report.generators
    row = next(r for r in section.checks if r.check == "toy_precision_floor")
    assert row.description == TOY.description and row.breached == (True, True, True)
    assert any("toy_precision_floor" in reason and "(precision 0.500, limit 0.600" in reason
               for reason in section.verdict.reasons)  # fmt: skip

    gate = generator_gate("blurry", figures, healthy)
    junit = tmp_path / "junit.xml"
    write_junit([gate], ("collapse",), junit)
    case = next(
        c for c in ET.parse(junit).iter("testcase") if c.get("name") == "toy_precision_floor"
    )
    assert case.find("failure") is not None
    assert "precision below a fixed floor" in ET.tostring(case, encoding="unicode")


def test_a_registered_record_needs_its_alert_and_runbook(toy: Check) -> None:
    alerts = [rule for rule in load_rules() if "alert" in rule]
    runbooks = RUNBOOKS.read_text(encoding="utf-8")
    problems = [p for p in rule_problems(alerts, runbooks) if p.startswith("toy_precision_floor")]
    assert "toy_precision_floor: no alert TailwatchToyPrecisionFloor in the rules file" in problems
    assert "toy_precision_floor: no runbook section '## TailwatchToyPrecisionFloor'" in problems
    # The stubs fill exactly what was missing.
    import yaml

    stub = yaml.safe_load(alert_stub(toy).replace("      - ", "- ", 1).replace("\n      ", "\n"))
    assert rule_problems([*alerts, *stub], runbooks + "\n" + runbook_stub(toy)) == []


def test_a_record_is_declared_once() -> None:
    assert set(records()) == set(CHECK_KINDS)
    with pytest.raises(ValueError, match="registered already"):
        register(records()["coverage_decline"])
    clash = Threshold("coverage_share", 0.5, "a second declaration", gt=0, le=1)
    with pytest.raises(ValueError, match="declared twice"), registered(
        Check("toy_clash", "collapse", "x", ("coverage",), "coverage", _toy_rule,
              "TailwatchToyClash", (clash,))
    ):  # fmt: skip
        pass
    assert "toy_clash" not in CHECKS
    with pytest.raises(ValueError, match="_gap"):
        Check("toy_gap", "collapse", "x", (), "x", _toy_rule, "TailwatchToy")


def test_every_record_reads_declared_thresholds_only() -> None:
    """Each built-in rule runs with the thresholds its record and the general ones declare."""
    history = [
        VersionFigures("v0", {"precision": 0.9, "coverage": 0.9}, 500, 500),
        VersionFigures("v1", {"precision": 0.5, "coverage": 0.5}, 500, 500),
    ]
    results = evaluate_checks(history, {"precision": 0.9, "coverage": 0.9})
    assert [r.check for r in results] == list(CHECK_KINDS)
