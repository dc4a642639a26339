"""Utility probe: train on synthetic, test on real (TSTR) against train on real (TRTR).

Esteban et al. 2017 (arXiv 1706.02633, sec. 4.2) introduced "Train on Synthetic, Test on Real":
a model fitted on the synthetic sample and scored on real rows the generator never saw, against
the same model fitted on real rows (TRTR, Jordon et al. 2022, arXiv 2205.03257, sec. 5.1). The
model is fixed and fast (:data:`PINNED`: scikit-learn's histogram gradient boosting, Ke et al.
2017's LightGBM design, single-threaded and seeded) so that the figure changes with the data and
not with the model. Both sides train on the same number of rows, capped at
:data:`MAX_TRAIN_ROWS`: TRTR draws that many real rows, ``draws`` times, and the spread of those
draws is the healthy noise (a perfect generator is a fresh real sample of the same size).

Figures: classification: accuracy, balanced accuracy (mean per-class recall; Brodersen et al.
2010), ROC AUC (binary; one-vs-rest macro average for several classes, Hand and Till 2001
style averaging as scikit-learn's ``multi_class="ovr"``) and log loss (the mean negative log
probability of the true class, Good 1952, J. R. Stat. Soc. B 14(1), eq. 1 -- the cross-entropy
of Bishop 2006, eq. 4.108; probabilities clipped to [1e-15, 1]); regression: R^2 and MAE. The
``utility_ratio`` is TSTR / TRTR of the primary figure (balanced accuracy, or R^2); the
``utility_error_ratio`` is TSTR / TRTR of the error figure (log loss, or MAE; above 1 is worse),
which sees what R^2 and accuracy hide: a version that breaks how one column depends on another
can keep R^2 near the real level (the variance explained by the other features) while its
absolute error on real rows rises by half.

The target's class distribution in the version against the reference (:func:`class_mix`): real
classes lost (>= 1 % of the reference and >= 10 rows expected, as ``categories_lost``), and each
class's share ratio (version share over real share), bounded by :data:`SHARE_RATIO_CAP`.

Pure functions: numpy/pandas in, dataclasses out; no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

__all__ = [
    "ERROR",
    "MAX_TEST_ROWS",
    "MAX_TRAIN_ROWS",
    "PINNED",
    "ClassMix",
    "Task",
    "TrtrDraws",
    "UtilityResult",
    "auc_mann_whitney",
    "class_mix",
    "detect_task",
    "fit_and_score",
    "trtr_draws",
    "utility",
]

Task = Literal["classification", "regression"]

# The pinned model (scikit-learn HistGradientBoosting*): small, fixed, no early stopping, one
# thread (OpenMP threads on a busy 2-core machine cost 10x more than they save at this size).
PINNED: dict[str, int | float | bool] = {
    "max_iter": 30,
    "learning_rate": 0.15,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 20,
    "max_bins": 63,
    "l2_regularization": 0.0,
    "early_stopping": False,
}
MAX_TRAIN_ROWS = 2000  # both TSTR and TRTR train on at most this many rows (equal sizes)
MAX_TEST_ROWS = 2000  # real test rows scored
MAX_CLASSES_FOR_INTEGER = 20  # an integer target with at most this many values is a class label
SHARE_RATIO_CAP = 10.0  # class share ratios are bounded to [0, cap]
RARE_CLASS_SHARE = 0.01
MIN_EXPECTED_COUNT = 10.0
PRIMARY: dict[Task, str] = {"classification": "balanced_accuracy", "regression": "r2"}
ERROR: dict[Task, str] = {"classification": "log_loss", "regression": "mae"}
LOG_LOSS_EPS = 1e-15  # probabilities are clipped to [eps, 1] before the log (a class unseen in
# training gets probability 0 and costs -log(eps) = 34.5 per real row of that class)


def detect_task(target: pd.Series | np.ndarray) -> Task:
    """Classification for labels (strings, booleans, categories) and integers with at most
    :data:`MAX_CLASSES_FOR_INTEGER` distinct values (floats holding whole numbers included);
    regression otherwise."""
    series = pd.Series(target).dropna()
    if series.empty:
        raise ValueError("the target column has no values")
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return "classification"
    values = series.to_numpy(dtype=np.float64)
    whole = bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))
    if whole and series.nunique() <= MAX_CLASSES_FOR_INTEGER:
        return "classification"
    return "regression"


def auc_mann_whitney(positive: np.ndarray, negative: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic U / (n1 n0) (Hanley and McNeil 1982, eq. 1), ties
    counted one half: P(score of a positive > score of a negative) + 0.5 P(equal)."""
    positive = np.asarray(positive, dtype=np.float64)
    negative = np.asarray(negative, dtype=np.float64)
    n1, n0 = positive.size, negative.size
    if n1 == 0 or n0 == 0:
        return float("nan")
    scores = np.concatenate([positive, negative])
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    u = ranks[:n1].sum() - n1 * (n1 + 1) / 2.0
    return float(u / (n1 * n0))


