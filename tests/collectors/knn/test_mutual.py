"""KnnEngine.mutual_nearest: both directions' nearest lists from one pass over the cross
products equal two separate ``nearest`` calls bit for bit (distances, squared distances,
indices), on real tables with exact ties and duplicate rows, in both precisions, with block
shapes that split the products raggedly, any thread count, and lists as long as the other side;
HoldoutDraws keeps the same lists."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

from collectors.knn import engine as knn
from collectors.knn.draws import HoldoutDraws, list_lengths
from collectors.knn.engine import KnnEngine
from collectors.metrics.fidelity import clipped_radius_sq

# (rows, columns) of the product blocks: the default (256 x 2048) and ragged ones that are no
# divisor of the tables' sizes, so blocks end mid-chunk and rows span several column blocks.
BLOCKS = [None, (16, 40), (7, 300), (33, 129)]
BLOCK_IDS = ["default", "16x40", "7x300", "33x129"]


@pytest.fixture(params=BLOCKS, ids=BLOCK_IDS)
def blocks(request, monkeypatch):
    if request.param is not None:
        monkeypatch.setattr(knn, "_ROW_BLOCK", request.param[0])
        monkeypatch.setattr(knn, "_COL_BLOCK", request.param[1])
    return request.param


def standardised(data: np.ndarray) -> np.ndarray:
    return (data - data.mean(axis=0)) / data.std(axis=0)


def one_hot_table() -> np.ndarray:
    """Breast cancer's columns cut into quartiles and one-hot coded (plus the target): a
    categorical table where almost every distance ties and many rows repeat."""
    data = load_breast_cancer()
    columns = []
    for values in data.data[:, :6].T:
        codes = np.searchsorted(np.quantile(values, [0.25, 0.5, 0.75]), values)
        columns.append(np.eye(4)[codes])
    columns.append(np.eye(2)[data.target])
    return np.hstack(columns)


def tables() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(a, b) pairs of real tables, centred on ``a`` as the reference model centres them."""
    digits = load_digits().data.astype(np.float64)  # integer pixels: ties, duplicate rows
    cancer = standardised(load_breast_cancer().data)
    hot = one_hot_table()
    wine = standardised(load_wine().data)
    wine_a = np.concatenate([wine[::2], wine[::2][:25], wine[1::2][:10]])  # repeated rows
    wine_b = np.concatenate([wine[1::2], wine[1::2][:7], wine[::2][:5]])
    pairs = {
        "digits": (digits[:1103], digits[1103:1600]),
        "breast_cancer": (cancer[:331], cancer[331:]),
        "one_hot": (hot[:301], hot[301:]),
        "wine_repeated": (wine_a, wine_b),
    }
    return {name: (a - a.mean(axis=0), b - a.mean(axis=0)) for name, (a, b) in pairs.items()}


TABLES = tables()


def assert_same(got, want) -> None:
    for name in ("distances", "squared", "indices"):
        have, expected = getattr(got, name), getattr(want, name)
        assert have.dtype == expected.dtype and have.shape == expected.shape, name
        assert np.array_equal(have, expected), name


def cases(a: np.ndarray, b: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, int, int]]:
    """(a, b, m_a, m_b): HoldoutDraws' lengths, one neighbour, and on the first rows (the long
    lists' refinement sorts are quadratic) lists longer than the other side less the candidate
    margin, and lists as long as the other side."""
    a_few, b_few = a[:190], b[:123]
    n_a, n_b = a_few.shape[0], b_few.shape[0]
    return [
        (a, b, 46, 13),
        (a, b, 1, 1),
        (a_few, b_few, n_b - 3, 7),
        (a_few, b_few, 5, n_a - 2),
        (a_few, b_few, n_b, n_a),
    ]


@pytest.mark.parametrize("precision", ["float32", "float64"])
@pytest.mark.parametrize("table", sorted(TABLES))
def test_mutual_nearest_equals_two_nearest_calls(blocks, table, precision) -> None:
    engine = KnnEngine(backend="blas", precision=precision)
    for a, b, m_a, m_b in cases(*TABLES[table]):
        to_b, to_a = engine.mutual_nearest(a, b, m_a, m_b)
        assert_same(to_b, engine.nearest(a, b, m_a))
        assert_same(to_a, engine.nearest(b, a, m_b))


