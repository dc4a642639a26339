"""The missing-value checks' records (issue 24): ``missingness_shift`` (change) and
``missingness_gap`` (gap), both directions; their rules are in :mod:`monitor.checks.rules_missing`.
Imported by :mod:`monitor.checks.records` after the built-in records.
"""

from __future__ import annotations

from monitor.checks import rules_missing
from monitor.checks.registry import Check, register
from monitor.checks.thresholds import Threshold

__all__ = ["MISSING_CHANGE"]

MISSING_CHANGE = Threshold(
    "missing_change", 0.05,
    "missingness_shift / missingness_gap: a column's missing share moved by at least this much",
    gt=0, lt=1,
)  # fmt: skip
register(
    Check(
        "missingness_shift", "collapse",
        "a column's missing share moved far from its baseline (values dropped, or gaps filled)",
        reads=("feature:missing_share", "feature:missing_expected", rules_missing.KEY_SHARE),
        watches="largest change of a column's missing share", rule=rules_missing.missingness_shift,
        alert="TailwatchMissingnessShift", thresholds=(MISSING_CHANGE,),
    )
)  # fmt: skip
register(
    Check(
        "missingness_gap", "gap", "a column's missing share far from the real share",
        reads=("feature:missing_share", "feature:missing_expected"),
        watches="largest gap of a column's missing share", rule=rules_missing.missingness_gap,
        alert="TailwatchFidelityGap", thresholds=(MISSING_CHANGE,),
    )
)  # fmt: skip
