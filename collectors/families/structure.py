"""The structure family (issue 23): :class:`~collectors.metrics.structure.StructureReference`
beside a generator's reference, its figures per version and its healthy levels.

Columns: the feature map's numeric and categorical columns (identifier-like and free-text
columns are not in it; datetime and vector columns are left out here: the calendar and k-NN
figures cover them). Bounds (:class:`StructureOptions`): every pair up to ``max_columns``
columns, else the ``max_pairs`` pairs of strongest real dependence; ``max_targets`` audited
columns on at most ``max_rows`` rows; the detection classifier and the permutation importance
(worst audited column only, versions only) can be switched off. Healthy levels: the measure
module's pool draws (:func:`collectors.metrics.structure.structure_healthy`), never bootstrap
draws; ``structure_healthy_drawn_rows`` in the levels' meta says at which size they were drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from collectors.families import FamilyBuilder, FamilyFigures, FamilyInputs
from collectors.healthy import HealthyLevels

if TYPE_CHECKING:
    from collectors.metrics.structure import StructureReference

__all__ = ["MIN_HOLDOUT_ROWS", "StructureFamily", "StructureOptions", "structure_family"]

MIN_HOLDOUT_ROWS = 30  # below this the audit test third and the healthy pool say nothing


@dataclass(frozen=True)
class StructureOptions:
    """Bounds of the structure figures (see the module docstring)."""

    max_columns: int = 40
    max_pairs: int | None = None  # pairs kept above max_columns columns (default: 40 * 39 / 2)
    max_targets: int = 3  # audited columns (each one model fit per version)
    max_rows: int = 2000
    detection: bool = True
    detection_rows: int = 1000  # rows per side of the classifier two-sample test
    importance: bool = True
    healthy_draws: int = 4
    worst: int = 10  # rows of the worst-pairs / categories tables in the details

    def reference(
        self,
        reference: pd.DataFrame,
        holdout: pd.DataFrame,
        *,
        columns: Sequence[str],
        categorical: Sequence[str],
        target: str | None = None,
        seed: int = 0,
    ) -> StructureReference:
        """A :class:`~collectors.metrics.structure.StructureReference` within these bounds."""
        from collectors.metrics.structure import StructureReference  # scikit-learn: when used

        return StructureReference(
            reference,
            holdout,
            columns=list(columns),
            categorical=list(categorical),
            target=target,
            max_columns=self.max_columns,
            max_pairs=self.max_pairs,
            max_targets=self.max_targets,
            max_rows=self.max_rows,
            detection=self.detection,
            detection_rows=self.detection_rows,
            importance=self.importance,
            seed=seed,
        )


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


class StructureFamily:
    """Structure figures of versions against one reference (a :class:`FigureFamily`)."""

    name = "structure"

    def __init__(self, inputs: FamilyInputs, options: StructureOptions) -> None:
        assert inputs.holdout is not None
        reference = inputs.reference
        numeric, categorical = [], []
        for column in inputs.feature_map.columns:
            if column.kind == "categorical":
                categorical.append(column.name)
            elif column.kind == "numeric" and not ptypes.is_datetime64_any_dtype(
                reference[column.name].dtype
            ):
                numeric.append(column.name)
        names = [*numeric, *categorical]
        target = inputs.target if inputs.target in names else None
        self.options = options
        self.structure = options.reference(
            reference,
            inputs.holdout,
            columns=names,
            categorical=categorical,
            target=target,
            seed=inputs.seed,
        )

    def measure(self, sample: pd.DataFrame, *, source: str) -> FamilyFigures:
        measured = self.structure.measure(sample, source=source)
        return FamilyFigures(
            dict(measured.figures),
            measured.check_features(),
            {"structure": self._details(measured)},
        )

    def healthy(self, sample_rows: int) -> HealthyLevels:
        from collectors.metrics.structure import structure_healthy

        try:
            levels = structure_healthy(
                self.structure, sample_rows, draws=self.options.healthy_draws
            )
        except ValueError:  # a holdout pool too small to draw from: no levels, no findings
            return HealthyLevels()
        meta = {
            "structure_healthy_drawn_rows": float(levels.drawn_rows),
            "structure_healthy_pool_rows": float(levels.pool_rows),
            "structure_healthy_draws": float(levels.draws),
        }
        return HealthyLevels(levels.figures, levels.spread, meta)

    def _details(self, measured: object) -> dict[str, object]:
        """The tables and matrix behind the figures, bounded, JSON-serialisable."""
        from collectors.metrics.structure import StructureMeasurement

        assert isinstance(measured, StructureMeasurement)
        worst = self.options.worst
        pairs = measured.pairs
        # Heatmap: the columns of the selected pairs, those whose pairs moved most first, at
        # most max_columns of them (the matrix stays bounded whatever the table's width).
        moved: dict[str, float] = {}
        for shift in pairs.shifts:
            for name in (shift.first, shift.second):
                moved[name] = max(moved.get(name, 0.0), shift.difference)
        shown = sorted(moved, key=lambda n: (-moved[n], n))[: self.options.max_columns]
        order = [name for name in pairs.columns if name in shown]
        index = [pairs.columns.index(name) for name in order]
        matrices = {
            which: [[_finite(v) for v in row] for row in pairs.matrix(which)[np.ix_(index, index)]]
            for which in ("reference", "version", "difference")
        }
        details: dict[str, object] = {
            "columns": {
                "numeric": list(self.structure.columns.numeric),
                "categorical": list(self.structure.columns.categorical),
                "skipped": list(self.structure.columns.skipped),
            },
            "pairs": {
                "count": len(pairs.shifts),
                "columns": order,
                **matrices,
                "worst": [
                    {
                        "first": s.first,
                        "second": s.second,
                        "measure": s.measure,
                        "reference": _finite(s.reference),
                        "version": _finite(s.version),
                        "difference": _finite(s.difference),
                    }
                    for s in pairs.worst(worst)
                ],
            },
            "categories": {
                "untested": measured.categories.untested,
                "worst": [
                    {
                        "column": c.column,
                        "category": c.category,
                        "reference_share": _finite(c.reference_share),
                        "expected": _finite(c.expected),
                        "observed": c.observed,
                        "version_share": _finite(c.version_share),
                        "ratio": _finite(c.ratio),
                        "adjusted_p_value": _finite(c.adjusted_p_value),
                    }
                    for c in measured.categories.worst(worst)
                ],
            },
            "audits": [
                {
                    "column": a.column,
                    "kind": a.kind,
                    "real_error": _finite(a.real_error),
                    "version_error": _finite(a.version_error),
                    "loss": _finite(a.loss),
                    "loss_ratio": _finite(a.loss_ratio),
                    "importance_change": [
                        [name, _finite(change)] for name, change in a.importance_change[:worst]
                    ],
                }
                for a in sorted(measured.audits, key=lambda a: -a.loss)
            ],
            "classes": {
                column: [
                    {
                        "label": c.label,
                        "real_rows": c.real_rows,
                        "version_rows": c.version_rows,
                        "coverage": _finite(c.coverage),
                        "recall": _finite(c.recall),
                    }
                    for c in sorted(entries, key=lambda c: (np.nan_to_num(c.coverage), c.label))
                ]
                for column, entries in measured.classes.items()
            },
        }
        if measured.detection is not None:
            details["detection"] = {
                "auc": _finite(measured.detection.auc),
                "fold_aucs": [_finite(v) for v in measured.detection.fold_aucs],
                "rows_per_side": measured.detection.rows_per_side,
            }
        return details


def structure_family(options: StructureOptions | None = None) -> FamilyBuilder:
    """A builder of the structure family with ``options`` (None: the defaults); it builds
    nothing for a reference without a holdout of :data:`MIN_HOLDOUT_ROWS` rows."""
    chosen = options or StructureOptions()

    def build(inputs: FamilyInputs) -> StructureFamily | None:
        if inputs.holdout is None or len(inputs.holdout) < MIN_HOLDOUT_ROWS:
            return None
        return StructureFamily(inputs, chosen)

    return build
