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
        "categories_lost",
        "Real categories of at least 1 % share, with at least 10 rows expected in the sample, "
        "that the sample no longer holds (their absence is not chance).",
        0,
        _INF,
        "minimize",
        "0",
        "Shumailov et al. 2024, Nature (improbable events vanish first)",
    ),
    MetricSpec(
        "rare_category_mass",
        "Mean synthetic share of the real-rare categories (< 1 %) per categorical feature.",
        0,
        1,
        "target",
        "the real rare mass",
        "Shumailov et al. 2024, Nature",
    ),
    MetricSpec(
        "tail_sides_unsupported",
        "Numeric column sides left out of the tail figures: no real tail (ties at the "
        "quantile) or fewer than 10 samples expected beyond it.",
        0,
        _INF,
        "minimize",
        "constant across versions",
        "Shumailov et al. 2024, Nature (tail loss); ties as in Naeem et al. 2020, sec. 4",
    ),
    MetricSpec(
        "worst_region_rows",
        "Real rows in the worst-covered region (at least max(k + 1, 20, 1 % of N)).",
        0,
        _INF,
        "target",
        "stable",
        f"{_NAEEM}, eq. 4, per region",
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
        "missing_share_max",
        "Largest share of missing cells (NaN, None, NaT, inf) in one column; present only where "
        "the version or the reference has missing cells (per column: missing_share).",
        0,
        1,
        "target",
        "near the reference's share of the same column",
        "SDMetrics MissingValueSimilarity (1 - |p_real - p_synthetic|)",
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

_ESTEBAN = "Esteban et al. 2017, arXiv 1706.02633, sec. 4.2 (TSTR); Jordon et al. 2022 (TRTR)"
_DOMIAS = "van Breugel et al. 2023, DOMIAS, AISTATS, eq. 2; Chen et al. 2020, GAN-Leaks, CCS"
_CARLINI = "Carlini et al. 2022, Membership Inference Attacks From First Principles, IEEE S&P"


def _utility_specs() -> tuple[MetricSpec, ...]:
    """TSTR and TRTR figures of the pinned model (collectors.gates.utility)."""
    figures: dict[str, tuple[str, float, float, Goal]] = {
        "accuracy": ("accuracy on the real test rows", 0.0, 1.0, "maximize"),
        "balanced_accuracy": ("mean per-class recall on the real test rows", 0.0, 1.0, "maximize"),
        "roc_auc": ("ROC AUC (one-vs-rest macro for several classes)", 0.0, 1.0, "maximize"),
        "r2": ("R^2 on the real test rows", -_INF, 1.0, "maximize"),
        "mae": ("mean absolute error on the real test rows (target units)", 0, _INF, "minimize"),
        "log_loss": (
            "log loss, -mean log p(true class), probabilities clipped to [1e-15, 1], on the real "
            "test rows (Good 1952, J. R. Stat. Soc. B 14(1), eq. 1)",
            0,
            _INF,
            "minimize",
        ),
    }
    out = []
    for side, trained in (("tstr", "the version's rows"), ("trtr", "as many real rows")):
        for name, (what, low, high, goal) in figures.items():
            out.append(
                MetricSpec(
                    f"{side}_{name}",
                    f"Pinned model trained on {trained}: {what}.",
                    low,
                    high,
                    goal,
                    "the TRTR level" if side == "tstr" else "stable",
                    _ESTEBAN,
                )
            )
    return tuple(out)


# Gates (collectors.gates): utility, class mix, membership attack, verified subset.
GATE_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "utility_ratio",
        "TSTR over TRTR of the primary figure (balanced accuracy, or R^2): the version's "
        "usefulness for training against real data of the same size.",
        -_INF,
        _INF,
        "target",
        "about 1 (within the real-vs-real draws' spread)",
        _ESTEBAN,
        target=1.0,
    ),
    MetricSpec(
        "utility_error_ratio",
        "TSTR over TRTR of the error figure (log loss, or mean absolute error): above 1, a model "
        "trained on the version errs more on real rows than one trained on real rows; sees a "
        "broken dependence that R^2 or accuracy hide.",
        0,
        _INF,
        "target",
        "about 1 (within the real-vs-real draws' spread)",
        _ESTEBAN,
        target=1.0,
    ),
    *_utility_specs(),
    MetricSpec(
        "classes_lost",
        "Target classes of >= 1 % of the reference, >= 10 rows expected, absent from the version.",
        0,
        _INF,
        "minimize",
        "0",
        "Shumailov et al. 2024, Nature (improbable events vanish first)",
    ),
    MetricSpec(
        "class_share_ratio_min",
        "Lowest per-class share ratio (version share over reference share, bounded to [0, 10]).",
        0,
        10,
        "target",
        "near 1",
        "Shumailov et al. 2024, Nature",
        target=1.0,
    ),
    MetricSpec(
        "class_share_ratio_max",
        "Highest per-class share ratio (version share over reference share, bounded to [0, 10]).",
        0,
        10,
        "target",
        "near 1",
        "Shumailov et al. 2024, Nature",
        target=1.0,
    ),
    MetricSpec(
        "class_total_variation",
        "Total variation distance between the version's and the reference's target classes.",
        0,
        1,
        "minimize",
        "near the real-vs-real level",
        "total variation distance",
    ),
    MetricSpec(
        "membership_auc",
        "ROC AUC of the stronger membership-inference attack (distance or density ratio) "
        "telling the generator's training rows from the real holdout with the version's samples.",
        0,
        1,
        "target",
        "0.5 (within membership_auc_noise)",
        f"{_DOMIAS}; Hanley and McNeil 1982",
        target=0.5,
    ),
    MetricSpec(
        "membership_distance_auc",
        "ROC AUC of the distance attack (closer to the version's nearest sample: member).",
        0,
        1,
        "target",
        "0.5",
        "Chen et al. 2020, GAN-Leaks, CCS, sec. 4.2",
        target=0.5,
    ),
    MetricSpec(
        "membership_density_auc",
        "ROC AUC of the density-ratio attack (k-NN density of the version over the real one).",
        0,
        1,
        "target",
        "0.5",
        _DOMIAS,
        target=0.5,
    ),
    MetricSpec(
        "membership_tpr_at_1pct_fpr",
        "Share of training rows the stronger attack flags while flagging 1 % of the holdout.",
        0,
        1,
        "minimize",
        "about 0.01",
        _CARLINI,
    ),
    MetricSpec(
        "membership_auc_noise",
        "Standard deviation of the attack AUC under no membership signal (Mann-Whitney null).",
        0,
        1,
        "minimize",
        "sqrt((2n + 1) / 12 n^2) for n rows of each kind",
        "Mann and Whitney 1947",
    ),
    MetricSpec(
        "verified_yield",
        "Share of the version's samples that pass every verdict (in support, authentic, within "
        "the real ranges and categories): the kept subset of generate-then-verify.",
        0,
        1,
        "maximize",
        "the real-vs-real level",
        f"{_NAEEM}, eq. 1 (per sample); SDMetrics DCR",
    ),
    MetricSpec(
        "verified_in_support_share",
        "Share of samples inside some real k-NN ball (the per-sample precision test).",
        0,
        1,
        "maximize",
        "the real-vs-real level (equals precision without ties)",
        f"{_NAEEM}, eq. 1",
    ),
    MetricSpec(
        "verified_authentic_share",
        "Share of samples no closer to a training row than the holdout's 5th percentile.",
        0,
        1,
        "maximize",
        "about 0.95",
        "SDMetrics DCR; Alaa et al. 2022, sec. 3.3",
    ),
    MetricSpec(
        "verified_in_range_share",
        "Share of samples within the real minimum and maximum of every numeric column and "
        "among the real categories.",
        0,
        1,
        "maximize",
        "the real-vs-real level",
        "Shumailov et al. 2024, Nature (tails)",
    ),
)
GENERATOR_METRICS = GENERATOR_METRICS + GATE_METRICS