def _model(task: Task, seed: int) -> HistGradientBoostingClassifier | HistGradientBoostingRegressor:
    cls = (
        HistGradientBoostingClassifier
        if task == "classification"
        else (HistGradientBoostingRegressor)
    )
    return cls(random_state=seed, **PINNED)


def _classification_scores(
    y_test: np.ndarray, proba: np.ndarray, n_classes: int
) -> dict[str, float]:
    """Accuracy, balanced accuracy, ROC AUC and log loss of class-probability columns
    0..n_classes-1 (log loss: -mean log p(true class), clipped at :data:`LOG_LOSS_EPS`)."""
    predicted = proba.argmax(axis=1)
    present = np.unique(y_test)
    recalls = [float(np.mean(predicted[y_test == c] == c)) for c in present]
    aucs = []
    for c in present if n_classes > 2 else present[1:]:
        inside = y_test == c
        if inside.all():
            continue
        aucs.append(auc_mann_whitney(proba[inside, c], proba[~inside, c]))
    truth = np.clip(proba[np.arange(y_test.size), y_test], LOG_LOSS_EPS, 1.0)
    return {
        "accuracy": float(np.mean(predicted == y_test)),
        "balanced_accuracy": float(np.mean(recalls)),
        "roc_auc": float(np.mean(aucs)) if aucs else float("nan"),
        "log_loss": float(-np.mean(np.log(truth))),
    }


