"""PRDC against the reference package, a brute-force implementation and the closed forms."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from prdc import compute_prdc

from collectors.knn.engine import KnnEngine
from collectors.metrics.fidelity import clipped_coverage_calibration, prdc
from tests.support.brute_force import expected_coverage, prdc_strict

FOUR = ("precision", "recall", "density", "coverage")
ENGINES = [
    KnnEngine(backend="blas", precision="float64"),
    KnnEngine(backend="blas", precision="float32"),
    KnnEngine(backend="tree"),
    KnnEngine(backend="blas", precision="float32", memory_budget_bytes=2**20),
]
ENGINE_IDS = ["blas64", "blas32", "tree", "blas32-small-blocks"]


def reference(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    with contextlib.redirect_stdout(io.StringIO()):
        return {key: float(v) for key, v in compute_prdc(real, fake, k).items()}


@pytest.mark.parametrize("engine", ENGINES, ids=ENGINE_IDS)
@pytest.mark.parametrize(
    ("n", "m", "d", "k", "seed"),
    [(400, 300, 2, 5, 0), (600, 700, 10, 3, 1), (300, 500, 64, 5, 2), (900, 900, 24, 10, 3)],
)
def test_equals_reference_package_on_continuous_data(engine, n, m, d, k, seed):
    rng = np.random.default_rng(seed)
    real = rng.standard_normal((n, d))
    fake = 0.8 * rng.standard_normal((m, d)) + 0.3
    ours = prdc(real, fake, k, engine=engine)
    expected = reference(real, fake, k)
    assert {key: getattr(ours, key) for key in FOUR} == pytest.approx(expected, abs=1e-12)
    assert not ours.tie_aware


def test_float32_equals_float64_far_from_origin():
    """Data far from the origin is where float32 products lose digits; the guard band saves it."""
    rng = np.random.default_rng(7)
    real = rng.standard_normal((500, 32)) + 1000.0
    fake = rng.standard_normal((400, 32)) * 0.9 + 1000.0
    a = prdc(real, fake, 5, engine=KnnEngine(backend="blas", precision="float32"))
    b = prdc(real, fake, 5, engine=KnnEngine(backend="blas", precision="float64"))
    assert a.as_dict() == b.as_dict()
    assert {key: getattr(a, key) for key in FOUR} == pytest.approx(reference(real, fake, 5))


@pytest.mark.parametrize("engine", ENGINES, ids=ENGINE_IDS)
def test_strict_mode_equals_brute_force_with_duplicates(engine):
    rng = np.random.default_rng(11)
    base = rng.standard_normal((60, 4))
    real = np.vstack([base, base[:20], base[:5]])  # exact duplicates
    fake = np.vstack([rng.standard_normal((50, 4)), base[:10]])  # copies of real rows
    for k in (1, 3, 7):
        ours = prdc(real, fake, k, ties="strict", engine=engine)
        assert {key: getattr(ours, key) for key in FOUR} == pytest.approx(
            prdc_strict(real, fake, k), abs=1e-12
        )


@pytest.mark.parametrize("engine", ENGINES, ids=ENGINE_IDS)
def test_k_at_its_limit(engine):
    rng = np.random.default_rng(5)
    real, fake = rng.standard_normal((12, 3)), rng.standard_normal((9, 3))
    k = 8  # the largest k that fake (9 rows) allows
    ours = prdc(real, fake, k, ties="strict", engine=engine)
    assert {key: getattr(ours, key) for key in FOUR} == pytest.approx(
        prdc_strict(real, fake, k), abs=1e-12
    )


def test_same_distribution_matches_lemma_2():
    """Naeem et al. Lemma 2: E[density] = 1 and E[coverage] = 1 - prod (N-i)/(N+M-i)."""
    n, m, k = 1000, 1000, 5
    densities, coverages = [], []
    for seed in range(12):
        rng = np.random.default_rng(100 + seed)
        result = prdc(rng.standard_normal((n, 8)), rng.standard_normal((m, 8)), k)
        densities.append(result.density)
        coverages.append(result.coverage)
    # spread over seeds: about 0.09 for density, 0.01 for coverage (standard error / sqrt(12))
    assert np.mean(densities) == pytest.approx(1.0, abs=0.06)
    assert np.mean(coverages) == pytest.approx(expected_coverage(n, m, k), abs=0.008)


def _mixed_table(rng: np.random.Generator, rows: int) -> np.ndarray:
    """A tabular feature matrix: two one-hot categoricals and a numeric column with few values."""
    colour = np.eye(4)[rng.choice(4, rows, p=[0.5, 0.3, 0.15, 0.05])]
    size = np.eye(3)[rng.choice(3, rows)]
    count = rng.poisson(2.0, rows)[:, None].astype(float) / 2.0
    return np.hstack([colour, size, count])


def test_mixed_table_ties_are_treated_soundly():
    """One-hot and repeated values: strict '<' collapses, tie-aware balls keep Lemma 2.

    Independent check: the tie-aware result equals the expectation of the reference metrics
    when ties are broken by a vanishing random jitter (averaged over jitter draws).
    """
    rng = np.random.default_rng(3)
    real, fake = _mixed_table(rng, 600), _mixed_table(rng, 600)
    strict = prdc(real, fake, 5, ties="strict")
    aware = prdc(real, fake, 5)
    assert aware.tie_aware
    assert strict.density < 0.2 and strict.coverage < 0.2  # the collapse of prdc issue #7
    jittered = [
        prdc_strict(
            real + 1e-7 * j.standard_normal(real.shape),
            fake + 1e-7 * j.standard_normal(fake.shape),
            5,
        )
        for j in (np.random.default_rng(s) for s in range(8))
    ]
    mean = {key: np.mean([row[key] for row in jittered]) for key in FOUR}
    assert aware.density == pytest.approx(mean["density"], rel=0.05)
    assert aware.density == pytest.approx(1.0, abs=0.15)
    for key in ("precision", "recall", "coverage"):
        # booleans treat boundary memberships as independent: close to the jitter expectation
        assert getattr(aware, key) == pytest.approx(mean[key], abs=0.05)


def test_sample_level_results_add_up():
    rng = np.random.default_rng(9)
    result = prdc(rng.standard_normal((300, 5)), rng.standard_normal((200, 5)), 5)
    assert result.synthetic_ball_count.sum() == pytest.approx(result.density * 5 * 200)
    assert result.real_covered.mean() == pytest.approx(result.coverage)
    assert result.real_ball_synthetic.sum() == pytest.approx(result.synthetic_ball_count.sum())


def test_clipped_metrics_fall_linearly_with_bad_samples():
    """Salvy et al. 2025: clipped density and coverage fall about linearly with the bad share."""
    rng = np.random.default_rng(21)
    real = rng.standard_normal((2000, 8))
    good = rng.standard_normal((2000, 8))
    far = rng.standard_normal((2000, 8)) + 8.0
    for bad_share in (0.0, 0.5):
        n_bad = int(bad_share * 2000)
        fake = np.vstack([good[n_bad:], far[:n_bad]])
        result = prdc(real, fake, 5)
        assert result.clipped_density == pytest.approx(1 - bad_share, abs=0.08)
        assert result.clipped_coverage == pytest.approx(1 - bad_share, abs=0.08)


def test_calibration_curve_matches_monte_carlo():
    """E[min(J, k)]/k with J ~ BetaBinomial(g, k, N - k), checked by simulation."""
    n, m, k = 200, 150, 5
    curve = clipped_coverage_calibration(n, m, k)
    rng = np.random.default_rng(0)
    for g in (0, 10, 75, 150):
        mass = rng.beta(k, n - k, 200_000)
        simulated = np.minimum(rng.binomial(g, mass), k).mean() / k
        assert curve[g] == pytest.approx(simulated, abs=0.01)
    assert np.all(np.diff(curve) >= 0)


@pytest.mark.parametrize(
    ("real", "fake", "k", "message"),
    [
        (np.full((10, 2), np.nan), np.zeros((10, 2)), 3, "real: 10 of 10 rows hold NaN or inf"),
        (np.zeros((10, 2)), np.array([[0, np.inf]] * 10), 3, "columns 1"),
        (np.zeros((10, 2)), np.zeros((10, 3)), 3, "dimension mismatch"),
        (np.zeros((0, 2)), np.zeros((10, 2)), 3, "empty"),
        (np.zeros((5, 2)), np.zeros((10, 2)), 5, "real has 5 rows but k = 5"),
        (np.zeros((10, 2)), np.zeros((10, 2)), 0, "k must be a positive integer"),
    ],
)
def test_bad_input_raises_clear_errors(real, fake, k, message):
    with pytest.raises(ValueError, match=message):
        prdc(real, fake, k)


def test_clipped_density_agrees_across_backends():
    """Regression: re-squaring rooted radii dropped the k-th neighbour from its own closed ball."""
    rng = np.random.default_rng(0)
    real = rng.standard_normal((1500, 8))
    fake = 0.1 + 1.05 * rng.standard_normal((1500, 8))
    values = {e: prdc(real, fake, 5, engine=e).clipped_density for e in ENGINES}
    assert len(set(values.values())) == 1, values
