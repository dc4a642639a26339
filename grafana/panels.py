"""Panel, variable and dashboard builders for Grafana's current JSON model (schema 39).

Used by grafana/build_dashboards.py. Every panel and target queries the datasource chosen by the
``datasource`` variable, whose default is the provisioned datasource (uid ``tailwatch-prometheus``,
grafana/provisioning/datasources/prometheus.yml).
"""

from __future__ import annotations

from typing import Any

DATASOURCE_UID = "tailwatch-prometheus"
DATASOURCE_NAME = "Tailwatch Prometheus"
SCHEMA_VERSION = 39

DS = {"type": "prometheus", "uid": "${datasource}"}
RUNBOOK_BASE = "http://127.0.0.1:9108/runbooks/"
GEN = 'generator=~"$generator"'
CORPUS = 'corpus=~"$corpus"'

Json = dict[str, Any]


class Layout:
    """Places panels left to right, top to bottom on Grafana's 24-column grid."""

    def __init__(self) -> None:
        self.panels: list[Json] = []
        self.x = 0
        self.y = 0
        self.row_height = 0

    def _next_id(self) -> int:
        return len(self.panels) + 1

    def row(self, title: str) -> None:
        if self.x:
            self.y += self.row_height
        self.panels.append(
            {
                "id": self._next_id(),
                "type": "row",
                "title": title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
                "panels": [],
            }
        )
        self.x, self.y, self.row_height = 0, self.y + 1, 0

    def add(self, panel: Json, w: int, h: int) -> None:
        if self.x + w > 24:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        panel = {
            "id": self._next_id(),
            **panel,
            "gridPos": {"h": h, "w": w, "x": self.x, "y": self.y},
        }
        self.panels.append(panel)
        self.x += w
        self.row_height = max(self.row_height, h)


def target(expr: str, legend: str = "", *, ref: str = "A", instant: bool = False) -> Json:
    return {
        "refId": ref,
        "datasource": DS,
        "editorMode": "code",
        "expr": expr,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "instant": instant,
        **({"format": "table"} if instant else {}),
    }


def targets(*pairs: tuple[str, str], instant: bool = False) -> list[Json]:
    return [
        target(expr, legend, ref=chr(ord("A") + i), instant=instant)
        for i, (expr, legend) in enumerate(pairs)
    ]


def style_override(pattern: str, *, dash: list[int], color: str | None = None) -> Json:
    """Draw series whose name matches ``pattern`` dashed (healthy levels, limits)."""
    properties: list[Json] = [
        {"id": "custom.lineStyle", "value": {"fill": "dash", "dash": dash}},
        {"id": "custom.lineWidth", "value": 1},
    ]
    if color:
        properties.append({"id": "color", "value": {"mode": "fixed", "fixedColor": color}})
    return {"matcher": {"id": "byRegexp", "options": pattern}, "properties": properties}


HEALTHY_AND_LIMIT = [
    style_override(".*healthy.*", dash=[10, 10]),
    style_override(".*limit.*", dash=[4, 4], color="red"),
    style_override(".*budget.*", dash=[4, 4], color="red"),
]


def timeseries(
    title: str,
    description: str,
    series: list[tuple[str, str]],
    *,
    unit: str = "none",
    lower: float | None = None,
    upper: float | None = None,
    stack: str | None = None,
    fill: int = 0,
) -> Json:
    defaults: Json = {
        "unit": unit,
        "color": {"mode": "palette-classic"},
        "custom": {
            "drawStyle": "line",
            "lineInterpolation": "stepAfter",
            "lineWidth": 2,
            "fillOpacity": fill,
            "showPoints": "never",
            "spanNulls": False,
            "axisPlacement": "auto",
            "stacking": {"mode": stack or "none", "group": "A"},
        },
    }
    if lower is not None:
        defaults["min"] = lower
    if upper is not None:
        defaults["max"] = upper
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DS,
        "targets": targets(*series),
        "fieldConfig": {"defaults": defaults, "overrides": [] if stack else HEALTHY_AND_LIMIT},
        "options": {
            "legend": {"displayMode": "table", "placement": "bottom", "showLegend": True,
                       "calcs": ["lastNotNull"]},
            "tooltip": {"mode": "multi", "sort": "none"},
        },
    }  # fmt: skip


def stat(
    title: str,
    description: str,
    expr: str,
    legend: str = "",
    *,
    unit: str = "none",
    steps: list[tuple[float | None, str]] | None = None,
    text_mode: str = "value_and_name",
) -> Json:
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": DS,
        "targets": [target(expr, legend)],
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "color": {"mode": "thresholds"},
                "thresholds": {
                    "mode": "absolute",
                    "steps": [{"value": v, "color": c} for v, c in (steps or [(None, "blue")])],
                },
            },
            "overrides": [],
        },
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "textMode": text_mode,
            "colorMode": "background" if steps else "none",
            "graphMode": "none",
            "justifyMode": "auto",
            "orientation": "auto",
        },
    }


def bargauge(
    title: str,
    description: str,
    expr: str,
    legend: str,
    *,
    unit: str = "none",
    lower: float = 0,
    upper: float | None = None,
    steps: list[tuple[float | None, str]],
) -> Json:
    defaults: Json = {
        "unit": unit,
        "min": lower,
        "color": {"mode": "thresholds"},
        "thresholds": {"mode": "absolute", "steps": [{"value": v, "color": c} for v, c in steps]},
    }
    if upper is not None:
        defaults["max"] = upper
    return {
        "type": "bargauge",
        "title": title,
        "description": description,
        "datasource": DS,
        "targets": [target(expr, legend, instant=True) | {"format": "time_series"}],
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "orientation": "horizontal",
            "displayMode": "gradient",
            "showUnfilled": True,
            "valueMode": "color",
            "namePlacement": "auto",
            "sizing": "auto",
        },
    }


