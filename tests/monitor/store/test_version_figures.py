"""version_figures in one pass over the rows (issue 26: the daemon reshapes the whole history
after every version, and the groupby per run and per scope grew with it): the same versions,
figures, per-feature figures, spreads and healthy levels as the previous groupby code, dicts in
the same order, on a real store's history with re-measured and failed versions, feature scopes,
healthy levels and another subject. Values from scikit-learn's diabetes data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.datasets import load_diabetes

from collectors.result import MetricValue
from monitor.checks import HealthyLevels, VersionFigures
from monitor.store.database import Store
from monitor.store.history import FEATURE_SCOPE, version_figures
from tests.support.store_runs import run

SCOPES = ("reference", "healthy", "healthy_spread", "healthy_meta", "baseline", "previous")


def previous_version_figures(history: pd.DataFrame) -> tuple[list[VersionFigures], HealthyLevels]:
    """The implementation before this change (groupby per run, then per scope)."""
    if history.empty:
        return [], HealthyLevels()
    runs = history.drop_duplicates("run_id", keep="last")
    runs = runs.sort_values(["version_index", "finished_at", "run_id"]).drop_duplicates(
        "version", keep="last"
    )
    versions: list[VersionFigures] = []
    healthy = HealthyLevels()
    by_run = {run_id: group for run_id, group in history.groupby("run_id", sort=False)}
    for row in runs.itertuples():
        scopes = {
            scope: dict(zip(group["metric"], group["value"], strict=True))
            for scope, group in by_run[row.run_id].groupby("scope", sort=False)
        }
        per_feature = {
            scope.removeprefix(FEATURE_SCOPE): values
            for scope, values in scopes.items()
            if scope.startswith(FEATURE_SCOPE)
        }
        versions.append(
            VersionFigures(
                version=str(row.version),
                figures=scopes.get("reference", {}),
                reference_rows=int(row.reference_rows),
                sample_rows=int(row.sample_rows),
                per_feature=per_feature,
                spread=scopes.get("healthy_spread", {}),
            )
        )
        if scopes.get("healthy"):
            healthy = HealthyLevels(
                scopes["healthy"], scopes.get("healthy_spread"), scopes.get("healthy_meta")
            )
    return versions, healthy


def ordered(value: object) -> object:
    """Every dict as its list of items, recursively (equal dicts in another order differ)."""
    if isinstance(value, HealthyLevels):  # a dict with its spread and meta
        return [ordered(dict(value)), ordered(value.spread), ordered(value.meta)]
    if isinstance(value, dict):
        return [(k, ordered(v)) for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [ordered(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return [(name, ordered(getattr(value, name))) for name in value.__dataclass_fields__]
    return (type(value), value)


def test_one_pass_equals_the_groupbys(tmp_path: Path) -> None:
    data = load_diabetes().data
    features = [f"{FEATURE_SCOPE}x{j}" for j in range(data.shape[1])]
    plan = [("v1", 1, "a", "ok"), ("v2", 2, "a", "ok"), ("v2", 2, "b", "ok"),  # re-measured
            ("v3", 3, "a", "failed"), ("v4", 4, "a", "ok"), ("v0", 0, "a", "ok")]  # fmt: skip
    with Store(tmp_path / "tw.duckdb") as store:
        assert version_figures(store.history("generator", "gan")) == ([], HealthyLevels())
        for minute, (version, index, fingerprint, status) in enumerate(plan):
            result = run(version, index, fingerprint=fingerprint, status=status, minute=minute,
                         n_metrics=0, n_regions=0)  # fmt: skip
            row = data[minute * 7]
            for s, scope in enumerate(SCOPES[: 2 + minute % len(SCOPES)]):
                result.metrics += [
                    MetricValue(name, scope, float(row[(s + i) % len(row)]) + s)
                    for i, name in enumerate(("precision", "recall", "coverage", "mmd"))
                ]
            result.metrics += [
                MetricValue(name, scope, float(row[j]) * (i + 1))
                for j, scope in enumerate(features)
                for i, name in enumerate(("ks", "tail_share"))
            ]
            store.record_run(result)
        store.record_run(run("v1", 1, subject="other", offset=5.0))
        history = store.history("generator", "gan")
        assert len(history) > 150
        got, expected = version_figures(history), previous_version_figures(history)
        assert ordered(got) == ordered(expected)
        versions, healthy = got
        assert [v.version for v in versions] == ["v0", "v1", "v2", "v4"]
        assert versions[2].figures["precision"] == expected[0][2].figures["precision"]
        assert set(versions[0].per_feature) == {f"x{j}" for j in range(data.shape[1])}
        assert healthy and healthy.spread  # the newest run that has healthy levels
