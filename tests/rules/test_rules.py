"""The alerting rules: promtool's syntax check and unit tests, and what every alert must carry."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from monitor.checks import CHECKS, GAPS
from monitor.checks.stubs import rule_problems
from tests.rules.tools import (
    RULE_TESTS,
    RULES_FILE,
    RUNBOOK_BASE,
    RUNBOOKS,
    alert_names,
    checks_selected,
    http_json,
    load_rules,
    prometheus,
    run_tool,
    runbook_anchors,
)

SEVERITIES = {"critical", "warning", "info"}
# Alerts whose value is a constant (up == 0, absent(), a 0/1 flag): their text quotes other values.
BOOLEAN_ALERTS = {"TailwatchTargetDown", "TailwatchTargetMissing", "TailwatchRunFailing"}
DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def seconds(text: str | None) -> float:
    """Seconds of a Prometheus duration such as ``1h30m`` (0 for None)."""
    if not text:
        return 0.0
    parts = DURATION.findall(str(text))
    assert "".join(n + u for n, u in parts) == str(text), f"not a duration: {text!r}"
    return sum(int(n) * UNIT_SECONDS[u] for n, u in parts)


def unit_test_files() -> list[Path]:
    return sorted(RULE_TESTS.glob("*.yml"))


def test_promtool_check_rules_passes(promtool: str) -> None:
    result = run_tool(promtool, "check", "rules", RULES_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_pass(promtool: str) -> None:
    files = unit_test_files()
    assert len(files) >= 3, f"expected the rule unit tests in {RULE_TESTS}"
    result = run_tool(promtool, "test", "rules", *files, timeout=300, cwd=RULE_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files), result.stdout


def test_promtool_unit_tests_catch_a_wrong_expectation(promtool: str, tmp_path: Path) -> None:
    """The harness can fail: a unit test expecting a wrong annotation is reported as failed."""
    source = RULE_TESTS / "generators.test.yml"
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    document["rule_files"] = [str(RULES_FILE)]
    firing = next(
        case
        for test in document["tests"]
        for case in test.get("alert_rule_test", [])
        if case["exp_alerts"]
    )
    firing["exp_alerts"][0]["exp_annotations"]["summary"] = "not what the rule says"
    broken = tmp_path / "broken.test.yml"
    broken.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    result = run_tool(promtool, "test", "rules", broken)
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr


def test_every_alert_carries_severity_summary_description_and_runbook() -> None:
    anchors = runbook_anchors()
    alerts = [rule for rule in load_rules() if "alert" in rule]
    assert len(alerts) >= 15
    for rule in alerts:
        name = rule["alert"]
        assert re.fullmatch(r"Tailwatch(?:[A-Z][a-z0-9]*)+", name), f"{name}: not CamelCase"
        assert rule.get("labels", {}).get("severity") in SEVERITIES, name
        annotations = rule.get("annotations", {})
        for key in ("summary", "description", "runbook_url"):
            assert str(annotations.get(key, "")).strip(), f"{name}: no {key}"
        text = annotations["summary"] + annotations["description"]
        if name not in BOOLEAN_ALERTS:
            assert "$value" in text, f"{name}: the annotations do not show the value"
        if name not in ("TailwatchTargetMissing",):  # absent() has no subject labels
            assert "$labels." in text, f"{name}: the annotations do not name the subject"
        base, _, anchor = annotations["runbook_url"].partition("#")
        assert base == RUNBOOK_BASE, f"{name}: runbook_url must start with {RUNBOOK_BASE}"
        assert anchor == name.lower(), f"{name}: runbook anchor {anchor!r}"
        assert anchor in anchors, f"{name}: no section #{anchor} in {RUNBOOKS}"


def test_runbook_sections_are_alerts() -> None:
    text = RUNBOOKS.read_text(encoding="utf-8")
    sections = set(re.findall(r"^## (Tailwatch\w+)\s*$", text, flags=re.M))
    assert sections == alert_names()


PAGING = {"critical", "warning"}


def test_checks_selected_reads_equality_and_regex_matchers() -> None:
    assert checks_selected('x{check="tail_excess"} >= 2') == {"tail_excess"}
    assert checks_selected('x{check=~".+_gap"} >= 2') == set(GAPS)
    assert checks_selected('x{check=~"tail_.*"}') == {"tail_thinning", "tail_excess", "tail_gap"}


def test_every_collapse_check_has_an_alert() -> None:
    """Every registered check has its alert and runbook: change and privacy checks page, every
    fidelity gap opens a ticket, and never the other way (monitor.checks.stubs.rule_problems)."""
    alerts = [rule for rule in load_rules() if "alert" in rule]
    assert rule_problems(alerts, RUNBOOKS.read_text(encoding="utf-8")) == []
    paging = set().union(
        *(checks_selected(r["expr"]) for r in alerts if r["labels"]["severity"] in PAGING)
    )
    assert set(CHECKS) <= paging and not set(GAPS) & paging
    exprs = " ".join(rule["expr"] for rule in alerts)
    assert "tailwatch_generator_declining_versions" in exprs


def test_the_gap_ticket_waits_longer_than_the_pages() -> None:
    """A constant gap is no emergency: its ticket holds for longer than any change check's page."""
    alerts = [rule for rule in load_rules() if "alert" in rule]
    gap_rules = [r for r in alerts if checks_selected(r["expr"]) & set(GAPS)]
    change_rules = [r for r in alerts if checks_selected(r["expr"]) & set(CHECKS)]
    assert gap_rules and change_rules
    assert min(seconds(r.get("for")) for r in gap_rules) > max(
        seconds(r.get("for")) for r in change_rules
    )


