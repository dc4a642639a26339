"""Boundary coverage: does the version cover the real rows near a decision boundary?

A probe trained on real rows is uncertain near the boundary between classes: its margin (the
top class probability minus the runner-up's) is small there. A version that keeps the class modes
but drops the boundary region passes coverage as a whole and loses exactly what a downstream
classifier needs. The probe's probabilities are out-of-fold (cross-fitted, as ``cross_val_predict``:
each real row is scored by a model that did not train on it), the uncertain rows are the share
``quantile`` of real rows with the smallest margin, and the figure is Naeem et al. 2020's
coverage (eq. 4) restricted to them: the share of uncertain real rows whose k-NN ball (radius
among all real rows) holds a version row. Compare it with its real-vs-real level at the same size.
Pure: arrays in, numbers out.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from collectors.metrics.fidelity import prdc
from collectors.metrics.structure._balls import RealBalls
from collectors.metrics.structure._native import hgb_model, one_thread
from collectors.metrics.structure.detection import DETECTION_MODEL

__all__ = ["BOUNDARY_QUANTILE", "boundary_coverage", "probe_margin", "uncertain_rows"]

BOUNDARY_QUANTILE = 0.2  # the fifth of real rows with the smallest probe margin
FOLDS = 3


def probe_margin(x: np.ndarray, y: np.ndarray, mask: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Out-of-fold margin of a real-trained probe per row: top class probability minus the
    second (1 for a class with no rival). ``mask`` marks categorical code columns of ``x``."""
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        return np.ones(len(y))
    folds = int(min(FOLDS, counts.min()))
    if folds < 2:
        raise ValueError("probe margin: every class needs at least 2 rows")
    model = hgb_model("classifier", mask, seed, DETECTION_MODEL)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with one_thread():
        proba = cross_val_predict(model, x, y, cv=splitter, method="predict_proba")
    ordered = np.sort(proba, axis=1)
    return ordered[:, -1] - ordered[:, -2]


def uncertain_rows(margin: np.ndarray, quantile: float = BOUNDARY_QUANTILE) -> np.ndarray:
    """Boolean mask of the ``quantile`` share of rows with the smallest margin (ties by row)."""
    if not 0 < quantile <= 1:
        raise ValueError(f"quantile must lie in (0, 1], got {quantile}")
    count = max(1, round(quantile * len(margin)))
    mask = np.zeros(len(margin), dtype=bool)
    mask[np.argsort(margin, kind="stable")[:count]] = True
    return mask


def boundary_coverage(
    real: np.ndarray,
    synthetic: np.ndarray,
    uncertain: np.ndarray,
    *,
    k: int = 5,
    balls: RealBalls | None = None,
) -> float:
    """Coverage (Naeem et al. 2020, eq. 4) of the ``uncertain`` real rows by the version:
    mean over them of 1[min_j ||x_i - y_j|| < r_i], r_i the k-NN radius among all real rows.
    ``balls``: the same ``real`` rows' balls kept by a caller that measures many versions (the
    same figure without recomputing the real radii)."""
    uncertain = np.asarray(uncertain, dtype=bool)
    if uncertain.shape != (len(real),):
        raise ValueError("boundary coverage: one uncertainty flag per real row is needed")
    if not uncertain.any():
        return float("nan")
    if balls is not None and balls.k == k and len(balls.real) == len(real):
        return float(balls.counts(synthetic).real_covered[uncertain].mean())
    return float(prdc(real, synthetic, k=k).real_covered[uncertain].mean())
