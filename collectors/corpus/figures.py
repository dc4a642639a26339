"""The figures of a corpus scan: aggregates of the fingerprint table, and their metrics.

Every figure is an aggregate of one temporary table of (fingerprint, label code, raw label,
generator, version) per row; the definitions are in :mod:`collectors.corpus.scan`, their SQL in
:mod:`collectors.corpus.queries` (shared with the sampled scan and the Ray merge).
"""

from __future__ import annotations

import json
import math
import os
import uuid
from pathlib import Path
from typing import Any

import duckdb

from collectors.corpus.near_duplicates import NearDuplicateResult
from collectors.corpus.queries import Counted, Counts, count
from collectors.corpus.settings import GAUGE_FIELDS, LABELS, CorpusFigures, CorpusSettings
from collectors.corpus.sql import first_line, literal
from collectors.result import MetricValue
from collectors.sources import SourceError

__all__ = [
    "aggregate",
    "combine",
    "corpus_metrics",
    "full_figures",
    "snapshot_figures",
    "write_fingerprints",
]


DEFAULT_CALIBRATION = "near_duplicate_default_calibration"  # 1: default threshold


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is 0."""
    return numerator / denominator if denominator else math.nan


def aggregate(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    registry: str,
    settings: CorpusSettings,
    previous: Path | str | None,
) -> dict[str, object]:
    """The snapshot-wide figures, all aggregates of the fingerprint ``table``."""
    counts = count(connection, Counted(table), registry, settings)
    return full_figures(connection, counts, settings, previous, fingerprint_multiset(table))


def full_figures(
    connection: duckdb.DuckDBPyConnection,
    counts: Counts,
    settings: CorpusSettings,
    previous: Path | str | None,
    multiset: str,
) -> dict[str, object]:
    """A full scan's figures from its counts (DuckDB or Ray), with rows added and removed: the
    difference of its fingerprint ``multiset`` (SQL) against the ``previous`` snapshot's file."""
    if previous is None:
        added, removed = counts.rows, 0
    else:
        added, removed = difference(connection, multiset, Path(previous))
    return snapshot_figures(settings, counts, added=added, removed=removed)


def snapshot_figures(
    settings: CorpusSettings, counts: Counts, *, added: int, removed: int
) -> dict[str, object]:
    """The snapshot-wide figures from its counts, however they were counted (DuckDB, Ray or a
    sample scaled up): rows by label, unlabelled leaks, rows added and removed, the lists behind
    the gauges."""
    rows, labels, leaked = counts.rows, counts.labels, counts.leaked
    not_synthetic = rows - labels["synthetic"]
    known_synthetic = ratio(labels["synthetic"] + leaked, rows)
    budget = settings.max_synthetic_fraction
    return {
        "rows": rows,
        "human_rows": labels["human"],
        "synthetic_rows": labels["synthetic"],
        "unknown_rows": labels["unknown"],
        "unrecognised_label_rows": counts.unrecognised_rows,
        "synthetic_fraction": ratio(labels["synthetic"], rows),
        "known_synthetic_fraction": known_synthetic,
        "unlabeled_synthetic_rows": leaked,
        "unlabeled_synthetic_ratio": ratio(leaked, not_synthetic),
        "budget_exceeded": int(budget is not None and known_synthetic > budget),
        "human_only_violation_rows": labels["synthetic"] + leaked if settings.human_only else 0,
        "rows_added": added,
        "rows_removed": removed,
        "rows_by_generator": tuple((str(g), v, int(n)) for g, v, n in counts.generators),
        "unlabeled_synthetic_by_generator": tuple(
            (str(g), int(n)) for g, n in counts.leaked_by_generator
        ),
        "unrecognised_labels": tuple((str(v), int(n)) for v, n in counts.unrecognised),
    }


def fingerprint_multiset(table: str) -> str:
    """SQL of the multiset of a table of row fingerprints: ``fingerprint``, ``rows``."""
    return f"SELECT fingerprint, count(*) AS rows FROM {table} GROUP BY 1"


def difference(
    connection: duckdb.DuckDBPyConnection, multiset: str, previous: Path
) -> tuple[int, int]:
    """Rows added and removed: the difference of the ``multiset`` (SQL of ``fingerprint``,
    ``rows``) against the previous snapshot's multiset file."""
    if not previous.is_file():
        raise SourceError(f"previous fingerprints {previous} do not exist")
    try:
        row = connection.execute(
            f"SELECT sum(greatest(coalesce(c.rows, 0) - coalesce(p.rows, 0), 0)), "
            f"sum(greatest(coalesce(p.rows, 0) - coalesce(c.rows, 0), 0)) "
            f"FROM ({multiset}) c "
            f"FULL OUTER JOIN read_parquet({literal(str(previous))}) p USING (fingerprint)"
        ).fetchall()[0]
    except duckdb.Error as error:
        raise SourceError(
            f"previous fingerprints {previous}: cannot read ({first_line(error)})"
        ) from error
    return int(row[0] or 0), int(row[1] or 0)


