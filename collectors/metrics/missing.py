"""Per-column figures of real tables: missing shares, drift on observed values, calendar figures.

Pure functions (numpy in, numbers out). Missing values are data: their share per column is a
figure (SDMetrics MissingValueSimilarity compares the same shares, as 1 - |p_real - p_synthetic|),
and the per-column drift and tail figures of a column with missing cells are computed on its
observed values (each column on its own rows; the correlation on the rows complete in every
column). On complete columns every function returns exactly what the complete-data metric does.
Datetime columns (epoch seconds) also get calendar figures: total variation distance of the hour
of day, day of week and month (SDMetrics TVComplement's distance, 0.5 * sum_c |p_r(c) - p_s(c)|)
and their range (span ratio, share outside the reference's range).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from collectors.metrics.draw_columns import DrawColumns
from collectors.metrics.drift import (
    correlation_difference,
    ks_statistics,
    sorted_columns,
    total_variation,
)
from collectors.metrics.tails import TailFrequency, numeric_tail_frequency

__all__ = [
    "CALENDAR",
    "calendar_figures",
    "calendar_parts",
    "missing_figures",
    "observed_numeric",
]

CALENDAR = ("hour", "weekday", "month")
_DAY = 86_400.0


def observed_numeric(
    real: np.ndarray,
    synthetic: np.ndarray,
    names: Sequence[str],
    *,
    real_sorted: np.ndarray | None = None,
    real_correlation: np.ndarray | None = None,
    draw: DrawColumns | None = None,
) -> tuple[np.ndarray, list[TailFrequency], float | None]:
    """KS statistics, tail frequencies and correlation difference on observed (finite) values.

    ``real``/``synthetic`` hold NaN where a cell is missing. Without any NaN this is exactly
    ``ks_statistics``, ``numeric_tail_frequency`` and ``correlation_difference`` (None with
    fewer than two columns). With NaN, KS and tails are computed per column on its observed rows
    (KS NaN and no tail result for a column with no observed row on either side) and the
    correlation on the rows observed in every column (None when fewer than 3 such rows).
    One reference meeting many samples passes its side once: ``real_sorted`` (``np.sort(real,
    axis=0)``, used on complete data) and ``real_correlation`` (the correlation matrix of its
    complete rows, :func:`collectors.metrics.drift.reference_correlation`); the same figures.
    ``draw``: ``synthetic`` is rows of a holdout prepared as
    :class:`collectors.metrics.draw_columns.HoldoutColumns` (complete data): KS and tail shares
    from its sorted columns, no sort (the same figures, bit for bit).
    """
    names = [str(n) for n in names]
    pairs = len(names) > 1
    if np.isfinite(real).all() and np.isfinite(synthetic).all():
        shares: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
        if draw is not None:
            ks, shares = draw.ks(), draw.shares
        else:  # the sample's columns sorted once, for KS and the tail shares
            columns = sorted_columns(synthetic)
            ks = ks_statistics(real, synthetic, real_sorted=real_sorted, synthetic_columns=columns)
            shares = _sorted_shares(columns)
        complete = numeric_tail_frequency(
            real, synthetic, features=names, real_sorted=real_sorted, synthetic_shares=shares
        )
        if not pairs:
            return ks, complete, None
        return (
            ks,
            complete,
            correlation_difference(real, synthetic, real_correlation=real_correlation),
        )
    ks = np.full(len(names), np.nan)
    tails: list[TailFrequency] = []
    for j, name in enumerate(names):
        r = real[np.isfinite(real[:, j]), j]
        s = synthetic[np.isfinite(synthetic[:, j]), j]
        if r.size == 0 or s.size == 0:
            continue
        ks[j] = ks_statistics(r, s)[0]
        tails += numeric_tail_frequency(r, s, features=[name])
    correlation = None
    if pairs:
        r_rows = real[np.isfinite(real).all(axis=1)]
        s_rows = synthetic[np.isfinite(synthetic).all(axis=1)]
        if r_rows.shape[0] >= 3 and s_rows.shape[0] >= 3:
            correlation = correlation_difference(r_rows, s_rows, real_correlation=real_correlation)
    return ks, tails, correlation


def _sorted_shares(
    columns: np.ndarray,
) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``synthetic_shares`` of :func:`numeric_tail_frequency` from the sample's sorted columns
    (:func:`collectors.metrics.drift.sorted_columns`, finite values): per column j, the share
    strictly below ``lower[j]`` and strictly above ``upper[j]`` as binary-search counts over the
    rows, ``(synthetic < lower).mean(axis=0)`` and ``(synthetic > upper).mean(axis=0)`` bit for
    bit (the same integer counts over the same row count)."""
    m = columns.shape[1]

    def shares(lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        below = np.empty(lower.shape[0], dtype=np.int64)
        above = np.empty(upper.shape[0], dtype=np.int64)
        for j, column in enumerate(columns):
            below[j] = np.searchsorted(column, lower[j], side="left")
            above[j] = m - np.searchsorted(column, upper[j], side="right")
        return below / m, above / m

    return shares


def missing_figures(
    reference: Mapping[str, float],
    sample: Mapping[str, float],
    holdout: Mapping[str, float] | None = None,
) -> dict[str, dict[str, float]]:
    """Per column with a missing cell in the reference or the sample: ``missing_share`` (the
    sample's), ``missing_expected`` (the reference's) and ``missing_holdout`` (the holdout's,
    when given); columns complete on both sides get no entry (complete data: no new figures)."""
    out: dict[str, dict[str, float]] = {}
    for name, share in sample.items():
        expected = float(reference.get(name, 0.0))
        if share > 0 or expected > 0:
            entry = {"missing_share": float(share), "missing_expected": expected}
            if holdout is not None and name in holdout:
                entry["missing_holdout"] = float(holdout[name])
            out[name] = entry
    return out


def calendar_parts(seconds: np.ndarray) -> dict[str, np.ndarray]:
    """Hour of day (0-23), day of week (0 = Monday) and month (1-12) of finite epoch seconds
    (UTC, or the naive clock as read)."""
    values = np.asarray(seconds, dtype=np.float64)
    values = values[np.isfinite(values)]
    stamps = values.astype("datetime64[s]")
    days = np.floor(values / _DAY)
    months = stamps.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return {
        "hour": (np.floor((values - days * _DAY) / 3600.0)).astype(np.int64),
        "weekday": ((days.astype(np.int64) + 3) % 7),  # 1970-01-01 was a Thursday
        "month": months,
    }


def calendar_figures(real: np.ndarray, sample: np.ndarray) -> dict[str, float]:
    """Calendar and range figures of one datetime column (epoch seconds, NaN where missing).

    ``calendar_tv_hour``/``_weekday``/``_month``: total variation distance of each calendar part
    (categorical; hour left out when the reference has a single hour, e.g. dates);
    ``range_ratio``: the sample's span over the reference's (observed values; 1 when the spans
    match, towards 0 when timestamps collapse); ``range_outside_share``: the sample's share
    beyond the reference's [min, max]. Empty when either side has no observed value.
    """
    r = np.asarray(real, dtype=np.float64)
    s = np.asarray(sample, dtype=np.float64)
    r, s = r[np.isfinite(r)], s[np.isfinite(s)]
    if r.size == 0 or s.size == 0:
        return {}
    out: dict[str, float] = {}
    real_parts, sample_parts = calendar_parts(r), calendar_parts(s)
    for part in CALENDAR:
        if part == "hour" and np.unique(real_parts[part]).size < 2:
            continue
        out[f"calendar_tv_{part}"] = total_variation(real_parts[part], sample_parts[part])
    low, high = float(r.min()), float(r.max())
    span = high - low
    out["range_ratio"] = float(s.max() - s.min()) / span if span > 0 else 1.0
    out["range_outside_share"] = float(np.mean((s < low) | (s > high)))
    return out
