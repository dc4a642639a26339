"""The mixing sweep on real data shipped in scikit-learn, against independent computations.

The ends of the curve against the utility gate's own TRTR and TSTR figures (bit for bit), an
interior point against scikit-learn fitted and scored here, the paired curve against its
definition, the chance level against scikit-learn's scores of a constant prediction, and the safe
share against a brute-force reading of its definition. The verdicts (honest, degrading,
label-shuffled generators) are in test_mixing_verdicts.py, on a larger real table.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import balanced_accuracy_score, r2_score

from collectors.gates.mixing import (
    chance_score,
    check_shares,
    mixing_sweep,
    real_picks,
    safe_share,
    share_noise,
)
from collectors.gates.utility import PINNED, Task, trtr_draws, utility
from collectors.metrics.catalog import BY_NAME

Split = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _split(loader: object, seed: int = 0) -> Split:
    x, y = loader(return_X_y=True)  # type: ignore[operator]
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = np.asarray(x, float)[order], np.asarray(y)[order]
    cut = int(0.6 * len(x))
    return x[:cut], y[:cut], x[cut:], y[cut:]


@pytest.fixture(scope="module")
def cancer() -> Split:
    return _split(load_breast_cancer)


def test_check_shares_refuses_unbounded_or_anchorless_grids() -> None:
    assert check_shares([100, 0, 50, 50]) == (0, 50, 100)
    with pytest.raises(ValueError, match="multiples of 5"):
        check_shares([0, 33, 100])
    with pytest.raises(ValueError, match="include 0 and 100"):
        check_shares([10, 100])


def test_safe_share_against_brute_force() -> None:
    shares = (0, 10, 25, 50, 75, 90, 100)
    rng = np.random.default_rng(3)
    for _ in range(200):
        scores = 0.9 + rng.normal(0, 0.05, size=len(shares))
        tolerance, noise = float(rng.uniform(0, 0.1)), float(rng.uniform(0, 0.06))
        floor = scores[0] - max(tolerance * abs(scores[0]), noise)
        # brute force: the largest share s such that every share up to s is at or above the floor
        ok = [s for s in shares if all(scores[j] >= floor for j in range(shares.index(s) + 1))]
        assert safe_share(scores, shares, tolerance, noise) == max(ok) / 100
    assert safe_share(np.array([0.8, np.nan, 0.8]), (0, 50, 100), 0.05) == 0.0
    # Per-share noise and a chance level: the tolerance is a share of the skill over chance.
    for _ in range(200):
        scores = 0.6 + rng.normal(0, 0.03, size=len(shares))
        tolerance, chance = float(rng.uniform(0, 0.3)), float(rng.uniform(0, 0.5))
        per_share = rng.uniform(0, 0.03, size=len(shares))
        floors = [scores[0] - max(tolerance * abs(scores[0] - chance), n) for n in per_share]
        ok = [s for k, s in enumerate(shares) if all(scores[j] >= floors[j] for j in range(k + 1))]
        assert safe_share(scores, shares, tolerance, per_share, chance) == max(ok) / 100
    assert safe_share(np.array([0.6, 0.57]), (0, 100), 0.2, 0.0, 0.5) == 0.0  # 0.03 > 0.2 x 0.1
    assert safe_share(np.array([0.6, 0.57]), (0, 100), 0.2) == 1.0  # 0.03 < 0.2 x 0.6


def test_chance_is_the_score_of_a_constant_prediction() -> None:
    y = load_breast_cancer().target
    for label in (0, 1):  # balanced accuracy of every constant guess: 1 / K
        assert chance_score("classification", y) == balanced_accuracy_score(
            y, np.full(y.size, label)
        )
    three = np.array([0, 1, 2, 2, 1, 0, 2])
    assert chance_score("classification", three) == balanced_accuracy_score(three, np.zeros(7))
    target = load_diabetes().target
    assert chance_score("regression", target) == r2_score(
        target, np.full(target.size, target.mean())
    )


def test_share_noise_follows_the_paired_swap_model() -> None:
    noise = share_noise((0, 10, 50, 100), spread=0.02, seeds=5, draws=8)
    z = 2.128045  # one-sided standard normal quantile at 0.05 / 3 (three judged shares)
    assert noise[0] == 0
    assert noise[1] == pytest.approx(z * 0.02 * np.sqrt(2 * 0.1 / 5), rel=1e-6)
    assert noise[2] == pytest.approx(z * 0.02 * np.sqrt(2 * 0.5 / 5), rel=1e-6)
    assert noise[3] == pytest.approx(z * 0.02 * np.sqrt(1 + 1 / 8), rel=1e-6)
    default = share_noise((0, 10, 25, 50, 75, 90, 100), spread=1.0, seeds=1, draws=8)
    assert default[-1] / np.sqrt(1 + 1 / 8) == pytest.approx(2.393980, abs=1e-6)  # 0.05 / 6


def test_curve_ends_equal_trtr_and_tstr_regression_and_classification(cancer: Split) -> None:
    cases: tuple[tuple[Task, Split, str], ...] = (
        ("classification", cancer, "balanced_accuracy"),
        ("regression", _split(load_diabetes), "r2"),
    )
    for task, (x, y, xt, yt), key in cases:
        n_classes = 2 if task == "classification" else 0
        rows = x.shape[0] // 2
        synthetic = np.random.default_rng(5).choice(x.shape[0], rows, replace=False)
        xs, ys = x[synthetic] + 0.1 * x.std(0), y[synthetic]
        trtr = trtr_draws(task, x, y, xt, yt, rows, draws=8, n_classes=n_classes, seed=4)
        result = utility(task, xs, ys, xt, yt, trtr, n_classes=n_classes, seed=4)
        reused = mixing_sweep(task, x, y, xs, ys, xt, yt, seeds=2, n_classes=n_classes, seed=4,
                              trtr=trtr, tstr=result.tstr)  # fmt: skip
        assert reused.mean[0] == result.trtr[key]  # the TRTR figure, every draw
        assert reused.mean[-1] == result.tstr[key]
        # Interior points: the anchor plus the seeds' mean difference to their paired draws.
        paired = np.array([s[key] for s in trtr.scores[:2]])
        np.testing.assert_array_equal(reused.paired, paired)
        inner = reused.mean[0] + (reused.scores[:, 1:-1] - paired[:, None]).mean(axis=0)
        np.testing.assert_allclose(reused.mean[1:-1], inner, rtol=0, atol=1e-15)
        # Fitted here instead of reused: the same numbers (draw i replayed, TSTR refitted).
        fitted = mixing_sweep(task, x, y, xs, ys, xt, yt, seeds=8, n_classes=n_classes, seed=4)
        assert fitted.mean[0] == result.trtr[key]
        assert fitted.mean[-1] == result.tstr[key]
        np.testing.assert_array_equal(fitted.scores[:2, 1:], reused.scores[:, 1:])
        assert set(fitted.figures()) <= set(BY_NAME)


def test_interior_point_against_sklearn(cancer: Split) -> None:
    x, y, xt, yt = cancer
    rows = 150
    xs, ys = x[:rows] * 1.05, y[:rows]
    curve = mixing_sweep("classification", x, y, xs, ys, xt, yt, shares=(0, 25, 100),
                         seeds=2, n_classes=2, seed=1)  # fmt: skip
    # Seed 1 (index 1) at 25 %: its real draw's first 113 rows and 37 seeded version rows.
    real = real_picks(x.shape[0], rows, 2, 1)[1][: rows - 38]
    chosen = np.random.default_rng([1, 31, 1]).permutation(rows)[:38]
    model = HistGradientBoostingClassifier(random_state=2, **PINNED)
    model.fit(np.concatenate([x[real], xs[chosen]]), np.concatenate([y[real], ys[chosen]]))
    expected = balanced_accuracy_score(yt, model.predict_proba(xt).argmax(axis=1))
    assert curve.scores[1, 1] == pytest.approx(expected, abs=1e-12)
    # More seeds than the gate's draws: the missing paired draws are the draws trtr_draws fits.
    two = trtr_draws("classification", x, y, xt, yt, rows, draws=2, n_classes=2, seed=1)
    three = trtr_draws("classification", x, y, xt, yt, rows, draws=3, n_classes=2, seed=1)
    more = mixing_sweep("classification", x, y, xs, ys, xt, yt, shares=(0, 25, 100), seeds=3,
                        n_classes=2, seed=1, trtr=two)  # fmt: skip
    assert more.paired.tolist() == [s["balanced_accuracy"] for s in three.scores]
    assert more.all_real.size == 2  # the anchor stays the gate's draws
