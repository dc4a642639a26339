"""Typed reads of the store's history: what callers ask of it, instead of filtering its long table.

``Store.history`` returns every figure of every ok run in long format (one row per version, run,
scope and metric). Callers want three shapes of it, defined once here:

- :func:`latest_run`: the newest ok run's figures by scope (what the exporter serves);
- :func:`figures_by_version`: one scope's figures per version, the newest run of each (the anchors
  a new version is compared with, the CLI's table);
- :func:`latest_level`: the newest stored value of each metric in one scope (healthy levels).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["LatestRun", "figures_by_version", "latest_level", "latest_run"]


@dataclass(frozen=True)
class LatestRun:
    """The newest ok run of a subject: its identity and its figures by scope, then metric."""

    run_id: int
    version: str
    version_index: int
    scopes: dict[str, dict[str, float]]

    def figures(self, scope: str) -> dict[str, float]:
        """The run's figures in ``scope`` (empty when it has none)."""
        return self.scopes.get(scope, {})


def latest_run(history: pd.DataFrame) -> LatestRun | None:
    """The newest ok run in ``history`` (``Store.history``'s frame), or None when it is empty."""
    if history.empty:
        return None
    run_id = history["run_id"].iloc[-1]
    rows = history[history["run_id"] == run_id]
    scopes: dict[str, dict[str, float]] = {}
    for scope, metric, value in zip(rows["scope"], rows["metric"], rows["value"], strict=True):
        scopes.setdefault(str(scope), {})[str(metric)] = float(value)
    first = rows.iloc[0]
    return LatestRun(int(run_id), str(first["version"]), int(first["version_index"]), scopes)


def figures_by_version(history: pd.DataFrame, scope: str) -> dict[int, dict[str, float]]:
    """version_index -> {metric: value} in ``scope``, from the newest ok run of each version."""
    rows = history[history["scope"] == scope]
    out: dict[int, dict[str, float]] = {}
    for (index, _run), group in rows.groupby(["version_index", "run_id"], sort=True):
        out[int(index)] = dict(zip(group["metric"], group["value"].astype(float), strict=True))
    return out


def latest_level(history: pd.DataFrame, scope: str) -> dict[str, float]:
    """metric -> its newest stored value in ``scope`` (for example the healthy levels)."""
    rows = history[history["scope"] == scope].drop_duplicates("metric", keep="last")
    return dict(zip(rows["metric"], rows["value"].astype(float), strict=True))
