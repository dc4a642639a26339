"""How a value carries over to the next steps within sequences: autocorrelation by lag and the
lag-1 cross-correlation between numeric columns, pooled over entities. Pure: arrays in, numbers
out.

Pooled within-entity autocorrelation at lag k (the sample ACF of Box and Jenkins 1976, eq. 2.1.12,
r_k = sum_t d_t d_{t+k} / sum_t d_t^2, summed over every entity e)::

    r_k = sum_e sum_t d_{e,t} d_{e,t+k} / sum_e sum_t d_{e,t}^2,   d_{e,t} = x_{e,t} - mean_e(x)

with pairs taken only inside one sequence and only where both values are observed. The series are
demeaned **per entity**, not globally: entities differ in level (a firm's size, a country's
fertility), and with a global mean that between-entity variance shows up as a high "autocorrelation"
that survives shuffling the events within each sequence, the very break this measure is for. Per
entity, r_k measures carry-over within a sequence only. For one complete sequence r_k equals
``statsmodels.tsa.stattools.acf(x, adjusted=False)``. Demeaning per entity biases r_k of short
sequences down by about 1 / n (Kendall 1954, Biometrika 41:403); reference and healthy draws share
the bias, and a version of cut sequences shows it as part of its break.

Cross-lag correlation of columns a, b at lag 1 (Box and Jenkins 1976, eq. 11.1.7, pooled the same
way): c_ab = sum d^a_{e,t} d^b_{e,t+1} / sqrt(sum (d^a)^2 sum (d^b)^2); both orders of each pair of
the first :data:`MAX_CROSS_COLUMNS` numeric columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from collectors.sequences._frame import SequenceFrame

__all__ = [
    "MAX_CROSS_COLUMNS",
    "MAX_LAG",
    "AutocorrShift",
    "autocorr_shift",
    "autocorrelation",
    "cross_lag",
    "demeaned",
]

MAX_LAG = 5
MAX_CROSS_COLUMNS = 4  # 12 ordered pairs at most
MIN_PAIRS = 3  # fewer observed pairs at a lag: not measured (NaN)


def demeaned(frame: SequenceFrame, values: np.ndarray) -> np.ndarray:
    """``values`` minus their entity's mean over observed values (NaN stays NaN)."""
    observed = np.isfinite(values)
    sums = np.bincount(frame.owner[observed], weights=values[observed], minlength=frame.n_entities)
    counts = np.bincount(frame.owner[observed], minlength=frame.n_entities)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return values - means[frame.owner]


def _lagged_products(frame: SequenceFrame, d: np.ndarray, e: np.ndarray, lag: int) -> np.ndarray:
    if lag >= d.shape[0]:
        return np.zeros(0)
    products = d[:-lag] * e[lag:]
    keep = frame.same_entity(lag) & np.isfinite(products)
    return products[keep]


def autocorrelation(frame: SequenceFrame, column: str, max_lag: int = MAX_LAG) -> np.ndarray:
    """(max_lag,) pooled within-entity r_1..r_max_lag of ``column`` (see the module docstring);
    NaN at a lag with fewer than :data:`MIN_PAIRS` pairs or a constant column."""
    d = demeaned(frame, frame.numeric[column])
    denominator = float(np.nansum(d * d))
    out = np.full(max_lag, np.nan)
    if denominator <= 0:
        return out
    for lag in range(1, max_lag + 1):
        products = _lagged_products(frame, d, d, lag)
        if products.size >= MIN_PAIRS:
            out[lag - 1] = float(products.sum()) / denominator
    return out


def cross_lag(frame: SequenceFrame, columns: Sequence[str]) -> dict[tuple[str, str], float]:
    """Pooled lag-1 cross-correlation c_ab (a at t, b at t + 1) for both orders of each pair of
    ``columns`` (bounded by the caller)."""
    d = {name: demeaned(frame, frame.numeric[name]) for name in columns}
    energy = {name: float(np.nansum(v * v)) for name, v in d.items()}
    out: dict[tuple[str, str], float] = {}
    for a in columns:
        for b in columns:
            if a == b:
                continue
            products = _lagged_products(frame, d[a], d[b], 1)
            scale = np.sqrt(energy[a] * energy[b])
            value = (
                float(products.sum() / scale)
                if products.size >= MIN_PAIRS and scale > 0
                else np.nan
            )
            out[(a, b)] = value
    return out


@dataclass(frozen=True)
class AutocorrShift:
    """Reference and version autocorrelations by column and lag, and how far they moved."""

    reference: dict[str, tuple[float, ...]]  # column -> r_1..r_K
    version: dict[str, tuple[float, ...]]
    cross_reference: dict[tuple[str, str], float]
    cross_version: dict[tuple[str, str], float]

    def differences(self) -> dict[str, np.ndarray]:
        """column -> |r_k(version) - r_k(reference)| by lag (NaN where either is unmeasured)."""
        return {
            name: np.abs(np.asarray(self.version[name]) - np.asarray(ref))
            for name, ref in self.reference.items()
        }

    def figures(self) -> dict[str, float]:
        """``autocorr_diff_max`` / ``_mean`` (over columns and lags), ``autocorr_lag1_ratio``
        (version's mean lag-1 r over the reference's, when the reference's is at least 0.05),
        ``cross_lag_diff_max``."""
        out: dict[str, float] = {}
        diffs = [v for v in self.differences().values() if np.isfinite(v).any()]
        if diffs:
            pooled = np.concatenate(diffs)
            out["autocorr_diff_max"] = float(np.nanmax(pooled))
            out["autocorr_diff_mean"] = float(np.nanmean(pooled))
        ref1 = [v[0] for v in self.reference.values() if np.isfinite(v[0])]
        ver1 = [self.version[k][0] for k, v in self.reference.items() if np.isfinite(v[0])]
        if ref1 and np.isfinite(ver1).all() and abs(float(np.mean(ref1))) >= 0.05:
            out["autocorr_lag1_ratio"] = float(np.mean(ver1) / np.mean(ref1))
        cross = [
            abs(self.cross_version[key] - value)
            for key, value in self.cross_reference.items()
            if np.isfinite(value) and np.isfinite(self.cross_version.get(key, np.nan))
        ]
        if cross:
            out["cross_lag_diff_max"] = float(max(cross))
        return out

    def per_feature(self) -> dict[str, dict[str, float]]:
        """column -> its lag-1 r and its largest difference over lags."""
        out: dict[str, dict[str, float]] = {}
        for name, diff in self.differences().items():
            entry: dict[str, float] = {}
            if np.isfinite(self.version[name][0]):
                entry["autocorr_lag1"] = float(self.version[name][0])
            if np.isfinite(diff).any():
                entry["autocorr_diff_max"] = float(np.nanmax(diff))
            if entry:
                out[name] = entry
        return out


def autocorr_shift(
    reference: dict[str, np.ndarray],
    cross_reference: dict[tuple[str, str], float],
    version: SequenceFrame,
    *,
    max_lag: int = MAX_LAG,
) -> AutocorrShift:
    """The version's autocorrelations and cross-lag correlations beside the reference's
    (``reference``: column -> r_1..r_K as :func:`autocorrelation` returns)."""
    mine = {name: autocorrelation(version, name, max_lag) for name in reference}
    columns = list(dict.fromkeys(c for pair in cross_reference for c in pair))
    cross = cross_lag(version, columns) if columns else {}
    return AutocorrShift(
        {k: tuple(float(x) for x in v) for k, v in reference.items()},
        {k: tuple(float(x) for x in v) for k, v in mine.items()},
        dict(cross_reference),
        cross,
    )
