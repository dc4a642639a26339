"""One feature space for every version: a map fitted once on the real reference.

Distances between a reference and a synthetic version only mean something when both are embedded
the same way, so the map is fitted on the reference alone (means, spreads, categories), stored as
JSON next to the results and applied unchanged to every version. A version that no longer fits the
map (a missing column, strings where numbers were, vectors of another length, a time zone
mismatch) fails with a :class:`FeatureError` naming the source and column instead of producing
numbers.

Column kinds: ``numeric`` (standardised with the reference mean and std; a constant column gets
std 1; robust scaling where a few extreme values dominate the std, see
:func:`collectors.sources.kinds.scale`), ``datetime`` (seconds since the epoch, then as numeric),
``categorical`` (one-hot over the reference categories with share >= ``rare_threshold`` plus one
``__rare__`` bucket that also takes categories never seen in the reference; booleans are
categorical) and ``vector`` (cells are float arrays of one fixed length, e.g. embeddings: used as
is, unscaled).

Missing values are data (the missing-value policy):
- a categorical column's missing cells are the label ``__missing__`` (a category of its own when
  the reference holds it at ``rare_threshold`` or more, else in the rare bucket);
- a numeric or datetime column that has missing (or infinite) cells in the reference gets one more
  output column ``name=__missing__`` (1 where missing) and its missing cells are imputed at the
  reference's centre (0 after scaling); where the reference is complete, a version's missing cells
  are imputed the same way without an indicator (their share is its own figure,
  ``missing_share``, and check);
- a vector column with missing cells (None, NaN, or a vector holding a NaN or infinite entry) in
  the reference gets the same indicator
  (``name=__missing__``, after its components) and its missing cells are the reference's mean
  vector (stored in the JSON); where the reference's vectors are complete, a version's missing
  cells are imputed at the reference's mean vector without an indicator, as numeric columns are.
  That mean vector (:attr:`FeatureColumn.fill`) is computed from the reference when the map is
  fitted and kept out of the JSON, so a complete column's JSON and fingerprint are unchanged; a
  map rebuilt from JSON gets it from :meth:`FeatureMap.from_json`'s ``reference``;
- infinite values count as missing; a column missing in every reference row, and (when the
  columns are not configured) identifier and free-text columns, are left out with a note.
On complete data nothing changes: no indicator column, the same scaling, the same numbers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from collectors.sources import cells
from collectors.sources.cells import MISSING, FeatureError
from collectors.sources.feature_columns import (
    RARE,
    SCALED,
    FeatureColumn,
    column_from_json,
    column_json,
    raw,
)
from collectors.sources.kinds import (
    clip_scaled,
    excluded_reason,
    scale,
    time_zone,
)

__all__ = ["MISSING", "RARE", "FeatureColumn", "FeatureError", "FeatureMap"]

FORMAT = "tailwatch.feature_map/1"


@dataclass(frozen=True)
class FeatureMap:
    """The reference's feature space: fit once, store with :meth:`to_json`, apply everywhere."""

    columns: tuple[FeatureColumn, ...]
    rare_threshold: float = 0.01
    # What fitting noticed (columns left out, missing cells in the reference); not stored.
    notes: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def fit(
        cls,
        reference: pd.DataFrame,
        *,
        columns: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        rare_threshold: float = 0.01,
    ) -> FeatureMap:
        """Learn means, stds, categories and vector lengths from the real reference.

        ``columns`` picks and orders the input columns (default: all, in the reference's order,
        less identifier and free-text columns); ``categorical`` forces columns to be categorical
        (others are inferred from the dtype). A column missing in every row is left out; what was
        left out and why is in :attr:`notes`.
        """
        source = "reference"
        if not 0.0 <= rare_threshold < 1.0:
            raise FeatureError(f"rare_threshold must be in [0, 1), got {rare_threshold!r}")
        names = [str(c) for c in (reference.columns if columns is None else columns)]
        if not names or len(set(names)) != len(names):
            raise FeatureError(f"{source}: columns must be non-empty and distinct, got {names}")
        _check_present(reference, names, source)
        forced = [str(c) for c in categorical or ()]
        unknown = [c for c in forced if c not in names]
        if unknown:
            raise FeatureError(f"categorical columns {unknown} are not among the columns {names}")
        if len(reference) == 0:
            raise FeatureError(f"{source} has no rows")
        specs = []
        notes: list[str] = []
        for name in names:
            series = reference[name]
            where = f"{source}: column {name!r}"
            if series.isna().all():
                notes.append(f"{where} left out: missing in every row")
                continue
            reason = (
                None if columns is not None or name in forced else excluded_reason(series, name)
            )
            if reason is not None:
                notes.append(
                    f"{where} left out of the tabular figures: {reason} (or list it in columns)"
                )
                continue
            kind = "categorical" if name in forced else cells.infer_kind(series, source)
            if kind in SCALED:
                zone = time_zone(series) if kind == "datetime" else ""
                values = raw(FeatureColumn(name, kind, zone=zone), series, source)
                observed = np.isfinite(values)
                if not observed.any():
                    notes.append(f"{where} left out: no finite value in any row")
                    continue
                complete = bool(observed.all())
                mean, std, robust = scale(values if complete else values[observed])
                if not complete:
                    infinite = int((~observed).sum() - series.isna().sum())
                    notes.append(
                        f"{where} is missing in {cells.rows_listed(~observed)}"
                        + (f" ({infinite} infinite, counted as missing)" if infinite else "")
                        + ": measured with a missing indicator, imputed at the reference's centre"
                    )
                if robust:
                    notes.append(
                        f"{where}: a few extreme values dominate its spread: scaled robustly "
                        "(median and central 90 % range), extremes clipped"
                    )
                column = FeatureColumn(
                    name, kind, mean=mean, std=std, missing=not complete, robust=robust, zone=zone
                )
                specs.append(column)
            elif kind == "categorical":
                found, counts = np.unique(
                    cells.labels(series, source).astype(str), return_counts=True
                )
                share = counts / len(reference)
                kept = tuple(
                    str(label)
                    for label, s in zip(found, share, strict=True)
                    if s >= rare_threshold and label != RARE
                )
                specs.append(FeatureColumn(name, "categorical", categories=kept))
            else:
                matrix = cells.vectors(series, source, None, missing_ok=True)
                absent = np.isnan(matrix[:, 0])
                if not absent.any():  # complete: the column (and its JSON) as before
                    fill = _mean_vector(matrix)
                    specs.append(FeatureColumn(name, "vector", length=matrix.shape[1], fill=fill))
                    continue
                notes.append(
                    f"{where} is missing in {cells.rows_listed(absent)}: measured with a "
                    "missing indicator, imputed at the reference's mean vector"
                )
                centre = _mean_vector(matrix[~absent])
                specs.append(
                    FeatureColumn(
                        name, "vector", length=matrix.shape[1], missing=True, centre=centre
                    )
                )
        if not specs:
            raise FeatureError(f"{source}: no column can be measured ({'; '.join(notes)})")
        return cls(tuple(specs), float(rare_threshold), tuple(notes))

    @property
    def feature_names(self) -> list[str]:
        """The output columns in order (``amount``, ``region=north``, ``embedding[0]``, ...)."""
        return [n for column in self.columns for n in column.feature_names]

    @property
    def width(self) -> int:
        """Number of output columns of :meth:`transform`."""
        return sum(column.width for column in self.columns)

    @property
    def input_columns(self) -> list[str]:
        """The input columns a frame must have, in order."""
        return [column.name for column in self.columns]

    def transform(self, frame: pd.DataFrame, *, source: str = "sample") -> np.ndarray:
        """Embed ``frame`` in the reference's space: a float64 (rows x width) matrix."""
        _check_present(frame, self.input_columns, source)
        if len(frame) == 0:
            raise FeatureError(f"{source} has no rows")
        out = np.zeros((len(frame), self.width), dtype=np.float64)
        rows = np.arange(len(frame))
        offset = 0
        for column in self.columns:
            series = frame[column.name]
            if column.kind in SCALED:
                scaled = clip_scaled(raw(column, series, source), column.mean, column.std)
                missing = np.isnan(scaled)
                scaled[missing] = 0.0  # imputed at the reference's centre
                out[:, offset] = scaled
                if column.missing:
                    out[:, offset + 1] = missing
            elif column.kind == "categorical":
                codes = pd.Index(list(column.categories), dtype=object).get_indexer(
                    cells.labels(series, source)
                )
                codes[codes < 0] = len(column.categories)  # unseen and rare labels
                out[rows, offset + codes] = 1.0
            else:
                matrix = cells.vectors(series, source, column.length, missing_ok=True)
                absent = np.isnan(matrix[:, 0])
                if column.missing:
                    matrix[absent] = np.asarray(column.centre)  # the reference's mean vector
                    out[:, offset + column.length] = absent
                elif absent.any():
                    matrix[absent] = _fill(column, source)
                out[:, offset : offset + column.length] = matrix
            offset += column.width
        return out

    def numeric_matrix(
        self, frame: pd.DataFrame, *, source: str = "sample", observed: bool = False
    ) -> tuple[np.ndarray, list[str]]:
        """Raw (unscaled) numeric and datetime (epoch seconds) columns as a float64 (rows x k)
        matrix and their names; missing cells imputed at the reference's centre, or NaN with
        ``observed`` (for figures computed per column on observed values)."""
        chosen = [c for c in self.columns if c.kind in SCALED]
        names = [c.name for c in chosen]
        _check_present(frame, names, source)
        matrix = np.empty((len(frame), len(names)), dtype=np.float64)
        for j, column in enumerate(chosen):
            values = raw(column, frame[column.name], source)
            if not observed:
                values[np.isnan(values)] = column.mean
            matrix[:, j] = values
        return matrix, names

    def values(self, frame: pd.DataFrame, name: str, *, source: str = "sample") -> np.ndarray:
        """Raw values of one numeric or datetime column (epoch seconds), NaN where missing."""
        column = next(c for c in self.columns if c.name == name)
        return raw(column, frame[name], source)

    def missing_shares(self, frame: pd.DataFrame) -> dict[str, float]:
        """Share of rows missing (NaN, None, NaT; infinite numbers too) per input column."""
        _check_present(frame, self.input_columns, "sample")
        out = {}
        for column in self.columns:
            series = frame[column.name]
            dtype = series.dtype
            if column.kind == "numeric" and isinstance(dtype, np.dtype) and dtype.kind == "f":
                # A NumPy float column: NaN is its only missing value, so isna | isinf is
                # "not finite" (one NumPy pass instead of three through pandas).
                missing = ~np.isfinite(series.to_numpy())
                out[column.name] = float(missing.mean()) if len(series) else 0.0
                continue
            missing = series.isna().to_numpy()
            if column.kind == "vector":  # None/NaN cells and vectors with a NaN or inf entry
                matrix = cells.vectors(series, "sample", column.length, missing_ok=True)
                missing = np.isnan(matrix[:, 0])
            elif column.kind == "numeric" and ptypes.is_float_dtype(series.dtype):
                missing = missing | np.isinf(series.to_numpy(dtype=np.float64, na_value=np.nan))
            out[column.name] = float(missing.mean()) if len(series) else 0.0
        return out

    def categorical_values(
        self, frame: pd.DataFrame, *, source: str = "sample"
    ) -> dict[str, np.ndarray]:
        """Raw labels of each categorical column, as object arrays of str."""
        names = [c.name for c in self.columns if c.kind == "categorical"]
        _check_present(frame, names, source)
        return {name: cells.labels(frame[name], source) for name in names}

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, exact floats): what the store keeps and fingerprints."""
        document = {
            "format": FORMAT,
            "rare_threshold": self.rare_threshold,
            "columns": [column_json(column) for column in self.columns],
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_json(cls, text: str, *, reference: pd.DataFrame | None = None) -> FeatureMap:
        """Rebuild a map from :meth:`to_json`; transforms are identical to the original's.

        A complete vector column's mean vector is not in the JSON: with ``reference`` (the
        frame the map was fitted on) it is computed again, so a version's missing vector cells
        are imputed as the fitted map imputes them; without it they are refused.
        """
        try:
            document = json.loads(text)
            if document.get("format") != FORMAT:
                raise ValueError(f"format is {document.get('format')!r}, expected {FORMAT!r}")
            columns = tuple(column_from_json(item) for item in document["columns"])
            rare_threshold = float(document["rare_threshold"])
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise FeatureError(f"feature map JSON is invalid: {error!r}") from error
        if reference is not None:
            columns = tuple(_with_fill(column, reference) for column in columns)
        return cls(columns, rare_threshold)

    @property
    def fingerprint(self) -> str:
        """sha256 of :meth:`to_json`: changes whenever the fitted space changes."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()


