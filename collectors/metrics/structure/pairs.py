"""Pair dependence across column types, reference against version (SDMetrics' "column pair
trends", extended to mixed pairs).

- numeric-numeric: Spearman's rank correlation rho (Spearman 1904), Pearson's r of the mid-ranks;
- categorical-categorical: bias-corrected Cramér's V (Bergsma 2013, J. Korean Stat. Soc. 42,
  323-328, eq. 3-4), which, unlike the plain V, is near 0 for independent columns at any size;
- numeric-categorical: the correlation ratio eta (Pearson 1905; eta^2 = SS_between / SS_total).

Each pair gets one value; the version's difference from the reference is the absolute difference
(signed rho, so a flipped sign counts twice its size). Bounded: every pair up to ``max_columns``
columns, else the ``max_pairs`` pairs with the strongest reference dependence.
Pure functions: frames in, numbers out; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from collectors.metrics.structure._frame import (
    Columns,
    check_columns,
    codes,
    frequent_categories,
    labels,
    numeric_values,
    split_columns,
)
from collectors.metrics.structure._ranks import MIN_PAIR_ROWS, RankProducts

__all__ = [
    "MAX_COLUMNS",
    "PairDependence",
    "PairShift",
    "correlation_ratio",
    "cramers_v",
    "dependence",
    "pair_dependence",
    "select_pairs",
    "selected_dependence",
    "spearman",
]

MAX_COLUMNS = 40  # every pair up to this many columns (780 pairs)
MAX_PAIR_CATEGORIES = 50  # labels kept per column in a contingency table; the rest pooled


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho: Pearson's correlation of the average ranks (Spearman 1904; ties take the
    mean rank, as ``scipy.stats.spearmanr``). Rows with a missing value are dropped; a constant
    column has no correlation (0.0)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = ~(np.isnan(x) | np.isnan(y))
    if keep.sum() < MIN_PAIR_ROWS:
        return 0.0
    return _rank_correlation(rankdata(x[keep]), rankdata(y[keep]))


def _rank_correlation(rx: np.ndarray, ry: np.ndarray) -> float:
    """Pearson's correlation of two rank vectors (the inputs are left as they are)."""
    return _centred_correlation(_centred(rx), _centred(ry))


def _centred(ranks: np.ndarray) -> tuple[np.ndarray, float]:
    """A rank vector minus its mean, and its squared norm (what every pair of it needs)."""
    centred = ranks - ranks.mean()
    return centred, centred @ centred


def _centred_correlation(x: tuple[np.ndarray, float], y: tuple[np.ndarray, float]) -> float:
    """:func:`_rank_correlation` of two :func:`_centred` vectors: the same arithmetic."""
    denominator = np.sqrt(x[1] * y[1])
    return float(np.clip(x[0] @ y[0] / denominator, -1.0, 1.0)) if denominator > 0 else 0.0


def _pooled_codes(labels: np.ndarray) -> np.ndarray:
    """A label array's codes, its rarest labels beyond :data:`MAX_PAIR_CATEGORIES` pooled."""
    return codes(labels, frequent_categories(labels, MAX_PAIR_CATEGORIES))


