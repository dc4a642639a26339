"""The report's small multiples for notebook results, as a matplotlib Figure.

A :class:`monitor.report.model.GeneratorSection` is built from versions measured in memory (no
store) and drawn by :func:`monitor.report.plots.metrics_figure`, the function behind the report's
metrics plot: each figure across versions, the healthy real-vs-real level and its noise band
behind, the watching check's limit dashed and breaching versions in red.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import get_args

from matplotlib.figure import Figure

from collectors.metrics import BY_NAME
from monitor.checks import (
    CHECKS,
    DECLINE_METRICS,
    GAPS,
    CheckResult,
    CheckThresholds,
    HealthyLevels,
    VersionFigures,
)
from monitor.report.data import WATCHED_BY  # the check whose limit each panel draws
from monitor.report.model import CheckRow, GeneratorSection, Level, MetricSeries, Verdict
from monitor.report.plots import PANEL_METRICS, metrics_figure

__all__ = ["plot_versions"]

EXTRA_SERIES = ("tail_frequency_ratio_min", "tail_frequency_ratio_max", "dcr_close_share")


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _band(
    metric: str, healthy: HealthyLevels, latest: VersionFigures, sigmas: float
) -> tuple[float, float] | None:
    """The healthy level +- ``sigmas`` times its noise (the draws' spread or binomial), shares
    only, as the report draws it."""
    level = _finite(healthy.get(metric))
    if level is None or metric not in DECLINE_METRICS:
        return None
    rows = latest.reference_rows if DECLINE_METRICS[metric] == "reference" else latest.sample_rows
    if rows <= 0:
        return None
    p = min(max(level, 0.0), 1.0)
    width = sigmas * max(math.sqrt(p * (1.0 - p) / rows), healthy.spread.get(metric, 0.0) or 0.0)
    return (max(0.0, level - width), min(1.0, level + width))


def _level(level: str) -> Level:
    """``level`` as a report level (a verdict's level, given as text by the facade)."""
    for known in get_args(Level):
        if level == known:
            return known
    raise ValueError(f"unknown level {level!r}")


def section_of(
    title: str,
    history: Sequence[VersionFigures],
    checks: Sequence[Sequence[CheckResult] | None],
    healthy: HealthyLevels,
    level: str,
    thresholds: CheckThresholds,
) -> GeneratorSection:
    """A report section of ``history`` (oldest first); ``checks[i]``: the checks as judged at
    version ``i`` (None where not known: its value and limit are left out)."""
    by_version = [{r.check: r for r in judged} if judged else {} for judged in checks]
    final = by_version[-1]
    rows = tuple(
        CheckRow(
            check=check,
            description={**CHECKS, **GAPS}.get(check, ""),
            breached=result.breached,
            values=tuple(_finite(v[check].value) if check in v else None for v in by_version),
            limits=tuple(_finite(v[check].limit) if check in v else None for v in by_version),
            streak=result.streak,
            kind=result.kind,
            detail=result.detail,
        )
        for check, result in final.items()
    )
    limits = {row.check: row.limits for row in rows}
    shown = [m for m, *_ in PANEL_METRICS] + list(EXTRA_SERIES)
    metrics = {}
    for metric in shown:
        values = tuple(_finite(v.figures.get(metric)) for v in history)
        if all(value is None for value in values):
            continue
        spec = BY_NAME.get(metric)
        check = WATCHED_BY.get(metric)
        metrics[metric] = MetricSeries(
            metric=metric,
            description=spec.description if spec else "",
            goal=spec.goal if spec else "",
            values=values,
            healthy=_finite(healthy.get(metric)),
            band=_band(metric, healthy, history[-1], thresholds.noise_sigmas),
            check=check,
            limits=limits.get(check, ()) if check else (),
        )
    return GeneratorSection(
        name=title,
        versions=tuple(v.version for v in history),
        finished_at=tuple("" for _ in history),
        reference_rows=tuple(v.reference_rows for v in history),
        sample_rows=tuple(v.sample_rows for v in history),
        metrics=metrics,
        regions=None,
        features=(),
        top_drifting=(),
        histograms_version=None,
        histograms=(),
        checks=rows,
        alerts=(),
        verdict=Verdict(_level(level), ()),
        failed_runs=0,
        last_error=None,
        notes=(),
    )


def plot_versions(
    title: str,
    history: Sequence[VersionFigures],
    checks: Sequence[Sequence[CheckResult] | None],
    healthy: HealthyLevels,
    level: str,
    thresholds: CheckThresholds,
) -> Figure:
    """The report's metrics small multiples of ``history`` as a Figure, titled with the level."""
    section = section_of(title, history, checks, healthy, level, thresholds)
    fig = metrics_figure(section)
    if fig is None:
        raise ValueError(f"{title}: none of the plotted figures was measured")
    fig.supxlabel(f"{title}: {level}", x=0.01, ha="left", fontweight="bold")
    return fig