# Text generators: lexical figures at a fixed token budget, semantic diversity; the
# precision/recall/density/coverage above are then measured in the embedding space.
_SHUMAILOV = "Shumailov et al. 2024, Nature 631:755, AI models collapse (tails vanish first)"
_GUO = "Guo et al. 2024, NAACL Findings, The Curious Decline of Linguistic Diversity"
_DOHMATOB = "Dohmatob et al. 2024, ICML, A Tale of Tails (the Zipf tail is cut)"
_HURLBERT = "rarefied to the token budget (Hurlbert 1971, Ecology 52:577)"

TEXT_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "text_vocabulary_retention",
        "Expected reference word types in a token budget of the sample over those in the same "
        "budget of the reference.",
        0,
        _INF,
        "maximize",
        "near the real-vs-real level (below 1: a holdout uses words the reference lacks)",
        f"{_SHUMAILOV}; {_HURLBERT}",
    ),
    MetricSpec(
        "text_rare_mass_ratio",
        "Share of sample tokens that are rare reference types (the rarest count classes holding "
        "10 % of reference tokens) over the reference's share.",
        0,
        _INF,
        "target",
        "near the real-vs-real level; towards 0 the lexical tail vanishes",
        f"{_SHUMAILOV}; {_DOHMATOB}",
    ),
    *(
        MetricSpec(
            f"text_distinct_{n}",
            f"Distinct {n}-grams per {n}-gram at the token budget (within texts).",
            0,
            1,
            "maximize",
            "near the real-vs-real level",
            f"Li et al. 2016, NAACL, distinct-n; {_GUO}; {_HURLBERT}",
        )
        for n in (1, 2, 3, 4)
    ),
    MetricSpec(
        "text_type_token_ratio",
        "Word types per token at a budget of 1,000 tokens.",
        0,
        1,
        "maximize",
        "near the real-vs-real level",
        f"{_GUO}; {_HURLBERT}",
    ),
    MetricSpec(
        "text_ngram_novelty",
        "Share of the sample's word 4-grams that never occur in the reference.",
        0,
        1,
        "target",
        "near the real-vs-real level; towards 0 the generator copies the reference",
        _GUO,
    ),
    MetricSpec(
        "text_self_repetition",
        "Mean over texts of the share of a text's word 4-grams that repeat one in the same text.",
        0,
        1,
        "minimize",
        "near the real-vs-real level",
        "Welleck et al. 2020, ICLR, seq-rep-4; " + _GUO,
    ),
    MetricSpec(
        "text_length_short_share",
        "Share of texts at most as long (in tokens) as the reference's 5 % length quantile.",
        0,
        1,
        "target",
        "the reference's share (about 0.05)",
        _SHUMAILOV,
    ),
    MetricSpec(
        "text_length_long_share",
        "Share of texts at least as long (in tokens) as the reference's 95 % length quantile.",
        0,
        1,
        "target",
        "the reference's share (about 0.05)",
        _SHUMAILOV,
    ),
    MetricSpec(
        "text_zipf_slope",
        "Least-squares slope of log frequency on log rank over the top ranks (up to 1,000).",
        -_INF,
        0,
        "target",
        "near the real-vs-real level (about -1); steeper: the tail is cut",
        f"Zipf 1949; {_DOHMATOB}",
    ),
    MetricSpec(
        "text_tokens_mean",
        "Mean tokens per text.",
        0,
        _INF,
        "target",
        "near the real-vs-real level",
        "collectors.text.tokenize (Unicode-aware, the fingerprints' normalisation)",
    ),
    MetricSpec(
        "text_semantic_diversity",
        "Mean pairwise cosine distance of the texts' embeddings.",
        0,
        2,
        "maximize",
        "near the real-vs-real level",
        f"{_GUO} (semantic diversity)",
    ),
)
GENERATOR_METRICS = (*GENERATOR_METRICS, *TEXT_METRICS)

