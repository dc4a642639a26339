"""The missing-value checks (issue 24): missingness_shift (against the baseline) and
missingness_gap (against the reference), both directions, against a hand-computed z-test."""

from __future__ import annotations

import math

import pytest
from scipy.stats import norm

from monitor.checks import CHECK_KINDS, HealthyLevels, VersionFigures, evaluate_checks
from monitor.checks.rules_missing import SEQUENCE_KEY, missingness_gap, missingness_shift
from monitor.checks.thresholds import CheckThresholds

N, M = 2000, 500  # reference rows, rows per version
NO_LEVELS = HealthyLevels()


def _version(name: str, shares: dict[str, float], expected: float = 0.09) -> VersionFigures:
    per_feature = {
        column: {"missing_share": share, "missing_expected": expected if column == "income" else 0}
        for column, share in shares.items()
    }
    return VersionFigures(name, {"coverage": 0.9}, N, M, per_feature)


def _z(a: float, n_a: int, b: float, n_b: int, refits: float) -> float:
    """Two-proportion z (pooled), written out independently of monitor.checks.noise."""
    p = (a * n_a + b * n_b) / (n_a + n_b)
    return (a - b) / math.sqrt(p * (1 - p) * (1 / n_a + 1 / n_b + refits))


def test_the_checks_are_registered_with_their_kinds() -> None:
    assert CHECK_KINDS["missingness_shift"] == "collapse"
    assert CHECK_KINDS["missingness_gap"] == "gap"
    assert CheckThresholds().missing_change == 0.05


@pytest.mark.parametrize(("now", "breached"), [(0.30, True), (0.0, True), (0.11, False)])
def test_shift_both_directions_with_an_effect_size(now: float, breached: bool) -> None:
    t = CheckThresholds()
    baseline = _version("v0", {"income": 0.09, "age": 0.0})
    current = _version("v1", {"income": now, "age": 0.0})
    outcome = missingness_shift(current, baseline, NO_LEVELS, t)
    z = abs(_z(now, M, 0.09, M, 2 / N))
    limit = norm.isf(norm.sf(t.noise_sigmas) / 2)  # Bonferroni: one column, two directions
    assert outcome[0] is breached
    assert breached == (z > limit and abs(now - 0.09) >= t.missing_change)
    assert outcome[1] == t.missing_change and outcome[2] == pytest.approx(abs(now - 0.09))
    if breached:
        assert outcome[3] == f"income missing 9.0% -> {now:.1%}"


def test_a_column_that_starts_dropping_values_is_named() -> None:
    baseline = VersionFigures("v0", {}, N, M, {"income": {"missing_share": 0.09}})
    current = _version("v1", {"income": 0.09, "email": 0.25})  # email complete in v0: no entry
    breached, _, value, detail = missingness_shift(current, baseline, NO_LEVELS, CheckThresholds())
    assert breached and value == pytest.approx(0.25) and detail == "email missing 0.0% -> 25.0%"


def test_too_few_missing_cells_say_nothing() -> None:
    baseline = _version("v0", {"income": 0.0})
    current = _version("v1", {"income": 0.01})  # 5 of 500 rows
    assert missingness_shift(current, baseline, NO_LEVELS, CheckThresholds())[0] is None


def test_gap_against_the_reference_share() -> None:
    t = CheckThresholds()
    filled = _version("v1", {"income": 0.0})  # the real data has 9 % gaps, the version none
    breached, _, value, detail = missingness_gap(filled, filled, NO_LEVELS, t)
    assert abs(_z(0.0, M, 0.09, N, 1 / N)) > norm.isf(norm.sf(t.noise_sigmas) / 2)
    assert breached and value == pytest.approx(0.09) and detail == "income missing 9.0% -> 0.0%"
    close = _version("v1", {"income": 0.10})
    assert missingness_gap(close, close, NO_LEVELS, t)[0] is False


def test_evaluate_checks_judges_a_history() -> None:
    history = [
        _version("v0", {"income": 0.09}),
        _version("v1", {"income": 0.10}),
        _version("v2", {"income": 0.40}),
        _version("v3", {"income": 0.42}),
    ]
    results = {r.check: r for r in evaluate_checks(history, {})}
    shift = results["missingness_shift"]
    assert shift.breached[1:] == (False, True, True) and shift.streak == 2
    assert "income missing" in shift.detail
    complete = [VersionFigures(f"v{i}", {"coverage": 0.9}, N, M, {}) for i in range(3)]
    results = {r.check: r for r in evaluate_checks(complete, {})}
    assert results["missingness_shift"].breached == (None, None, None)


def test_the_reports_column_table_flags_a_moved_missing_share() -> None:
    from monitor.report.columns import column_table

    def version(name: str, share: float) -> VersionFigures:
        per_feature = {"income": {"ks_statistic": 0.02, "missing_share": share,
                                  "missing_expected": 0.09}}  # fmt: skip
        return VersionFigures(name, {}, N, M, per_feature)

    moved = column_table([version("v0", 0.09), version("v1", 0.41)], CheckThresholds())
    steady = column_table([version("v0", 0.09), version("v1", 0.10)], CheckThresholds())
    assert moved is not None and steady is not None
    assert abs(_z(0.41, M, 0.09, N, 0.0)) > CheckThresholds().noise_sigmas
    assert "missing 9.0% (reference) -> 41.0%" in moved.rows[0].flags
    assert not any("missing" in flag for flag in steady.rows[0].flags)


def test_a_generator_that_drops_sequence_keys_is_named_and_the_gap_ignores_it() -> None:
    """sequence_missing_key_share is judged by the shift as one more column, never by the gap."""
    t = CheckThresholds()
    baseline = VersionFigures("v0", {"sequence_missing_key_share": 0.0}, N, M, {})
    current = VersionFigures("v1", {"sequence_missing_key_share": 0.2}, N, M, {})
    breached, _, value, detail = missingness_shift(current, baseline, NO_LEVELS, t)
    assert abs(_z(0.2, M, 0.0, M, 2 / N)) > norm.isf(norm.sf(t.noise_sigmas) / 2)
    assert breached and value == pytest.approx(0.2)
    assert detail == f"{SEQUENCE_KEY} missing 0.0% -> 20.0%"
    steady = VersionFigures("v1", {"sequence_missing_key_share": 0.004}, N, M, {})
    assert missingness_shift(steady, baseline, NO_LEVELS, t)[0] is None  # 2 of 500 rows
    assert missingness_gap(current, current, NO_LEVELS, t)[0] is None
