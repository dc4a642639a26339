"""Per-feature gauges over a real store, scraped over HTTP: bounded to the configured columns or
the latest version's top N by drift, whatever the number of columns."""

from __future__ import annotations

import subprocess
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from collectors.result import MetricValue, RunResult
from monitor.exporter.series import BY_NAME
from monitor.exporter.server import FeatureGauges, feature_gauges, serve
from monitor.settings import ExporterSettings, load_settings
from monitor.store.database import Store
from tests.rules.tools import ensure_tool
from tests.support.net import free_port

T0 = datetime(2026, 2, 1, tzinfo=UTC)
COLUMNS = 40
DRIFT = "tailwatch_generator_feature_drift"
TAILS = "tailwatch_generator_feature_tail_frequency_ratio"


def _run(index: int) -> RunResult:
    """40 numeric columns whose drift order turns over between the versions, one categorical."""
    metrics = [MetricValue("coverage", "reference", 0.9)]
    for f in range(COLUMNS):
        scope = f"feature:f{f:03d}"
        ks = (f if index == 0 else COLUMNS - f) / 100
        metrics += [
            MetricValue("ks_statistic", scope, ks),
            MetricValue("tail_frequency_ratio_lower", scope, 1.0 - f / 100),
            MetricValue("tail_frequency_ratio_upper", scope, 1.0 + f / 100),
        ]
    metrics += [
        MetricValue("total_variation", "feature:segment", 0.395),
        MetricValue("categories_lost", "feature:segment", 1.0),
    ]
    start = T0 + timedelta(hours=index)
    return RunResult(
        subject_kind="generator", subject="wide", version=f"v{index}", fingerprint=f"w{index}",
        version_index=index, started_at=start, finished_at=start + timedelta(seconds=5),
        status="ok", reference_rows=2000, sample_rows=2000, metrics=metrics,
    )  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "tw.duckdb") as opened:
        for index in range(2):
            opened.record_run(_run(index))
        yield opened


def _latest_figures(store: Store) -> dict[str, dict[str, float]]:
    """column -> metric -> value of the latest run, read from the stored history."""
    history = store.history("generator", "wide")
    latest = history[history["run_id"] == history["run_id"].max()]
    out: dict[str, dict[str, float]] = {}
    for row in latest[latest["scope"].str.startswith("feature:")].itertuples():
        out.setdefault(row.scope.removeprefix("feature:"), {})[row.metric] = row.value
    return out


def _scrape(store: Store, **kwargs: object) -> tuple[str, dict[str, dict[tuple, float]]]:
    port = free_port()
    server, _ = serve(ExporterSettings(port=port), store, **kwargs)  # type: ignore[arg-type]
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return text, samples


def _drift(samples: dict[str, dict[tuple, float]]) -> dict[str, tuple[str, float]]:
    out = {}
    for labels, value in samples.get(DRIFT, {}).items():
        named = dict(labels)
        assert named["generator"] == "wide"
        out[named["feature"]] = (named["statistic"], value)
    return out


def test_default_is_the_latest_versions_top_ten(store: Store) -> None:
    text, samples = _scrape(store)
    figures = _latest_figures(store)
    drift = {c: v.get("ks_statistic", v.get("total_variation")) for c, v in figures.items()}
    top = sorted(drift, key=lambda c: (-drift[c], c))[:10]
    assert len(figures) == COLUMNS + 1
    exported = _drift(samples)
    assert sorted(exported) == sorted(top), "10 series of 41 columns: the latest's worst"
    for column, (statistic, value) in exported.items():
        assert statistic == ("total_variation" if column == "segment" else "ks_statistic")
        assert value == drift[column]
    tails = samples[TAILS]
    assert len(tails) == 2 * 9  # the numeric ones of the ten, both sides
    for labels, value in tails.items():
        named = dict(labels)
        assert value == figures[named["feature"]][f"tail_frequency_ratio_{named['side']}"]
    assert DRIFT in BY_NAME and TAILS in BY_NAME
    checked = subprocess.run(
        [ensure_tool("promtool"), "check", "metrics"], input=text, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_configured_columns_and_top_n(store: Store, tmp_path: Path) -> None:
    (tmp_path / "tailwatch.toml").write_text(
        '[[generators]]\nname = "wide"\nreference = "r.parquet"\nversions = "v/*"\n'
        'monitored_columns = ["f001", "segment", "not-measured"]\n'
        '[[generators]]\nname = "other"\nreference = "r.parquet"\nversions = "v/*"\n'
        "top_drifting_columns = 3\n",
        encoding="utf-8",
    )
    chosen = feature_gauges(load_settings(tmp_path / "tailwatch.toml"))
    assert chosen("wide") == FeatureGauges(("f001", "segment", "not-measured"), 10)
    assert chosen("other") == FeatureGauges(None, 3)
    assert chosen("unknown") == FeatureGauges()
    _, samples = _scrape(store, features=chosen)
    figures = _latest_figures(store)
    assert _drift(samples) == {
        "f001": ("ks_statistic", figures["f001"]["ks_statistic"]),
        "segment": ("total_variation", figures["segment"]["total_variation"]),
    }
    _, samples = _scrape(store, features=lambda _name: FeatureGauges(None, 3))
    assert sorted(_drift(samples)) == ["f000", "f001", "segment"]  # TV 0.395 beats 0.38
    _, samples = _scrape(store, features=lambda _name: FeatureGauges(None, 0))
    assert DRIFT not in samples and TAILS not in samples
