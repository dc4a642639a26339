"""The structure checks' records (issue 23): pair dependence (and the correlation matrix),
conditional structure (interaction loss), detectability (C2ST and MMD), every category's share,
per-class coverage and the decision boundary, each as a change (collapse) and a gap; their rules
are in :mod:`monitor.checks.rules_structure`. Imported by :mod:`monitor.checks.records` after the
built-in records.
"""

from __future__ import annotations

from monitor.checks import rules_structure as rs
from monitor.checks.registry import Check, register
from monitor.checks.thresholds import Threshold

__all__ = [
    "BOUNDARY_SHARE",
    "CATEGORY_SHARE_HIGH",
    "CATEGORY_SHARE_LOW",
    "CLASS_COVERAGE_SHARE",
    "CORRELATION_CHANGE",
    "DEPENDENCE_CHANGE",
    "DETECTION_AUC_RISE",
    "INTERACTION_LOSS_CHANGE",
    "MMD_RISE",
]

DEPENDENCE_CHANGE = Threshold(
    "dependence_change", 0.15,
    "dependence_shift / dependence_gap: the worst pair's dependence difference (Spearman, "
    "Cramér's V or eta) rose by at least this much",
    gt=0, le=2,
)  # fmt: skip
# correlation_difference and mmd are core figures (every version, with healthy levels at its
# size); the pair and two-sample checks judge them beside the structure family's figures, so
# they are judged with the family switched off too.
CORRELATION_CHANGE = Threshold(
    "correlation_change", 0.05,
    "dependence_shift / dependence_gap: the mean absolute difference of the numeric columns' "
    "correlation matrices (correlation_difference) rose by at least this much",
    gt=0, le=2,
)  # fmt: skip
MMD_RISE = Threshold(
    "mmd_rise", 0.005,
    "detectability_rise / detectability_gap: the squared MMD (RBF kernel, median heuristic) "
    "rose by at least this much",
    gt=0,
)  # fmt: skip
INTERACTION_LOSS_CHANGE = Threshold(
    "interaction_loss_change", 0.15,
    "interaction_loss / interaction_gap: a column's excess error on real rows (in units of "
    "the baseline predictor's error) rose by at least this much",
    gt=0,
)  # fmt: skip
DETECTION_AUC_RISE = Threshold(
    "detection_auc_rise", 0.05,
    "detectability_rise / detectability_gap: the detection AUC rose by at least this much",
    gt=0, lt=0.5,
)  # fmt: skip
CATEGORY_SHARE_LOW = Threshold(
    "category_share_low", 0.5,
    "category_share_shift / category_share_gap: a category's share below this factor",
    gt=0, lt=1,
)  # fmt: skip
CATEGORY_SHARE_HIGH = Threshold(
    "category_share_high", 2.0,
    "category_share_shift / category_share_gap: a category's share above this factor",
    gt=1,
)  # fmt: skip
CLASS_COVERAGE_SHARE = Threshold(
    "class_coverage_share", 0.8,
    "class_coverage_decline / class_coverage_gap: a class's coverage below this share",
    gt=0, le=1,
)  # fmt: skip
BOUNDARY_SHARE = Threshold(
    "boundary_share", 0.8,
    "boundary_coverage_decline / boundary_coverage_gap: boundary coverage below this share",
    gt=0, le=1,
)  # fmt: skip

_PAIR = ("dependence_difference_max", "feature:dependence_difference_max", "correlation_difference")
_TWO_SAMPLE = ("detection_auc", "mmd")
_AUDIT = ("interaction_loss_max", "feature:interaction_loss", "feature:importance_change")
_CLASSES = ("class_coverage_min", "feature:class_coverage_min")
_SHARES = ("feature:category_share:<category>",)
_SHARES_GAP = ("category_share_ratio_min", "category_share_ratio_max", "categories_off_share")

