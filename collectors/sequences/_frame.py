"""Sequences prepared once: rows sorted by entity then time, each entity's rows contiguous.

Pure: a frame in, arrays out, no I/O. Rows whose entity or time is missing have no place in a
sequence: they are left out and counted (``dropped_rows``), never refused. A missing numeric value
stays NaN (every measure drops it pairwise); a missing category is its own state
:data:`MISSING`. A timestamp time column (datetime64, zoned or naive) is measured in seconds since
the epoch and also gives the calendar (hour of day, day of week); so does a text column whose
every value parses as a timestamp (a CSV read without parsing); a numeric time column gives gaps
but no calendar; any other time column is refused, naming it and the first row that does not
parse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

__all__ = ["MISSING", "OTHER", "SequenceFrame", "prepare", "state_labels"]

MISSING = "(missing)"
OTHER = "(other)"


@dataclass(frozen=True)
class SequenceFrame:
    """One side's sequences: ``starts[i]:starts[i] + lengths[i]`` are entity ``i``'s rows, in
    time order, in every per-row array."""

    entities: np.ndarray  # (E,) entity keys, in sorted order
    lengths: np.ndarray  # (E,) events per entity
    starts: np.ndarray  # (E,) first row of each entity
    owner: np.ndarray  # (R,) entity index of each row
    time: np.ndarray  # (R,) float: seconds since the epoch (timestamps) or the numeric time
    timestamp: bool
    numeric: dict[str, np.ndarray]  # column -> (R,) float with NaN
    categorical: dict[str, np.ndarray]  # column -> (R,) object labels (MISSING for missing)
    calendar: dict[str, np.ndarray]  # "hour" / "weekday" -> (R,) int, only for timestamps
    dropped_rows: int

    @property
    def n_entities(self) -> int:
        return int(self.lengths.shape[0])

    @property
    def n_events(self) -> int:
        return int(self.owner.shape[0])

    def same_entity(self, lag: int) -> np.ndarray:
        """(R - lag,) mask: row t and row t + lag belong to one entity (pairs at ``lag`` steps)."""
        if lag >= self.n_events:
            return np.zeros(0, dtype=bool)
        return self.owner[:-lag] == self.owner[lag:]

    def gaps(self) -> np.ndarray:
        """Time between successive events of one entity (seconds for timestamps)."""
        if self.n_events < 2:
            return np.zeros(0)
        mask = self.same_entity(1)
        return np.diff(self.time)[mask]

    def subset(self, rows: np.ndarray) -> SequenceFrame:
        """The entities at positions ``rows`` (whole sequences), in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        lengths = self.lengths[rows]
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)[: rows.size]
        # row r of entity i sits at self.starts[i] + (r - starts[i])
        index = np.repeat(self.starts[rows] - starts, lengths) + np.arange(int(lengths.sum()))
        return SequenceFrame(
            entities=self.entities[rows],
            lengths=lengths,
            starts=starts,
            owner=np.repeat(np.arange(rows.size), lengths),
            time=self.time[index],
            timestamp=self.timestamp,
            numeric={k: v[index] for k, v in self.numeric.items()},
            categorical={k: v[index] for k, v in self.categorical.items()},
            calendar={k: v[index] for k, v in self.calendar.items()},
            dropped_rows=0,
        )


def _parsed_text(series: pd.Series, source: str) -> pd.Series:
    """A text time column as timestamps (every value must parse; mixed zones go to UTC)."""
    try:
        parsed = pd.to_datetime(series, errors="coerce")
    except (TypeError, ValueError):  # mixed offsets
        parsed = pd.to_datetime(series, errors="coerce", utc=True)
    bad = parsed.isna().to_numpy() & series.notna().to_numpy()
    if bad.any():
        row = series.index[int(np.argmax(bad))]
        raise ValueError(
            f"{source}: time column {series.name!r} is text that is not a timestamp "
            f"(row {row}: {series.loc[row]!r})"
        )
    return parsed


def _time_values(series: pd.Series, source: str) -> tuple[np.ndarray, bool, dict[str, np.ndarray]]:
    if ptypes.is_object_dtype(series.dtype) or ptypes.is_string_dtype(series.dtype):
        series = _parsed_text(series, source)
    if ptypes.is_datetime64_any_dtype(series.dtype):
        stamps = pd.DatetimeIndex(series)
        seconds = stamps.asi8.astype(np.float64) / 1e9
        if stamps.unit != "ns":
            seconds = stamps.as_unit("ns").asi8.astype(np.float64) / 1e9
        calendar = {
            "hour": np.asarray(stamps.hour, dtype=np.int64),
            "weekday": np.asarray(stamps.dayofweek, dtype=np.int64),
        }
        return seconds, True, calendar
    if ptypes.is_bool_dtype(series.dtype) or not ptypes.is_numeric_dtype(series.dtype):
        raise ValueError(
            f"{source}: time column {series.name!r} is {series.dtype}, not a timestamp or a number"
        )
    return series.to_numpy(dtype=np.float64), False, {}


def state_labels(series: pd.Series) -> np.ndarray:
    """A categorical column as object labels, missing values as :data:`MISSING`."""
    labels = series.astype(object).where(series.notna(), MISSING).astype(str)
    return labels.to_numpy(dtype=object)


def prepare(
    frame: pd.DataFrame,
    *,
    entity: str,
    time: str,
    numeric: Sequence[str] = (),
    categorical: Sequence[str] = (),
    source: str = "version",
) -> SequenceFrame:
    """Sort ``frame`` into sequences (see the module docstring); ``source`` names it in errors."""
    wanted = [entity, time, *numeric, *categorical]
    absent = [name for name in wanted if name not in frame.columns]
    if absent:
        raise ValueError(f"{source}: no column {absent[0]!r} (columns: {list(frame.columns)})")
    for name in numeric:
        dtype = frame[name].dtype
        if ptypes.is_bool_dtype(dtype) or not ptypes.is_numeric_dtype(dtype):
            raise ValueError(f"{source}: numeric column {name!r} is {dtype}")
    keep = frame[entity].notna().to_numpy() & frame[time].notna().to_numpy()
    table = frame.loc[keep]
    dropped = int((~keep).sum())
    time_values, timestamp, calendar = _time_values(table[time], source)
    keys, uniques = pd.factorize(table[entity], sort=True)
    order = np.lexsort((time_values, keys))  # stable: ties keep the frame's order
    owner = keys[order].astype(np.int64)
    lengths = np.bincount(owner, minlength=len(uniques)).astype(np.int64)
    present = lengths > 0
    if not present.all():  # unused categories of a categorical entity column
        remap = np.cumsum(present) - 1
        owner, lengths, uniques = remap[owner], lengths[present], uniques[present]
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    return SequenceFrame(
        entities=np.asarray(uniques),
        lengths=lengths,
        starts=starts[: lengths.shape[0]],
        owner=owner,
        time=time_values[order],
        timestamp=timestamp,
        numeric={n: table[n].to_numpy(dtype=np.float64)[order] for n in numeric},
        categorical={n: state_labels(table[n])[order] for n in categorical},
        calendar={k: v[order] for k, v in calendar.items()},
        dropped_rows=dropped,
    )
