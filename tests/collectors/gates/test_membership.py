"""The membership attack against brute force and scikit-learn, on real data.

A generator that never saw the members gives the attacker nothing (AUC about 0.5 within the
Mann-Whitney noise); one that copies its training rows, exactly or with jitter, gives them away
(AUC near 1), and the DCR figures of the same versions agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from collectors.gates import MembershipAttack, null_auc_sd, tpr_at_fpr
from collectors.generator import GeneratorReference
from tests.support.brute_force import distances
from tests.support.gates import World, jitter


def test_tpr_at_fpr_equals_the_best_roc_point() -> None:
    rng = np.random.default_rng(1)
    for n0 in (150, 400, 1000):
        members = rng.normal(0.5, 1, 300).round(1)  # ties
        non = rng.normal(0, 1, n0).round(1)
        labels = np.r_[np.ones(members.size), np.zeros(non.size)]
        fpr, tpr, _ = roc_curve(labels, np.r_[members, non])
        assert tpr_at_fpr(members, non, 0.01) == pytest.approx(tpr[fpr <= 0.01].max())


def test_null_auc_spread_matches_simulation() -> None:
    rng = np.random.default_rng(2)
    aucs = [
        roc_auc_score(np.r_[np.ones(100), np.zeros(100)], rng.normal(size=200)) for _ in range(400)
    ]
    assert np.std(aucs) == pytest.approx(null_auc_sd(100, 100), rel=0.15)


def _matrices(world: World) -> tuple[GeneratorReference, np.ndarray, np.ndarray]:
    reference = GeneratorReference(world.training, holdout=world.holdout)
    centre = reference.model.centre
    return reference, reference.model.real, reference.feature_map.transform(world.holdout) - centre


def test_scores_equal_brute_force(cancer: World) -> None:
    reference, members, holdout = _matrices(cancer)
    attack = MembershipAttack(members, holdout, seed=0)
    synthetic = reference.feature_map.transform(cancer.fresh) - reference.model.centre
    result = attack.attack(synthetic)
    d = distances(attack.queries, synthetic)
    n = attack.rows
    assert np.allclose(-d.min(axis=1)[:n], result.distance_members)
    real_k = np.sort(distances(attack.queries, attack.real_part), axis=1)[:, 4]
    density = np.log(real_k) - np.log(d.min(axis=1))
    assert np.allclose(density[n:], result.density_non_members)
    labels = np.r_[np.ones(n), np.zeros(n)]
    assert result.distance_auc == pytest.approx(roc_auc_score(labels, -d.min(axis=1)))
    assert result.density_auc == pytest.approx(roc_auc_score(labels, density))
    # Members, non-members and the attacker's real part are disjoint row sets.
    rows = {tuple(r) for r in attack.non_members} & {tuple(r) for r in attack.real_part}
    assert not rows


@pytest.mark.parametrize("case", ["unseen", "copies", "jittered"])
def test_attack_and_dcr_agree_on_real_data(cancer: World, case: str) -> None:
    reference = GeneratorReference(cancer.training, holdout=cancer.holdout, gates=True)
    if case == "unseen":
        version = cancer.fresh  # a generator that never saw the members
    elif case == "copies":
        version = cancer.training.sample(149, random_state=3)  # exact training rows
    else:
        version = jitter(cancer.training.sample(149, random_state=3), 0.02, seed=4)
    figures = reference.measure(version.reset_index(drop=True)).figures
    noise = figures["membership_auc_noise"]
    assert noise == pytest.approx(null_auc_sd(100, 100), rel=0.01)
    if case == "unseen":
        assert abs(figures["membership_distance_auc"] - 0.5) < 3.5 * noise
        assert abs(figures["membership_density_auc"] - 0.5) < 3.5 * noise
        assert figures["membership_tpr_at_1pct_fpr"] < 0.1
        assert figures["dcr_close_share"] < 0.15
        assert figures["dcr_median_ratio"] > 0.7
    else:
        # 149 of 220 training rows copied: the attack finds them, DCR says the same.
        assert figures["membership_auc"] > 0.8
        assert figures["membership_tpr_at_1pct_fpr"] > 0.5
        assert figures["dcr_close_share"] > 0.8
        assert figures["dcr_median_ratio"] < 0.3


def test_explicit_training_rows_are_the_members(cancer: World) -> None:
    """``training`` given: copies of it are exposed, copies of other real rows are not."""
    reference = GeneratorReference(
        pd.concat([cancer.training, cancer.fresh]),
        holdout=cancer.holdout,
        gates=True,
        training=cancer.fresh,
    )
    leaked = reference.measure(cancer.fresh.sample(120, random_state=1).reset_index(drop=True))
    assert leaked.figures["membership_auc"] > 0.8
    other = reference.measure(cancer.training.sample(120, random_state=1).reset_index(drop=True))
    assert other.figures["membership_auc"] < 0.5 + 3.5 * other.figures["membership_auc_noise"]


@pytest.mark.parametrize("loader", ["load_digits", "load_breast_cancer"])
def test_member_distances_from_the_cross_pass_give_the_same_attack(loader: str) -> None:
    # Each reference row's nearest version distance from the engine's cross pass (BLAS
    # backend) is the attack's own search for the member rows, bit for bit: passing them
    # leaves every score and figure the same (real tables, a jittered version).
    from sklearn import datasets

    from collectors.metrics.reference import resolve_ties

    data = getattr(datasets, loader)().data.astype(np.float64)
    reference = pd.DataFrame(data[::2], columns=[f"c{j}" for j in range(data.shape[1])])
    holdout = pd.DataFrame(data[1::2], columns=reference.columns)
    fitted = GeneratorReference(reference, k=5)
    model, fm = fitted.model, fitted.feature_map
    rng = np.random.default_rng(3)
    version = reference.sample(frac=0.8, random_state=1) + rng.normal(0, 0.05, (1, data.shape[1]))
    sample = fm.transform(version) - model.centre
    holdout_c = fm.transform(holdout) - model.centre
    engine = model.engine
    engine.backend = "blas"
    radii = engine.radii(sample, model.k, tolerance_sq=model.tolerance)
    tie_aware = resolve_ties(model.ties, model.radii, radii)
    real, clipped = model.real, model.clipped
    counts = engine.cross(real, model.radii, sample, radii, clipped, tie_aware=tie_aware)
    attack = MembershipAttack(model.real, holdout_c, engine=engine)
    searched = attack.attack(sample)
    given = attack.attack(sample, member_distance=counts.real_nearest_distance)
    for field in ("distance_members", "distance_non_members", "density_members"):
        assert getattr(given, field).tobytes() == getattr(searched, field).tobytes(), field
    assert given.figures() == searched.figures()
