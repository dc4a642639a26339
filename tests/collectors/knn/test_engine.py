"""KnnEngine's BLAS backend against brute force, across block shapes and both precisions."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from collectors.knn import engine as knn
from collectors.knn.engine import KnnEngine
from collectors.metrics.fidelity import clipped_radius_sq

# (rows, columns) of the product blocks: the default, and small ragged ones that split rows into
# several column blocks and leave short chunks at the end of each block.
BLOCKS = [None, (16, 40), (7, 300)]
BLOCK_IDS = ["default", "16x40", "7x300"]


@pytest.fixture(params=BLOCKS, ids=BLOCK_IDS)
def blocks(request, monkeypatch):
    if request.param is not None:
        monkeypatch.setattr(knn, "_ROW_BLOCK", request.param[0])
        monkeypatch.setattr(knn, "_COL_BLOCK", request.param[1])
    return request.param


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)


def brute_radii(points: np.ndarray, k: int, tol: float):
    """k nearest other points by (distance, index), and the counts below and at the radius."""
    d2 = squared_distances(points, points)
    np.fill_diagonal(d2, np.inf)
    order = np.lexsort((np.broadcast_to(np.arange(len(points)), d2.shape), d2), axis=1)[:, :k]
    dist_sq = np.take_along_axis(d2, order, axis=1)
    radius_sq = dist_sq[:, -1:]
    below = (d2 < radius_sq - tol).sum(axis=1)
    ties = ((d2 >= radius_sq - tol) & (d2 <= radius_sq + tol)).sum(axis=1)
    return dist_sq, order, below, ties


def data(seed: int, n: int, m: int, d: int, offset: float = 0.0):
    rng = np.random.default_rng(seed)
    real = rng.standard_normal((n, d)) + offset
    synthetic = 0.9 * rng.standard_normal((m, d)) + 0.2 + offset
    centre = real.mean(axis=0)
    return real - centre, synthetic - centre


@pytest.mark.parametrize(("n", "d", "k"), [(300, 16, 5), (230, 64, 3), (90, 3, 10)])
def test_radii_equal_brute_force_in_both_precisions(blocks, n, d, k):
    points, _ = data(n, n, 10, d)
    results = [
        KnnEngine(backend="blas", precision=p).radii(points, k) for p in ("float32", "float64")
    ]
    dist_sq, index, below, ties = brute_radii(points, k, results[0].tolerance)
    for radii in results:
        np.testing.assert_array_equal(radii.neighbours.indices, index)
        np.testing.assert_allclose(radii.neighbours.squared, dist_sq, rtol=1e-12)
        np.testing.assert_array_equal(radii.below, below)
        np.testing.assert_array_equal(radii.ties, ties)
    np.testing.assert_array_equal(results[0].radius_sq, results[1].radius_sq)


@pytest.mark.parametrize("workers", [1, 3])
def test_symmetric_self_search_equals_brute_force_with_any_thread_count(
    blocks, monkeypatch, workers
):
    """The self search computes the upper half of X X^T only, each thread filling its own lists
    (merged at the end) under bounds shared by all threads: any number of threads, any blocks,
    duplicated points and a point set smaller than a block give the brute-force answer."""
    monkeypatch.setattr(KnnEngine, "_workers", lambda self: workers)
    points, _ = data(5, 150, 10, 8)
    points = np.concatenate([points, points[:20], points[:3] + 1e-3])  # exact duplicates
    for n, k in ((len(points), 4), (12, 5), (3, 1)):
        subset = points[:n]
        expected = brute_radii(subset, k, 0.0)
        for precision in ("float32", "float64"):
            engine = KnnEngine(backend="blas", precision=precision)
            radii = engine.radii(subset, k, tolerance_sq=0.0)
            np.testing.assert_array_equal(radii.neighbours.indices, expected[1])
            np.testing.assert_array_equal(radii.below, expected[2])
            np.testing.assert_array_equal(radii.ties, expected[3])


def test_tied_neighbours_come_in_index_order(blocks):
    """Exact ties (a lattice) are ordered by index, whichever precision found them."""
    grid = np.stack(np.meshgrid(np.arange(6.0), np.arange(6.0), np.arange(4.0)), -1).reshape(-1, 3)
    points = grid - grid.mean(axis=0)
    expected = brute_radii(points, 6, 0.0)
    for precision in ("float32", "float64"):
        radii = KnnEngine(backend="blas", precision=precision).radii(points, 6, tolerance_sq=0.0)
        np.testing.assert_array_equal(radii.neighbours.indices, expected[1])
        np.testing.assert_array_equal(radii.neighbours.squared, expected[0])
        np.testing.assert_array_equal(radii.ties, expected[3])


def test_nearest_equals_brute_force(blocks):
    queries, points = data(4, 170, 260, 24)
    d2 = squared_distances(queries, points)
    expected = np.argsort(d2, axis=1, kind="stable")[:, :4]
    for precision in ("float32", "float64"):
        found = KnnEngine(backend="blas", precision=precision).nearest(queries, points, 4)
        np.testing.assert_array_equal(found.indices, expected)


def _cross(engine: KnnEngine, real: np.ndarray, synthetic: np.ndarray, k: int, tie_aware: bool):
    tol = engine.tolerance_sq(real, synthetic)
    real_radii = engine.radii(real, k, tolerance_sq=tol)
    synthetic_radii = engine.radii(synthetic, k, tolerance_sq=tol)
    clipped = clipped_radius_sq(real_radii)
    return engine.cross(
        real, real_radii, synthetic, synthetic_radii, clipped, tie_aware=tie_aware
    ), (real_radii, synthetic_radii, clipped)


@pytest.mark.parametrize("offset", [0.0, 300.0])
@pytest.mark.parametrize("tie_aware", [False, True])
def test_cross_counts_equal_brute_force_in_both_precisions(blocks, offset, tie_aware):
    real, synthetic = data(8, 260, 310, 12, offset)
    if offset:  # far from the origin before centring: float32 products lose digits
        real, synthetic = real + offset, synthetic + offset
    results = [
        _cross(KnnEngine(backend="blas", precision=p), real, synthetic, 5, tie_aware)
        for p in ("float32", "float64")
    ]
    for field in fields(knn.CrossCounts):
        np.testing.assert_array_equal(
            getattr(results[0][0], field.name), getattr(results[1][0], field.name), field.name
        )
    counts, (real_radii, synthetic_radii, clipped) = results[1]
    d2 = squared_distances(real, synthetic)
    np.testing.assert_array_equal(counts.real_nearest_index, d2.argmin(axis=1))
    np.testing.assert_array_equal(counts.synthetic_nearest_index, d2.argmin(axis=0))
    if tie_aware:
        return  # boundary weights: checked against the reference in test_fidelity
    in_real = d2 < real_radii.radius_sq[:, None]
    in_synthetic = d2 < synthetic_radii.radius_sq[None, :]
    np.testing.assert_array_equal(counts.synthetic_in_real_balls, in_real.sum(axis=0))
    np.testing.assert_array_equal(counts.real_ball_covered, in_real.any(axis=1))
    np.testing.assert_array_equal(counts.real_recalled, in_synthetic.any(axis=1))
    np.testing.assert_array_equal(
        counts.synthetic_in_clipped_balls, (d2 <= clipped[:, None]).sum(axis=0)
    )