@pytest.mark.parametrize("workers", [1, 3])
def test_any_thread_count_and_the_brute_force_order(blocks, monkeypatch, workers) -> None:
    """Each thread fills its own column lists under shared bounds: one thread or more threads
    than cores give the same lists, and those are brute force's (digits' distances are sums of
    squared integers, exact in float64: ties in index order)."""
    monkeypatch.setattr(KnnEngine, "_workers", lambda self: workers)
    a, b = load_digits().data[:700].astype(np.float64), load_digits().data[700:1000]
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
    for precision in ("float32", "float64"):
        to_b, to_a = KnnEngine(backend="blas", precision=precision).mutual_nearest(a, b, 9, 20)
        want_b = np.argsort(d2, axis=1, kind="stable")[:, :9]
        want_a = np.argsort(d2.T, axis=1, kind="stable")[:, :20]
        assert np.array_equal(to_b.indices, want_b)
        assert np.array_equal(to_a.indices, want_a)
        assert np.array_equal(to_b.squared, np.take_along_axis(d2, want_b, axis=1))
        assert np.array_equal(to_a.squared, np.take_along_axis(d2.T, want_a, axis=1))


def test_small_memory_budget_and_tree_backend() -> None:
    """Row blocks of 16 under a 1 MiB budget; the KD-tree backend (low dimension) answers
    with its own two nearest calls."""
    a, b = TABLES["breast_cancer"]
    engine = KnnEngine(backend="blas", memory_budget_bytes=2**20)
    to_b, to_a = engine.mutual_nearest(a, b, 31, 13)
    assert_same(to_b, engine.nearest(a, b, 31))
    assert_same(to_a, engine.nearest(b, a, 13))
    tree = KnnEngine(backend="auto")
    low_a, low_b = a[:, :3], b[:, :3]
    assert tree.resolve_backend(3) == "tree"
    to_b, to_a = tree.mutual_nearest(low_a, low_b, 4, 6)
    assert_same(to_b, tree.nearest(low_a, low_b, 4))
    assert_same(to_a, tree.nearest(low_b, low_a, 6))


def test_more_neighbours_than_points_is_refused() -> None:
    """Past the other side's size there is no m-th nearest (``nearest`` used to read past its
    candidate list): both calls refuse it."""
    a, b = TABLES["wine_repeated"]
    engine = KnnEngine(backend="blas")
    with pytest.raises(ValueError, match="nearest"):
        engine.nearest(a, b, b.shape[0] + 1)
    with pytest.raises(ValueError, match="nearest"):
        engine.mutual_nearest(a, b, 3, a.shape[0] + 1)
    with pytest.raises(ValueError, match="nearest"):
        engine.mutual_nearest(a, b, b.shape[0] + 1, 3)
    with pytest.raises(ValueError, match="nearest"):
        engine.nearest(a, b, 0)


@pytest.mark.parametrize("table", ["digits", "one_hot", "wine_repeated"])
def test_holdout_draws_keep_the_two_nearest_lists(table) -> None:
    real, holdout = TABLES[table]
    engine = KnnEngine()
    real_radii = engine.radii(real, 5, tolerance_sq=engine.tolerance_sq(real))
    lengths = list_lengths(real.shape[0], holdout.shape[0], holdout.shape[0], 5)
    assert lengths is not None
    draws = HoldoutDraws(engine, real, real_radii, clipped_radius_sq(real_radii), holdout, lengths)
    _, la, lb = lengths
    to_real, to_holdout = engine.nearest(holdout, real, la), engine.nearest(real, holdout, lb)
    assert np.array_equal(draws.near_real_sq, to_real.squared)
    assert np.array_equal(draws.near_real_index, to_real.indices)
    assert np.array_equal(draws.near_holdout_sq, to_holdout.squared)
    assert np.array_equal(draws.near_holdout_index, to_holdout.indices)
