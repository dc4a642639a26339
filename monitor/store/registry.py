"""The synthetic registry in the store: fingerprints of known synthetic records, with lineage.

Registry sources, each replaced whole in one transaction (so a crash leaves the old or the new
rows, and registering the same content again changes nothing):

- ``sample:<generator>/<version>@<content>``: the rows the daemon sampled from a generator version,
  written in the same transaction as that version's run (:meth:`SyntheticRegistry.sample_writer`);
- ``dump:<name>``: the files of a ``[[synthetic_dumps]]`` entry;
- ``human:<name>`` (``[[known_human]]``) and ``reference:<generator>`` (a generator's reference
  and holdout): known-human data.

A registered synthetic record whose fingerprint is also known human is the generator reproducing
human data (it memorised it): never a leak, or every human original in a corpus would become one.
The flag is computed when a corpus is scanned (:meth:`SyntheticRegistry.relation`), so human
data registered after the synthetic rows clears them too. Fingerprints come from
:mod:`collectors.provenance.definition`, the same in Python (sampled rows) and in SQL (files).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import duckdb
import numpy as np
import pyarrow as pa

from collectors.corpus import failure, reader
from collectors.provenance import fingerprint_query
from collectors.sources import AnyPath, SourceError, attach, fingerprint_files, resolve_files
from monitor.settings import Settings
from monitor.store.database import Store

__all__ = ["RegistryFiles", "SyntheticRegistry", "configured_sources", "file_fingerprints"]

log = logging.getLogger("tailwatch.registry")
SourceKind = Literal["synthetic", "human"]

_RELATION = """
SELECT r.fingerprint, r.generator, r.version, h.fingerprint IS NOT NULL AS known_human
FROM synthetic_registry r
LEFT JOIN (SELECT DISTINCT fingerprint FROM known_human) h ON h.fingerprint = r.fingerprint
"""
_INSERT_SOURCE = """
INSERT INTO registry_sources (source, kind, content_fingerprint, rows, registered_at)
VALUES (?, ?, ?, ?, ?)
"""
_UPSERT_SOURCE = """
INSERT INTO registry_sources (source, kind, content_fingerprint, rows, registered_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (source) DO UPDATE SET kind = excluded.kind,
    content_fingerprint = excluded.content_fingerprint, rows = excluded.rows,
    registered_at = excluded.registered_at
"""


@dataclass(frozen=True)
class RegistryFiles:
    """One file-backed registry source: a synthetic dump, known-human data, or a reference."""

    source: str
    kind: SourceKind
    pattern: str
    content_columns: tuple[str, ...]
    generator: str | None = None


def configured_sources(settings: Settings) -> list[RegistryFiles]:
    """The ``[[synthetic_dumps]]`` and ``[[known_human]]`` entries as registry sources."""
    dumps = [
        RegistryFiles(f"dump:{d.name}", "synthetic", d.path, tuple(d.content_columns), d.generator)
        for d in settings.synthetic_dumps
    ]
    human = [
        RegistryFiles(f"human:{h.name}", "human", h.path, tuple(h.content_columns))
        for h in settings.known_human
    ]
    return dumps + human


def file_fingerprints(
    files: Sequence[AnyPath],
    content_columns: Sequence[str],
    label: str,
    memory_limit: str | None = None,
) -> pa.Array:
    """Fingerprints (UBIGINT) of every row of Parquet/CSV ``files``, computed in DuckDB.

    Runs in its own in-memory database so that the store's writer is not held while files are
    read. Raises :class:`SourceError` naming the files and columns for unreadable files, missing
    columns and rows with missing content.
    """
    paths = list(files)
    relation = reader(paths, label)
    connection = duckdb.connect(config={"memory_limit": memory_limit} if memory_limit else {})
    try:
        attach(connection, paths)  # s3:// and other remote file systems
        try:
            query = fingerprint_query(connection, relation, content_columns)
            table = connection.sql(f"SELECT fingerprint FROM ({query})").to_arrow_table()
        except duckdb.Error as error:
            raise failure(error, paths, label) from error
    finally:
        connection.close()
    column = table.column("fingerprint").combine_chunks()
    if column.null_count:
        shown = ", ".join(str(p) for p in paths[:3])
        raise SourceError(
            f"{label}: {column.null_count} rows have no content in column(s) "
            f"{list(content_columns)} (files {shown})"
        )
    return column


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _insert(
    cursor: duckdb.DuckDBPyConnection,
    source: str,
    kind: SourceKind,
    content: str,
    fingerprints: pa.Array,
    generator: str | None,
    version: str | None,
) -> None:
    """Replace one source's rows (the caller holds the transaction).

    A source's rows are written only here, with its ``registry_sources`` row in the same
    transaction, and no row of ``registry_sources`` is ever deleted; so a source without that
    row (a version's new sample, the common case) has no rows to delete, and the two scans of
    tables that grow with every version (``DELETE ... WHERE source = ?``) are skipped.
    """
    known = cursor.execute("SELECT 1 FROM registry_sources WHERE source = ?", [source]).fetchone()
    if known is not None:
        cursor.execute("DELETE FROM synthetic_registry WHERE source = ?", [source])
        cursor.execute("DELETE FROM known_human WHERE source = ?", [source])
    rows = pa.table({"fingerprint": pa.array(fingerprints, type=pa.uint64())})
    cursor.register("_tw_new_fingerprints", rows)
    try:
        if kind == "synthetic":
            cursor.execute(
                "INSERT INTO synthetic_registry SELECT fingerprint, ?, ?, ? "
                "FROM _tw_new_fingerprints",
                [generator or "unknown", version, source],
            )
        else:
            cursor.execute(
                "INSERT INTO known_human SELECT fingerprint, ? FROM _tw_new_fingerprints",
                [source],
            )
    finally:
        cursor.unregister("_tw_new_fingerprints")
    # A new source's row is inserted (ON CONFLICT costs DuckDB 6-8 ms more; none can conflict).
    upsert = _UPSERT_SOURCE if known is not None else _INSERT_SOURCE
    cursor.execute(upsert, [source, kind, content, len(rows), _now()])


class SyntheticRegistry:
    """Reads and writes the registry tables of a :class:`~monitor.store.database.Store`."""

    def __init__(self, store: Store, *, memory_limit: str | None = None) -> None:
        self.store = store
        self.memory_limit = memory_limit

    def content_of(self, source: str) -> str | None:
        """The content fingerprint registered for ``source``, or None."""
        rows = self.store.fetch_arrow(
            "SELECT content_fingerprint FROM registry_sources WHERE source = ?", [source]
        ).to_pylist()
        return rows[0]["content_fingerprint"] if rows else None

    def replace(
        self,
        source: str,
        kind: SourceKind,
        content: str,
        fingerprints: pa.Array | np.ndarray,
        *,
        generator: str | None = None,
        version: str | None = None,
    ) -> None:
        """Replace ``source``'s rows with ``fingerprints`` in one transaction."""
        array = pa.array(np.asarray(fingerprints, dtype=np.uint64), type=pa.uint64())
        self.store.write(
            lambda cursor: _insert(cursor, source, kind, content, array, generator, version)
        )

    def sample_writer(
        self, generator: str, version: str, content: str, fingerprints: np.ndarray
    ) -> Callable[[duckdb.DuckDBPyConnection], None]:
        """For ``Store.record_run(result, also=...)``: registers a version's sampled rows."""
        source = f"sample:{generator}/{version}@{content}"
        array = pa.array(np.asarray(fingerprints, dtype=np.uint64), type=pa.uint64())
        return lambda cursor: _insert(
            cursor, source, "synthetic", content, array, generator, version
        )

    def sync(self, sources: Sequence[RegistryFiles]) -> list[tuple[str, Exception]]:
        """Register each file source whose content changed; returns the sources that failed.

        Unchanged sources (same file fingerprint and columns) are skipped without reading them.
        """
        failed: list[tuple[str, Exception]] = []
        for item in sources:
            try:
                files = resolve_files(item.pattern)
                content = f"{fingerprint_files(files)}:{','.join(item.content_columns)}"
                if self.content_of(item.source) == content:
                    continue
                label = f"registry source {item.source} ({item.pattern})"
                fingerprints = file_fingerprints(
                    files, item.content_columns, label, self.memory_limit
                )
                self.replace(
                    item.source, item.kind, content, fingerprints, generator=item.generator
                )
                log.info(
                    "registry source registered",
                    extra={"source": item.source, "kind": item.kind, "rows": len(fingerprints)},
                )
            except Exception as error:  # one bad source must not stop the others
                log.error(
                    "registry source failed", extra={"source": item.source, "error": str(error)}
                )
                failed.append((item.source, error))
        return failed

    def relation(self) -> pa.Table:
        """``fingerprint, generator, version, known_human`` of every registered synthetic row."""
        return self.store.fetch_arrow(_RELATION)

    def counts(self) -> dict[str, int]:
        """Registered rows by kind (``synthetic``, ``human``)."""
        rows = self.store.fetch_arrow(
            "SELECT kind, sum(rows) AS n FROM registry_sources GROUP BY kind"
        ).to_pylist()
        counts = {"synthetic": 0, "human": 0}
        counts.update({row["kind"]: int(row["n"]) for row in rows})
        return counts
