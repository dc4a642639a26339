"""Per-sample verdicts on a version: generate, then verify, then keep what passes.

Each synthetic row gets four verdicts, each a test Tailwatch already makes for its figures:

* ``in_support``: inside some real k-NN ball, ``exists i: ||y - x_i|| < r_i`` (the precision
  test of Naeem et al. 2020, ICML, eq. 1; with tied radii a row on a ball's boundary counts, as
  the tie-aware counts of :mod:`collectors.knn.engine`).
* ``authentic``: not closer to a training row than the real holdout is: its distance to the
  closest training record is at least the holdout's 5th-percentile distance (SDMetrics DCR; the
  threshold of ``dcr_close_share``; Alaa et al. 2022, ICML, sec. 3.3 on authenticity), so the
  share of authentic rows is 1 - ``dcr_close_share``.
* ``in_range``: every numeric value within the real minimum and maximum (a value beyond the real
  extremes is an invented tail; Shumailov et al. 2024, Nature, on tails).
* ``known_categories``: every categorical value is a category the real data holds.

``kept`` is the conjunction; the *yield* is the share kept. Filtering trades diversity for
fidelity: the kept subset's coverage and utility are to be read next to the raw version's.

Pure functions: numpy/pandas in, a dataclass out; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from collectors.metrics import DCR_QUANTILE

__all__ = ["VERDICT_COLUMNS", "Verdicts", "verify_samples"]

VERDICT_COLUMNS = ("in_support", "authentic", "in_range", "known_categories", "kept")


@dataclass(frozen=True)
class Verdicts:
    """The verdicts of each synthetic row (boolean arrays of length M) and distances."""

    in_support: np.ndarray
    authentic: np.ndarray
    in_range: np.ndarray
    known_categories: np.ndarray
    training_distance: np.ndarray
    authenticity_threshold: float

    @property
    def kept(self) -> np.ndarray:
        return self.in_support & self.authentic & self.in_range & self.known_categories

    @property
    def yield_(self) -> float:
        """Share of rows kept."""
        return float(self.kept.mean()) if self.kept.size else float("nan")

    def figures(self) -> dict[str, float]:
        return {
            "verified_yield": self.yield_,
            "verified_in_support_share": float(self.in_support.mean()),
            "verified_authentic_share": float(self.authentic.mean()),
            "verified_in_range_share": float((self.in_range & self.known_categories).mean()),
        }

    def frame(self, rows: pd.DataFrame | None = None, prefix: str = "tailwatch_") -> pd.DataFrame:
        """``rows`` (the version's rows, in order) with one boolean column per verdict and the
        distance to the closest training record."""
        out = (
            pd.DataFrame(index=range(self.kept.size))
            if rows is None
            else rows.reset_index(drop=True).copy()
        )
        for name in VERDICT_COLUMNS:
            out[f"{prefix}{name}"] = getattr(self, name)
        out[f"{prefix}training_distance"] = self.training_distance
        return out


def verify_samples(
    ball_count: np.ndarray,
    training_distance: np.ndarray,
    holdout_training_distance: np.ndarray,
    *,
    numeric: np.ndarray | None = None,
    real_numeric: np.ndarray | None = None,
    categorical: Mapping[str, np.ndarray] | None = None,
    real_categorical: Mapping[str, np.ndarray] | None = None,
    quantile: float = DCR_QUANTILE,
) -> Verdicts:
    """Verdicts from what the metrics already computed.

    ``ball_count``: per synthetic row, the (tie-aware) count of real k-NN balls holding it
    (``PRDC.synthetic_ball_count``); ``training_distance``: its distance to the closest training
    row; ``holdout_training_distance``: each holdout row's distance to the closest training row
    (the threshold is its ``quantile``); ``numeric``/``real_numeric``: raw numeric columns;
    ``categorical``/``real_categorical``: labels by column.
    """
    m = ball_count.shape[0]
    threshold = float(np.quantile(holdout_training_distance, quantile))
    in_range = np.ones(m, dtype=bool)
    if numeric is not None and real_numeric is not None and real_numeric.shape[1]:
        low, high = real_numeric.min(axis=0), real_numeric.max(axis=0)
        in_range = np.all((numeric >= low) & (numeric <= high), axis=1)
    known = np.ones(m, dtype=bool)
    for name, labels in (categorical or {}).items():
        real = (real_categorical or {}).get(name)
        if real is not None:
            existing = np.unique(np.asarray(real).astype(str))
            known &= np.isin(np.asarray(labels).astype(str), existing)
    return Verdicts(
        in_support=np.asarray(ball_count) > 0,
        authentic=~(np.asarray(training_distance) < threshold),
        in_range=in_range,
        known_categories=known,
        training_distance=np.asarray(training_distance, dtype=np.float64),
        authenticity_threshold=threshold,
    )
