"""Healthy-level draws measured from the holdout's shared k-NN lists (ReferenceModel.evaluate_draw)
give every figure, level and spread of draws measured from scratch, bit for bit, on real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

from collectors.generator import GeneratorReference
from collectors.metrics.reference import ReferenceModel


def split(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference, holdout): disjoint rows of a real table."""
    if name == "digits":
        data = load_digits(as_frame=True).data
        return data.iloc[:1000], data.iloc[1000:1500]
    if name == "wine":
        data = load_wine(as_frame=True).data
        return data.iloc[::2].iloc[:80], data.iloc[1::2].iloc[:45]
    data = load_breast_cancer(as_frame=True).data
    return data.iloc[:300], data.iloc[300:450]


# Sample sizes: without replacement (m <= h / 2), without replacement with a bootstrap spread
# (h / 2 < m < h), the whole holdout once (m = h) and a bootstrap (m > h).
CASES = [
    ("digits", 200),
    ("digits", 297),
    ("digits", 800),
    ("wine", 30),
    ("wine", 53),
    ("breast_cancer", 150),
    ("breast_cancer", 269),
]


@pytest.mark.parametrize(("table", "m"), CASES)
def test_healthy_levels_equal_draws_measured_from_scratch(table: str, m: int) -> None:
    reference, holdout = (frame.reset_index(drop=True) for frame in split(table))
    model = GeneratorReference(reference, holdout=holdout, n_regions=4, healthy_draws=3)
    model.model.share_draws = False
    scratch = model._measure_healthy(m)
    assert model.model._draws is None
    model.model.share_draws = True
    shared = model._measure_healthy(m)
    assert model.model._draws is not None  # the shared lists were used
    assert dict(shared) == dict(scratch)
    assert shared.spread == scratch.spread
    assert shared.meta == scratch.meta
    assert {"precision", "recall", "coverage", "density", "beta_recall"} <= set(shared)


def test_missing_cells_and_categories_give_the_same_levels() -> None:
    """Wine with its class as a category (one-hot: tied distances) and missing cells (imputed,
    indicator columns; drift on observed values): the draws' rows of the holdout's embedding
    and numeric columns give the levels of draws embedded anew."""
    data = load_wine(as_frame=True)
    frame = data.data.copy()
    frame["cultivar"] = data.target.map({0: "a", 1: "b", 2: "c"})
    rng = np.random.default_rng(5)
    for column in ("alcohol", "magnesium"):
        frame.loc[rng.random(len(frame)) < 0.08, column] = np.nan
    reference = frame.iloc[::2].reset_index(drop=True)
    holdout = frame.iloc[1::2].reset_index(drop=True)
    model = GeneratorReference(reference, holdout=holdout, n_regions=2, healthy_draws=3)
    for m in (40, 89, 120):
        model.model.share_draws = False
        scratch = model._measure_healthy(m)
        model.model.share_draws = True
        shared = model._measure_healthy(m)
        assert model.model._draws is not None
        assert dict(shared) == dict(scratch) and shared.spread == scratch.spread
        assert "missing_share_max" in shared and "total_variation_max" in shared


def test_evaluate_draw_equals_evaluate_and_falls_back_on_other_rows() -> None:
    reference, holdout = (frame.to_numpy(dtype=np.float64) for frame in split("digits"))
    model = ReferenceModel(reference, k=5, n_regions=4, holdout=holdout)
    rows = np.sort(np.random.default_rng(0).choice(holdout.shape[0], 400, replace=True))
    want = model.evaluate(holdout[rows], name="holdout")
    got = model.evaluate_draw(holdout[rows], rows)
    assert got.as_dict() == want.as_dict()
    assert np.array_equal(got.alpha_beta.authentic, want.alpha_beta.authentic)
    assert np.array_equal(got.regions.coverage, want.regions.coverage)
    assert np.array_equal(got.prdc.real_ball_synthetic, want.prdc.real_ball_synthetic)
    # Rows that are not the sample's: measured from scratch, the same figures as evaluate.
    other = model.evaluate_draw(holdout[rows] + 0.25, rows)
    assert other.as_dict() == model.evaluate(holdout[rows] + 0.25).as_dict()


def test_entity_draws_are_measured_as_before() -> None:
    """Sequence references draw whole entities: no holdout rows are passed, no lists built."""
    data = load_wine(as_frame=True).data.iloc[:, :5].copy()
    data["entity"] = np.arange(len(data)) // 3
    reference = data[data["entity"] % 2 == 0].reset_index(drop=True)
    holdout = data[data["entity"] % 2 == 1].reset_index(drop=True)
    model = GeneratorReference(reference, holdout=holdout, entity_column="entity", healthy_draws=2)
    levels = model._measure_healthy(15)
    assert model.model._draws is None
    model.model.share_draws = False
    again = model._measure_healthy(15)
    assert dict(levels) == dict(again) and levels.spread == again.spread
