"""The holdout's distances to closest record (the DCR's yardstick) are the same bits whether the
healthy draws' shared lists give them (no pass of their own) or a nearest-row pass does, and every
figure of the draws and of a version is unchanged, on real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

from collectors.generator import GeneratorReference
from collectors.metrics.reference import ReferenceModel


def split(name: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(reference, holdout, version): disjoint rows of a real table."""
    if name == "digits":
        data = load_digits(as_frame=True).data
        return data.iloc[:900], data.iloc[900:1350], data.iloc[1350:1797]
    if name == "wine":
        data = load_wine(as_frame=True).data
        return data.iloc[::3], data.iloc[1::3], data.iloc[2::3]
    data = load_breast_cancer(as_frame=True).data
    return data.iloc[:250], data.iloc[250:400], data.iloc[400:569]


def brute_force(holdout: np.ndarray, real: np.ndarray) -> np.ndarray:
    """Each holdout row's distance to its nearest real row, from the full distance matrix."""
    squared = ((holdout[:, None, :] - real[None, :, :]) ** 2).sum(axis=2)
    return np.sqrt(squared.min(axis=1))


@pytest.mark.parametrize("table", ["digits", "wine", "breast_cancer"])
@pytest.mark.parametrize("m", [None, 0.6, 1.5])
def test_holdout_distance_from_the_draws_lists_is_the_pass_bit_for_bit(
    table: str, m: float | None
) -> None:
    reference, holdout, version = (frame.reset_index(drop=True) for frame in split(table))
    size = len(holdout) if m is None else int(m * len(holdout))
    models = {}
    for lists_first in (False, True):
        model = GeneratorReference(reference, holdout=holdout, n_regions=4, healthy_draws=3)
        assert model.model._holdout_distance is None  # nothing computed at fit
        if not lists_first:
            assert model.model.holdout_distance is not None  # the nearest-row pass
        levels = model._measure_healthy(size)
        models[lists_first] = (model, levels, model.measure(version).figures)
    (pass_model, pass_levels, pass_figures) = models[False]
    (list_model, list_levels, list_figures) = models[True]
    assert list_model.model._draws is not None  # the lists came first and gave the distances
    by_pass = pass_model.model.holdout_distance
    by_lists = list_model.model.holdout_distance
    assert by_pass is not None and by_lists is not None
    assert np.array_equal(by_pass, by_lists)
    fitted = list_model.model
    assert fitted.holdout is not None
    np.testing.assert_allclose(by_lists, brute_force(fitted.holdout, fitted.real), rtol=1e-12)
    assert dict(list_levels) == dict(pass_levels)
    assert list_levels.spread == pass_levels.spread
    assert list_figures == pass_figures
    assert {"dcr_close_share", "dcr_median_ratio"} <= set(list_figures)


def test_no_holdout_no_distance() -> None:
    real = load_wine().data
    model = ReferenceModel(real, n_regions=2)
    assert model.holdout_distance is None
    assert model.evaluate(real[::2]).dcr is None
