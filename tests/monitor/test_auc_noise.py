"""The C2ST AUC's own sampling noise in the checks' noise model (Hanley and McNeil 1982).

A healthy copula on breast cancer (320-row versions, a 100-row holdout whose structure draws of 33
rows cannot train a classifier: spread 0) paged ``detectability_rise`` in the detection suite on
a 0.05 rise of an AUC of 0.82 that its own sampling noise explains; the noise now has that floor.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from monitor.checks import evaluate_checks
from monitor.checks.healthy import HealthyLevels
from monitor.checks.noise import VersionFigures, auc_sd
from monitor.checks.thresholds import CheckThresholds


@pytest.mark.parametrize(("n1", "n2"), [(5, 7), (40, 40), (320, 469), (1000, 1000)])
def test_at_one_half_it_is_the_exact_mann_whitney_null_variance(n1: int, n2: int) -> None:
    assert auc_sd(0.5, n1, n2) == pytest.approx(math.sqrt((n1 + n2 + 1) / (12 * n1 * n2)))


@pytest.mark.parametrize(("shift", "rows"), [(0.0, 300), (0.8, 300), (1.5, 320)])
def test_it_matches_the_simulated_spread_of_binormal_aucs(shift: float, rows: int) -> None:
    """The standard deviation of scikit-learn's AUC over 1,000 pairs of normal samples (the
    second shifted by ``shift`` sd) against the formula at their mean AUC: within 8 %."""
    rng = np.random.default_rng(3)
    labels = np.repeat([0, 1], rows)
    aucs = [
        roc_auc_score(labels, np.concatenate([rng.normal(size=rows), rng.normal(shift, size=rows)]))
        for _ in range(1000)
    ]
    simulated = float(np.std(aucs, ddof=1))
    assert auc_sd(float(np.mean(aucs)), rows, rows) == pytest.approx(simulated, rel=0.08)


def test_below_one_half_it_reads_the_swapped_labels() -> None:
    assert auc_sd(0.3, 200, 200) == pytest.approx(auc_sd(0.7, 200, 200))
    assert auc_sd(float("nan"), 200, 200) == 0.0 and auc_sd(0.7, 0, 200) == 0.0


def _version(name: str, auc: float) -> VersionFigures:
    # The detection suite's breast-cancer copula: 320-row versions of a 469-row reference, the
    # structure draws' spread 0 (too small to train the classifier).
    return VersionFigures(name, {"detection_auc": auc}, 469, 320, {}, {"detection_auc": 0.0})


def test_detectability_rise_allows_the_aucs_own_noise() -> None:
    """The limit is the baseline plus 3 change noises, each version's noise the Hanley-McNeil
    error on min(M, N) rows a side times the refit factor sqrt(1 + M / N), computed by hand:
    the copula's 0.823 -> 0.874 stays quiet, 0.823 -> 0.95 breaches."""
    refit = math.sqrt(1 + 320 / 469)
    for value, expected in ((0.874, False), (0.95, True)):
        history = [_version("v1", 0.823), _version("v2", value)]
        noise = math.hypot(auc_sd(0.823, 320, 320), auc_sd(value, 320, 320)) * refit
        results = {r.check: r for r in evaluate_checks(history, HealthyLevels())}
        result = results["detectability_rise"]
        assert result.breached == (False, expected), value
        assert result.limit == pytest.approx(
            0.823 + max(CheckThresholds().detection_auc_rise, 3 * noise)
        )
        assert result.figure == "detection_auc"


def test_a_measured_spread_above_the_floor_still_decides() -> None:
    """Where the healthy draws scatter more than the formula, the spread is the noise."""
    spread = 0.05
    history = [
        VersionFigures(f"v{i}", {"detection_auc": auc}, 2000, 1000, {}, {"detection_auc": spread})
        for i, auc in enumerate((0.52, 0.70))
    ]
    result = {r.check: r for r in evaluate_checks(history, HealthyLevels())}["detectability_rise"]
    noise = math.hypot(spread, spread) * math.sqrt(1 + 1000 / 2000)
    assert result.limit == pytest.approx(0.52 + max(0.05, 3 * noise))
    assert result.breached == (False, False)
