"""The one list of metric names Tailwatch measures, stores and exports.

Rules, dashboards, reports and the exporter read names, ranges and directions from here instead of
hard-coding them (a test checks that every name used in ``rules/`` and ``grafana/`` exists here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Goal = Literal["maximize", "minimize", "target"]


@dataclass(frozen=True)
class MetricSpec:
    """A metric's meaning: its range, which direction is better, its healthy value, its source."""

    name: str
    description: str
    lower: float
    upper: float  # float("inf") when unbounded
    goal: Goal
    healthy: str
    paper: str
    target: float | None = None  # the ideal value when goal == "target"


_NAEEM = "Naeem et al. 2020, Reliable Fidelity and Diversity Metrics for Generative Models, ICML"
_SALVY = "Salvy et al. 2025, Clipped Density and Coverage, arXiv 2507.01761"
_ALAA = "Alaa et al. 2022, How Faithful is your Synthetic Data?, ICML (arXiv 2102.08921)"
_INF = float("inf")

GENERATOR_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "precision",
        "Share of synthetic samples inside some real k-NN ball.",
        0,
        1,
        "maximize",
        "near the real-vs-real level",
        f"{_NAEEM}, eq. 1",
    ),
    MetricSpec(
        "recall",
        "Share of real samples inside some synthetic k-NN ball.",
        0,
        1,
        "maximize",
        "near the real-vs-real level",
        f"{_NAEEM}, eq. 2",
    ),
    MetricSpec(
        "density",
        "Mean number of real k-NN balls holding a synthetic sample, over k.",
        0,
        _INF,
        "target",
        "about 1; far above 1 means samples crowd the modes",
        f"{_NAEEM}, eq. 3",
        target=1.0,
    ),
    MetricSpec(
        "coverage",
        "Share of real samples whose k-NN ball holds a synthetic sample.",
        0,
        1,
        "maximize",
        "about 1 - 2^-k (0.97 at k = 5) for identical distributions",
        f"{_NAEEM}, eq. 4",
    ),
    MetricSpec(
        "clipped_density",
        "Density with per-sample contributions and outlier radii "
        "clipped; falls linearly with the share of bad samples.",
        0,
        1,
        "maximize",
        "near 1",
        f"{_SALVY}, sec. 4",
    ),
    MetricSpec(
        "clipped_coverage",
        "Coverage normalised by its expectation under identical distributions, clipped to [0, 1].",
        0,
        1,
        "maximize",
        "near 1",
        f"{_SALVY}, sec. 4",
    ),
    MetricSpec(
        "alpha_precision",
        "Integrated alpha-precision: 1 - 2 x mean |P_alpha - alpha|.",
        0,
        1,
        "maximize",
        "near the real-vs-real level",
        f"{_ALAA}, eq. 5",
    ),
    MetricSpec(
        "beta_recall",
        "Integrated beta-recall: 1 - 2 x mean |R_beta - beta|.",
        0,
        1,
        "maximize",
        "about 0.5 for identical distributions (by construction)",
        f"{_ALAA}, eq. 5",
    ),
    MetricSpec(
        "authenticity",
        "Share of synthetic samples that are not copies of a real training sample.",
        0,
        1,
        "maximize",
        "near the real-vs-real level (about 0.5)",
        f"{_ALAA}, sec. 3.3",
    ),
    MetricSpec(
        "worst_region_coverage",
        "Lowest coverage over the k-means regions of the real "
        "reference: a dropped mode shows as a region near 0.",
        0,
        1,
        "maximize",
        "near the real-vs-real level",
        f"{_NAEEM}, eq. 4, per region",
    ),
    MetricSpec(
        "tail_frequency_ratio",
        "Mean over numeric features and both tails of the share "
        "of synthetic samples beyond the real q-quantile, over q.",
        0,
        _INF,
        "target",
        "1; towards 0 the tails vanish, above 1 the generator invents extremes",
        "Shumailov et al. 2024, Nature, AI models collapse (tail loss)",
        target=1.0,
    ),
    MetricSpec(
        "tail_frequency_ratio_min",
        "Lowest per-feature, per-tail frequency ratio.",
        0,
        _INF,
        "target",
        "near 1",
        "Shumailov et al. 2024, Nature",
        target=1.0,
    ),
    MetricSpec(
        "tail_frequency_ratio_max",
        "Highest per-feature, per-tail frequency ratio.",
        0,
        _INF,
        "target",
        "near 1",
        "Shumailov et al. 2024, Nature",
        target=1.0,
    ),
    MetricSpec(
        "rare_category_mass_ratio",
        "Synthetic mass of real-rare categories (< 1 %) over their real mass.",
        0,
        _INF,
        "target",
        "1",
        "Shumailov et al. 2024, Nature",
        target=1.0,
    ),
    MetricSpec(
        "missing_categories",
        "Real categories absent from the synthetic sample.",
        0,
        _INF,
        "minimize",
        "0 (or the real-vs-real level)",
        "Shumailov et al. 2024, Nature",
    ),
    MetricSpec(
        "dcr_close_share",
        "Share of synthetic samples closer to a real training record "
        "than the real holdout's 5th percentile distance.",
        0,
        1,
        "minimize",
        "about 0.05",
        "SDMetrics DCR; Alaa et al. 2022, sec. 3.3",
    ),
    MetricSpec(
        "dcr_median_ratio",
        "Median synthetic distance to closest record over the holdout's median.",
        0,
        _INF,
        "target",
        "about 1; towards 0 means copies",
        "SDMetrics DCR",
        target=1.0,
    ),
    MetricSpec(
        "ks_statistic_max",
        "Largest per-feature two-sample Kolmogorov-Smirnov statistic.",
        0,
        1,
        "minimize",
        "near the real-vs-real level",
        "Kolmogorov-Smirnov two-sample test",
    ),
    MetricSpec(
        "total_variation_max",
        "Largest per-categorical total variation distance.",
        0,
        1,
        "minimize",
        "near the real-vs-real level",
        "total variation distance",
    ),
    MetricSpec(
        "correlation_difference",
        "Mean absolute difference of the correlation matrices.",
        0,
        2,
        "minimize",
        "near the real-vs-real level",
        "SDMetrics CorrelationSimilarity",
    ),
    MetricSpec(
        "mmd",
        "Squared maximum mean discrepancy, RBF kernel, median heuristic.",
        -_INF,
        _INF,
        "minimize",
        "near 0",
        "Gretton et al. 2012, JMLR, eq. 3 (unbiased)",
    ),
)

BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in GENERATOR_METRICS}


def spec(name: str) -> MetricSpec:
    """Return the spec of metric ``name``; ``KeyError`` names the unknown metric."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {sorted(BY_NAME)}") from None
