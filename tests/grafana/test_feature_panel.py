"""The overview's per-feature panels: present, on the bounded per-feature gauges, per generator."""

from __future__ import annotations

from monitor.exporter.series import BY_NAME
from tests.support.dashboards import load, panels


def test_overview_has_the_per_feature_drift_panel() -> None:
    by_title = {panel["title"]: panel for panel in panels(load("overview"))}
    drift = by_title["Drift by feature (latest version)"]
    tails = by_title["Tail frequency by feature (latest version)"]
    for panel, series in (
        (drift, "tailwatch_generator_feature_drift"),
        (tails, "tailwatch_generator_feature_tail_frequency_ratio"),
    ):
        assert series in BY_NAME
        assert panel["type"] == "bargauge"
        (target,) = panel["targets"]
        assert f'{series}{{generator=~"$generator"}}' in target["expr"]
        assert target["instant"], "the latest values, not a time range"
        assert "{{feature}}" in target["legendFormat"]
    assert drift["targets"][0]["expr"].startswith("sort_desc("), "worst first"
    assert drift["fieldConfig"]["defaults"]["max"] == 1
