"""HoldoutDraws: a draw's k-NN radii and cross counts from the holdout's shared lists equal the
engine's own passes over the drawn rows, bit for bit, on real data (ties, duplicates, bootstrap
repeats, lists too short for a draw)."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

from collectors.knn.draws import HoldoutDraws, list_lengths
from collectors.knn.engine import KnnEngine
from collectors.metrics.fidelity import clipped_radius_sq, resolve_ties


def standardised(data: np.ndarray) -> np.ndarray:
    return (data - data.mean(axis=0)) / data.std(axis=0)


def tables() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(reference, holdout) of real tables: digits' integer pixels (many tied distances and
    duplicate rows), digits with jitter (no ties), wine and breast cancer (standardised)."""
    digits = load_digits().data.astype(np.float64)
    jitter = digits + np.random.default_rng(0).normal(0.0, 0.5, digits.shape)
    wine = standardised(load_wine().data)
    cancer = standardised(load_breast_cancer().data)
    return {
        "digits": (digits[:1000], digits[1000:1500]),
        "digits_jitter": (jitter[:1000], jitter[1000:1500]),
        "wine": (wine[::2][:80], wine[1::2][:45]),
        "breast_cancer": (cancer[:300], cancer[300:450]),
    }


TABLES = tables()


def engine_draw(engine, real, real_radii, clipped, sample):
    """The engine's own pass over a draw: its radii, the tie mode and the cross counts."""
    radii = engine.radii(sample, real_radii.k, tolerance_sq=real_radii.tolerance)
    tie_aware = resolve_ties("auto", real_radii, radii)
    counts = engine.cross(real, real_radii, sample, radii, clipped, tie_aware=tie_aware)
    return radii, tie_aware, counts


@pytest.mark.parametrize("short", [False, True], ids=["lists", "short_lists"])
@pytest.mark.parametrize(
    ("table", "share", "replace"),
    [
        ("digits", 0.594, False),
        ("digits", 0.594, True),
        ("digits", 1.6, True),
        ("digits_jitter", 0.4, False),
        ("digits_jitter", 1.0, True),
        ("wine", 1.18, True),
        ("wine", 0.67, False),
        ("breast_cancer", 1.0, True),
        ("breast_cancer", 0.67, False),
    ],
)
def test_draws_equal_the_engine_bit_for_bit(table, share, replace, short) -> None:
    real, holdout = TABLES[table]
    k = 5
    engine = KnnEngine()
    centre = real.mean(axis=0)
    real, holdout = real - centre, holdout - centre
    real_radii = engine.radii(real, k, tolerance_sq=engine.tolerance_sq(real))
    clipped = clipped_radius_sq(real_radii)
    m = max(k + 2, round(share * holdout.shape[0]))
    lengths = (k, 2, 1) if short else list_lengths(real.shape[0], holdout.shape[0], m, k)
    assert lengths is not None
    draws = HoldoutDraws(engine, real, real_radii, clipped, holdout, lengths)
    rng = np.random.default_rng(7)
    scanned = draws.members_scanned
    for _ in range(3):
        rows = np.sort(rng.choice(holdout.shape[0], size=m, replace=replace))
        radii, tie_aware, expected = engine_draw(engine, real, real_radii, clipped, holdout[rows])
        draw = draws.draw(rows)
        scanned += draw.scanned
        assert draw.has_ties == radii.has_ties
        assert np.array_equal(draw.radius_at_positions(), radii.radius_sq)
        assert np.array_equal(draw.below[rows], radii.below)
        assert np.array_equal(draw.ties[rows], radii.ties)
        got = draws.cross(draw, tie_aware=tie_aware)
        for field in fields(expected):
            want, have = getattr(expected, field.name), getattr(got, field.name)
            assert want.dtype == have.dtype, field.name
            assert np.array_equal(want, have), field.name
    if short:  # the exact scans ran (radii, members, nearest drawn points, recall balls)
        assert scanned > 0


