"""collectors.metrics.structure.pairs against scipy, least squares and the Bergsma formula."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency, spearmanr
from scipy.stats.contingency import association, crosstab

from collectors.metrics.structure._frame import split_columns
from collectors.metrics.structure.pairs import (
    correlation_ratio,
    cramers_v,
    dependence,
    pair_dependence,
    select_pairs,
    selected_dependence,
    spearman,
)
from tests.collectors.metrics.structure.data import mixed


@pytest.mark.parametrize("seed", range(5))
def test_spearman_equals_scipy_with_ties_and_missing_values(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 300))
    x = rng.integers(0, 6, size=n).astype(float)
    y = x + rng.normal(size=n).round(1)
    y[rng.random(n) < 0.1] = np.nan
    keep = ~np.isnan(y)
    expected = spearmanr(x[keep], y[keep]).statistic
    assert spearman(x, y) == pytest.approx(expected, abs=1e-12)


def test_spearman_of_a_constant_column_is_zero() -> None:
    assert spearman(np.ones(10), np.arange(10.0)) == 0.0


def _bergsma(a: np.ndarray, b: np.ndarray) -> float:
    table = crosstab(a, b).count
    n = table.sum()
    r, k = table.shape
    chi2 = chi2_contingency(table, correction=False).statistic
    phi2 = max(0.0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    r_t, k_t = r - (r - 1) ** 2 / (n - 1), k - (k - 1) ** 2 / (n - 1)
    return float(np.sqrt(phi2 / min(k_t - 1, r_t - 1)))


@pytest.mark.parametrize("seed", range(5))
def test_cramers_v_equals_the_bergsma_correction_of_scipys_chi2(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 500))
    a = rng.choice(["p", "q", "r", "s"], size=n)
    b = np.where(rng.random(n) < 0.6, a, rng.choice(["p", "q", "t"], size=n))
    assert cramers_v(a, b) == pytest.approx(_bergsma(a, b), rel=1e-12)


def test_cramers_v_is_one_for_identical_columns_and_below_the_plain_v() -> None:
    rng = np.random.default_rng(0)
    a = rng.choice(["u", "v", "w"], size=200)
    assert cramers_v(a, a) == pytest.approx(1.0)
    noise = rng.choice(["u", "v", "w"], size=200)
    plain = association(crosstab(a, noise).count, method="cramer")
    assert cramers_v(a, noise) < plain  # the bias correction shrinks chance association
    big = rng.choice(["u", "v", "w"], size=20_000)
    assert cramers_v(big, rng.choice(["u", "v"], size=20_000)) < 0.02


@pytest.mark.parametrize("seed", range(3))
def test_correlation_ratio_is_the_root_of_r2_on_category_dummies(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 200
    c = rng.choice(["a", "b", "c", "d"], size=n)
    y = rng.normal(size=n) + (c == "b") * 1.5
    dummies = pd.get_dummies(c).to_numpy(dtype=float)
    fitted = dummies @ np.linalg.lstsq(dummies, y, rcond=None)[0]
    r2 = 1 - np.sum((y - fitted) ** 2) / np.sum((y - y.mean()) ** 2)
    assert correlation_ratio(c, y) == pytest.approx(np.sqrt(r2), rel=1e-10)


def test_a_version_that_breaks_y_on_c_shows_the_pair() -> None:
    reference = mixed(3000, 0)
    result = pair_dependence(reference, mixed(2000, 1, broken=True))
    worst = result.worst(1)[0]
    assert {worst.first, worst.second} == {"y", "c"}
    assert worst.measure == "correlation_ratio"
    assert worst.reference > 0.7 and worst.version < 0.1
    assert result.figures()["dependence_difference_max"] > 0.6
    healthy = pair_dependence(reference, mixed(2000, 2))
    assert healthy.figures()["dependence_difference_max"] < 0.06


def test_matrix_is_symmetric_and_names_every_column() -> None:
    reference = mixed(500, 0)
    result = pair_dependence(reference, mixed(500, 1))
    for which in ("reference", "version", "difference"):
        matrix = result.matrix(which)
        np.testing.assert_array_equal(matrix, matrix.T)
        assert not np.isnan(matrix).any()
    assert result.columns == ("x", "y", "z", "c")
    xy = result.matrix("reference")[0, 1]
    assert xy == pytest.approx(spearmanr(reference["x"], reference["y"]).statistic)


def test_pairs_are_bounded_to_the_strongest_beyond_max_columns() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, 12)), columns=[f"f{i}" for i in range(12)])
    frame["f11"] = frame["f3"] + 0.1 * rng.normal(size=300)
    columns = split_columns(frame)
    assert len(select_pairs(frame, columns)) == 66
    chosen = select_pairs(frame, columns, max_columns=4)
    assert len(chosen) == 6 and chosen[0] == ("f3", "f11")
    values = dependence(frame, columns, chosen)
    assert np.all(np.abs(values[:-1]) >= np.abs(values[1:]) - 1e-15)
    # The selection's own values: the same pairs and the same dependence, bit for bit.
    for limit in (4, 20):
        pairs, kept = selected_dependence(frame, columns, max_columns=limit)
        assert pairs == select_pairs(frame, columns, max_columns=limit)
        np.testing.assert_array_equal(kept, dependence(frame, columns, pairs))


def test_a_missing_column_is_named() -> None:
    reference = mixed(100, 0)
    with pytest.raises(ValueError, match="version: no column 'c'"):
        pair_dependence(reference, reference.drop(columns="c"))


def test_cached_centred_ranks_give_each_pairs_spearman_bit_for_bit() -> None:
    """The wine table's numeric pairs (complete columns: ranked and centred once for all their
    pairs) against the pair-by-pair :func:`spearman` and scipy; a column with a missing value
    takes the pairwise path."""
    from sklearn.datasets import load_wine

    data = load_wine(as_frame=True).frame.drop(columns="target").iloc[:, :8].copy()
    data.iloc[3, 5] = np.nan
    columns = split_columns(data)
    pairs = select_pairs(data, columns)
    values = dependence(data, columns, pairs)
    one_by_one = [spearman(data[a].to_numpy(), data[b].to_numpy()) for a, b in pairs]
    np.testing.assert_array_equal(values, one_by_one)
    a, b = pairs[0]
    assert values[0] == pytest.approx(spearmanr(data[a], data[b]).statistic, abs=1e-12)


def test_average_ranks_equal_scipys_rankdata_with_ties() -> None:
    """Each row's average ranks, bit for bit: the digits' raw pixels (integers 0-16, most of
    them tied, some columns constant) and the same pixels jittered (no ties)."""
    from scipy.stats import rankdata
    from sklearn.datasets import load_digits

    from collectors.metrics.structure._ranks import average_ranks

    pixels = load_digits().data.T.copy()
    np.testing.assert_array_equal(average_ranks(pixels), rankdata(pixels, axis=1))
    jittered = pixels + np.random.default_rng(0).normal(scale=0.1, size=pixels.shape)
    np.testing.assert_array_equal(average_ranks(jittered), rankdata(jittered, axis=1))
    np.testing.assert_array_equal(average_ranks(pixels[:3, :1]), np.ones((3, 1)))


@pytest.mark.parametrize("rows", [3, 500, 1797])
def test_batched_spearman_equals_each_pairs_own_dot_product(rows: int) -> None:
    """Every pair of the digits' 64 pixel columns (ties, constant columns: rho 0) from one
    product of the centred rank matrix against the pair-by-pair :func:`spearman`, bit for bit,
    and against scipy; a column with a missing value takes the pairwise path."""
    from itertools import combinations

    from sklearn.datasets import load_digits

    frame = pd.DataFrame(load_digits().data[:rows], columns=[f"p{i}" for i in range(64)])
    if rows > 3:
        frame.iloc[7, 20] = np.nan
    columns = split_columns(frame)
    pairs = list(combinations(columns.names, 2))
    values = dependence(frame, columns, pairs)
    one_by_one = [spearman(frame[a].to_numpy(), frame[b].to_numpy()) for a, b in pairs]
    np.testing.assert_array_equal(values, one_by_one)
    assert (values == 0.0).sum() >= 63  # p0 is constant
    k = pairs.index(("p10", "p42"))
    expected = spearmanr(frame["p10"], frame["p42"]).statistic
    assert values[k] == pytest.approx(0.0 if np.isnan(expected) else expected, abs=1e-12)


def test_beyond_the_exact_rank_bound_the_pairs_are_dotted_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Above MAX_EXACT_RANK_ROWS rows (sums of rank products no longer exact) the pairs take the
    pair-by-pair path: the same values as below it on this small table."""
    from sklearn.datasets import load_wine

    from collectors.metrics.structure import _ranks

    data = load_wine(as_frame=True).frame.drop(columns="target")
    columns = split_columns(data)
    chosen = select_pairs(data, columns)
    batched = dependence(data, columns, chosen)
    assert _ranks.RankProducts({n: data[n].to_numpy(float) for n in data}, list(data)).index
    monkeypatch.setattr(_ranks, "MAX_EXACT_RANK_ROWS", 10)
    assert _ranks.RankProducts({n: data[n].to_numpy(float) for n in data}, list(data)).index == {}
    np.testing.assert_array_equal(dependence(data, columns, chosen), batched)


