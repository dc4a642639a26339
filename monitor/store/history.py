"""Stored history reshaped for checks: one :class:`VersionFigures` per measured version."""

from __future__ import annotations

import pandas as pd

from monitor.checks import HealthyLevels, VersionFigures

__all__ = ["version_figures"]

FEATURE_SCOPE = "feature:"


def version_figures(history: pd.DataFrame) -> tuple[list[VersionFigures], HealthyLevels]:
    """Versions (oldest first, latest run of each) and the latest healthy levels with spread.

    ``history`` is :meth:`monitor.store.database.Store.history` of one generator. Each version
    carries its
    per-feature figures and the healthy spread stored with its run (the noise its checks use).
    """
    if history.empty:
        return [], HealthyLevels()
    runs = history.drop_duplicates("run_id", keep="last")
    # The latest ok run of each version (a rewritten version is measured again).
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