# -- Mixing sweep (issue 29, collectors.gates.mixing): the pinned model trained on real rows mixed
# with a share of the version's rows; shares are whole multiples of 5 % so the names stay bounded.
MIXING_SHARES: tuple[int, ...] = tuple(range(0, 101, 5))
_MIXING = (
    "Alemohammad et al. 2023, Self-Consuming Generative Models Go MAD, arXiv 2307.01850; "
    "Bertrand et al. 2024, On the Stability of Iterative Retraining, ICLR, Thm. 1; "
    "Gerstgrasser et al. 2024, Is Model Collapse Inevitable?, arXiv 2404.01413"
)
_EFRON = "Efron and Tibshirani 1993, An Introduction to the Bootstrap, ch. 13 (percentile)"


def _mixing_specs() -> tuple[MetricSpec, ...]:
    out = []
    for share in MIXING_SHARES:
        out.append(
            MetricSpec(
                f"mixing_score_share_{share}",
                f"Primary utility figure (balanced accuracy, or R^2) of the pinned model trained "
                f"on real rows with {share} % of them replaced by the version's: the all-real "
                f"score plus the seeds' mean difference to their paired real draws (0 %: the TRTR "
                f"mean; 100 %: the TSTR score).",
                -_INF,
                1,
                "maximize",
                "the 0 % (all-real) score",
                f"{_ESTEBAN}; {_MIXING}",
            )
        )
        out.append(
            MetricSpec(
                f"mixing_score_sd_share_{share}",
                f"Standard deviation over seeds of mixing_score_share_{share}.",
                0,
                _INF,
                "minimize",
                "small",
                _MIXING,
            )
        )
    descriptions = {
        "safe_synthetic_share": "Largest share of the version's rows in the training mix up to "
        "which the score stays within the margin of the all-real score (a share of its skill over "
        "chance, or the noise if larger).",
        "safe_synthetic_share_low": "Lower bound (2.5 %) of safe_synthetic_share, percentile "
        "bootstrap over seeds.",
        "safe_synthetic_share_high": "Upper bound (97.5 %) of safe_synthetic_share, percentile "
        "bootstrap over seeds.",
    }
    for name, text in descriptions.items():
        out.append(MetricSpec(name, text, 0, 1, "maximize", "high (near 1 for fresh real rows)",
                              f"{_MIXING}; {_EFRON}"))  # fmt: skip
    return tuple(out)


