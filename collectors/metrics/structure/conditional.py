"""Conditional structure: does a model trained on the version predict real rows as well as the
same model trained on real rows, column by column?

A per-column predictive audit (train on synthetic, test on real; Esteban et al. 2017, sec. 4.2,
against train on real, Jordon et al. 2022, sec. 5.1) for the columns the real data predicts well.
Error-based scores, because R^2 and accuracy saturate near 1 and hide a broken relation:
numeric columns: the mean absolute error over the MAE of the reference median (0: perfect,
1: no better than the median); categorical columns: the log loss (Good 1952) over the log loss of
the reference class shares, probabilities floored at :data:`PROBABILITY_FLOOR`. The figure of a
column is ``loss`` = error of the version-trained model - error of the real-trained model on the
same real test rows, in units of the baseline's error (0 for a version as good as real rows; 0.2:
the version's model lost a fifth of what the column's relations explain), and ``loss_ratio`` the
ratio of the two errors with the real error floored at :data:`ERROR_FLOOR` (a column the real
rows predict almost perfectly makes a bare ratio of two tiny errors explode). Which features'
influence changed: permutation importance (Breiman 2001, sec. 10; Fisher et al. 2019's model
reliance) of each model on the real test rows, the rise of the normalised error when one feature
is shuffled.
Models: seeded, single-threaded histogram gradient boosting (scikit-learn; Ke et al. 2017),
fitted with squared error (numeric columns; scored by the absolute error as above, the fit with
the absolute-error loss costs twice as much for the same signal) or log loss. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from collectors.metrics.structure._frame import (
    Columns,
    categorical_mask,
    check_columns,
    codes,
    encode,
    labels,
    numeric_values,
    reference_categories,
    split_columns,
)
from collectors.metrics.structure._native import BinCache, blockwise, hgb_model, one_thread

__all__ = [
    "AUDIT_MODEL",
    "ColumnAudit",
    "TargetScreen",
    "audit_column",
    "normalised_error",
    "screen_targets",
]

# 10 rounds at 0.4 (was 20 at 0.2, 30 at 0.15): a fit's cost is mostly per round (issue 23)
AUDIT_MODEL: dict[str, object] = {
    "max_iter": 10,
    "learning_rate": 0.4,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 20,
    "max_bins": 63,
    "early_stopping": False,
}
PROBABILITY_FLOOR = 1e-3  # log loss of a class the model gave no mass is at most log(1000)
MAX_ROWS = 2000  # training and test rows per model
MAX_TARGETS = 5  # audited columns
MAX_CLASSES = 20  # categorical columns with more labels are not audited
MIN_SKILL = 0.2  # 1 - normalised error of the real-trained model below this: not audited
IMPORTANCE_REPEATS = 2
IMPORTANCE_ROWS = 500  # real test rows the permutation importance is computed on
ERROR_FLOOR = 0.05  # normalised real error below this counts as this in ``loss_ratio``


@dataclass(frozen=True)
class TargetScreen:
    """How well the real data predicts one column (``skill`` = 1 - normalised error)."""

    column: str
    kind: str
    skill: float


@dataclass(frozen=True)
class ColumnAudit:
    """One column predicted on real test rows by a real-trained and a version-trained model."""

    column: str
    kind: str
    real_error: float  # normalised (see the module docstring)
    version_error: float
    loss: float  # version_error - real_error
    loss_ratio: float  # version_error / max(real_error, ERROR_FLOOR)
    importance_change: tuple[tuple[str, float], ...]  # version - real, largest |change| first
    real_importance: dict[str, float]
    version_importance: dict[str, float]


def _kinds(
    reference: pd.DataFrame,
    columns: Sequence[str] | Columns | None,
    categorical: Sequence[str] | None,
) -> Columns:
    if isinstance(columns, Columns):
        return columns
    return split_columns(reference, columns=columns, categorical=categorical)


def _target(
    frame: pd.DataFrame, column: str, kinds: Columns, classes: tuple[str, ...], source: str
) -> np.ndarray:
    if kinds.kind(column) == "numeric":
        return numeric_values(frame, column, source)
    return codes(labels(frame, column), classes)


def normalised_error(
    kind: str,
    y: np.ndarray,
    prediction: np.ndarray,
    baseline: np.ndarray | float,
) -> float:
    """Numeric: MAE(y, prediction) / MAE(y, baseline median). Categorical: log loss of the class
    probabilities ``prediction`` (n, classes + 1; the last column is "any other label"), floored at
    :data:`PROBABILITY_FLOOR` and renormalised, over the log loss of the baseline shares."""
    if kind == "numeric":
        keep = ~np.isnan(y)
        denominator = float(np.mean(np.abs(y[keep] - baseline)))
        error = float(np.mean(np.abs(y[keep] - prediction[keep])))
        return error / denominator if denominator > 0 else 0.0
    rows = np.arange(len(y))
    proba = np.maximum(prediction, PROBABILITY_FLOOR)
    proba /= proba.sum(axis=1, keepdims=True)
    shares = np.maximum(np.asarray(baseline, dtype=np.float64), PROBABILITY_FLOOR)
    shares /= shares.sum()
    denominator = float(-np.mean(np.log(shares[y])))
    error = float(-np.mean(np.log(proba[rows, y])))
    return error / denominator if denominator > 0 else 0.0


class _Problem:
    """One column as a prediction problem, encoded against the reference."""

    def __init__(
        self,
        reference: pd.DataFrame,
        column: str,
        kinds: Columns,
        seed: int,
        categories: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.column, self.kinds, self.seed = column, kinds, seed
        self.kind = kinds.kind(column)
        self.categories = (
            reference_categories(reference, kinds) if categories is None else categories
        )
        self.classes = self.categories.get(column, ())
        self.mask = categorical_mask(kinds, exclude=column)
        self.features = [n for n in kinds.names if n != column]
        y = _target(reference, column, kinds, self.classes, "reference")
        if self.kind == "numeric":
            self.baseline: np.ndarray | float = float(np.nanmedian(y))
        else:
            self.baseline = np.bincount(y, minlength=len(self.classes) + 1) / len(y)

    def data(self, frame: pd.DataFrame, source: str) -> tuple[np.ndarray, np.ndarray]:
        x = encode(frame, self.kinds, self.categories, source, exclude=self.column)
        y = _target(frame, self.column, self.kinds, self.classes, source)
        if self.kind == "numeric":
            keep = ~np.isnan(y)
            return x[keep], y[keep]
        return x, y

    def rows_of(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`data` from a frame's whole model matrix (:func:`encode` without ``exclude``,
        over the same categories): the same arrays, without encoding the frame again."""
        where = self.kinds.names.index(self.column)
        x = np.delete(matrix, where, axis=1)
        if self.kind == "numeric":
            y = matrix[:, where].copy()
            keep = ~np.isnan(y)
            return x[keep], y[keep]
        return x, matrix[:, where].astype(np.int64)  # the codes, stored exactly as floats

    def fit(self, x: np.ndarray, y: np.ndarray, bins: BinCache | None = None) -> object:
        """The pinned model fitted (category codes by numpy, training columns binned through
        ``bins`` when given: the stock model's fit and predictions, bit for bit;
        :mod:`collectors.metrics.structure._native`); squared error for a numeric column (2x
        faster than absolute error)."""
        if self.kind == "numeric":
            return hgb_model("regressor", self.mask, self.seed, AUDIT_MODEL, bins=bins).fit(x, y)
        if np.unique(y).size < 2:
            return _Constant(int(y[0]) if len(y) else 0)
        return hgb_model("classifier", self.mask, self.seed, AUDIT_MODEL, bins=bins).fit(x, y)

    def predict(self, model: Any, x: np.ndarray) -> np.ndarray:
        """``model``: what :meth:`fit` returned (an untyped scikit-learn estimator or _Constant)."""
        if self.kind == "numeric":
            return model.predict(x)
        out = np.zeros((len(x), len(self.classes) + 1))
        out[:, model.classes_] = model.predict_proba(x)
        return out

    def error(self, model: object, x: np.ndarray, y: np.ndarray) -> float:
        return normalised_error(self.kind, y, self.predict(model, x), self.baseline)

    def importance(
        self,
        model: object,
        x: np.ndarray,
        y: np.ndarray,
        *,
        repeats: int = IMPORTANCE_REPEATS,
    ) -> dict[str, float]:
        """Mean rise of the normalised error when each feature is shuffled (Breiman 2001,
        sec. 10: the error on permuted rows minus the error on intact rows), on a seeded draw of
        at most :data:`IMPORTANCE_ROWS` test rows with the same seeded permutations for every
        model. Every permuted copy is predicted in one call (what scikit-learn's
        ``permutation_importance`` computes, without its one model call per feature and repeat)."""
        rows = np.random.default_rng([self.seed, 4]).permutation(len(y))[:IMPORTANCE_ROWS]
        xs, ys = x[rows], y[rows]
        n, p = xs.shape
        if n == 0 or p == 0:
            return dict.fromkeys(self.features, 0.0)
        rng = np.random.default_rng([self.seed, 5])
        # The intact rows, then one copy per feature and repeat, written in place (one matrix).
        stacked = np.empty(((1 + p * repeats) * n, p), dtype=xs.dtype)
        stacked[:n] = xs
        blocks = stacked[n:].reshape(p * repeats, n, p)
        blocks[:] = xs
        for j in range(p):
            for r in range(repeats):
                blocks[j * repeats + r, :, j] = xs[rng.permutation(n), j]
        if isinstance(model, _Constant):
            predicted = self.predict(model, stacked)
        else:
            with blockwise(model, n):  # each tree predicts only the copies it can tell apart
                predicted = self.predict(model, stacked)
        base = normalised_error(self.kind, ys, predicted[:n], self.baseline)
        rises = np.array(
            [
                normalised_error(self.kind, ys, predicted[(1 + b) * n : (2 + b) * n], self.baseline)
                - base
                for b in range(p * repeats)
            ]
        ).reshape(p, repeats)
        means = rises.mean(axis=1)
        return {name: float(value) for name, value in zip(self.features, means, strict=True)}


