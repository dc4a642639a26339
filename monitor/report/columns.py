"""The report's per-column drift table: every measured column of the latest version.

Built from the per-feature figures the store keeps (scopes ``feature:<column>``): the KS statistic
(numeric columns) or total variation (categorical), the shares beyond the reference's 1 % / 99 %
quantiles beside the reference's own share, categories lost, and the drift's change since the
checks' baseline (:func:`monitor.checks.baseline_of`, the version the change checks compare with).

A column is flagged when

- its drift statistic exceeds ``DRIFT_LIMIT`` (0.1: a tenth of the probability mass moved) and,
  for KS, the two-sample critical value at 1 % (Bonferroni over the numeric columns) for the
  version's and the reference's row counts, so that a small sample's noise is not a flag;
- a tail share is beyond the tail checks' factors (``tail_low`` / ``tail_high`` of the reference
  share) with at least ``MIN_EXPECTED_COUNT`` rows expected beyond the threshold and a
  two-proportion z beyond ``noise_sigmas``;
- it lost real categories (``categories_lost`` > 0);
- its missing share moved from the reference's by ``missing_change`` beyond counting noise
  (``missing 9.0% (reference) -> 41.0%``).

Where any column has missing cells (in the latest version or the reference), the pages add a
"missing share" column: the version's share beside the reference's, for every column.

Flags describe, they never change the verdict: the checks (:mod:`monitor.checks`) decide that.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import SupportsFloat

from monitor.checks import (
    MIN_EXPECTED_COUNT,
    CheckThresholds,
    VersionFigures,
    baseline_members,
    baseline_of,
    two_proportion_z,
)
from monitor.report.model import ColumnDrift, ColumnTable

__all__ = ["DRIFT_LIMIT", "KS_ALPHA", "SHOWN_COLUMNS", "column_table", "ks_critical"]

DRIFT_LIMIT = 0.1
KS_ALPHA = 0.01
SHOWN_COLUMNS = 20  # rows in the HTML and Markdown tables; report.json holds every column


def ks_critical(reference_rows: int, sample_rows: int, tests: int = 1) -> float | None:
    """The two-sample KS statistic beyond which two samples differ at ``KS_ALPHA / tests``.

    The asymptotic critical value c(a) sqrt((n + m) / (n m)), c(a) = sqrt(-ln(a / 2) / 2)
    (the Kolmogorov distribution's tail, 2 exp(-2 c^2)); None without rows.
    """
    n, m = reference_rows, sample_rows
    if n <= 0 or m <= 0:
        return None
    alpha = KS_ALPHA / max(1, tests)
    return math.sqrt(-math.log(alpha / 2) / 2) * math.sqrt((n + m) / (n * m))


def _finite(value: SupportsFloat | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _tail_flag(
    side: str, share: float | None, expected: float | None, v: VersionFigures, t: CheckThresholds
) -> str | None:
    """A flag when the side's share is beyond the tail factors and beyond counting noise."""
    m, n = v.sample_rows, v.reference_rows
    if share is None or expected is None or expected <= 0 or m <= 0 or n <= 0:
        return None
    if expected * m < MIN_EXPECTED_COUNT:
        return None
    ratio = share / expected
    if t.tail_low <= ratio <= t.tail_high:
        return None
    if abs(two_proportion_z(share, m, expected, n)) <= t.noise_sigmas:
        return None
    return f"{side} tail x{ratio:.2f}"


def _missing_flag(values: Mapping[str, float], v: VersionFigures, t: CheckThresholds) -> str | None:
    """A flag when the column's missing share moved from the reference's by ``missing_change``
    and beyond counting noise (monitor.checks.rules_missing judges it against the baseline)."""
    share, expected = _finite(values.get("missing_share")), _finite(values.get("missing_expected"))
    if share is None or expected is None or v.sample_rows <= 0 or v.reference_rows <= 0:
        return None
    if abs(share - expected) < t.missing_change:
        return None
    if abs(two_proportion_z(share, v.sample_rows, expected, v.reference_rows)) <= t.noise_sigmas:
        return None
    return f"missing {expected:.1%} (reference) -> {share:.1%}"


def _row(
    column: str,
    values: Mapping[str, float],
    before: Mapping[str, float],
    v: VersionFigures,
    critical: float | None,
    t: CheckThresholds,
) -> ColumnDrift:
    numeric = "ks_statistic" in values
    statistic = "ks_statistic" if numeric else "total_variation"
    drift, anchor = _finite(values.get(statistic)), _finite(before.get(statistic))
    flags = []
    if drift is not None:
        limit = max(DRIFT_LIMIT, critical or 0.0) if numeric else DRIFT_LIMIT
        if drift > limit:
            flags.append(f"{'KS' if numeric else 'TV'} {drift:.3f} > {limit:.3f}")
    shares = {
        side: (
            _finite(values.get(f"tail_share_{side}")),
            _finite(values.get(f"tail_expected_{side}")),
        )
        for side in ("lower", "upper")
    }
    for side, (share, expected) in shares.items():
        flag = _tail_flag(side, share, expected, v, t)
        if flag:
            flags.append(flag)
    lost = _finite(values.get("categories_lost"))
    if lost:
        flags.append(f"{int(lost)} categories lost")
    flag = _missing_flag(values, v, t)
    if flag:
        flags.append(flag)
    return ColumnDrift(
        column=column,
        kind="numeric" if numeric else "categorical",
        statistic=statistic,
        drift=drift,
        baseline=anchor,
        change=None if drift is None or anchor is None else drift - anchor,
        ks_statistic=_finite(values.get("ks_statistic")),
        total_variation=_finite(values.get("total_variation")),
        tail_share_lower=shares["lower"][0],
        tail_reference_lower=shares["lower"][1],
        tail_share_upper=shares["upper"][0],
        tail_reference_upper=shares["upper"][1],
        categories_lost=None if lost is None else int(lost),
        flags=tuple(flags),
        missing_share=_finite(values.get("missing_share")),
        missing_reference=_finite(values.get("missing_expected")),
    )


def _baseline_name(history: Sequence[VersionFigures], window: int) -> str:
    members = baseline_members(history, len(history) - 1, window)
    if len(members) == 1:
        return members[0].version
    return f"median of {members[0].version} to {members[-1].version}"


def column_table(
    history: Sequence[VersionFigures], t: CheckThresholds, shown: int = SHOWN_COLUMNS
) -> ColumnTable | None:
    """The latest version's columns (``history`` oldest first), or None without per-feature
    figures."""
    if not history or not history[-1].per_feature:
        return None
    latest = history[-1]
    baseline = baseline_of(history, len(history) - 1, t.baseline_versions)
    numeric = sum(1 for values in latest.per_feature.values() if "ks_statistic" in values)
    critical = ks_critical(latest.reference_rows, latest.sample_rows, numeric) if numeric else None
    rows = [
        _row(column, values, baseline.per_feature.get(column, {}), latest, critical, t)
        for column, values in latest.per_feature.items()
    ]
    rows.sort(key=lambda r: (not r.flags, -(r.drift if r.drift is not None else -1.0), r.column))
    return ColumnTable(
        version=latest.version,
        baseline=_baseline_name(history, t.baseline_versions),
        drift_limit=DRIFT_LIMIT,
        ks_critical=critical,
        rows=tuple(rows),
        shown=shown,
    )
