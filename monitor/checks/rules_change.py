"""Change rules: a version against the generator's own baseline (collapse checks).

Each public function is one check's rule, ``(current, baseline, healthy, thresholds) ->
outcome``, named by its check (:mod:`monitor.checks.records`).
"""

from __future__ import annotations

import math

from monitor.checks.healthy import HealthyLevels
from monitor.checks.noise import (
    MIN_EXPECTED_COUNT,
    VersionFigures,
    _bonferroni,
    _change_sd,
    two_proportion_z,
)
from monitor.checks.outcome import NONE, Outcome
from monitor.checks.rules_tails import _tails, design_effect_figure, effective_rows
from monitor.checks.thresholds import CheckThresholds


def capped_anchor(
    metric: str, anchor: float, healthy: HealthyLevels | None, sigmas: float
) -> float:
    """The baseline's ``metric`` capped at the healthy real-vs-real level plus its noise.

    A baseline better than real rows are (a first version fit on the reference rows themselves,
    or a copy of them, scores coverage and recall near 1 against the reference) is taken as the
    real-vs-real level: no honest later version can match it, and every one would read as a
    decline (DETECTION-NOTES, "judge against holdout rows too"). The cap applies only where the
    level is reliable (a holdout of ``MIN_HOLDOUT_ROWS``; coverage and recall not from repeated
    holdout rows) and never raises an anchor: a baseline below the level is kept.
    """
    if healthy is None or not healthy.reliable:
        return anchor
    level = healthy.get(metric)
    if level is None or not math.isfinite(level):
        return anchor
    if metric in ("coverage", "recall", "worst_region_coverage") and healthy.repeated_rows:
        return anchor
    spread = healthy.spread.get(metric, 0.0)
    ceiling = level + sigmas * (spread if math.isfinite(spread) else 0.0)
    return min(anchor, ceiling)


def _share_decline(
    metric: str,
    share: float,
    current: VersionFigures,
    baseline: VersionFigures,
    sigmas: float,
    healthy: HealthyLevels | None = None,
) -> Outcome:
    """``metric`` below ``share`` of the baseline's *and* below it by ``sigmas`` change noises;
    the baseline's figure capped at the healthy level (:func:`capped_anchor`) when ``healthy``
    is given."""
    value, anchor = current.figures.get(metric), baseline.figures.get(metric)
    if value is None or anchor is None:
        return None, None, value, ""
    anchor = capped_anchor(metric, anchor, healthy, sigmas)
    limit = min(share * anchor, anchor - sigmas * _change_sd(current, baseline, metric))
    return value < limit, limit, value, ""


def _density_rise(
    current: VersionFigures,
    baseline: VersionFigures,
    healthy: HealthyLevels,
    t: CheckThresholds,
) -> Outcome:
    value, anchor = current.figures.get("density"), baseline.figures.get("density")
    if value is None or anchor is None:
        return None, None, value, ""
    level = healthy.get("density") if healthy.reliable else None
    anchor = max(anchor, level) if level is not None else anchor
    limit = max(
        t.density_factor * anchor,
        anchor + t.noise_sigmas * _change_sd(current, baseline, "density"),
    )
    return value > limit, limit, value, ""


def _category_lost(current: VersionFigures, baseline: VersionFigures) -> Outcome:
    value, anchor = current.figures.get("categories_lost"), baseline.figures.get("categories_lost")
    if value is None or anchor is None:
        return None, None, value, ""
    returned = current.observed.categories_returned if current.observed is not None else {}
    lost = []
    for feature, values in current.per_feature.items():
        before = baseline.per_feature.get(feature, {}).get("categories_lost")
        now = values.get("categories_lost")
        if before is None or now is None:
            continue
        # Losses the generator already reversed are its refit noise (observed_noise).
        before = max(before, returned.get(feature, 0.0))
        if now > before:
            lost.append(f"{feature} ({int(now - before)} more)")
    breached = bool(lost) if current.per_feature else value > anchor
    return breached, anchor, value, ", ".join(lost)


