"""The built-in checks, one record each (:class:`monitor.checks.registry.Check`).

Adding a check: a record here (name, kind, description, figures read, what its value is, its
rule, its alert, any new thresholds), its rule in a ``rules_*`` module, its alert in
rules/tailwatch.rules.yml and its runbook section in docs/runbooks.md. Everything else (the
``[generators.checks]`` keys, the report, ``status``, JUnit, the exporter's label values, the
rules-file test) is derived from the registry.
"""

from __future__ import annotations

from monitor.checks import rules_change, rules_gaps, rules_privacy, rules_text
from monitor.checks.registry import Check, register
from monitor.checks.thresholds import Threshold

__all__: list[str] = []

# Thresholds more than one check reads (a change check and its gap): declared once here.
COVERAGE_SHARE = Threshold(
    "coverage_share", 0.9, "coverage_decline / coverage_gap: below this share", gt=0, le=1
)
RECALL_SHARE = Threshold(
    "recall_share", 0.8, "recall_decline / recall_gap: below this share", gt=0, le=1
)
PRECISION_SHARE = Threshold(
    "precision_share", 0.8, "precision_decline / precision_gap: below this share", gt=0, le=1
)
DENSITY_FACTOR = Threshold(
    "density_factor", 1.5, "density_rise / density_gap: above this factor", gt=1
)
TAIL_LOW = Threshold(
    "tail_low", 0.5, "tail_thinning, length_tail_loss, tail_gap: a tail below this factor",
    gt=0, lt=1,
)  # fmt: skip
TAIL_HIGH = Threshold("tail_high", 2.0, "tail_excess, tail_gap: a tail above this factor", gt=1)


