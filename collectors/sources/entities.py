"""Sequences sampled whole: rows grouped by an entity column, never cut by row sampling.

A sequence generator's rows are events of entities (transactions per customer, readings per
sensor); its figures (lengths, gaps, autocorrelation, transitions) are about whole sequences, so
every sample here (a version's, the holdout split, the healthy draws) takes all rows of the
entities it draws. Entities are drawn by a seeded choice over the sorted distinct keys: the same
entities for the same seed and data, whatever the row order. Pure pandas/numpy, no I/O.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "check_sequence_columns",
    "entity_count",
    "entity_keys",
    "sample_entities",
    "split_entities",
]


def check_sequence_columns(
    frame: pd.DataFrame, entity_column: str, time_column: str | None, source: str
) -> None:
    """Raise ValueError naming ``source``, the column and a row when ``frame`` cannot be read as
    sequences: a missing entity or time column, a missing entity key, a time column that is
    neither numeric nor a timestamp, or a missing time."""
    for role, name in (("entity_column", entity_column), ("time_column", time_column)):
        if name is not None and name not in frame.columns:
            raise ValueError(
                f"{source}: {role} {name!r} is not a column (columns: {list(frame.columns)[:20]})"
            )
    missing = frame[entity_column].isna().to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"{source}: column {entity_column!r} (entity_column) is missing at row {row}"
        )
    if time_column is None:
        return
    times = frame[time_column]
    kind = times.dtype.kind
    if kind not in "iufM" and not isinstance(times.dtype, pd.DatetimeTZDtype):
        raise ValueError(
            f"{source}: column {time_column!r} (time_column) is {times.dtype}, not numeric or a "
            "timestamp (order within a sequence)"
        )
    absent = times.isna().to_numpy()
    if absent.any():
        row = int(np.flatnonzero(absent)[0])
        raise ValueError(f"{source}: column {time_column!r} (time_column) is missing at row {row}")


def entity_keys(frame: pd.DataFrame, entity_column: str) -> np.ndarray:
    """The distinct entity keys of ``frame`` in a fixed order (sorted by their text)."""
    keys = pd.unique(frame[entity_column].to_numpy())
    order = np.argsort(np.asarray([str(k) for k in keys]), kind="stable")
    return np.asarray(keys, dtype=object)[order]


def entity_count(frame: pd.DataFrame, entity_column: str) -> int:
    """Number of distinct entities (sequences) in ``frame``."""
    return int(frame[entity_column].nunique(dropna=True))


def _rows_of(frame: pd.DataFrame, entity_column: str, keys: np.ndarray) -> pd.DataFrame:
    chosen = frame[entity_column].isin(pd.Index(keys)).to_numpy()
    return frame.loc[chosen].reset_index(drop=True)


def sample_entities(
    frame: pd.DataFrame,
    entity_column: str,
    entities: int | None,
    seed: int,
    *,
    replacement: bool = False,
) -> pd.DataFrame:
    """Every row of ``entities`` entities drawn (seeded) from ``frame``; all of it when
    ``entities`` is None or not smaller than the number of entities. With ``replacement`` (a
    bootstrap of sequences) an entity drawn twice appears twice, its copies keyed
    ``<key>#<copy>`` so that they stay distinct sequences."""
    keys = entity_keys(frame, entity_column)
    rng = np.random.default_rng(seed)
    if replacement:
        if entities is None:
            entities = len(keys)
        picks = rng.choice(len(keys), size=entities, replace=True)
        groups = frame.groupby(entity_column, sort=False).indices
        parts = []
        seen: dict[int, int] = {}
        for pick in np.sort(picks):
            copy = seen.get(int(pick), 0)
            seen[int(pick)] = copy + 1
            part = frame.iloc[groups[keys[pick]]]
            if copy:
                part = part.assign(**{entity_column: f"{keys[pick]}#{copy}"})
            parts.append(part)
        return pd.concat(parts, ignore_index=True)
    if entities is None or entities >= len(keys):
        return frame.reset_index(drop=True)
    picks = np.sort(rng.choice(len(keys), size=entities, replace=False))
    return _rows_of(frame, entity_column, keys[picks])


def split_entities(
    frame: pd.DataFrame, entity_column: str, holdout_entities: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference, holdout): a seeded shuffle of the entities, ``holdout_entities`` of them held
    out whole (every row of an entity on one side)."""
    keys = entity_keys(frame, entity_column)
    order = np.random.default_rng(seed).permutation(len(keys))
    held = keys[order[:holdout_entities]]
    kept = keys[order[holdout_entities:]]
    return _rows_of(frame, entity_column, kept), _rows_of(frame, entity_column, held)
