"""Sampled estimates of a corpus snapshot's figures from a random subset of its Parquet row groups.

Design: one-stage cluster sampling. The clusters are the snapshot's row groups (read from the
Parquet footers, so the population of clusters and its exact row count are known without reading
data); ``m`` of the ``M`` row groups are drawn uniformly without replacement (seeded), and only
their column chunks are read (``pyarrow.parquet.ParquetFile.read_row_groups``, local or any
:mod:`collectors.sources.storage` file system). Rows inside a row group are correlated (a corpus is
written in batches: one source, one generator, one crawl at a time), so the rows of the sample
are not independent and a binomial interval would be far too narrow.

Every ratio figure is a ratio of two cluster totals, ``R = sum(y_i) / sum(x_i)`` over the sampled
groups (rows labelled synthetic over rows; unlabelled synthetic rows over rows not labelled
synthetic; ...), estimated with the ratio estimator and its linearisation (Taylor) variance for
one-stage cluster samples of unequal sizes (Cochran 1977, *Sampling Techniques*, 3rd ed., §6.4
and §11.8; Lohr 2022, *Sampling: Design and Analysis*, 3rd ed., §5.3, "ratio estimation" with
unequal cluster sizes)::

    var(R) = (1 - m/M) / (m * xbar**2) * sum((y_i - R x_i)**2) / (m - 1),  xbar = mean(x_i)

with a Student t interval on ``m - 1`` degrees of freedom (clipped to [0, 1]). The residuals
``y_i - R x_i`` are cluster totals, so any correlation inside a row group is accounted for
(this is the "ultimate cluster" variance; Kalton 1979, *J. R. Stat. Soc. A* 142:... and Wolter
2007, *Introduction to Variance Estimation*, §1.4 / §2.4). Near-duplicates are measured on a
seeded subsample of the sampled rows not labelled synthetic; their share is the same ratio over
the row groups the subsample came from (a two-stage sample, same ultimate-cluster variance).

What a sampled scan does not give: rows added/removed (they need every fingerprint; left out, and
the next snapshot's comparison is left out too), tail figures (left out). ``rows`` is exact (the
footers); label counts and unlabelled synthetic rows are the ratio estimates times the exact rows.
Bytes read: footers plus the compressed column chunks of the chosen row groups.
"""

from __future__ import annotations

import functools
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats

from collectors.corpus.detectors import NearDuplicateDetector
from collectors.corpus.figures import combine, snapshot_figures
from collectors.corpus.near_duplicates import (
    NearDuplicateResult,
    TextNearDuplicates,
)
from collectors.corpus.queries import NOT_SYNTHETIC, Counted, Counts, count, leak_fingerprints
from collectors.corpus.samples import content_texts, content_vectors
from collectors.corpus.settings import CODES, LABELS, CorpusFigures, CorpusSettings
from collectors.corpus.sql import label_sql, literal, quote, scalar
from collectors.provenance import fingerprint_select, register_functions
from collectors.sources import AnyPath, ObjectPath, SourceError, arrow_filesystem
from collectors.sources.formats import format_of
from collectors.sources.storage_errors import retrying

__all__ = [
    "Cluster",
    "RatioEstimate",
    "SamplePlan",
    "choose_clusters",
    "cluster_ratio",
    "plan_sample",
    "read_clusters",
    "sampled_scan",
]


@dataclass(frozen=True)
class RatioEstimate:
    """A ratio of cluster totals with its linearised standard error and confidence interval."""

    value: float
    lower: float
    upper: float
    standard_error: float
    clusters: int


