"""Builders shared by the tests (moved from tests/grafana/test_dashboards.py); no test module
imports another."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import yaml

from tests.rules.tools import DASHBOARDS, REPO

PROVISIONING = REPO / "grafana" / "provisioning"


NAMES = ("overview", "corpora", "daemon")


VARIABLE_VALUES = {
    "$generator": ".+",
    "$corpus": ".+",
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "1h",
}


def pinned_uid() -> str:
    document = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())
    (datasource,) = document["datasources"]
    assert datasource["type"] == "prometheus"
    return datasource["uid"]


def load(name: str) -> dict[str, Any]:
    return json.loads((DASHBOARDS / f"{name}.json").read_text(encoding="utf-8"))


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, PromQL) of every panel target, annotation and query variable."""
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            yield f"panel {panel['title']!r} {target['refId']}", target["expr"]
    for annotation in dashboard["annotations"]["list"]:
        if "expr" in annotation:
            yield f"annotation {annotation['name']!r}", annotation["expr"]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", variable["definition"])
            assert match, f"variable {variable['name']}: {variable['definition']}"
            yield f"variable {variable['name']!r}", match.group(1)


def substitute(expr: str) -> str:
    for variable, value in VARIABLE_VALUES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"unknown variable in {expr}"
    return expr
