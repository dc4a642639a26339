"""Real rows for the structure family's tests: scikit-learn's breast cancer table (569 rows,
shipped with the package), seven measurements and the diagnosis as a category."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer

COLUMNS = [
    "mean radius",
    "mean texture",
    "mean perimeter",
    "mean smoothness",
    "mean compactness",
    "mean concavity",
    "mean symmetry",
    "diagnosis",
]
BROKEN = "mean radius"  # nearly a function of the perimeter (Spearman 0.99)


def cancer() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(reference, holdout, fresh): disjoint shuffled real rows (230, 190, 149)."""
    data = load_breast_cancer(as_frame=True).frame
    data["diagnosis"] = np.where(data["target"] == 0, "malignant", "benign")
    data = data[COLUMNS].sample(frac=1.0, random_state=0).reset_index(drop=True)
    return data.iloc[:230], data.iloc[230:420], data.iloc[420:].reset_index(drop=True)


def shuffled_within(frame: pd.DataFrame, column: str, by: str, seed: int) -> pd.DataFrame:
    """``column`` permuted within each category of ``by``: every marginal and the column's
    relation to ``by`` kept, its relations to the other columns within a category gone."""
    out = frame.copy()
    rng = np.random.default_rng(seed)
    for _, rows in out.groupby(by).groups.items():
        positions = out.index.get_indexer(rows)
        out.iloc[positions, out.columns.get_loc(column)] = rng.permutation(
            out[column].to_numpy()[positions]
        )
    return out