def cluster_ratio(
    numerators: Sequence[float] | np.ndarray,
    denominators: Sequence[float] | np.ndarray,
    *,
    population_clusters: int | None = None,
    confidence: float = 0.95,
) -> RatioEstimate:
    """Ratio estimator ``sum(y) / sum(x)`` over sampled clusters and its interval.

    Linearisation variance for a one-stage cluster sample drawn without replacement (Cochran
    1977 §6.4, §11.8; Lohr 2022 §5.3; see the module docstring), with the finite-population
    correction ``1 - m/M`` when ``population_clusters`` (``M``) is given, and a t interval on
    ``m - 1`` degrees of freedom, clipped to [0, 1]. NaN when ``sum(x) == 0``; a zero-width
    interval when every cluster was sampled.
    """
    y = np.asarray(numerators, dtype=float)
    x = np.asarray(denominators, dtype=float)
    m = int(y.size)
    if m == 0 or x.sum() <= 0:
        return RatioEstimate(math.nan, math.nan, math.nan, math.nan, m)
    ratio = float(y.sum() / x.sum())
    fpc = 1.0 if population_clusters is None else max(0.0, 1.0 - m / population_clusters)
    if m < 2 or fpc == 0.0:
        return RatioEstimate(ratio, ratio, ratio, 0.0, m)
    residual = y - ratio * x
    variance = fpc / (m * x.mean() ** 2) * float(residual @ residual) / (m - 1)
    se = math.sqrt(variance)
    t = float(stats.t.ppf(0.5 + confidence / 2, df=m - 1))
    return RatioEstimate(ratio, max(0.0, ratio - t * se), min(1.0, ratio + t * se), se, m)


@dataclass(frozen=True)
class Cluster:
    """One row group: file index, row group index, rows, compressed bytes of the read columns."""

    file: int
    row_group: int
    rows: int
    bytes: int


@dataclass(frozen=True)
class SamplePlan:
    """The row groups of a snapshot, the chosen ones, and what reading them costs."""

    paths: tuple[AnyPath, ...]
    clusters: tuple[Cluster, ...]
    chosen: tuple[int, ...]  # indices into clusters, sorted
    total_rows: int
    total_bytes: int  # sizes of the files
    footer_bytes: int

    @property
    def bytes_read(self) -> int:
        return self.footer_bytes + sum(self.clusters[i].bytes for i in self.chosen)

    @property
    def sample_rows(self) -> int:
        return sum(self.clusters[i].rows for i in self.chosen)


def _open(path: AnyPath) -> pq.ParquetFile:
    """A Parquet file's footer; from object storage with outages retried and access problems
    named (:func:`collectors.sources.storage_errors.retrying`)."""
    if isinstance(path, ObjectPath):
        fs = arrow_filesystem(path.url)
        return retrying(lambda: pq.ParquetFile(path.key, filesystem=fs), path.url)
    return pq.ParquetFile(str(path))


def choose_clusters(count: int, share: float, minimum: int, seed: int) -> np.ndarray:
    """``max(minimum, ceil(share * count))`` cluster indices (sorted), uniform without
    replacement, seeded; every index when that is ``count`` or more."""
    m = max(int(minimum), math.ceil(share * count))
    if m >= count:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, size=m, replace=False))


def plan_sample(
    paths: Sequence[AnyPath],
    columns: Sequence[str],
    *,
    above_rows: int,
    share: float,
    minimum: int,
    seed: int,
) -> SamplePlan | None:
    """The sample of a snapshot above ``above_rows`` rows, or None (scan it all): not all of a
    format with row groups (Parquet: :mod:`collectors.sources.formats`), at most ``above_rows``
    rows, or the sample would be every row group."""
    if above_rows <= 0 or not paths or not all((f := format_of(p)) and f.row_groups for p in paths):
        return None
    clusters: list[Cluster] = []
    total_bytes = footer_bytes = 0
    wanted = set(columns)
    for index, path in enumerate(paths):
        handle = _open(path)
        meta = handle.metadata
        footer_bytes += meta.serialized_size + 8
        names = [meta.schema.column(i).path.split(".")[0] for i in range(meta.num_columns)]
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            size = sum(
                group.column(i).total_compressed_size
                for i in range(group.num_columns)
                if names[i] in wanted
            )
            clusters.append(Cluster(index, g, group.num_rows, size))
        total_bytes += _size(path, handle)
    total_rows = sum(c.rows for c in clusters)
    if total_rows <= above_rows:
        return None
    chosen = choose_clusters(len(clusters), share, minimum, seed)
    if chosen.size >= len(clusters):
        return None
    return SamplePlan(
        tuple(paths),
        tuple(clusters),
        tuple(int(i) for i in chosen),
        total_rows,
        total_bytes,
        footer_bytes,
    )


def _size(path: AnyPath, handle: pq.ParquetFile) -> int:
    if isinstance(path, ObjectPath):
        info = arrow_filesystem(path.url).get_file_info(path.key)
        return int(info.size or 0)
    import os

    return os.path.getsize(path)


