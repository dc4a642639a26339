"""Text rules: a text generator's diversity and length tails against its baseline."""

from __future__ import annotations

from monitor.checks.healthy import HealthyLevels
from monitor.checks.noise import (
    MIN_EXPECTED_COUNT,
    VersionFigures,
    _bonferroni,
    _change_sd,
    two_proportion_z,
)
from monitor.checks.outcome import NONE, Outcome
from monitor.checks.rules_change import _share_decline
from monitor.checks.thresholds import CheckThresholds

TEXT_DIVERSITY: tuple[str, ...] = (
    "text_distinct_1",
    "text_distinct_2",
    "text_distinct_3",
    "text_distinct_4",
    "text_semantic_diversity",
)


def _diversity_decline(
    current: VersionFigures, baseline: VersionFigures, t: CheckThresholds
) -> Outcome:
    """Distinct-1..4 (at the token budget) and semantic diversity against the baseline's: a
    figure breaches below ``diversity_share`` of its baseline *and* below it by the change noise
    (Bonferroni over the figures tested). Guo et al. 2024: lexical diversity falls first."""
    tested: list[tuple[float, str, bool, float, float]] = []
    present = [m for m in TEXT_DIVERSITY if m in current.figures and m in baseline.figures]
    z_limit = _bonferroni(t.noise_sigmas, len(present))
    for metric in present:
        value, anchor = current.figures[metric], baseline.figures[metric]
        if anchor <= 0:
            continue
        limit = min(
            t.diversity_share * anchor, anchor - z_limit * _change_sd(current, baseline, metric)
        )
        tested.append((value / anchor, metric, value < limit, limit, value))
    if not tested:
        return NONE
    breaches = sorted(x for x in tested if x[2])
    shown = breaches[0] if breaches else min(tested)
    detail = ", ".join(f"{metric} x{ratio:.2f}" for ratio, metric, *_ in breaches)
    return bool(breaches), shown[3], shown[4], detail, shown[1]


def _length_tail_loss(
    current: VersionFigures, baseline: VersionFigures, t: CheckThresholds
) -> Outcome:
    """Shares of texts beyond the reference's 5 % and 95 % length quantiles against the
    baseline's: a side breaches below ``tail_low`` of its baseline share with a two-proportion
    z beyond the noise (Bonferroni over the sides tested, refit noise as the tail checks)."""
    m, m0, n = current.sample_rows, baseline.sample_rows, current.reference_rows
    tested: list[tuple[float, str, float]] = []
    for side in ("short", "long"):
        metric = f"text_length_{side}_share"
        now, before = current.figures.get(metric), baseline.figures.get(metric)
        if now is None or before is None or before * m0 < MIN_EXPECTED_COUNT:
            continue
        z = two_proportion_z(before, m0, now, m, 2.0 / n if n > 0 else 0.0)
        tested.append((now / before, f"{side} texts", z))
    if not tested:
        return NONE
    z_limit = _bonferroni(t.noise_sigmas, len(tested))
    breaches = sorted(x for x in tested if x[0] < t.tail_low and x[2] > z_limit)
    shown = breaches[0] if breaches else min(tested)
    detail = ", ".join(f"{name} x{ratio:.2f}" for ratio, name, _ in breaches)
    return bool(breaches), t.tail_low, shown[0], detail, f"{shown[1]} share / baseline's"


def vocabulary_loss(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _share_decline(
        "text_vocabulary_retention", t.vocabulary_share, current, baseline, t.noise_sigmas
    )


def rare_mass_loss(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _share_decline(
        "text_rare_mass_ratio", t.rare_mass_share, current, baseline, t.noise_sigmas
    )


def diversity_decline(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _diversity_decline(current, baseline, t)


def length_tail_loss(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _length_tail_loss(current, baseline, t)
