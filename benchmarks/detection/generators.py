"""Real generators from libraries, wrapped with one treatment of categorical columns for all.

- ``gmm``: scikit-learn ``GaussianMixture`` (full covariances, up to 3 components per class,
  ``reg_covar`` 0.01 on standardised columns), one model per class;
- ``kde``: scikit-learn ``KernelDensity`` (Gaussian kernel, Scott's bandwidth, standardised
  columns), one model per class;
- ``copula``: the ``copulas`` package's ``GaussianMultivariate`` (a Gaussian copula) with
  ``TruncatedGaussian`` marginals (bounded at the column's range), one model of the whole table.

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

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from benchmarks.detection.data import Dataset

__all__ = ["GENERATORS", "MIN_CLASS_ROWS", "synthesize"]

GENERATORS = ("gmm", "kde", "copula")
WHOLE_TABLE = ("copula",)  # one model of the whole table, the class one-hot encoded
MIN_CLASS_ROWS = 5


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
    if kind == "copula":
        from copulas.multivariate import GaussianMultivariate

        frame = pd.DataFrame(matrix, columns=[f"x{i}" for i in range(matrix.shape[1])])
        model = GaussianMultivariate(
            distribution="copulas.univariate.TruncatedGaussian", random_state=seed
        )
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


def synthesize(kind: str, data: Dataset, train: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """``rows`` synthetic rows of generator ``kind`` fitted on ``train`` (one model per class)."""
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
