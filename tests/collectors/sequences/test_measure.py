"""SequenceReference end to end on small data: figures, details, healthy draws, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collectors.sequences import SEQUENCE_METRICS, SEQUENCE_PER_FEATURE, SequenceReference
from collectors.sequences.generators import regularise_gaps
from collectors.sequences.transitions import TransitionShift


def _log(seed: int, entities: int, hour_shift: int = 0) -> pd.DataFrame:
    """An event log with timestamps: irregular gaps, office hours, a persistent state."""
    rng = np.random.default_rng(seed)
    frames = []
    for e in range(entities):
        n = int(rng.integers(5, 25))
        days = np.cumsum(rng.exponential(1.5, n)).astype(int)
        hours = (rng.integers(8, 18, n) + hour_shift) % 24
        stamps = (
            pd.Timestamp("2024-01-01") + pd.to_timedelta(days, "D") + pd.to_timedelta(hours, "h")
        )
        x = np.zeros(n)
        for t in range(1, n):
            x[t] = 0.6 * x[t - 1] + rng.normal()
        state = np.where(np.cumsum(rng.random(n) < 0.2) % 2 == 0, "open", "closed")
        frames.append(
            pd.DataFrame({"user": f"u{seed}-{e}", "at": stamps, "amount": x, "status": state})
        )
    return pd.concat(frames, ignore_index=True).sort_values("at", kind="stable")


def _reference(seed: int = 0, *, detection: bool = True) -> SequenceReference:
    return SequenceReference(
        _log(seed, 60), _log(seed + 100, 120), entity="user", time="at", detection=detection
    )


def test_identical_version_measures_no_change_and_every_name_is_catalogued() -> None:
    ref = _reference()
    same = ref.measure(_log(0, 60))
    names = {m.name for m in SEQUENCE_METRICS}
    assert set(same.figures) <= names
    for name in (
        "sequence_length_ks",
        "gap_ks",
        "autocorr_diff_max",
        "transition_tv_max",
        "hour_tv",
        "weekday_tv",
    ):
        assert same.figures[name] == pytest.approx(0.0, abs=1e-12), name
    assert same.figures["sequence_length_ratio"] == pytest.approx(1.0)
    assert same.figures["sequence_detection_auc"] <= 0.6
    assert {k for entry in same.per_feature.values() for k in entry} <= set(SEQUENCE_PER_FEATURE)
    assert set(same.per_feature) == {"amount", "status"}
    assert len(same.details["autocorr"]["amount"]["reference"]) == 5
    assert isinstance(same.details["transitions"]["status"], TransitionShift)
    assert len(same.details["hour_rhythm"]["version"]) == 24
    assert same.n_entities == 60 and same.dropped_rows == 0


def test_rhythm_and_gaps_move_when_broken() -> None:
    ref = _reference()
    night = ref.measure(_log(1, 60, hour_shift=12)).figures
    assert night["hour_tv"] > 0.9 and night["weekday_tv"] < 0.3
    regular = ref.measure(regularise_gaps(_log(1, 60), "user", "at")).figures
    fresh = ref.measure(_log(1, 60)).figures
    assert regular["gap_ks"] > 0.4 > fresh["gap_ks"] + 0.2


def test_healthy_draws_are_whole_entities_and_flag_their_size() -> None:
    ref = _reference(detection=False)
    healthy = ref.healthy_at(30)
    assert healthy.at_size and healthy.drawn_entities == 30 and healthy.draws == 8
    assert healthy.pool_entities == 120 - 40  # a test third for the predictive score
    assert set(healthy.spread) <= set(healthy.figures)
    assert ref.healthy_at(30) is healthy  # cached per size
    small = ref.healthy_at(70)
    assert not small.at_size and small.drawn_entities == 40
    # whole entities: the drawn sequences keep their lengths, so length KS against the pool's
    # own lengths is what a draw of entities (not rows) gives
    assert healthy.figures["sequence_length_ratio"] == pytest.approx(1.0, abs=0.2)


def test_bad_input_names_the_column() -> None:
    with pytest.raises(ValueError, match="'when'"):
        SequenceReference(_log(0, 20), _log(1, 20), entity="user", time="when")
    with pytest.raises(ValueError, match="holdout: 3 entities"):
        SequenceReference(_log(0, 20), _log(1, 3), entity="user", time="at")
    ref = _reference()
    with pytest.raises(ValueError, match=r"v7\.parquet: no column 'amount'"):
        ref.measure(_log(2, 10).drop(columns="amount"), source="v7.parquet")
    numeric_time = _log(2, 10).assign(at=lambda f: f["at"].astype("int64") / 1e9)
    with pytest.raises(ValueError, match="'at' holds numbers, the reference's timestamps"):
        ref.measure(numeric_time)
    text_amount = _log(2, 10).assign(amount=lambda f: f["amount"].astype(str))
    with pytest.raises(ValueError, match="numeric column 'amount'"):
        ref.measure(text_amount)


def test_missing_entities_and_times_are_dropped_and_counted() -> None:
    ref = _reference()
    version = _log(3, 30)
    version.loc[version.index[:4], "at"] = pd.NaT
    version.loc[version.index[4:6], "user"] = None
    measured = ref.measure(version)
    assert measured.dropped_rows == 6
    assert measured.n_events == len(version) - 6