MIXING_METRICS: tuple[MetricSpec, ...] = _mixing_specs()
GENERATOR_METRICS = (*GENERATOR_METRICS, *MIXING_METRICS)

# -- Structure fidelity (issue 23, collectors.metrics.structure via collectors.families.structure):
# joint and conditional structure a version keeps or breaks while its marginals hold.
_S_PAIRS = (
    "Spearman 1904 (numeric pairs); Bergsma 2013, J. Korean Stat. Soc. 42:323, eqs. 3-4 "
    "(bias-corrected Cramér's V); Pearson 1905 (correlation ratio eta)"
)
_S_C2ST = "Lopez-Paz & Oquab 2017, Revisiting Classifier Two-Sample Tests, ICLR, sec. 2"
_S_BINOM = (
    "Clopper & Pearson 1934 (exact binomial test, minlike two-sided p); Dunn 1961 (Bonferroni)"
)
_S_AUDIT = "Esteban et al. 2017, arXiv 1706.02633, sec. 4.2 (TSTR); Jordon et al. 2022 (TRTR)"
_S_NAEEM = "Naeem et al. 2020, ICML, eqs. 2 and 4, per class"

STRUCTURE_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "dependence_difference_mean",
        "Mean over column pairs of |dependence(reference) - dependence(version)|.",
        0,
        2,
        "minimize",
        "the real-vs-real level at the version's size",
        _S_PAIRS,
    ),
    MetricSpec(
        "dependence_difference_max",
        "Largest pair dependence difference (the worst pair is named in the details).",
        0,
        2,
        "minimize",
        "the real-vs-real level at the version's size",
        _S_PAIRS,
    ),
    MetricSpec(
        "detection_auc",
        "Cross-validated ROC AUC of a classifier telling the version's rows from real rows.",
        0,
        1,
        "target",
        "about 0.5 (the real-vs-real level)",
        _S_C2ST,
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
        _S_BINOM,
    ),
    MetricSpec(
        "category_share_ratio_min",
        "Lowest version share / reference share over the tested categories.",
        0,
        _INF,
        "target",
        "near 1",
        _S_BINOM,
        target=1.0,
    ),
    MetricSpec(
        "category_share_ratio_max",
        "Highest version share / reference share over the tested categories.",
        0,
        _INF,
        "target",
        "near 1",
        _S_BINOM,
        target=1.0,
    ),
    MetricSpec(
        "categories_off_share",
        "Tested categories whose adjusted binomial p-value is below 0.01.",
        0,
        _INF,
        "minimize",
        "0",
        _S_BINOM,
    ),
    MetricSpec(
        "interaction_loss_max",
        "Largest excess error, on real holdout rows, of a model trained on the version over "
        "the same model trained on real rows, per audited column (normalised MAE or log loss).",
        -_INF,
        _INF,
        "minimize",
        "the real-vs-real level (near 0)",
        _S_AUDIT,
    ),
    MetricSpec(
        "interaction_loss_ratio_max",
        "Largest version-trained / real-trained error ratio over the audited columns.",
        0,
        _INF,
        "minimize",
        "the real-vs-real level (near 1)",
        _S_AUDIT,
    ),
    MetricSpec(
        "class_coverage_min",
        "Lowest per-class coverage of the real rows by the version's rows of the same class.",
        0,
        1,
        "maximize",
        "the real-vs-real level at the version's size",
        _S_NAEEM,
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
        _S_NAEEM,
    ),
)
GENERATOR_METRICS = (*GENERATOR_METRICS, *STRUCTURE_METRICS)