def test_version_based_alerts_need_two_versions() -> None:
    """One noisy version is not a collapse: every breach-count alert asks for >= 2."""
    for rule in load_rules():
        if "alert" in rule and "check_breach_versions" in rule["expr"]:
            assert re.search(r">=\s*2\b|>\s*1\b", rule["expr"]), rule["alert"]


def _cases() -> list[tuple[str, dict]]:
    """(test name, alert_rule_test case) over every unit-test file."""
    out = []
    for path in unit_test_files():
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            out += [(test["name"], case) for case in test.get("alert_rule_test", [])]
    return out


def test_every_alert_is_unit_tested_firing_pending_and_quiet() -> None:
    cases = _cases()
    for rule in load_rules():
        if "alert" not in rule:
            continue
        name, hold = rule["alert"], seconds(rule.get("for"))
        mine = [(test, case) for test, case in cases if case["alertname"] == name]
        firing = [(t, seconds(c["eval_time"])) for t, c in mine if c["exp_alerts"]]
        quiet = [(t, seconds(c["eval_time"])) for t, c in mine if not c["exp_alerts"]]
        assert firing, f"{name}: no unit test where it fires"
        assert quiet, f"{name}: no unit test where it stays quiet"
        if hold:
            # Pending, then firing within the `for:` duration, in the same test.
            assert any(
                t_quiet == t_fire and 0 < fire - calm <= hold
                for t_fire, fire in firing
                for t_quiet, calm in quiet
            ), f"{name}: no unit test shows it pending for its `for: {rule['for']}`"
        for _, case in mine:
            for alert in case["exp_alerts"]:
                labels = alert.get("exp_labels", {})
                assert labels.get("severity") == rule["labels"]["severity"], name
                assert set(alert.get("exp_annotations", {})) >= {
                    "summary",
                    "description",
                    "runbook_url",
                }, f"{name}: a unit test does not check the rendered annotations"


def test_every_recording_rule_is_unit_tested() -> None:
    tested = set()
    for path in unit_test_files():
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            tested |= {case["expr"] for case in test.get("promql_expr_test", [])}
    for rule in load_rules():
        if "record" in rule:
            assert any(rule["record"] in expr for expr in tested), rule["record"]


def test_prometheus_loads_the_rules(tmp_path: Path) -> None:
    """A real Prometheus loads the rules file with every rule healthy."""
    config = {
        "global": {"evaluation_interval": "1s", "scrape_interval": "1s"},
        "rule_files": [str(RULES_FILE)],
        "scrape_configs": [],
    }
    with prometheus(tmp_path / "prometheus", config) as url:
        groups = http_json(f"{url}/api/v1/rules")["data"]["groups"]
        loaded = [rule for group in groups for rule in group["rules"]]
        assert len(loaded) == len(load_rules())
        assert all(rule["health"] in ("ok", "unknown") for rule in loaded), loaded


def test_rule_unit_tests_load_the_one_rules_file() -> None:
    for path in unit_test_files():
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert document["rule_files"] == ["../tailwatch.rules.yml"], path
