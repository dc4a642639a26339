"""The fitted reference model on the collapse cases each metric exists to catch."""

from __future__ import annotations

import numpy as np
import pytest

from collectors.knn.engine import KnnEngine
from collectors.metrics.alphabeta import alpha_beta_authenticity
from collectors.metrics.reference import ReferenceModel
from collectors.metrics.tails import numeric_tail_frequency, summarize_tails
from tests.support.brute_force import distances

MODES = 10


def mixture(rng: np.random.Generator, rows: int, dim: int, modes: list[int]) -> np.ndarray:
    """Well-separated Gaussian modes on the axes (mode t centred at 12 * e_t)."""
    centres = np.zeros((MODES, dim))
    centres[np.arange(MODES), np.arange(MODES)] = 12.0
    labels = rng.choice(modes, rows)
    return centres[labels] + rng.standard_normal((rows, dim))


@pytest.fixture(scope="module")
def mixture_model() -> tuple[ReferenceModel, dict[str, float]]:
    rng = np.random.default_rng(0)
    real = mixture(rng, 3000, 12, list(range(MODES)))
    holdout = mixture(rng, 1500, 12, list(range(MODES)))
    model = ReferenceModel(real, k=5, n_regions=MODES, seed=0, holdout=holdout)
    healthy = model.evaluate(holdout, name="holdout").as_dict()
    return model, healthy


def test_healthy_sample_scores_like_real_data(mixture_model):
    model, healthy = mixture_model
    rng = np.random.default_rng(1)
    fresh = model.evaluate(mixture(rng, 1500, 12, list(range(MODES)))).as_dict()
    for name in ("precision", "recall", "coverage", "worst_region_coverage", "authenticity"):
        assert fresh[name] == pytest.approx(healthy[name], abs=0.05), name
    assert fresh["density"] == pytest.approx(1.0, abs=0.15)
    assert fresh["dcr_close_share"] == pytest.approx(0.05, abs=0.03)


def test_concentration_on_few_modes_drops_coverage(mixture_model):
    model, healthy = mixture_model
    rng = np.random.default_rng(2)
    result = model.evaluate(mixture(rng, 1500, 12, [0, 1])).as_dict()
    assert result["coverage"] < 0.35 < healthy["coverage"] - 0.4
    assert result["precision"] > healthy["precision"] - 0.05  # precision holds
    assert result["recall"] < healthy["recall"] - 0.5


def test_one_dropped_mode_shows_as_an_empty_region(mixture_model):
    model, healthy = mixture_model
    rng = np.random.default_rng(3)
    result = model.evaluate(mixture(rng, 1500, 12, list(range(1, MODES))))
    figures = result.as_dict()
    assert figures["coverage"] == pytest.approx(0.9 * healthy["coverage"], abs=0.04)
    assert figures["worst_region_coverage"] < 0.05
    region = result.regions.worst_region
    in_region = model.labels == region
    # the worst region is the dropped mode: its real points sit around 12 * e_0
    assert np.median(model.real[in_region] + model.centre, axis=0)[0] > 8.0
    # every other region still looks healthy
    others = np.delete(result.regions.coverage, region)
    assert others.min() > healthy["worst_region_coverage"] - 0.1
    # region density sums back to global density (weights |R| / N)
    weights = result.regions.sizes / result.regions.sizes.sum()
    assert (weights * result.regions.density).sum() == pytest.approx(figures["density"])


def test_variance_collapse_in_high_dimension():
    """Coverage stays high while density soars and the tails vanish (METRICS-NOTES)."""
    rng = np.random.default_rng(4)
    real = rng.standard_normal((2000, 64))
    model = ReferenceModel(real, k=5, n_regions=5)
    healthy = model.evaluate(rng.standard_normal((2000, 64))).as_dict()
    shrunk = 0.6 * rng.standard_normal((2000, 64))
    result = model.evaluate(shrunk).as_dict()
    assert result["coverage"] > 0.9 * healthy["coverage"]
    assert result["density"] > 3.0 * healthy["density"]
    assert result["recall"] < 0.5 * healthy["recall"]
    tails = summarize_tails(numeric_tail_frequency(real, shrunk), [])
    assert tails["tail_frequency_ratio"] < 0.05


