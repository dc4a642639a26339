"""Build the Tailwatch Grafana dashboards (grafana/dashboards/*.json) from one description.

Run ``python grafana/build_dashboards.py`` after editing the panels or the rules (each check's
panel links the runbooks of the alerts whose expression selects it), ``--check`` to verify the
committed JSON is what this script writes (a test does). Every panel queries the datasource
chosen by the ``datasource`` variable, whose default is the provisioned datasource (uid
``tailwatch-prometheus``): file provisioning does not resolve the ``${DS_PROMETHEUS}`` inputs of
Grafana's "export for sharing", a dashboard variable it does. Series names are those of
monitor/exporter/series.py (checked by tests/rules/test_names.py); alert names are those of
rules/tailwatch.rules.yml; check names those of monitor.checks.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml
from panels import (
    Json,
    Layout,
    alert_annotation,
    bargauge,
    dashboard,
    datasource_variable,
    label_variable,
    stat,
    state_stat,
    state_timeline,
    table,
    timeseries,
    with_links,
)

from monitor.checks import CHECKS, GAPS

OUT = Path(__file__).resolve().parent / "dashboards"
GEN = 'generator=~"$generator"'
CORPUS = 'corpus=~"$corpus"'
HIDDEN = ["Time", "Value", "__name__", "instance", "job"]
RED_FROM_1 = [(None, "green"), (1, "red")]
TAIL_CHECKS = 'check=~"tail_thinning|tail_excess"'
GAP_CHECKS = 'check=~".+_gap"'
CHANGE_CHECKS = 'check!~".+_gap"'
RULES = Path(__file__).resolve().parent.parent / "rules" / "tailwatch.rules.yml"
_CHECK_MATCHER = re.compile(r'check\s*(=~|=)\s*"([^"]*)"')
# The verdict state set as one number per generator (all states 0: no verdict yet).
VERDICT_EXPR = (
    f'max by (generator) (tailwatch_generator_verdict{{{GEN}, verdict="healthy"}}'
    f' or 2 * tailwatch_generator_verdict{{{GEN}, verdict="watch"}}'
    f' or 3 * tailwatch_generator_verdict{{{GEN}, verdict="collapse_suspected"}})'
)
VERDICT_STATES = [(0, "no data", "#6b6b6b"), (1, "healthy", "green"), (2, "watch", "orange"),
                  (3, "collapse suspected", "red")]  # fmt: skip


def _alert_checks() -> list[tuple[str, str, str]]:
    """(alert, operator, check value) of every ``check`` matcher in the rules file."""
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [
        (rule["alert"], operator, value)
        for group in document["groups"]
        for rule in group["rules"]
        if "alert" in rule
        for operator, value in _CHECK_MATCHER.findall(rule["expr"])
    ]


def alerts_on(*checks: str) -> tuple[str, ...]:
    """The alerts whose expression selects any of ``checks`` (their runbooks are linked)."""
    found = []
    for alert, operator, value in _alert_checks():
        hit = any(check == value if operator == "=" else re.fullmatch(value, check)
                  for check in checks)  # fmt: skip
        if hit and alert not in found:
            found.append(alert)
    return tuple(found)


def _measured_vs_healthy(metric: str, check: str | None = None) -> list[tuple[str, str]]:
    """The latest version's figure, its healthy level and (if a check watches it) its limit."""
    series = [
        (f"tailwatch_generator_{metric}{{{GEN}}}", "{{generator}} " + metric),
        (f"tailwatch_generator_healthy_{metric}{{{GEN}}}", "{{generator}} healthy"),
    ]
    if check:
        limit = f'tailwatch_generator_check_limit{{{GEN}, check="{check}"}}'
        series.append((limit, "{{generator}} limit"))
    return series


# (title, metric, check whose limit is drawn, unit, max, description)
FIDELITY = [
    ("Coverage", "coverage", "coverage_decline", "percentunit", 1,
     "Share of real samples whose k-NN ball holds a synthetic sample."),
    ("Recall", "recall", "recall_decline", "percentunit", 1,
     "Share of real samples inside some synthetic k-NN ball."),
    ("Precision", "precision", "precision_decline", "percentunit", 1,
     "Share of synthetic samples inside some real k-NN ball: holds during variance collapse, "
     "falls in quality collapse (samples blur); red: the precision_decline limit."),
    ("Density", "density", "density_rise", "none", None,
     "Real k-NN balls per synthetic sample, over k: about 1 when healthy, rising when samples "
     "crowd the modes."),
    ("Alpha-precision", "alpha_precision", None, "percentunit", 1,
     "Integrated alpha-precision (Alaa et al. 2022)."),
    ("Beta-recall", "beta_recall", None, "percentunit", 1,
     "Integrated beta-recall (Alaa et al. 2022)."),
    ("Authenticity", "authenticity", "memorization", "percentunit", 1,
     "Share of synthetic samples that are not copies of a training sample."),
    ("Too-close samples (DCR)", "dcr_close_share", None, "percentunit", 1,
     "Share of synthetic samples closer to a training record than the holdout's 5th "
     "percentile; about 0.05 when healthy."),
]  # fmt: skip


