"""Full exact corpus scans on a Ray cluster: the DuckDB path's counts, computed by Ray Data.

:func:`collectors.corpus.scan.scan_snapshot` with ``engine=RayEngine(...)`` reads the snapshot's
files with Ray Data (the format's reader in :mod:`collectors.sources.formats`; only the
provenance, content, generator and version columns) and runs :func:`scan_batch` in
``map_batches`` over Arrow batches on the workers. Each batch is fingerprinted by the very SQL
and Numba kernels of the DuckDB path (:func:`collectors.provenance.sql.fingerprint_select` over
the batch, in a one-thread DuckDB per worker process), and reduced to partial aggregates
(:data:`PARTIAL_SCHEMA`): rows by label, raw unrecognised labels, rows by generator and version,
missing content, the batch's fingerprint multiset (split by "not labelled synthetic"), and the
leaked rows in all and by generator.

The registry reaches the workers once: its leak fingerprints (no ``known_human`` entry) with
their generators, sorted, are put in Ray's object store (:class:`Broadcast`) and read zero-copy by
every worker process; each batch looks its fingerprints up with a binary search. A registry above
``broadcast_max_bytes`` stays on the driver instead: the leaks are then a join of the merged
multiset with the registry in DuckDB. Either way the figures are the same.

The driver sums the partials in its DuckDB connection with the DuckDB path's SQL (same grouping,
ordering and ties), computes rows added/removed against the previous multiset and writes this
snapshot's multiset (``fingerprint``, ``rows``, sorted) atomically, as the DuckDB path does; the
tail and near-duplicate samples are drawn by the shared code in :mod:`collectors.corpus.scan`.
So the figures, the multiset file and hence the stored run equal the DuckDB path's.

Failures: a worker process that dies mid-scan fails its task, which Ray runs again (up to
``max_retries``); partials are only merged once the whole dataset has been computed, so a retried
task never counts twice. Past the retries the scan raises :class:`RayScanError` before anything is
written: the watch records a failed run, which backs off like any other. An object-storage
failure in the chain of Ray's error (a ``503 SlowDown`` on a worker's read, a wrong key) is raised
as the DuckDB path raises it (:mod:`collectors.sources.storage_errors`): the whole scan is tried
again with backoff on an outage, then :class:`~collectors.sources.storage_errors.StorageUnavailable`
(a storage failure for the watch, never a failed run), and an access problem is named at once.

Requirements: the ``ray`` extra (``pip install 'tailwatch[ray]'``) on the daemon, and the same
Tailwatch and Python (Unicode data) on the cluster's workers (checked per batch); the snapshot's
files must be readable from the workers (a shared path or object storage), of a format with a
Ray Data reader in :data:`collectors.sources.formats.FORMATS` (Parquet, CSV, JSON Lines).
"""

from __future__ import annotations

import threading
import unicodedata
import uuid
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from collectors.corpus.figures import full_figures, write_fingerprints
from collectors.corpus.queries import (
    NOT_SYNTHETIC,
    Counted,
    count,
    leak_fingerprints,
    registry_generators,
)
from collectors.corpus.settings import CorpusSettings
from collectors.corpus.sql import first_line, null_content_error, scalar
from collectors.provenance import FINGERPRINT_VERSION, fingerprint_select, register_functions
from collectors.sources import AnyPath, ObjectPath, SourceError, arrow_filesystem
from collectors.sources.formats import FORMATS, format_of, single_format
from collectors.sources.storage_errors import ObjectStorageError, classify, retrying

__all__ = [
    "PARTIAL_SCHEMA",
    "Broadcast",
    "RayEngine",
    "RayScanError",
    "broadcast_registry",
    "scan_batch",
]

BATCH = "_tw_batch"  # the relation name of one batch in the workers' SQL

# the parts of the partial-aggregate table every batch returns (column ``part``)
FINGERPRINTS, LABEL_ROWS, RAW, GENERATORS, LEAKED, LEAKED_BY_GENERATOR, NULLS = range(7)
PARTIAL_SCHEMA = pa.schema(
    [
        ("part", pa.uint8()),
        ("fingerprint", pa.uint64()),  # FINGERPRINTS
        ("flag", pa.bool_()),  # FINGERPRINTS: not labelled synthetic
        ("key", pa.string()),  # label code, raw label, generator
        ("version", pa.string()),  # GENERATORS
        ("rows", pa.int64()),
    ]
)


