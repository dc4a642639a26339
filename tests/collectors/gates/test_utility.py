"""The utility probe against independent computations on real data (scikit-learn's metrics)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
)

from collectors.gates import (
    auc_mann_whitney,
    class_mix,
    detect_task,
    fit_and_score,
    trtr_draws,
    utility,
)
from collectors.gates.utility import SHARE_RATIO_CAP
from collectors.sources.features import FeatureMap
from tests.support.gates import World


def _xy(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return frame.drop(columns="target").to_numpy(float), frame["target"].to_numpy().astype(int)


def test_task_detection_and_override_inputs() -> None:
    assert detect_task(pd.Series([0, 1, 1, 0])) == "classification"
    assert detect_task(pd.Series(["a", "b"])) == "classification"
    assert detect_task(pd.Series([True, False])) == "classification"
    assert detect_task(pd.Series([1.0, 2.0, 3.0])) == "classification"  # whole numbers, few
    assert detect_task(pd.Series(np.linspace(0, 1, 50))) == "regression"
    assert detect_task(pd.Series(np.arange(100))) == "regression"  # too many integers
    with pytest.raises(ValueError, match="no values"):
        detect_task(pd.Series([np.nan, np.nan]))


def test_auc_equals_sklearn_with_ties() -> None:
    rng = np.random.default_rng(3)
    pos = rng.integers(0, 5, 300).astype(float)  # many ties
    neg = rng.integers(0, 4, 200).astype(float)
    labels = np.r_[np.ones(300), np.zeros(200)]
    assert auc_mann_whitney(pos, neg) == pytest.approx(roc_auc_score(labels, np.r_[pos, neg]))


def test_scores_equal_sklearn_metrics_on_the_same_predictions(wine: World) -> None:
    x, y = _xy(wine.training)
    xt, yt = _xy(wine.holdout)
    scores = fit_and_score("classification", x, y, xt, yt, n_classes=3)
    from sklearn.ensemble import HistGradientBoostingClassifier

    from collectors.gates import PINNED

    model = HistGradientBoostingClassifier(random_state=0, **PINNED).fit(x, y)
    proba = model.predict_proba(xt)
    predicted = proba.argmax(axis=1)
    assert scores["accuracy"] == pytest.approx(accuracy_score(yt, predicted))
    assert scores["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(yt, predicted))
    assert scores["roc_auc"] == pytest.approx(
        roc_auc_score(yt, proba, multi_class="ovr", average="macro")
    )


def test_regression_scores_equal_sklearn(cancer: World) -> None:
    frame = cancer.training
    x = frame.drop(columns=["mean radius", "target"]).to_numpy(float)
    y = frame["mean radius"].to_numpy(float)
    test = cancer.holdout
    xt, yt = test.drop(columns=["mean radius", "target"]).to_numpy(float), test["mean radius"]
    scores = fit_and_score("regression", x, y, xt, yt.to_numpy(float))
    from sklearn.ensemble import HistGradientBoostingRegressor

    from collectors.gates import PINNED

    predicted = HistGradientBoostingRegressor(random_state=0, **PINNED).fit(x, y).predict(xt)
    assert scores["r2"] == pytest.approx(r2_score(yt, predicted))
    assert scores["mae"] == pytest.approx(mean_absolute_error(yt, predicted))
    assert scores["r2"] > 0.8  # radius is predictable from perimeter and area


def test_shuffled_synthetic_labels_are_at_chance_while_trtr_is_not(cancer: World) -> None:
    """TSTR on a version whose labels were shuffled: chance; TRTR on real rows: far above."""
    x_real, y_real = _xy(cancer.training)
    xt, yt = _xy(cancer.holdout)
    synthetic = cancer.fresh.copy()
    rng = np.random.default_rng(0)
    synthetic["target"] = rng.permutation(synthetic["target"].to_numpy())
    xs, ys = _xy(synthetic)
    draws = trtr_draws("classification", x_real, y_real, xt, yt, len(ys), draws=4, n_classes=2)
    result = utility("classification", xs, ys, xt, yt, draws, n_classes=2)
    # Chance: balanced accuracy 0.5, AUC 0.5; the Mann-Whitney null spread at 200 test rows
    # (about 0.04) with a margin.
    assert abs(result.tstr["roc_auc"] - 0.5) < 0.12
    assert abs(result.tstr["balanced_accuracy"] - 0.5) < 0.12
    assert result.trtr["roc_auc"] > 0.95 and result.trtr["balanced_accuracy"] > 0.88
    assert result.ratio < 0.65
    # The same version with its true labels is as useful as real data, within the healthy noise.
    honest = utility("classification", *_xy(cancer.fresh), xt, yt, draws, n_classes=2)
    assert abs(honest.ratio - 1.0) < max(0.06, 4 * result.ratio_sd)
    assert result.figures()["utility_ratio"] == result.ratio


def test_class_mix_lost_classes_and_bounded_ratio() -> None:
    real = np.repeat(["a", "b", "c", "d"], [500, 300, 195, 5])
    version = np.repeat(["a", "b", "z"], [900, 95, 5])
    mix = class_mix(real, version)
    # c is 19.5 % of the real rows: lost; d is 0.5 %: its absence is chance, not a loss.
    assert mix.lost == ("c",)
    ratios = dict(zip(mix.classes, mix.share_ratio, strict=True))
    assert ratios["a"] == pytest.approx(0.9 / 0.5)
    assert ratios["c"] == 0.0
    assert mix.invented_rows == 5
    figures = mix.figures()
    assert figures["classes_lost"] == 1.0
    # Total variation computed by hand over the union of labels.
    p = {"a": 0.5, "b": 0.3, "c": 0.195, "d": 0.005}
    q = {"a": 0.9, "b": 0.095, "z": 0.005}
    tv = 0.5 * sum(abs(p.get(c, 0) - q.get(c, 0)) for c in set(p) | set(q))
    assert figures["class_total_variation"] == pytest.approx(tv)
    flood = class_mix(real, np.repeat(["d", "a"], [900, 100]))
    assert flood.share_ratio.max() == SHARE_RATIO_CAP  # 0.9 / 0.005 = 180, bounded


def test_feature_map_columns_feed_the_probe(wine: World) -> None:
    """The probe's features are the feature map's input columns without the target."""
    fmap = FeatureMap.fit(wine.training)
    assert "target" in fmap.input_columns
