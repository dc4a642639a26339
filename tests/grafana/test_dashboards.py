"""The Grafana dashboards: structure, datasource, variables, and every query parsed by Prometheus.

Grafana itself is not installable here; the live check that every panel returns data runs in
tests/e2e/test_alerting.py against a Prometheus that scraped the daemon.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest
import yaml

from monitor.checks import GAPS
from monitor.exporter.series import BY_NAME, VERDICTS
from tests.rules.tools import (
    DASHBOARDS,
    REPO,
    checks_selected,
    instant_query,
    load_rules,
    runbook_anchors,
)
from tests.support.dashboards import (
    NAMES,
    PROVISIONING,
    load,
    panels,
    pinned_uid,
    queries,
    substitute,
)


def test_dashboards_are_built_from_the_script() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "grafana" / "build_dashboards.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_dashboard_file_is_one_of_ours() -> None:
    assert sorted(p.stem for p in DASHBOARDS.glob("*.json")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_dashboard_structure(name: str) -> None:
    dashboard = load(name)
    assert dashboard["schemaVersion"] >= 39
    assert dashboard["uid"] == f"tailwatch-{name}"
    assert dashboard["title"].startswith("Tailwatch / ")
    assert "tailwatch" in dashboard["tags"]
    assert "__inputs" not in dashboard and "__requires" not in dashboard
    text = json.dumps(dashboard)
    assert "${DS_" not in text, "file provisioning does not resolve ${DS_*} inputs"
    ids = [panel["id"] for panel in panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    occupied: set[tuple[int, int]] = set()
    for panel in panels(dashboard):
        grid = panel["gridPos"]
        assert set(grid) == {"h", "w", "x", "y"}, panel["title"]
        assert all(isinstance(v, int) and v >= 0 for v in grid.values()), panel["title"]
        assert grid["w"] >= 1 and grid["h"] >= 1 and grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & occupied, f"panel {panel['title']!r} overlaps another"
        occupied |= cells
        assert panel.get("title"), f"panel {panel['id']} has no title"
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            assert panel.get("description"), f"panel {panel['title']!r} has no description"
            refs = [t["refId"] for t in panel["targets"]]
            assert len(refs) == len(set(refs)), panel["title"]


@pytest.mark.parametrize("name", NAMES)
def test_every_panel_uses_the_provisioned_datasource(name: str) -> None:
    dashboard = load(name)
    uid = pinned_uid()
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    datasource = variables["datasource"]
    assert datasource["type"] == "datasource" and datasource["query"] == "prometheus"
    assert datasource["current"]["value"] == uid, "the default must be the provisioned uid"
    allowed = ({"type": "prometheus", "uid": "${datasource}"}, {"type": "prometheus", "uid": uid})
    for panel in panels(dashboard):
        if panel["type"] == "row":
            continue
        assert panel["datasource"] in allowed, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] in allowed, panel["title"]
    for variable in variables.values():
        if variable["type"] == "query":
            assert variable["datasource"] in allowed, variable["name"]
    for annotation in dashboard["annotations"]["list"]:
        if not annotation.get("builtIn"):
            assert annotation["datasource"] in allowed, annotation["name"]


@pytest.mark.parametrize(("name", "variable"), [("overview", "generator"), ("corpora", "corpus")])
def test_subject_variables(name: str, variable: str) -> None:
    dashboard = load(name)
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables[variable]["type"] == "query"
    assert variables[variable]["multi"] and variables[variable]["includeAll"]
    # every subject-level query is filtered by the variable
    for where, expr in queries(dashboard):
        subject_series = re.findall(rf"tailwatch_{variable}_\w+", expr)
        if subject_series and not where.startswith("variable"):
            assert f'{variable}=~"${variable}"' in expr, f"{where}: not filtered by ${variable}"


def test_provisioning_points_grafana_at_the_dashboards() -> None:
    provider = yaml.safe_load((PROVISIONING / "dashboards" / "tailwatch.yml").read_text())
    (entry,) = provider["providers"]
    assert entry["type"] == "file" and entry["options"]["path"]
    datasource = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())
    assert datasource["apiVersion"] == 1 and pinned_uid() == "tailwatch-prometheus"


def test_overview_draws_healthy_levels_beside_measured_ones() -> None:
    dashboard = load("overview")
    exprs = {expr for _, expr in queries(dashboard)}
    for metric in (
        "coverage",
        "density",
        "precision",
        "recall",
        "alpha_precision",
        "beta_recall",
        "authenticity",
        "worst_region_coverage",
    ):
        measured = [e for e in exprs if e.startswith(f"tailwatch_generator_{metric}{{")]
        healthy = [e for e in exprs if e.startswith(f"tailwatch_generator_healthy_{metric}{{")]
        assert measured and healthy, metric
        assert f"tailwatch_generator_healthy_{metric}" in BY_NAME
    titles = {p["title"] for p in panels(dashboard)}
    assert {"Worst region coverage", "Tail frequency ratio", "Active alerts"} <= titles


def test_corpora_dashboard_shows_mix_leakage_and_budget() -> None:
    dashboard = load("corpora")
    stacked = [
        p
        for p in panels(dashboard)
        if p["type"] == "timeseries"
        and p["fieldConfig"]["defaults"]["custom"]["stacking"]["mode"] == "normal"
        and any("tailwatch_corpus_provenance_rows" in t["expr"] for t in p["targets"])
    ]
    assert stacked, "the provenance mix must be a stacked panel"
    text = json.dumps(dashboard)
    for series in (
        "tailwatch_corpus_unlabeled_synthetic_ratio",
        "tailwatch_corpus_near_duplicate_synthetic_ratio",
        "tailwatch_corpus_synthetic_budget_ratio",
        "tailwatch_corpus_human_only_violation_rows",
    ):
        assert series in text, series


def test_a_bad_query_is_rejected(prometheus_url: str) -> None:
    """The parse check can fail: Prometheus answers bad_data to a broken expression."""
    answer = instant_query(prometheus_url, "rate(tailwatch_runs_total[5m]")
    assert answer["status"] == "error", answer
    assert instant_query(prometheus_url, "tailwatch_runs_total")["status"] == "success"


@pytest.mark.parametrize("name", NAMES)
def test_every_query_parses_in_prometheus(name: str, prometheus_url: str) -> None:
    failures = []
    count = 0
    for where, expr in queries(load(name)):
        count += 1
        answer = instant_query(prometheus_url, substitute(expr))
        if answer.get("status") != "success":
            failures.append(f"{where}: {expr}\n    {answer.get('error')}")
    assert count >= 5
    assert not failures, "\n".join(failures)


def test_dashboard_files_are_formatted_json() -> None:
    for path in DASHBOARDS.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n", path


def _panel(dashboard: dict[str, Any], title: str) -> dict[str, Any]:
    (found,) = [p for p in panels(dashboard) if p["title"] == title]
    return found


def _linked_alerts(panel: dict[str, Any]) -> set[str]:
    base = "http://127.0.0.1:9108/runbooks/#"
    links = panel.get("links", [])
    assert all(link["url"].startswith(base) for link in links), panel["title"]
    return {link["url"].removeprefix(base) for link in links}


def test_check_panels_link_the_runbooks_of_their_alerts() -> None:
    """A panel that shows a check (its breach count or limit) links the runbook of every alert on
    that check; every link lands on a runbook section."""
    rules = [rule for rule in load_rules() if "alert" in rule]
    anchors = runbook_anchors()
    shown = 0
    for name in NAMES:
        for panel in panels(load(name)):
            linked = _linked_alerts(panel)
            assert linked <= anchors, f"{panel['title']}: no runbook section {linked - anchors}"
            checks = set().union(*(checks_selected(t["expr"]) for t in panel.get("targets", [])))
            if not checks:
                continue
            shown += 1
            wanted = {r["alert"].lower() for r in rules if checks_selected(r["expr"]) & checks}
            assert wanted <= linked, f"{panel['title']}: no runbook link for {wanted - linked}"
    assert shown >= 6


def test_overview_shows_the_new_checks_gaps_and_verdict() -> None:
    dashboard = load("overview")
    precision = _panel(dashboard, "Precision")
    exprs = [t["expr"] for t in precision["targets"]]
    assert any('check="precision_decline"' in e and "check_limit" in e for e in exprs), exprs
    assert "tailwatchprecisiondecline" in _linked_alerts(precision)
    lost = _panel(dashboard, "Categories lost")
    assert any(
        t["expr"].startswith("tailwatch_generator_categories_lost{") for t in lost["targets"]
    )
    assert "tailwatchcategorylost" in _linked_alerts(lost)
    rare = _panel(dashboard, "Rare-category mass")
    assert {
        "tailwatch_generator_rare_category_mass",
        "tailwatch_generator_healthy_rare_category_mass",
    } == {t["expr"].split("{")[0] for t in rare["targets"]}
    assert "tailwatchrarecategoryshift" in _linked_alerts(rare)
    gaps = _panel(dashboard, "Fidelity gaps over time")
    assert gaps["type"] == "state-timeline"
    (target,) = gaps["targets"]
    assert checks_selected(target["expr"]) == set(GAPS), "the gap panel shows every gap, only gaps"
    assert _linked_alerts(gaps) == {"tailwatchfidelitygap"}
    change = _panel(dashboard, "Change checks: breaching versions in a row")
    (target,) = change["targets"]
    assert not checks_selected(target["expr"]) & set(GAPS), "gaps shown among the paging checks"
    verdict = _panel(dashboard, "Verdict")
    assert verdict["type"] == "stat"
    (target,) = verdict["targets"]
    mappings = verdict["fieldConfig"]["defaults"]["mappings"]
    texts = {
        text["text"]: value for mapping in mappings for value, text in mapping["options"].items()
    }
    # every exported verdict is named (and none forgotten when the state set grows)
    assert {v.replace("_", " ") for v in VERDICTS} | {"no data"} == set(texts)
    for verdict_value in VERDICTS:
        assert f'verdict="{verdict_value}"' in target["expr"]


def test_verdict_panel_maps_each_state_to_its_name(prometheus_url: str) -> None:
    """The verdict query gives each state of the exported state set the number its value mapping
    names (run by Prometheus, the state set written as literal vectors)."""
    verdict = _panel(load("overview"), "Verdict")
    (target,) = verdict["targets"]
    texts = {
        float(value): text["text"]
        for mapping in verdict["fieldConfig"]["defaults"]["mappings"]
        for value, text in mapping["options"].items()
    }
    selector = re.compile(r'tailwatch_generator_verdict\{generator=~"\.\+", verdict="(\w+)"\}')
    expr = substitute(target["expr"])
    assert set(selector.findall(expr)) == set(VERDICTS)
    for current in (*VERDICTS, None):  # None: every state 0, no verdict yet

        def literal(match: re.Match[str], current: str | None = current) -> str:
            state = match.group(1)
            one = f'label_replace(vector({int(state == current)}), "verdict", "{state}", "", "")'
            return f'label_replace({one}, "generator", "gan", "", "")'

        answer = instant_query(prometheus_url, selector.sub(literal, expr))
        assert answer["status"] == "success", answer
        (sample,) = answer["data"]["result"]
        assert sample["metric"] == {"generator": "gan"}
        shown = texts[float(sample["value"][1])]
        assert shown == ("no data" if current is None else current.replace("_", " ")), current
