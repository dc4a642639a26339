"""DuckDB SQL around a corpus snapshot's files: readers, schemas, checks and named errors.

Every error a scan raises for its input names the file and the column (:class:`SourceError`);
a bad registry relation is a ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from collectors.corpus.settings import CODES, CorpusSettings
from collectors.provenance import fingerprint_select
from collectors.sources import AnyPath, SourceError, resolve_files
from collectors.sources.formats import FORMATS, format_of, single_format
from collectors.sources.readers import ragged_row
from collectors.sources.sql import literal, quote
from collectors.sources.storage_errors import classify, error_line, noted

__all__ = [
    "check_registry",
    "failure",
    "first_line",
    "label_sql",
    "literal",
    "null_content_error",
    "quote",
    "reader",
    "require",
    "scalar",
    "schemas",
    "snapshot_files",
]


def snapshot_files(location: Path | str) -> list[AnyPath]:
    """The data files of one snapshot: a folder's data files (sorted) or one file, of formats
    with named columns (:data:`collectors.sources.formats.FORMATS`)."""
    files = resolve_files(str(location))
    refused = [p for p in files if not (fmt := format_of(p)) or not fmt.columns]
    if refused:
        scanned = ", ".join(f.kind for f in FORMATS if f.columns)
        raise SourceError(
            f"snapshot {location}: file {refused[0]} has no named columns; "
            f"corpus snapshots are read from {scanned} files"
        )
    return files


def first_line(error: BaseException) -> str:
    """The first line of an error's message (its type name when empty); for a Python traceback
    DuckDB passes on (a read through an object-storage file system), the line naming the cause."""
    return error_line(error)


def reader(files: Sequence[AnyPath], label: str, *, extra: str = "") -> str:
    """The format's DuckDB table function (``read_parquet``...) over the files (one format),
    columns united by name."""
    try:
        fmt = single_format(files, label)
    except ValueError as error:
        raise SourceError(str(error)) from error
    if fmt.duckdb is None:
        raise SourceError(f"{label}: {fmt.kind} files have no named columns to scan")
    function = fmt.duckdb
    listed = ", ".join(literal(str(p)) for p in files)
    return f"{function}([{listed}], union_by_name = true{extra})"


def failure(error: duckdb.Error, files: Sequence[AnyPath], label: str) -> OSError | SourceError:
    """The error for a failed read: an object-storage outage or access problem
    (:class:`~collectors.sources.storage_errors.ObjectStorageError`, never the data's fault), a
    vanished file, else a :class:`SourceError` naming the file."""
    remote = [p for p in files if not isinstance(p, Path)]
    storage = (noted(remote) or classify(error, f"{label}: file {remote[0]}")) if remote else None
    if storage is not None:
        return storage
    gone = [p for p in files if not p.is_file()]
    if gone:
        return SourceError(f"{label}: file {gone[0]} no longer exists (removed during the scan)")
    named = [p for p in files if str(p) in str(error)]
    where = f"file {named[0]}" if named else f"files {', '.join(map(str, files[:3]))}"
    return SourceError(f"{label}: cannot read {where}: {first_line(error)}")


def schemas(
    connection: duckdb.DuckDBPyConnection, files: Sequence[AnyPath], label: str
) -> tuple[dict[str, str], dict[AnyPath, set[str]]]:
    """Column types of the union of the files, and each file's columns (every footer is read)."""
    union: dict[str, str] = {}
    per_file: dict[AnyPath, set[str]] = {}
    for path in files:
        if not path.is_file():
            raise SourceError(f"{label}: file {path} no longer exists (removed after listing?)")
        try:
            rows = connection.execute(f"DESCRIBE SELECT * FROM {reader([path], label)}").fetchall()
        except duckdb.Error as error:
            raise failure(error, [path], label) from error
        problem = ragged_row(path, [row[0] for row in rows])
        if problem is not None:
            raise SourceError(f"{label}: {problem}")
        per_file[path] = {row[0] for row in rows}
        for row in rows:
            union.setdefault(row[0], row[1])
    return union, per_file


def require(per_file: dict[AnyPath, set[str]], columns: Sequence[str], label: str) -> None:
    """Raise naming the first file that lacks any of ``columns``."""
    for path, present in per_file.items():
        missing = [c for c in columns if c not in present]
        if missing:
            raise SourceError(
                f"{label}: file {path} lacks column(s) {missing} (has {sorted(present)})"
            )


def label_sql(settings: CorpusSettings) -> tuple[str, str]:
    """SQL of the label code (0 human, 1 synthetic, 2 unknown) and of the unrecognised raw value."""
    raw = f"CAST({quote(settings.provenance_column)} AS VARCHAR)"
    branches = " ".join(
        f"WHEN {raw} = {literal(value)} THEN {CODES[label]}"
        for value, label in settings.provenance_labels.items()
    )
    code = f"CAST(CASE {branches} ELSE 2 END AS UTINYINT) AS _tw_label"
    known = ", ".join(literal(v) for v in settings.provenance_labels) or "NULL"
    unrecognised = (
        f"CASE WHEN {raw} IS NULL THEN '<null>' WHEN {raw} NOT IN ({known}) THEN {raw} END "
        "AS _tw_raw"
    )
    return code, unrecognised


def check_registry(connection: duckdb.DuckDBPyConnection, registry: str) -> None:
    """``ValueError`` unless ``registry`` is a relation with the four registry columns."""
    try:
        rows = connection.execute(f"DESCRIBE SELECT * FROM {registry}").fetchall()
    except duckdb.Error as error:
        raise ValueError(f"registry relation {registry!r}: {first_line(error)}") from error
    missing = {"fingerprint", "generator", "version", "known_human"} - {row[0] for row in rows}
    if missing:
        raise ValueError(f"registry relation {registry!r} lacks column(s) {sorted(missing)}")


def null_content_error(
    connection: duckdb.DuckDBPyConnection,
    files: Sequence[AnyPath],
    schema: dict[str, str],
    settings: CorpusSettings,
    label: str,
    count: int,
) -> SourceError:
    relation = reader(files, label, extra=", filename = true")
    query = fingerprint_select(schema, settings.content_columns, relation, keep=["filename"])
    found = connection.execute(
        f"SELECT filename, count(*) FROM ({query}) WHERE fingerprint IS NULL "
        "GROUP BY filename ORDER BY count(*) DESC LIMIT 3"
    ).fetchall()
    where = ", ".join(f"file {name} ({n} rows)" for name, n in found)
    return SourceError(
        f"{label}: {count} rows have null/NaN content in column(s) "
        f"{list(settings.content_columns)}: {where}"
    )


def scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The query's single value as an int (NULL as 0)."""
    value = connection.execute(sql).fetchall()[0][0]
    return int(value or 0)
