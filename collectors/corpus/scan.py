"""One corpus snapshot, scanned with DuckDB SQL straight from its files: mix, leakage, policy.

Interface for the daemon (the store, scheduler and exporter are wired on top of it)::

    files = snapshot_files(Path("data/corpus/2026-11-01"))          # a folder or one file
    figures = scan_snapshot(
        cursor,                          # the caller's DuckDB connection/cursor
        files,
        "synthetic_registry",            # relation: fingerprint UBIGINT, generator, version,
                                         #           known_human BOOLEAN
        CorpusSettings(content_columns=("text",), provenance_column="provenance",
                       generator_column="generator", max_synthetic_fraction=0.3),
        previous_fingerprints=state / "prev.parquet",   # written by the previous scan, or None
        fingerprints_out=state / "this.parquet",        # this snapshot's fingerprint multiset
        baseline=first_snapshot_files,   # tail frequency against the first snapshot, or None
        near_duplicates=detector,        # TextNearDuplicates / VectorNearDuplicates, or None
    )
    metrics = corpus_metrics(figures)    # list[MetricValue] for RunResult(subject_kind="corpus")

Every row is fingerprinted once (:mod:`collectors.provenance.definition`) into a temporary table of
(fingerprint, label code, generator, version); all figures are aggregates of that table, so the
snapshot's files are read once (twice more only for the tail and near-duplicate samples). With
``memory_limit`` set, DuckDB spills instead of failing (the setting is database-wide).

Modules: :mod:`collectors.corpus.settings` (settings, figures), :mod:`collectors.corpus.sql`
(readers, schemas, named errors), :mod:`collectors.corpus.figures` (aggregates, metrics),
:mod:`collectors.corpus.queries` (the figures' SQL, shared by every path),
:mod:`collectors.corpus.samples` (tails, near-duplicates), :mod:`collectors.corpus.ray_scan` (the
same full scan's counts on a Ray cluster: ``engine=RayEngine(...)``); this one is the interface.

Definitions (every ratio is NaN when its denominator is 0):

- labels: raw provenance values map to ``human`` / ``synthetic`` / ``unknown`` through
  ``settings.provenance_labels``; values not in the mapping, and NULL, count as ``unknown``
  and are reported in ``unrecognised_labels`` (the 10 most frequent) and
  ``unrecognised_label_rows``.
- ``synthetic_fraction`` = rows labelled synthetic / rows.
- exact leakage (``unlabeled_synthetic_rows``): rows not labelled synthetic whose fingerprint is in
  the registry with no ``known_human`` entry (a fingerprint any registry row marks known-human is
  never a leak: the generator reproduced human data). ``unlabeled_synthetic_ratio`` divides by
  the rows not labelled synthetic. By generator of origin: a row registered by several generators
  counts under each.
- ``known_synthetic_fraction`` = (labelled synthetic + unlabeled synthetic rows) / rows;
  ``budget_exceeded`` = 1 when it is above ``max_synthetic_fraction`` (0 without a budget).
- ``human_only_violation_rows`` (``human_only`` corpora, else 0): labelled synthetic plus
  unlabeled synthetic rows.
- ``rows_added`` / ``rows_removed``: multiset difference of fingerprints against the previous
  snapshot's (``previous_fingerprints``); without one every row is added.
- tails: :mod:`collectors.metrics.tails` on seeded samples of this snapshot and the first one
(Shumailov
  et al. 2024, Nature). Near-duplicates: :mod:`collectors.corpus.near_duplicates` on a seeded
  sample of
  the rows not labelled synthetic.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import duckdb

from collectors.corpus.detectors import NearDuplicateDetector
from collectors.corpus.figures import (
    aggregate,
    combine,
    corpus_metrics,
    fingerprint_multiset,
    write_fingerprints,
)
from collectors.corpus.samples import near_duplicates_sample, tails
from collectors.corpus.sampling import plan_sample, sampled_scan
from collectors.corpus.settings import GAUGE_FIELDS, LABELS, CorpusFigures, CorpusSettings
from collectors.corpus.sql import (
    check_registry,
    failure,
    label_sql,
    literal,
    null_content_error,
    quote,
    reader,
    require,
    scalar,
    schemas,
    snapshot_files,
)
from collectors.provenance import fingerprint_select, register_functions
from collectors.sources import AnyPath, SourceError, as_path, attach

__all__ = [
    "GAUGE_FIELDS",
    "LABELS",
    "CorpusFigures",
    "CorpusSettings",
    "FullScanEngine",
    "corpus_metrics",
    "scan_snapshot",
    "snapshot_files",
]


class FullScanEngine(Protocol):
    """Counts a full scan's aggregates somewhere else than in ``connection`` (the Ray engine,
    :class:`collectors.corpus.ray_scan.RayEngine`): the same figures as
    :func:`collectors.corpus.figures.aggregate`, and the same multiset file."""

    def aggregate(
        self,
        connection: duckdb.DuckDBPyConnection,
        paths: Sequence[AnyPath],
        schema: dict[str, str],
        keep: Sequence[str],
        registry: str,
        settings: CorpusSettings,
        *,
        previous_fingerprints: Path | str | None,
        fingerprints_out: Path | str | None,
        label: str,
    ) -> dict[str, object]: ...


def scan_snapshot(
    connection: duckdb.DuckDBPyConnection,
    files: Sequence[AnyPath | str],
    registry: str,
    settings: CorpusSettings,
    *,
    previous_fingerprints: Path | str | None = None,
    fingerprints_out: Path | str | None = None,
    baseline: Sequence[AnyPath | str] | None = None,
    near_duplicates: NearDuplicateDetector | None = None,
    source: str | None = None,
    engine: FullScanEngine | None = None,
) -> CorpusFigures:
    """Scan one snapshot's files (see the module docstring for every definition).

    ``registry`` names a relation with columns ``fingerprint`` (UBIGINT), ``generator``,
    ``version`` and ``known_human`` (BOOLEAN). ``fingerprints_out`` receives this snapshot's
    fingerprint multiset as Parquet (``fingerprint``, ``rows``), written atomically: pass it as
    ``previous_fingerprints`` to the next scan. Raises :class:`SourceError` naming the file and
    column for a missing column, null content (with the row count), an unreadable file or a
    file that vanished; ``ValueError`` for a bad registry relation. With ``engine``, a full scan's
    counts are made by that engine (Ray); sampled estimates, tails and near-duplicates stay here.
    """
    paths = [as_path(p) for p in files]
    label = source or (f"snapshot {paths[0].parent}" if paths else "snapshot")
    if not paths:
        raise SourceError(f"{label}: no data files")
    check_registry(connection, registry)
    attach(connection, [*paths, *(baseline or ())])  # s3:// and other remote file systems
    if settings.memory_limit:
        connection.execute(f"SET memory_limit = {literal(settings.memory_limit)}")
    schema, per_file = schemas(connection, paths, label)
    extra = [settings.generator_column, settings.version_column]
    require(
        per_file,
        [settings.provenance_column, *settings.content_columns, *[c for c in extra if c]],
        label,
    )
    register_functions(connection)
    plan = plan_sample(
        paths,
        [settings.provenance_column, *settings.content_columns, *[c for c in extra if c]],
        above_rows=settings.sampling.above_rows,
        share=settings.sampling.row_group_share,
        minimum=settings.sampling.min_row_groups,
        seed=settings.seed,
    )
    if plan is not None:  # estimated from sampled row groups, with intervals
        return sampled_scan(
            connection,
            plan,
            registry,
            schema,
            settings,
            near_duplicates=near_duplicates,
            label=label,
        )
    code, unrecognised = label_sql(settings)
    keep = [code, unrecognised]
    for column, alias in zip(extra, ("_tw_generator", "_tw_version"), strict=True):
        value = f"CAST({quote(column)} AS VARCHAR)" if column else "CAST(NULL AS VARCHAR)"
        keep.append(f"{value} AS {alias}")
    relation = reader(paths, label)
    if engine is not None:
        figures = engine.aggregate(
            connection,
            paths,
            schema,
            keep,
            registry,
            settings,
            previous_fingerprints=previous_fingerprints,
            fingerprints_out=fingerprints_out,
            label=label,
        )
    else:
        figures = _aggregate(
            connection,
            paths,
            relation,
            schema,
            keep,
            registry,
            settings,
            label,
            previous_fingerprints,
            fingerprints_out,
        )
    tail_figures = tails(connection, paths, baseline, schema, settings, label)
    near = None
    if near_duplicates is not None:
        near = near_duplicates_sample(
            connection, relation, schema, settings, near_duplicates, label
        )
    return combine(figures, tail_figures, near)


def _aggregate(
    connection: duckdb.DuckDBPyConnection,
    paths: Sequence[AnyPath],
    relation: str,
    schema: dict[str, str],
    keep: Sequence[str],
    registry: str,
    settings: CorpusSettings,
    label: str,
    previous_fingerprints: Path | str | None,
    fingerprints_out: Path | str | None,
) -> dict[str, object]:
    """The DuckDB path's full scan: every row fingerprinted into a temporary table, aggregated."""
    table = f"_tw_scan_{uuid.uuid4().hex}"
    query = fingerprint_select(schema, settings.content_columns, relation, keep=keep, source=label)
    try:
        try:
            connection.execute(f"CREATE TEMP TABLE {table} AS {query}")
        except duckdb.Error as error:
            raise failure(error, paths, label) from error
        nulls = scalar(connection, f"SELECT count(*) FROM {table} WHERE fingerprint IS NULL")
        if nulls:
            raise null_content_error(connection, paths, schema, settings, label, nulls)
        figures = aggregate(connection, table, registry, settings, previous_fingerprints)
        if fingerprints_out is not None:
            write_fingerprints(connection, fingerprint_multiset(table), Path(fingerprints_out))
    finally:
        connection.execute(f"DROP TABLE IF EXISTS {table}")
    return figures
