"""The proof on real panels shipped in statsmodels (issue 28): events shuffled within each
sequence move the autocorrelation and transition figures far beyond their healthy spread;
sequences cut to a third move the length figures; fresh real entities stay within the spread.

Each panel's entities are split three ways, per seed: reference (1/5), holdout (3/5: the healthy
draws come from two thirds of it, at the version's entity count) and fresh (1/5: the versions).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from collectors.sequences import SequenceHealthy, SequenceReference
from collectors.sequences.generators import cut_sequences, shuffle_within
from collectors.sequences.sampling import split_entities
from monitor.demo.sequence_data import SequenceData, co2_weekly, fertility_panel

SEEDS = (0, 1, 2)
FAR = 10.0  # spreads: "far beyond" the healthy band
QUIET = 4.0  # spreads: fresh real entities stay within it
PANELS = {"fertility": fertility_panel, "co2": co2_weekly}


@cache
def _setup(
    panel: str, seed: int
) -> tuple[SequenceData, SequenceReference, pd.DataFrame, SequenceHealthy]:
    data = PANELS[panel]()
    reference, holdout, fresh = split_entities(data.frame, data.entity, [1, 3, 1], seed=seed)
    ref = SequenceReference(
        reference,
        holdout,
        entity=data.entity,
        time=data.time,
        numeric=data.numeric,
        categorical=data.categorical,
        detection=False,  # not asserted here; the costliest figure of the healthy draws
        seed=seed,
    )
    healthy = ref.healthy_at(fresh[data.entity].nunique())
    assert healthy.at_size
    return data, ref, fresh, healthy


def _z(value: float, healthy: SequenceHealthy, name: str) -> float:
    gap = value - healthy.figures[name]
    spread = healthy.spread[name]
    if spread == 0:
        return 0.0 if gap == 0 else float(np.sign(gap) * np.inf)
    return gap / spread


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("panel", sorted(PANELS))
def test_shuffled_events_lose_the_temporal_structure(panel: str, seed: int) -> None:
    data, ref, fresh, healthy = _setup(panel, seed)
    figures = ref.measure(shuffle_within(fresh, data.entity, data.time, seed=seed)).figures
    assert _z(figures["autocorr_diff_max"], healthy, "autocorr_diff_max") > FAR
    assert _z(figures["autocorr_lag1_ratio"], healthy, "autocorr_lag1_ratio") < -FAR
    assert figures["autocorr_lag1_ratio"] < 0.5
    if panel == "fertility":  # demographic stages persist; co2's up/down steps barely do
        assert _z(figures["transition_tv_max"], healthy, "transition_tv_max") > FAR
    # the marginals are intact: lengths and gaps unchanged
    assert figures["sequence_length_ks"] == ref.measure(fresh).figures["sequence_length_ks"]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("panel", sorted(PANELS))
def test_sequences_cut_to_a_third_shift_the_lengths(panel: str, seed: int) -> None:
    data, ref, fresh, healthy = _setup(panel, seed)
    figures = ref.measure(cut_sequences(fresh, data.entity, data.time)).figures
    assert _z(figures["sequence_length_ks"], healthy, "sequence_length_ks") > FAR
    assert _z(figures["sequence_length_ratio"], healthy, "sequence_length_ratio") < -FAR
    assert figures["sequence_length_ratio"] < 0.4


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("panel", sorted(PANELS))
def test_fresh_real_entities_stay_within_the_healthy_spread(panel: str, seed: int) -> None:
    _, ref, fresh, healthy = _setup(panel, seed)
    figures = ref.measure(fresh).figures
    names = ["autocorr_diff_max", "autocorr_lag1_ratio", "sequence_length_ks"]
    if panel == "fertility":
        names.append("transition_tv_max")
    for name in names:
        assert abs(_z(figures[name], healthy, name)) < QUIET, (name, figures[name])
    if panel == "co2":  # timestamps: the weekly rhythm is every reading's
        assert figures["weekday_tv"] == 0.0 and figures["hour_tv"] == 0.0
