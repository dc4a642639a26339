"""Tailwatch as a user runs it: Parquet versions in a folder, a DuckDB store, a watch per generator.

Everything that reads Tailwatch's verdicts is in :func:`tailwatch_verdicts`: when the checks API
changes (issue 11: change checks versus fidelity gaps, a verdict function), only that function
needs adapting. It already takes the new API where it exists (``monitor.checks.generator_verdict``
and ``CHECK_KINDS``) and falls back to today's report logic otherwise.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from benchmarks.detection.data import Dataset
from monitor.settings import GeneratorSettings
from monitor.store import Store
from monitor.watch import GeneratorWatch

__all__ = ["KEY_FIGURES", "open_watch", "tailwatch_verdicts"]

KEY_FIGURES = (
    "precision",
    "recall",
    "coverage",
    "density",
    "tail_frequency_ratio",
    "missing_categories",
)
K = 5
REGIONS = 20


def open_watch(
    store: Store, name: str, data: Dataset, reference: Path, versions: Path
) -> GeneratorWatch:
    """A generator watch as a ``[[generators]]`` entry would configure it (defaults elsewhere).

    ``reference`` holds ``reference.parquet`` (the generator's real training split) and
    ``holdout.parquet`` (a real holdout); versions are ``versions/*.parquet``, one file each.
    """
    settings = GeneratorSettings(
        name=name,
        reference=str(reference / "reference.parquet"),
        holdout=str(reference / "holdout.parquet"),
        versions=str(versions / "*.parquet"),
        columns=data.columns,
        categorical=data.all_categorical,
        sample_size=len(data.train),
        k=K,
        regions=REGIONS,
    )
    return GeneratorWatch(settings, store)


def _finite(value: Any) -> float | None:
    return float(value) if value is not None and math.isfinite(float(value)) else None


def tailwatch_verdicts(store: Store, settings: GeneratorSettings) -> list[dict[str, Any]]:
    """Per version, as the report would have shown it right after that version was measured.

    Each entry: ``version``, ``figures`` (:data:`KEY_FIGURES`), ``streaks`` (check -> versions in
    a row breached up to this one), ``breached`` (checks this version breaches), ``change`` (the
    checks that page: change checks and memorization), ``level`` (the verdict) and ``alarm``
    (a collapse verdict or a paging check held for two versions or more).
    """
    from monitor import checks
    from monitor.store import version_figures

    thresholds = settings.checks.thresholds()
    history, healthy = version_figures(store.history("generator", settings.name))
    kinds: dict[str, str] | None = getattr(checks, "CHECK_KINDS", None)
    persistence = int(getattr(thresholds, "persistence", 2))
    out = []
    for i, version in enumerate(history):
        results = checks.evaluate_checks(history[: i + 1], healthy, thresholds)
        streaks = {r.check: r.streak for r in results}
        privacy: list[str] = []
        if kinds is not None and hasattr(checks, "generator_verdict"):
            # The ground truth speaks of collapse only: privacy findings (memorization, a
            # membership attack) are counted apart, never as collapse alarms.
            change = sorted(c for c, kind in kinds.items() if kind == "collapse")
            privacy = sorted(c for c, kind in kinds.items() if kind == "privacy")
            level = checks.generator_verdict(results, thresholds).level
        else:
            # Before issue 11: every check pages; monitor.report.data._generator_verdict's levels.
            change = sorted(streaks)
            declining = any(
                checks.declining_versions(history[: i + 1], metric) >= 2
                for metric in checks.DECLINE_METRICS
            )
            top = max(streaks.values(), default=0)
            level = (
                "collapse suspected"
                if top >= persistence
                else "watch"
                if top >= 1 or declining
                else "healthy"
            )
        change_streak = max((streaks.get(c, 0) for c in change), default=0)
        out.append(
            {
                "version": version.version,
                "figures": {k: _finite(version.figures.get(k)) for k in KEY_FIGURES},
                "streaks": {c: s for c, s in streaks.items() if s},
                "breached": sorted(r.check for r in results if r.breached and r.breached[-1]),
                "change": change,
                "level": level,
                "alarm": change_streak >= persistence
                if privacy
                else level == "collapse suspected" or change_streak >= persistence,
                "privacy_alarm": max((streaks.get(c, 0) for c in privacy), default=0)
                >= persistence,
            }
        )
    return out