for _check in (
    Check(
        "dependence_shift", "collapse",
        "the worst column pair's dependence (Spearman, Cramér's V, eta), or the correlation "
        "matrix as a whole, moved from the reference's more than at the baseline",
        reads=_PAIR, watches="dependence_difference_max or correlation_difference",
        rule=rs.dependence_shift, alert="TailwatchDependenceShift",
        thresholds=(DEPENDENCE_CHANGE, CORRELATION_CHANGE),
    ),
    Check(
        "interaction_loss", "collapse",
        "a model trained on the version predicts a column of real rows worse than at the baseline",
        reads=_AUDIT, watches="interaction_loss_max", rule=rs.interaction_loss,
        alert="TailwatchInteractionLoss", thresholds=(INTERACTION_LOSS_CHANGE,),
    ),
    Check(
        "detectability_rise", "collapse",
        "a classifier (detection AUC) or a kernel two-sample statistic (MMD) tells the version's "
        "rows from real rows better than at the baseline",
        reads=_TWO_SAMPLE, watches="detection_auc or mmd", rule=rs.detectability_rise,
        alert="TailwatchDetectabilityRise", thresholds=(DETECTION_AUC_RISE, MMD_RISE),
    ),
    Check(
        "category_share_shift", "collapse",
        "a category's share moved far from its baseline share (a class thinned or swollen)",
        reads=_SHARES, watches="a category's share / its baseline share",
        rule=rs.category_share_shift, alert="TailwatchCategoryShareShift",
        thresholds=(CATEGORY_SHARE_LOW, CATEGORY_SHARE_HIGH),
    ),
    Check(
        "class_coverage_decline", "collapse",
        "the real rows of one class are covered less than at the baseline (modes lost in a class)",
        reads=_CLASSES, watches="class_coverage_min", rule=rs.class_coverage_decline,
        alert="TailwatchClassCoverageDecline", thresholds=(CLASS_COVERAGE_SHARE,),
    ),
    Check(
        "boundary_coverage_decline", "collapse",
        "the real rows near the target's decision boundary are covered less than at the baseline",
        reads=("boundary_coverage",), watches="boundary_coverage",
        rule=rs.boundary_coverage_decline, alert="TailwatchBoundaryCoverageDecline",
        thresholds=(BOUNDARY_SHARE,),
    ),
    Check(
        "dependence_gap", "gap",
        "the worst column pair's dependence, or the correlation matrix, far from the real one",
        reads=_PAIR, watches="dependence_difference_max or correlation_difference",
        rule=rs.dependence_gap, alert="TailwatchFidelityGap",
        thresholds=(DEPENDENCE_CHANGE, CORRELATION_CHANGE),
    ),
    Check(
        "interaction_gap", "gap",
        "a model trained on the version predicts a column of real rows far worse than real rows do",
        reads=_AUDIT, watches="interaction_loss_max", rule=rs.interaction_gap,
        alert="TailwatchFidelityGap", thresholds=(INTERACTION_LOSS_CHANGE,),
    ),
    Check(
        "detectability_gap", "gap", "the version's rows far easier to tell from real rows than "
        "real rows from each other (detection AUC or MMD)",
        reads=_TWO_SAMPLE, watches="detection_auc or mmd", rule=rs.detectability_gap,
        alert="TailwatchFidelityGap", thresholds=(DETECTION_AUC_RISE, MMD_RISE),
    ),
    Check(
        "category_share_gap", "gap", "a category's share far from the real share (exact binomial)",
        reads=_SHARES_GAP, watches="a category's share / the real share",
        rule=rs.category_share_gap, alert="TailwatchFidelityGap",
        thresholds=(CATEGORY_SHARE_LOW, CATEGORY_SHARE_HIGH),
    ),
    Check(
        "class_coverage_gap", "gap",
        "a class's real rows covered far less than real rows cover them",
        reads=_CLASSES, watches="class_coverage_min", rule=rs.class_coverage_gap,
        alert="TailwatchFidelityGap", thresholds=(CLASS_COVERAGE_SHARE,),
    ),
    Check(
        "boundary_coverage_gap", "gap",
        "the decision boundary's real rows covered far less than real rows cover them",
        reads=("boundary_coverage",), watches="boundary_coverage", rule=rs.boundary_coverage_gap,
        alert="TailwatchFidelityGap", thresholds=(BOUNDARY_SHARE,),
    ),
):  # fmt: skip
    register(_check)