@dataclass(frozen=True)
class _Constant:
    """A classifier for a training set with one class: all mass on it."""

    label: int

    @property
    def classes_(self) -> np.ndarray:
        return np.array([self.label])

    def fit(self, x: np.ndarray, y: np.ndarray) -> _Constant:
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.ones((len(x), 1))


def _pick(rows: int, limit: int, rng: np.random.Generator) -> np.ndarray | None:
    """``limit`` of ``rows`` row positions, sorted (None, and no draw, when all fit)."""
    if rows <= limit:
        return None
    return np.sort(rng.choice(rows, limit, replace=False))


def _rows(frame: pd.DataFrame, limit: int, rng: np.random.Generator) -> pd.DataFrame:
    picked = _pick(len(frame), limit, rng)
    return frame if picked is None else frame.iloc[picked]


def _matrix_rows(matrix: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    """:func:`_rows` of a frame's model matrix (the same draw)."""
    picked = _pick(len(matrix), limit, rng)
    return matrix if picked is None else matrix[picked]


def screen_targets(
    reference: pd.DataFrame,
    holdout: pd.DataFrame,
    *,
    columns: Sequence[str] | Columns | None = None,
    categorical: Sequence[str] | None = None,
    max_targets: int = MAX_TARGETS,
    min_skill: float = MIN_SKILL,
    max_rows: int = MAX_ROWS,
    seed: int = 0,
    candidates: Sequence[str] | None = None,
    bins: BinCache | None = None,
    real_sides: AuditMemo | None = None,
) -> list[TargetScreen]:
    """The columns real rows predict well: a real-trained model per column (of ``candidates``,
    default every column) scored on holdout rows; the ``max_targets`` of highest skill
    (>= ``min_skill``), best first. Needs the reference and holdout only, so a caller screens
    once per reference. Every fit trains on the same rows: ``bins`` (a cache the caller keeps)
    bins their columns once (the same models, bit for bit). ``real_sides``: when every
    reference and holdout row fits in ``max_rows``, each chosen column's model is the real side
    of :func:`audit_column` for versions of at least the reference's rows with the holdout as
    ``test`` (the same rows, arrays, seed and bins): kept there under its memo key."""
    kinds = _kinds(reference, columns, categorical)
    check_columns(holdout, kinds, "holdout")
    rng = np.random.default_rng(seed)
    train, test = _rows(reference, max_rows, rng), _rows(holdout, max_rows, rng)
    whole = train is reference and test is holdout  # no draw: the audits' real-side rows
    sides: dict[str, _RealSide] = {}
    screens: list[TargetScreen] = []
    if len(kinds.names) < 2:
        return screens
    # Both row sets encoded once; each column's problem takes its arrays from them (the arrays
    # of _Problem.data, see _Problem.rows_of).
    categories = reference_categories(reference, kinds)
    train_matrix = encode(train, kinds, categories, "reference")
    test_matrix = encode(test, kinds, categories, "holdout")
    with one_thread():
        for column in kinds.names if candidates is None else candidates:
            if kinds.kind(column) == "categorical" and len(set(labels(reference, column))) > (
                MAX_CLASSES
            ):
                continue
            problem = _Problem(reference, column, kinds, seed, categories)
            x, y = problem.rows_of(train_matrix)
            x_test, y_test = problem.rows_of(test_matrix)
            model = problem.fit(x, y, bins)
            error = problem.error(model, x_test, y_test)
            screens.append(TargetScreen(column, problem.kind, float(1.0 - error)))
            if whole and real_sides is not None:
                sides[column] = _RealSide(problem, model, x_test, y_test, error)
    chosen = [s for s in screens if s.skill >= min_skill]
    targets = sorted(chosen, key=lambda s: (-s.skill, s.column))[:max_targets]
    if real_sides is not None:
        for screen in targets:
            if screen.column in sides:
                real_sides[(screen.column, len(reference))] = sides[screen.column]
    return targets


@dataclass
class _RealSide:
    """The real-trained side of one audit, which does not depend on the version."""

    problem: _Problem
    model: object
    x_test: np.ndarray
    y_test: np.ndarray
    error: float
    importance: dict[str, float] | None = None


AuditMemo = dict[tuple[str, int], _RealSide]


def audit_column(
    reference: pd.DataFrame,
    test: pd.DataFrame,
    version: pd.DataFrame,
    column: str,
    *,
    columns: Sequence[str] | Columns | None = None,
    categorical: Sequence[str] | None = None,
    max_rows: int = MAX_ROWS,
    importance: bool = True,
    seed: int = 0,
    memo: AuditMemo | None = None,
    fitted: dict[str, object] | None = None,
    encoded: np.ndarray | None = None,
    bins: BinCache | None = None,
) -> ColumnAudit:
    """Predict ``column`` on real ``test`` rows with a model trained on the version and one
    trained on as many reference rows (at most ``max_rows``); compare their normalised errors and
    permutation importances (see the module docstring). ``test`` must hold rows neither side was
    trained on (a holdout). ``memo`` (a dict the caller keeps for one reference and test set)
    keeps the real side between versions of the same size; ``fitted`` (a dict the caller keeps
    for one version) the version-trained model, so that asking again with ``importance`` does
    not fit it twice. ``encoded``: the version's whole model matrix (:func:`encode` over
    :func:`reference_categories` of ``reference``, no column excluded), when the caller has it.
    ``bins``: a cache the caller keeps, so that the audits of one version (and the real sides)
    bin their shared training columns once (the same models, bit for bit)."""
    kinds = _kinds(reference, columns, categorical)
    if column not in kinds.names:
        raise ValueError(f"audit: {column!r} is not among the measured columns {kinds.names}")
    check_columns(test, kinds, "test")
    check_columns(version, kinds, "version")
    rows = min(len(version), len(reference), max_rows)
    real = None if memo is None else memo.get((column, rows))
    with one_thread():
        if real is None:
            problem = _Problem(reference, column, kinds, seed)
            x_real, y_real = problem.data(
                _rows(reference, rows, np.random.default_rng([seed, 1])), "reference"
            )
            x_test, y_test = problem.data(
                _rows(test, max_rows, np.random.default_rng([seed, 3])), "test"
            )
            model = problem.fit(x_real, y_real, bins)
            real = _RealSide(problem, model, x_test, y_test, problem.error(model, x_test, y_test))
            if memo is not None:
                memo[(column, rows)] = real
        problem = real.problem
        version_model = None if fitted is None else fitted.get(column)
        if version_model is None:
            draw = np.random.default_rng([seed, 2])
            if encoded is None:
                x_version, y_version = problem.data(_rows(version, rows, draw), "version")
            else:
                if encoded.shape != (len(version), len(kinds.names)):
                    raise ValueError(f"encoded version: shape {encoded.shape}, {len(version)} rows")
                x_version, y_version = problem.rows_of(_matrix_rows(encoded, rows, draw))
            version_model = problem.fit(x_version, y_version, bins)
            if fitted is not None:
                fitted[column] = version_model
        version_error = problem.error(version_model, real.x_test, real.y_test)
        real_importance: dict[str, float] = {}
        version_importance: dict[str, float] = {}
        if importance:
            if real.importance is None:
                real.importance = problem.importance(real.model, real.x_test, real.y_test)
            real_importance = real.importance
            version_importance = problem.importance(version_model, real.x_test, real.y_test)
    change = sorted(
        ((n, version_importance[n] - real_importance[n]) for n in real_importance),
        key=lambda item: (-abs(item[1]), item[0]),
    )
    real_error = real.error
    ratio = version_error / max(real_error, ERROR_FLOOR)
    return ColumnAudit(
        column=column,
        kind=problem.kind,
        real_error=real_error,
        version_error=version_error,
        loss=float(version_error - real_error),
        loss_ratio=float(ratio),
        importance_change=tuple(change),
        real_importance=real_importance,
        version_importance=version_importance,
    )
