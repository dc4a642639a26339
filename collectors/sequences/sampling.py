"""Whole-entity splits by shares (reference / holdout / fresh entities for tests, benchmarks and
the demo): sequences are drawn whole, never cut by row sampling. The service's own sampler is
:mod:`collectors.sources.entities` (a sample of n entities, a holdout of n entities); this adds a
split into several parts by shares, on the same fixed key order. Pure, seeded."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from collectors.sources.entities import entity_keys

__all__ = ["split_by_shares"]


def split_by_shares(
    frame: pd.DataFrame, entity: str, shares: Sequence[float], *, seed: int = 0
) -> list[pd.DataFrame]:
    """The entities (sorted by their text, shuffled with ``seed``) split into disjoint parts of
    about ``shares`` (normalised) of them; each part holds every row of its entities, in the
    frame's order. Rows without an entity are in no part."""
    if entity not in frame.columns:
        raise ValueError(f"no entity column {entity!r} (columns: {list(frame.columns)})")
    weights = np.asarray(shares, dtype=np.float64)
    if weights.size == 0 or (weights <= 0).any():
        raise ValueError(f"shares must be positive, got {list(shares)}")
    keys = np.asarray([k for k in entity_keys(frame, entity) if not pd.isna(k)], dtype=object)
    order = np.random.default_rng(seed).permutation(keys.size)
    bounds = np.round(np.cumsum(weights) / weights.sum() * keys.size).astype(int)
    return [frame[frame[entity].isin(keys[part])] for part in np.split(order, bounds[:-1])]