class RayScanError(RuntimeError):
    """A Ray scan that could not finish (a task failed past its retries, the cluster is gone)."""


@dataclass(frozen=True)
class Broadcast:
    """The registry's leaks as the workers see them: (fingerprint, generator) pairs, sorted."""

    fingerprints: np.ndarray  # uint64, sorted; one entry per distinct (fingerprint, generator)
    generators: np.ndarray  # int32 codes into ``names``
    names: tuple[str | None, ...]

    @property
    def nbytes(self) -> int:
        return int(self.fingerprints.nbytes + self.generators.nbytes)


@dataclass(frozen=True)
class BatchPlan:
    """What every batch is told: the SQL of its fingerprints and labels, and the registry."""

    query: str  # fingerprint_select over the relation BATCH
    fingerprint_version: int
    unicode_version: str
    registry: Any  # the ray.ObjectRef of a Broadcast; None: leaks are joined on the driver


# --------------------------------------------------------------------------- the workers

_CONNECTION: duckdb.DuckDBPyConnection | None = None
_REGISTRY: dict[str, Broadcast] = {}
_STARTING = threading.Lock()  # corpus scans run in the scheduler's threads: one ray.init


def _connection() -> duckdb.DuckDBPyConnection:
    """One DuckDB connection per worker process, on one thread (a Ray task holds one CPU)."""
    global _CONNECTION
    if _CONNECTION is None:
        _CONNECTION = duckdb.connect(config={"threads": 1})
        register_functions(_CONNECTION)
    return _CONNECTION


def _registry(ref: Any) -> Broadcast:
    """The broadcast registry, fetched from the object store once per worker process and scan."""
    key = ref.hex()
    if key not in _REGISTRY:
        import ray

        _REGISTRY.clear()
        _REGISTRY[key] = ray.get(ref)
    return _REGISTRY[key]


def _part(part: int, keys: Sequence[str | None], rows: np.ndarray) -> pa.Table:
    """A part of :data:`PARTIAL_SCHEMA` with only ``key`` and ``rows`` set."""
    n = len(keys)
    return pa.table(
        {
            "part": pa.array(np.full(n, part, np.uint8)),
            "fingerprint": pa.nulls(n, pa.uint64()),
            "flag": pa.nulls(n, pa.bool_()),
            "key": pa.array(list(keys), pa.string()),
            "version": pa.nulls(n, pa.string()),
            "rows": pa.array(np.asarray(rows, np.int64)),
        },
        schema=PARTIAL_SCHEMA,
    )


def leak_counts(multiset: pa.Table, registry: Broadcast) -> list[pa.Table]:
    """Rows not labelled synthetic whose fingerprint is a leak: in all, and by generator.

    ``multiset`` is the batch's (fingerprint, flag, rows) part; its flagged fingerprints are
    sorted first so that the binary searches walk the registry in order (6x faster).
    """
    flagged = multiset.filter(multiset.column("flag"))
    keys = flagged.column("fingerprint").to_numpy()
    counts = flagged.column("rows").to_numpy()
    order = np.argsort(keys)
    keys, counts = keys[order], counts[order]
    table = registry.fingerprints
    low = np.searchsorted(table, keys, "left")
    hit = np.zeros(keys.size, np.bool_)
    inside = low < table.size
    hit[inside] = table[low[inside]] == keys[inside]
    out = [_part(LEAKED, [None], np.array([counts[hit].sum()]))]
    if hit.any():
        low, keys, counts = low[hit], keys[hit], counts[hit]
        span = np.searchsorted(table, keys, "right") - low  # generators of each fingerprint
        entries = np.repeat(low, span) + (
            np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
        )
        tally = np.bincount(
            registry.generators[entries],
            weights=np.repeat(counts, span),
            minlength=len(registry.names),
        ).astype(np.int64)
        used = np.flatnonzero(tally)
        out.append(_part(LEAKED_BY_GENERATOR, [registry.names[i] for i in used], tally[used]))
    return out


