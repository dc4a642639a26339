"""Within-sequence autocorrelation and transitions against statsmodels, pandas and brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm  # type: ignore[import-untyped]
from statsmodels.tsa.stattools import acf  # type: ignore[import-untyped]

from collectors.sequences import calendar, prepare
from collectors.sequences.autocorr import autocorr_shift, autocorrelation, cross_lag
from collectors.sequences.generators import shuffle_within
from collectors.sequences.transitions import states, transition_counts, transition_shift


def _panel(seed: int, entities: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for e in range(entities):
        n = int(rng.integers(8, 40))
        x = np.zeros(n)
        for t in range(1, n):
            x[t] = 0.7 * x[t - 1] + rng.normal()
        y = np.concatenate([[0.0], x[:-1]]) + 0.3 * rng.normal(size=n) + 5 * e  # y follows x
        state = np.where(x > 0, "up", "down")
        frames.append(
            pd.DataFrame({"id": e, "t": np.arange(n), "x": x + 10 * e, "y": y, "s": state})
        )
    return pd.concat(frames).sample(frac=1.0, random_state=seed)  # rows out of order


def test_single_sequence_equals_statsmodels_acf() -> None:
    x = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy()
    frame = pd.DataFrame({"id": 0, "t": np.arange(x.size), "x": x})
    prepared = prepare(frame, entity="id", time="t", numeric=["x"])
    expected = acf(x, nlags=5, adjusted=False, fft=False)[1:]
    np.testing.assert_allclose(autocorrelation(prepared, "x", 5), expected, rtol=1e-10)


def test_pooled_acf_equals_brute_force_over_entities() -> None:
    frame = _panel(0)
    frame.loc[frame.index[5], "x"] = np.nan  # a missing value: dropped pairwise
    prepared = prepare(frame, entity="id", time="t", numeric=["x", "y"])
    ordered = frame.sort_values(["id", "t"])
    for lag in (1, 3):
        numerator = denominator = 0.0
        for _, group in ordered.groupby("id"):
            d = (group["x"] - group["x"].mean()).to_numpy()  # pandas mean skips NaN
            denominator += np.nansum(d * d)
            products = d[:-lag] * d[lag:]
            numerator += np.nansum(products)
        assert autocorrelation(prepared, "x", 3)[lag - 1] == pytest.approx(numerator / denominator)


def test_entity_levels_do_not_count_as_carry_over() -> None:
    # Each entity constant-level plus white noise: per-entity demeaning sees no autocorrelation
    # (a global mean would see the levels as r near 1).
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {"id": np.repeat(np.arange(50), 20), "t": np.tile(np.arange(20), 50)}
    ).assign(x=lambda f: 10.0 * f["id"] + rng.normal(size=len(f)))
    prepared = prepare(frame, entity="id", time="t", numeric=["x"])
    assert abs(autocorrelation(prepared, "x", 1)[0]) < 0.1


def test_cross_lag_equals_brute_force() -> None:
    frame = _panel(2)
    prepared = prepare(frame, entity="id", time="t", numeric=["x", "y"])
    result = cross_lag(prepared, ["x", "y"])
    ordered = frame.sort_values(["id", "t"])
    dx = ordered["x"] - ordered.groupby("id")["x"].transform("mean")
    dy = ordered["y"] - ordered.groupby("id")["y"].transform("mean")
    ahead = dy.groupby(ordered["id"]).shift(-1)
    expected = float(np.nansum(dx * ahead)) / np.sqrt(np.sum(dx**2) * np.sum(dy**2))
    assert result[("x", "y")] == pytest.approx(expected)
    assert result[("x", "y")] > 0.5 > abs(result[("y", "x")])


def test_transition_counts_equal_pandas_crosstab() -> None:
    frame = _panel(3)
    prepared = prepare(frame, entity="id", time="t", categorical=["s"])
    kept = states(prepared, "s")
    counts = transition_counts(prepared, "s", kept)
    ordered = frame.sort_values(["id", "t"])
    following = ordered.groupby("id")["s"].shift(-1)
    table = pd.crosstab(ordered["s"], following).reindex(index=kept, columns=kept, fill_value=0)
    np.testing.assert_array_equal(counts, table.to_numpy())
    shifted = transition_shift("s", kept, counts, prepared)
    assert shifted is not None and shifted.tv == pytest.approx(0.0)
    p = table.to_numpy() / table.to_numpy().sum(axis=1, keepdims=True)
    np.testing.assert_allclose(shifted.reference, p)


def test_transition_tv_against_hand_computed_rows() -> None:
    ref = pd.DataFrame({"id": 0, "t": range(6), "s": list("aabbab")})
    ver = pd.DataFrame({"id": [0, 0, 0, 1, 1], "t": [0, 1, 2, 0, 1], "s": list("ababb")})
    r = prepare(ref, entity="id", time="t", categorical=["s"])
    v = prepare(ver, entity="id", time="t", categorical=["s"])
    kept = states(r, "s")  # ("a", "b") (3 each; ties by label)
    shifted = transition_shift("s", kept, transition_counts(r, "s", kept), v)
    # reference: a->a 1, a->b 2, b->b 1, b->a 1; version: a->b 2, b->a 1, b->b 1
    # row a: P_r (1/3, 2/3), P_v (0, 1): TV 1/3; row b: P_r (1/2, 1/2), P_v (1/2, 1/2): 0
    # weights: 3/5 leaving a, 2/5 leaving b
    assert shifted is not None and shifted.tv == pytest.approx(3 / 5 * 1 / 3)


def test_rhythm_tv() -> None:
    a = calendar.rhythm(np.array([0, 0, 1, 6]), 7)
    b = calendar.rhythm(np.array([6, 6]), 7)
    assert calendar.rhythm_tv(a, b) == pytest.approx(0.5 * (0.5 + 0.25 + 0.75))


def test_cross_lag_on_real_grunfeld_and_its_loss_when_shuffled() -> None:
    firms = sm.datasets.grunfeld.load_pandas().data.assign(year=lambda f: f["year"].astype(int))
    columns = ["invest", "value", "capital"]
    prepared = prepare(firms, entity="firm", time="year", numeric=columns)
    result = cross_lag(prepared, columns)
    ordered = firms.sort_values(["firm", "year"])
    d = {c: ordered[c] - ordered.groupby("firm")[c].transform("mean") for c in columns}
    for a in columns:
        for b in columns:
            if a != b:
                ahead = d[b].groupby(ordered["firm"]).shift(-1)
                expected = np.nansum(d[a] * ahead) / np.sqrt(np.sum(d[a] ** 2) * np.sum(d[b] ** 2))
                assert result[(a, b)] == pytest.approx(expected)
    assert result[("capital", "invest")] > 0.5  # last year's capital carries into investment
    acf = {c: autocorrelation(prepared, c) for c in columns}
    same = autocorr_shift(acf, result, prepared).figures()
    assert same["cross_lag_diff_max"] == 0 and same["autocorr_diff_max"] == 0
    shuffled = prepare(
        shuffle_within(firms, "firm", "year", seed=0), entity="firm", time="year", numeric=columns
    )
    assert autocorr_shift(acf, result, shuffled).figures()["cross_lag_diff_max"] > 0.4
