"""collectors.metrics.structure._native: the histogram models without scikit-learn's per-call
ColumnTransformer fit and predict exactly as the stock models, on real data with category codes,
missing values and codes unseen in training; so do the models taking their training columns from
a shared :class:`BinCache` (the same thresholds and bin codes as scikit-learn's binning)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.ensemble._hist_gradient_boosting.binning import _find_binning_thresholds

from collectors.metrics.structure._native import (
    BinCache,
    NativeClassifier,
    NativeRegressor,
    binning_thresholds,
    blockwise,
    hgb_model,
)

MODEL = {"max_iter": 15, "learning_rate": 0.2, "max_leaf_nodes": 15, "early_stopping": False}


def _coded(x: np.ndarray, columns: list[int], rng: np.random.Generator) -> np.ndarray:
    """Some columns as category codes (quintiles of the real values, in a shuffled order, as
    float), a few values missing."""
    out = x.copy()
    for j in columns:
        edges = np.quantile(x[:, j], [0.2, 0.4, 0.6, 0.8])
        out[:, j] = rng.permutation(5)[np.searchsorted(edges, x[:, j])] * 3.0
    out[rng.random(out.shape) < 0.03] = np.nan
    return out


@pytest.mark.parametrize("loader", ["wine", "breast_cancer"])
def test_native_classifier_predicts_as_the_stock_one(loader: str) -> None:
    data = load_wine() if loader == "wine" else load_breast_cancer()
    rng = np.random.default_rng(0)
    x = _coded(data.data, [0, 3, 5], rng)
    mask = np.zeros(x.shape[1], dtype=bool)
    mask[[0, 3, 5]] = True
    train = rng.random(len(x)) < 0.6
    test = x[~train].copy()
    test[:5, 3] = 99.0  # a code never seen in training
    stock = HistGradientBoostingClassifier(random_state=1, categorical_features=mask, **MODEL)
    native = NativeClassifier(random_state=1, categorical_features=mask, **MODEL)
    stock.fit(x[train], data.target[train])
    native.fit(x[train], data.target[train])
    np.testing.assert_array_equal(native.predict_proba(test), stock.predict_proba(test))
    np.testing.assert_array_equal(native.is_categorical_, stock.is_categorical_)


def test_native_regressor_predicts_as_the_stock_one() -> None:
    data = load_wine()
    rng = np.random.default_rng(1)
    x = _coded(data.data[:, 1:], [2, 6], rng)
    mask = np.zeros(x.shape[1], dtype=bool)
    mask[[2, 6]] = True
    y = data.data[:, 0]
    stock = HistGradientBoostingRegressor(random_state=2, categorical_features=mask, **MODEL)
    native = NativeRegressor(random_state=2, categorical_features=mask, **MODEL)
    stock.fit(x[:120], y[:120])
    native.fit(x[:120], y[:120])
    np.testing.assert_array_equal(native.predict(x[120:]), stock.predict(x[120:]))
    assert native.predict(x[120:]).std() > 0  # a model that learned something


def test_too_many_categories_are_refused_like_the_stock_model() -> None:
    x = np.arange(400, dtype=float)[:, None] % 70
    native = NativeRegressor(categorical_features=np.array([True]), max_bins=63, **MODEL)
    with pytest.raises(ValueError, match="cardinality"):
        native.fit(x, np.arange(400.0))


def _same_trees(shared: object, stock: object) -> None:
    """The fitted models' bin thresholds and every tree's nodes, field by field."""
    a, b = shared._bin_mapper, stock._bin_mapper  # type: ignore[attr-defined]
    assert len(a.bin_thresholds_) == len(b.bin_thresholds_)
    for mine, theirs in zip(a.bin_thresholds_, b.bin_thresholds_, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(a.n_bins_non_missing_, b.n_bins_non_missing_)
    np.testing.assert_array_equal(a.is_categorical_, b.is_categorical_)
    assert a.missing_values_bin_idx_ == b.missing_values_bin_idx_
    for mine, theirs in zip(shared._predictors, stock._predictors, strict=True):  # type: ignore[attr-defined]
        for p, q in zip(mine, theirs, strict=True):
            np.testing.assert_array_equal(p.nodes, q.nodes)


@pytest.mark.parametrize("categorical", [False, True])
def test_shared_bins_fit_the_stock_models_column_after_column(categorical: bool) -> None:
    """Each column of breast cancer predicted from the others (as the target screening does),
    every model taking its columns from one cache: the stock model's trees and predictions bit
    for bit, and every column binned once (the cache's misses)."""
    data = load_breast_cancer()
    rng = np.random.default_rng(3)
    coded = [0, 4, 9] if categorical else []
    x = data.data[:, :12].copy()
    if categorical:
        x = _coded(x, coded, rng)
    numeric = [j for j in range(x.shape[1]) if j not in coded]
    targets = x[:, numeric[:6]]
    targets[np.isnan(targets)] = 1.0  # the targets complete: every fit trains on the same rows
    x[:, numeric[:6]] = targets
    if not categorical:
        x[rng.random(len(x)) < 0.05, 8] = np.nan  # missing values in a feature (never a target)
        x[:, 7] = np.round(x[:, 7], 2)  # few distinct values: midpoints instead of percentiles
    flags = np.zeros(x.shape[1], dtype=bool)
    flags[coded] = True
    train, test = x[:380], x[380:]
    bins = BinCache()
    for target in numeric[:6]:
        keep = [j for j in range(x.shape[1]) if j != target]
        rows = ~np.isnan(train[:, target])
        features, y = train[rows][:, keep], train[rows, target]
        mask = flags[keep]
        params = {**MODEL, "max_bins": 63}
        shared = hgb_model("regressor", mask, 5, params, bins=bins).fit(features, y)
        stock = HistGradientBoostingRegressor(
            random_state=5, categorical_features=mask if mask.any() else None, **params
        ).fit(features, y)
        _same_trees(shared, stock)
        np.testing.assert_array_equal(shared.predict(test[:, keep]), stock.predict(test[:, keep]))
    label = data.target[:380]
    shared_c = hgb_model("classifier", flags, 6, MODEL, bins=bins).fit(train, label)
    stock_c = HistGradientBoostingClassifier(
        random_state=6, categorical_features=flags if flags.any() else None, **MODEL
    ).fit(train, label)
    _same_trees(shared_c, stock_c)
    np.testing.assert_array_equal(shared_c.predict_proba(test), stock_c.predict_proba(test))
    # Six fits of 11 of the 12 columns on the same rows: 12 columns binned, 54 taken from the
    # cache; the classifier's 255 bins are another binning of all 12.
    assert (bins.misses, bins.hits) == (24, 54)


def test_bin_cache_keys_on_the_values_and_drops_the_oldest() -> None:
    bins = BinCache(limit=2)
    a, b, c = np.arange(10.0), np.arange(10.0) * 2, np.arange(10.0) * 3
    first = bins.column(a, 63, 0)
    assert bins.column(a.copy(), 63, 0) is first  # equal values: the same entry
    assert bins.column(a, 4, 0) is not first  # another bin count: another entry
    bins.column(b, 63, 0)
    bins.column(c, 63, 0)  # three entries past a limit of two: the oldest (a, 63) dropped
    assert bins.column(a, 63, 0) is not first
    np.testing.assert_array_equal(bins.column(a, 63, 0)[1], first[1])
    edges, codes = bins.column(np.array([2.0, 0.0, np.nan, 1.0]), 63, 3)
    np.testing.assert_array_equal(edges, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(codes, [2, 0, 63, 1])  # missing: the last bin


def _odd_columns(rng: np.random.Generator) -> np.ndarray:
    """Breast cancer's 30 columns and digits' first 64 pixels jittered (many distinct values),
    plus the awkward ones: missing values, few distinct values, a constant, signed zeros,
    infinities, ties at the percentiles."""
    cancer = load_breast_cancer().data[:500]
    digits = load_digits().data[:500]
    jittered = digits + rng.normal(0.0, 0.3, digits.shape)
    odd = np.column_stack(
        [
            np.where(rng.random(500) < 0.1, np.nan, cancer[:, 0]),  # missing values
            np.round(cancer[:, 1]),  # a few dozen distinct values: midpoints
            np.full(500, 2.5),  # constant: no thresholds
            rng.choice([-0.0, 0.0, 1.0], 500),  # signed zeros count as one value
            np.where(rng.random(500) < 0.05, np.inf, cancer[:, 2]),  # infinities
            np.where(rng.random(500) < 0.3, 7.0, cancer[:, 3]),  # ties at the percentiles
            np.where(rng.random(500) < 0.5, -np.inf, rng.normal(size=500)),
        ]
    )
    return np.column_stack([cancer, jittered, digits, odd])


@pytest.mark.parametrize("max_bins", [63, 255, 3])
def test_binning_thresholds_are_scikit_learns_bit_for_bit(max_bins: int) -> None:
    """All columns at once: each column's thresholds are ``_find_binning_thresholds``'s, the
    same bits (percentile columns, midpoint columns, missing values, infinities, ties)."""
    x = _odd_columns(np.random.default_rng(11))
    mine = binning_thresholds(x, max_bins)
    assert len(mine) == x.shape[1]
    for j, edges in enumerate(mine):
        theirs = _find_binning_thresholds(np.ascontiguousarray(x[:, j]), max_bins)
        assert edges.dtype == theirs.dtype and edges.shape == theirs.shape, j
        assert edges.tobytes() == theirs.tobytes(), j
    for rows in (x[:1], x[:2]):  # one row (no thresholds), two rows
        for j, edges in enumerate(binning_thresholds(rows, max_bins)):
            theirs = _find_binning_thresholds(np.ascontiguousarray(rows[:, j]), max_bins)
            assert edges.tobytes() == theirs.tobytes()


def test_fresh_bins_fit_the_stock_classifier_and_the_cache_binds_a_matrix_once() -> None:
    """A detection-like fit (real and jittered rows pooled) on a cache that keeps nothing: the
    stock classifier's trees and probabilities bit for bit; a cache that keeps columns bins
    a matrix's columns once (the second fit takes them all from it) and the codes are those of
    :meth:`BinCache.column`."""
    x = _odd_columns(np.random.default_rng(12))
    y = np.random.default_rng(13).integers(0, 2, len(x))
    y[x[:, 30] > np.median(x[:, 30])] = 1  # something to learn
    train, test = slice(0, 350), slice(350, None)
    params = {**MODEL, "max_bins": 63, "min_samples_leaf": 20}
    flags = np.zeros(x.shape[1], dtype=bool)
    stock = HistGradientBoostingClassifier(random_state=4, **params).fit(x[train], y[train])
    fresh = BinCache(limit=0)
    mine = hgb_model("classifier", flags, 4, params, bins=fresh).fit(x[train], y[train])
    _same_trees(mine, stock)
    np.testing.assert_array_equal(mine.predict_proba(x[test]), stock.predict_proba(x[test]))
    assert fresh.misses == x.shape[1] and fresh.hits == 0
    kept = BinCache()
    for _ in range(2):
        again = hgb_model("classifier", flags, 4, params, bins=kept).fit(x[train], y[train])
        _same_trees(again, stock)
    assert (kept.misses, kept.hits) == (x.shape[1], x.shape[1])
    edges, codes = kept.matrix(x[train], 62, [0] * x.shape[1])
    for j in range(x.shape[1]):
        one = BinCache().column(x[train][:, j], 62, 0)
        assert edges[j].tobytes() == one[0].tobytes()
        np.testing.assert_array_equal(codes[:, j], one[1])


@pytest.mark.parametrize("categorical", [False, True])
def test_blockwise_predictions_are_every_rows_bit_for_bit(categorical: bool) -> None:
    """Permutation-importance copies of breast cancer's test rows (each block one or two
    columns shuffled, missing values in some): the blockwise regressor's and classifier's
    predictions are those of predicting every row, the same bits; a matrix that is not made of
    whole blocks takes scikit-learn's own path; the model is left as it was."""
    data = load_breast_cancer()
    rng = np.random.default_rng(21)
    coded = [0, 4, 9] if categorical else []
    x = data.data[:, :12].copy()
    x = _coded(x, coded, rng) if categorical else x
    if not categorical:
        x[rng.random(len(x)) < 0.05, 8] = np.nan
    flags = np.zeros(x.shape[1], dtype=bool)
    flags[coded] = True
    train, test = x[:400], x[400:]
    n = len(test)
    blocks = []
    for j in range(x.shape[1]):
        for _ in range(2):
            block = test.copy()
            block[:, j] = test[rng.permutation(n), j]
            if j % 3 == 0:
                block[:, (j + 5) % x.shape[1]] = test[rng.permutation(n), (j + 5) % x.shape[1]]
            blocks.append(block)
    block = test.copy()
    blocks.append(block)  # a block equal to the base
    stacked = np.vstack([test, *blocks])
    params = {**MODEL, "max_bins": 63}
    models = [
        hgb_model("regressor", flags, 7, params).fit(train, data.data[:400, 20]),
        hgb_model("classifier", flags, 8, params).fit(train, data.target[:400]),
    ]
    for model in models:
        call = getattr(model, "predict_proba", model.predict)
        plain = call(stacked)
        with blockwise(model, n):
            mine = call(stacked)
            odd = call(stacked[:-1])  # not whole blocks: the stock path
        assert mine.tobytes() == plain.tobytes()
        assert odd.tobytes() == plain[:-1].tobytes()
        assert "_predict_iterations" not in vars(model)


def test_one_thread_limits_openmp_in_its_thread_and_leaves_blas_alone() -> None:
    """The family's models run on one OpenMP thread in the calling thread, and BLAS (whose
    thread count is the whole process's) is left as it is, in this thread and in another: a
    limit that also set BLAS, restored on leaving, crossed the main thread's own limits and
    left BLAS at one thread after an evaluate (session 10). Here: the family's thread enters,
    the main thread enters a limit of its own, the family's thread leaves, the main thread
    leaves; BLAS ends as it began."""
    import threading

    from threadpoolctl import ThreadpoolController, threadpool_info

    from collectors.metrics.structure._native import one_thread

    def threads(api: str) -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == api]

    blas = ThreadpoolController().select(user_api="blas")
    if not threads("blas") or not threads("openmp"):
        pytest.skip("no BLAS or OpenMP pool loaded")
    with blas.limit(limits=2):  # a known starting point (a single-core machine may keep 1)
        start = threads("blas")
        with one_thread():
            assert set(threads("openmp")) == {1}
            assert threads("blas") == start
        seen: dict[str, list[int]] = {}
        entered, leave = threading.Event(), threading.Event()

        def family() -> None:
            with one_thread():
                seen["openmp inside"] = threads("openmp")
                seen["blas inside"] = threads("blas")
                entered.set()
                leave.wait(10)

        worker = threading.Thread(target=family)
        worker.start()
        assert entered.wait(10)
        with blas.limit(limits=2):  # the main thread's own limit, entered meanwhile
            leave.set()
            worker.join(10)
        assert set(seen["openmp inside"]) == {1}
        assert seen["blas inside"] == start
        assert threads("blas") == start