def test_mixed_pairs_with_per_column_codes_equal_the_pair_functions() -> None:
    """Every pair of a mixed table (the shared per-column codes, group codes and deviations of
    :func:`dependence`) against :func:`spearman`, :func:`cramers_v` and
    :func:`correlation_ratio` called pair by pair, bit for bit: wine's numeric columns, two of
    them binned into labels, the class as a label, and a numeric column with a missing value
    (the pairwise path)."""
    from itertools import combinations

    from sklearn.datasets import load_wine

    data = load_wine(as_frame=True)
    frame = data.frame.drop(columns="target").iloc[:, :6].copy()
    frame["cls"] = np.array(["a", "b", "c"])[data.target]
    frame["hue_bin"] = pd.qcut(data.frame["hue"], 4, labels=["h1", "h2", "h3", "h4"]).astype(str)
    frame["ash_bin"] = pd.qcut(data.frame["ash"], 3, labels=["s1", "s2", "s3"]).astype(str)
    frame.iloc[5, 2] = np.nan
    columns = split_columns(frame)
    assert columns.categorical == ("cls", "hue_bin", "ash_bin")
    pairs = list(combinations(columns.names, 2))
    expected = []
    for a, b in pairs:
        kinds = (a in columns.numeric, b in columns.numeric)
        if kinds == (True, True):
            expected.append(spearman(frame[a].to_numpy(), frame[b].to_numpy()))
        elif kinds == (False, False):
            expected.append(cramers_v(frame[a].to_numpy(), frame[b].to_numpy()))
        else:
            label, number = (b, a) if kinds[0] else (a, b)
            expected.append(correlation_ratio(frame[label].to_numpy(), frame[number].to_numpy()))
    np.testing.assert_array_equal(dependence(frame, columns, pairs), expected)
    from collectors.metrics.structure._frame import numeric_values

    numeric = {n: numeric_values(frame, n, "frame") for n in columns.numeric}
    given = dependence(frame, columns, pairs, numeric=numeric)
    assert given.tobytes() == dependence(frame, columns, pairs).tobytes()
    shifted = pair_dependence(
        frame, frame.iloc[::-1], columns=columns, pairs=pairs, version_numeric=None
    )
    reversed_numeric = {n: values[::-1].copy() for n, values in numeric.items()}
    again = pair_dependence(
        frame, frame.iloc[::-1], columns=columns, pairs=pairs, version_numeric=reversed_numeric
    )
    assert again == shifted


