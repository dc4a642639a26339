"""Tests for collectors.metrics.tails: brute-force counts, analytic Gaussian tails, and every error
path."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from collectors.metrics.tails import (
    CategoricalTails,
    TailFrequency,
    categorical_tails,
    numeric_tail_frequency,
    summarize_tails,
)

# ---------------------------------------------------------------------------------------------
# numeric_tail_frequency


def _brute_thresholds(column: np.ndarray, q: float) -> tuple[float, float]:
    """Largest real value with at most a share q strictly below; smallest with at most q above."""
    n = len(column)
    lower = max(v for v in column if sum(1 for w in column if w < v) <= q * n + 1e-9)
    upper = min(v for v in column if sum(1 for w in column if w > v) <= q * n + 1e-9)
    return float(lower), float(upper)


def test_numeric_matches_brute_force_on_ties_and_continuous_columns() -> None:
    rng = np.random.default_rng(3)
    real = np.column_stack(
        [rng.normal(size=400), rng.integers(0, 6, size=400), rng.exponential(size=400)]
    )
    synthetic = np.column_stack(
        [rng.normal(0.2, 1.3, size=250), rng.integers(-1, 5, size=250), rng.exponential(size=250)]
    )
    results = numeric_tail_frequency(
        real, synthetic, features=["a", "b", "c"], quantiles=(0.05, 0.01, 0.0025)
    )
    assert [(r.feature, r.q) for r in results] == [
        (f, q) for f in "abc" for q in (0.05, 0.01, 0.0025)
    ]
    for result in results:
        j = "abc".index(result.feature)
        real_col, syn_col = list(real[:, j]), list(synthetic[:, j])
        lower, upper = _brute_thresholds(real_col, result.q)
        exp_lower = sum(1 for v in real_col if v < lower) / len(real_col)
        exp_upper = sum(1 for v in real_col if v > upper) / len(real_col)
        syn_lower = sum(1 for v in syn_col if v < lower) / len(syn_col)
        syn_upper = sum(1 for v in syn_col if v > upper) / len(syn_col)
        assert result.lower_threshold == lower
        assert result.upper_threshold == upper
        assert result.expected_lower_share == pytest.approx(exp_lower, abs=1e-15)
        assert result.expected_upper_share == pytest.approx(exp_upper, abs=1e-15)
        assert result.expected_lower_share <= result.q + 1e-12
        assert result.expected_upper_share <= result.q + 1e-12
        assert result.lower_share == pytest.approx(syn_lower, abs=1e-15)
        assert result.upper_share == pytest.approx(syn_upper, abs=1e-15)
        for share, expected, ratio in (
            (syn_lower, exp_lower, result.lower_ratio),
            (syn_upper, exp_upper, result.upper_ratio),
        ):
            if expected > 0:
                assert ratio == pytest.approx(share / expected, rel=1e-12)
            else:
                assert math.isnan(ratio)


def test_continuous_thresholds_are_the_order_statistics() -> None:
    real = np.arange(1000.0)[::-1].copy()  # 0..999, unsorted on purpose
    (result,) = numeric_tail_frequency(real, real, quantiles=(0.01,))
    assert result.feature == "0"
    assert (result.lower_threshold, result.upper_threshold) == (10.0, 989.0)
    assert result.expected_lower_share == result.expected_upper_share == 0.01
    assert result.lower_ratio == result.upper_ratio == 1.0
    # 0.29 * 100 = 28.999999999999996 in binary floating point; the order statistic is still 29.
    (result,) = numeric_tail_frequency(np.arange(100.0), np.arange(100.0), quantiles=(0.29,))
    assert (result.lower_threshold, result.upper_threshold) == (29.0, 70.0)
    assert result.expected_lower_share == result.expected_upper_share == 0.29


def test_shrunk_gaussian_matches_the_analytic_tail_ratio() -> None:
    # real ~ N(0, 1), synthetic ~ N(0, s^2): beyond the real q-quantile z_q the synthetic share is
    # Phi(z_q / s) per tail, so the ratio is Phi(z_q / s) / q (two tails: 2 Phi(z_q / s)).
    rng = np.random.default_rng(11)
    q = 0.01
    z = norm.ppf(q)
    real = rng.normal(size=(100_000, 1))
    for scale in (0.8, 1.5):
        synthetic = rng.normal(scale=scale, size=(200_000, 1))
        (result,) = numeric_tail_frequency(real, synthetic, quantiles=(q,))
        analytic = norm.cdf(z / scale) / q
        assert result.lower_ratio == pytest.approx(analytic, rel=0.25)
        assert result.upper_ratio == pytest.approx(analytic, rel=0.25)
        two_tail = result.lower_share + result.upper_share
        assert two_tail == pytest.approx(2 * norm.cdf(z / scale), rel=0.25)
        # Given the thresholds actually drawn, the expected ratio is known much more precisely.
        conditional = norm.cdf(result.lower_threshold / scale) / result.expected_lower_share
        assert result.lower_ratio == pytest.approx(conditional, rel=0.15)
    # Strong collapse (s = 0.5): analytic ratio Phi(2 z) / q ~ 2e-4, the tails are gone.
    synthetic = rng.normal(scale=0.5, size=(200_000, 1))
    (result,) = numeric_tail_frequency(real, synthetic, quantiles=(q,))
    assert norm.cdf(z / 0.5) / q < 1e-3
    assert result.lower_ratio < 0.01
    assert result.upper_ratio < 0.01


def test_identical_distributions_give_ratio_near_one_on_average() -> None:
    ratios = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        real = rng.normal(size=(5000, 2))
        synthetic = rng.normal(size=(5000, 2))
        for result in numeric_tail_frequency(real, synthetic, quantiles=(0.01,)):
            ratios.extend([result.lower_ratio, result.upper_ratio])
    # Expectation (k + 1) / (N + 1) / (k / N) = 1.02 at k = N q = 50; the mean of 80 ratios has a
    # standard error near 0.02.
    assert np.mean(ratios) == pytest.approx(1.0, abs=0.08)


def test_discrete_column_uses_the_real_share_not_q() -> None:
    real = np.array([0.0] * 3 + [1.0] * 94 + [2.0] * 3)
    synthetic = np.tile(real, 2)
    (result,) = numeric_tail_frequency(real, synthetic, quantiles=(0.05,))
    assert result.lower_threshold == result.upper_threshold == 1.0
    assert result.expected_lower_share == result.expected_upper_share == pytest.approx(0.03)
    assert result.lower_ratio == pytest.approx(1.0)  # dividing by q would give 0.6
    assert result.upper_ratio == pytest.approx(1.0)
    no_zeros = np.array([1.0] * 97 + [2.0] * 3)
    (result,) = numeric_tail_frequency(real, no_zeros, quantiles=(0.05,))
    assert result.lower_ratio == 0.0
    assert result.upper_ratio == pytest.approx(1.0)


def test_samples_on_the_threshold_do_not_count() -> None:
    real = np.arange(100.0)
    (result,) = numeric_tail_frequency(real, np.array([1.0, 98.0]), quantiles=(0.01,))
    assert (result.lower_threshold, result.upper_threshold) == (1.0, 98.0)
    assert result.lower_share == result.upper_share == 0.0
    (result,) = numeric_tail_frequency(real, np.array([0.5, 98.5, 50.0, 50.0]), quantiles=(0.01,))
    assert result.lower_share == result.upper_share == 0.25
    assert result.lower_ratio == result.upper_ratio == 25.0


def test_constant_column_and_too_few_rows_give_nan_ratios() -> None:
    rng = np.random.default_rng(0)
    real = np.column_stack([np.full(500, 3.0), rng.normal(size=500)])
    synthetic = rng.normal(size=(300, 2))
    constant, varying = numeric_tail_frequency(real, synthetic, quantiles=(0.01,))
    assert constant.expected_lower_share == constant.expected_upper_share == 0.0
    assert math.isnan(constant.lower_ratio) and math.isnan(constant.upper_ratio)
    assert constant.lower_share > 0.3  # the synthetic shares are still reported
    assert math.isfinite(varying.lower_ratio) and math.isfinite(varying.upper_ratio)

    small = rng.normal(size=(50, 1))  # N q = 0.05 and 0.5: nothing real beyond the extremes
    for result in numeric_tail_frequency(small, synthetic[:, :1], quantiles=(0.001, 0.01)):
        assert result.lower_threshold == small.min()
        assert result.upper_threshold == small.max()
        assert math.isnan(result.lower_ratio) and math.isnan(result.upper_ratio)


def test_numeric_nan_error_names_rows_and_features() -> None:
    real = np.zeros((10, 3))
    real[[2, 7], 1] = np.nan
    with pytest.raises(ValueError, match=r"real: 2 of 10 rows hold NaN or inf \(columns 'b'"):
        numeric_tail_frequency(real, np.zeros((5, 3)), features=["a", "b", "c"])
    synthetic = np.zeros((5, 3))
    synthetic[4, 2] = np.inf
    with pytest.raises(ValueError, match=r"synthetic: 1 of 5 rows .*columns 2; first rows 4"):
        numeric_tail_frequency(np.zeros((10, 3)), synthetic)


@pytest.mark.parametrize(
    ("real", "synthetic", "kwargs", "message"),
    [
        (np.zeros((0, 2)), np.zeros((3, 2)), {}, r"real: is empty \(0 rows\)"),
        (np.zeros((3, 2)), np.zeros((0, 2)), {}, r"synthetic: is empty"),
        (np.zeros((3, 0)), np.zeros((3, 0)), {}, r"real: has no feature columns"),
        (np.zeros((3, 2)), np.zeros((3, 3)), {}, r"dimension mismatch: real has 2 features"),
        (np.zeros((2, 2, 2)), np.zeros((3, 2)), {}, r"expected a 2-D array"),
        (np.zeros((3, 2)), np.zeros((3, 2)), {"features": ["a"]}, r"1 names given for 2 col"),
        (np.zeros((3, 2)), np.zeros((3, 2)), {"features": ["a", "a"]}, r"duplicate names \['a'"),
        (np.zeros((3, 2)), np.zeros((3, 2)), {"quantiles": ()}, r"at least one q"),
        (np.zeros((3, 2)), np.zeros((3, 2)), {"quantiles": (0.01, 0.5)}, r"\(0, 0.5\), got \[0.5"),
        (np.zeros((3, 2)), np.zeros((3, 2)), {"quantiles": (0.0,)}, r"got \[0.0\]"),
        (np.zeros((3, 2)), np.zeros((3, 2)), {"quantiles": (math.nan,)}, r"got \[nan\]"),
        ([["x", "y"]], np.zeros((3, 2)), {}, r"real: cannot be read as a numeric array"),
    ],
)
def test_numeric_rejects_bad_input(real, synthetic, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        numeric_tail_frequency(real, synthetic, **kwargs)


# ---------------------------------------------------------------------------------------------
# categorical_tails


def _brute_categorical(real: list, synthetic: list, threshold: float) -> dict:
    real_share = {c: real.count(c) / len(real) for c in set(real)}
    synthetic_share = {c: synthetic.count(c) / len(synthetic) for c in set(synthetic)}
    rare = {c for c, share in real_share.items() if share < threshold}
    real_mass = sum(real_share[c] for c in rare)
    synthetic_mass = sum(synthetic_share.get(c, 0.0) for c in rare)
    return {
        "rare": rare,
        "real_mass": real_mass,
        "synthetic_mass": synthetic_mass,
        "missing": {c for c in real_share if c not in synthetic_share},
    }


def test_categorical_matches_brute_force() -> None:
    rng = np.random.default_rng(5)
    categories = [f"c{i}" for i in range(40)]
    weights = np.r_[np.full(5, 0.17), np.full(35, 0.15 / 35)]
    real = list(rng.choice(categories, size=3000, p=weights / weights.sum()))
    synthetic = list(rng.choice(categories[:30], size=1000, p=weights[:30] / weights[:30].sum()))
    result = categorical_tails(real, synthetic, feature="colour", rare_threshold=0.02)
    brute = _brute_categorical(real, synthetic, 0.02)
    assert result.feature == "colour"
    assert set(result.rare_categories) == brute["rare"]
    assert len(result.rare_categories) == len(brute["rare"]) > 0
    assert result.real_rare_mass == pytest.approx(brute["real_mass"], rel=1e-12)
    assert result.synthetic_rare_mass == pytest.approx(brute["synthetic_mass"], rel=1e-12)
    assert result.rare_mass_ratio == pytest.approx(
        brute["synthetic_mass"] / brute["real_mass"], rel=1e-12
    )
    assert result.missing_categories == len(brute["missing"]) == 10
    assert set(result.missing) == brute["missing"]
    counts = Counter(real)
    shares = [counts[c] for c in result.rare_categories]
    assert shares == sorted(shares, reverse=True)


def test_missing_is_sorted_by_real_frequency_and_capped_at_20() -> None:
    # category i appears i + 1 times in the real sample; the synthetic sample keeps 0..4 only.
    real = [i for i in range(30) for _ in range(i + 1)]
    synthetic = [0, 1, 2, 3, 4] * 10
    result = categorical_tails(np.array(real), np.array(synthetic), feature="n")
    assert result.missing_categories == 25
    assert result.missing == tuple(range(29, 9, -1))
    assert all(isinstance(c, int) for c in result.missing)  # plain Python values, not numpy


def test_identical_categorical_sample_is_healthy() -> None:
    real = ["a"] * 980 + ["b"] * 5 + ["c"] * 5 + ["d"] * 10  # "d" at exactly 1 %: not rare
    result = categorical_tails(real, list(reversed(real)), feature="f")
    assert result.rare_categories == ("b", "c")
    assert result.real_rare_mass == pytest.approx(0.01)
    assert result.rare_mass_ratio == pytest.approx(1.0)
    assert result.missing_categories == 0 and result.missing == ()


def test_no_rare_categories_gives_nan_ratio_and_new_categories_are_ignored() -> None:
    result = categorical_tails(
        pd.Series(["x", "y"] * 50), ["x", "z", "z", "q"], feature="f", rare_threshold=0.01
    )
    assert result.rare_categories == ()
    assert result.real_rare_mass == 0.0 and result.synthetic_rare_mass == 0.0
    assert math.isnan(result.rare_mass_ratio)
    assert result.missing == ("y",)


def test_mixed_label_types_are_distinct_categories() -> None:
    real = ["1"] * 100 + [1] * 99 + [(1, 2)]  # str "1", int 1 and a tuple: three categories
    result = categorical_tails(real, ["1"] * 10, feature="mixed")
    assert result.rare_categories == ((1, 2),)
    assert result.missing == (1, (1, 2))
    assert result.rare_mass_ratio == 0.0


@pytest.mark.parametrize(
    ("real", "synthetic", "message"),
    [
        (["a", None, "b", None], ["a"], r"age: real_labels: 2 of 4 labels are missing"),
        (["a"], ["a", float("nan")], r"age: synthetic_labels: 1 of 2 labels are missing"),
        (np.array([1.0, np.nan, 2.0]), ["a"], r"age: real_labels: 1 of 3 .*first rows 1"),
        (pd.Series(["a", pd.NA]), ["a"], r"age: real_labels: 1 of 2"),
        ([], ["a"], r"age: real_labels: is empty"),
        (["a"], np.array([], dtype=object), r"age: synthetic_labels: is empty"),
        ([["a", "b"]], ["a"], r"age: real_labels: expected a 1-D array of labels, got 2-D"),
        ("abc", ["a"], r"expected a 1-D array of labels, got 0-D"),
    ],
)
def test_categorical_rejects_bad_labels(real, synthetic, message) -> None:
    with pytest.raises(ValueError, match=message):
        categorical_tails(real, synthetic, feature="age")


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.5, math.nan])
def test_categorical_rejects_bad_threshold(threshold) -> None:
    with pytest.raises(ValueError, match="rare_threshold must lie in"):
        categorical_tails(["a"], ["a"], feature="f", rare_threshold=threshold)


# ---------------------------------------------------------------------------------------------
# summarize_tails


def _tail(feature: str, q: float, lower: float, upper: float) -> TailFrequency:
    return TailFrequency(feature, q, 0.0, 1.0, 0.01, 0.01, 0.0, 0.0, lower, upper)


def _cat(real_mass: float, synthetic_mass: float, missing: int) -> CategoricalTails:
    ratio = synthetic_mass / real_mass if real_mass else math.nan
    return CategoricalTails("c", (), real_mass, synthetic_mass, ratio, missing, ())


def test_summary_matches_hand_computation() -> None:
    numeric = [
        _tail("a", 0.01, 0.5, 1.5),
        _tail("a", 0.001, 0.0, 9.0),  # other q: ignored
        _tail("b", 0.01, math.nan, 0.4),  # NaN skipped
        _tail("c", 0.01, math.nan, math.nan),
    ]
    categorical = [_cat(0.02, 0.01, 3), _cat(0.0, 0.0, 0), _cat(0.06, 0.03, 1)]
    summary = summarize_tails(numeric, categorical)
    assert summary == pytest.approx(
        {
            "tail_frequency_ratio": (0.5 + 1.5 + 0.4) / 3,
            "tail_frequency_ratio_min": 0.4,
            "tail_frequency_ratio_max": 1.5,
            "tail_sides_unsupported": 3.0,  # b's NaN side and both of c's
            "rare_category_mass_ratio": (0.01 + 0.03) / (0.02 + 0.06),
            "rare_category_mass": (0.01 + 0.0 + 0.03) / 3,
            "missing_categories": 4.0,
            "categories_lost": 0.0,
        }
    )
    at_001 = summarize_tails(numeric, [], q=0.001)
    assert at_001 == {
        "tail_frequency_ratio": 4.5,
        "tail_frequency_ratio_min": 0.0,
        "tail_frequency_ratio_max": 9.0,
        "tail_sides_unsupported": 0.0,
    }


def test_summary_skips_unsupported_sides() -> None:
    numeric = [
        _tail("a", 0.01, 0.5, 1.5),
        TailFrequency("b", 0.01, 0.0, 1.0, 0.01, 0.01, 0.0, 0.0, 0.0, 50.0, upper_supported=False),
    ]
    summary = summarize_tails(numeric, [])
    assert summary["tail_frequency_ratio_max"] == 1.5
    assert summary["tail_frequency_ratio_min"] == 0.0
    assert summary["tail_sides_unsupported"] == 1.0


def test_summary_omits_what_cannot_be_computed() -> None:
    assert summarize_tails([], []) == {}
    assert summarize_tails([_tail("a", 0.01, math.nan, math.nan)], []) == {
        "tail_sides_unsupported": 2.0
    }
    assert summarize_tails([_tail("a", 0.05, 1.0, 1.0)], []) == {}  # no result at q = 0.01
    assert summarize_tails([], [_cat(0.0, 0.0, 2)]) == {
        "missing_categories": 2.0,
        "categories_lost": 0.0,
    }


def test_summary_of_real_results_has_only_finite_values() -> None:
    rng = np.random.default_rng(1)
    real = np.column_stack([rng.normal(size=2000), np.zeros(2000)])
    numeric = numeric_tail_frequency(real, rng.normal(size=(1000, 2)))
    categorical = [categorical_tails(["a"] * 995 + ["b"] * 5, ["a"] * 100, feature="k")]
    summary = summarize_tails(numeric, categorical)
    assert set(summary) == {
        "tail_frequency_ratio",
        "tail_frequency_ratio_min",
        "tail_frequency_ratio_max",
        "tail_sides_unsupported",
        "rare_category_mass_ratio",
        "rare_category_mass",
        "missing_categories",
        "categories_lost",
    }
    assert all(math.isfinite(v) for v in summary.values())
    assert summary["tail_sides_unsupported"] == 2.0  # the constant column has no tails
    assert summary["rare_category_mass_ratio"] == 0.0
    assert summary["missing_categories"] == 1.0
    finite = [r for t in numeric if t.q == 0.01 for r in (t.lower_ratio, t.upper_ratio)]
    assert summary["categories_lost"] == 0.0  # "b" holds 0.5 % of the real rows: rare, not lost
    assert summary["tail_frequency_ratio"] == pytest.approx(np.nanmean(finite))


# ---------------------------------------------------------------------------------------------
# ties, support and lost categories (issue 11)


def test_a_tied_column_has_no_tail_and_cannot_explode() -> None:
    """A pixel that is 0 in 99 % of rows: no lower tail; a continuous generator is no excess."""
    rng = np.random.default_rng(5)
    real = np.where(rng.random(2000) < 0.995, 0.0, rng.uniform(1, 16, 2000))
    term = np.where(rng.random(2000) < 0.8, 60.0, 36.0)  # a loan term piled at 60 months
    synthetic = np.column_stack([rng.normal(0.5, 1.0, 1500), rng.normal(55, 10, 1500)])
    pixel, loan = numeric_tail_frequency(
        np.column_stack([real, term]), synthetic, features=["px", "term"], quantiles=(0.01,)
    )
    # Brute force: the share strictly beyond each threshold is about 1 / N or 0.
    assert pixel.expected_lower_share == 0.0 and not pixel.lower_has_tail
    assert loan.expected_upper_share == 0.0 and not loan.upper_has_tail
    assert loan.expected_lower_share == 0.0 and not loan.lower_has_tail
    assert math.isnan(loan.upper_ratio) and math.isnan(loan.lower_ratio)
    summary = summarize_tails([pixel, loan], [])
    assert summary.get("tail_frequency_ratio_max", 0.0) < 5.0
    assert summary["tail_sides_unsupported"] >= 3.0


def test_a_sparse_real_tail_below_half_of_q_is_no_tail() -> None:
    # 2 of 1000 real rows (0.2 %) lie beyond the 1 % threshold's tie pile: under 0.5 q.
    real = np.concatenate([np.full(2, -5.0), np.full(20, 0.0), np.linspace(1, 10, 978)])
    (result,) = numeric_tail_frequency(real, np.linspace(-6, 10, 500), quantiles=(0.01,))
    assert result.expected_lower_share == pytest.approx(0.002)
    assert not result.lower_has_tail and math.isnan(result.lower_ratio)
    assert result.upper_has_tail and result.upper_supported is False  # 0.01 x 500 = 5 < 10


def test_a_category_is_lost_only_when_its_absence_is_not_chance() -> None:
    real = ["a"] * 900 + ["b"] * 80 + ["c"] * 15 + ["d"] * 5
    # 1000 synthetic rows: b (8 %) and c (1.5 %, 15 expected) missing are lost; d (0.5 %) is not.
    result = categorical_tails(real, ["a"] * 1000, feature="k")
    assert result.missing == ("b", "c", "d")
    assert result.lost == ("b", "c") and result.lost_categories == 2
    # At 200 synthetic rows c's 3 expected rows make its absence chance: only b (16) is lost.
    small = categorical_tails(real, ["a"] * 200, feature="k")
    assert small.lost == ("b",)
