"""The mixing sweep's verdicts on a real table at a realistic version size (issue 29's proof).

statsmodels' fair table (6,366 real rows, class ``affairs > 0``): 2,000 real holdout rows, a real
training pool of 2,366 rows, 2,000 fresh real rows; versions of 1,000 rows and the default plan
(:class:`collectors.gates.mixing.MixingPlan`), as ``python -m benchmarks.bench_mixing --verdicts``
measures over three seeds (figures in benchmarks/README.md). Fresh real rows keep a high safe
share, a degrading generator's falls as it degrades, a label-shuffled one's stays at the first
grid step; the sweeps are fitted once for the module.
"""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.datasets import fair  # type: ignore[import-untyped]

from collectors.gates.mixing import MixingCurve, MixingPlan, mixing_sweep
from collectors.gates.utility import trtr_draws, utility
from monitor.checks import VersionFigures, evaluate_checks

ROWS = 1000


def fair_table() -> tuple[np.ndarray, np.ndarray]:
    frame = fair.load_pandas().data
    x = frame.drop(columns="affairs").to_numpy(dtype=np.float64)
    return x, (frame["affairs"] > 0).to_numpy().astype(np.int64)


def degraded(
    x: np.ndarray, y: np.ndarray, level: float, spread: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Noise of ``level`` column spreads on every feature, labels of ``0.6 level`` of the rows
    shuffled among themselves (as the benchmark's degrading generator)."""
    labels = y.copy()
    hit = rng.random(y.size) < 0.6 * level
    labels[hit] = rng.permutation(labels[hit])
    return x + rng.normal(0.0, 1.0, x.shape) * (level * spread), labels


@pytest.fixture(scope="module")
def curves() -> dict[str, MixingCurve]:
    x_all, y_all = fair_table()
    order = np.random.default_rng([29, 0]).permutation(y_all.size)
    test, real, fresh = order[:2000], order[2000:4366], order[4366:]
    xt, yt, x, y = x_all[test], y_all[test], x_all[real], y_all[real]
    trtr = trtr_draws("classification", x, y, xt, yt, ROWS, draws=8, n_classes=2)
    rng = np.random.default_rng(7)
    spread = x.std(axis=0)

    def fresh_rows() -> tuple[np.ndarray, np.ndarray]:
        pick = rng.choice(fresh.size, ROWS, replace=False)
        return x_all[fresh[pick]], y_all[fresh[pick]]

    versions = {
        "fresh": fresh_rows(),
        "degrading 0.4": degraded(*fresh_rows(), 0.4, spread, rng),
        "degrading 1.0": degraded(*fresh_rows(), 1.0, spread, rng),
    }
    xs, ys = fresh_rows()
    versions["shuffled"] = (xs, rng.permutation(ys))
    out = {}
    for name, (xs, ys) in versions.items():
        gate = utility("classification", xs, ys, xt, yt, trtr, n_classes=2)
        out[name] = mixing_sweep("classification", x, y, xs, ys, xt, yt, n_classes=2, trtr=trtr,
                                 tstr=gate.tstr)  # fmt: skip
        assert out[name].mean[0] == gate.trtr["balanced_accuracy"]  # the TRTR figure
        assert out[name].mean[-1] == gate.tstr["balanced_accuracy"]  # the TSTR figure
        assert out[name].safe_low <= out[name].safe <= out[name].safe_high
    return out


def test_default_plan_is_what_was_measured(curves: dict[str, MixingCurve]) -> None:
    plan = MixingPlan()
    for curve in curves.values():
        assert curve.shares == plan.shares and curve.scores.shape[0] == plan.seeds
        assert curve.chance == 0.5  # balanced accuracy of a constant guess, two classes


def test_fresh_real_rows_keep_a_high_safe_share(curves: dict[str, MixingCurve]) -> None:
    assert curves["fresh"].safe >= 0.9, curves["fresh"].safe


def test_degrading_generator_falls_and_shuffled_labels_stay_at_the_first_step(
    curves: dict[str, MixingCurve],
) -> None:
    fresh, mild, heavy = (curves[k].safe for k in ("fresh", "degrading 0.4", "degrading 1.0"))
    assert fresh > mild > heavy, (fresh, mild, heavy)
    assert heavy <= 0.5, heavy
    assert curves["shuffled"].safe <= 0.10, curves["shuffled"].safe


def test_safe_share_decline_pages_the_damaged_versions_only(
    curves: dict[str, MixingCurve],
) -> None:
    def figures(name: str) -> VersionFigures:
        return VersionFigures(name, curves[name].figures(), reference_rows=2366, sample_rows=ROWS)

    judged = {}
    for name in curves:
        results = evaluate_checks([figures("fresh"), figures(name)], {})
        judged[name] = next(r for r in results if r.check == "safe_share_decline").breached[1]
    assert judged == {"fresh": False, "degrading 0.4": False, "degrading 1.0": True,
                      "shuffled": True}, judged  # fmt: skip
