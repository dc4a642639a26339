"""Sequences sampled whole: rows grouped by an entity column, never cut by row sampling.

A sequence generator's rows are events of entities (transactions per customer, readings per
sensor); its figures (lengths, gaps, autocorrelation, transitions) are about whole sequences, so
every sample here (a version's, the holdout split, the healthy draws) takes all rows of the
entities it draws. Entities are drawn by a seeded choice over the sorted distinct keys: the same
entities for the same seed and data, whatever the row order. Pure pandas/numpy, no I/O.

Real tables have missing values, keys included: a row whose entity or time is missing has no
place in a sequence, so :func:`drop_missing_keys` leaves it out and counts it (a
:class:`MissingKeys` with a note, and one structured log line naming the source, the column and
the rows), never refusing the table; the reference, the holdout and every version go through it
(as :mod:`collectors.sequences` drops and counts such rows in its own measures).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from collectors.figure_keys import MISSING_KEY_SHARE

__all__ = [
    "MISSING_KEY_SHARE",
    "MissingKeys",
    "check_sequence_columns",
    "drop_missing_keys",
    "entity_count",
    "entity_keys",
    "sample_entities",
    "split_entities",
]

log = logging.getLogger("tailwatch.sequences")


def check_sequence_columns(
    frame: pd.DataFrame, entity_column: str, time_column: str | None, source: str
) -> None:
    """Raise ValueError naming ``source`` and the column when ``frame`` cannot be read as
    sequences: a missing entity or time column, or a time column that is neither numeric nor a
    timestamp. Missing values in them are no error (:func:`drop_missing_keys`)."""
    for role, name in (("entity_column", entity_column), ("time_column", time_column)):
        if name is not None and name not in frame.columns:
            raise ValueError(
                f"{source}: {role} {name!r} is not a column (columns: {list(frame.columns)[:20]})"
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


@dataclass(frozen=True)
class MissingKeys:
    """Rows of ``source`` left out of its sequences: ``entity`` rows without an entity key,
    ``time`` more (with a key) without a time, out of ``rows`` read."""

    source: str
    entity_column: str
    time_column: str | None
    rows: int
    entity: int = 0
    time: int = 0

    @property
    def dropped(self) -> int:
        return self.entity + self.time

    @property
    def share(self) -> float:
        """Share of the rows read left out (0 for an empty table)."""
        return self.dropped / self.rows if self.rows else 0.0

    def note(self) -> str:
        """One line for the user; empty when nothing was left out."""
        if not self.dropped:
            return ""
        parts = []
        if self.entity:
            parts.append(f"{self.entity} without {self.entity_column!r} (entity_column)")
        if self.time:
            parts.append(f"{self.time} without {self.time_column!r} (time_column)")
        return (
            f"{self.source}: {self.dropped} of {self.rows} rows ({self.share:.1%}) left out of "
            f"the sequences, their key missing: {'; '.join(parts)}"
        )


def drop_missing_keys(
    frame: pd.DataFrame, entity_column: str, time_column: str | None, source: str
) -> tuple[pd.DataFrame, MissingKeys]:
    """``frame`` without the rows whose entity (or time) is missing, and their count.

    Checks the columns first (:func:`check_sequence_columns`). Where rows are left out, one
    structured warning ``"rows without a sequence key left out"`` names the source, each
    column and its rows (the daemon's JSON logs carry them as fields)."""
    check_sequence_columns(frame, entity_column, time_column, source)
    no_entity = frame[entity_column].isna().to_numpy()
    no_time = (
        np.zeros(len(frame), dtype=bool)
        if time_column is None
        else frame[time_column].isna().to_numpy() & ~no_entity
    )
    missing = MissingKeys(
        source,
        entity_column,
        time_column,
        len(frame),
        entity=int(no_entity.sum()),
        time=int(no_time.sum()),
    )
    if not missing.dropped:
        return frame, missing
    log.warning(
        "rows without a sequence key left out",
        extra={
            "source": source,
            "entity_column": entity_column,
            "entity_missing_rows": missing.entity,
            "time_column": time_column,
            "time_missing_rows": missing.time,
            "rows": missing.rows,
            "missing_key_share": round(missing.share, 6),
        },
    )
    kept = frame.loc[~(no_entity | no_time)].reset_index(drop=True)
    return kept, missing


def entity_keys(frame: pd.DataFrame, entity_column: str) -> np.ndarray:
    """The distinct entity keys of ``frame`` in a fixed order (sorted by their text); a missing
    key is no entity (its rows are never drawn: :func:`drop_missing_keys` counts them)."""
    keys = pd.unique(frame[entity_column].dropna().to_numpy())
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
        return frame.loc[frame[entity_column].notna().to_numpy()].reset_index(drop=True)
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
