"""What a corpus scan is told and what it reports: :class:`CorpusSettings`, :class:`CorpusFigures`.

Re-exported by :mod:`collectors.corpus.scan` (the interface); see its docstring for the definitions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from collectors.corpus.near_duplicates import NearDuplicateResult
from collectors.metrics.catalog import CORPUS_METRICS

__all__ = ["CODES", "GAUGE_FIELDS", "LABELS", "CorpusFigures", "CorpusSettings", "Label"]

Label = Literal["human", "synthetic", "unknown"]
LABELS: tuple[Label, ...] = ("human", "synthetic", "unknown")
CODES: dict[str, int] = {"human": 0, "synthetic": 1, "unknown": 2}  # the label codes in SQL


@dataclass(frozen=True)
class SamplingSettings:
    """When and how much to sample (:mod:`collectors.corpus.sampling`): Parquet snapshots of more
    than ``above_rows`` rows (0: never) are estimated from a random ``row_group_share`` of their
    row groups (at least ``min_row_groups``), with ``confidence`` intervals."""

    above_rows: int = 0
    row_group_share: float = 0.02
    min_row_groups: int = 200
    confidence: float = 0.95


@dataclass(frozen=True)
class CorpusSettings:
    """How to read one corpus: the scan's part of the ``[[corpora]]`` entry of the configuration.

    Field names are the configuration's (``monitor.settings.CorpusSettings``), which the watch
    copies by name (:func:`monitor.watch.corpus.scan_settings`); a test holds the two in step.
    """

    content_columns: tuple[str, ...]
    provenance_column: str
    provenance_labels: Mapping[str, Label] = field(
        default_factory=lambda: {"human": "human", "synthetic": "synthetic", "unknown": "unknown"}
    )
    generator_column: str | None = None
    version_column: str | None = None
    max_synthetic_fraction: float | None = None
    human_only: bool = False
    tail_columns: tuple[str, ...] | None = None  # None: every other numeric/low-cardinality column
    tail_sample: int = 20_000
    max_categories: int = 1_000
    near_duplicate_sample: int = 2_000
    seed: int = 0
    memory_limit: str | None = None  # e.g. "2GB"; database-wide (SET memory_limit)
    max_generators: int = 20
    sampling: SamplingSettings = field(default_factory=SamplingSettings)

    def __post_init__(self) -> None:
        # the configuration hands lists; frozen settings hold tuples (hashable, never mutated)
        object.__setattr__(self, "content_columns", tuple(self.content_columns))
        if self.tail_columns is not None:
            object.__setattr__(self, "tail_columns", tuple(self.tail_columns))
        object.__setattr__(self, "provenance_labels", dict(self.provenance_labels))
        if not self.content_columns:
            raise ValueError("content_columns: at least one column is needed")
        bad = {k: v for k, v in self.provenance_labels.items() if v not in LABELS}
        if bad:
            raise ValueError(f"provenance_labels: values must be one of {LABELS}, got {bad}")
        budget = self.max_synthetic_fraction
        if budget is not None and not 0 <= budget <= 1:
            raise ValueError(f"max_synthetic_fraction must lie in [0, 1], got {budget!r}")


@dataclass(frozen=True)
class CorpusFigures:
    """The figures of one snapshot; :data:`GAUGE_FIELDS` become ``tailwatch_corpus_<name>``."""

    rows: int
    human_rows: int
    synthetic_rows: int
    unknown_rows: int
    unrecognised_label_rows: int
    synthetic_fraction: float
    known_synthetic_fraction: float
    unlabeled_synthetic_rows: int
    unlabeled_synthetic_ratio: float
    budget_exceeded: int
    human_only_violation_rows: int
    rows_added: int
    rows_removed: int
    near_duplicate_sample_rows: int = 0
    near_duplicate_synthetic_rows: int = 0
    near_duplicate_synthetic_ratio: float = math.nan
    near_duplicate_synthetic_ratio_lower: float = math.nan
    near_duplicate_synthetic_ratio_upper: float = math.nan
    near_duplicate_expected_false_positives: float = math.nan
    tail_frequency_ratio: float = math.nan
    rare_category_mass_ratio: float = math.nan
    missing_categories: float = math.nan
    # bounds of the ratios (equal to the ratio in a full scan; a confidence interval when sampled)
    synthetic_fraction_lower: float = math.nan
    synthetic_fraction_upper: float = math.nan
    known_synthetic_fraction_lower: float = math.nan
    known_synthetic_fraction_upper: float = math.nan
    unlabeled_synthetic_ratio_lower: float = math.nan
    unlabeled_synthetic_ratio_upper: float = math.nan
    sampled: int = 0  # 1: estimated from sampled row groups (collectors.corpus.sampling)
    sample_row_groups: int = 0
    sample_rows: int = 0
    bytes_read: float = math.nan
    bytes_total: float = math.nan
    rows_by_generator: tuple[tuple[str, str | None, int], ...] = ()
    unlabeled_synthetic_by_generator: tuple[tuple[str, int], ...] = ()
    unrecognised_labels: tuple[tuple[str, int], ...] = ()
    near_duplicates: NearDuplicateResult | None = None


# The stored whole-snapshot figures, each one ``tailwatch_corpus_<name>`` gauge: the catalog's list.
GAUGE_FIELDS: tuple[str, ...] = tuple(spec.name for spec in CORPUS_METRICS)