# fmt: off
def overview() -> Json:
    ly = Layout()
    ly.row("Status")
    ly.add(state_stat("Verdict",
                      "Each generator's verdict (tailwatch_generator_verdict): collapse suspected "
                      "when a change check held for the configured versions, watch when one "
                      "breached the latest version, healthy otherwise (fidelity gaps never raise "
                      "it).", VERDICT_EXPR, "{{generator}}", VERDICT_STATES), 8, 4)
    ly.add(stat("Versions measured", "Versions measured successfully, per generator.",
                f"tailwatch_generator_versions_measured{{{GEN}}}", "{{generator}}"), 4, 4)
    ly.add(stat("Latest version", "The latest measured version of each generator.",
                f"tailwatch_generator_version_info{{{GEN}}}", "{{generator}}: {{version}}",
                text_mode="name"), 6, 4)
    ly.add(stat("Firing alerts", "Tailwatch alerts firing for the selected generators.",
                f'count(ALERTS{{alertstate="firing", {GEN}}}) or vector(0)', "firing",
                steps=RED_FROM_1, text_mode="value"), 6, 4)
    ly.add(with_links(bargauge(
        "Change checks: breaching versions in a row",
        "Latest versions in a row that breach each change check (a version worse than the "
        "generator's own baseline beyond noise); these page at 2.",
        f"tailwatch_generator_check_breach_versions{{{GEN}, {CHANGE_CHECKS}}}",
        "{{generator}} {{check}}", steps=[(None, "green"), (1, "yellow"), (2, "red")]),
        alerts_on(*CHECKS)), 12, 9)
    ly.add(table("Active alerts", "Pending and firing Tailwatch alerts, selected generators.",
                 f"ALERTS{{{GEN}}}", HIDDEN), 12, 9)
    ly.add(with_links(state_timeline(
        "Fidelity gaps over time",
        "Gap findings (far from the healthy real-vs-real level; a defect of the generator, not "
        "a collapse): versions in a row with each gap. A ticket (TailwatchFidelityGap, info) "
        "after 2 versions and 1 h; never a page.",
        f"tailwatch_generator_check_breach_versions{{{GEN}, {GAP_CHECKS}}}",
        "{{generator}} {{check}}", [(None, "green"), (1, "yellow"), (2, "orange")]),
        alerts_on("precision_gap")), 12, 8)
    ly.add(with_links(table(
        "Fidelity gaps now",
        "Gaps the latest version shows, with how many versions in a row (Value); the report's "
        "Fidelity gaps table says whether each was there from the first version.",
        f"tailwatch_generator_check_breach_versions{{{GEN}, {GAP_CHECKS}}} > 0",
        ["Time", "__name__", "instance", "job"]),
        alerts_on("precision_gap")), 12, 8)
    ly.row("Fidelity against the healthy level (dashed) and the alert limit (red)")
    for title, metric, check, unit, upper, text in FIDELITY:
        checks = [c for c in (check, f"{metric}_gap") if c in CHECKS or c in GAPS]
        ly.add(with_links(timeseries(title, text, _measured_vs_healthy(metric, check),
                                     unit=unit, lower=0, upper=upper), alerts_on(*checks)), 12, 8)
    ly.row("Categories")
    ly.add(with_links(timeseries(
        "Categories lost",
        "Real categories (>= 1 % share, >= 10 rows expected) the latest version does not "
        "generate; red: the baseline version's count (category_lost breaches above it).",
        [(f"tailwatch_generator_categories_lost{{{GEN}}}", "{{generator}} categories lost"),
         (f"tailwatch_generator_healthy_categories_lost{{{GEN}}}", "{{generator}} healthy"),
         (f'tailwatch_generator_check_limit{{{GEN}, check="category_lost"}}',
          "{{generator}} limit (baseline)")],
        unit="short", lower=0), alerts_on("category_lost", "category_gap")), 12, 8)
    ly.add(with_links(timeseries(
        "Rare-category mass",
        "Mean synthetic share of the real-rare categories (< 1 %) per categorical feature, "
        "beside its healthy level; rare_category_shift breaches when a feature's mass moves by "
        "rare_factor from the baseline's, either way (only generators with rare categories).",
        [(f"tailwatch_generator_rare_category_mass{{{GEN}}}", "{{generator}} rare mass"),
         (f"tailwatch_generator_healthy_rare_category_mass{{{GEN}}}", "{{generator}} healthy")],
        unit="percentunit", lower=0), alerts_on("rare_category_shift")), 12, 8)
    ly.row("Gates: utility, classes, membership attack, verified yield")
    ly.add(with_links(timeseries(
        "Utility (TSTR / TRTR)",
        "A pinned model trained on the version and scored on real holdout rows, over the same "
        "model trained on as many real rows: 1 is as useful as real data (generators with a "
        "target); red: the utility_decline limit.",
        _measured_vs_healthy("utility_ratio", "utility_decline"), unit="percentunit", lower=0),
        alerts_on("utility_decline")), 12, 8)
    ly.add(with_links(timeseries(
        "Target classes",
        "Target classes (>= 1 %, >= 10 rows expected) the version lacks, and the lowest class "
        "share over its real share (0: a class lost).",
        [(f"tailwatch_generator_classes_lost{{{GEN}}}", "{{generator}} classes lost"),
         (f"tailwatch_generator_class_share_ratio_min{{{GEN}}}",
          "{{generator}} lowest share ratio")],
        unit="short", lower=0), alerts_on("class_lost")), 12, 8)
    ly.add(with_links(timeseries(
        "Membership attack",
        "ROC AUC of the stronger membership attack on the generator's training rows against "
        "unseen real rows (0.5: safe) and its TPR at 1 % FPR; red: the membership_exposure "
        "limit.",
        [(f"tailwatch_generator_membership_auc{{{GEN}}}", "{{generator}} attack AUC"),
         (f"tailwatch_generator_membership_tpr_at_1pct_fpr{{{GEN}}}",
          "{{generator}} TPR at 1 % FPR"),
         (f'tailwatch_generator_check_limit{{{GEN}, check="membership_exposure"}}',
          "{{generator}} limit")],
        unit="percentunit", lower=0, upper=1), alerts_on("membership_exposure")), 12, 8)
    ly.add(timeseries(
        "Verified yield",
        "Share of the version's samples kept by generate-then-verify (inside the real support, "
        "authentic, within the real ranges and categories), beside the real-vs-real level.",
        _measured_vs_healthy("verified_yield"), unit="percentunit", lower=0, upper=1), 12, 8)
    ly.add(with_links(timeseries(
        "Safe synthetic share (mixing sweep)",
        "Largest share of the training rows the version's rows can replace before the pinned "
        "model's score on real rows leaves the all-real score's tolerance, with its bootstrap "
        "interval over seeds (generators with a target); red: the safe_share_decline limit. "
        "Corpora with max_synthetic_fraction = \"from:<generator>\" take it as their budget.",
        [(f"tailwatch_generator_safe_synthetic_share{{{GEN}}}", "{{generator}} safe share"),
         (f"tailwatch_generator_safe_synthetic_share_low{{{GEN}}}", "{{generator}} low"),
         (f"tailwatch_generator_safe_synthetic_share_high{{{GEN}}}", "{{generator}} high"),
         (f'tailwatch_generator_check_limit{{{GEN}, check="safe_share_decline"}}',
          "{{generator}} limit")],
        unit="percentunit", lower=0, upper=1), alerts_on("safe_share_decline")), 12, 8)
    ly.row("Text generators: vocabulary, rare words, diversity, lengths")
    ly.add(with_links(timeseries(
        "Vocabulary retention",
        "Reference word types seen in a fixed token budget of the version over those in the same "
        "budget of the reference (text generators only), beside the real-vs-real level; red: "
        "the vocabulary_loss limit.",
        _measured_vs_healthy("text_vocabulary_retention", "vocabulary_loss"),
        unit="percentunit", lower=0), alerts_on("vocabulary_loss")), 12, 8)
    ly.add(with_links(timeseries(
        "Rare-word mass",
        "Share of tokens that are rare reference words, over the reference's share (1: the "
        "lexical tail lives; towards 0 it is cut); red: the rare_mass_loss limit.",
        _measured_vs_healthy("text_rare_mass_ratio", "rare_mass_loss"), unit="short", lower=0),
        alerts_on("rare_mass_loss")), 12, 8)
    ly.add(with_links(timeseries(
        "Distinct-n and semantic diversity",
        "Distinct n-grams per n-gram at the token budget (n = 1..4) and the mean pairwise "
        "cosine distance of the texts' embeddings; diversity_decline breaches when one falls "
        "below diversity_share of its baseline beyond the noise.",
        [*((f"tailwatch_generator_text_distinct_{n}{{{GEN}}}", "{{generator}} distinct-" + str(n))
           for n in (1, 2, 3, 4)),
         (f"tailwatch_generator_text_semantic_diversity{{{GEN}}}", "{{generator}} semantic")],
        unit="short", lower=0), alerts_on("diversity_decline")), 12, 8)
    ly.add(with_links(timeseries(
        "Short and long texts",
        "Shares of texts at most as long as the reference's 5 % length quantile and at least as "
        "long as its 95 % quantile (about 0.05 each for real text).",
        [(f"tailwatch_generator_text_length_short_share{{{GEN}}}", "{{generator}} short"),
         (f"tailwatch_generator_text_length_long_share{{{GEN}}}", "{{generator}} long"),
         (f"tailwatch_generator_healthy_text_length_short_share{{{GEN}}}",
          "{{generator}} healthy short"),
         (f"tailwatch_generator_healthy_text_length_long_share{{{GEN}}}",
          "{{generator}} healthy long")],
        unit="percentunit", lower=0), alerts_on("length_tail_loss")), 12, 8)
    ly.row("Regions and tails")
    ly.add(with_links(timeseries("Worst region coverage",
                      "Lowest coverage over the k-means regions of the real reference: a dropped "
                      "mode shows as a region near 0.",
                      _measured_vs_healthy("worst_region_coverage", "region_uncovered"),
                      unit="percentunit", lower=0, upper=1), alerts_on("region_uncovered")),
           12, 8)
    ly.add(bargauge("Coverage by region (latest version)",
                    "Coverage of each region of the real reference by the latest version.",
                    f"tailwatch_generator_region_coverage{{{GEN}}}",
                    "{{generator}} region {{region}}", unit="percentunit", upper=1,
                    steps=[(None, "red"), (0.25, "yellow"), (0.6, "green")]), 12, 8)
    ly.add(with_links(timeseries(
        "Tail frequency ratio",
        "Synthetic share beyond each feature's real tail threshold, over the real share: 1 is "
        "healthy, towards 0 the tails vanish, far above 1 the generator invents extremes "
        "(lowest, mean and highest over features and sides). The tail checks compare each "
        "feature's share with the baseline version's: their limits (red) are ratios to it.",
        [(f"tailwatch_generator_tail_frequency_ratio{{{GEN}}}", "{{generator}} mean"),
         (f"tailwatch_generator_tail_frequency_ratio_min{{{GEN}}}", "{{generator}} lowest"),
         (f"tailwatch_generator_tail_frequency_ratio_max{{{GEN}}}", "{{generator}} highest"),
         (f"tailwatch_generator_check_limit{{{GEN}, {TAIL_CHECKS}}}",
          "{{generator}} limit {{check}}")],
        lower=0), alerts_on("tail_thinning", "tail_excess", "tail_gap")), 12, 8)
    ly.add(timeseries("Against the baseline version",
                      "Latest version's figure divided by the baseline (first measured) version's.",
                      [(f"tailwatch_generator_{m}_vs_baseline_ratio{{{GEN}}}",
                        "{{generator}} " + m)
                       for m in ("coverage", "recall", "precision", "density",
                                 "worst_region_coverage")],
                      unit="percentunit", lower=0), 12, 8)
    ly.add(with_links(bargauge(
        "Falling versions in a row",
        "Version steps in a row that lowered each metric beyond noise; alert at 3.",
        f"tailwatch_generator_declining_versions{{{GEN}}}", "{{generator}} {{metric}}",
        steps=[(None, "green"), (2, "yellow"), (3, "red")]), ("TailwatchSustainedDecline",)),
        12, 8)
    ly.add(timeseries("Version index",
                      "Position of the latest measured version (0 = baseline): maps time to "
                      "versions.",
                      [(f"tailwatch_generator_version_index{{{GEN}}}", "{{generator}}")],
                      lower=0), 12, 8)
    # Structure fidelity (issue 23): relations, minority classes and decision boundaries.
    ly.row("Structure: pairs, interactions, detection, category shares, classes")
    ly.add(with_links(timeseries(
        "Worst pair dependence difference",
        "Largest |dependence(reference) - dependence(version)| over the column pairs (Spearman, "
        "Cramér's V, the correlation ratio), beside its real-vs-real level; red: the "
        "dependence_shift limit (a rise from the baseline beyond the noise).",
        _measured_vs_healthy("dependence_difference_max", "dependence_shift"), lower=0),
        alerts_on("dependence_shift", "dependence_gap")), 12, 8)
    ly.add(with_links(timeseries(
        "Interaction loss",
        "Largest excess error on real rows of a model trained on the version over one trained on "
        "real rows, per audited column (normalised MAE or log loss; 0: as good as real rows); "
        "red: the interaction_loss limit. The column and the features whose importance changed "
        "are in tailwatch status and the report.",
        _measured_vs_healthy("interaction_loss_max", "interaction_loss")),
        alerts_on("interaction_loss", "interaction_gap")), 12, 8)
    ly.add(with_links(timeseries(
        "Detection AUC (real vs version)",
        "Cross-validated ROC AUC of a classifier telling the version's rows from real rows "
        "(0.5: indistinguishable), beside its real-vs-real level; red: the detectability_rise "
        "limit.",
        _measured_vs_healthy("detection_auc", "detectability_rise"), lower=0.4, upper=1),
        alerts_on("detectability_rise", "detectability_gap")), 12, 8)
    # Core figures the pair and two-sample checks judge too (measured with the family off).
    ly.add(with_links(timeseries(
        "Correlation matrix difference",
        "Mean |correlation(reference) - correlation(version)| over the numeric column pairs "
        "(SDMetrics' CorrelationSimilarity), beside its real-vs-real level. dependence_shift "
        "breaches when it rises from the baseline by correlation_change and beyond the noise "
        "(the check's reading and limit are those of the figure that decided).",
        _measured_vs_healthy("correlation_difference"), lower=0),
        alerts_on("dependence_shift", "dependence_gap")), 12, 8)
    ly.add(with_links(timeseries(
        "MMD (real vs version)",
        "Squared maximum mean discrepancy, RBF kernel, median heuristic (Gretton et al. 2012; "
        "about 0 real vs real), beside its real-vs-real level. detectability_rise breaches when "
        "it rises from the baseline by mmd_rise and beyond the noise.",
        _measured_vs_healthy("mmd")),
        alerts_on("detectability_rise", "detectability_gap")), 12, 8)
    ly.add(with_links(timeseries(
        "Category shares",
        "Lowest and highest version share / reference share over the tested categories, and the "
        "category_share_shift reading (the category furthest from its baseline share) with its "
        "limit; a minority class at a tenth of its share shows near 0.1.",
        [(f"tailwatch_generator_category_share_ratio_min{{{GEN}}}", "{{generator}} lowest"),
         (f"tailwatch_generator_category_share_ratio_max{{{GEN}}}", "{{generator}} highest"),
         (f'tailwatch_generator_check_value{{{GEN}, check="category_share_shift"}}',
          "{{generator}} vs baseline"),
         (f'tailwatch_generator_check_limit{{{GEN}, check="category_share_shift"}}',
          "{{generator}} limit")],
        lower=0), alerts_on("category_share_shift", "category_share_gap")), 12, 8)
    ly.add(with_links(timeseries(
        "Per-class coverage (lowest class)",
        "Lowest coverage of a class's real rows by the version's rows of the same class, beside "
        "its real-vs-real level: a mode collapse inside one class; red: the "
        "class_coverage_decline limit.",
        _measured_vs_healthy("class_coverage_min", "class_coverage_decline"),
        unit="percentunit", lower=0, upper=1),
        alerts_on("class_coverage_decline", "class_coverage_gap")), 12, 8)
    ly.add(with_links(timeseries(
        "Decision boundary coverage",
        "Coverage of the real rows a real-trained probe of the target is least sure about (the "
        "decision boundary), beside its real-vs-real level; red: the boundary_coverage_decline "
        "limit. Only with a categorical target.",
        _measured_vs_healthy("boundary_coverage", "boundary_coverage_decline"),
        unit="percentunit", lower=0, upper=1),
        alerts_on("boundary_coverage_decline", "boundary_coverage_gap")), 12, 8)
    # Sequences over time (issue 28): generators with entity_column and time_column.
    ly.row("Sequences: order within sequences, lengths and gaps, rhythm, forecasts")
    ly.add(with_links(timeseries(
        "Within-sequence structure",
        "Largest autocorrelation difference by lag (numeric columns) and transition-matrix "
        "total variation (categorical columns) from the reference's, beside their real-vs-real "
        "levels; the temporal_structure_loss reading (the sub-test that decided) and its limit. "
        "Events shuffled within their sequences jump here while every marginal holds.",
        [*_measured_vs_healthy("autocorr_diff_max"),
         *_measured_vs_healthy("transition_tv_max"),
         (f'tailwatch_generator_check_value{{{GEN}, check="temporal_structure_loss"}}',
          "{{generator}} reading"),
         (f'tailwatch_generator_check_limit{{{GEN}, check="temporal_structure_loss"}}',
          "{{generator}} limit")],
        lower=0), alerts_on("temporal_structure_loss")), 12, 8)
    ly.add(with_links(timeseries(
        "Sequence lengths and gaps (KS distance)",
        "Kolmogorov-Smirnov distance of the events per sequence and of the gaps between events "
        "from the reference's, beside the real-vs-real levels; red: the sequence_length_shift "
        "limit. Sequences cut short or gaps regularised rise here.",
        [*_measured_vs_healthy("sequence_length_ks", "sequence_length_shift"),
         (f"tailwatch_generator_gap_ks{{{GEN}}}", "{{generator}} gap_ks")],
        lower=0, upper=1), alerts_on("sequence_length_shift")), 12, 8)
    ly.add(with_links(timeseries(
        "Calendar rhythm (total variation)",
        "Hour-of-day and day-of-week shares of the events against the reference's (timestamp "
        "time columns only); red: the rhythm_loss limit.",
        [*_measured_vs_healthy("hour_tv", "rhythm_loss"),
         (f"tailwatch_generator_weekday_tv{{{GEN}}}", "{{generator}} weekday_tv")],
        lower=0, upper=1), alerts_on("rhythm_loss")), 12, 8)
    ly.add(with_links(timeseries(
        "Forecast utility (TSTR / TRTR error)",
        "Error of a one-step-ahead model trained on the version's sequences, over the same model "
        "trained on real ones, forecasting real holdout sequences (TimeGAN's predictive score; "
        "1: as good as real); red: the forecast_utility_decline limit.",
        _measured_vs_healthy("predictive_mae_ratio", "forecast_utility_decline"), lower=0),
        alerts_on("forecast_utility_decline")), 12, 8)
    ly.row("Per-feature drift (monitored_columns, or the top drifting columns)")
    ly.add(bargauge(
        "Drift by feature (latest version)",
        "Each exported column's drift from the reference at the latest version, worst first: "
        "the KS statistic of a numeric column, the total variation of a categorical one (0: "
        "identical; the report flags above 0.1). Only the generator's monitored_columns, or else "
        "its top_drifting_columns (default 10) columns by drift; every column is in the report's "
        "per-column drift table.",
        f"sort_desc(tailwatch_generator_feature_drift{{{GEN}}})",
        "{{generator}} {{feature}} ({{statistic}})", upper=1,
        steps=[(None, "green"), (0.1, "yellow"), (0.2, "red")]), 12, 10)
    ly.add(with_links(bargauge(
        "Tail frequency by feature (latest version)",
        "Share of the latest version's rows beyond each exported column's real 1 % (lower) and "
        "99 % (upper) quantiles over the real share: 1 is healthy, towards 0 the tail vanished, "
        "far above 1 the generator invents extremes (the tail checks' factors 0.5 and 2 by "
        "default).",
        f"sort(tailwatch_generator_feature_tail_frequency_ratio{{{GEN}}})",
        "{{generator}} {{feature}} {{side}}",
        steps=[(None, "red"), (0.5, "green"), (2, "red")]),
        alerts_on("tail_thinning", "tail_excess", "tail_gap")), 12, 10)
    return dashboard(
        "tailwatch-overview", "Tailwatch / Overview",
        "Generators: the verdict, change checks (which page) and fidelity gaps (tickets), "
        "fidelity, diversity, categories, tails and memorisation per version against the healthy "
        "real-vs-real level, with the check limits and active alerts.",
        [datasource_variable(),
         label_variable("generator", "Generator", "tailwatch_generator_versions_measured")],
        ly, [alert_annotation(GEN)])