def table(title: str, description: str, expr: str, hidden: list[str]) -> Json:
    return {
        "type": "table",
        "title": title,
        "description": description,
        "datasource": DS,
        "targets": [target(expr, instant=True)],
        "fieldConfig": {"defaults": {"custom": {"align": "auto"}}, "overrides": []},
        "options": {"showHeader": True, "cellHeight": "sm", "footer": {"show": False}},
        "transformations": [
            {
                "id": "organize",
                "options": {"excludeByName": {name: True for name in hidden}},
            }
        ],
    }


def runbook_links(*alerts: str) -> list[Json]:
    """Panel links to the runbook section of each alert (the anchor is its name in lower case)."""
    return [
        {"title": f"Runbook: {alert}", "url": f"{RUNBOOK_BASE}#{alert.lower()}",
         "targetBlank": True}
        for alert in alerts
    ]  # fmt: skip


def with_links(panel: Json, alerts: tuple[str, ...] | list[str]) -> Json:
    """``panel`` with links to the runbooks of ``alerts`` (none: unchanged)."""
    return {**panel, "links": runbook_links(*alerts)} if alerts else panel


def value_mappings(states: list[tuple[float, str, str]]) -> list[Json]:
    """Grafana value mappings: (value, text, colour) per state."""
    return [
        {"type": "value",
         "options": {str(int(v) if float(v).is_integer() else v):
                     {"text": text, "color": colour, "index": i}}}
        for i, (v, text, colour) in enumerate(states)
    ]  # fmt: skip


def state_stat(
    title: str, description: str, expr: str, legend: str, states: list[tuple[float, str, str]]
) -> Json:
    """A stat panel that names a state: the query's number mapped to a text and a colour."""
    panel = stat(title, description, expr, legend, steps=[(None, states[0][2])])
    panel["fieldConfig"]["defaults"]["mappings"] = value_mappings(states)
    panel["options"]["colorMode"] = "background"
    panel["options"]["textMode"] = "value_and_name"
    return panel


def state_timeline(
    title: str, description: str, expr: str, legend: str, steps: list[tuple[float | None, str]]
) -> Json:
    """A state timeline: one row per series, coloured by threshold over time."""
    return {
        "type": "state-timeline",
        "title": title,
        "description": description,
        "datasource": DS,
        "targets": [target(expr, legend)],
        "fieldConfig": {
            "defaults": {
                "color": {"mode": "thresholds"},
                "thresholds": {"mode": "absolute",
                               "steps": [{"value": v, "color": c} for v, c in steps]},
                "custom": {"fillOpacity": 80, "lineWidth": 0},
            },
            "overrides": [],
        },
        "options": {
            "showValue": "auto",
            "mergeValues": True,
            "alignValue": "left",
            "rowHeight": 0.9,
            "legend": {"showLegend": False, "displayMode": "list", "placement": "bottom"},
            "tooltip": {"mode": "single", "sort": "none"},
        },
    }  # fmt: skip


def datasource_variable() -> Json:
    return {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        "current": {"selected": False, "text": DATASOURCE_NAME, "value": DATASOURCE_UID},
        "hide": 0,
        "includeAll": False,
        "multi": False,
        "options": [],
        "refresh": 1,
        "regex": "",
        "skipUrlSync": False,
    }


def label_variable(name: str, label: str, metric: str) -> Json:
    definition = f"label_values({metric}, {name})"
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DS,
        "definition": definition,
        "query": {"qryType": 1, "query": definition, "refId": "PrometheusVariableQueryEditor"},
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "hide": 0,
        "includeAll": True,
        "allValue": ".+",
        "multi": True,
        "options": [],
        "refresh": 2,
        "regex": "",
        "skipUrlSync": False,
        "sort": 1,
    }


def alert_annotation(selector: str) -> Json:
    return {
        "name": "Tailwatch alerts",
        "datasource": DS,
        "enable": True,
        "iconColor": "red",
        "expr": f'ALERTS{{alertstate="firing", {selector}}}',
        "step": "60s",
        "titleFormat": "{{alertname}}",
        "textFormat": "{{severity}}",
        "tagKeys": "severity",
        "useValueForTime": False,
    }


def dashboard(
    uid: str, title: str, description: str, variables: list[Json], layout: Layout,
    annotations: list[Json],
) -> Json:  # fmt: skip
    builtin = {
        "builtIn": 1,
        "datasource": {"type": "grafana", "uid": "-- Grafana --"},
        "enable": True,
        "hide": True,
        "iconColor": "rgba(0, 211, 255, 1)",
        "name": "Annotations & Alerts",
        "type": "dashboard",
    }
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["tailwatch"],
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "liveNow": False,
        "refresh": "1m",
        "schemaVersion": SCHEMA_VERSION,
        "time": {"from": "now-7d", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "version": 1,
        "weekStart": "",
        "links": [
            {
                "title": "Tailwatch",
                "type": "dashboards",
                "tags": ["tailwatch"],
                "asDropdown": False,
                "includeVars": True,
                "keepTime": True,
                "icon": "external link",
                "targetBlank": False,
                "tooltip": "",
                "url": "",
            }
        ],
        "annotations": {"list": [builtin, *annotations]},
        "templating": {"list": variables},
        "panels": layout.panels,
    }
