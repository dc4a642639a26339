"""collectors.metrics.structure.conditional against scikit-learn models and metrics built here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.inspection import permutation_importance
from sklearn.metrics import log_loss, mean_absolute_error
from threadpoolctl import threadpool_limits

from collectors.metrics.structure._frame import encode, reference_categories, split_columns
from collectors.metrics.structure.conditional import (
    AUDIT_MODEL,
    _Problem,
    audit_column,
    normalised_error,
    screen_targets,
)
from tests.collectors.metrics.structure.data import mixed


def test_normalised_errors_equal_sklearn_metrics() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=50)
    prediction = y + rng.normal(scale=0.3, size=50)
    expected = mean_absolute_error(y, prediction) / mean_absolute_error(y, np.full(50, 0.1))
    assert normalised_error("numeric", y, prediction, 0.1) == pytest.approx(expected)
    labels = rng.integers(0, 3, size=50)
    proba = rng.dirichlet([2, 2, 2, 1e-9], size=50)
    proba = np.maximum(proba, 1e-3)
    proba /= proba.sum(axis=1, keepdims=True)
    shares = np.array([0.5, 0.3, 0.2, 0.0])
    floored = np.maximum(shares, 1e-3) / np.maximum(shares, 1e-3).sum()
    expected = log_loss(labels, proba, labels=[0, 1, 2, 3]) / log_loss(
        labels, np.tile(floored, (50, 1)), labels=[0, 1, 2, 3]
    )
    assert normalised_error("categorical", labels, proba, shares) == pytest.approx(expected)


def _matrix(frame: pd.DataFrame) -> np.ndarray:
    """x, z and c's codes by reference frequency (a, b, c here): built without the module."""
    code = frame["c"].map({"a": 0, "b": 1, "c": 2}).to_numpy(dtype=float)
    return np.column_stack([frame["x"], frame["z"], code])


def test_audit_errors_equal_an_independent_model_and_mae() -> None:
    reference, test, version = mixed(500, 0), mixed(400, 1), mixed(500, 2, broken=True)
    audit = audit_column(reference, test, version, "y", importance=False, seed=4)
    median = float(np.median(reference["y"]))
    baseline = mean_absolute_error(test["y"], np.full(len(test), median))
    with threadpool_limits(1):
        for frame, error in ((reference, audit.real_error), (version, audit.version_error)):
            model = HistGradientBoostingRegressor(  # fitted by squared error, scored by MAE
                random_state=4,
                categorical_features=np.array([False, False, True]),
                **AUDIT_MODEL,
            ).fit(_matrix(frame), frame["y"])
            mae = mean_absolute_error(test["y"], model.predict(_matrix(test)))
            assert error == pytest.approx(mae / baseline, rel=1e-12)
    assert audit.loss_ratio == pytest.approx(audit.version_error / audit.real_error)
    assert audit.loss == pytest.approx(audit.version_error - audit.real_error)


def test_a_version_without_y_on_c_loses_and_names_c() -> None:
    reference, test = mixed(2000, 0), mixed(1000, 1)
    broken = audit_column(reference, test, mixed(2000, 2, broken=True), "y", seed=0)
    assert broken.loss_ratio > 1.5 and broken.loss > 0.2
    assert broken.importance_change[0][0] == "c"
    assert broken.importance_change[0][1] < -0.3  # c lost its influence
    healthy = audit_column(reference, test, mixed(2000, 3), "y", seed=0)
    assert 0.85 < healthy.loss_ratio < 1.15 and abs(healthy.loss) < 0.05


def test_a_categorical_target_is_audited_by_log_loss() -> None:
    reference, test = mixed(1500, 0), mixed(800, 1)
    healthy = audit_column(reference, test, mixed(1500, 3), "c", importance=False)
    broken = audit_column(reference, test, mixed(1500, 2, broken=True), "c", importance=False)
    assert healthy.kind == "categorical"
    assert 0 < healthy.real_error < 1
    assert broken.loss_ratio > healthy.loss_ratio + 0.3


def test_screen_picks_the_predictable_columns_only() -> None:
    screens = screen_targets(mixed(1500, 0), mixed(800, 1))
    names = [s.column for s in screens]
    assert "y" in names and "z" not in names
    assert all(s.skill >= 0.2 for s in screens)
    assert screens == sorted(screens, key=lambda s: -s.skill)


def test_an_unknown_target_is_named() -> None:
    with pytest.raises(ValueError, match="'w' is not among"):
        audit_column(mixed(50, 0), mixed(50, 1), mixed(50, 2), "w")


@pytest.mark.parametrize("column", ["y", "c"])
def test_batched_importance_matches_sklearn_permutation_importance(column: str) -> None:
    """One predict call for every permuted copy: the same expectation as scikit-learn's
    permutation_importance (different permutations, so compared over many repeats)."""
    reference, test = mixed(800, 0), mixed(400, 1)
    problem = _Problem(reference, column, split_columns(reference), 0)
    with threadpool_limits(1):
        model = problem.fit(*problem.data(reference, "reference"))
        x, y = problem.data(test, "test")
        ours = problem.importance(model, x, y, repeats=40)
        theirs = permutation_importance(
            model,
            x,
            y,
            scoring=lambda m, xs, ys: -problem.error(m, xs, ys),
            n_repeats=40,
            random_state=0,
        ).importances_mean
    expected = dict(zip(problem.features, theirs, strict=True))
    assert set(ours) == set(expected)
    for name, value in ours.items():
        assert value == pytest.approx(expected[name], abs=0.02 + 0.05 * abs(expected[name]))
    assert max(ours, key=ours.__getitem__) == max(expected, key=expected.__getitem__)


@pytest.mark.parametrize("column", ["y", "c"])
def test_an_audit_from_the_version_encoded_once_is_the_same(column: str) -> None:
    # The structure family encodes each version once for every audited column (issue 23's
    # cost): the audit must be the one from the frame, bit for bit, with a missing value in
    # the target and a draw of fewer rows than the version has.
    reference, test, version = mixed(300, 0), mixed(200, 1), mixed(450, 2, broken=True)
    version.loc[[5, 17], "y"] = np.nan
    version.loc[[8], "c"] = None
    columns = split_columns(reference)
    encoded = encode(version, columns, reference_categories(reference, columns), "version")
    plain = audit_column(reference, test, version, column, columns=columns, seed=4)
    once = audit_column(reference, test, version, column, columns=columns, seed=4, encoded=encoded)
    assert once == plain
