"""The report's data model: aggregates read from the store, never raw rows.

Frozen dataclasses that :mod:`monitor.report.data` fills, :mod:`monitor.report.plots` draws and
:mod:`monitor.report.write` writes; ``Report.to_dict()`` is exactly what ``report.json`` holds.
Per-version figures are tuples aligned with the section's ``versions``; a missing figure is None.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

Level = Literal["no data", "healthy", "watch", "leakage", "collapse suspected"]
SEVERITY: dict[str, int] = {
    "no data": 0,
    "healthy": 1,
    "watch": 2,
    "leakage": 3,
    "collapse suspected": 4,
}
Series = tuple[float | None, ...]


# The verdict's colour, by level: the report page and the notebook facade.
LEVEL_COLOURS = {
    "no data": "#6b6b6b",
    "healthy": "#2e7d32",
    "watch": "#b26a00",
    "leakage": "#6a1b9a",
    "collapse suspected": "#c62828",
}


@dataclass(frozen=True)
class Verdict:
    """A level, the reasons for it (one sentence each) and a one-line summary for the top.

    ``labels``: the other kinds' findings beside the collapse level ("privacy risk", "privacy
    watch", "fidelity gap"); the level stays the collapse (or leakage) level.
    """

    level: Level
    reasons: tuple[str, ...]
    summary: str = ""
    labels: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The level with the other findings beside it: "healthy; privacy risk"."""
        return "; ".join((self.level, *self.labels))

    @property
    def headline(self) -> str:
        """The summary, or the first reason when there is none."""
        return self.summary or (self.reasons[0] if self.reasons else self.level)


@dataclass(frozen=True)
class Alert:
    """One check one version breached: what an alert rule would have fired on."""

    kind: str
    subject: str
    version: str
    check: str
    value: float | None
    limit: float | None
    description: str


@dataclass(frozen=True)
class MetricSeries:
    """A generator metric across versions, with its healthy level and its check's limits."""

    metric: str
    description: str
    goal: str
    values: Series
    healthy: float | None
    band: tuple[float, float] | None  # healthy level +- the sampling noise (shares only)
    check: str | None  # the collapse check that watches this metric
    limits: Series  # that check's limit per version (empty when no check)


@dataclass(frozen=True)
class CheckRow:
    """One collapse check (from ``monitor.checks.evaluate_checks``) over the shown versions."""

    check: str
    description: str
    breached: tuple[bool | None, ...]
    values: Series
    limits: Series
    streak: int  # latest versions in a row that breach
    kind: str = "collapse"  # collapse, privacy (page) or gap (a fidelity finding: a ticket)
    detail: str = ""  # what breached at the latest version (features, categories)
    figure: str = ""  # the figure the latest value and limit are (the sub-test that breached)


@dataclass(frozen=True)
class RegionGrid:
    """Coverage of each k-means region of the real reference (regions x versions)."""

    regions: tuple[int, ...]
    real_rows: tuple[int, ...]
    coverage: tuple[Series, ...]  # one row per region, one column per version


@dataclass(frozen=True)
class FeatureDrift:
    """Per-feature figures across versions; ``drift`` is KS (numeric) or TV (categorical)."""

    feature: str
    kind: Literal["numeric", "categorical"]
    drift_metric: str
    drift: Series
    tail_lower: Series
    tail_upper: Series


@dataclass(frozen=True)
class ColumnDrift:
    """One column of the latest version against the reference, and its drift's change since the
    checks' baseline. Tail shares are shares of rows beyond the reference's 1 % / 99 % quantiles
    (None where the column has no tail on that side); ``flags`` say why the column is flagged."""

    column: str
    kind: Literal["numeric", "categorical"]
    statistic: str  # ks_statistic (numeric) or total_variation (categorical)
    drift: float | None  # that statistic at the latest version
    baseline: float | None  # ... at the checks' baseline
    change: float | None  # drift - baseline
    ks_statistic: float | None
    total_variation: float | None
    tail_share_lower: float | None
    tail_reference_lower: float | None  # the reference's own share beyond the same threshold
    tail_share_upper: float | None
    tail_reference_upper: float | None
    categories_lost: int | None
    flags: tuple[str, ...]
    # The latest version's and the reference's missing share (None where neither has a
    # missing cell in this column: the pages show a missing column only where some column has).
    missing_share: float | None = None
    missing_reference: float | None = None