def test_copied_training_rows_are_flagged():
    rng = np.random.default_rng(5)
    real = rng.standard_normal((2000, 10))
    holdout = rng.standard_normal((1000, 10))
    model = ReferenceModel(real, k=5, n_regions=5, holdout=holdout)
    healthy = model.evaluate(holdout, name="holdout").as_dict()
    copies = real[rng.choice(2000, 1000, replace=False)] + 1e-9 * rng.standard_normal((1000, 10))
    result = model.evaluate(copies).as_dict()
    assert result["authenticity"] < 0.01 < healthy["authenticity"] - 0.3
    assert result["dcr_close_share"] > 0.99
    assert result["dcr_median_ratio"] < 1e-6


def brute_alpha_beta(real: np.ndarray, fake: np.ndarray) -> dict[str, float]:
    """Alaa et al. 2022 eqs. 3-5 and sec. 3.3 with explicit distance matrices."""
    grid = np.linspace(0, 1, 30)
    centre = real.mean(axis=0)
    radii = np.quantile(np.linalg.norm(real - centre, axis=1), grid)
    p_curve = np.array([(np.linalg.norm(fake - centre, axis=1) <= r).mean() for r in radii])
    d_rr = distances(real, real)
    np.fill_diagonal(d_rr, np.inf)
    real_nn = d_rr.min(axis=1)
    d_rf = distances(real, fake)
    nearest_fake = d_rf.argmin(axis=1)
    closest = np.linalg.norm(fake[nearest_fake] - fake.mean(axis=0), axis=1)
    beta_radii = np.quantile(closest, grid)
    r_curve = np.array(
        [((d_rf.min(axis=1) <= real_nn) & (closest <= b)).mean() for b in beta_radii]
    )
    nearest_real = d_rf.argmin(axis=0)
    authentic = d_rf.min(axis=0) > real_nn[nearest_real]

    def integrate(curve: np.ndarray) -> float:
        gaps = np.abs(curve - grid)
        return float(1 - 2 * ((gaps[1:] + gaps[:-1]) / 2 * np.diff(grid)).sum())

    return {
        "alpha_precision": integrate(p_curve),
        "beta_recall": integrate(r_curve),
        "authenticity": float(authentic.mean()),
    }


@pytest.mark.parametrize("backend", ["blas", "tree"])
@pytest.mark.parametrize(("n", "m", "d"), [(300, 200, 3), (250, 400, 20)])
def test_alpha_beta_equals_brute_force(backend, n, m, d):
    rng = np.random.default_rng(n + m + d)
    real = rng.standard_normal((n, d))
    fake = 0.7 * rng.standard_normal((m, d)) + 0.2
    ours = alpha_beta_authenticity(real, fake, engine=KnnEngine(backend=backend))
    assert ours.as_dict() == pytest.approx(brute_alpha_beta(real, fake), abs=1e-12)


def test_identical_distributions_give_documented_healthy_levels():
    """IP near 1; IR near 0.5 by construction when N = M; authenticity near 0.5."""
    rng = np.random.default_rng(8)
    values = [
        alpha_beta_authenticity(rng.standard_normal((1500, 6)), rng.standard_normal((1500, 6)))
        for _ in range(3)
    ]
    assert np.mean([v.alpha_precision for v in values]) > 0.9
    assert np.mean([v.beta_recall for v in values]) == pytest.approx(0.5, abs=0.08)


def test_reference_model_rejects_bad_samples(mixture_model):
    model, _ = mixture_model
    with pytest.raises(ValueError, match="dimension mismatch: real has 12 features, v3 has 5"):
        model.evaluate(np.zeros((100, 5)), name="v3")
    with pytest.raises(ValueError, match="v4: 1 of 100 rows hold NaN"):
        bad = np.zeros((100, 12))
        bad[7, 3] = np.nan
        model.evaluate(bad, name="v4")
    with pytest.raises(ValueError, match="v5 has 3 rows but k = 5"):
        model.evaluate(np.zeros((3, 12)), name="v5")
