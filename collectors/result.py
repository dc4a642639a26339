"""What one measurement run produces: the unit the store writes in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

SubjectKind = Literal["generator", "corpus"]
RunStatus = Literal["ok", "failed"]


@dataclass(frozen=True)
class MetricValue:
    """One figure of a run.

    ``metric`` is a name from :mod:`collectors.metrics.catalog`; ``scope`` says what it was measured
    against: ``reference`` (the real reference), ``baseline`` (ratio to the first version),
    ``previous`` (ratio to the previous version), ``healthy`` (a real holdout against the
    reference), ``feature:<name>`` for per-feature figures.
    """

    metric: str
    scope: str
    value: float


@dataclass(frozen=True)
class RegionValue:
    """Coverage and density of one k-means region of the real reference."""

    region: int
    real_rows: int
    coverage: float
    density: float


@dataclass
class RunResult:
    """Everything one run of one subject (a generator version or a corpus snapshot) produced."""

    subject_kind: SubjectKind
    subject: str
    version: str
    fingerprint: str
    version_index: int
    started_at: datetime
    finished_at: datetime
    status: RunStatus
    error: str | None = None
    reference_rows: int = 0
    sample_rows: int = 0
    metrics: list[MetricValue] = field(default_factory=list)
    regions: list[RegionValue] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)  # name -> JSON text of aggregates
    reference_fingerprint: str = ""  # what it was measured against (retry caps are per reference)

    @property
    def duration_seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()