def test_average_ranks_of_real_columns_with_ties_and_signed_zeros() -> None:
    """The row-by-row gather and scatter of :func:`average_ranks` against scipy's rankdata, bit
    for bit, on wine's and breast cancer's columns (ties in most of them), a row of signed zeros
    (-0.0 ties 0.0) and one row only."""
    from scipy.stats import rankdata
    from sklearn.datasets import load_breast_cancer, load_wine

    from collectors.metrics.structure._ranks import average_ranks

    for matrix in (load_wine().data.T.copy(), load_breast_cancer().data.T.copy()):
        assert average_ranks(matrix).tobytes() == rankdata(matrix, axis=1).tobytes()
    zeros = np.random.default_rng(2).choice([-0.0, 0.0, 1.0, -1.0], (3, 400))
    assert average_ranks(zeros).tobytes() == rankdata(zeros, axis=1).tobytes()
    row = load_wine().data[:, :1].T.copy()
    assert average_ranks(row).tobytes() == rankdata(row, axis=1).tobytes()


def test_gram_in_blocks_equals_the_one_product() -> None:
    """The centred ranks' products summed over blocks of 64 rows equal the one product (the
    previous code) bit for bit: digits (1,797 rows, a ragged last block, constant columns),
    breast cancer and wine (ties), and fewer rows than one block."""
    from scipy.stats import rankdata
    from sklearn.datasets import load_breast_cancer, load_digits, load_wine

    from collectors.metrics.structure._ranks import GRAM_BLOCK_ROWS, single_threaded_gram

    assert 1797 % GRAM_BLOCK_ROWS
    for data in (load_digits().data, load_breast_cancer().data, load_wine().data[:40]):
        ranks = rankdata(data.T, axis=1)
        centred = ranks - ranks.mean(axis=1, keepdims=True)
        assert single_threaded_gram(centred).tobytes() == (centred @ centred.T).tobytes()
