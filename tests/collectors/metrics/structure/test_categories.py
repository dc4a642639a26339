"""collectors.metrics.structure.categories against scipy.stats.binomtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from collectors.metrics.structure.categories import binomial_two_sided, category_shares


@pytest.mark.parametrize("n", [1, 7, 40, 2000])
@pytest.mark.parametrize("p", [0.014, 0.3, 0.5, 0.93])
def test_exact_p_value_equals_scipy_binomtest(n: int, p: float) -> None:
    for x in sorted({0, 1, n // 3, n // 2, round(n * p), n}):
        expected = binomtest(x, n, p, alternative="two-sided").pvalue
        assert binomial_two_sided(x, n, p) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def _frame(counts: dict[str, int], seed: int = 0) -> pd.DataFrame:
    labels = np.concatenate([[k] * v for k, v in counts.items()])
    return pd.DataFrame({"cls": np.random.default_rng(seed).permutation(labels)})


def test_a_rare_class_at_a_tenth_of_its_share_is_found() -> None:
    reference = _frame({"common": 5000, "mid": 4860, "rare": 140})  # rare: 1.4 %
    version = _frame({"common": 1000, "mid": 997, "rare": 3})  # 28 expected, 3 seen
    result = category_shares(reference, version)
    worst = result.worst(1)[0]
    assert (worst.column, worst.category, worst.observed) == ("cls", "rare", 3)
    assert worst.expected == pytest.approx(28.0)
    assert worst.ratio == pytest.approx(3 / 28)
    expected_p = binomtest(3, 2000, 0.014).pvalue
    assert worst.p_value == pytest.approx(expected_p, rel=1e-9)
    assert worst.adjusted_p_value == pytest.approx(min(1.0, 3 * expected_p), rel=1e-9)
    figures = result.figures()
    assert figures["category_share_p_min"] < 1e-6
    assert figures["categories_off_share"] == 1.0


@pytest.mark.parametrize("seed", range(5))
def test_fresh_real_rows_flag_no_category(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shares = [0.6, 0.25, 0.1, 0.036, 0.014]
    names = ["a", "b", "c", "d", "e"]
    reference = pd.DataFrame({"cls": rng.choice(names, p=shares, size=50_000)})
    version = pd.DataFrame({"cls": rng.choice(names, p=shares, size=2000)})
    assert category_shares(reference, version).figures()["categories_off_share"] == 0.0


def test_categories_expected_below_the_minimum_are_counted_not_tested() -> None:
    reference = _frame({"a": 990, "b": 10})
    result = category_shares(reference, _frame({"a": 100}))
    assert [s.category for s in result.tested] == ["a"]
    assert result.untested == 1


def test_numeric_columns_are_not_tested() -> None:
    frame = pd.DataFrame({"v": np.arange(100.0), "cls": ["a", "b"] * 50})
    result = category_shares(frame, frame)
    assert {s.column for s in result.tested} == {"cls"}
    assert result.figures()["category_share_p_min"] == 1.0


def _counts_frame(counts: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({"cls": np.concatenate([[k] * v for k, v in counts.items()])})


def test_shift_z_equals_the_moment_formula() -> None:
    from collectors.metrics.structure._frame import split_columns
    from collectors.metrics.structure.categories import category_share_shift

    baseline = [
        _counts_frame({"a": 300, "b": 700}),
        _counts_frame({"a": 500, "b": 500}),
        _counts_frame({"a": 400, "b": 600}),
    ]
    version = _counts_frame({"a": 150, "b": 850})
    shifts = category_share_shift(baseline, version, columns=split_columns(version))
    a = next(s for s in shifts if s.category == "a")
    shares = np.array([0.3, 0.5, 0.4])
    tau2 = max(0.0, shares.var(ddof=1) - np.mean(shares * (1 - shares) / 1000))
    noise = np.sqrt(0.4 * 0.6 / 1000 + tau2 + shares.var(ddof=1) / 3)
    assert a.z == pytest.approx((0.15 - 0.4) / noise)
    assert a.between_sd == pytest.approx(np.sqrt(tau2))
    assert shifts[0].category == "a"  # most negative first


@pytest.mark.parametrize("seed", range(3))
def test_shift_finds_a_thinned_class_and_not_a_fresh_version(seed: int) -> None:
    from collectors.metrics.structure._frame import split_columns
    from collectors.metrics.structure.categories import category_share_shift

    rng = np.random.default_rng(seed)
    names, shares = ["a", "b", "c", "d"], [0.6, 0.3, 0.086, 0.014]
    baseline = [pd.DataFrame({"cls": rng.choice(names, p=shares, size=2000)}) for _ in range(4)]
    columns = split_columns(baseline[0])
    fresh = pd.DataFrame({"cls": rng.choice(names, p=shares, size=2000)})
    assert all(abs(s.z) < 3 for s in category_share_shift(baseline, fresh, columns=columns))
    thinned = [0.6, 0.3, 0.0986, 0.0014]
    broken = pd.DataFrame({"cls": rng.choice(names, p=thinned, size=2000)})
    worst = category_share_shift(baseline, broken, columns=columns)[0]
    assert worst.category == "d" and worst.z < -3  # -3.6 to -4.8: tau is estimated from 4


def test_kept_reference_counts_give_the_same_shares() -> None:
    """The reference's counts computed once (:func:`reference_category_counts`, what a
    StructureReference keeps for every version and healthy draw) give the figures of counting
    them on every call: wine's class and a binned column, versions of 40 and 80 rows."""
    from sklearn.datasets import load_wine

    from collectors.metrics.structure._frame import split_columns
    from collectors.metrics.structure.categories import reference_category_counts

    data = load_wine(as_frame=True)
    frame = pd.DataFrame({"cls": np.array(["a", "b", "c"])[data.target]})
    frame["bin"] = pd.qcut(data.frame["hue"], 4, labels=["h1", "h2", "h3", "h4"]).astype(str)
    frame["x"] = data.frame["alcohol"]
    frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    reference = frame.iloc[:90]
    columns = split_columns(reference)
    kept = reference_category_counts(reference, columns)
    assert kept["cls"] == sorted(
        pd.Series(reference["cls"]).value_counts().items(), key=lambda i: (-i[1], i[0])
    )
    for version in (frame.iloc[90:130], frame.iloc[90:]):
        plain = category_shares(reference, version, columns=columns, min_expected=5)
        again = category_shares(
            reference, version, columns=columns, min_expected=5, reference_counts=kept
        )
        assert again == plain and plain.tested