def test_the_tie_modes_differ_on_tied_data_and_each_matches() -> None:
    """Digits' pixels tie: forced strict and tie-aware counts both equal the engine's."""
    real, holdout = TABLES["digits"]
    engine = KnnEngine()
    real_radii = engine.radii(real, 5, tolerance_sq=engine.tolerance_sq(real))
    clipped = clipped_radius_sq(real_radii)
    draws = HoldoutDraws(engine, real, real_radii, clipped, holdout, (30, 80, 20))
    rows = np.sort(np.random.default_rng(3).choice(holdout.shape[0], 400, replace=True))
    sample = holdout[rows]
    radii = engine.radii(sample, 5, tolerance_sq=real_radii.tolerance)
    draw = draws.draw(rows)
    outcomes = []
    for tie_aware in (False, True):
        want = engine.cross(real, real_radii, sample, radii, clipped, tie_aware=tie_aware)
        got = draws.cross(draw, tie_aware=tie_aware)
        for field in fields(want):
            assert np.array_equal(getattr(want, field.name), getattr(got, field.name))
        outcomes.append(got.real_ball_synthetic)
    assert not np.array_equal(outcomes[0], outcomes[1])  # the two modes really differ


def test_list_lengths_refuse_draws_holding_little_of_the_holdout() -> None:
    assert list_lengths(10_000, 5_000, 500, 5) is None  # 10 % of the holdout
    assert list_lengths(10_000, 5_000, 10_000, 5) == (16, 31, 13)
    lc, la, lb = list_lengths(1_000, 500, 297, 5) or (0, 0, 0)
    assert lc < 500 and la <= 1_000 and lb <= 500
    assert list_lengths(100_000, 1_000, 1_000, 5) is None  # balls of ~500 real rows each


def test_rows_must_be_ascending() -> None:
    real, holdout = TABLES["wine"]
    engine = KnnEngine()
    real_radii = engine.radii(real, 5)
    draws = HoldoutDraws(
        engine, real, real_radii, clipped_radius_sq(real_radii), holdout, (10, 10, 10)
    )
    with pytest.raises(ValueError, match="ascending"):
        draws.draw(np.array([3, 1, 2, 4, 5, 6, 7]))


@pytest.mark.parametrize(("dim", "levels"), [(5, 3), (8, 2)])
def test_heavily_tied_lattice_keeps_the_engines_order_of_sums(dim: int, levels: int) -> None:
    """Points on a small integer lattice: most distances tie, boundary weights are fractions and
    a synthetic point's weights add up differently in another order (adding every shard's into
    one, or another row order, changes the last bits of density here); the draws' sums keep
    the engine's order, bit for bit. Long radii ties also force many exact scans."""
    rng = np.random.default_rng(dim)
    engine = KnnEngine()
    real = rng.integers(0, levels, (1200, dim)).astype(np.float64)
    holdout = rng.integers(0, levels, (600, dim)).astype(np.float64)
    centre = real.mean(axis=0)
    real, holdout = real - centre, holdout - centre
    real_radii = engine.radii(real, 5, tolerance_sq=engine.tolerance_sq(real))
    clipped = clipped_radius_sq(real_radii)
    lengths = list_lengths(1200, 600, 600, 5)
    assert lengths is not None
    draws = HoldoutDraws(engine, real, real_radii, clipped, holdout, lengths)
    rows = np.sort(rng.choice(600, 600, replace=True))
    radii, tie_aware, want = engine_draw(engine, real, real_radii, clipped, holdout[rows])
    assert tie_aware
    draw = draws.draw(rows)
    assert draw.scanned > 0 and draws.members_scanned > 0
    assert np.array_equal(draw.radius_at_positions(), radii.radius_sq)
    got = draws.cross(draw, tie_aware=tie_aware)
    for field in fields(want):
        assert np.array_equal(getattr(want, field.name), getattr(got, field.name)), field.name
