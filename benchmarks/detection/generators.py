"""Real generators from libraries, wrapped with one treatment of categorical columns for all.

- ``gmm``: scikit-learn ``GaussianMixture`` (full covariances, up to 3 components per class,
  ``reg_covar`` 0.01 on standardised columns), one model per class;
- ``kde``: scikit-learn ``KernelDensity`` (Gaussian kernel, Scott's bandwidth, standardised
  columns), one model per class;
- ``copula``: the ``copulas`` package's ``GaussianMultivariate`` (a Gaussian copula) with
  ``TruncatedGaussian`` marginals (bounded at the column's range), one model of the whole table;
- ``copula_auto``: the same copula with the marginals ``copulas`` selects itself, per column and
  per fit (:func:`_marginals`): a refit may pick a Student t for a heavy-tailed column and the
  next a Gaussian, so the tail shares scatter between healthy refits far more than the counting
  noise of the rows (the healthy control of issue 22 on the heavy-tailed RAND table);
- ``cart``: a sequential CART synthesizer as synthpop's default (:func:`_cart`), whose values
  are real training rows' values: it copies a share of training rows exactly (issue 22's
  tree-based generator, judged a privacy finding);

Categorical treatment. ``gmm`` and ``kde``: **one generator per class**. The class shares of
the generation's training data are kept (the output's class counts are a multinomial draw from
them); a class with fewer than ``MIN_CLASS_ROWS`` training rows cannot be fitted and is dropped,
as a real per-class pipeline would. Within a class, nominal columns are **one-hot encoded and
decoded by argmax** (a level absent from the class's training data cannot come back); every
column is standardised with the class's own mean and standard deviation, and a column constant
within the class is emitted as that constant. Numeric columns with a grid (few distinct values in
the real data: pixels, coded ages, counts) are snapped to the nearest grid value, which also
clips them to the real range. ``copula``: like a tabular copula synthesizer, **one model of the
whole table** with every categorical column, the class included, one-hot encoded and decoded by
argmax (``GaussianKDE`` marginals and one copula per class were tried: 5 to 30 times slower, which
the time budget of a full run cannot hold).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from threadpoolctl import threadpool_limits

from benchmarks.detection.data import Dataset

__all__ = ["GENERATORS", "GRID_GENERATORS", "MIN_CLASS_ROWS", "synthesize"]

GENERATORS = ("gmm", "kde", "copula", "copula_auto", "cart")
GRID_GENERATORS = ("gmm", "kde", "copula")  # the grid's; the others serve controls
WHOLE_TABLE = ("copula", "copula_auto")  # one model of the whole table, the class one-hot encoded
MIN_CLASS_ROWS = 5
CART_LEAF_ROWS = 5  # synthpop's default minbucket
SELECTION_ROWS = 500


def _marginals(kind: str) -> object:
    """The copula's marginals: truncated Gaussians (``copula``) or, as ``copulas`` selects them by
    default (``copula_auto``), the best of its parametric families per column and per fit by a KS
    test (Gaussian, Student t, gamma, beta, log-Laplace, uniform, truncated Gaussian; the kernel
    density candidate left out: 20 times slower), on a subsample of ``SELECTION_ROWS`` rows."""
    if kind == "copula":
        return "copulas.univariate.TruncatedGaussian"
    from copulas.univariate import ParametricType, Univariate

    return Univariate(parametric=ParametricType.PARAMETRIC, selection_sample_size=SELECTION_ROWS)


def _fit_sample(kind: str, matrix: np.ndarray, rows: int, seed: int) -> np.ndarray:
    """Fit one library generator on ``matrix`` (standardised) and draw ``rows`` rows."""
    if kind == "gmm":
        from sklearn.mixture import GaussianMixture

        components = max(1, min(3, len(matrix) // 50))
        model = GaussianMixture(
            components, covariance_type="full", reg_covar=1e-2, random_state=seed
        ).fit(matrix)
        sample, _ = model.sample(rows)
        return np.random.default_rng(seed).permutation(sample)  # sample() orders by component
    if kind == "kde":
        from sklearn.neighbors import KernelDensity

        model = KernelDensity(kernel="gaussian", bandwidth="scott").fit(matrix)
        return model.sample(rows, random_state=seed)
    if kind in ("copula", "copula_auto"):
        from copulas.multivariate import GaussianMultivariate

        frame = pd.DataFrame(matrix, columns=[f"x{i}" for i in range(matrix.shape[1])])
        model = GaussianMultivariate(distribution=_marginals(kind), random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(frame)
            sample = model.sample(rows).to_numpy(dtype=float)
        # A marginal's inverse CDF can fail far out in a tail: fall back to the column's centre.
        return np.where(np.isfinite(sample), sample, 0.0)
    raise KeyError(f"unknown generator {kind!r}; known: {GENERATORS}")


def _encoded_sample(
    kind: str, data: Dataset, part: pd.DataFrame, rows: int, seed: int, nominal: list[str]
) -> pd.DataFrame:
    """Rows like ``part``: one-hot ``nominal`` columns, standardise, fit and sample, decode."""
    blocks: list[pd.DataFrame] = [part[data.numeric].astype(float)]
    levels: dict[str, list[str]] = {}
    for column in nominal:
        dummies = pd.get_dummies(part[column]).astype(float)
        levels[column] = [str(c) for c in dummies.columns]
        blocks.append(dummies.set_axis([f"{column}={c}" for c in dummies.columns], axis=1))
    encoded = pd.concat(blocks, axis=1)
    values = encoded.to_numpy(dtype=float)
    mean, std = values.mean(axis=0), values.std(axis=0)
    varying = std > 1e-12
    out = np.tile(mean, (rows, 1))
    if varying.any():
        standardised = (values[:, varying] - mean[varying]) / std[varying]
        drawn = _fit_sample(kind, standardised, rows, seed)
        out[:, varying] = drawn * std[varying] + mean[varying]
    decoded = pd.DataFrame(out, columns=encoded.columns)
    result = decoded[data.numeric].copy()
    for column, names in levels.items():
        block = decoded[[f"{column}={name}" for name in names]].to_numpy()
        result[column] = np.asarray(names, dtype=object)[block.argmax(axis=1)]
    if data.target not in nominal:
        result[data.target] = part[data.target].iloc[0]
    return result


def _snap(frame: pd.DataFrame, grids: dict[str, np.ndarray]) -> pd.DataFrame:
    """Numeric columns with a grid take the nearest grid value (clipped to its ends)."""
    for column, grid in grids.items():
        values = frame[column].to_numpy(dtype=float)
        right = np.clip(np.searchsorted(grid, values), 1, len(grid) - 1)
        left = right - 1
        nearer_left = np.abs(values - grid[left]) <= np.abs(grid[right] - values)
        frame[column] = np.where(nearer_left, grid[left], grid[right])
    return frame


def _cart(data: Dataset, train: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """A sequential CART synthesizer, synthpop's default method (Reiter 2005; Nowok, Raab and
    Dibben 2016, sec. 3): the first column is drawn from its training values; each next column
    by a tree fitted on the columns before it (a regression tree for numeric columns, a
    classification tree for categorical ones, codes as ordinal inputs, at least
    ``CART_LEAF_ROWS`` training rows per leaf), a synthetic row taking the value of a training
    row drawn at random from the leaf it falls in. Values are real donors', so small leaves
    reproduce whole training rows: a privacy finding, not a collapse."""
    rng = np.random.default_rng(seed)
    order = data.columns
    codes = {c: pd.Categorical(train[c].astype(str)) for c in order if c in data.all_categorical}
    real = pd.DataFrame(
        {c: codes[c].codes if c in codes else train[c].to_numpy(float) for c in order}
    )
    synthetic = pd.DataFrame(index=range(rows))
    synthetic[order[0]] = real[order[0]].to_numpy()[rng.integers(0, len(real), rows)]
    for j, column in enumerate(order[1:], start=1):
        inputs = real[order[:j]].to_numpy(float)
        if column in codes:
            tree: Any = DecisionTreeClassifier(min_samples_leaf=CART_LEAF_ROWS, random_state=seed)
        else:
            tree = DecisionTreeRegressor(min_samples_leaf=CART_LEAF_ROWS, random_state=seed)
        tree.fit(inputs, real[column].to_numpy())
        leaf_of_real = tree.apply(inputs)
        leaf_of_new = tree.apply(synthetic[order[:j]].to_numpy(float))
        donors = pd.Series(np.arange(len(real))).groupby(leaf_of_real).apply(np.asarray)
        picked = [donors[leaf][rng.integers(0, len(donors[leaf]))] for leaf in leaf_of_new]
        synthetic[column] = real[column].to_numpy()[np.asarray(picked, dtype=int)]
    for column, categories in codes.items():
        synthetic[column] = np.asarray(categories.categories, dtype=object)[
            synthetic[column].to_numpy(int)
        ]
    return synthetic[order]


def synthesize(kind: str, data: Dataset, train: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """``rows`` synthetic rows of generator ``kind`` fitted on ``train`` (one model per class)."""
    if kind == "cart":
        return _cart(data, train, rows, seed)
    if kind in WHOLE_TABLE:
        with threadpool_limits(1):
            frame = _encoded_sample(kind, data, train, rows, seed, data.all_categorical)
        return _snap(frame, data.grids)[data.columns]
    rng = np.random.default_rng(seed)
    counts = train[data.target].value_counts()
    counts = counts[counts >= MIN_CLASS_ROWS].sort_index()
    if counts.empty:
        raise ValueError(f"{data.name}: no class has {MIN_CLASS_ROWS} training rows")
    drawn = rng.multinomial(rows, (counts / counts.sum()).to_numpy())
    parts = []
    # One BLAS thread: small matrices, where threads cost more than they give on a shared machine.
    with threadpool_limits(1):
        for offset, (label, count) in enumerate(zip(counts.index, drawn, strict=True)):
            if count == 0:
                continue
            part = train[train[data.target] == label].reset_index(drop=True)
            seed_of_class = (seed * 1000 + offset) % 2**31
            parts.append(
                _encoded_sample(kind, data, part, int(count), seed_of_class, data.categorical)
            )
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return _snap(frame, data.grids)[data.columns]
