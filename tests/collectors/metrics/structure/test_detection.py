"""collectors.metrics.structure.detection against scikit-learn's cross_val_score."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from threadpoolctl import threadpool_limits

from collectors.metrics.structure._frame import (
    content_order,
    encode,
    reference_categories,
    split_columns,
)
from collectors.metrics.structure.detection import (
    FOLDS,
    DetectionReference,
    binary_auc,
    detection_auc,
    detection_data,
    detection_model,
)
from tests.collectors.metrics.structure.data import mixed


def test_auc_equals_cross_val_score_of_the_same_model_and_folds() -> None:
    reference, version = mixed(400, 0), mixed(300, 1, broken=True)
    result = detection_auc(reference, version, seed=3)
    columns = split_columns(reference)
    x, y, mask = detection_data(reference, version, columns, seed=3)
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=3)
    assert FOLDS == len(result.fold_aucs) == 2  # every row scored once; 2 folds since issue 23
    with threadpool_limits(1):
        scores = cross_val_score(detection_model(mask, 3), x, y, cv=folds, scoring="roc_auc")
    np.testing.assert_allclose(result.fold_aucs, scores, rtol=1e-12)
    assert result.auc == pytest.approx(scores.mean())
    assert result.rows_per_side == 300


def test_fresh_real_rows_sit_near_chance_and_a_shifted_version_is_found() -> None:
    reference = mixed(2000, 0)
    assert abs(detection_auc(reference, mixed(1000, 5)).auc - 0.5) < 0.06
    shifted = mixed(1000, 6)
    shifted["z"] = shifted["z"] * 0.3
    assert detection_auc(reference, shifted).auc > 0.7


def test_too_few_rows_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least 2 rows"):
        detection_auc(mixed(100, 0), mixed(1, 1))


def test_the_auc_does_not_depend_on_the_order_rows_came_in() -> None:
    # A reservoir sample or a parallel read gives the same rows in another order (the daemon's
    # DuckDB sample vs the notebook's frame): the figure must not move. 150 rows per side are
    # drawn from 400 and 300, so the draw itself must not follow positions either.
    reference, version = mixed(400, 0), mixed(300, 1, broken=True)
    first = detection_auc(reference, version, max_rows=150, seed=3)
    shuffled = detection_auc(
        reference.sample(frac=1.0, random_state=1),
        version.sample(frac=1.0, random_state=2).astype({"c": "category"}),
        max_rows=150,
        seed=3,
    )
    assert shuffled.fold_aucs == first.fold_aucs
    assert detection_auc(reference, version, max_rows=150, seed=4).auc != first.auc


def test_content_order_sorts_rows_by_their_values_missing_last() -> None:
    frame = mixed(200, 7)
    frame.loc[[3, 50], "x"] = np.nan
    columns = split_columns(frame)
    order = content_order(frame, columns, "frame")
    expected = frame.sort_values(["x", "y", "z", "c"], kind="stable", na_position="last").index
    np.testing.assert_array_equal(order, expected.to_numpy())


def test_a_kept_reference_gives_detection_auc_for_every_version_and_size() -> None:
    # DetectionReference keeps the real draws, random states and folds per draw size and fits
    # the native-coded model: each version's result must be detection_auc's, bit for bit, in
    # any order of sizes, and with the version encoded once by the caller.
    reference = mixed(500, 0)
    reference.loc[[4, 9], "c"] = None  # a missing category
    columns = split_columns(reference)
    kept = DetectionReference(reference, columns, max_rows=300, seed=3)
    versions = [mixed(250, 1, broken=True), mixed(400, 2), mixed(60, 3), mixed(250, 4)]
    for version in versions + versions[::-1]:
        expected = detection_auc(reference, version, columns=columns, max_rows=300, seed=3)
        assert kept.measure(version) == expected
        ordered = version.iloc[content_order(version, columns, "version")]
        categories = reference_categories(reference, columns)
        encoded = encode(ordered, columns, categories, "version")
        assert kept.measure(ordered, encoded=encoded) == expected


def test_binary_auc_is_roc_auc_score_bit_for_bit() -> None:
    # The C2ST's AUC without scikit-learn's input checks: the same float for continuous scores,
    # heavy ties (a tree model's few distinct probabilities) and collinear runs of points.
    rng = np.random.default_rng(0)
    for trial in range(400):
        n = int(rng.integers(2, 400))
        labels = rng.integers(0, 2, n)
        labels[0], labels[-1] = 0, 1
        scores = [
            rng.random(n),
            np.round(rng.random(n), 1),
            rng.integers(0, 3, n).astype(float),
            1 / (1 + np.exp(-3 * rng.normal(size=n) - 2 * labels)),
        ][trial % 4]
        assert binary_auc(labels, scores) == roc_auc_score(labels, scores)
    with pytest.raises(ValueError, match="both labels"):
        binary_auc(np.zeros(5, dtype=int), rng.random(5))
