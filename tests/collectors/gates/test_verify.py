"""Verdicts per sample against brute force; the filter keeps the good rows of a mixed version."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collectors.gates import verify_samples
from collectors.generator import GeneratorReference
from tests.support.brute_force import distances, kth_other
from tests.support.gates import World, jitter
from tests.support.searches import counted_searches


def _mixed(world: World) -> tuple[pd.DataFrame, np.ndarray]:
    """Good rows (unseen real), out-of-support rows (shifted 6 SDs), copies (exact, jittered)."""
    good = world.fresh.iloc[:120]
    far = world.fresh.iloc[120:].copy()
    for column in far.columns[:10]:
        far[column] = far[column] + 6 * world.training[column].std()
    copies = world.training.iloc[:30]
    jittered = jitter(world.training.iloc[30:60], 0.01, seed=5)
    version = pd.concat([good, far, copies, jittered], ignore_index=True)
    truth = np.r_[np.ones(len(good), bool), np.zeros(len(version) - len(good), bool)]
    return version, truth


def test_verdicts_equal_brute_force(cancer: World) -> None:
    reference = GeneratorReference(cancer.training, holdout=cancer.holdout, gates=True)
    version, _ = _mixed(cancer)
    measured = reference.measure(version)
    verdicts = measured.gates.verdicts
    real = reference.model.real
    sample = reference.feature_map.transform(version) - reference.model.centre
    holdout = reference.feature_map.transform(cancer.holdout) - reference.model.centre
    d = distances(real, sample)
    inside = (d < kth_other(real, 5)[:, None]).any(axis=0)  # Naeem et al. eq. 1, per sample
    assert np.array_equal(verdicts.in_support, inside)
    threshold = np.quantile(distances(holdout, real).min(axis=1), 0.05)
    assert np.array_equal(verdicts.authentic, d.min(axis=0) >= threshold)
    raw = version.to_numpy(float)
    ref = cancer.training.to_numpy(float)
    in_range = ((raw >= ref.min(axis=0)) & (raw <= ref.max(axis=0))).all(axis=1)
    assert np.array_equal(verdicts.in_range, in_range)
    assert verdicts.authentic.mean() == pytest.approx(1 - measured.figures["dcr_close_share"])
    assert measured.figures["verified_yield"] == pytest.approx(verdicts.kept.mean())


def test_the_filter_keeps_the_good_rows_and_its_trade_off_is_measured(cancer: World) -> None:
    reference = GeneratorReference(
        cancer.training, holdout=cancer.holdout, gates=True, target="target"
    )
    version, good = _mixed(cancer)
    raw = reference.measure(version)
    kept = raw.gates.verdicts.kept
    precision = (kept & good).sum() / kept.sum()
    recall = (kept & good).sum() / good.sum()
    # Every out-of-support row and every copy is thrown away; most good rows stay (a real
    # row fails a verdict about as often as the real-vs-real draws do).
    assert precision == 1.0
    healthy = reference.healthy_at(len(version)).figures
    assert recall >= healthy["verified_yield"] - 0.1  # what real rows themselves pass
    assert recall > 0.6
    subset = version[kept].reset_index(drop=True)
    filtered = reference.measure(subset).figures
    # The trade-off: the kept subset is faithful (precision up, no copies) and keeps its utility.
    assert filtered["precision"] > raw.figures["precision"]
    assert filtered["dcr_close_share"] < 0.1 < raw.figures["dcr_close_share"]
    assert filtered["utility_ratio"] > 0.9
    assert filtered["coverage"] > 0  # measured beside the raw version's
    frame = raw.gates.verdicts.frame(version)
    assert list(frame.columns[-6:]) == [
        "tailwatch_in_support",
        "tailwatch_authentic",
        "tailwatch_in_range",
        "tailwatch_known_categories",
        "tailwatch_kept",
        "tailwatch_training_distance",
    ]


def test_unknown_categories_are_not_kept() -> None:
    verdicts = verify_samples(
        np.array([1, 1, 0]),
        np.array([1.0, 1.0, 1.0]),
        np.array([0.5, 0.6, 0.7]),
        categorical={"c": np.array(["a", "zz", "a"], dtype=object)},
        real_categorical={"c": np.array(["a", "b"], dtype=object)},
    )
    assert verdicts.known_categories.tolist() == [True, False, True]
    assert verdicts.kept.tolist() == [True, False, False]
    assert verdicts.yield_ == pytest.approx(1 / 3)


def test_the_holdouts_pass_against_the_reference_is_shared(
    cancer: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The verdicts' yardstick (each holdout row's distance to its closest training row) is the
    model's own ``holdout_distance`` when the training rows are the reference: no pass of its
    own, none at all once the healthy draws' lists hold it (issue 26), the same distances."""
    calls = counted_searches(monkeypatch)
    reference = GeneratorReference(cancer.training, holdout=cancer.holdout, gates=True)
    version, _ = _mixed(cancer)
    reference.healthy_at(len(version))  # the draws build the holdout's lists first
    reference.measure(version)
    pair = (len(cancer.holdout), len(cancer.training))
    assert reference.model._draws is not None
    assert calls.count(pair) == 1  # the draws' lists (every holdout row's nearest real rows)
    assert reference.gates is not None
    real = reference.model.real
    holdout = reference.feature_map.transform(cancer.holdout) - reference.model.centre
    expected = distances(holdout, real).min(axis=1)
    np.testing.assert_allclose(reference.gates.holdout_training_distance, expected, rtol=1e-12)
    assert reference.gates.holdout_training_distance is reference.model.holdout_distance


def test_the_attacks_members_take_their_distances_from_the_cross_pass(
    cancer: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without training rows the attack's members are reference rows, and the version's cross
    pass already holds each one's nearest version distance (BLAS backend, the same bits): only
    the non-members are searched, and the attack's figures are those of its own search."""
    reference = GeneratorReference(cancer.training, holdout=cancer.holdout, gates=True)
    version, _ = _mixed(cancer)
    calls = counted_searches(monkeypatch)
    measured = reference.measure(version)
    gates, attack = reference.gates, reference.gates.attack if reference.gates else None
    assert gates is not None and attack is not None
    assert (attack.rows, len(version)) in calls  # the non-members alone
    assert (2 * attack.rows, len(version)) not in calls
    sample = reference.feature_map.transform(version) - reference.model.centre
    own = attack.attack(sample).figures()  # its own search of members and non-members
    assert {name: measured.figures[name] for name in own} == own
