"""Per-sequence summaries, sequence PRDC, detection and the predictive score against pandas,
brute force and scikit-learn on small data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist
from sklearn.linear_model import Ridge

from collectors.sequences import prepare
from collectors.sequences.predictive import Forecaster, windows
from collectors.sequences.summaries import (
    Standardiser,
    sequence_detection,
    sequence_prdc,
    summaries,
)


def _ar_panel(seed: int, entities: int = 40, phi: float = 0.8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for e in range(entities):
        n = int(rng.integers(6, 30))
        x = np.zeros(n)
        x[0] = rng.normal()
        for t in range(1, n):
            x[t] = phi * x[t - 1] + rng.normal()
        state = np.where(x > 0.5, "high", np.where(x < -0.5, "low", "mid"))
        times = np.cumsum(rng.exponential(2.0, n))
        frames.append(pd.DataFrame({"id": f"e{seed}-{e}", "t": times, "x": x, "s": state}))
    return pd.concat(frames, ignore_index=True)


def test_summaries_equal_pandas_groupby() -> None:
    frame = _ar_panel(0)
    frame.loc[4, "x"] = np.nan
    prepared = prepare(frame, entity="id", time="t", numeric=["x"], categorical=["s"])
    got = summaries(prepared, ["x"], {"s": "mid"})
    rows = []
    for _, g in frame.sort_values(["id", "t"]).groupby("id"):
        x = g["x"].to_numpy()
        d = x - np.nanmean(x)
        lag = np.nansum(d[:-1] * d[1:]) / np.nansum(d * d)
        s = g["s"].to_numpy()
        gaps = np.log1p(np.diff(g["t"].to_numpy()))
        rows.append(
            [
                np.log(len(g)),
                np.nanmean(x),
                np.nanstd(x),
                lag,
                np.nanmean(np.abs(np.diff(x))),
                np.mean(s[1:] == s[:-1]),
                np.mean(s == "mid"),
                gaps.mean(),
                gaps.std(),
            ]
        )
    np.testing.assert_allclose(got, np.array(rows), rtol=1e-9, atol=1e-12)


def test_standardiser_puts_undefined_values_at_the_mean() -> None:
    matrix = np.array([[1.0, np.nan], [3.0, 2.0], [5.0, 4.0]])
    z = Standardiser.fit(matrix)(matrix)
    np.testing.assert_allclose(z[:, 0], (matrix[:, 0] - 3) / np.std(matrix[:, 0]))
    assert z[0, 1] == 0.0


def _brute_prdc(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    """Naeem et al. 2020 eqs. 1-4 straight from the distance matrices."""
    rr = np.sort(cdist(real, real), axis=1)[:, k]  # k-th neighbour besides itself
    ff = np.sort(cdist(fake, fake), axis=1)[:, k]
    d = cdist(real, fake)
    return {
        "sequence_precision": float(np.mean((d < rr[:, None]).any(axis=0))),
        "sequence_recall": float(np.mean((d < ff[None, :]).any(axis=1))),
        "sequence_density": float((d < rr[:, None]).sum() / (k * fake.shape[0])),
        "sequence_coverage": float(np.mean(d.min(axis=1) < rr)),
    }


def test_sequence_prdc_equals_brute_force() -> None:
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(80, 6)), rng.normal(0.5, 1.2, size=(60, 6))
    got = sequence_prdc(real, fake)
    for name, value in _brute_prdc(real, fake, 5).items():
        assert got[name] == pytest.approx(value), name
    assert sequence_prdc(real, fake[:5]) == {}  # too few sequences: not measured


def test_detection_at_chance_for_one_distribution_and_high_for_another() -> None:
    rng = np.random.default_rng(2)
    real = rng.normal(size=(300, 5))
    same = sequence_detection(real, rng.normal(size=(300, 5)), seed=0)
    apart = sequence_detection(real, rng.normal(1.5, 1.0, size=(300, 5)), seed=0)
    assert same is not None and apart is not None
    assert abs(same.auc - 0.5) < 0.1 and same.score < 0.1
    assert apart.auc > 0.9 and apart.score > 0.3
    assert sequence_detection(real, real[:4]) is None


def test_windows_equal_a_loop_and_ridge_mae_equals_sklearn() -> None:
    frame = _ar_panel(3, entities=12)
    prepared = prepare(frame, entity="id", time="t", numeric=["x"])
    mean, scale = np.array([0.2]), np.array([1.5])
    x, y = windows(prepared, ["x"], mean, scale, window=3)
    expected_x, expected_y = [], []
    for _, g in frame.sort_values(["id", "t"]).groupby("id"):
        z = (g["x"].to_numpy() - 0.2) / 1.5
        for t in range(3, len(z)):
            expected_x.append(z[t - 3 : t])
            expected_y.append([z[t]])
    np.testing.assert_allclose(x, np.array(expected_x))
    np.testing.assert_allclose(y, np.array(expected_y))
    reference = prepare(_ar_panel(4), entity="id", time="t", numeric=["x"])
    forecaster = Forecaster.fit(reference, prepared, ["x"])
    assert forecaster is not None
    rx, ry = windows(reference, ["x"], forecaster.mean, forecaster.scale)
    tx, ty = windows(prepared, ["x"], forecaster.mean, forecaster.scale)
    model = Ridge(alpha=1.0).fit(rx, ry)
    predicted = model.predict(tx).reshape(ty.shape)
    assert forecaster.real_mae == pytest.approx(np.mean(np.abs(predicted - ty)))


def test_predictive_ratio_near_one_for_same_process_and_high_for_white_noise() -> None:
    reference = prepare(_ar_panel(5, 80), entity="id", time="t", numeric=["x"])
    test = prepare(_ar_panel(6, 80), entity="id", time="t", numeric=["x"])
    forecaster = Forecaster.fit(reference, test, ["x"])
    assert forecaster is not None
    same = forecaster.figures(prepare(_ar_panel(7, 80), entity="id", time="t", numeric=["x"]))
    noise = forecaster.figures(
        prepare(_ar_panel(7, 80, phi=0.0), entity="id", time="t", numeric=["x"])
    )
    assert same["predictive_mae_ratio"] < 1.05
    assert noise["predictive_mae_ratio"] > 1.2
