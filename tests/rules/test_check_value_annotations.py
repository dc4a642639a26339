"""Every check alert quotes the figure that decided it (issue 22): ``check_value`` and its limit.

A check of several sub-tests reports which figure breached (``CheckResult.figure``); the exporter
exports that figure as ``tailwatch_generator_check_value{check}`` beside
``tailwatch_generator_check_limit{check}``. The privacy alerts quoted the pair first; every
collapse alert must too, so that a page never shows a metric gauge on the safe side of a limit
that belongs to another figure. The promtool unit tests (rules/tests/) assert the rendered text;
these tests assert that each alert's template reads the pair for its own check, and that a unit
test feeds the value series and expects its number in the text.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.rules.tools import RULE_TESTS, load_rules

PAGING_FINDINGS = {"collapse", "privacy"}
CHECK_OF_EXPR = re.compile(r'tailwatch_generator_check_breach_versions\{check="([a-z0-9_]+)"\}')


def _paging_check_alerts() -> list[tuple[str, str, dict[str, Any]]]:
    """(alert, check, rule) of every alert paging on one check's breach streak."""
    out = []
    for rule in load_rules():
        if "alert" not in rule or rule.get("labels", {}).get("finding") not in PAGING_FINDINGS:
            continue
        match = CHECK_OF_EXPR.search(rule["expr"])
        if match:
            out.append((rule["alert"], match.group(1), rule))
    return out


def _ids(value: object) -> str:
    return value if isinstance(value, str) else ""


def _series(metric: str, check: str) -> str:
    """The query an annotation's template builds for ``metric`` of ``check``."""
    return f'"tailwatch_generator_{metric}{{generator=%q,check=\\"{check}\\"}}"'


def test_the_paging_alerts_are_found() -> None:
    names = {alert for alert, _, _ in _paging_check_alerts()}
    assert {"TailwatchCoverageDecline", "TailwatchTailsThinning", "TailwatchMemorization"} <= names
    assert len(names) >= 20


@pytest.mark.parametrize(("alert", "check", "rule"), _paging_check_alerts(), ids=_ids)
def test_every_check_alert_quotes_its_value_and_limit(
    alert: str, check: str, rule: dict[str, Any]
) -> None:
    description = rule["annotations"]["description"]
    assert _series("check_value", check) in description, f"{alert} does not quote check_value"
    assert _series("check_limit", check) in description, f"{alert} does not quote check_limit"
    # Another check's value would be the wrong figure.
    quoted = set(re.findall(r'check_value\{generator=%q,check=\\"([a-z0-9_]+)\\"\}', description))
    assert quoted == {check}, f"{alert} quotes the value of {sorted(quoted)}"


def _unit_tests() -> list[dict[str, Any]]:
    tests = []
    for path in sorted(RULE_TESTS.glob("*.test.yml")):
        tests += yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]
    return tests


def _value_at(values: str, step: int) -> float | None:
    """The value of a promtool series notation ('0.2 0.1x3', '1+1x4', '_') at ``step``."""
    expanded: list[float | None] = []
    for token in values.split():
        match = re.fullmatch(r"(_|[-+.\deE]+?)(?:([-+][.\d]+))?(?:x(\d+))?", token)
        assert match, f"unknown series notation {token!r}"
        start, delta, times = match.groups()
        if start == "_":
            expanded += [None] * (1 + int(times or 0))
            continue
        step_by = float(delta) if delta else 0.0
        expanded += [float(start) + i * step_by for i in range(1 + int(times or 0))]
    return expanded[min(step, len(expanded) - 1)]


@pytest.mark.parametrize(("alert", "check", "rule"), _paging_check_alerts(), ids=_ids)
def test_a_unit_test_renders_the_value_in_the_text(
    alert: str, check: str, rule: dict[str, Any]
) -> None:
    """Some promtool test of ``alert`` feeds ``check_value`` and expects its number, formatted
    as the template formats it, in the firing alert's description."""
    pattern = (
        r'check_value\{generator=%q,check=\\"' + check + r'\\"\}" \$labels\.generator \| query'
        r' \}\}\{\{ \. \| first \| value(?: \| printf "([^"]+)")? \}\}'
    )
    fmt = re.search(pattern, rule["annotations"]["description"])
    assert fmt, f"{alert}: the check_value template is not the usual query form"
    rendered_with = fmt.group(1) or "%g"
    found = []
    for test in _unit_tests():
        interval = test.get("interval", "1m")
        assert interval == "1m", "these tests assume 1m steps"
        value_series = [
            s
            for s in test.get("input_series", [])
            if s["series"].startswith("tailwatch_generator_check_value{")
            and f'check="{check}"' in s["series"]
        ]
        for case in test.get("alert_rule_test", []):
            if case["alertname"] != alert:
                continue
            for expected in case.get("exp_alerts", []):
                generator = expected["exp_labels"].get("generator")
                series = [s for s in value_series if f'generator="{generator}"' in s["series"]]
                if not series:
                    continue
                step = int(str(case["eval_time"]).rstrip("m"))
                value = _value_at(series[0]["values"], step)
                assert value is not None
                text = rendered_with % value
                description = expected["exp_annotations"]["description"]
                assert text in description, f"{alert}: {text} not in {description!r}"
                found.append(text)
    assert found, f"no promtool test of {alert} feeds check_value{{check={check!r}}}"