def read_clusters(plan: SamplePlan, columns: Sequence[str]) -> pa.Table:
    """The chosen row groups' ``columns`` plus ``_tw_group`` (the cluster index)."""
    parts: list[pa.Table] = []
    by_file: dict[int, list[int]] = {}
    for i in plan.chosen:
        by_file.setdefault(plan.clusters[i].file, []).append(i)
    for file, indices in by_file.items():
        handle = _open(plan.paths[file])
        present = [c for c in columns if c in handle.schema_arrow.names]
        for i in indices:
            group = plan.clusters[i].row_group
            table = retrying(
                functools.partial(handle.read_row_group, group, columns=present),
                plan.paths[file],
            )
            for c in columns:
                if c not in present:
                    table = table.append_column(c, pa.nulls(table.num_rows))
            table = table.select(list(columns))
            group = pa.array(np.full(table.num_rows, i, dtype=np.int64))
            parts.append(table.append_column("_tw_group", group))
    return pa.concat_tables(parts, promote_options="default")


def group_totals(
    connection: duckdb.DuckDBPyConnection, table: str, registry: str
) -> dict[str, np.ndarray]:
    """Per sampled group: rows, labelled human/synthetic/unknown, unlabelled synthetic rows."""
    by_label = ", ".join(f"count(*) FILTER (t._tw_label = {CODES[name]})" for name in LABELS)
    rows = connection.execute(
        f"SELECT t._tw_group, count(*), {by_label}, "
        f"count(*) FILTER (t.{NOT_SYNTHETIC} AND l.fingerprint IS NOT NULL) "
        f"FROM {table} t LEFT JOIN {leak_fingerprints(registry)} l USING (fingerprint) "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    names = ("group", "rows", *LABELS, "leaked")
    array = np.asarray(rows, dtype=float).reshape(-1, len(names))
    return {name: array[:, i] for i, name in enumerate(names)}


def near_duplicate_estimate(
    result: NearDuplicateResult,
    groups: np.ndarray,
    population_clusters: int,
    confidence: float,
) -> NearDuplicateResult:
    """The detector's result with its share's interval made cluster-robust (by row group)."""
    ids, inverse = np.unique(groups, return_inverse=True)
    flagged = np.bincount(inverse, weights=result.flagged.astype(float), minlength=ids.size)
    rows = np.bincount(inverse, minlength=ids.size).astype(float)
    estimate = cluster_ratio(
        flagged, rows, population_clusters=population_clusters, confidence=confidence
    )
    from dataclasses import replace

    return replace(result, ratio_lower=estimate.lower, ratio_upper=estimate.upper)


def sampled_scan(
    connection: duckdb.DuckDBPyConnection,
    plan: SamplePlan,
    registry: str,
    schema: dict[str, str],
    settings: CorpusSettings,
    *,
    near_duplicates: NearDuplicateDetector | None = None,
    label: str = "snapshot",
) -> CorpusFigures:
    """Every figure of :func:`collectors.corpus.scan.scan_snapshot` estimated from ``plan``'s row
    groups, with cluster-robust intervals (module docstring)."""
    extra = [c for c in (settings.generator_column, settings.version_column) if c]
    columns = list(dict.fromkeys([settings.provenance_column, *settings.content_columns, *extra]))
    raw = f"_tw_rows_{uuid.uuid4().hex}"
    table = f"_tw_sample_{uuid.uuid4().hex}"
    connection.register(raw, read_clusters(plan, columns))
    register_functions(connection)
    code, unrecognised = label_sql(settings)
    keep = [code, unrecognised, "_tw_group"]
    for column, alias in zip(
        (settings.generator_column, settings.version_column),
        ("_tw_generator", "_tw_version"),
        strict=True,
    ):
        value = f"CAST({quote(column)} AS VARCHAR)" if column else "CAST(NULL AS VARCHAR)"
        keep.append(f"{value} AS {alias}")
    query = fingerprint_select(schema, settings.content_columns, raw, keep=keep, source=label)
    try:
        connection.execute(f"CREATE TEMP TABLE {table} AS {query}")
        nulls = scalar(connection, f"SELECT count(*) FROM {table} WHERE fingerprint IS NULL")
        if nulls:
            raise SourceError(
                f"{label}: {nulls} sampled rows have null/NaN content in column(s) "
                f"{list(settings.content_columns)}"
            )
        totals = group_totals(connection, table, registry)
        near = None
        if near_duplicates is not None:
            near = _near(connection, table, raw, schema, settings, near_duplicates, plan)
        figures = _figures(connection, table, registry, totals, plan, settings)
    finally:
        connection.execute(f"DROP TABLE IF EXISTS {table}")
        connection.unregister(raw)
    return combine(figures, {}, near)


def _figures(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    registry: str,
    totals: dict[str, np.ndarray],
    plan: SamplePlan,
    settings: CorpusSettings,
) -> dict[str, object]:
    """The full scan's figures (:func:`collectors.corpus.figures.snapshot_figures`) from the
    sample's counts scaled to the snapshot's rows, its ratios replaced by the cluster-robust
    estimates and their intervals."""
    population = len(plan.clusters)
    level = settings.sampling.confidence

    def estimate(y: np.ndarray, x: np.ndarray) -> RatioEstimate:
        return cluster_ratio(y, x, population_clusters=population, confidence=level)

    rows, synthetic, leaked = totals["rows"], totals["synthetic"], totals["leaked"]
    n = plan.total_rows
    scale = n / rows.sum()
    sample = count(connection, Counted(table), registry, settings)
    scaled = Counts(
        labels={name: round(k * scale) for name, k in sample.labels.items()},
        leaked=round(sample.leaked * scale),
        leaked_by_generator=[(g, round(int(k) * scale)) for g, k in sample.leaked_by_generator],
        unrecognised_rows=round(sample.unrecognised_rows * scale),
        unrecognised=[(v, round(int(k) * scale)) for v, k in sample.unrecognised],
        generators=[(g, v, round(int(k) * scale)) for g, v, k in sample.generators],
    )
    figures = snapshot_figures(settings, scaled, added=0, removed=0)
    figures["rows"] = n  # exact (the footers), not the sum of the rounded scaled counts
    estimates = {
        "synthetic_fraction": estimate(synthetic, rows),
        "known_synthetic_fraction": estimate(synthetic + leaked, rows),
        "unlabeled_synthetic_ratio": estimate(leaked, rows - synthetic),
    }
    for name, value in estimates.items():
        figures |= {name: value.value, f"{name}_lower": value.lower, f"{name}_upper": value.upper}
    budget = settings.max_synthetic_fraction
    known_lower = estimates["known_synthetic_fraction"].lower
    return figures | {
        "budget_exceeded": int(budget is not None and known_lower > budget),
        "sampled": 1,
        "sample_row_groups": len(plan.chosen),
        "sample_rows": plan.sample_rows,
        "bytes_read": plan.bytes_read,
        "bytes_total": plan.total_bytes,
    }


def _near(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    raw: str,
    schema: dict[str, str],
    settings: CorpusSettings,
    detector: NearDuplicateDetector,
    plan: SamplePlan,
) -> NearDuplicateResult:
    """Near-duplicates on a seeded subsample of the sampled rows not labelled synthetic; the
    share's interval is cluster-robust over the row groups (:func:`near_duplicate_estimate`)."""
    columns = list(settings.content_columns)
    listed = ", ".join(quote(c) for c in [*columns, "_tw_group"])
    synthetic = [literal(v) for v, lab in settings.provenance_labels.items() if lab == "synthetic"]
    column = f"CAST({quote(settings.provenance_column)} AS VARCHAR)"
    where = f"{column} IS NULL OR {column} NOT IN ({', '.join(synthetic)})" if synthetic else "TRUE"
    rows = connection.execute(
        f"SELECT {listed} FROM (SELECT {listed} FROM {raw} WHERE {where}) "
        f"USING SAMPLE reservoir({int(settings.near_duplicate_sample)} ROWS) "
        f"REPEATABLE ({int(settings.seed)})"
    ).fetchall()
    sample = {c: [row[i] for row in rows] for i, c in enumerate(columns)}
    groups = np.asarray([row[-1] for row in rows], dtype=np.int64)
    if isinstance(detector, TextNearDuplicates):
        result = detector.measure(content_texts(sample, columns))
    else:
        vectors = {c for c in columns if schema[c].endswith("]")}
        result = detector.measure(content_vectors(sample, columns, vectors))
    return near_duplicate_estimate(result, groups, len(plan.clusters), settings.sampling.confidence)
