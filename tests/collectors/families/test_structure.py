"""The structure family beside a generator's reference (issue 23): a version's figures,
per-feature figures and details are those of the structure measures, its healthy levels are
measured on the holdout pool and cached with the others, and a switch turns it off."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from collectors.families.structure import StructureOptions, structure_family
from collectors.generator import GeneratorReference
from collectors.healthy import HealthyLevels
from collectors.metrics.catalog import BY_NAME, STRUCTURE_METRICS
from collectors.metrics.structure import StructureReference
from collectors.recipe import ReferenceRecipe
from tests.collectors.families.data import BROKEN, cancer, shuffled_within

STRUCTURE = {spec.name for spec in STRUCTURE_METRICS}
OPTIONS = StructureOptions(max_targets=3, healthy_draws=3)


class _Cache:
    """A HealthyCache in a dict (the store's artifacts and the JSON folder behave the same)."""

    def __init__(self) -> None:
        self.saved: dict[tuple[str, int], str] = {}

    def load(self, key: str, rows: int) -> HealthyLevels | None:
        text = self.saved.get((key, rows))
        return None if text is None else HealthyLevels.from_json(text)

    def save(self, key: str, rows: int, levels: HealthyLevels) -> None:
        self.saved[(key, rows)] = levels.to_json()


@pytest.fixture(scope="module")
def fitted() -> tuple[GeneratorReference, StructureReference, pd.DataFrame]:
    reference, holdout, fresh = cancer()
    model = GeneratorReference(
        reference,
        holdout=holdout,
        categorical=["diagnosis"],
        target="diagnosis",
        n_regions=4,
        families=(structure_family(OPTIONS),),
    )
    # The same measures built directly: what the family must report.
    direct = StructureReference(
        reference,
        holdout,
        columns=list(reference.columns),
        categorical=["diagnosis"],
        target="diagnosis",
        max_targets=OPTIONS.max_targets,
        detection_rows=OPTIONS.detection_rows,
    )
    return model, direct, fresh


def test_a_version_carries_the_structure_figures_per_feature_and_details(fitted) -> None:
    model, direct, fresh = fitted
    measured = model.measure(fresh)
    expected = direct.measure(fresh)
    assert {n: measured.figures[n] for n in expected.figures} == expected.figures
    assert set(expected.figures) == STRUCTURE  # every figure, each catalogued
    assert all(name in BY_NAME for name in measured.figures)
    for column, values in expected.per_feature().items():
        assert {k: measured.per_feature[column][k] for k in values} == pytest.approx(values)
    # the k-NN and drift figures are unchanged beside them
    assert measured.per_feature[BROKEN]["ks_statistic"] >= 0
    assert "structure" in measured.timings
    details = measured.details["structure"]
    json.dumps(details, allow_nan=False)  # stored as JSON: no NaN
    worst = expected.pairs.worst(1)[0]
    assert details["pairs"]["worst"][0]["first"] == worst.first
    assert details["pairs"]["worst"][0]["difference"] == pytest.approx(worst.difference)
    order = details["pairs"]["columns"]
    i, j = order.index(worst.first), order.index(worst.second)
    assert details["pairs"]["difference"][i][j] == pytest.approx(worst.difference)
    assert details["pairs"]["reference"][i][i] == 1.0
    audits = details["audits"]
    assert [a["column"] for a in audits] == sorted(
        (a.column for a in expected.audits),
        key=lambda c: -expected.per_feature()[c]["interaction_loss"],
    )
    assert audits[0]["importance_change"]  # the worst column names its features
    assert details["classes"]["diagnosis"][0]["label"] in ("benign", "malignant")
    assert details["detection"]["auc"] == pytest.approx(expected.figures["detection_auc"])


def test_healthy_levels_come_from_the_pool_draws_and_are_cached(fitted) -> None:
    model, direct, fresh = fitted
    rows = len(fresh)
    levels = model.healthy_at(rows)
    assert levels is not None
    own = direct.healthy_at(rows, draws=OPTIONS.healthy_draws)
    assert {n: levels[n] for n in own.figures} == pytest.approx(own.figures)
    assert {n: levels.spread[n] for n in own.spread} == pytest.approx(own.spread)
    assert levels.meta["structure_healthy_drawn_rows"] == own.drawn_rows
    assert levels["coverage"] > 0  # the k-NN levels beside them
    # Cached with the others: a second reference with the same key loads them, measures none.
    reference, holdout, _ = cancer()
    cache = _Cache()
    kwargs = {
        "holdout": holdout,
        "categorical": ["diagnosis"],
        "n_regions": 4,
        "families": (structure_family(OPTIONS),),
        "healthy_cache": cache,
        "healthy_key": "k",
    }
    first = GeneratorReference(reference, **kwargs).healthy_at(rows)
    again = GeneratorReference(reference, **kwargs)
    loaded = again.healthy_at(rows)
    assert again.healthy_loaded == 1 and again.healthy_measured == 0
    assert loaded is not None and first is not None
    assert {n: loaded[n] for n in STRUCTURE & set(first)} == {
        n: first[n] for n in STRUCTURE & set(first)
    }
    assert STRUCTURE & set(loaded.spread)


def test_the_switch_and_a_small_holdout_leave_the_family_out() -> None:
    reference, holdout, fresh = cancer()
    off = ReferenceRecipe(regions=4, categorical=("diagnosis",), structure=None, gates=False)
    model = off.fit(reference, holdout=holdout).model
    assert isinstance(model, GeneratorReference) and model.families == []
    assert not STRUCTURE & set(model.measure(fresh).figures)
    small = GeneratorReference(
        reference, holdout=holdout.iloc[:20], n_regions=4, families=(structure_family(),)
    )
    assert small.families == []


def test_a_broken_interaction_leaves_the_healthy_band_and_fresh_rows_do_not(fitted) -> None:
    """Mean radius shuffled within each diagnosis: marginals and the diagnosis relation kept,
    the radius-perimeter relation gone. The pair and interaction figures leave their healthy
    band (level + 3 spreads); fresh real rows stay inside it."""
    model, _, fresh = fitted
    broken = shuffled_within(fresh, BROKEN, "diagnosis", seed=1)
    for column in fresh.columns:  # every marginal kept
        assert sorted(broken[column].astype(str)) == sorted(fresh[column].astype(str))
    levels = model.healthy_at(len(fresh))
    assert levels is not None
    healthy, bad = model.measure(fresh).figures, model.measure(broken).figures
    for name in ("dependence_difference_max", "interaction_loss_max"):
        band = levels[name] + 3 * levels.spread[name]
        assert healthy[name] <= band < bad[name], (name, healthy[name], band, bad[name])
    details = model.measure(broken).details["structure"]
    assert BROKEN in (details["pairs"]["worst"][0]["first"], details["pairs"]["worst"][0]["second"])
    assert np.isfinite(bad["detection_auc"])
