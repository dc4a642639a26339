"""A healthy draw's KS statistics and tail shares from the holdout's sorted columns (issue 26,
collectors.metrics.draw_columns) equal the computation on the draw's own rows bit for bit, and
scipy's KS statistic: real tables with ties (digits' integer pixels), jittered digits, wine,
breast cancer, signed zeros; draws with and without replacement; the generator's healthy levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

from collectors.generator import GeneratorReference
from collectors.metrics.draw_columns import HoldoutColumns
from collectors.metrics.drift import ks_statistics, reference_correlation
from collectors.metrics.missing import observed_numeric


def splits() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    rng = np.random.default_rng(0)
    for loader in (load_digits, load_wine, load_breast_cancer):
        data = loader(return_X_y=True)[0].astype(np.float64)
        order = rng.permutation(len(data))
        cut = len(data) * 3 // 5
        out[loader.__name__] = (data[order[:cut]], data[order[cut:]])
    real, holdout = out["load_digits"]
    out["jittered"] = (
        real + rng.normal(0, 0.3, real.shape),
        holdout + rng.normal(0, 0.3, holdout.shape),
    )
    signed = rng.integers(-2, 3, size=(400, 3)).astype(np.float64) * 0.0  # 0.0 and -0.0
    signed[::3] = -signed[::3]
    signed[:, 2] = rng.integers(0, 4, size=400)
    out["signed_zeros"] = (np.abs(signed[:250]) * np.sign(signed[:250] + 0.5), -signed[250:])
    return out


def draws(h: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        np.sort(rng.choice(h, size=2 * h, replace=True)),
        np.sort(rng.choice(h, size=h, replace=True)),
        np.sort(rng.choice(h, size=h // 2, replace=False)),
        np.arange(h),
        np.sort(rng.choice(h, size=3, replace=True)),
    ]


@pytest.mark.parametrize("case", list(splits()))
def test_ks_and_tail_shares_equal_the_draws_own(case: str) -> None:
    real, holdout = splits()[case]
    real_sorted = np.sort(real, axis=0)
    prepared = HoldoutColumns(real_sorted, holdout)
    for rows in draws(len(holdout), 1):
        drawn, draw = holdout[rows], prepared.draw(rows)
        ks = draw.ks()
        assert ks.tobytes() == ks_statistics(real, drawn, real_sorted=real_sorted).tobytes()
        for j in range(real.shape[1]):  # scipy's arithmetic differs in the last bit
            assert abs(ks[j] - ks_2samp(real[:, j], drawn[:, j]).statistic) <= 1e-15
        for lower, upper in (
            (real_sorted[5], real_sorted[-6]),  # reference values (ties in digits)
            (holdout[rows[0]], holdout[rows[-1]]),  # the draw's own values
            (real_sorted[0] - 1.0, real_sorted[-1] + 1.0),  # beyond every value
        ):
            below, above = draw.shares(lower, upper)
            assert below.tobytes() == (drawn < lower).mean(axis=0).tobytes()
            assert above.tobytes() == (drawn > upper).mean(axis=0).tobytes()


@pytest.mark.parametrize("case", ["load_digits", "jittered", "load_wine"])
def test_observed_numeric_of_a_draw_equals_the_computation_on_its_rows(case: str) -> None:
    real, holdout = splits()[case]
    names = [f"f{j}" for j in range(real.shape[1])]
    real_sorted, correlation = np.sort(real, axis=0), reference_correlation(real)
    prepared = HoldoutColumns(real_sorted, holdout)
    for rows in draws(len(holdout), 2)[:4]:
        before = observed_numeric(
            real, holdout[rows], names, real_sorted=real_sorted, real_correlation=correlation
        )
        now = observed_numeric(
            real,
            holdout[rows],
            names,
            real_sorted=real_sorted,
            real_correlation=correlation,
            draw=prepared.draw(rows),
        )
        assert before[0].tobytes() == now[0].tobytes()
        assert before[1] == now[1] and before[2] == now[2]


def test_incomplete_columns_are_refused() -> None:
    real, holdout = splits()["load_wine"]
    holdout = holdout.copy()
    holdout[3, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        HoldoutColumns(np.sort(real, axis=0), holdout)


@pytest.mark.parametrize("case", ["load_digits", "load_breast_cancer"])
def test_healthy_levels_equal_those_without_the_sorted_columns(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real, holdout = splits()[case]
    frames = [
        pd.DataFrame(a, columns=[f"c{j}" for j in range(a.shape[1])]) for a in (real, holdout)
    ]
    sizes = (len(holdout) // 2, 2 * len(holdout), len(holdout) // 3)  # without, with, without
    levels = {}
    drawn: list[int] = []  # the draws measured from the holdout's sorted columns
    original = HoldoutColumns.draw

    def draw(self: HoldoutColumns, rows: np.ndarray) -> object:
        drawn.append(len(rows))
        return original(self, rows)

    monkeypatch.setattr(HoldoutColumns, "draw", draw)
    for use in (True, False):
        drawn.clear()
        monkeypatch.setattr(HoldoutColumns, "fits", staticmethod(lambda *_, use=use: use))
        model = GeneratorReference(frames[0], holdout=frames[1], n_regions=4, healthy_draws=3)
        for rows in sizes[:2]:
            healthy = model.healthy_at(rows)
            assert healthy is not None
            levels[use, rows] = (dict(healthy), healthy.spread)
            # The draws done, their holdout columns are released.
            assert model._holdout_columns is None and not model._holdout_columns_ready
        assert len(drawn) == (2 * 3 if use else 0)  # 3 draws at each size, every one counted
        model.measure(frames[1].iloc[:40])  # a version reads none
        healthy = model.healthy_at(sizes[2])  # prepared again for another size
        assert healthy is not None and model._holdout_columns is None
        assert len(drawn) == (3 * 3 if use else 0)
        levels[use, sizes[2]] = (dict(healthy), healthy.spread)
    for rows in sizes:
        assert levels[True, rows] == levels[False, rows]
