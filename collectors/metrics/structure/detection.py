"""Classifier two-sample test (C2ST, detection AUC): can a classifier tell the version's rows
from real rows?

Lopez-Paz and Oquab 2017 ("Revisiting Classifier Two-Sample Tests", ICLR, sec. 2): label real
rows 0 and version rows 1, train a classifier on part of the pooled rows and score it on the rest;
under equal distributions the held-out score sits at chance. Here the score is the ROC AUC
(SDMetrics' detection metrics report 1 - 2 max(AUC - 0.5, 0) of the same), cross-validated over
stratified folds: AUC_f on fold f, the figure is their mean. The classifier is a small, seeded,
single-threaded histogram gradient boosting model (scikit-learn; Ke et al. 2017's LightGBM
design) that handles mixed types (categorical codes) and missing values natively. Both sides are
drawn down to the same number of rows, at most ``max_rows``. Pure: frames in, numbers out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from collectors.metrics.structure._frame import (
    Columns,
    categorical_mask,
    check_columns,
    content_order,
    encode,
    reference_categories,
    split_columns,
)

__all__ = ["DETECTION_MODEL", "DetectionResult", "detection_auc", "detection_model"]

# Small and fixed: the figure should move with the data, not with the model.
DETECTION_MODEL: dict[str, object] = {
    "max_iter": 20,
    "learning_rate": 0.2,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 20,
    "max_bins": 63,
    "early_stopping": False,
}
MAX_ROWS = 2000  # rows per side
FOLDS = 2  # every row is scored once whatever the folds; 3 cost 1.4x the time of 2


@dataclass(frozen=True)
class DetectionResult:
    """Cross-validated detection AUC (0.5: indistinguishable, 1: every row told apart)."""

    auc: float
    fold_aucs: tuple[float, ...]
    rows_per_side: int

    def figures(self) -> dict[str, float]:
        return {"detection_auc": self.auc}


def detection_model(mask: np.ndarray, seed: int) -> HistGradientBoostingClassifier:
    """The pinned classifier; ``mask`` marks the categorical code columns."""
    categorical = mask if mask.any() else None
    return HistGradientBoostingClassifier(
        random_state=seed, categorical_features=categorical, **DETECTION_MODEL
    )


def detection_data(
    reference: pd.DataFrame,
    version: pd.DataFrame,
    columns: Columns,
    *,
    max_rows: int = MAX_ROWS,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled matrix, labels (0 real, 1 version) and categorical mask, equal rows per side,
    drawn with ``seed`` over each side in :func:`content_order` (so independent of the order
    the rows came in)."""
    check_columns(reference, columns, "reference")
    check_columns(version, columns, "version")
    rows = min(len(reference), len(version), max_rows)
    if rows < FOLDS:
        raise ValueError(f"detection needs at least {FOLDS} rows per side, got {rows}")
    # Rows drawn (and folded) in the order of their values, not of their positions: the AUC
    # is a figure of two sets of rows, the same whatever order a reader or sampler gave them in.
    real = reference.iloc[content_order(reference, columns, "reference")]
    synthetic = version.iloc[content_order(version, columns, "version")]
    rng = np.random.default_rng(seed)
    real = real.iloc[np.sort(rng.choice(len(real), rows, replace=False))]
    synthetic = synthetic.iloc[np.sort(rng.choice(len(synthetic), rows, replace=False))]
    categories = reference_categories(reference, columns)
    x = np.vstack(
        [
            encode(real, columns, categories, "reference"),
            encode(synthetic, columns, categories, "version"),
        ]
    )
    y = np.repeat([0, 1], rows)
    return x, y, categorical_mask(columns)


def detection_auc(
    reference: pd.DataFrame,
    version: pd.DataFrame,
    *,
    columns: Sequence[str] | Columns | None = None,
    categorical: Sequence[str] | None = None,
    max_rows: int = MAX_ROWS,
    folds: int = FOLDS,
    seed: int = 0,
) -> DetectionResult:
    """C2ST AUC (Lopez-Paz and Oquab 2017, sec. 2) of real vs version, mean over ``folds``
    stratified, shuffled (``seed``) folds; at most ``max_rows`` rows per side."""
    kinds = (
        columns
        if isinstance(columns, Columns)
        else split_columns(reference, columns=columns, categorical=categorical)
    )
    x, y, mask = detection_data(reference, version, kinds, max_rows=max_rows, seed=seed)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    aucs = []
    with threadpool_limits(1):
        for train, test in splitter.split(x, y):
            model = detection_model(mask, seed).fit(x[train], y[train])
            aucs.append(float(roc_auc_score(y[test], model.predict_proba(x[test])[:, 1])))
    return DetectionResult(float(np.mean(aucs)), tuple(aucs), len(y) // 2)