def corpora() -> Json:
    ly = Layout()
    ly.row("Latest snapshot")
    ly.add(stat("Rows", "Rows in the latest snapshot.",
                f"tailwatch_corpus_rows{{{CORPUS}}}", "{{corpus}}", unit="short"), 6, 4)
    ly.add(stat("Synthetic share", "Share of rows labelled synthetic.",
                f"tailwatch_corpus_synthetic_fraction{{{CORPUS}}}", "{{corpus}}",
                unit="percentunit"), 6, 4)
    ly.add(stat("Unlabelled synthetic rows",
                "Rows found in the synthetic registry but not labelled synthetic.",
                f"tailwatch_corpus_unlabeled_synthetic_rows{{{CORPUS}}}", "{{corpus}}",
                unit="short", steps=RED_FROM_1), 6, 4)
    ly.add(stat("Synthetic rows in human-only corpora",
                "Synthetic rows in the corpora configured human_only.",
                f"tailwatch_corpus_human_only_violation_rows{{{CORPUS}}}"
                f" and on (corpus) tailwatch_corpus_human_only{{{CORPUS}}} == 1",
                "{{corpus}}", unit="short", steps=RED_FROM_1), 6, 4)
    ly.add(table("Active alerts", "Pending and firing Tailwatch alerts for the selected corpora.",
                 f"ALERTS{{{CORPUS}}}", HIDDEN), 24, 5)
    ly.row("Provenance mix")
    ly.add(timeseries("Rows by provenance (stacked)", "Rows of each snapshot by provenance label.",
                      [(f"tailwatch_corpus_provenance_rows{{{CORPUS}}}",
                        "{{corpus}} {{provenance}}")],
                      unit="short", lower=0, stack="normal", fill=60), 12, 8)
    ly.add(timeseries("Provenance shares (stacked)", "Share of each provenance label.",
                      [(f"tailwatch_corpus_provenance_rows{{{CORPUS}}}"
                        f" / on (corpus) group_left tailwatch_corpus_rows{{{CORPUS}}}",
                        "{{corpus}} {{provenance}}")],
                      unit="percentunit", lower=0, upper=1, stack="normal", fill=60), 12, 8)
    ly.add(timeseries("Rows added and removed",
                      "Rows added (up) and removed (down) since the previous snapshot.",
                      [(f"tailwatch_corpus_rows_added{{{CORPUS}}}", "{{corpus}} added"),
                       (f"-tailwatch_corpus_rows_removed{{{CORPUS}}}", "{{corpus}} removed")],
                      unit="short"), 12, 8)
    ly.add(timeseries("Corpus tail frequency ratio",
                      "Tail frequency of the corpus columns against its first snapshot (1 = same).",
                      [(f"tailwatch_corpus_tail_frequency_ratio{{{CORPUS}}}", "{{corpus}}")],
                      lower=0), 12, 8)
    ly.row("Leakage and budget")
    ly.add(timeseries("Synthetic share against the budget (red)",
                      "Share of rows labelled synthetic, the known synthetic share (labelled "
                      "plus unlabelled rows found in the registry) and the corpus's budget.",
                      [(f"tailwatch_corpus_synthetic_fraction{{{CORPUS}}}",
                        "{{corpus}} labelled synthetic"),
                       (f"tailwatch_corpus_known_synthetic_fraction{{{CORPUS}}}",
                        "{{corpus}} known synthetic"),
                       (f"tailwatch_corpus_synthetic_budget_ratio{{{CORPUS}}}",
                        "{{corpus}} budget")],
                      unit="percentunit", lower=0), 12, 8)
    ly.add(bargauge("Budget used",
                    "Known synthetic share over the budget (100 % = at the budget).",
                    f"tailwatch_corpus_known_synthetic_fraction{{{CORPUS}}}"
                    f" / tailwatch_corpus_synthetic_budget_ratio{{{CORPUS}}}", "{{corpus}}",
                    unit="percentunit", upper=1.5,
                    steps=[(None, "green"), (0.8, "yellow"), (1, "red")]), 12, 8)
    ly.add(timeseries("Leakage ratios",
                      "Unlabelled synthetic rows and estimated near-duplicates of synthetic "
                      "records as shares of the rows (near-duplicates with their 95 % interval).",
                      [(f"tailwatch_corpus_unlabeled_synthetic_ratio{{{CORPUS}}}",
                        "{{corpus}} unlabelled synthetic"),
                       (f"tailwatch_corpus_near_duplicate_synthetic_ratio{{{CORPUS}}}",
                        "{{corpus}} near-duplicates"),
                       (f"tailwatch_corpus_near_duplicate_synthetic_ratio_lower{{{CORPUS}}}",
                        "{{corpus}} near-duplicates lower"),
                       (f"tailwatch_corpus_near_duplicate_synthetic_ratio_upper{{{CORPUS}}}",
                        "{{corpus}} near-duplicates upper")],
                      unit="percentunit", lower=0), 12, 8)
    ly.add(timeseries("Leaked rows",
                      "Unlabelled synthetic rows, synthetic rows in human-only corpora, and the "
                      "expected false positives of the near-duplicate sample.",
                      [(f"tailwatch_corpus_unlabeled_synthetic_rows{{{CORPUS}}}",
                        "{{corpus}} unlabelled synthetic"),
                       (f"tailwatch_corpus_human_only_violation_rows{{{CORPUS}}}",
                        "{{corpus}} in a human-only corpus"),
                       (f"tailwatch_corpus_near_duplicate_expected_false_positives{{{CORPUS}}}",
                        "{{corpus}} expected false positives")],
                      unit="short", lower=0), 12, 8)
    return dashboard(
        "tailwatch-corpora", "Tailwatch / Corpora",
        "Training corpora: provenance mix, synthetic-data leakage and budgets per snapshot.",
        [datasource_variable(), label_variable("corpus", "Corpus", "tailwatch_corpus_rows")],
        ly, [alert_annotation(CORPUS)])


