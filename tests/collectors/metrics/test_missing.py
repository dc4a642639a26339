"""Tests for collectors.metrics.missing against independent computations (scipy, pandas)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from collectors.metrics import correlation_difference, ks_statistics, numeric_tail_frequency
from collectors.metrics.missing import (
    calendar_figures,
    calendar_parts,
    missing_figures,
    observed_numeric,
)


def test_observed_numeric_is_exact_on_complete_columns() -> None:
    rng = np.random.default_rng(0)
    real, synthetic = rng.normal(size=(500, 3)), rng.normal(size=(300, 3))
    ks, tails, correlation = observed_numeric(real, synthetic, ["a", "b", "c"])
    assert np.array_equal(ks, ks_statistics(real, synthetic))
    assert tails == numeric_tail_frequency(real, synthetic, features=["a", "b", "c"])
    assert correlation == correlation_difference(real, synthetic)


@pytest.mark.parametrize("loader", ["load_digits", "load_breast_cancer", "load_wine"])
def test_observed_numeric_tail_shares_from_sorted_columns_are_the_comparisons(loader: str) -> None:
    # Real tables (digits: integer pixels, many values exactly at the thresholds): the sample's
    # tail shares counted by binary search over its sorted columns are the row-by-row
    # comparisons' shares, bit for bit, with and without the reference's sorted columns.
    from sklearn import datasets

    data = getattr(datasets, loader)().data.astype(np.float64)
    real, synthetic = data[::2], data[1::2]
    names = [str(j) for j in range(data.shape[1])]
    for real_sorted in (None, np.asfortranarray(np.sort(real, axis=0))):
        ks, tails, _ = observed_numeric(real, synthetic, names, real_sorted=real_sorted)
        assert ks.tobytes() == ks_statistics(real, synthetic).tobytes()
        expected = numeric_tail_frequency(real, synthetic, features=names)
        assert len(tails) == len(expected)
        for got, want in zip(tails, expected, strict=True):
            assert repr(got) == repr(want)


def test_observed_numeric_uses_each_columns_observed_values() -> None:
    rng = np.random.default_rng(1)
    real, synthetic = rng.normal(size=(500, 2)), rng.normal(0.3, 1.0, size=(300, 2))
    real[::7, 0] = np.nan
    synthetic[::3, 1] = np.nan
    ks, tails, correlation = observed_numeric(real, synthetic, ["a", "b"])
    for j in range(2):
        r, s = real[:, j], synthetic[:, j]
        expected = ks_2samp(r[~np.isnan(r)], s[~np.isnan(s)]).statistic
        assert ks[j] == pytest.approx(expected, abs=1e-12)
    assert {t.feature for t in tails} == {"a", "b"}
    keep_r, keep_s = ~np.isnan(real).any(axis=1), ~np.isnan(synthetic).any(axis=1)
    assert correlation == correlation_difference(real[keep_r], synthetic[keep_s])
    synthetic[:, 1] = np.nan  # nothing observed: no KS, no tails for that column
    ks, tails, correlation = observed_numeric(real, synthetic, ["a", "b"])
    assert np.isnan(ks[1]) and {t.feature for t in tails} == {"a"} and correlation is None


def test_missing_figures_only_where_something_is_missing() -> None:
    out = missing_figures({"a": 0.0, "b": 0.1}, {"a": 0.0, "b": 0.0, "c": 0.2}, {"b": 0.05})
    assert out == {
        "b": {"missing_share": 0.0, "missing_expected": 0.1, "missing_holdout": 0.05},
        "c": {"missing_share": 0.2, "missing_expected": 0.0},
    }


def test_calendar_parts_match_pandas() -> None:
    rng = np.random.default_rng(2)
    stamps = pd.to_datetime(rng.integers(-(10**9), 3 * 10**9, 1000), unit="s")
    seconds = (stamps - pd.Timestamp("1970-01-01")).total_seconds().to_numpy()
    parts = calendar_parts(seconds)
    assert np.array_equal(parts["hour"], stamps.hour.to_numpy())
    assert np.array_equal(parts["weekday"], stamps.day_of_week.to_numpy())
    assert np.array_equal(parts["month"], stamps.month.to_numpy())


def test_calendar_figures_see_timestamps_collapse_into_one_month() -> None:
    rng = np.random.default_rng(3)
    start = pd.Timestamp("2022-01-01").timestamp()
    real = start + rng.uniform(0, 2 * 365 * 86400, 2000)
    healthy = start + rng.uniform(0, 2 * 365 * 86400, 500)
    collapsed = start + rng.uniform(0, 28 * 86400, 500)
    ok, bad = calendar_figures(real, healthy), calendar_figures(real, collapsed)
    months = pd.Series(pd.to_datetime(collapsed, unit="s").month)
    real_months = pd.Series(pd.to_datetime(real, unit="s").month)
    tv = 0.5 * (
        real_months.value_counts(normalize=True)
        .sub(months.value_counts(normalize=True), fill_value=0)
        .abs()
        .sum()
    )
    assert bad["calendar_tv_month"] == pytest.approx(tv)
    assert ok["calendar_tv_month"] < 0.1 < 0.8 < bad["calendar_tv_month"]
    assert bad["range_ratio"] < 0.05 < 0.9 < ok["range_ratio"]
    assert (
        ok["range_outside_share"] < 0.01
        and calendar_figures(real, real)["range_outside_share"] == 0
    )
    dates = np.floor(real / 86400) * 86400  # dates only: no hour figure
    assert "calendar_tv_hour" not in calendar_figures(dates, dates)
