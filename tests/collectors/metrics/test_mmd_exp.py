"""The MMD's kernel sums with the vectorised exp (collectors.metrics.mmd_kernels.kernel_sum; issue
26) against the exact ones they replaced (libm's exp per term, the code at 085297f, kept here):
each term within 2 ulp, every MMD within ``MMD_TOLERANCE`` on real tables (digits, wine, breast
cancer) and edge cases (identical samples, a constant column, tiny samples, huge and tiny
distances)."""

from __future__ import annotations

import numba as nb
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

from collectors.metrics import drift
from collectors.metrics.drift import MMD_TOLERANCE, mmd_from_blocks, squared_distances
from collectors.metrics.mmd_kernels import _row_exp_sum, kernel_sum


@nb.njit(parallel=True)
def kernel_sum_before(squared: np.ndarray, scale: float, upper: bool) -> float:
    """drift._kernel_sum at 085297f: libm's exp, one term after the other per row."""
    rows, columns = squared.shape
    totals = np.zeros(rows)
    for i in nb.prange(rows):
        total = 0.0
        for j in range(i + 1 if upper else 0, columns):
            total += np.exp(scale * squared[i, j])
        totals[i] = total
    return totals.sum()


def mmd_before(x: np.ndarray, y: np.ndarray) -> float:
    """drift.mmd_from_blocks at 085297f (the same blocks and median, the exact exp)."""
    xx, yy = squared_distances(x, x, same=True), squared_distances(y, y, same=True)
    xy = squared_distances(x, y)
    m, n = len(x), len(y)
    sigma = drift._median_heuristic(xx, yy, xy)
    scale = -1.0 / (2.0 * sigma * sigma)
    k_xx = 2.0 * kernel_sum_before(xx, scale, True)
    k_yy = 2.0 * kernel_sum_before(yy, scale, True)
    k_xy = kernel_sum_before(xy, scale, False)
    return float(k_xx / (m * (m - 1)) + k_yy / (n * (n - 1)) - 2.0 * k_xy / (m * n))


def mmd_now(x: np.ndarray, y: np.ndarray) -> float:
    xx, yy = squared_distances(x, x, same=True), squared_distances(y, y, same=True)
    return mmd_from_blocks(xx, yy, squared_distances(x, y))


@nb.njit
def terms(arguments: np.ndarray) -> np.ndarray:
    powers, values = np.empty(arguments.size), np.empty(arguments.size)
    _row_exp_sum(arguments, 0, 1.0, powers, values)
    return values * powers


def test_each_term_is_within_two_ulp_of_libm() -> None:
    x = np.concatenate([-np.logspace(-300, 3.2, 300_000), np.linspace(-800.0, 0.0, 300_001)])
    got, exact = terms(x), np.exp(x)
    normal = x >= -708.0
    relative = np.abs(got[normal] - exact[normal]) / exact[normal]
    assert relative.max() <= 2 * np.finfo(np.float64).eps
    assert terms(np.array([0.0, -0.0]))[0] == 1.0
    # below exp(-708) ~ 3.3e-308 every term counts as exp(-708): off by less than that
    assert np.abs(got[~normal] - exact[~normal]).max() <= 3.4e-308


@pytest.mark.parametrize("upper", [True, False])
def test_kernel_sum_equals_the_exact_sum(upper: bool) -> None:
    rng = np.random.default_rng(0)
    squared = rng.uniform(0.0, 5e3, size=(700, 650)) ** rng.uniform(0.2, 1.5)
    for scale in (-1e-6, -1e-3, -1.0, -1e3, -0.0):
        exact = kernel_sum_before(squared, scale, upper)
        assert abs(kernel_sum(squared, scale, upper) - exact) <= 1e-14 * max(exact, 1.0)


@pytest.mark.parametrize("loader", [load_digits, load_wine, load_breast_cancer])
def test_real_tables_within_the_tolerance(loader) -> None:
    data = loader(return_X_y=True)[0].astype(np.float64)
    rng = np.random.default_rng(0)
    order = rng.permutation(data.shape[0])
    half = len(order) // 2
    x, y = data[order[:half]], data[order[half:]]
    for a, b in ((x, y), (x, y + rng.normal(0, 0.1, y.shape)), (x, y * 1.5), (x, x.copy())):
        assert abs(mmd_now(a, b) - mmd_before(a, b)) <= MMD_TOLERANCE


def test_edge_cases_within_the_tolerance() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 6))
    constant = x.copy()
    constant[:, 2] = 7.0
    cases = [
        (x, x.copy()),  # identical samples: near 0
        (constant, constant[::-1] + rng.normal(0, 0.5, x.shape) * [1, 1, 0, 1, 1, 1]),
        (x[:2], x[2:4]),  # tiny samples
        (x[:3], x[:3] + 1e-9),
        (x * 1e6, x * 1e6 + 5e6),  # huge distances, far-apart sets (terms underflow)
        (x * 1e-7, x[::-1] * 1e-7),  # tiny distances
        (np.repeat(x[:5], 20, axis=0), x[:100]),  # collapse: many zero distances
        (np.ones((50, 3)), np.ones((40, 3))),  # every distance 0: the kernel is 1 everywhere
    ]
    for a, b in cases:
        now, before = mmd_now(a, b), mmd_before(a, b)
        assert abs(now - before) <= MMD_TOLERANCE, (now, before)
    assert mmd_now(np.ones((50, 3)), np.ones((40, 3))) == 0.0


def test_only_the_mmd_of_a_version_and_its_healthy_levels_moves(monkeypatch) -> None:
    """The vectorised exp touches the MMD alone: with the exact sums swapped back in, every other
    figure of a version and of its healthy levels is the same bit for bit, the MMD within the
    tolerance."""
    import pandas as pd

    from collectors.generator import GeneratorReference

    digits = pd.DataFrame(load_digits().data.astype(np.float64))
    digits.columns = [f"p{i}" for i in range(digits.shape[1])]
    reference, holdout, version = digits.iloc[:900], digits.iloc[900:1350], digits.iloc[1350:]

    def measured() -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        model = GeneratorReference(
            reference.reset_index(drop=True), holdout=holdout.reset_index(drop=True), seed=3
        )
        levels = model.healthy_at(len(version))
        assert levels is not None
        figures = model.measure(version.reset_index(drop=True)).figures
        return dict(figures), dict(levels), dict(levels.spread)

    now = measured()
    monkeypatch.setattr(drift, "kernel_sum", kernel_sum_before)
    before = measured()
    for part_now, part_before in zip(now, before, strict=True):
        assert set(part_now) == set(part_before) and "mmd" in part_now
        for name, value in part_before.items():
            if name == "mmd":
                assert abs(part_now[name] - value) <= MMD_TOLERANCE
            else:
                assert part_now[name] == value or (np.isnan(value) and np.isnan(part_now[name]))