def fit_and_score(
    task: Task,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    n_classes: int = 0,
    categorical: np.ndarray | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Fit the pinned model on the training rows and score it on the test rows.

    Classification labels are integer codes 0..n_classes-1 (classes missing from the training
    rows get probability 0; a single training class predicts it with certainty). Regression:
    ``r2`` (1 - SS_res / SS_tot) and ``mae``.
    """
    mask = None if categorical is None or not categorical.any() else categorical
    if task == "classification":
        seen = np.unique(y_train)
        proba = np.zeros((x_test.shape[0], n_classes))
        if seen.size == 1:
            proba[:, int(seen[0])] = 1.0
        else:
            with threadpool_limits(1):
                model = _model(task, seed).set_params(categorical_features=mask)
                model.fit(x_train, y_train)
                proba[:, model.classes_.astype(int)] = model.predict_proba(x_test)
        return _classification_scores(y_test, proba, n_classes)
    with threadpool_limits(1):
        model = _model(task, seed).set_params(categorical_features=mask)
        model.fit(x_train, y_train)
        predicted = model.predict(x_test)
    residual = float(np.sum((y_test - predicted) ** 2))
    total = float(np.sum((y_test - y_test.mean()) ** 2))
    return {
        "r2": 1.0 - residual / total if total > 0 else float("nan"),
        "mae": float(np.mean(np.abs(y_test - predicted))),
    }


@dataclass(frozen=True)
class UtilityResult:
    """TSTR and TRTR figures, their ratio on the primary figure, and the healthy spread.

    ``trtr`` is the mean over ``draws`` real training draws of the version's size and
    ``trtr_sd`` their standard deviation (ddof 1); ``ratio_sd`` the spread of draw / mean TRTR on
    the primary figure: how far a fresh real sample's ratio strays from 1. ``error_ratio`` and
    ``error_ratio_sd``: the same on the error figure (:data:`ERROR`: log loss, or MAE).
    """

    task: Task
    tstr: dict[str, float]
    trtr: dict[str, float]
    trtr_sd: dict[str, float]
    ratio: float
    ratio_sd: float
    train_rows: int
    test_rows: int
    error_ratio: float = float("nan")
    error_ratio_sd: float = 0.0

    def figures(self) -> dict[str, float]:
        """Catalog names: ``tstr_*``, ``trtr_*``, ``utility_ratio``, ``utility_error_ratio``."""
        out = {f"tstr_{k}": v for k, v in self.tstr.items()}
        out.update({f"trtr_{k}": v for k, v in self.trtr.items()})
        out["utility_ratio"] = self.ratio
        out["utility_error_ratio"] = self.error_ratio
        return out

    def healthy(self) -> tuple[dict[str, float], dict[str, float]]:
        """Healthy levels and spreads: a perfect generator's TSTR is the TRTR of a real draw."""
        levels = {f"tstr_{k}": v for k, v in self.trtr.items()}
        levels.update({f"trtr_{k}": v for k, v in self.trtr.items()})
        levels["utility_ratio"] = 1.0
        spread = {f"tstr_{k}": v for k, v in self.trtr_sd.items()}
        spread["utility_ratio"] = self.ratio_sd
        levels["utility_error_ratio"] = 1.0
        spread["utility_error_ratio"] = self.error_ratio_sd
        return levels, spread


@dataclass
class TrtrDraws:
    """Real-vs-real draws at one training size: scores per draw (cached by the caller)."""

    scores: list[dict[str, float]] = field(default_factory=list)

    def mean(self) -> dict[str, float]:
        return {k: float(np.nanmean([s[k] for s in self.scores])) for k in self.scores[0]}

    def sd(self) -> dict[str, float]:
        if len(self.scores) < 2:
            return {}
        return {k: float(np.nanstd([s[k] for s in self.scores], ddof=1)) for k in self.scores[0]}

    def ratio(self, tstr: dict[str, float], key: str) -> tuple[float, float]:
        """TSTR / mean TRTR of figure ``key``, and the spread of draw / mean TRTR (ddof 1; how
        far a fresh real sample's ratio strays from 1); NaN and 0 where the mean is not > 0."""
        anchor = self.mean()[key]
        if not anchor > 0:
            return float("nan"), 0.0
        draws = np.array([s[key] for s in self.scores])
        spread = float(np.std(draws / anchor, ddof=1)) if draws.size > 1 else 0.0
        return float(tstr[key] / anchor), spread


def trtr_draws(
    task: Task,
    x_real: np.ndarray,
    y_real: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    rows: int,
    *,
    draws: int,
    n_classes: int = 0,
    categorical: np.ndarray | None = None,
    seed: int = 0,
) -> TrtrDraws:
    """``draws`` fits on ``rows`` real rows each (without replacement where the real rows hold
    that many, else a bootstrap), scored on the same test rows."""
    rng = np.random.default_rng([seed, rows])
    out = TrtrDraws()
    replace = x_real.shape[0] < rows
    for i in range(draws):
        pick = rng.choice(x_real.shape[0], size=rows, replace=replace)
        out.scores.append(
            fit_and_score(
                task,
                x_real[pick],
                y_real[pick],
                x_test,
                y_test,
                n_classes=n_classes,
                categorical=categorical,
                seed=seed + i,
            )
        )
    return out


def utility(
    task: Task,
    x_synthetic: np.ndarray,
    y_synthetic: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    trtr: TrtrDraws,
    *,
    n_classes: int = 0,
    categorical: np.ndarray | None = None,
    seed: int = 0,
) -> UtilityResult:
    """TSTR of the synthetic rows against the TRTR draws of the same size (see module doc)."""
    tstr = fit_and_score(
        task,
        x_synthetic,
        y_synthetic,
        x_test,
        y_test,
        n_classes=n_classes,
        categorical=categorical,
        seed=seed,
    )
    mean, sd = trtr.mean(), trtr.sd()
    ratio, ratio_sd = trtr.ratio(tstr, PRIMARY[task])
    error_ratio, error_ratio_sd = trtr.ratio(tstr, ERROR[task])
    return UtilityResult(
        task,
        tstr,
        mean,
        sd,
        ratio,
        ratio_sd,
        x_synthetic.shape[0],
        x_test.shape[0],
        error_ratio,
        error_ratio_sd,
    )


@dataclass(frozen=True)
class ClassMix:
    """The target's classes in a version against the reference.

    ``lost``: real classes with share >= 1 % and >= 10 rows expected in the version that it
    does not hold (their absence is not chance; Shumailov et al. 2024, Nature: improbable events
    vanish first). ``share_ratio``: per real class, version share / real share, bounded to
    [0, :data:`SHARE_RATIO_CAP`] (1 when the mix holds). ``invented``: version rows whose class
    the reference does not have.
    """

    classes: tuple[str, ...]
    real_share: np.ndarray
    version_share: np.ndarray
    lost: tuple[str, ...]
    invented_rows: int
    rows: int

    @property
    def share_ratio(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(self.real_share > 0, self.version_share / self.real_share, 0.0)
        return np.minimum(ratio, SHARE_RATIO_CAP)

    def figures(self) -> dict[str, float]:
        ratio = self.share_ratio
        return {
            "classes_lost": float(len(self.lost)),
            "class_share_ratio_min": float(ratio.min()),
            "class_share_ratio_max": float(ratio.max()),
            "class_total_variation": float(
                0.5 * np.abs(self.version_share - self.real_share).sum()
                + 0.5 * self.invented_rows / max(1, self.rows)
            ),
        }


def class_mix(real: Sequence[object], version: Sequence[object]) -> ClassMix:
    """Class shares of ``version`` against ``real`` (labels compared as strings)."""
    real_labels = pd.Series(np.asarray(real, dtype=object)).dropna().astype(str)
    labels = pd.Series(np.asarray(version, dtype=object)).dropna().astype(str)
    if real_labels.empty:
        raise ValueError("the real target has no values")
    counts = real_labels.value_counts()
    classes = tuple(sorted(counts.index))
    real_share = np.array([counts[c] / len(real_labels) for c in classes])
    version_counts = labels.value_counts()
    m = len(labels)
    version_share = np.array([version_counts.get(c, 0) / m if m else 0.0 for c in classes])
    lost = tuple(
        c
        for c, r, v in zip(classes, real_share, version_share, strict=True)
        if v == 0 and r >= RARE_CLASS_SHARE and r * m >= MIN_EXPECTED_COUNT
    )
    invented = int(m - sum(version_counts.get(c, 0) for c in classes))
    return ClassMix(classes, real_share, version_share, lost, invented, m)
