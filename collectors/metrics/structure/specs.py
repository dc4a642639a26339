"""Catalog records of the structure figures (:class:`collectors.metrics.catalog.MetricSpec`).

Not yet in ``GENERATOR_METRICS``: the figures are not measured per version, stored or exported
until the generator collector calls :class:`~collectors.metrics.structure.StructureReference`;
the wiring appends :data:`STRUCTURE_METRICS` to the catalog then (a test checks every figure
:meth:`StructureReference.measure` returns has a record here).
"""

from __future__ import annotations

from collectors.metrics.catalog import MetricSpec

__all__ = ["STRUCTURE_METRICS"]

_INF = float("inf")
_PAIRS = (
    "Spearman 1904 (numeric pairs); Bergsma 2013, J. Korean Stat. Soc. 42:323, eqs. 3-4 "
    "(bias-corrected Cramér's V); Pearson 1905 (correlation ratio eta)"
)
_C2ST = "Lopez-Paz & Oquab 2017, Revisiting Classifier Two-Sample Tests, ICLR, sec. 2"
_BINOM = "Clopper & Pearson 1934 (exact binomial test, minlike two-sided p); Dunn 1961 (Bonferroni)"
_AUDIT = "Esteban et al. 2017, arXiv 1706.02633, sec. 4.2 (TSTR); Jordon et al. 2022 (TRTR)"
_NAEEM = "Naeem et al. 2020, ICML, eqs. 2 and 4, per class"

STRUCTURE_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "dependence_difference_mean",
        "Mean over column pairs of |dependence(reference) - dependence(version)|.",
        0,
        2,
        "minimize",
        "the real-vs-real level at the version's size",
        _PAIRS,
    ),
    MetricSpec(
        "dependence_difference_max",
        "Largest pair dependence difference (the worst pair is named in the details).",
        0,
        2,
        "minimize",
        "the real-vs-real level at the version's size",
        _PAIRS,
    ),
    MetricSpec(
        "detection_auc",
        "Cross-validated ROC AUC of a classifier telling the version's rows from real rows.",
        0,
        1,
        "target",
        "about 0.5 (the real-vs-real level)",
        _C2ST,
        target=0.5,
    ),
    MetricSpec(
        "category_share_p_min",
        "Smallest Bonferroni-adjusted binomial p-value of a category's count in the version "
        "against its reference share (categories with >= 10 rows expected).",
        0,
        1,
        "maximize",
        "not small: below 0.01 a category's share moved beyond chance",
        _BINOM,
    ),
    MetricSpec(
        "category_share_ratio_min",
        "Lowest version share / reference share over the tested categories.",
        0,
        _INF,
        "target",
        "near 1",
        _BINOM,
        target=1.0,
    ),
    MetricSpec(
        "category_share_ratio_max",
        "Highest version share / reference share over the tested categories.",
        0,
        _INF,
        "target",
        "near 1",
        _BINOM,
        target=1.0,
    ),
    MetricSpec(
        "categories_off_share",
        "Tested categories whose adjusted binomial p-value is below 0.01.",
        0,
        _INF,
        "minimize",
        "0",
        _BINOM,
    ),
    MetricSpec(
        "interaction_loss_max",
        "Largest excess error, on real holdout rows, of a model trained on the version over "
        "the same model trained on real rows, per audited column (normalised MAE or log loss).",
        -_INF,
        _INF,
        "minimize",
        "the real-vs-real level (near 0)",
        _AUDIT,
    ),
    MetricSpec(
        "interaction_loss_ratio_max",
        "Largest version-trained / real-trained error ratio over the audited columns.",
        0,
        _INF,
        "minimize",
        "the real-vs-real level (near 1)",
        _AUDIT,
    ),
    MetricSpec(
        "class_coverage_min",
        "Lowest per-class coverage of the real rows by the version's rows of the same class.",
        0,
        1,
        "maximize",
        "the real-vs-real level at the version's size",
        _NAEEM,
    ),
    MetricSpec(
        "boundary_coverage",
        "Coverage of the real rows a real-trained probe of the target is least sure about "
        "(the fifth with the smallest out-of-fold margin): the decision boundary region.",
        0,
        1,
        "maximize",
        "the real-vs-real level at the version's size",
        "Naeem et al. 2020, ICML, eq. 4, restricted to the probe's uncertain rows",
    ),
    MetricSpec(
        "class_recall_min",
        "Lowest per-class recall of the real rows by the version's rows of the same class.",
        0,
        1,
        "maximize",
        "the real-vs-real level at the version's size",
        _NAEEM,
    ),
)
