"""The utility gate's error-based figures (issue 23): log loss and MAE of TSTR against TRTR,
their ratio, and ``utility_decline`` judging it.

The issue's case on a real table: statsmodels' Mauna Loa CO2 (weekly, 1958-2001, with its real
missing weeks). A version in which ``co2`` no longer depends on ``month`` (the months shuffled
within each year: every marginal, the year-month pairs and the trend kept) loses little R^2
(the trend explains nearly all the variance) but a model trained on it misses the seasonal
cycle: its absolute error on real rows more than doubles. The R^2 ratio stays above its limit;
the error ratio breaches, and the check names it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import log_loss, mean_absolute_error
from statsmodels import datasets

import tailwatch
from collectors.gates import PINNED, fit_and_score, trtr_draws, utility
from collectors.metrics.catalog import spec
from monitor.checks import (
    CheckResult,
    CheckThresholds,
    HealthyLevels,
    VersionFigures,
    evaluate_checks,
)
from tests.support.gates import World


def _xy(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return frame.drop(columns="target").to_numpy(float), frame["target"].to_numpy().astype(int)


def test_log_loss_equals_sklearn_on_the_same_probabilities(wine: World) -> None:
    x, y = _xy(wine.training)
    xt, yt = _xy(wine.holdout)
    scores = fit_and_score("classification", x, y, xt, yt, n_classes=3)
    proba = HistGradientBoostingClassifier(random_state=0, **PINNED).fit(x, y).predict_proba(xt)
    assert scores["log_loss"] == pytest.approx(log_loss(yt, proba, labels=[0, 1, 2]), rel=1e-9)


def test_a_class_missing_from_training_costs_the_clipped_log_loss(wine: World) -> None:
    x, y = _xy(wine.training)
    xt, yt = _xy(wine.holdout)
    keep = y != 2
    scores = fit_and_score("classification", x[keep], y[keep], xt, yt, n_classes=3)
    proba = np.zeros((len(yt), 3))
    model = HistGradientBoostingClassifier(random_state=0, **PINNED).fit(x[keep], y[keep])
    proba[:, :2] = model.predict_proba(xt)
    expected = -np.mean(np.log(np.clip(proba[np.arange(len(yt)), yt], 1e-15, 1.0)))
    assert scores["log_loss"] == pytest.approx(expected, rel=1e-12)
    assert scores["log_loss"] > np.mean(yt == 2) * 34.0  # -log(1e-15) per row of class 2


def test_error_ratio_is_tstr_over_mean_trtr_mae(cancer: World) -> None:
    frame = cancer.training
    x, y = (
        frame.drop(columns=["mean radius", "target"]).to_numpy(float),
        frame["mean radius"].to_numpy(float),
    )
    holdout = cancer.holdout
    xt = holdout.drop(columns=["mean radius", "target"]).to_numpy(float)
    yt = holdout["mean radius"].to_numpy(float)
    fresh = cancer.fresh
    xs = fresh.drop(columns=["mean radius", "target"]).to_numpy(float)
    ys = fresh["mean radius"].to_numpy(float)
    draws = trtr_draws("regression", x, y, xt, yt, len(ys), draws=4)
    result = utility("regression", xs, ys, xt, yt, draws)
    predicted = HistGradientBoostingRegressor(random_state=0, **PINNED).fit(xs, ys).predict(xt)
    tstr_mae = mean_absolute_error(yt, predicted)
    mean_trtr = np.mean([s["mae"] for s in draws.scores])
    assert result.tstr["mae"] == pytest.approx(tstr_mae)
    assert result.error_ratio == pytest.approx(tstr_mae / mean_trtr)
    ratios = np.array([s["mae"] for s in draws.scores]) / mean_trtr
    assert result.error_ratio_sd == pytest.approx(np.std(ratios, ddof=1))
    figures = result.figures()
    assert figures["utility_error_ratio"] == result.error_ratio
    assert spec("utility_error_ratio").target == 1.0 and spec("tstr_log_loss").goal == "minimize"
    levels, spread = result.healthy()
    assert levels["utility_error_ratio"] == 1.0
    assert spread["utility_error_ratio"] == result.error_ratio_sd


def _figures(name: str, ratio: float, error: float, noise: float = 0.02) -> VersionFigures:
    figures = {"utility_ratio": ratio, "utility_error_ratio": error, "tstr_mae": 2.0 * error}
    figures["trtr_mae"] = 2.0
    spread = {"utility_ratio": 0.01, "utility_error_ratio": noise}
    return VersionFigures(name, figures, 2000, 2000, spread=spread)


def _decline(versions: list[VersionFigures], **thresholds: float) -> CheckResult:
    results = evaluate_checks(versions, HealthyLevels({}), CheckThresholds(**thresholds))
    return next(r for r in results if r.check == "utility_decline")


def test_utility_decline_judges_the_error_ratio_and_names_it() -> None:
    base = _figures("v1", 1.0, 1.0)
    # Error up by half, score ratio as good as the baseline's: breached by the error ratio.
    found = _decline([base, _figures("v2", 0.99, 1.5)])
    assert found.breached[-1] is True and found.figure == "utility_error_ratio"
    assert found.value == 1.5 and found.limit == pytest.approx(1.25)
    assert "MAE TSTR/TRTR x1.50" in found.detail and "TSTR 3 vs TRTR 2" in found.detail
    # Below the factor: not breached, and value and limit are the score ratio's, as before.
    calm = _decline([base, _figures("v2", 0.99, 1.2)])
    assert calm.breached[-1] is False and calm.figure == "" and calm.value == 0.99
    # The factor is a threshold; the noise widens the limit (3 sigmas of the change).
    assert _decline([base, _figures("v2", 0.99, 1.2)], utility_error_factor=1.1).breached[-1]
    noisy = [_figures("v1", 1.0, 1.0, 0.2), _figures("v2", 0.99, 1.5, 0.2)]
    assert _decline(noisy).breached[-1] is False
    # The score ratio still decides alone: value and limit its own, the error named beside it.
    both = _decline([base, _figures("v2", 0.5, 1.5)])
    assert both.breached[-1] is True and both.figure == "" and both.value == 0.5
    assert "MAE TSTR/TRTR x1.50" in both.detail


def _co2() -> pd.DataFrame:
    raw = datasets.co2.load_pandas().data
    when = pd.DatetimeIndex(raw.index)
    return pd.DataFrame(
        {
            "year": when.year.astype(int),
            "month": when.month.astype(str).str.zfill(2),
            "co2": raw["co2"].to_numpy(),  # 59 weeks missing: the probe drops them
        }
    )


def test_a_version_losing_co2s_dependence_on_month_fails_by_mae_not_r2() -> None:
    frame = _co2()
    assert frame["co2"].isna().sum() > 0
    rng = np.random.default_rng(0)
    order = rng.permutation(len(frame))
    cuts = ((0, 900), (900, 1400), (1400, 1842), (1842, len(frame)))
    reference, holdout, baseline, fresh = (
        frame.iloc[np.sort(order[a:b])].reset_index(drop=True) for a, b in cuts
    )
    broken = fresh.copy()
    for rows in broken.groupby("year").groups.values():
        broken.loc[rows, "month"] = rng.permutation(broken.loc[rows, "month"].to_numpy())
    # Marginals and the year-month pairs are kept; only co2's relation to month is gone.
    assert (broken.groupby("year")["month"].value_counts().sort_index()).equals(
        fresh.groupby("year")["month"].value_counts().sort_index()
    )
    kwargs = {"holdout": holdout, "baseline": baseline, "target": "co2", "cache": False}
    found = tailwatch.evaluate(reference, broken, categorical=["month"], **kwargs)
    check = next(c for c in found.checks if c.check == "utility_decline")
    ratio_limit = 0.9 * found.history[-1].figures["utility_ratio"]
    assert found.figures["utility_ratio"] > ratio_limit  # R^2 barely moves ...
    assert found.figures["tstr_r2"] > 0.95
    assert found.figures["tstr_mae"] > 2 * found.figures["trtr_mae"]  # ... the error doubles
    assert check.breached[-1] is True and check.figure == "utility_error_ratio"
    assert "utility_decline" in found.breached
    # The same rows with their months: healthy.
    control = tailwatch.evaluate(reference, fresh, categorical=["month"], **kwargs)
    calm = next(c for c in control.checks if c.check == "utility_decline")
    assert calm.breached[-1] is False and abs(control.figures["utility_error_ratio"] - 1) < 0.2
