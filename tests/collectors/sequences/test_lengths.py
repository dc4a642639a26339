"""Sequence lengths and gaps against pandas groupby and brute force on small data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from collectors.sequences import lengths, prepare


def _events(seed: int, entities: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for e in range(entities):
        n = int(rng.integers(1, 12))
        times = np.cumsum(rng.exponential(3.0, n))
        for t in rng.permutation(times):  # unsorted on purpose
            rows.append({"id": f"e{e:02d}", "t": t, "x": rng.normal()})
    return pd.DataFrame(rows)


def test_prepare_lengths_and_gaps_equal_pandas_groupby() -> None:
    frame = _events(0)
    frame.loc[3, "t"] = np.nan  # dropped and counted, never refused
    frame.loc[7, "id"] = None
    prepared = prepare(frame, entity="id", time="t", numeric=["x"])
    kept = frame.dropna(subset=["id", "t"]).sort_values(["id", "t"])
    expected_lengths = kept.groupby("id").size()
    assert prepared.dropped_rows == 2
    assert list(prepared.entities) == list(expected_lengths.index)
    np.testing.assert_array_equal(prepared.lengths, expected_lengths.to_numpy())
    expected_gaps = kept.groupby("id")["t"].diff().dropna().to_numpy()
    np.testing.assert_allclose(prepared.gaps(), expected_gaps)
    np.testing.assert_allclose(prepared.numeric["x"], kept["x"].to_numpy())


def test_subset_keeps_whole_sequences() -> None:
    prepared = prepare(_events(1), entity="id", time="t", numeric=["x"])
    rows = np.array([4, 0, 9])
    part = prepared.subset(rows)
    for i, row in enumerate(rows):
        start, n = prepared.starts[row], prepared.lengths[row]
        mine = part.numeric["x"][part.starts[i] : part.starts[i] + part.lengths[i]]
        np.testing.assert_array_equal(mine, prepared.numeric["x"][start : start + n])
    assert part.n_events == prepared.lengths[rows].sum()


def test_timestamps_give_seconds_and_calendar() -> None:
    stamps = pd.to_datetime(["2024-01-01 10:00", "2024-01-01 13:30", "2024-01-06 23:00"])
    frame = pd.DataFrame({"id": ["a", "a", "a"], "t": stamps.tz_localize("UTC")})
    prepared = prepare(frame, entity="id", time="t")
    np.testing.assert_allclose(prepared.gaps(), [3.5 * 3600, (5 * 24 + 9.5) * 3600])
    np.testing.assert_array_equal(prepared.calendar["hour"], [10, 13, 23])
    np.testing.assert_array_equal(prepared.calendar["weekday"], [0, 0, 5])


def test_text_time_column_is_parsed_or_refused_naming_the_row() -> None:
    text = pd.DataFrame({"id": [1, 1, 1], "when": ["2024-03-01 08:00", "2024-03-02 09:30", None]})
    prepared = prepare(text, entity="id", time="when")
    assert prepared.timestamp and prepared.dropped_rows == 1
    np.testing.assert_allclose(prepared.gaps(), [25.5 * 3600])
    frame = pd.DataFrame({"id": [1, 1], "when": ["2024-03-01", "soon"]})
    with pytest.raises(ValueError, match=r"v3\.csv: time column 'when' .*row 1: 'soon'"):
        prepare(frame, entity="id", time="when", source="v3.csv")
    with pytest.raises(ValueError, match=r"'flag'.*bool"):
        prepare(frame.assign(flag=True), entity="id", time="flag")


def test_shift_against_brute_force() -> None:
    rng = np.random.default_rng(2)
    a = rng.integers(1, 30, 200).astype(float)
    b = rng.integers(1, 10, 150).astype(float)
    result = lengths.shift(a, b)
    assert result is not None
    assert result.ks == pytest.approx(ks_2samp(a, b).statistic)
    grid = np.sort(np.concatenate([a, b]))
    fa = np.searchsorted(np.sort(a), grid, side="right") / a.size
    fb = np.searchsorted(np.sort(b), grid, side="right") / b.size
    brute_w1 = float(np.sum(np.abs(fa - fb)[:-1] * np.diff(grid)))
    assert result.wasserstein == pytest.approx(brute_w1 / a.mean())
    assert result.ratio == pytest.approx(b.mean() / a.mean())
    low, high = np.quantile(a, [0.05, 0.95])
    assert result.short == pytest.approx(np.mean(b < low))
    assert result.long == pytest.approx(np.mean(b > high))
    same = lengths.shift(a, a)
    assert same is not None and same.ks == 0 and same.wasserstein == 0 and same.ratio == 1


def test_histogram_shares_sum_to_one() -> None:
    a = np.arange(1, 101, dtype=float)
    hist = lengths.histogram(a, np.array([-5.0, 50.0, 500.0]))
    assert len(hist.edges) == 21
    assert sum(hist.reference) == pytest.approx(1)
    assert hist.version[0] == pytest.approx(1 / 3) and hist.version[-1] == pytest.approx(1 / 3)
