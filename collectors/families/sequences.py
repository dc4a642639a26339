"""The sequence family (issue 28): :class:`~collectors.sequences.SequenceReference` beside a
sequence generator's reference, its figures per version and its healthy levels.

Built when the generator names an ``entity_column`` and a ``time_column`` (without a time column
the rows are sampled by entity but have no order to measure). Columns: the feature map's numeric
and categorical columns (identifier-like and free-text columns are not in it), less the entity and
time columns. Healthy levels: draws of whole real holdout entities at the version's entity count
(:meth:`~collectors.sequences.SequenceReference.healthy_at`); ``sequence_healthy_drawn_entities``
in their meta says at which size they were drawn. Details (stored with the run under
``sequences``, for the report): length and gap histograms, autocorrelation by lag (reference and
version), the transition-matrix difference of the most moved categorical columns; bounded by
:data:`MAX_DETAIL_COLUMNS` columns and the measures' own state cap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from collectors.families import FamilyBuilder, FamilyFigures, FamilyInputs
from collectors.healthy import HealthyLevels

__all__ = ["MAX_DETAIL_COLUMNS", "SequenceFamily", "sequence_family"]

MAX_DETAIL_COLUMNS = 8  # autocorrelation curves and transition matrices kept per version


def _finite(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _values(values: Any) -> list[float | None]:
    return [_finite(v) for v in values]


def _histogram(histogram: Any) -> dict[str, list[float | None]]:
    return {
        "edges": _values(histogram.edges),
        "reference": _values(histogram.reference),
        "version": _values(histogram.version),
    }


def details_json(details: Mapping[str, Any]) -> dict[str, object]:
    """The measurement's details as JSON-able values without NaN (None instead), bounded."""
    out: dict[str, object] = {}
    for key in ("length_histogram", "gap_histogram"):
        if key in details and details[key].edges:
            out[key] = _histogram(details[key])
    autocorr = details.get("autocorr", {})
    if autocorr:
        chosen = list(autocorr)[:MAX_DETAIL_COLUMNS]
        out["autocorr"] = {
            name: {
                "reference": _values(autocorr[name]["reference"]),
                "version": _values(autocorr[name]["version"]),
            }
            for name in chosen
        }
    transitions = details.get("transitions", {})
    if transitions:
        moved = sorted(transitions.values(), key=lambda s: -s.tv)[:MAX_DETAIL_COLUMNS]
        out["transitions"] = {
            s.column: {
                "states": list(s.states),
                "tv": _finite(s.tv),
                "difference": [_values(row) for row in s.difference],
            }
            for s in moved
        }
    for key in ("hour_rhythm", "weekday_rhythm"):
        if key in details:
            out[key] = {
                "reference": _values(details[key]["reference"]),
                "version": _values(details[key]["version"]),
            }
    return out


class SequenceFamily:
    """Sequence figures of versions against one reference (a :class:`FigureFamily`)."""

    name = "sequences"

    def __init__(self, inputs: FamilyInputs, entity: str, time: str) -> None:
        from collectors.sequences import SequenceReference

        assert inputs.holdout is not None
        skip = {entity, time}
        numeric = [
            c.name for c in inputs.feature_map.columns if c.kind == "numeric" and c.name not in skip
        ]
        categorical = [
            c.name
            for c in inputs.feature_map.columns
            if c.kind == "categorical" and c.name not in skip
        ]
        self.draws = max(2, min(inputs.healthy_draws, 8))
        self.reference = SequenceReference(
            inputs.reference,
            inputs.holdout,
            entity=entity,
            time=time,
            numeric=numeric,
            categorical=categorical,
            seed=inputs.seed,
        )

    def measure(self, sample: pd.DataFrame, *, source: str) -> FamilyFigures:
        m = self.reference.measure(sample, source=source)
        return FamilyFigures(
            dict(m.figures),
            {name: dict(values) for name, values in m.per_feature.items()},
            {"sequences": details_json(m.details)},
        )

    def healthy(self, sample_rows: int) -> HealthyLevels:
        """Levels at ``sample_rows`` entities (a sequence generator's sizes count entities)."""
        h = self.reference.healthy_at(max(2, int(sample_rows)), draws=self.draws)
        meta = {
            "sequence_healthy_entities": float(h.sample_entities),
            "sequence_healthy_drawn_entities": float(h.drawn_entities),
            "sequence_healthy_pool_entities": float(h.pool_entities),
        }
        return HealthyLevels(h.figures, h.spread, meta)


def sequence_family(entity: str, time: str) -> FamilyBuilder:
    """The builder: a :class:`SequenceFamily` where the reference has a holdout."""

    def build(inputs: FamilyInputs) -> SequenceFamily | None:
        if inputs.holdout is None:
            return None
        return SequenceFamily(inputs, entity, time)

    return build