for _check in (
    Check(
        "coverage_decline", "collapse",
        "coverage fell below its baseline beyond the healthy noise",
        reads=("coverage",), watches="coverage", rule=rules_change.coverage_decline,
        alert="TailwatchCoverageDecline", thresholds=(COVERAGE_SHARE,),
    ),
    Check(
        "recall_decline", "collapse",
        "recall fell below its baseline while precision holds (diversity collapse)",
        reads=("recall", "precision"), watches="recall", rule=rules_change.recall_decline,
        alert="TailwatchRecallDecline",
        thresholds=(
            RECALL_SHARE,
            Threshold("precision_hold_share", 0.9,
                      "recall_decline: precision must hold above this share of its baseline",
                      gt=0, le=1),
        ),
    ),
    Check(
        "precision_decline", "collapse",
        "precision fell below its baseline (quality collapse: samples blur)",
        reads=("precision",), watches="precision", rule=rules_change.precision_decline,
        alert="TailwatchPrecisionDecline", thresholds=(PRECISION_SHARE,),
    ),
    Check(
        "density_rise", "collapse",
        "density rose far above its baseline and healthy level (samples crowd modes)",
        reads=("density",), watches="density", rule=rules_change.density_rise,
        alert="TailwatchDensityRise", thresholds=(DENSITY_FACTOR,),
    ),
    Check(
        "tail_thinning", "collapse",
        "a feature's tail share fell to a fraction of its baseline (tails vanish)",
        reads=("feature:tail_share_lower", "feature:tail_share_upper",
               "tail_frequency_ratio_min"),
        watches="worst tail share / baseline's", rule=rules_change.tail_thinning,
        alert="TailwatchTailsThinning", thresholds=(TAIL_LOW,),
    ),
    Check(
        "tail_excess", "collapse",
        "a feature's tail share rose far above its baseline (invented extremes)",
        reads=("feature:tail_share_lower", "feature:tail_share_upper",
               "tail_frequency_ratio_max"),
        watches="highest tail share / baseline's", rule=rules_change.tail_excess,
        alert="TailwatchTailExcess", thresholds=(TAIL_HIGH,),
    ),
    Check(
        "region_uncovered", "collapse",
        "the worst-covered region of the real data fell far below its baseline",
        reads=("worst_region_coverage", "worst_region_rows"), watches="worst_region_coverage",
        rule=rules_change.region_uncovered, alert="TailwatchRegionUncovered",
        thresholds=(Threshold("region_share", 0.5,
                              "region_uncovered: worst region below this share", gt=0, le=1),),
    ),
    Check(
        "category_lost", "collapse",
        "a real category the baseline generated is no longer generated",
        reads=("categories_lost", "feature:categories_lost"), watches="categories_lost",
        rule=rules_change.category_lost, alert="TailwatchCategoryLost",
    ),
    Check(
        "rare_category_shift", "collapse",
        "the mass of rare real categories moved far from its baseline",
        reads=("feature:rare_category_mass", "rare_category_mass_ratio"),
        watches="rare-category mass / baseline's", rule=rules_change.rare_category_shift,
        alert="TailwatchRareCategoryShift",
        thresholds=(Threshold("rare_factor", 2.0,
                              "rare_category_shift: mass moved by this factor", gt=1),),
    ),
    Check(
        "memorization", "privacy",
        "authenticity down or too many samples closer than the holdout to the data",
        reads=("authenticity", "dcr_close_share"), watches="authenticity",
        rule=rules_privacy.memorization, alert="TailwatchMemorization",
        thresholds=(
            Threshold("authenticity_share", 0.8,
                      "memorization: authenticity below this share of its anchor", gt=0, le=1),
            Threshold("dcr_close_share_factor", 2.0,
                      "memorization: share closer than the holdout above this factor", gt=1),
        ),
    ),
    Check(
        "utility_decline", "collapse",
        "a model trained on the version scores far below the baseline's, or errs far more "
        "(TSTR/TRTR of the score, or of the error)",
        reads=("utility_ratio", "tstr_balanced_accuracy", "tstr_r2", "utility_error_ratio",
               "tstr_mae", "trtr_mae", "tstr_log_loss", "trtr_log_loss"),
        watches="utility_ratio",
        rule=rules_change.utility_decline, alert="TailwatchUtilityDecline",
        thresholds=(Threshold("utility_share", 0.9,
                              "utility_decline: TSTR/TRTR below this share of the baseline's",
                              gt=0, le=1),
                    Threshold("utility_error_factor", 1.25,
                              "utility_decline: TSTR/TRTR error (MAE, or log loss) above this "
                              "factor of the baseline's", gt=1)),
    ),
    Check(
        "class_lost", "collapse",
        "a target class the baseline generated is no longer generated",
        reads=("classes_lost",), watches="classes_lost", rule=rules_change.class_lost,
        alert="TailwatchClassLost",
    ),
    Check(
        "membership_exposure", "privacy",
        "a membership attack tells the training rows from unseen real rows",
        reads=("membership_auc", "membership_auc_noise", "membership_tpr_at_1pct_fpr",
               "membership_rows"),
        watches="membership_auc", rule=rules_privacy.membership_exposure,
        alert="TailwatchMembershipExposure",
        thresholds=(
            Threshold("membership_auc_margin", 0.1,
                      "membership_exposure: attack AUC above 0.5 + this margin", gt=0, lt=0.5),
            Threshold("membership_tpr_factor", 5.0,
                      "membership_exposure: TPR at 1 % FPR above this factor x 1 %", gt=1),
        ),
    ),
    # Text generators (collectors.text); a tabular generator has none of their figures.
    Check(
        "vocabulary_loss", "collapse",
        "the reference vocabulary seen at the token budget fell below its baseline",
        reads=("text_vocabulary_retention",), watches="text_vocabulary_retention",
        rule=rules_text.vocabulary_loss, alert="TailwatchVocabularyLoss",
        thresholds=(Threshold("vocabulary_share", 0.9,
                              "vocabulary_loss: retention below this share of the baseline's",
                              gt=0, le=1),),
    ),
    Check(
        "rare_mass_loss", "collapse",
        "the mass of the reference's rare words fell far below its baseline",
        reads=("text_rare_mass_ratio",), watches="text_rare_mass_ratio",
        rule=rules_text.rare_mass_loss, alert="TailwatchRareMassLoss",
        thresholds=(Threshold("rare_mass_share", 0.7,
                              "rare_mass_loss: rare-word mass below this share of the baseline's",
                              gt=0, le=1),),
    ),
    Check(
        "diversity_decline", "collapse",
        "distinct-n or semantic diversity fell below its baseline",
        reads=rules_text.TEXT_DIVERSITY, watches="lowest diversity figure",
        rule=rules_text.diversity_decline, alert="TailwatchDiversityDecline",
        thresholds=(Threshold("diversity_share", 0.9,
                              "diversity_decline: distinct-n / semantic below this share",
                              gt=0, le=1),),
    ),
    Check(
        "length_tail_loss", "collapse",
        "the share of very short or very long texts fell far below its baseline",
        reads=("text_length_short_share", "text_length_long_share"),
        watches="length tail share / baseline's", rule=rules_text.length_tail_loss,
        alert="TailwatchLengthTailLoss", thresholds=(TAIL_LOW,),
    ),
    # Fidelity findings: a version far from the healthy real-vs-real level (constant gaps too).
    Check(
        "precision_gap", "gap", "precision far below the healthy real-vs-real level",
        reads=("precision",), watches="precision", rule=rules_gaps.precision_gap,
        alert="TailwatchFidelityGap", thresholds=(PRECISION_SHARE,),
    ),
    Check(
        "recall_gap", "gap", "recall far below the healthy real-vs-real level",
        reads=("recall",), watches="recall", rule=rules_gaps.recall_gap,
        alert="TailwatchFidelityGap", thresholds=(RECALL_SHARE,),
    ),
    Check(
        "coverage_gap", "gap", "coverage far below the healthy real-vs-real level",
        reads=("coverage",), watches="coverage", rule=rules_gaps.coverage_gap,
        alert="TailwatchFidelityGap", thresholds=(COVERAGE_SHARE,),
    ),
    Check(
        "density_gap", "gap", "density far above the healthy real-vs-real level",
        reads=("density",), watches="density", rule=rules_gaps.density_gap,
        alert="TailwatchFidelityGap", thresholds=(DENSITY_FACTOR,),
    ),
    Check(
        "tail_gap", "gap", "a feature's tail share far from the real share",
        reads=("feature:tail_share_lower", "feature:tail_share_upper",
               "feature:tail_expected_lower", "feature:tail_expected_upper"),
        watches="tail share / real share", rule=rules_gaps.tail_gap,
        alert="TailwatchFidelityGap", thresholds=(TAIL_LOW, TAIL_HIGH),
    ),
    Check(
        "category_gap", "gap", "real categories (>= 1 %, >= 10 rows expected) never generated",
        reads=("categories_lost", "feature:categories_lost"), watches="categories_lost",
        rule=rules_gaps.category_gap, alert="TailwatchFidelityGap",
    ),
):  # fmt: skip
    register(_check)


# Missing values (issue 24): missingness_shift and missingness_gap, registered by their module.
from monitor.checks import records_missing as _records_missing  # noqa: E402, F401

# Mixing sweep (issue 29): safe_share_decline, registered by its module.
from monitor.checks import records_mixing as _records_mixing  # noqa: E402, F401

# Sequences (issue 28): temporal structure, lengths and gaps, rhythm, forecast utility;
# registered by their module.
from monitor.checks import records_sequences as _records_sequences  # noqa: E402, F401

# Structure fidelity (issue 23): pairs, interactions, detection, category shares, classes,
# the decision boundary; registered by their module.
from monitor.checks import records_structure as _records_structure  # noqa: E402, F401