def write_fingerprints(connection: duckdb.DuckDBPyConnection, multiset: str, out: Path) -> None:
    """The snapshot's fingerprint ``multiset`` (SQL of ``fingerprint``, ``rows``) as Parquet,
    sorted by fingerprint, written atomically."""
    partial = out.with_name(f".{out.name}.{uuid.uuid4().hex}.partial")
    connection.execute(
        f"COPY (SELECT * FROM ({multiset}) WHERE fingerprint IS NOT NULL ORDER BY 1) "
        f"TO {literal(str(partial))} (FORMAT parquet)"
    )
    os.replace(partial, out)


def combine(
    figures: dict[str, object], tails: dict[str, float], near: NearDuplicateResult | None
) -> CorpusFigures:
    """The :class:`CorpusFigures` from the aggregates, tail and near-duplicate figures."""
    # field name -> value, of each field's own type (SQL aggregates by column name): the
    # dataclass checks the names when it is built
    values: dict[str, Any] = dict(figures)
    for name in ("synthetic_fraction", "known_synthetic_fraction", "unlabeled_synthetic_ratio"):
        values.setdefault(f"{name}_lower", values[name])  # a full scan's value is exact
        values.setdefault(f"{name}_upper", values[name])
    for name in ("tail_frequency_ratio", "rare_category_mass_ratio", "missing_categories"):
        values[name] = float(tails.get(name, math.nan))
    if near is not None:
        values |= {
            "near_duplicate_sample_rows": near.sample_rows,
            "near_duplicate_synthetic_rows": near.count,
            "near_duplicate_synthetic_ratio": near.ratio,
            "near_duplicate_synthetic_ratio_lower": near.ratio_lower,
            "near_duplicate_synthetic_ratio_upper": near.ratio_upper,
            "near_duplicate_expected_false_positives": near.expected_false_positives,
            "near_duplicates": near,
        }
    return CorpusFigures(**values)


def corpus_metrics(
    figures: CorpusFigures, settings: CorpusSettings | None = None
) -> list[MetricValue]:
    """The figures as MetricValues for ``RunResult(subject_kind="corpus")``; NaN ones left out.

    With the scan's ``settings``, the policy it was judged by too (``human_only``, and
    ``synthetic_budget_ratio`` when a budget is set); with near-duplicates measured,
    ``near_duplicate_default_calibration`` (1: the documented default threshold, 0: calibrated
    on known-human data).

    Scopes: ``snapshot`` (whole-snapshot figures, one per :data:`GAUGE_FIELDS` name),
    ``provenance:<human|synthetic|unknown>`` (metric ``rows``: the mix, a bounded label set),
    ``generator:<name>`` or ``generator:<name>@<version>`` (metric ``rows``, and
    ``unlabeled_synthetic_rows`` by generator of origin).
    """
    skipped = {"rows_added", "rows_removed"} if figures.sampled else set()
    out = [
        MetricValue(name, "snapshot", float(getattr(figures, name)))
        for name in GAUGE_FIELDS
        if not math.isnan(float(getattr(figures, name))) and name not in skipped
    ]
    for name in LABELS:
        out.append(
            MetricValue("rows", f"provenance:{name}", float(getattr(figures, f"{name}_rows")))
        )
    for generator, version, n in figures.rows_by_generator:
        scope = f"generator:{generator}" + (f"@{version}" if version is not None else "")
        out.append(MetricValue("rows", scope, float(n)))
    for generator, n in figures.unlabeled_synthetic_by_generator:
        out.append(MetricValue("unlabeled_synthetic_rows", f"generator:{generator}", float(n)))
    if figures.near_duplicates is not None:
        default = float(figures.near_duplicates.default_calibration)
        out.append(MetricValue(DEFAULT_CALIBRATION, "snapshot", default))
    if settings is not None:
        out.append(MetricValue("human_only", "snapshot", float(settings.human_only)))
        if settings.max_synthetic_fraction is not None:
            budget = float(settings.max_synthetic_fraction)
            out.append(MetricValue("synthetic_budget_ratio", "snapshot", budget))
    return out


def corpus_details(figures: CorpusFigures) -> dict[str, str]:
    """JSON details of a scan: the lists behind the gauges, for reports and audits."""
    details = {
        "rows_by_generator": [list(item) for item in figures.rows_by_generator],
        "unlabeled_synthetic_by_generator": [
            list(item) for item in figures.unlabeled_synthetic_by_generator
        ],
        "unrecognised_labels": [list(item) for item in figures.unrecognised_labels],
    }
    if figures.near_duplicates is not None:
        details["near_duplicate_calibration"] = figures.near_duplicates.calibration
    return {name: json.dumps(value) for name, value in details.items()}
