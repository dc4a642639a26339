"""``safe_share_decline`` (issue 29) against a direct reading of its definition, and on real data:
mixing sweeps of generator versions on scikit-learn's breast cancer table (fresh real rows, then a
label-shuffled version) judged by :func:`monitor.checks.evaluate_checks`."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

from collectors.gates.mixing import mixing_sweep
from collectors.gates.utility import trtr_draws
from monitor.checks import CHECKS, CheckThresholds, VersionFigures, evaluate_checks

CHECK = "safe_share_decline"


def _version(name: str, safe: float, low: float, high: float) -> VersionFigures:
    figures = {"safe_synthetic_share": safe, "safe_synthetic_share_low": low,
               "safe_synthetic_share_high": high}  # fmt: skip
    return VersionFigures(name, figures, reference_rows=400, sample_rows=200)


def _result(history: list[VersionFigures], t: CheckThresholds | None = None) -> list[bool | None]:
    results = {r.check: r for r in evaluate_checks(history, {}, t)}
    return list(results[CHECK].breached)


def test_record_and_threshold() -> None:
    assert CHECK in CHECKS and CheckThresholds().safe_share_drop == 0.25


def test_rule_against_its_definition() -> None:
    rng = np.random.default_rng(0)
    grid = np.array([0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
    for _ in range(300):
        a = np.sort(rng.choice(grid, 3))  # baseline: low, safe, high
        b = np.sort(rng.choice(grid, 3))
        drop = float(rng.choice([0.1, 0.25, 0.5]))
        t = CheckThresholds(safe_share_drop=drop)
        flags = _result([_version("v1", a[1], a[0], a[2]), _version("v2", b[1], b[0], b[2])], t)
        expected = bool(b[1] <= a[1] - drop and b[2] < a[1])  # fell by drop, below the interval
        assert flags[1] is expected, (a, b, drop)
    # Versions without the sweep are not judged.
    bare = VersionFigures("v", {"precision": 0.9}, reference_rows=400, sample_rows=200)
    assert _result([bare, bare]) == [None, None]


@pytest.fixture(scope="module")
def sweeps() -> dict[str, dict[str, float]]:
    x, y = load_breast_cancer(return_X_y=True)
    order = np.random.default_rng(2).permutation(len(x))
    x, y = x[order], y[order]
    real, real_y, test, test_y = x[:340], y[:340], x[340:], y[340:]
    rows = 170
    trtr = trtr_draws("classification", real, real_y, test, test_y, rows, draws=8, n_classes=2)
    rng = np.random.default_rng(5)
    out = {}
    for name in ("honest_a", "honest_b", "shuffled"):
        pick = rng.choice(len(real), rows, replace=False)
        labels = real_y[pick] if name != "shuffled" else rng.permutation(real_y[pick])
        curve = mixing_sweep("classification", real, real_y, real[pick], labels, test, test_y,
                             seeds=4, n_classes=2, trtr=trtr)  # fmt: skip
        out[name] = curve.figures()
    return out


def test_real_sweeps_judged(sweeps: dict[str, dict[str, float]]) -> None:
    def v(name: str) -> VersionFigures:
        return VersionFigures(name, sweeps[name], reference_rows=340, sample_rows=170)

    assert _result([v("honest_a"), v("honest_b")]) == [False, False]
    assert _result([v("honest_a"), v("shuffled")]) == [False, True]
    result = {r.check: r for r in evaluate_checks([v("honest_a"), v("shuffled")], {})}[CHECK]
    assert result.value == sweeps["shuffled"]["safe_synthetic_share"]
    assert result.limit == pytest.approx(sweeps["honest_a"]["safe_synthetic_share"] - 0.25)