def _rare_deff(v: VersionFigures, feature: str) -> float:
    """The design effect of ``v``'s rare-category mass of ``feature`` (``rare_design_effect``,
    a sequence generator's sample of whole entities); 1 for rows sampled independently."""
    return design_effect_figure(v.per_feature.get(feature, {}).get("rare_design_effect"))


def _rare_shift(current: VersionFigures, baseline: VersionFigures, t: CheckThresholds) -> Outcome:
    """Per categorical feature: rare-category mass moved by ``rare_factor`` either way.

    A feature is judged only where the baseline or the version holds ``MIN_EXPECTED_COUNT`` rare
    rows (the two-proportion test's normal approximation); where per-feature masses exist but
    none has that support, the check says so and does not fall back to the pooled ratio, which
    would judge 1 row against 6 as a sixfold shift.
    """
    m, m0 = current.sample_rows, baseline.sample_rows
    tested: list[tuple[float, str, float]] = []
    measured = False  # per-feature masses exist (then an unsupported one is not judged at all)
    for feature, values in current.per_feature.items():
        now = values.get("rare_category_mass")
        before = baseline.per_feature.get(feature, {}).get("rare_category_mass")
        if now is None or before is None:
            continue
        measured = True
        if max(now * m, before * m0) < MIN_EXPECTED_COUNT:
            continue
        ratio = now / before if before > 0 else math.inf
        # Sequences: rows of whole entities count as effective rows (rules_tails.effective_rows).
        deff = _rare_deff(current, feature)
        refits = 2.0 * deff / current.reference_rows if current.reference_rows > 0 else 0.0
        m_eff, m0_eff = effective_rows(m, deff), effective_rows(m0, _rare_deff(baseline, feature))
        tested.append((ratio, feature, abs(two_proportion_z(now, m_eff, before, m0_eff, refits))))
    if not tested and measured:
        # Fewer than MIN_EXPECTED_COUNT rare rows expected on either side: a 0.6 % category at
        # 1,500 rows is 9 rows, and 1 against 6 of them is chance, not a shift.
        return None, None, None, "rare categories too rare to judge at this size"
    if not tested:
        value = current.figures.get("rare_category_mass_ratio")
        anchor = baseline.figures.get("rare_category_mass_ratio")
        if value is None or anchor is None or anchor <= 0:
            return None, None, value, ""
        ratio = value / anchor
        return ratio < 1 / t.rare_factor or ratio > t.rare_factor, t.rare_factor, ratio, ""
    z_limit = _bonferroni(t.noise_sigmas, 2 * len(tested))  # two-sided
    breaches = [
        x for x in tested if (x[0] < 1 / t.rare_factor or x[0] > t.rare_factor) and x[2] > z_limit
    ]
    shown = max(
        breaches or tested, key=lambda x: abs(math.log(x[0])) if 0 < x[0] < math.inf else 99
    )
    limit = t.rare_factor if shown[0] >= 1 else 1 / t.rare_factor
    detail = ", ".join(f"{name} x{ratio:.2f}" for ratio, name, _ in breaches[:5])
    value = shown[0] if math.isfinite(shown[0]) else None
    return bool(breaches), limit, value, detail, f"{shown[1]} rare-category mass / baseline's"


def _utility_decline(
    current: VersionFigures, baseline: VersionFigures, t: CheckThresholds
) -> Outcome:
    """TSTR/TRTR below ``utility_share`` of the baseline's *and* beyond the change noise (the
    spread of real-vs-real draws at the version's size; Esteban et al. 2017, TSTR); or the
    error ratio (TSTR/TRTR of MAE, or log loss) above ``utility_error_factor`` times the
    baseline's *and* beyond its noise: a broken dependence can keep R^2 while the absolute
    error rises by half (issue 23). The error ratio's figure is named where it alone decided;
    otherwise value and limit are the score ratio's, as before."""
    breached, limit, value = _share_decline(
        "utility_ratio", t.utility_share, current, baseline, t.noise_sigmas
    )[:3]
    error = _utility_error_rise(current, baseline, t)
    if error is not None and (breached is None or (error[0] and not breached)):
        return error
    if breached is None:
        return breached, limit, value, ""
    tstr = current.figures.get("tstr_balanced_accuracy", current.figures.get("tstr_r2"))
    detail = f"TSTR {tstr:.3f}" if breached and tstr is not None else ""
    if breached and error is not None and error[0]:
        detail = f"{detail}; {error[3]}"
    return breached, limit, value, detail


