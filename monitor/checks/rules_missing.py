"""Missing-value rules: a column's missing share against the baseline's (change) or the
reference's (gap), in both directions (a generator that starts dropping values, or one that fills
every cell where the real data has gaps).

Per column the shares are compared with a two-proportion z-test (pooled variance; Newcombe 1998,
Statistics in Medicine 17: 873-890, the Wald test of p1 - p2) whose variance carries the refit
noise as the tail checks do (a generator fitted on N reference rows carries the counting noise of
its N p missing cells: ``2 / N`` for two versions, ``1 / N`` against the reference), with a
Bonferroni correction over the columns and both directions. A column breaches when its z passes
that limit *and* its share moved by at least ``missing_change`` (absolute), so a large sample
does not page on a shift of a tenth of a percent. Columns where both shares are too few rows to
say anything (fewer than ``MIN_EXPECTED_COUNT`` missing cells on each side) are not tested.

For a generator of sequences the shift also judges ``sequence_missing_key_share`` (the version's
rows left out of its sequences because their entity or time is missing) as one more column, named
``SEQUENCE_KEY``: a generator that starts dropping keys loses whole events. Its share is counted
over the version's rows before whole entities are sampled; the test uses the sampled rows, fewer,
so it errs towards quiet. The gap has no reference share to read for it (the reference's is only
logged), so only the change is judged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from collectors.figure_keys import MISSING_KEY_SHARE
from monitor.checks.healthy import HealthyLevels
from monitor.checks.noise import MIN_EXPECTED_COUNT, VersionFigures, _bonferroni, two_proportion_z
from monitor.checks.outcome import NONE, Outcome
from monitor.checks.thresholds import CheckThresholds

__all__ = ["SEQUENCE_KEY", "missing_shares", "missingness_gap", "missingness_shift"]

SEQUENCE_KEY = "(sequence key)"  # the entity or time column of a generator of sequences
KEY_SHARE = MISSING_KEY_SHARE


def missing_shares(v: VersionFigures) -> dict[str, float]:
    """Column -> missing share of a version (columns complete on both sides have no entry)."""
    out = {}
    for feature, values in v.per_feature.items():
        share = values.get("missing_share")
        if share is not None and math.isfinite(share):
            out[feature] = float(share)
    return out


def _with_key(v: VersionFigures) -> dict[str, float]:
    """:func:`missing_shares` plus the share of rows whose sequence key is missing, if measured."""
    shares = missing_shares(v)
    key = v.figures.get(KEY_SHARE)
    if key is not None and math.isfinite(key):
        shares[SEQUENCE_KEY] = float(key)
    return shares


def _expected(v: VersionFigures) -> dict[str, float]:
    return {
        feature: float(values["missing_expected"])
        for feature, values in v.per_feature.items()
        if "missing_expected" in values
    }


def _judge(
    now: Mapping[str, float],
    then: Mapping[str, float],
    m: int,
    m0: int,
    refits: float,
    t: CheckThresholds,
) -> Outcome:
    """``now`` (shares of ``m`` rows) against ``then`` (shares of ``m0`` rows), per column."""
    tested: list[tuple[float, str, float, float, float]] = []  # (|change|, name, z, was, is)
    for name in sorted(set(now) | set(then)):
        share, anchor = now.get(name, 0.0), then.get(name, 0.0)
        if share * m < MIN_EXPECTED_COUNT and anchor * m0 < MIN_EXPECTED_COUNT:
            continue
        z = two_proportion_z(share, m, anchor, m0, refits)
        tested.append((abs(share - anchor), name, abs(z), anchor, share))
    if not tested:
        return NONE
    z_limit = _bonferroni(t.noise_sigmas, 2 * len(tested))  # both directions per column
    breaches = sorted(
        (x for x in tested if x[0] >= t.missing_change and x[2] > z_limit), reverse=True
    )
    shown = breaches[0] if breaches else max(tested)
    detail = ", ".join(
        f"{name} missing {was:.1%} -> {now_:.1%}" for _, name, _, was, now_ in breaches[:5]
    )
    return bool(breaches), t.missing_change, shown[0], detail


def missingness_shift(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """Change: a column's missing share against the baseline version's (either direction); for
    sequences the share of rows whose entity or time is missing too (``SEQUENCE_KEY``)."""
    now, then = _with_key(current), _with_key(baseline)
    if not now and not then:
        return NONE
    n = current.reference_rows
    return _judge(now, then, current.sample_rows, baseline.sample_rows, 2.0 / n if n else 0.0, t)


def missingness_gap(
    current: VersionFigures, baseline: VersionFigures, healthy: HealthyLevels, t: CheckThresholds
) -> Outcome:
    """Gap: a column's missing share against the reference's (either direction)."""
    now, expected = missing_shares(current), _expected(current)
    if not now:
        return NONE
    n = current.reference_rows
    return _judge(now, expected, current.sample_rows, n, 1.0 / n if n else 0.0, t)