@dataclass(frozen=True)
class ColumnTable:
    """Every measured column of the latest version, flagged first, then by drift, worst first.

    report.json holds every row; the HTML and Markdown pages list the first ``shown``.
    """

    version: str
    baseline: str  # the version (or median of versions) the change is measured from
    drift_limit: float  # effect size a drift statistic must exceed to be flagged
    ks_critical: float | None  # KS value beyond sampling noise at these row counts
    rows: tuple[ColumnDrift, ...]
    shown: int

    @property
    def flagged(self) -> int:
        """How many columns are flagged."""
        return sum(1 for row in self.rows if row.flags)

    @property
    def has_missing(self) -> bool:
        """Whether any column has missing cells in the latest version or the reference."""
        return any(
            row.missing_share is not None or row.missing_reference is not None for row in self.rows
        )


@dataclass(frozen=True)
class Histogram:
    """A marginal histogram of the reference and of one version (counts)."""

    feature: str
    kind: Literal["numeric", "categorical"]
    bins: tuple[Any, ...]  # numeric: edges (len = counts + 1); categorical: category labels
    reference: tuple[float, ...]
    sample: tuple[float, ...]


@dataclass(frozen=True)
class GeneratorSection:
    """Everything the report shows for one generator."""

    name: str
    versions: tuple[str, ...]
    finished_at: tuple[str, ...]
    reference_rows: tuple[int, ...]
    sample_rows: tuple[int, ...]
    metrics: dict[str, MetricSeries]
    regions: RegionGrid | None
    features: tuple[FeatureDrift, ...]
    top_drifting: tuple[str, ...]
    histograms_version: str | None
    histograms: tuple[Histogram, ...]
    checks: tuple[CheckRow, ...]
    alerts: tuple[Alert, ...]
    verdict: Verdict
    failed_runs: int
    last_error: str | None
    notes: tuple[str, ...]
    # Text generators: the latest version's rank-frequency curves and vanished
    # reference words (collectors.text run detail "text"); None for other generators.
    text: dict[str, Any] | None = None
    # Per-column drift of the latest version (None without per-feature figures).
    columns: ColumnTable | None = None
    # Structure fidelity of the latest version (issue 23): the run detail "structure" (pair
    # dependence matrices, worst pairs, audits, categories, classes); None without it.
    structure: dict[str, Any] | None = None
    # Sequences of the latest version (issue 28): the run detail "sequences" (autocorrelation
    # by lag, length and gap histograms, transition differences); None without it.
    sequences: dict[str, Any] | None = None


@dataclass(frozen=True)
class CorpusSection:
    """Everything the report shows for one corpus: figures per snapshot, provenance mix."""

    name: str
    snapshots: tuple[str, ...]
    finished_at: tuple[str, ...]
    figures: dict[str, Series]  # scope "snapshot"
    provenance: dict[str, Series]  # metric "rows", scope "provenance:<label>"
    alerts: tuple[Alert, ...]
    verdict: Verdict
    failed_runs: int
    last_error: str | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    """A whole report: the verdict, one section per generator and per corpus, every alert."""

    title: str
    generated_at: str
    store_path: str
    since: str | None
    generator_filter: str | None
    verdict: Verdict
    generators: tuple[GeneratorSection, ...]
    corpora: tuple[CorpusSection, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def alerts(self) -> tuple[Alert, ...]:
        """Every alert of every section, in section order."""
        out: list[Alert] = [alert for g in self.generators for alert in g.alerts]
        out += [alert for c in self.corpora for alert in c.alerts]
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (what ``report.json`` holds)."""
        data = dataclasses.asdict(self)
        data["alerts"] = [dataclasses.asdict(alert) for alert in self.alerts]
        return data
