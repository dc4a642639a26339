"""Stored history reshaped for checks: one :class:`VersionFigures` per measured version."""

from __future__ import annotations

import pandas as pd

from monitor.checks import VersionFigures

__all__ = ["version_figures"]


def version_figures(history: pd.DataFrame) -> tuple[list[VersionFigures], dict[str, float]]:
    """Versions (oldest first, latest run of each) and the latest healthy levels.

    ``history`` is :meth:`monitor.store.Store.history` of one generator.
    """
    if history.empty:
        return [], {}
    runs = history.drop_duplicates("run_id", keep="last")
    # The latest ok run of each version (a rewritten version is measured again).
    runs = runs.sort_values(["version_index", "finished_at", "run_id"]).drop_duplicates(
        "version", keep="last"
    )
    versions: list[VersionFigures] = []
    healthy: dict[str, float] = {}
    by_run = {run_id: group for run_id, group in history.groupby("run_id", sort=False)}
    for row in runs.itertuples():
        group = by_run[row.run_id]
        reference = group[group["scope"] == "reference"]
        versions.append(
            VersionFigures(
                version=str(row.version),
                figures=dict(zip(reference["metric"], reference["value"], strict=True)),
                reference_rows=int(row.reference_rows),
                sample_rows=int(row.sample_rows),
            )
        )
        levels = group[group["scope"] == "healthy"]
        if len(levels):
            healthy = dict(zip(levels["metric"], levels["value"], strict=True))
    return versions, healthy