def _utility_error_rise(
    current: VersionFigures, baseline: VersionFigures, t: CheckThresholds
) -> tuple[bool, float, float, str, str] | None:
    """The error sub-test of :func:`_utility_decline`: ``utility_error_ratio`` above
    max(factor x baseline's, baseline's + sigmas x change noise); None where not measured."""
    metric = "utility_error_ratio"
    value, anchor = current.figures.get(metric), baseline.figures.get(metric)
    if value is None or anchor is None or not (math.isfinite(value) and math.isfinite(anchor)):
        return None
    noise = _change_sd(current, baseline, metric)
    limit = max(t.utility_error_factor * anchor, anchor + t.noise_sigmas * noise)
    name = "mae" if "tstr_mae" in current.figures else "log_loss"
    tstr, trtr = current.figures.get(f"tstr_{name}"), current.figures.get(f"trtr_{name}")
    said = "MAE" if name == "mae" else "log loss"
    detail = f"{said} TSTR/TRTR x{value:.2f} (baseline's x{anchor:.2f}, limit x{limit:.2f})"
    if tstr is not None and trtr is not None:
        detail += f": TSTR {tstr:.4g} vs TRTR {trtr:.4g}"
    return value > limit, limit, value, detail, metric


def _class_lost(current: VersionFigures, baseline: VersionFigures) -> Outcome:
    """More target classes lost than the baseline lost (a class of >= 1 % with >= 10 rows
    expected; chance absences are not counted, :func:`collectors.gates.class_mix`)."""
    value, anchor = current.figures.get("classes_lost"), baseline.figures.get("classes_lost")
    if value is None or anchor is None:
        return None, None, value, ""
    detail = f"{int(value - anchor)} more class(es) lost" if value > anchor else ""
    return value > anchor, anchor, value, detail


def _recall_decline(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    breached, limit, value = _share_decline(
        "recall", t.recall_share, current, baseline, t.noise_sigmas, healthy
    )[:3]
    if breached is None:
        return breached, limit, value, ""
    precision, anchor = current.figures.get("precision"), baseline.figures.get("precision")
    if precision is None or anchor is None:
        return None, limit, value, ""
    anchor = capped_anchor("precision", anchor, healthy, t.noise_sigmas)
    holds = precision >= min(
        t.precision_hold_share * anchor,
        anchor - t.noise_sigmas * _change_sd(current, baseline, "precision"),
    )
    return breached and holds, limit, value, ""


# -- the rules, one per check -------------------------------------------------------------------


def coverage_decline(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _share_decline("coverage", t.coverage_share, current, baseline, t.noise_sigmas, healthy)


def recall_decline(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _recall_decline(current, baseline, healthy, t)


def precision_decline(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _share_decline(
        "precision", t.precision_share, current, baseline, t.noise_sigmas, healthy
    )


def density_rise(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _density_rise(current, baseline, healthy, t)


def tail_thinning(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _tails("tail_thinning", current, baseline, t)


def tail_excess(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _tails("tail_excess", current, baseline, t)


def region_uncovered(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    if "worst_region_coverage" not in current.figures:
        return NONE
    return _share_decline(
        "worst_region_coverage", t.region_share, current, baseline, t.noise_sigmas, healthy
    )


def category_lost(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _category_lost(current, baseline)


def rare_category_shift(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _rare_shift(current, baseline, t)


def utility_decline(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _utility_decline(current, baseline, t)


def class_lost(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    return _class_lost(current, baseline)
