"""How long sequences are and how far apart their events lie: drift and tails against the
reference. Pure: arrays in, numbers out.

For a positive quantity (events per sequence, time between successive events) with reference
sample ``a`` and version sample ``b``:

- ``ks``: the two-sample Kolmogorov-Smirnov statistic D = sup_x |F_a(x) - F_b(x)| (Smirnov 1948,
  Ann. Math. Stat. 19:279, eq. 1; SDMetrics' SequenceLengthSimilarity reports 1 - D of the
  lengths);
- ``wasserstein``: W_1 = int |F_a(x) - F_b(x)| dx (Vallender 1974, Theory Probab. Appl. 18:784,
  eq. 1) divided by the reference mean, so a figure of 0.3 is a typical shift of 30 % of the
  reference's mean (scale-free: seconds, days and events alike);
- ``ratio``: mean(b) / mean(a);
- ``short`` / ``long``: the share of ``b`` strictly below the reference's ``q`` quantile and
  strictly above its ``1 - q`` quantile (q = 0.05): the tails. Lengths are integers, so the real
  level is often well under q (ties at the quantile are inside); the healthy draws give it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import ks_2samp, wasserstein_distance

__all__ = ["TAIL_QUANTILE", "Histogram", "Shift", "histogram", "shift"]

TAIL_QUANTILE = 0.05
HISTOGRAM_BINS = 20


@dataclass(frozen=True)
class Shift:
    """Drift and tails of one positive quantity (see the module docstring)."""

    ks: float
    wasserstein: float
    ratio: float
    short: float
    long: float

    def figures(self, prefix: str) -> dict[str, float]:
        """``{prefix}_ks``, ``_wasserstein``, ``_ratio``, ``_short_share``, ``_long_share``."""
        return {
            f"{prefix}_ks": self.ks,
            f"{prefix}_wasserstein": self.wasserstein,
            f"{prefix}_ratio": self.ratio,
            f"{prefix}_short_share": self.short,
            f"{prefix}_long_share": self.long,
        }


@dataclass(frozen=True)
class Histogram:
    """Shares of the reference and of the version on the reference's bins (for the report)."""

    edges: tuple[float, ...]
    reference: tuple[float, ...]
    version: tuple[float, ...]


def shift(reference: np.ndarray, version: np.ndarray, *, q: float = TAIL_QUANTILE) -> Shift | None:
    """Drift and tails of ``version`` against ``reference`` (None when either is empty)."""
    a = np.asarray(reference, dtype=np.float64)
    b = np.asarray(version, dtype=np.float64)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size == 0 or b.size == 0:
        return None
    mean = float(a.mean())
    scale = mean if mean > 0 else float(a.std())
    distance = float(wasserstein_distance(a, b))
    low, high = np.quantile(a, [q, 1.0 - q])
    return Shift(
        ks=float(ks_2samp(a, b).statistic),
        wasserstein=distance / scale if scale > 0 else (0.0 if distance == 0 else np.inf),
        ratio=float(b.mean()) / mean if mean > 0 else np.nan,
        short=float(np.mean(b < low)),
        long=float(np.mean(b > high)),
    )


def histogram(
    reference: np.ndarray, version: np.ndarray, *, bins: int = HISTOGRAM_BINS
) -> Histogram:
    """Both samples on ``bins`` bins spanning the reference's 0.5-99.5 % range and the version's
    values (the outer bins are open: everything beyond them is counted in them)."""
    a = np.asarray(reference, dtype=np.float64)
    b = np.asarray(version, dtype=np.float64)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size == 0:
        return Histogram((), (), ())
    low, high = np.quantile(a, [0.005, 0.995])
    if high <= low:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, bins + 1)

    def shares(x: np.ndarray) -> tuple[float, ...]:
        if x.size == 0:
            return tuple(0.0 for _ in range(bins))
        counts = np.bincount(
            np.clip(np.searchsorted(edges, x, side="right") - 1, 0, bins - 1), minlength=bins
        )
        return tuple(float(c) for c in counts / x.size)

    return Histogram(tuple(float(e) for e in edges), shares(a), shares(b))
