"""The test and demo versions: what each break keeps and what it removes, on real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collectors.sequences import SequenceReference, prepare
from collectors.sequences.autocorr import autocorrelation
from collectors.sequences.generators import (
    SequenceModel,
    cut_sequences,
    regularise_gaps,
    shuffle_within,
)
from collectors.sequences.sampling import split_by_shares
from monitor.demo.sequence_data import co2_weekly, fertility_panel


def _sorted(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame.sort_values(columns).reset_index(drop=True)


def test_shuffle_keeps_each_entitys_events_and_times() -> None:
    data = fertility_panel()
    frame = data.frame
    shuffled = shuffle_within(frame, "country", "year", seed=1)
    assert len(shuffled) == len(frame)
    pd.testing.assert_frame_equal(
        _sorted(shuffled, ["country", "year"])[["country", "year"]],
        _sorted(frame, ["country", "year"])[["country", "year"]],
    )
    for column in ("fertility", "stage"):  # each entity's multiset of values is kept
        before = frame.groupby("country")[column].apply(lambda s: sorted(map(str, s)))
        after = shuffled.groupby("country")[column].apply(lambda s: sorted(map(str, s)))
        assert before.equals(after)
    moved = shuffled.sort_values(["country", "year"])["fertility"].to_numpy()
    kept = frame.sort_values(["country", "year"])["fertility"].to_numpy()
    assert np.mean(np.isclose(moved, kept)) < 0.2  # the order is gone


def test_cut_keeps_the_first_third_of_each_sequence() -> None:
    frame = co2_weekly().frame
    cut = cut_sequences(frame, "quarter", "week")
    expected = np.maximum(1, np.ceil(frame.groupby("quarter").size() / 3)).astype(int)
    assert cut.groupby("quarter").size().equals(expected)
    dropped = frame[~frame["week"].isin(cut["week"])]
    last_kept = cut.groupby("quarter")["week"].max()
    first_dropped = dropped.groupby("quarter")["week"].min()
    assert (last_kept[first_dropped.index] < first_dropped).all()  # the earliest events stay
    with pytest.raises(ValueError, match="share"):
        cut_sequences(frame, "quarter", "week", share=0)


def test_regularised_gaps_are_all_equal_and_timestamps_stay_timestamps() -> None:
    frame = co2_weekly().frame
    frame = frame.assign(week=frame["week"] + pd.to_timedelta(np.arange(len(frame)) % 5, "D"))
    regular = regularise_gaps(frame, "quarter", "week")
    assert regular["week"].dtype == frame["week"].dtype
    gaps = regular.groupby("quarter")["week"].diff().dropna().dt.total_seconds()
    assert gaps.nunique() == 1
    firsts = frame.groupby("quarter")["week"].min()
    assert regular.groupby("quarter")["week"].min().equals(firsts)


def test_sequence_model_samples_the_fitted_columns_and_loops() -> None:
    data = fertility_panel()
    model = SequenceModel.fit(data.frame, data.entity, data.time, data.numeric, data.categorical)
    sample = model.sample(50, seed=3)
    assert sample["country"].nunique() == 50
    assert set(sample.groupby("country").size()) <= set(data.frame.groupby("country").size())
    assert set(sample["stage"]) <= set(
        data.frame["stage"].astype(object).where(data.frame["stage"].notna(), "(missing)")
    )
    assert sample["fertility"].notna().all()
    rounds = model.loop(3, 40, seed=0)
    assert len(rounds) == 3 and all(r["country"].nunique() == 40 for r in rounds)
    stamped = co2_weekly()
    sampled = SequenceModel.fit(stamped.frame, "quarter", "week", ("co2",), ()).sample(5)
    assert pd.api.types.is_datetime64_any_dtype(sampled["week"])


def test_split_by_shares_takes_whole_sequences() -> None:
    frame = fertility_panel().frame
    parts = split_by_shares(frame, "country", [1, 3, 1], seed=0)
    keys = [set(p["country"]) for p in parts]
    assert [len(k) for k in keys] == [44, 131, 44]  # 219 countries by 1/5, 3/5, 1/5
    assert sum(map(len, keys)) == frame["country"].nunique()
    assert not (keys[0] & keys[1]) and not (keys[1] & keys[2]) and not (keys[0] & keys[2])
    assert sum(len(p) for p in parts) == len(frame)
    shuffled = frame.sample(frac=1.0, random_state=1)  # the split does not follow the row order
    assert [set(p["country"]) for p in split_by_shares(shuffled, "country", [1, 3, 1])] == keys
    with pytest.raises(ValueError, match="shares"):
        split_by_shares(frame, "country", [1, 0])


def test_fitted_model_keeps_the_pooled_lag1_and_loses_it_in_a_self_consuming_loop() -> None:
    data = fertility_panel()
    reference, holdout = split_by_shares(data.frame, data.entity, [1, 1], seed=0)
    model = SequenceModel.fit(reference, data.entity, data.time, data.numeric, data.categorical)
    prepared = prepare(reference, entity="country", time="year", numeric=["fertility"])
    assert model.phi[0] == pytest.approx(autocorrelation(prepared, "fertility", 1)[0])
    ref = SequenceReference(
        reference,
        holdout,
        entity=data.entity,
        time=data.time,
        numeric=data.numeric,
        categorical=data.categorical,
        detection=False,
        predictive=False,
    )
    rounds = [ref.measure(s).figures for s in model.loop(4, 60, seed=0)]
    lag1 = [r["autocorr_lag1_ratio"] for r in rounds]
    assert lag1[0] > 0.85  # the first round carries the real lag-1 over
    assert lag1[-1] < lag1[0] - 0.1  # refit on its own output, the carry-over decays
