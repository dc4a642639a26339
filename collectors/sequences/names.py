"""The sequence figures' names, meanings, ranges and directions (issue 28), in the catalog's shape.

Each entry has the fields of :class:`collectors.metrics.catalog.MetricSpec` in order (name,
description, lower, upper, goal, healthy, paper, target), plus ``unit`` and ``per_feature`` (the
figure also exists per column in ``SequenceMeasurement.per_feature``), so the catalog can take
them as ``MetricSpec(*entry[:8])`` without this package importing the catalog.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

__all__ = ["SEQUENCE_METRICS", "SEQUENCE_PER_FEATURE", "SequenceMetric"]

Goal = Literal["maximize", "minimize", "target"]
_INF = float("inf")
_SMIRNOV = "Smirnov 1948, Ann. Math. Stat. 19:279, eq. 1 (two-sample KS)"
_VALLENDER = "Vallender 1974, Theory Probab. Appl. 18:784, eq. 1 (W1), over the reference mean"
_BOX = "Box & Jenkins 1976, Time Series Analysis, eq. 2.1.12 (sample ACF), pooled per entity"
_BOX_X = "Box & Jenkins 1976, Time Series Analysis, eq. 11.1.7 (cross-correlation), lag 1"
_ANDERSON = (
    "Anderson & Goodman 1957, Ann. Math. Stat. 28:89, eq. 2.5; TV: Levin et al. 2009, eq. 4.1"
)
_LEVIN = "Levin, Peres & Wilmer 2009, Markov Chains and Mixing Times, eq. 4.1 (total variation)"
_NAEEM = "Naeem et al. 2020, ICML, eqs. 1-4, on per-sequence summaries"
_YOON = "Yoon, Jarrett & van der Schaar 2019, Time-series GAN, NeurIPS, sec. 5 (predictive score)"
_YOON_D = "Yoon et al. 2019, NeurIPS, sec. 5 (discriminative score); Lopez-Paz & Oquab 2017"


class SequenceMetric(NamedTuple):
    name: str
    description: str
    lower: float
    upper: float
    goal: Goal
    healthy: str
    paper: str
    target: float | None = None
    unit: str = "ratio"
    per_feature: bool = False


def _shift(prefix: str, what: str) -> tuple[SequenceMetric, ...]:
    return (
        SequenceMetric(
            f"{prefix}_ks",
            f"KS statistic between the version's and the reference's {what}.",
            0,
            1,
            "minimize",
            "near the real-vs-real level (shrinks with more sequences)",
            _SMIRNOV,
        ),
        SequenceMetric(
            f"{prefix}_wasserstein",
            f"Wasserstein-1 distance of {what}, over the reference's mean.",
            0,
            _INF,
            "minimize",
            "near the real-vs-real level",
            _VALLENDER,
        ),
        SequenceMetric(
            f"{prefix}_ratio",
            f"Mean of the version's {what} over the reference's mean.",
            0,
            _INF,
            "target",
            "about 1",
            "ratio of sample means",
            target=1.0,
        ),
        SequenceMetric(
            f"{prefix}_short_share",
            f"Share of the version's {what} below the reference's 5 % quantile.",
            0,
            1,
            "target",
            "at most about 0.05 (the real-vs-real level)",
            "empirical quantile tail share",
            target=0.05,
        ),
        SequenceMetric(
            f"{prefix}_long_share",
            f"Share of the version's {what} above the reference's 95 % quantile.",
            0,
            1,
            "target",
            "at most about 0.05 (the real-vs-real level)",
            "empirical quantile tail share",
            target=0.05,
        ),
    )


SEQUENCE_METRICS: tuple[SequenceMetric, ...] = (
    SequenceMetric(
        "sequence_missing_key_share",
        "Share of the version's rows left out of its sequences because their entity or time "
        "is missing (counted before sampling whole entities; collectors.sources.entities).",
        0,
        1,
        "minimize",
        "the reference's share (logged when the reference is fitted)",
        "Little & Rubin 2019, Statistical Analysis with Missing Data, sec. 1.3 "
        "(complete-case analysis: the share of cases discarded)",
    ),
    *_shift("sequence_length", "sequence lengths (events per entity)"),
    *_shift("gap", "gaps between successive events of an entity"),
    SequenceMetric(
        "autocorr_diff_max",
        "Largest |lag-k autocorrelation difference| from the reference's, over numeric "
        "columns and lags 1..5, within sequences.",
        0,
        2,
        "minimize",
        "near the real-vs-real level",
        _BOX,
        per_feature=True,
    ),
    SequenceMetric(
        "autocorr_diff_mean",
        "Mean |lag-k autocorrelation difference| from the reference's over columns and lags.",
        0,
        2,
        "minimize",
        "near the real-vs-real level",
        _BOX,
    ),
    SequenceMetric(
        "autocorr_lag1_ratio",
        "Mean lag-1 autocorrelation over numeric columns, over the reference's "
        "(only when the reference's is at least 0.05 in size).",
        -_INF,
        _INF,
        "target",
        "about 1; near 0 when events are shuffled within sequences",
        _BOX,
        target=1.0,
    ),
    SequenceMetric(
        "cross_lag_diff_max",
        "Largest |lag-1 cross-correlation difference| between numeric columns (a at t, b at "
        "t+1) from the reference's.",
        0,
        2,
        "minimize",
        "near the real-vs-real level",
        _BOX_X,
    ),
    SequenceMetric(
        "transition_tv_max",
        "Largest total variation of a categorical column's next-state law from the "
        "reference's, weighted by the reference's state shares.",
        0,
        1,
        "minimize",
        "near the real-vs-real level",
        _ANDERSON,
        per_feature=True,
    ),
    SequenceMetric(
        "transition_tv_mean",
        "Mean transition total variation over categorical columns.",
        0,
        1,
        "minimize",
        "near the real-vs-real level",
        _ANDERSON,
    ),
    SequenceMetric(
        "hour_tv",
        "Total variation of the events' hour-of-day shares from the reference's.",
        0,
        1,
        "minimize",
        "near the real-vs-real level",
        _LEVIN,
    ),
    SequenceMetric(
        "weekday_tv",
        "Total variation of the events' day-of-week shares from the reference's.",
        0,
        1,
        "minimize",
        "near the real-vs-real level",
        _LEVIN,
    ),
    SequenceMetric(
        "sequence_precision",
        "Precision on per-sequence summaries (length, moments, autocorrelations, transitions).",
        0,
        1,
        "maximize",
        "near the real-vs-real level",
        f"{_NAEEM}",
    ),
    SequenceMetric(
        "sequence_recall",
        "Recall on per-sequence summaries.",
        0,
        1,
        "maximize",
        "near the real-vs-real level",
        f"{_NAEEM}",
    ),
    SequenceMetric(
        "sequence_density",
        "Density on per-sequence summaries.",
        0,
        _INF,
        "target",
        "about 1",
        f"{_NAEEM}",
        target=1.0,
    ),
    SequenceMetric(
        "sequence_coverage",
        "Coverage on per-sequence summaries (whole sequences' modes dropped lower it).",
        0,
        1,
        "maximize",
        "near the real-vs-real level",
        f"{_NAEEM}",
    ),
    SequenceMetric(
        "predictive_mae",
        "One-step-ahead MAE (reference-standardised units) on real holdout sequences of a "
        "ridge model trained on the version's sequences (TSTR).",
        0,
        _INF,
        "minimize",
        "near predictive_mae_real",
        _YOON,
        unit="standard deviations",
    ),
    SequenceMetric(
        "predictive_mae_real",
        "The same model trained on the reference's sequences (TRTR), same holdout.",
        0,
        _INF,
        "minimize",
        "the real-data floor",
        _YOON,
        unit="standard deviations",
    ),
    SequenceMetric(
        "predictive_mae_ratio",
        "predictive_mae over predictive_mae_real: the forecast error a version costs.",
        0,
        _INF,
        "minimize",
        "about 1 (the real-vs-real level)",
        _YOON,
    ),
    SequenceMetric(
        "sequence_detection_auc",
        "Cross-validated ROC AUC of a classifier telling the version's sequence summaries "
        "from the reference's.",
        0,
        1,
        "target",
        "about 0.5 (the real-vs-real level)",
        _YOON_D,
        target=0.5,
    ),
    SequenceMetric(
        "sequence_discriminative_score",
        "TimeGAN's discriminative score |accuracy - 0.5| of the same classifier, out of fold.",
        0,
        0.5,
        "minimize",
        "near the real-vs-real level",
        _YOON_D,
    ),
)

SEQUENCE_PER_FEATURE: tuple[str, ...] = ("autocorr_lag1", "autocorr_diff_max", "transition_tv")