# -- Sequences over time (issue 28, collectors.sequences via collectors.families.sequences):
# scalars only (no per-column or per-lag labels), named and documented in
# collectors.sequences.names in this shape; measured for generators with entity and time columns.
from collectors.sequences.names import SEQUENCE_METRICS as _SEQUENCE_METRICS  # noqa: E402

SEQUENCE_METRICS: tuple[MetricSpec, ...] = tuple(MetricSpec(*m[:8]) for m in _SEQUENCE_METRICS)
GENERATOR_METRICS = (*GENERATOR_METRICS, *SEQUENCE_METRICS)

BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in GENERATOR_METRICS}


def spec(name: str) -> MetricSpec:
    """Return the spec of metric ``name``; ``KeyError`` names the unknown metric."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {sorted(BY_NAME)}") from None


# Figures whose ratio to the baseline and to the previous version is stored and exported.
RELATIVE_METRICS: tuple[str, ...] = (
    "precision",
    "recall",
    "density",
    "coverage",
    "clipped_density",
    "clipped_coverage",
    "alpha_precision",
    "beta_recall",
    "authenticity",
    "worst_region_coverage",
    "tail_frequency_ratio",
)

_WILSON = "Wilson 1927, JASA 22:209 (score interval)"
_BRODER = "Broder 1997, On the resemblance and containment of documents (MinHash); datasketch LSH"
_CONFORMAL = "Angelopoulos & Bates 2021, arXiv 2107.07511 (split-conformal threshold)"
_FINGERPRINT = (
    "collectors.provenance.definition fingerprint (NFKC + case fold, MD5 first 64 bits, RFC 1321)"
)
_CLUSTER = (
    "Cochran 1977, Sampling Techniques, 6.4 and 11.8; Lohr 2022, Sampling: Design and Analysis, "
    "5.3 (ratio estimator of a one-stage cluster sample, linearised variance)"
)

CORPUS_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("rows", "Rows in the corpus snapshot.", 0, _INF, "target", "as planned", "count"),
    MetricSpec(
        "unrecognised_label_rows",
        "Rows whose provenance value is not in the label mapping (or NULL); counted as unknown.",
        0,
        _INF,
        "minimize",
        "0",
        "configured label mapping",
    ),
    MetricSpec(
        "synthetic_fraction",
        "Rows labelled synthetic over all rows.",
        0,
        1,
        "minimize",
        "at or below the corpus budget",
        "Shumailov et al. 2024, Nature; Gerstgrasser et al. 2024 (accumulate, do not replace)",
    ),
    MetricSpec(
        "known_synthetic_fraction",
        "Labelled synthetic plus unlabeled synthetic (registry) rows over all rows.",
        0,
        1,
        "minimize",
        "at or below the corpus budget",
        f"{_FINGERPRINT}; Shumailov et al. 2024, Nature",
    ),
    MetricSpec(
        "unlabeled_synthetic_rows",
        "Rows not labelled synthetic whose fingerprint is a registered synthetic record.",
        0,
        _INF,
        "minimize",
        "0",
        _FINGERPRINT,
    ),
    MetricSpec(
        "unlabeled_synthetic_ratio",
        "Unlabeled synthetic rows over the rows not labelled synthetic.",
        0,
        1,
        "minimize",
        "0",
        _FINGERPRINT,
    ),
    MetricSpec(
        "budget_exceeded",
        "1 when the known synthetic fraction is above max_synthetic_fraction, else 0.",
        0,
        1,
        "minimize",
        "0",
        "corpus policy (configuration)",
    ),
    MetricSpec(
        "human_only_violation_rows",
        "Synthetic rows (labelled or registered) in a corpus declared human-only.",
        0,
        _INF,
        "minimize",
        "0",
        "corpus policy (configuration)",
    ),
    MetricSpec(
        "rows_added",
        "Rows whose fingerprint was not in the previous snapshot (multiset difference).",
        0,
        _INF,
        "target",
        "as planned",
        _FINGERPRINT,
    ),
    MetricSpec(
        "rows_removed",
        "Rows of the previous snapshot whose fingerprint is gone (multiset difference).",
        0,
        _INF,
        "target",
        "as planned",
        _FINGERPRINT,
    ),
    MetricSpec(
        "near_duplicate_sample_rows",
        "Rows not labelled synthetic in the near-duplicate sample.",
        0,
        _INF,
        "target",
        "the configured sample size",
        "seeded reservoir sample",
    ),
    MetricSpec(
        "near_duplicate_synthetic_rows",
        "Sampled rows that are exact or edited copies of registered synthetic records.",
        0,
        _INF,
        "minimize",
        "at or below the expected false positives",
        f"{_BRODER}; {_CONFORMAL}",
    ),
    MetricSpec(
        "near_duplicate_synthetic_ratio",
        "Near-duplicate synthetic rows over the sample (exact copies included).",
        0,
        1,
        "minimize",
        "near 0",
        f"{_BRODER}; {_CONFORMAL}",
    ),
    MetricSpec(
        "near_duplicate_synthetic_ratio_lower",
        "Lower bound of the 95 % Wilson interval of the near-duplicate ratio.",
        0,
        1,
        "minimize",
        "0",
        _WILSON,
    ),
    MetricSpec(
        "near_duplicate_synthetic_ratio_upper",
        "Upper bound of the 95 % Wilson interval of the near-duplicate ratio.",
        0,
        1,
        "minimize",
        "small",
        _WILSON,
    ),
    MetricSpec(
        "near_duplicate_expected_false_positives",
        "Expected flagged human rows in the sample: n (f + 1) / (h + 1) from the human null.",
        0,
        _INF,
        "minimize",
        "well below the near-duplicate count when it alerts",
        _CONFORMAL,
    ),
    MetricSpec(
        "tail_frequency_ratio",
        "Mean tail frequency ratio of the numeric columns against the first snapshot.",
        0,
        _INF,
        "target",
        "1; towards 0 the corpus loses its tails",
        "Shumailov et al. 2024, Nature, AI models collapse (tail loss)",
        target=1.0,
    ),
    MetricSpec(
        "rare_category_mass_ratio",
        "Mass of the first snapshot's rare categories now, over their mass then.",
        0,
        _INF,
        "target",
        "1",
        "Shumailov et al. 2024, Nature",
        target=1.0,
    ),
    MetricSpec(
        "missing_categories",
        "Categories of the first snapshot absent from this snapshot's sample.",
        0,
        _INF,
        "minimize",
        "0",
        "Shumailov et al. 2024, Nature",
    ),
    MetricSpec(
        "synthetic_fraction_lower",
        "Lower bound of the synthetic fraction (the value itself in a full scan).",
        0,
        1,
        "minimize",
        "0",
        _CLUSTER,
    ),
    MetricSpec(
        "synthetic_fraction_upper",
        "Upper bound of the synthetic fraction (the value itself in a full scan).",
        0,
        1,
        "minimize",
        "0",
        _CLUSTER,
    ),
    MetricSpec(
        "known_synthetic_fraction_lower",
        "Lower bound of the known synthetic fraction (the value itself in a full scan).",
        0,
        1,
        "minimize",
        "0",
        _CLUSTER,
    ),
    MetricSpec(
        "known_synthetic_fraction_upper",
        "Upper bound of the known synthetic fraction (the value itself in a full scan).",
        0,
        1,
        "minimize",
        "0",
        _CLUSTER,
    ),
    MetricSpec(
        "unlabeled_synthetic_ratio_lower",
        "Lower bound of the unlabeled synthetic ratio (the value itself in a full scan).",
        0,
        1,
        "minimize",
        "0",
        _CLUSTER,
    ),
    MetricSpec(
        "unlabeled_synthetic_ratio_upper",
        "Upper bound of the unlabeled synthetic ratio (the value itself in a full scan).",
        0,
        1,
        "minimize",
        "0",
        _CLUSTER,
    ),
    MetricSpec(
        "sampled",
        "1 when the figures are estimated from sampled row groups.",
        0,
        1,
        "target",
        "as planned",
        _CLUSTER,
    ),
    MetricSpec(
        "sample_row_groups",
        "Row groups read by a sampled scan (0 in a full scan).",
        0,
        _INF,
        "target",
        "as planned",
        _CLUSTER,
    ),
    MetricSpec(
        "sample_rows",
        "Rows read by a sampled scan (0 in a full scan).",
        0,
        _INF,
        "target",
        "as planned",
        _CLUSTER,
    ),
    MetricSpec(
        "bytes_read",
        "Bytes read by a sampled scan: footers and chosen column chunks.",
        0,
        _INF,
        "target",
        "as planned",
        _CLUSTER,
    ),
    MetricSpec(
        "bytes_total",
        "Bytes of the snapshot's files (sampled scans).",
        0,
        _INF,
        "target",
        "as planned",
        _CLUSTER,
    ),
)

CORPUS_BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in CORPUS_METRICS}