DAEMON_ALERTS = (
    "TailwatchTargetDown|TailwatchTargetMissing|TailwatchSubjectStale|"
    "TailwatchSubjectNeverScanned|TailwatchRunFailing|TailwatchVersionsBacklog"
)


def daemon() -> Json:
    ly = Layout()
    ly.row("Daemon")
    ly.add(stat("Exporter up", "Prometheus scraping the daemon (1 = up).", 'up{job="tailwatch"}',
                "{{instance}}", steps=[(None, "red"), (1, "green")]), 6, 4)
    ly.add(stat("Build", "Tailwatch, Python and DuckDB versions.", "tailwatch_build_info",
                "tailwatch {{version}}, python {{python}}, duckdb {{duckdb}}",
                text_mode="name"), 12, 4)
    ly.add(stat("Daemon alerts firing", "Firing alerts about the daemon itself.",
                f'count(ALERTS{{alertstate="firing", alertname=~"{DAEMON_ALERTS}"}}) or vector(0)',
                "firing", steps=RED_FROM_1, text_mode="value"), 6, 4)
    ly.row("Scans and runs")
    ly.add(timeseries("Time since the last completed scan",
                      "Age of each subject's last completed scan, and the stale limit (twice its "
                      "interval).",
                      [("tailwatch:scan_age_seconds", "{{kind}} {{subject}}"),
                       ("2 * tailwatch_scan_interval_seconds", "{{kind}} {{subject}} limit")],
                      unit="s", lower=0), 12, 8)
    ly.add(timeseries("Time since the last successful run",
                      "Seconds since each subject's latest successful measurement run.",
                      [("time() - tailwatch_last_success_timestamp_seconds",
                        "{{kind}} {{subject}}")], unit="s", lower=0), 12, 8)
    ly.add(timeseries("Runs per hour by status", "Measurement runs stored, by status.",
                      [("sum by (kind, subject, status) (increase(tailwatch_runs_total[1h]))",
                        "{{kind}} {{subject}} {{status}}")], unit="short", lower=0), 12, 8)
    ly.add(bargauge("Latest run failed", "1 when the subject's most recent run failed.",
                    "tailwatch_last_run_failed", "{{kind}} {{subject}}", upper=1,
                    steps=RED_FROM_1), 12, 8)
    ly.add(timeseries("Run duration", "Duration of each subject's most recent run.",
                      [("tailwatch_run_duration_seconds", "{{kind}} {{subject}}")],
                      unit="s", lower=0), 12, 8)
    ly.add(timeseries("Pending versions", "Versions or snapshots found but not yet measured.",
                      [("tailwatch_pending_versions", "{{kind}} {{subject}}")],
                      unit="short", lower=0), 12, 8)
    ly.add(timeseries("Scan errors per hour",
                      "Scans that could not list or read the subject's sources.",
                      [("increase(tailwatch_scan_errors_total[1h])", "{{kind}} {{subject}}")],
                      unit="short", lower=0), 12, 8)
    ly.add(table("Runs stored", "Measurement runs in the stored history, by status.",
                 "tailwatch_runs_total", ["Time", "__name__", "instance", "job"]), 12, 8)
    return dashboard(
        "tailwatch-daemon", "Tailwatch / Daemon",
        "The Tailwatch daemon's own health: scrape, scans, runs, backlog and errors.",
        [datasource_variable()], ly, [alert_annotation(f'alertname=~"{DAEMON_ALERTS}"')])
# fmt: on


DASHBOARDS = {"overview": overview, "corpora": corpora, "daemon": daemon}


def render() -> dict[str, str]:
    """The JSON text of every dashboard, by file name."""
    return {
        f"{name}.json": json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
        for name, build in DASHBOARDS.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for name, text in render().items():
        path = OUT / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(str(path))
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}", file=sys.stderr)
    if stale:
        print("out of date (run python grafana/build_dashboards.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