def _table(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Contingency table of two label arrays (each column's rarest labels beyond
    :data:`MAX_PAIR_CATEGORIES` pooled), empty rows and columns dropped."""
    return _code_table(_pooled_codes(a), _pooled_codes(b))


def _code_table(ca: np.ndarray, cb: np.ndarray) -> np.ndarray:
    """:func:`_table` of two :func:`_pooled_codes` arrays."""
    width = int(cb.max(initial=0)) + 1
    table = np.bincount(ca * width + cb, minlength=(int(ca.max(initial=0)) + 1) * width)
    table = table.reshape(-1, width).astype(np.float64)
    return table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]


def cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    """Bias-corrected Cramér's V (Bergsma 2013, eqs. 3-4).

    phi^2 = chi^2 / n (Pearson's chi^2 of the r x k table, no continuity correction);
    phi~^2 = max(0, phi^2 - (k - 1)(r - 1) / (n - 1)); r~ = r - (r - 1)^2 / (n - 1),
    k~ = k - (k - 1)^2 / (n - 1); V~ = sqrt(phi~^2 / min(k~ - 1, r~ - 1)), in [0, 1].
    r and k count the labels present; a column with one label gives 0.0.
    """
    return _table_cramers_v(_table(np.asarray(a, dtype=object), np.asarray(b, dtype=object)))


def _table_cramers_v(table: np.ndarray) -> float:
    """:func:`cramers_v` of a :func:`_table`."""
    n = table.sum()
    r, k = table.shape
    if r < 2 or k < 2 or n < MIN_PAIR_ROWS:
        return 0.0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    phi2 = max(0.0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    r_tilde = r - (r - 1) ** 2 / (n - 1)
    k_tilde = k - (k - 1) ** 2 / (n - 1)
    denominator = min(k_tilde - 1, r_tilde - 1)
    return float(min(1.0, np.sqrt(phi2 / denominator))) if denominator > 0 else 0.0


def correlation_ratio(categories: np.ndarray, values: np.ndarray) -> float:
    """Correlation ratio eta = sqrt(SS_between / SS_total) (Pearson 1905): the share of a numeric
    column's variance its category means explain, square-rooted; in [0, 1]. Rows with a missing
    value are dropped; a constant numeric column gives 0.0."""
    values = np.asarray(values, dtype=np.float64)
    keep = ~np.isnan(values)
    if keep.sum() < MIN_PAIR_ROWS:
        return 0.0
    group = pd.factorize(np.asarray(categories, dtype=object)[keep])[0]
    return _grouped_eta(group, _deviations(values[keep]))


def _deviations(y: np.ndarray) -> tuple[np.ndarray, float]:
    """Values minus their mean, and their sum of squares (SS_total)."""
    centred = y - y.mean()
    return centred, float(centred @ centred)


def _grouped_eta(group: np.ndarray, deviations: tuple[np.ndarray, float]) -> float:
    """:func:`correlation_ratio` of group codes and :func:`_deviations` of the same rows."""
    y, total = deviations
    if total <= 0:
        return 0.0
    sums = np.bincount(group, weights=y)
    counts = np.bincount(group)
    between = float((sums**2 / counts).sum())
    return float(np.sqrt(min(1.0, between / total)))


def _values(
    frame: pd.DataFrame,
    columns: Columns,
    source: str,
    numeric: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {
        n: numeric_values(frame, n, source) if numeric is None else numeric[n]
        for n in columns.numeric
    }
    out.update({n: labels(frame, n) for n in columns.categorical})
    return out


def _pair_value(
    a: str,
    b: str,
    values: dict[str, np.ndarray],
    columns: Columns,
    memo: dict[tuple[str, str], Any],
) -> float:
    """The pair's dependence; ``memo`` keeps what a column gives all its pairs (filled here):
    a complete numeric column's centred ranks and their squared norm (None where it has missing
    values), its deviations from its mean; a categorical column's pooled codes (Cramér's V)
    and its group codes (eta beside a complete numeric column, whose rows are all kept). The
    same arithmetic as :func:`spearman`, :func:`cramers_v` and :func:`correlation_ratio`."""
    numeric_a, numeric_b = a in columns.numeric, b in columns.numeric
    if numeric_a and numeric_b:
        for name in (a, b):
            if ("ranks", name) not in memo:
                column = values[name]
                complete = not np.isnan(column).any() and len(column) >= MIN_PAIR_ROWS
                memo["ranks", name] = _centred(rankdata(column)) if complete else None
        rank_a, rank_b = memo["ranks", a], memo["ranks", b]
        if rank_a is not None and rank_b is not None:
            return _centred_correlation(rank_a, rank_b)  # = spearman(values[a], values[b])
        return spearman(values[a], values[b])
    if not numeric_a and not numeric_b:
        for name in (a, b):
            if ("codes", name) not in memo:
                memo["codes", name] = _pooled_codes(values[name])
        return _table_cramers_v(_code_table(memo["codes", a], memo["codes", b]))
    label, number = (b, a) if numeric_a else (a, b)
    if ("deviations", number) not in memo:
        column = values[number]
        complete = not np.isnan(column).any() and len(column) >= MIN_PAIR_ROWS
        memo["deviations", number] = _deviations(column) if complete else None
    deviations = memo["deviations", number]
    if deviations is None:
        return correlation_ratio(values[label], values[number])
    if ("groups", label) not in memo:
        memo["groups", label] = pd.factorize(values[label])[0]
    return _grouped_eta(memo["groups", label], deviations)


def dependence(
    frame: pd.DataFrame,
    columns: Columns,
    pairs: Sequence[tuple[str, str]],
    *,
    source: str = "frame",
    numeric: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """One dependence value per pair (see the module docstring for the measure of each kind).
    The pairs of two complete numeric columns take their Spearman rho from one product of the
    centred rank matrix (:class:`~collectors.metrics.structure._ranks.RankProducts`, the same
    numbers as pair by pair); the others are evaluated pair by pair. ``numeric``: the frame's
    numeric columns as :func:`~collectors.metrics.structure._frame.numeric_values` gives them,
    when the caller has them (not read again)."""
    check_columns(frame, columns, source)
    values = _values(frame, columns, source, numeric)
    used = {name for pair in pairs for name in pair}
    products = RankProducts(values, [n for n in columns.numeric if n in used])
    index = products.index
    out = np.empty(len(pairs), dtype=np.float64)
    batched, first, second = [], [], []
    memo: dict[tuple[str, str], Any] = {}
    for k, (a, b) in enumerate(pairs):
        if a in index and b in index:  # two complete numeric columns
            batched.append(k)
            first.append(index[a])
            second.append(index[b])
        else:
            out[k] = _pair_value(a, b, values, columns, memo)
    if batched:
        where = np.array(batched, dtype=np.int64)
        out[where] = products.correlation(
            np.array(first, dtype=np.int64), np.array(second, dtype=np.int64)
        )
    return out


def select_pairs(
    reference: pd.DataFrame,
    columns: Columns,
    *,
    max_columns: int = MAX_COLUMNS,
    max_pairs: int | None = None,
) -> list[tuple[str, str]]:
    """Every pair when there are at most ``max_columns`` columns, else the ``max_pairs``
    (default: as many as ``max_columns`` columns have) pairs of strongest |reference dependence|,
    strongest first (ties by name)."""
    if len(columns.names) <= max_columns:
        return list(combinations(columns.names, 2))
    return selected_dependence(reference, columns, max_columns=max_columns, max_pairs=max_pairs)[0]


def selected_dependence(
    reference: pd.DataFrame,
    columns: Columns,
    *,
    max_columns: int = MAX_COLUMNS,
    max_pairs: int | None = None,
) -> tuple[list[tuple[str, str]], np.ndarray]:
    """:func:`select_pairs` and the reference's :func:`dependence` of the selected pairs, the
    latter from the values the selection computed (a wide table's pairs evaluated once)."""
    names = columns.names
    pairs = list(combinations(names, 2))
    values = dependence(reference, columns, pairs, source="reference")
    if len(names) <= max_columns:
        return pairs, values
    limit = max_columns * (max_columns - 1) // 2 if max_pairs is None else max_pairs
    strength = np.abs(values)
    order = sorted(range(len(pairs)), key=lambda i: (-strength[i], pairs[i]))[:limit]
    return [pairs[i] for i in order], values[np.array(order, dtype=np.int64)]


@dataclass(frozen=True)
class PairShift:
    """One pair's dependence in the reference and the version, and their absolute difference."""

    first: str
    second: str
    measure: str  # "spearman", "cramers_v" or "correlation_ratio"
    reference: float
    version: float
    difference: float


@dataclass(frozen=True)
class PairDependence:
    """Pair dependence of the reference and a version over the same pairs."""

    columns: tuple[str, ...]
    shifts: tuple[PairShift, ...]  # in pair order

    def matrix(self, which: str = "difference") -> np.ndarray:
        """Symmetric (p, p) matrix of ``reference``, ``version`` or ``difference`` (diagonal 1
        for the dependence matrices, 0 for the difference; NaN for pairs not evaluated)."""
        index = {name: i for i, name in enumerate(self.columns)}
        out = np.full((len(self.columns),) * 2, np.nan)
        np.fill_diagonal(out, 0.0 if which == "difference" else 1.0)
        for shift in self.shifts:
            i, j = index[shift.first], index[shift.second]
            out[i, j] = out[j, i] = getattr(shift, which)
        return out

    def worst(self, count: int = 10) -> list[PairShift]:
        """The ``count`` pairs whose dependence moved most, largest first (ties by name)."""
        ranked = sorted(self.shifts, key=lambda s: (-s.difference, s.first, s.second))
        return ranked[:count]

    def figures(self) -> dict[str, float]:
        """``dependence_difference_mean`` and ``_max`` over the evaluated pairs."""
        if not self.shifts:
            return {}
        differences = np.array([s.difference for s in self.shifts])
        return {
            "dependence_difference_mean": float(differences.mean()),
            "dependence_difference_max": float(differences.max()),
        }


def _measure(a: str, b: str, columns: Columns) -> str:
    kinds = {columns.kind(a), columns.kind(b)}
    if kinds == {"numeric"}:
        return "spearman"
    return "cramers_v" if kinds == {"categorical"} else "correlation_ratio"


def pair_dependence(
    reference: pd.DataFrame,
    version: pd.DataFrame,
    *,
    columns: Sequence[str] | Columns | None = None,
    categorical: Sequence[str] | None = None,
    pairs: Sequence[tuple[str, str]] | None = None,
    reference_values: np.ndarray | None = None,
    max_columns: int = MAX_COLUMNS,
    max_pairs: int | None = None,
    version_numeric: Mapping[str, np.ndarray] | None = None,
) -> PairDependence:
    """Dependence of every selected pair (:func:`select_pairs`) in the reference and the version.

    ``pairs`` and ``reference_values`` let a caller that measures many versions compute the
    reference side once; ``version_numeric``: the version's numeric columns already read
    (:func:`dependence`'s ``numeric``).
    """
    kinds = (
        columns
        if isinstance(columns, Columns)
        else split_columns(reference, columns=columns, categorical=categorical)
    )
    chosen = (
        list(pairs)
        if pairs is not None
        else select_pairs(reference, kinds, max_columns=max_columns, max_pairs=max_pairs)
    )
    real = (
        dependence(reference, kinds, chosen, source="reference")
        if reference_values is None
        else np.asarray(reference_values, dtype=np.float64)
    )
    synthetic = dependence(version, kinds, chosen, source="version", numeric=version_numeric)
    shifts = tuple(
        PairShift(a, b, _measure(a, b, kinds), float(r), float(s), float(abs(r - s)))
        for (a, b), r, s in zip(chosen, real, synthetic, strict=True)
    )
    return PairDependence(kinds.names, shifts)
