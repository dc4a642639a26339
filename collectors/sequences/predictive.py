"""TimeGAN's predictive score: train a one-step-ahead model on the version's sequences, forecast
real holdout sequences, and compare with the same model trained on real sequences. Pure: arrays
in, numbers out.

Yoon, Jarrett and van der Schaar 2019 (Time-series Generative Adversarial Networks, NeurIPS,
sec. 5, "predictive score"): a post-hoc sequence model trained on synthetic sequences predicts the
next step of real ones; the score is the mean absolute error (train on synthetic, test on real:
TSTR, Esteban et al. 2017). Here the model is a ridge regression (Hoerl and Kennard 1970, eq. 2.2,
alpha = 1) on lagged windows, fast and deterministic: the numeric columns (the first
:data:`MAX_PREDICT_COLUMNS`, standardised by the reference's mean and sd) at steps t - w .. t - 1
of one entity predict all of them at step t (w = :data:`WINDOW`). MAE is in reference standard
deviations, averaged over observed targets and columns; a window with a missing value is left
out (imputing it at the mean taught the model a jump to the mean: on fertility's real gaps
that made the real-vs-real ratio swing from 0.9 to 1.6 between splits). ``predictive_mae_real``
is the same model trained on the reference (TRTR), and ``predictive_mae_ratio`` = TSTR / TRTR:
about 1 for a faithful version, far above 1 when the version's sequences teach nothing about
what comes next. Windows per side are capped at
:data:`MAX_WINDOWS` (a seeded draw). Error-based, because R^2 saturates near 1 on smooth series.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import Ridge

from collectors.sequences._frame import SequenceFrame
from collectors.sequences.summaries import column_moments

__all__ = ["MAX_PREDICT_COLUMNS", "MAX_WINDOWS", "WINDOW", "Forecaster", "windows"]

WINDOW = 3
MAX_PREDICT_COLUMNS = 8
MAX_WINDOWS = 20000
MIN_WINDOWS = 10
ALPHA = 1.0


def windows(
    frame: SequenceFrame,
    columns: Sequence[str],
    mean: np.ndarray,
    scale: np.ndarray,
    *,
    window: int = WINDOW,
    max_windows: int = MAX_WINDOWS,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(features (W, window * C), targets (W, C)): every step t >= window of one entity whose
    ``window`` previous steps are all observed, those steps as features (standardised) and step
    t as target (standardised, missing stays NaN)."""
    z = np.column_stack([frame.numeric[c] for c in columns])
    z = (z - mean) / scale
    n = frame.n_events
    if n <= window:
        return np.zeros((0, window * len(columns))), np.zeros((0, len(columns)))
    rows = np.arange(window, n)
    same = frame.owner[rows] == frame.owner[rows - window]  # sorted: the whole window is one entity
    rows = rows[same]
    observed = np.isfinite(z).all(axis=1)
    history = np.ones(rows.size, dtype=bool)
    for lag in range(1, window + 1):
        history &= observed[rows - lag]
    rows = rows[history]
    if rows.size > max_windows:
        rng = np.random.default_rng([seed, 3])
        rows = np.sort(rng.choice(rows, max_windows, replace=False))
    features = np.hstack([z[rows - lag] for lag in range(window, 0, -1)])
    return features, z[rows]


def _mae(model: Ridge, x: np.ndarray, y: np.ndarray) -> float:
    error = np.abs(model.predict(x).reshape(y.shape) - y)
    per_column = [float(np.nanmean(col)) for col in error.T if np.isfinite(col).any()]
    return float(np.mean(per_column)) if per_column else np.nan


@dataclass
class Forecaster:
    """The predictive score's fixed parts: columns, standardisation, the real holdout windows and
    the TRTR error (see the module docstring)."""

    columns: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    real_mae: float
    seed: int = 0

    @classmethod
    def fit(
        cls, reference: SequenceFrame, test: SequenceFrame, numeric: Sequence[str], seed: int = 0
    ) -> Forecaster | None:
        """None without numeric columns or with fewer than :data:`MIN_WINDOWS` windows."""
        columns = tuple(numeric)[:MAX_PREDICT_COLUMNS]
        if not columns:
            return None
        mean, scale = column_moments(np.column_stack([reference.numeric[c] for c in columns]))
        test_x, test_y = windows(test, columns, mean, scale, seed=seed)
        forecaster = cls(columns, mean, scale, test_x, test_y, np.nan, seed)
        if test_x.shape[0] < MIN_WINDOWS:
            return None
        real = forecaster.train_mae(reference)
        if real is None or not np.isfinite(real):
            return None
        forecaster.real_mae = real
        return forecaster

    def train_mae(self, sequences: SequenceFrame) -> float | None:
        """MAE on the holdout windows of the ridge model trained on ``sequences`` (None when they
        hold fewer than :data:`MIN_WINDOWS` windows)."""
        x, y = windows(sequences, self.columns, self.mean, self.scale, seed=self.seed)
        observed = np.isfinite(y).all(axis=1)
        if observed.sum() < MIN_WINDOWS:
            return None
        model = Ridge(alpha=ALPHA).fit(x[observed], y[observed])
        return _mae(model, self.test_x, self.test_y)

    def figures(self, version: SequenceFrame) -> dict[str, float]:
        """``predictive_mae`` (TSTR), ``predictive_mae_real`` (TRTR) and their ratio."""
        mae = self.train_mae(version)
        if mae is None or not np.isfinite(mae):
            return {"predictive_mae_real": self.real_mae}
        return {
            "predictive_mae": mae,
            "predictive_mae_real": self.real_mae,
            "predictive_mae_ratio": mae / self.real_mae if self.real_mae > 0 else np.inf,
        }
