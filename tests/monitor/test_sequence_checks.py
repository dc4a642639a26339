"""The sequence rules (issue 28) judged directly: limits against a computation by hand of the
documented formula, the healthy level raising a too-good baseline, unmeasured figures not judged,
and ``rhythm_loss`` on real timestamps (Mauna Loa CO2 quarters: every reading a Saturday; a
version whose readings moved to random weekdays loses the weekly rhythm)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from collectors.sequences import SequenceReference
from collectors.sources.entities import split_entities
from monitor.checks import CheckThresholds, HealthyLevels, VersionFigures, evaluate_checks
from monitor.demo.sequence_data import co2_weekly


def _version(name: str, figures: dict[str, float], spread: dict[str, float]) -> VersionFigures:
    return VersionFigures(name, figures, reference_rows=1000, sample_rows=500, spread=spread)


def _result(history: list[VersionFigures], healthy: HealthyLevels, check: str):
    return next(r for r in evaluate_checks(history, healthy) if r.check == check)


def test_temporal_limit_is_anchor_plus_the_larger_of_change_and_noise() -> None:
    spread = {"autocorr_diff_max": 0.05}
    base = _version("v0", {"autocorr_diff_max": 0.10}, spread)
    healthy = HealthyLevels({"autocorr_diff_max": 0.08}, spread)
    t = CheckThresholds()
    refit = math.sqrt(1 + 500 / 1000)  # the refit noise of a version of 500 rows from 1,000
    noise = math.hypot(0.05 * refit, 0.05 * refit)
    expected = 0.10 + max(t.temporal_change, t.noise_sigmas * noise)
    quiet = _result([base, _version("v1", {"autocorr_diff_max": 0.2}, spread)], healthy,
                    "temporal_structure_loss")  # fmt: skip
    assert quiet.limit == pytest.approx(expected) and quiet.breached[-1] is False
    broken = _result([base, _version("v1", {"autocorr_diff_max": 0.7}, spread)], healthy,
                     "temporal_structure_loss")  # fmt: skip
    assert broken.breached[-1] is True and broken.figure == "autocorr_diff_max"


def test_a_baseline_closer_than_real_entities_is_raised_to_the_healthy_level() -> None:
    spread = {"sequence_length_ks": 0.01}
    healthy = HealthyLevels({"sequence_length_ks": 0.3}, spread)
    base = _version("v0", {"sequence_length_ks": 0.0}, spread)  # a copy of the reference
    honest = _version("v1", {"sequence_length_ks": 0.32}, spread)
    result = _result([base, honest], healthy, "sequence_length_shift")
    assert result.limit == pytest.approx(0.3 + CheckThresholds().length_change)
    assert result.breached[-1] is False


def test_sequence_checks_without_their_figures_are_not_judged() -> None:
    tabular = [_version("v0", {"coverage": 0.5}, {}), _version("v1", {"coverage": 0.5}, {})]
    for check in ("temporal_structure_loss", "sequence_length_shift", "rhythm_loss",
                  "forecast_utility_decline"):  # fmt: skip
        assert _result(tabular, HealthyLevels(), check).breached == (None, None)


def test_rhythm_loss_on_real_timestamps_moved_to_random_weekdays() -> None:
    data = co2_weekly()
    reference, fresh = split_entities(data.frame, "quarter", 60, 0)
    reference, holdout = split_entities(reference, "quarter", 40, 1)
    ref = SequenceReference(reference, holdout, entity="quarter", time="week",
                            numeric=["co2"], categorical=["trend"])  # fmt: skip
    baseline_frame, version_frame = split_entities(fresh, "quarter", 30, 2)
    rng = np.random.default_rng(3)
    moved = version_frame.copy()
    moved["week"] = moved["week"] + pd.to_timedelta(rng.integers(0, 7, len(moved)), "D")
    # the weekday shares by hand (pandas): real readings are Saturdays, the moved ones spread out
    assert set(version_frame["week"].dt.dayofweek) == {5}
    assert moved["week"].dt.dayofweek.value_counts(normalize=True).max() < 0.25
    healthy_draw = ref.healthy_at(30)
    healthy = HealthyLevels(healthy_draw.figures, healthy_draw.spread)
    history = []
    for name, frame in (("baseline", baseline_frame), ("moved", moved)):
        m = ref.measure(frame)
        history.append(VersionFigures(name, m.figures, len(reference), len(frame),
                                      spread=healthy_draw.spread))  # fmt: skip
    weekday_tv = (
        0.5
        * np.abs(
            moved["week"].dt.dayofweek.value_counts(normalize=True).reindex(range(7), fill_value=0)
            - np.eye(7)[5]
        ).sum()
    )
    assert history[1].figures["weekday_tv"] == pytest.approx(weekday_tv)
    result = _result(history, healthy, "rhythm_loss")
    assert result.breached[-1] is True and result.figure == "weekday_tv"
    assert _result(history[:1] * 2, healthy, "rhythm_loss").breached[-1] is False
