"""One input column of the feature space: its kind, what was learnt from the reference, and its
JSON (helpers of :mod:`collectors.sources.features`, which re-exports :class:`FeatureColumn`).

The JSON of a column holds a key only where it is set (``missing``, ``robust``, ``zone``,
``centre``), so a complete column's JSON, and the feature map's fingerprint, stay as they were
when keys were added for missing cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeGuard

import numpy as np
import pandas as pd

from collectors.sources import cells
from collectors.sources.cells import MISSING, FeatureError, Kind
from collectors.sources.kinds import epoch_seconds

__all__ = ["KINDS", "RARE", "SCALED", "FeatureColumn", "column_from_json", "column_json", "raw"]

RARE = "__rare__"
KINDS = ("numeric", "categorical", "vector", "datetime")
SCALED = ("numeric", "datetime")


@dataclass(frozen=True)
class FeatureColumn:
    """How one input column is embedded: its kind and what was learnt from the reference."""

    name: str
    kind: Kind
    mean: float = 0.0
    std: float = 1.0
    categories: tuple[str, ...] = ()
    length: int = 0
    missing: bool = False  # the reference has missing cells (an indicator column)
    robust: bool = False  # mean/std are the median and a quantile spread (kinds.scale)
    zone: str = ""  # datetime: the reference's time zone ("" naive)
    centre: tuple[float, ...] = ()  # vector with missing cells: the reference's mean vector
    # Complete vector column: the reference's mean vector, imputed for a version's missing cells;
    # not in the JSON (a complete column's JSON and fingerprint stay as they were).
    fill: tuple[float, ...] = field(default=(), compare=False)

    @property
    def feature_names(self) -> list[str]:
        """Output column names: ``name`` (and ``name=__missing__``), ``name=category`` /
        ``name=__rare__``, ``name[i]``."""
        if self.kind in SCALED:
            return [self.name, *([f"{self.name}={MISSING}"] if self.missing else [])]
        if self.kind == "categorical":
            return [f"{self.name}={c}" for c in (*self.categories, RARE)]
        indicator = [f"{self.name}={MISSING}"] if self.missing else []
        return [*(f"{self.name}[{i}]" for i in range(self.length)), *indicator]

    @property
    def width(self) -> int:
        """Number of output columns."""
        if self.kind in SCALED:
            return 1 + int(self.missing)
        if self.kind == "categorical":
            return len(self.categories) + 1
        return self.length + int(self.missing)


def raw(column: FeatureColumn, series: pd.Series, source: str) -> np.ndarray:
    """Raw values of a numeric or datetime column (epoch seconds), NaN where missing."""
    if column.kind == "datetime":
        try:
            return epoch_seconds(series, f"{source}: column {series.name!r}", column.zone)
        except ValueError as error:
            raise FeatureError(str(error)) from error
    return cells.numeric(series, source)


def column_json(column: FeatureColumn) -> dict[str, object]:
    if column.kind in SCALED:
        item: dict[str, object] = {
            "name": column.name,
            "kind": column.kind,
            "mean": column.mean,
            "std": column.std,
        }
        # Keys only where set: a complete numeric column's JSON (and fingerprint) is unchanged.
        item.update({"missing": True} if column.missing else {})
        item.update({"robust": True} if column.robust else {})
        item.update({"zone": column.zone} if column.kind == "datetime" else {})
        return item
    if column.kind == "categorical":
        return {"name": column.name, "kind": "categorical", "categories": list(column.categories)}
    vector: dict[str, object] = {"name": column.name, "kind": "vector", "length": column.length}
    # Keys only where set: a complete vector column's JSON (and fingerprint) is unchanged.
    vector.update({"missing": True, "centre": list(column.centre)} if column.missing else {})
    return vector


def _is_kind(value: object) -> TypeGuard[Kind]:
    return value in KINDS


def _number(item: dict[str, object], key: str) -> float:
    value = item[key]
    if not isinstance(value, int | float | str):
        raise ValueError(f"column {item.get('name')!r}: {key} must be a number, got {value!r}")
    return float(value)


def column_from_json(item: dict[str, object]) -> FeatureColumn:
    name, kind = item["name"], item["kind"]
    if not isinstance(name, str) or not _is_kind(kind):
        raise ValueError(f"bad column entry {item!r}")
    if kind in SCALED:
        zone = item.get("zone", "")
        if not isinstance(zone, str):
            raise ValueError(f"column {name!r}: zone must be a string")
        return FeatureColumn(
            name,
            kind,
            mean=_number(item, "mean"),
            std=_number(item, "std"),
            missing=bool(item.get("missing", False)),
            robust=bool(item.get("robust", False)),
            zone=zone,
        )
    if kind == "categorical":
        categories = item["categories"]
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            raise ValueError(f"column {name!r}: categories must be a list of strings")
        return FeatureColumn(name, "categorical", categories=tuple(categories))
    length = item["length"]
    if not isinstance(length, int) or length < 1:
        raise ValueError(f"column {name!r}: length must be a positive integer")
    if not item.get("missing", False):
        return FeatureColumn(name, "vector", length=length)
    centre = item["centre"]
    if not isinstance(centre, list) or len(centre) != length:
        raise ValueError(f"column {name!r}: centre must be a list of {length} numbers")
    values = tuple(_number({"name": name, "centre": c}, "centre") for c in centre)
    return FeatureColumn(name, "vector", length=length, missing=True, centre=values)