def _mean_vector(matrix: np.ndarray) -> tuple[float, ...]:
    return tuple(float(x) for x in matrix.mean(axis=0))


def _fill(column: FeatureColumn, source: str) -> np.ndarray:
    """The vector imputed for a version's missing cells where the reference's are complete."""
    if not column.fill:
        raise FeatureError(
            f"{source}: column {column.name!r} has missing cells, and this feature map (rebuilt "
            "from JSON without its reference) has no reference mean vector to impute: pass "
            "reference= to FeatureMap.from_json"
        )
    return np.asarray(column.fill)


def _with_fill(column: FeatureColumn, reference: pd.DataFrame) -> FeatureColumn:
    """A complete vector column with the reference's mean vector (see :func:`_fill`)."""
    if column.kind != "vector" or column.missing:
        return column
    _check_present(reference, [column.name], "reference")
    matrix = cells.vectors(reference[column.name], "reference", column.length)
    return replace(column, fill=_mean_vector(matrix))


def _check_present(frame: pd.DataFrame, names: Sequence[str], source: str) -> None:
    present = {str(c) for c in frame.columns}
    missing = [n for n in names if n not in present]
    if missing:
        listed = ", ".join(repr(n) for n in missing)
        raise FeatureError(f"{source}: missing column{'s' if len(missing) > 1 else ''} {listed}")
