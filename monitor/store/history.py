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
    # One pass over the rows (was a groupby per run and per scope: the daemon reshapes the whole
    # history after every version, so its cost grew with it): each kept run's figures by scope,
    # the scopes in the order they first appear in its rows and each scope's figures in row
    # order, as the groupbys gave them.
    by_run: dict[int, dict[str, dict[str, float]]] = {int(r): {} for r in runs["run_id"]}
    columns = ("run_id", "scope", "metric", "value")
    for run_id, scope, metric, value in zip(*(history[c].tolist() for c in columns), strict=True):
        scopes_of_run = by_run.get(run_id)
        if scopes_of_run is not None:
            scopes_of_run.setdefault(scope, {})[metric] = value
    for row in runs.itertuples():
        scopes = by_run[int(row.run_id)]
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