def scan_batch(batch: pa.Table, plan: BatchPlan) -> pa.Table:
    """One Arrow batch, fingerprinted by the DuckDB path's SQL and kernels: its partials."""
    if plan.fingerprint_version != FINGERPRINT_VERSION:
        raise RayScanError(
            f"Ray worker: fingerprint definition {FINGERPRINT_VERSION}, the daemon's "
            f"{plan.fingerprint_version}: install the same tailwatch on the cluster"
        )
    if plan.unicode_version != unicodedata.unidata_version:
        raise RayScanError(
            f"Ray worker: Unicode {unicodedata.unidata_version}, the daemon's "
            f"{plan.unicode_version}: text normalisation would differ; use the same Python"
        )
    connection = _connection()
    name = f"{BATCH}_{uuid.uuid4().hex}"
    connection.register(name, batch)
    try:
        rows = connection.sql(plan.query.replace(BATCH, name)).to_arrow_table()
    finally:
        connection.unregister(name)
    connection.register(name, rows)
    try:
        grouped = connection.sql(
            f"SELECT {FINGERPRINTS}::UTINYINT AS part, fingerprint, {NOT_SYNTHETIC} AS flag, "
            f"NULL::VARCHAR AS key, NULL::VARCHAR AS version, count(*)::BIGINT AS rows "
            f"FROM {name} WHERE fingerprint IS NOT NULL GROUP BY 2, 3 "
            f"UNION ALL SELECT {LABEL_ROWS}, NULL, NULL, CAST(_tw_label AS VARCHAR), NULL, "
            f"count(*) FROM {name} GROUP BY 4 "
            f"UNION ALL SELECT {RAW}, NULL, NULL, _tw_raw, NULL, count(*) FROM {name} "
            f"WHERE _tw_raw IS NOT NULL GROUP BY 4 "
            f"UNION ALL SELECT {GENERATORS}, NULL, NULL, _tw_generator, _tw_version, count(*) "
            f"FROM {name} WHERE _tw_generator IS NOT NULL GROUP BY 4, 5 "
            f"UNION ALL SELECT {NULLS}, NULL, NULL, NULL, NULL, count(*) FROM {name} "
            f"WHERE fingerprint IS NULL"
        ).to_arrow_table()
    finally:
        connection.unregister(name)
    grouped = grouped.cast(PARTIAL_SCHEMA)
    if plan.registry is None:
        return grouped
    multiset = grouped.filter(pc.equal(grouped.column("part"), FINGERPRINTS))
    return pa.concat_tables([grouped, *leak_counts(multiset, _registry(plan.registry))])


# --------------------------------------------------------------------------- the driver


def broadcast_registry(connection: duckdb.DuckDBPyConnection, registry: str) -> Broadcast:
    """The registry's leak fingerprints with each of their generators, sorted, for the workers."""
    table = connection.sql(
        f"SELECT r.fingerprint, r.generator FROM {registry_generators(registry)} r SEMI JOIN "
        f" {leak_fingerprints(registry)} l USING (fingerprint) ORDER BY 1, 2"
    ).to_arrow_table()
    encoded = table.column("generator").combine_chunks().dictionary_encode()
    names = (*encoded.dictionary.to_pylist(), None)  # the last code: a NULL generator
    codes = np.asarray(encoded.indices.fill_null(len(names) - 1), np.int32)
    return Broadcast(np.asarray(table.column("fingerprint"), np.uint64), codes, names)


