"""Every series, alert and label value used in rules, dashboards and deployment exists.

A metric renamed in code while a shipped dashboard keeps the old name gives an empty panel that
nobody notices: here every ``tailwatch_*`` name in rules/, grafana/, deploy/ and the runbooks must
be one of monitor.exporter.series.EXPORTED, every ``tailwatch:*`` name a recording rule, every alert
name in an ``ALERTS`` selector or an Alertmanager matcher an alert of the rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.checks import CHECKS, DECLINE_METRICS, GAPS
from monitor.exporter.series import EXPORTED, FEATURE_STATISTICS, TAIL_SIDES, VERDICTS
from tests.rules.tools import DASHBOARDS, REPO, RUNBOOKS, alert_names, load_rules

SCANNED = [REPO / "rules", REPO / "grafana", REPO / "deploy"]
NAME = re.compile(r"(?<![A-Za-z0-9_:])tailwatch_[a-z0-9_]+")
RECORDED = re.compile(r"(?<![A-Za-z0-9_:])tailwatch:[a-z_][a-z0-9_:]*")
# A name cut short by a template placeholder (printf "%s", {{ }}, <metric> in prose).
PREFIX_FOLLOWERS = ("%s", "{{", "<")
ALERTNAME = re.compile(r'alertname\s*(=~|=)\s*\\?"([^"\\]+)\\?"')
LABEL_VALUES = {
    "check": set(CHECKS) | set(GAPS),
    "verdict": set(VERDICTS),
    "metric": set(DECLINE_METRICS),
    "provenance": {"human", "synthetic", "unknown"},
    "statistic": set(FEATURE_STATISTICS),
    "side": set(TAIL_SIDES),
}
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


def exported_names() -> set[str]:
    """Names as Prometheus stores them (counters already end in _total, infos in _info)."""
    names = set()
    for series in EXPORTED:
        names.add(series.name)
        names.update(series.name + suffix for suffix in SUFFIXES.get(series.type, ()))
    return names


def scanned_files(roots: list[Path] = SCANNED) -> Iterator[Path]:
    """Shipped files; the Python scripts that write dashboards and manifests are checked through
    their output (their f-strings hold name fragments)."""
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".py":
                yield path
    yield RUNBOOKS


def text_of(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def unknown_names(text: str, known: set[str]) -> set[str]:
    """``tailwatch_*`` names in ``text`` that are not in ``known`` (prefixes must start one)."""
    bad = set()
    for match in NAME.finditer(text):
        name, rest = match.group(0), text[match.end() : match.end() + 2]
        if rest.startswith(PREFIX_FOLLOWERS):
            if not any(k.startswith(name) for k in known):
                bad.add(name + "…")
        elif name not in known:
            bad.add(name)
    return bad


def test_the_name_check_catches_a_renamed_metric() -> None:
    known = exported_names()
    assert unknown_names('tailwatch_generator_coverage{generator="a"}', known) == set()
    assert unknown_names("rate(tailwatch_generator_coverages[5m])", known) == {
        "tailwatch_generator_coverages"
    }
    assert unknown_names('printf "tailwatch_generator_%s_vs_baseline_ratio"', known) == set()
    assert unknown_names('printf "tailwatch_nonsense_%s"', known) == {"tailwatch_nonsense_…"}


@pytest.mark.parametrize("path", list(scanned_files()), ids=lambda p: str(p.relative_to(REPO)))
def test_every_series_name_is_exported(path: Path) -> None:
    text = text_of(path)
    if text is None:
        pytest.fail(f"{path} is not UTF-8 text")
    assert not unknown_names(text, exported_names()), (
        f"{path.relative_to(REPO)} uses series that monitor/exporter/series.py does not export"
    )


def test_every_recorded_name_is_a_recording_rule() -> None:
    recorded = {rule["record"] for rule in load_rules() if "record" in rule}
    assert recorded, "the rules define no recording rule"
    used = set()
    for path in scanned_files([REPO / "rules", REPO / "grafana"]):  # where PromQL is written
        used |= set(RECORDED.findall(text_of(path) or ""))
    assert used <= recorded, f"undefined recording rules: {sorted(used - recorded)}"


def _alertname_references(text: str) -> set[str]:
    names = set()
    for _, value in ALERTNAME.findall(text):
        names.update(part for part in value.split("|") if part)
    return names


def test_alerts_named_in_dashboards_and_deploy_exist() -> None:
    alerts = alert_names()
    dashboards = sorted(DASHBOARDS.glob("*.json"))
    assert dashboards
    referenced: dict[str, set[str]] = {}
    for path in [*dashboards, *sorted((REPO / "deploy").rglob("*.y*ml"))]:
        if path.name == "prometheusrule.yaml":
            continue  # generated from the rules
        referenced[str(path.relative_to(REPO))] = _alertname_references(path.read_text())
    for where, names in referenced.items():
        assert names <= alerts, f"{where}: no such alerts {sorted(names - alerts)}"
    assert any(referenced.values()), "expected alert names in the dashboards or alertmanager.yml"
    # the dashboards show the ALERTS series
    assert all("ALERTS{" in path.read_text() for path in dashboards)


def _label_matchers(text: str) -> Iterator[tuple[str, str, str]]:
    """(label, operator, alternative) of every matcher on a label of ``LABEL_VALUES``."""
    for label in LABEL_VALUES:
        pattern = rf'(?<![A-Za-z0-9_]){label}\s*(=~|=)\s*\\?"([^"\\]*)\\?"'
        for operator, value in re.findall(pattern, text):
            for part in value.split("|"):
                yield label, operator, part


def unknown_label_values(text: str) -> set[str]:
    """Matchers in ``text`` that select no exported label value: ``=`` needs a known value, each
    alternative of ``=~`` must match one (dashboard variables are left to Grafana)."""
    bad = set()
    for label, operator, part in _label_matchers(text):
        known = LABEL_VALUES[label]
        if "$" in part:
            continue  # a dashboard variable
        if operator == "=~":
            if not any(re.fullmatch(part, value) for value in known):
                bad.add(f"{label}=~{part!r}")
        elif part not in known:
            bad.add(f"{label}={part!r}")
    return bad


def test_the_label_check_catches_a_misspelled_value() -> None:
    assert unknown_label_values('x{check="coverage_decline", verdict="watch"}') == set()
    assert unknown_label_values('x{check=~".+_gap"} or y{check=~"tail_thinning|.+"}') == set()
    assert unknown_label_values('x{check="coverage_declined"}') == {"check='coverage_declined'"}
    assert unknown_label_values('x{check=~"tail_thining|tail_excess"}') == {"check=~'tail_thining'"}
    assert unknown_label_values('x{check=~".+_gaps"}') == {"check=~'.+_gaps'"}
    assert unknown_label_values('x{verdict="collapse suspected"}') == {
        "verdict='collapse suspected'"
    }


def test_label_values_in_selectors_exist() -> None:
    for path in [*sorted((REPO / "rules").rglob("*.yml")), *sorted(DASHBOARDS.glob("*.json"))]:
        bad = unknown_label_values(path.read_text())
        assert not bad, f"{path.name}: label values that are not exported: {sorted(bad)}"


def test_dashboard_json_strings_checked_as_written() -> None:
    """Names are found in the JSON as Grafana reads it (escaped quotes do not hide a name)."""
    for path in DASHBOARDS.glob("*.json"):
        raw = path.read_text()
        decoded = json.dumps(json.loads(raw), ensure_ascii=False)
        assert set(NAME.findall(raw)) == set(NAME.findall(decoded))
