"""Whole-entity sampling (issue 28) on a real panel: statsmodels' Grunfeld investment data
(11 firms x 20 years), checked against pandas' own grouping."""

from __future__ import annotations

import pandas as pd
import pytest
from statsmodels.datasets import grunfeld

from collectors.sources.entities import (
    check_sequence_columns,
    entity_count,
    entity_keys,
    sample_entities,
    split_entities,
)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    data = grunfeld.load_pandas().data
    return data.sample(frac=1.0, random_state=3).reset_index(drop=True)  # rows interleaved


def _sizes(frame: pd.DataFrame) -> dict[str, int]:
    return frame.groupby("firm").size().to_dict()


def test_sample_takes_whole_entities(panel: pd.DataFrame) -> None:
    full = _sizes(panel)
    for seed in range(3):
        sample = sample_entities(panel, "firm", 4, seed)
        sizes = _sizes(sample)
        assert len(sizes) == 4
        assert all(sizes[firm] == full[firm] for firm in sizes)  # never cut
        assert len(sample) == sum(full[firm] for firm in sizes)


def test_sample_is_seeded_and_independent_of_row_order(panel: pd.DataFrame) -> None:
    a = sample_entities(panel, "firm", 5, 7)
    b = sample_entities(panel.iloc[::-1], "firm", 5, 7)
    assert set(a["firm"]) == set(b["firm"])
    others = [set(sample_entities(panel, "firm", 5, seed)["firm"]) for seed in range(8, 12)]
    assert any(o != set(a["firm"]) for o in others)  # another seed, other entities
    assert sample_entities(panel, "firm", None, 0).shape == panel.shape
    assert sample_entities(panel, "firm", 50, 0).shape == panel.shape


def test_bootstrap_keeps_copies_distinct(panel: pd.DataFrame) -> None:
    sample = sample_entities(panel, "firm", 30, 1, replacement=True)
    assert entity_count(sample, "firm") == 30  # 30 sequences from 11 firms
    full = _sizes(panel)
    for key, size in _sizes(sample).items():
        assert size == full[key.split("#")[0]]


def test_split_puts_each_entity_on_one_side(panel: pd.DataFrame) -> None:
    reference, holdout = split_entities(panel, "firm", 3, 0)
    assert entity_count(holdout, "firm") == 3
    assert not set(reference["firm"]) & set(holdout["firm"])
    assert len(reference) + len(holdout) == len(panel)
    assert list(entity_keys(panel, "firm")) == sorted(panel["firm"].unique())


def test_bad_sequence_columns_are_named(panel: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="entity_column 'company' is not a column"):
        check_sequence_columns(panel, "company", "year", "version 'v1'")
    broken = panel.copy()
    broken.loc[5, "firm"] = None
    check_sequence_columns(broken, "firm", "year", "version 'v1'")  # missing keys: dropped later
    text = panel.assign(year=panel["year"].astype(str))
    with pytest.raises(ValueError, match="column 'year' \\(time_column\\) is object"):
        check_sequence_columns(text, "firm", "year", "version 'v1'")
    check_sequence_columns(panel, "firm", "year", "version 'v1'")
