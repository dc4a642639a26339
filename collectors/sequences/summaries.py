"""Whole sequences as points: a summary vector per entity, and the sequence-level fidelity and
detection measured on them. Pure: arrays in, numbers out.

A sequence's summary: log length; for each of the first :data:`MAX_SUMMARY_COLUMNS` numeric
columns its mean, standard deviation, lag-1 autocorrelation (the sequence's own, Box and Jenkins
1976, eq. 2.1.12) and mean absolute step; for each of the first categorical columns its share of
self-transitions (a state kept from one event to the next) and the share of its events in the
reference's most frequent state; the mean and standard deviation of log(1 + gap). Summaries are
standardised by the reference's (mean 0, sd 1; an undefined value, e.g. the autocorrelation of a
one-event sequence, sits at the reference's mean).

- Sequence PRDC: precision, recall, density and coverage (Naeem et al. 2020, ICML, eqs. 1-4) of
  the version's summaries against the reference's, with the project's engine
  (:func:`collectors.metrics.fidelity.prdc`, k = 5): whole sequences' modes dropped lower recall
  and coverage, implausible sequences lower precision.
- Sequence detection: the post-hoc discriminative score of TimeGAN (Yoon et al. 2019, NeurIPS,
  sec. 5) with the structure package's pinned classifier (its leaves allowed down to 1/20 of the
  training sequences, at least 3, since versions may hold a few dozen sequences where 20 rows
  per leaf would leave the model a constant) on the summaries instead of an RNN: real
  (reference) vs version sequences, equal counts, stratified 3-fold cross-validation; the AUC is
  the mean fold AUC (Lopez-Paz and Oquab 2017, sec. 2) and the discriminative score
  |accuracy - 0.5| of the out-of-fold predictions (Yoon et al.'s figure). An AUC well below 0.5
  means the version's sequences copy the reference's: a copy lands in a training fold with the
  other label and is predicted wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from collectors.metrics.fidelity import prdc
from collectors.metrics.structure.detection import DETECTION_MODEL
from collectors.sequences._frame import SequenceFrame

__all__ = [
    "MAX_SUMMARY_COLUMNS",
    "SequenceDetection",
    "Standardiser",
    "column_moments",
    "sequence_detection",
    "sequence_prdc",
    "summaries",
]

MAX_SUMMARY_COLUMNS = 8
MAX_SUMMARY_STATES = 4
PRDC_K = 5
DETECTION_FOLDS = 3
MAX_DETECTION_SEQUENCES = 2000  # per side
_MAX_LEAF = 20  # the pinned model's min_samples_leaf


def _per_entity(frame: SequenceFrame, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sums and counts of the observed ``values`` per entity."""
    observed = np.isfinite(values)
    owner = frame.owner[observed]
    sums = np.bincount(owner, weights=values[observed], minlength=frame.n_entities)
    return sums, np.bincount(owner, minlength=frame.n_entities).astype(np.float64)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _pairs(frame: SequenceFrame, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-entity sums and counts of a_t * b_{t+1} over observed successive pairs."""
    if frame.n_events < 2:
        zeros = np.zeros(frame.n_entities)
        return zeros, zeros
    products = a[:-1] * b[1:]
    keep = frame.same_entity(1) & np.isfinite(products)
    owner = frame.owner[:-1][keep]
    sums = np.bincount(owner, weights=products[keep], minlength=frame.n_entities)
    return sums, np.bincount(owner, minlength=frame.n_entities).astype(np.float64)


def summaries(
    frame: SequenceFrame,
    numeric: Sequence[str],
    top_states: dict[str, str],
) -> np.ndarray:
    """(entities, D) raw summaries (see the module docstring); ``top_states``: categorical
    column -> the reference's most frequent state (its first columns are used)."""
    columns: list[np.ndarray] = [np.log(frame.lengths.astype(np.float64))]
    for name in list(numeric)[:MAX_SUMMARY_COLUMNS]:
        x = frame.numeric[name]
        sums, counts = _per_entity(frame, x)
        mean = _ratio(sums, counts)
        d = x - mean[frame.owner]
        energy, _ = _per_entity(frame, d * d)
        lagged, _ = _pairs(frame, d, d)
        steps = np.abs(np.diff(x)) if x.size > 1 else np.zeros(0)
        step_sums, step_counts = _per_entity(
            frame, np.concatenate([[np.nan], np.where(frame.same_entity(1), steps, np.nan)])
        )
        columns += [
            mean,
            np.sqrt(_ratio(energy, counts)),
            _ratio(lagged, energy),
            _ratio(step_sums, step_counts),
        ]
    for name, top in list(top_states.items())[:MAX_SUMMARY_STATES]:
        labels = frame.categorical[name]
        same = np.zeros(frame.n_events)
        if frame.n_events > 1:
            same[1:] = np.where(frame.same_entity(1), labels[1:] == labels[:-1], np.nan)
        same[frame.starts] = np.nan
        kept, pairs = _per_entity(frame, same)
        in_top, counts = _per_entity(frame, (labels == top).astype(np.float64))
        columns += [_ratio(kept, pairs), _ratio(in_top, counts)]
    gaps = np.full(frame.n_events, np.nan)
    if frame.n_events > 1:
        gaps[1:] = np.where(frame.same_entity(1), np.diff(frame.time), np.nan)
    log_gaps = np.log1p(np.clip(gaps, 0, None))
    if np.isfinite(log_gaps).any():
        sums, counts = _per_entity(frame, log_gaps)
        mean = _ratio(sums, counts)
        energy, _ = _per_entity(frame, (log_gaps - mean[frame.owner]) ** 2)
        columns += [mean, np.sqrt(_ratio(energy, counts))]
    return np.column_stack(columns)


def column_moments(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and sd over finite values; a column without any sits at mean 0, sd 1 (and
    a constant one at sd 1), without numpy's empty-slice warnings."""
    finite = np.isfinite(matrix)
    counts = finite.sum(axis=0)
    values = np.where(finite, matrix, 0.0)
    mean = np.divide(values.sum(axis=0), counts, out=np.zeros(matrix.shape[1]), where=counts > 0)
    squares = np.where(finite, (matrix - mean) ** 2, 0.0).sum(axis=0)
    variance = np.divide(squares, counts, out=np.zeros(matrix.shape[1]), where=counts > 0)
    scale = np.sqrt(variance)
    return mean, np.where(scale > 0, scale, 1.0)


@dataclass(frozen=True)
class Standardiser:
    """The reference summaries' mean and sd; undefined values go to the mean (0)."""

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, matrix: np.ndarray) -> Standardiser:
        mean, scale = column_moments(matrix)
        return cls(mean, scale)

    def __call__(self, matrix: np.ndarray) -> np.ndarray:
        z = (matrix - self.mean) / self.scale
        return np.where(np.isfinite(z), z, 0.0)


def sequence_prdc(real: np.ndarray, version: np.ndarray, k: int = PRDC_K) -> dict[str, float]:
    """``sequence_precision/recall/density/coverage`` (empty when a side has k or fewer)."""
    if min(real.shape[0], version.shape[0]) <= k:
        return {}
    result = prdc(real, version, k=k)
    return {
        "sequence_precision": result.precision,
        "sequence_recall": result.recall,
        "sequence_density": result.density,
        "sequence_coverage": result.coverage,
    }


def _leaf(rows: int) -> int:
    """The classifier's smallest leaf for ``rows`` training sequences (see the module)."""
    return int(np.clip(rows // 20, 3, _MAX_LEAF))


@dataclass(frozen=True)
class SequenceDetection:
    """Mean fold AUC and |out-of-fold accuracy - 0.5| of real-vs-version sequence summaries."""

    auc: float
    score: float
    sequences_per_side: int

    def figures(self) -> dict[str, float]:
        return {"sequence_detection_auc": self.auc, "sequence_discriminative_score": self.score}


def sequence_detection(
    real: np.ndarray,
    version: np.ndarray,
    *,
    max_sequences: int = MAX_DETECTION_SEQUENCES,
    folds: int = DETECTION_FOLDS,
    seed: int = 0,
) -> SequenceDetection | None:
    """TimeGAN's discriminative score on summaries (see the module docstring); None when a side
    has fewer than 2 * ``folds`` sequences."""
    n = min(real.shape[0], version.shape[0], max_sequences)
    if n < 2 * folds:
        return None
    rng = np.random.default_rng([seed, 5])
    x = np.vstack(
        [
            real[np.sort(rng.choice(real.shape[0], n, replace=False))],
            version[np.sort(rng.choice(version.shape[0], n, replace=False))],
        ]
    )
    y = np.repeat([0, 1], n)
    predicted = np.zeros(y.shape[0])
    aucs = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with threadpool_limits(1):
        for train, test in splitter.split(x, y):
            settings = {**DETECTION_MODEL, "min_samples_leaf": _leaf(train.size)}
            model = HistGradientBoostingClassifier(random_state=seed, **settings)
            model.fit(x[train], y[train])
            p = model.predict_proba(x[test])[:, 1]
            predicted[test] = p
            aucs.append(float(roc_auc_score(y[test], p)))
    accuracy = float(np.mean((predicted > 0.5) == (y == 1)))
    return SequenceDetection(float(np.mean(aucs)), abs(accuracy - 0.5), n)
