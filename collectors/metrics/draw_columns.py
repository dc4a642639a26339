"""KS statistics and tail shares of a healthy draw from the holdout's sorted columns (issue 26).

A healthy-level draw is rows of the holdout, some repeated (``collectors.generator``'s draws): its
sorted column is the holdout's sorted column with each value repeated by its row's multiplicity,
so the counts the two-sample KS statistic (:func:`collectors.metrics.drift.ks_statistics`) and the
tail shares (:func:`collectors.metrics.tails.numeric_tail_frequency`) take from the draw's sorted
column are prefix sums of the multiplicities in the holdout's sorted order: no sort per draw.

KS (Kolmogorov 1933, Smirnov 1948; the statistic of ``scipy.stats.ks_2samp``): D = sup_x
|F_real(x) - F_draw(x)|, the empirical CDFs right-continuous, evaluated at every pooled point.
Here they are evaluated at every reference value and every holdout value (a superset of the
pooled points: a holdout value the draw misses gives the pair of counts of the largest pooled
point below it, or (0, 0)), with the same integer counts and the same arithmetic
``|i / n - k / m|`` as :func:`collectors.metrics.ks_kernel.ks_sorted`: the same maximum, bit for
bit (tests/collectors/metrics/test_draw_columns.py). Complete (finite) columns only.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["DrawColumns", "HoldoutColumns"]

# columns x (reference + holdout rows) at most: four int32 count tables, 8 bytes an entry (128 MB),
# with the holdout's order and sorted values (16 bytes a column's holdout row); 10k x 64 reference,
# 5k holdout: 1M entries, 13 MB. Kept by the generator's reference while its draws run.
MAX_ENTRIES = 16_000_000


@nb.njit(cache=True, nogil=True)
def _ks_draw(
    real_at_real: np.ndarray,
    hold_at_real: np.ndarray,
    real_at_hold: np.ndarray,
    hold_at_hold: np.ndarray,
    cumulative: np.ndarray,
    m: int,
) -> np.ndarray:
    """Per column j: the largest |i / n - k / m| over the reference's and the holdout's values,
    i the reference's count at or below the value, k the draw's (``cumulative[j, t]``: the draw's
    rows among the holdout's first t in column j's sorted order)."""
    columns, n = real_at_real.shape
    h = real_at_hold.shape[1]
    out = np.empty(columns)
    for j in range(columns):
        prefix = cumulative[j]
        largest = 0.0
        for i in range(n):
            value = abs(real_at_real[j, i] / n - prefix[hold_at_real[j, i]] / m)
            if value > largest:
                largest = value
        for p in range(h):
            value = abs(real_at_hold[j, p] / n - prefix[hold_at_hold[j, p]] / m)
            if value > largest:
                largest = value
        out[j] = largest
    return out


@nb.njit(cache=True, nogil=True)
def _right_counts(sorted_rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per row j: how many of ``sorted_rows[j]`` are <= each of ``values[j]`` (both sorted
    ascending along rows; int32): one merge a row."""
    out = np.empty(values.shape, dtype=np.int32)
    width = sorted_rows.shape[1]
    for j in range(values.shape[0]):
        line = sorted_rows[j]
        t = 0
        for i in range(values.shape[1]):
            v = values[j, i]
            while t < width and line[t] <= v:
                t += 1
            out[j, i] = t
    return out


class HoldoutColumns:
    """The holdout's side of its draws' KS statistics and tail shares, prepared once.

    ``real_sorted``: the reference's columns sorted (``np.sort(real, axis=0)``, as
    :func:`ks_statistics` takes it); ``holdout``: the holdout's numeric columns, finite. Keeps,
    per column, the holdout's sort order and four count tables (int32; about 8 bytes a column for
    each reference and holdout row).
    """

    def __init__(self, real_sorted: np.ndarray, holdout: np.ndarray) -> None:
        if not np.isfinite(holdout).all() or not np.isfinite(real_sorted).all():
            raise ValueError("holdout columns: complete (finite) columns only")
        self.n = real_sorted.shape[0]
        self.h = holdout.shape[0]
        columns = np.ascontiguousarray(holdout.T)
        self.order = np.argsort(columns, axis=1)
        self.sorted = np.take_along_axis(columns, self.order, axis=1)
        real = np.ascontiguousarray(real_sorted.T)
        self.real_at_real = _right_counts(real, real)
        self.hold_at_real = _right_counts(self.sorted, real)
        self.real_at_hold = _right_counts(real, self.sorted)
        self.hold_at_hold = _right_counts(self.sorted, self.sorted)

    @classmethod
    def prepare(cls, real_sorted: np.ndarray, holdout: np.ndarray) -> HoldoutColumns | None:
        """Prepared for ``holdout``'s draws, or None where they take the sort path instead: no
        column, count tables past ``MAX_ENTRIES`` (:meth:`fits`), or a missing cell."""
        rows, columns = holdout.shape
        if columns == 0 or not cls.fits(real_sorted.shape[0], rows, columns):
            return None
        try:
            return cls(real_sorted, holdout)
        except ValueError:  # a missing (non-finite) cell in either
            return None

    @staticmethod
    def fits(real_rows: int, holdout_rows: int, columns: int) -> bool:
        """Whether the count tables stay within ``MAX_ENTRIES``."""
        return columns * (real_rows + holdout_rows) <= MAX_ENTRIES

    def draw(self, rows: np.ndarray) -> DrawColumns:
        """The draw of holdout ``rows`` (indices, repeats allowed)."""
        return DrawColumns(self, np.bincount(rows, minlength=self.h), int(rows.size))


class DrawColumns:
    """One draw's KS statistics and tail shares against the reference (see the module)."""

    def __init__(self, holdout: HoldoutColumns, counts: np.ndarray, m: int) -> None:
        self.holdout = holdout
        self.m = m
        # cumulative[j, t]: the draw's rows among the holdout's first t in column j's order
        self.cumulative = np.zeros((holdout.order.shape[0], holdout.h + 1), dtype=np.int64)
        np.cumsum(counts[holdout.order], axis=1, out=self.cumulative[:, 1:])

    def ks(self) -> np.ndarray:
        """Per column, the KS statistic of the reference against the draw
        (:func:`collectors.metrics.drift.ks_statistics`' value)."""
        h = self.holdout
        return _ks_draw(
            h.real_at_real, h.hold_at_real, h.real_at_hold, h.hold_at_hold, self.cumulative, self.m
        )

    def shares(self, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per column j, the draw's share strictly below ``lower[j]`` and strictly above
        ``upper[j]`` (``(draw < lower).mean(axis=0)``, ``(draw > upper).mean(axis=0)``)."""
        h = self.holdout
        below = np.empty(lower.shape[0], dtype=np.int64)
        above = np.empty(upper.shape[0], dtype=np.int64)
        for j in range(lower.shape[0]):
            prefix = self.cumulative[j]
            below[j] = prefix[np.searchsorted(h.sorted[j], lower[j], side="left")]
            above[j] = self.m - prefix[np.searchsorted(h.sorted[j], upper[j], side="right")]
        return below / self.m, above / self.m