@dataclass(frozen=True)
class RayEngine:
    """Where and how a full scan runs on Ray (``[corpora.engine] kind = "ray"``).

    ``address``: a running cluster (``"auto"``, ``"ray://head:10001"``, ``"10.0.0.5:6379"``); None
    or ``"local"`` starts a local cluster of ``num_cpus`` CPUs (None: all) in this process. The
    first scan connects; later ones reuse it (one cluster per process). ``batch_rows`` None (the
    default) scans each block as Ray reads it (at most 128 MiB), so that reading and scanning fuse
    into one task and the rows never pass through the object store; a number re-batches them.
    """

    address: str | None = None
    num_cpus: int | None = None
    batch_rows: int | None = None  # None: Ray's read blocks, read and scan fused in one task
    broadcast_max_bytes: int = 512 * 2**20
    max_retries: int = 3

    def start(self) -> None:
        """Connect to the cluster, or start the local one (once per process)."""
        try:
            import ray
        except ImportError as error:
            raise RayScanError(
                "the Ray engine needs the ray extra: pip install 'tailwatch[ray]'"
            ) from error
        with _STARTING:
            if ray.is_initialized():
                return
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if self.address in (None, "local"):
                ray.init(num_cpus=self.num_cpus, **options)
            else:
                ray.init(address=self.address, **options)
            ray.data.DataContext.get_current().enable_progress_bars = False

    def read(
        self,
        paths: Sequence[AnyPath],
        columns: Sequence[str],
        schema: Mapping[str, str] | None = None,
    ) -> Any:
        """The snapshot's ``columns`` as a Ray dataset (local paths, or one remote file system),
        read by the Ray Data function of the files' format (:mod:`collectors.sources.formats`).

        CSV is read as DuckDB's ``read_csv`` reads it: only an empty field is NULL, and the
        columns DuckDB's ``schema`` types VARCHAR stay strings (pyarrow would read ``""`` as an
        empty string, ``NA`` as NULL and ``007`` as a number)."""
        import pyarrow.csv as pacsv
        import ray

        fmt = single_format(paths, "snapshot")
        filesystem = None
        names = [str(p) for p in paths]
        remote = [p for p in paths if isinstance(p, ObjectPath)]
        if remote:
            filesystem = arrow_filesystem(remote[0].url)
            names = [p.key if isinstance(p, ObjectPath) else str(p) for p in paths]
        options: dict[str, Any] = {
            "filesystem": filesystem,
            "ray_remote_args": {"max_retries": self.max_retries},
            "file_extensions": None,  # the table's suffixes chose the files already
        }
        if fmt.kind == "json":
            options["lines"] = True
        if fmt.kind == "csv":
            strings = {c: pa.string() for c, t in (schema or {}).items() if t == "VARCHAR"}
            options["convert_options"] = pacsv.ConvertOptions(  # read_csv's **arrow_csv_args
                null_values=[""], strings_can_be_null=True, column_types=strings
            )
        with warnings.catch_warnings():  # Ray 2.60 has no other way to bound the retries
            warnings.simplefilter("ignore", DeprecationWarning)
            dataset = getattr(ray.data, str(fmt.ray))(names, **options)
        return dataset.select_columns(list(columns))

    def partials(self, dataset: Any, plan: BatchPlan) -> Any:
        """:func:`scan_batch` over every batch of ``dataset``."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return dataset.map_batches(
                scan_batch,
                batch_format="pyarrow",
                batch_size=self.batch_rows,
                fn_kwargs={"plan": plan},
                max_retries=self.max_retries,
            )

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
    ) -> dict[str, object]:
        """The snapshot-wide figures of :func:`collectors.corpus.figures.aggregate`, counted on
        Ray; writes the multiset to ``fingerprints_out`` only when every batch has been counted."""
        import ray

        other = [p for p in paths if not (fmt := format_of(p)) or fmt.ray is None]
        if other:
            readable = ", ".join(f.kind for f in FORMATS if f.ray)
            raise SourceError(
                f"{label}: the Ray engine reads {readable} files; file {other[0]} is not "
                '(convert it, or scan this corpus with [corpora.engine] kind = "duckdb")'
            )
        extra = [settings.generator_column, settings.version_column]
        columns = [settings.provenance_column, *settings.content_columns, *[c for c in extra if c]]
        query = fingerprint_select(schema, settings.content_columns, BATCH, keep=keep, source=label)
        self.start()
        leaks = broadcast_registry(connection, registry)
        ref = ray.put(leaks) if leaks.nbytes <= self.broadcast_max_bytes else None
        plan = BatchPlan(query, FINGERPRINT_VERSION, unicodedata.unidata_version, ref)
        table = f"_tw_partials_{uuid.uuid4().hex}"
        incoming = f"_tw_incoming_{uuid.uuid4().hex}"
        connection.execute(
            f"CREATE TEMP TABLE {table} (part UTINYINT, fingerprint UBIGINT, flag BOOLEAN, "
            "key VARCHAR, version VARCHAR, rows BIGINT)"
        )
        remote = [p for p in paths if isinstance(p, ObjectPath)]
        where = f"{label}: file {remote[0]}" if remote else label

        def attempt() -> None:
            """Read and count every batch into ``table`` (emptied first: a retry counts once)."""
            connection.execute(f"DELETE FROM {table}")
            try:
                dataset = self.read(paths, list(dict.fromkeys(columns)), schema)
                for batch in self.partials(dataset, plan).iter_batches(
                    batch_format="pyarrow", batch_size=None
                ):
                    connection.register(incoming, batch)
                    try:
                        connection.execute(f"INSERT INTO {table} SELECT * FROM {incoming}")
                    finally:
                        connection.unregister(incoming)
            except Exception as e:
                found = storage_error(e, where) if remote else None
                if found is not None:  # object storage, not the data nor the cluster
                    raise found from e
                if isinstance(e, (ray.exceptions.RayError, ray.data.exceptions.SystemException)):
                    raise RayScanError(
                        f"{label}: the Ray scan failed ({type(e).__name__}: {first_line(e)}); "
                        "nothing was recorded"
                    ) from e
                raise

        try:
            if remote:  # outages retried with backoff, access problems named
                retrying(attempt, where)
            else:
                attempt()
            nulls = scalar(connection, f"SELECT sum(rows) FROM {table} WHERE part = {NULLS}")
            if nulls:  # the DuckDB path's message, naming the files (read again, on the driver)
                raise null_content_error(connection, list(paths), schema, settings, label, nulls)
            figures = merge(connection, table, registry, settings, previous_fingerprints, ref)
            if fingerprints_out is not None:
                write_fingerprints(connection, multiset(table), Path(fingerprints_out))
        finally:
            connection.execute(f"DROP TABLE IF EXISTS {table}")
        return figures  # the broadcast leaves the object store with its last reference, ``ref``


def storage_error(error: BaseException, where: str) -> ObjectStorageError | None:
    """The object-storage failure behind a failed Ray read or scan, or None.

    Ray wraps a worker's exception in ``ray.exceptions.RayTaskError`` (its ``cause``, and a
    subclass of both that re-raises as the cause's type) and Ray Data wraps that again; every
    exception of the chain (``cause``, ``__cause__``, ``__context__``) is classified by
    :func:`collectors.sources.storage_errors.classify`, the innermost first."""
    chain: list[BaseException] = []
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or any(current is seen for seen in chain):
            continue
        if isinstance(current, ObjectStorageError):
            return current
        chain.append(current)
        cause = getattr(current, "cause", None)
        todo += [
            cause if isinstance(cause, BaseException) else None,
            current.__cause__,
            current.__context__,
        ]
    for current in reversed(chain):
        found = classify(current, where)
        if found is not None:
            return found
    return None


def merge(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    registry: str,
    settings: CorpusSettings,
    previous: Path | str | None,
    broadcast: Any,
) -> dict[str, object]:
    """The figures from the partials: the DuckDB path's SQL (:mod:`collectors.corpus.queries`)
    over views of the parts, so the same ordering and ties."""

    def part(n: int, columns: str) -> Counted:
        return Counted(f"(SELECT {columns}, rows FROM {table} WHERE part = {n})", "sum(rows)")

    leaks = None
    if broadcast is not None:  # counted by the workers
        leaks = (
            scalar(connection, f"SELECT sum(rows) FROM {table} WHERE part = {LEAKED}"),
            connection.execute(
                f"SELECT key, sum(rows) FROM {table} WHERE part = {LEAKED_BY_GENERATOR} "
                "GROUP BY 1 ORDER BY 2 DESC, 1"
            ).fetchall(),
        )
    counts = count(
        connection,
        part(LABEL_ROWS, "CAST(key AS UTINYINT) AS _tw_label"),
        registry,
        settings,
        raw=part(RAW, "key AS _tw_raw"),
        by_generator=part(GENERATORS, "key AS _tw_generator, version AS _tw_version"),
        candidates=part(FINGERPRINTS, "fingerprint, flag").where("flag"),
        leaks=leaks,
    )
    return full_figures(connection, counts, settings, previous, multiset(table))


def multiset(table: str) -> str:
    """SQL of the snapshot's fingerprint multiset (``fingerprint``, ``rows``) from the partials."""
    return (
        f"SELECT fingerprint, CAST(sum(rows) AS BIGINT) AS rows FROM {table} "
        f"WHERE part = {FINGERPRINTS} GROUP BY 1"
    )
