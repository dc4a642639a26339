"""Whole-entity sampling: sequences are drawn whole, never cut by row sampling. Pure, seeded."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["sample_entities", "split_entities"]


def _keys(frame: pd.DataFrame, entity: str) -> np.ndarray:
    if entity not in frame.columns:
        raise ValueError(f"no entity column {entity!r} (columns: {list(frame.columns)})")
    return np.asarray(pd.unique(frame[entity].dropna()))


def sample_entities(frame: pd.DataFrame, entity: str, n: int, *, seed: int = 0) -> pd.DataFrame:
    """Every row of ``n`` entities drawn without replacement (all of them when there are fewer),
    in the frame's row order."""
    keys = _keys(frame, entity)
    if n >= keys.size:
        return frame[frame[entity].isin(keys)]
    chosen = np.random.default_rng(seed).choice(keys.size, n, replace=False)
    return frame[frame[entity].isin(keys[chosen])]


def split_entities(
    frame: pd.DataFrame, entity: str, shares: Sequence[float], *, seed: int = 0
) -> list[pd.DataFrame]:
    """The entities split into disjoint parts of about ``shares`` (normalised) of them; each
    part holds every row of its entities."""
    keys = _keys(frame, entity)
    weights = np.asarray(shares, dtype=np.float64)
    if weights.size == 0 or (weights <= 0).any():
        raise ValueError(f"shares must be positive, got {list(shares)}")
    order = np.random.default_rng(seed).permutation(keys.size)
    bounds = np.round(np.cumsum(weights) / weights.sum() * keys.size).astype(int)
    parts = np.split(order, bounds[:-1])
    return [frame[frame[entity].isin(keys[part])] for part in parts]
