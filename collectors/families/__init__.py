"""Optional figure families: extra figures a generator's versions get beside the core ones.

A family is built once per reference (:data:`FamilyBuilder`, from :class:`FamilyInputs`; None
when it does not apply, e.g. without a holdout), measures each version
(:meth:`FigureFamily.measure` -> :class:`FamilyFigures`, merged by
:class:`collectors.generator.GeneratorReference` into the version's figures, per-feature figures
and details) and gives its own real-vs-real healthy levels at a version's size
(:meth:`FigureFamily.healthy`, merged into the reference's
:class:`~collectors.healthy.HealthyLevels` and cached with them). Figure names are catalog
names (:mod:`collectors.metrics.catalog`).

Families: :mod:`collectors.families.structure` (issue 23: pair dependence, detection, category
shares, predictive audits, per-class and boundary coverage).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from collectors.healthy import HealthyLevels
from collectors.sources import FeatureMap

__all__ = ["FamilyBuilder", "FamilyFigures", "FamilyInputs", "FigureFamily"]


@dataclass(frozen=True)
class FamilyFigures:
    """What one family measured on one version.

    ``figures``: scalars by catalog name; ``per_feature``: column -> figure -> value (merged
    into the version's per-feature figures); ``details``: JSON-serialisable values without NaN
    (stored with the run, one entry per key, for reports).
    """

    figures: dict[str, float]
    per_feature: dict[str, dict[str, float]] = field(default_factory=dict)
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class FamilyInputs:
    """What a family may prepare from: the real rows and the reference's settings."""

    reference: pd.DataFrame
    holdout: pd.DataFrame | None
    feature_map: FeatureMap
    target: str | None
    seed: int
    sample_size: int | None
    healthy_draws: int


class FigureFamily(Protocol):
    """A family prepared for one reference."""

    name: str  # the key of its seconds in ``Measurement.timings``

    def measure(self, sample: pd.DataFrame, *, source: str) -> FamilyFigures:
        """The family's figures of one version (``source`` names it in errors)."""
        ...

    def healthy(self, sample_rows: int) -> HealthyLevels:
        """Real-vs-real levels and spreads of its figures at ``sample_rows`` rows."""
        ...


FamilyBuilder = Callable[[FamilyInputs], "FigureFamily | None"]
