"""Where data comes from: versions and snapshots on disk, reference files (samplers:
:mod:`collectors.sources.samplers`).

A generator writes each version as one data file (``v3.parquet``) or one folder of data files
(``v3/part-0.parquet``); files are read through DuckDB straight from disk with a seeded uniform
sample, so a large version is never loaded whole into pandas. Generators that draw samples
in-process are called through a sampler function instead (``package.module:function`` or an entry
point in the ``tailwatch.samplers`` group). Every error is a :class:`SourceError` naming the file,
column or sampler, because the daemon reports it as the reason a run failed.

Finding the versions and files (globs, manifests, fingerprints) is
:mod:`collectors.sources.discovery`; its names are importable from here too.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd

from collectors.sources.connections import drop_local, fresh_connection, local_cursor
from collectors.sources.discovery import (
    DATA_SUFFIXES,
    MANIFEST_NAME,
    SourceError,
    VersionRef,
    data_kind,
    discover_versions,
    fingerprint_files,
    listed_names,
    matching_versions,
    resolve_files,
)
from collectors.sources.formats import FORMATS, format_of, single_format
from collectors.sources.sql import quote
from collectors.sources.storage_errors import classify, error_line, noted, retrying

if TYPE_CHECKING:
    from collectors.sources.storage import AnyPath

__all__ = [
    "DATA_SUFFIXES",
    "MANIFEST_NAME",
    "READERS",
    "VECTOR_COLUMN",
    "SourceError",
    "VersionRef",
    "check_columns",
    "check_sampling",
    "data_kind",
    "describe_file",
    "discover_versions",
    "fingerprint_files",
    "listed_names",
    "matching_versions",
    "ragged_row",
    "read_table",
    "read_version",
    "resolve_files",
]

# The DuckDB table function of each format kind read by DuckDB (``.npy`` is read by numpy).
READERS: dict[str, str] = {fmt.kind: fmt.duckdb for fmt in FORMATS if fmt.duckdb is not None}
VECTOR_COLUMN = "vector"
_PANDAS_INDEX = re.compile(r"__index_level_\d+__")


# --------------------------------------------------------------------------- reading


def _first_line(error: BaseException) -> str:
    return error_line(error)


def _cause(error: BaseException) -> str:
    """DuckDB's first line and the lines that say why (its CSV errors put the cause on line 3),
    without the echoed input, the suggestions and the sniffer's settings."""
    if "Traceback (most recent call last):" in str(error):  # raised in a Python file system
        return error_line(error)
    lines = [line.strip() for line in str(error).strip().splitlines()]
    if not lines:
        return type(error).__name__
    out = [lines[0]]
    for line in lines[1:]:
        if not line:
            if len(out) > 1:
                break
            continue
        if line.startswith(("Original Line", "Possible Solution", "See also")) or " = " in line:
            continue
        out.append(line)
        if len(out) == 3:
            break
    return ": ".join(out)


def check_columns(
    frame: pd.DataFrame, expected: Sequence[str], *, source: str, exact: bool = False
) -> None:
    """Raise :class:`SourceError` naming the expected columns ``frame`` lacks.

    With ``exact`` (no columns configured: the reference's columns are the expected set) columns
    that are not expected are an error too.
    """
    _check_names([str(c) for c in frame.columns], expected, source=source, exact=exact)


def _check_names(
    present: Sequence[str], expected: Sequence[str], *, source: str, exact: bool
) -> None:
    missing = [c for c in expected if c not in present]
    extra = [c for c in present if c not in expected] if exact else []
    problems = []
    if missing:
        problems.append(f"missing columns {listed_names(missing)}")
    if extra:
        problems.append(f"unexpected columns {listed_names(extra)}")
    if problems:
        raise SourceError(
            f"{source}: {' and '.join(problems)} (expected {listed_names(list(expected))})"
        )


def _file_kind(files: Sequence[AnyPath], label: str) -> str:
    try:
        return single_format(files, label).kind
    except ValueError as error:
        raise SourceError(str(error)) from error


def check_sampling(sample_size: int | None, seed: int) -> None:
    if sample_size is not None and (
        isinstance(sample_size, bool) or not isinstance(sample_size, int) or sample_size < 1
    ):
        raise SourceError(f"sample_size must be a positive integer, got {sample_size!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise SourceError(f"seed must be a non-negative integer, got {seed!r}")


def read_table(
    paths: Sequence[AnyPath | str],
    *,
    columns: Sequence[str] | None = None,
    sample_size: int | None = None,
    seed: int = 0,
    source: str | None = None,
    memory_limit: str | None = None,
) -> pd.DataFrame:
    """Read ``columns`` (default: all) of data files of one format, optionally a seeded sample.

    Formats with a DuckDB reader (Parquet, CSV, JSON Lines: :mod:`collectors.sources.formats`) go
    through DuckDB (``USING SAMPLE reservoir(n ROWS) REPEATABLE (seed)``: uniform
    without replacement, the same rows for the same seed and files). A 2-D ``.npy`` becomes one
    column ``vector`` whose cells are float row arrays. ``source`` labels messages (default: the
    files); ``memory_limit`` (e.g. ``"2GB"``) bounds DuckDB.
    """
    from collectors.sources import storage

    files = [storage.as_path(p) for p in paths]
    label = source or (str(files[0]) if len(files) == 1 else f"{len(files)} files")
    if not files:
        raise SourceError(f"{label}: no data files to read")
    if columns is not None:
        columns = [str(c) for c in columns]
        if not columns or len(set(columns)) != len(columns):
            raise SourceError(f"{label}: columns must be non-empty and distinct, got {columns}")
    check_sampling(sample_size, seed)
    kind = _file_kind(files, label)
    for path in files:
        if not path.is_file():
            raise SourceError(f"{label}: file {path} no longer exists (removed after discovery?)")
    if kind == "npy":
        frame = _read_npy(files, columns, sample_size, seed, label)
    else:
        frame = retrying(  # object storage: outages retried, access problems named
            lambda: _read_duckdb(kind, files, columns, sample_size, seed, label, memory_limit),
            label,
        )
    if len(frame) == 0:
        raise SourceError(f"{label} has no rows")
    return frame


def read_version(
    version: VersionRef,
    *,
    columns: Sequence[str] | None = None,
    sample_size: int | None = None,
    seed: int = 0,
    memory_limit: str | None = None,
) -> pd.DataFrame:
    """:func:`read_table` over a version's files; an empty version folder is an error."""
    version.check_readable()
    where = version.location or (version.paths[0] if version.paths else "no location")
    label = f"version {version.name!r} ({where})"
    if not version.paths:
        raise SourceError(f"{label}: empty version (no {', '.join(DATA_SUFFIXES)} files)")
    return read_table(
        version.paths,
        columns=columns,
        sample_size=sample_size,
        seed=seed,
        source=label,
        memory_limit=memory_limit,
    )


def _read_duckdb(
    kind: str,
    files: list[AnyPath],
    columns: list[str] | None,
    sample_size: int | None,
    seed: int,
    label: str,
    memory_limit: str | None,
) -> pd.DataFrame:
    from collectors.sources import storage

    reader = READERS[kind]
    remote = any(storage.is_remote(p) for p in files)
    try:
        connection = fresh_connection(memory_limit) if remote else local_cursor(memory_limit)
    except duckdb.Error as error:
        raise SourceError(f"memory_limit {memory_limit!r}: {_first_line(error)}") from error
    try:
        storage.attach(connection, files)
        schemas = {path: _describe(connection, reader, path, label) for path in files}
        wanted = columns if columns is not None else schemas[files[0]]
        for path, present in schemas.items():
            _check_names(present, wanted, source=f"{label}: file {path}", exact=columns is None)
        sql = f"SELECT {', '.join(quote(c) for c in wanted)} FROM {reader}(?, union_by_name = true)"
        if sample_size is not None:
            sql += f" USING SAMPLE reservoir({int(sample_size)} ROWS) REPEATABLE ({int(seed)})"
        try:
            return connection.execute(sql, [[str(p) for p in files]]).df()
        except duckdb.Error as error:
            drop_local(memory_limit)  # a database an error may have left unusable
            _raise_storage(error, files, label)
            gone = [p for p in files if not p.is_file()]
            if gone:
                raise SourceError(
                    f"{label}: file {gone[0]} no longer exists (removed while reading)"
                ) from error
            named = [p for p in files if str(p) in str(error)]
            where = (
                f"file {named[0]}" if named else f"files {listed_names([str(p) for p in files])}"
            )
            raise SourceError(f"{label}: cannot read {where}: {_cause(error)}") from error
    finally:
        connection.close()


def describe_file(path: AnyPath | str) -> dict[str, str]:
    """Column -> DuckDB type of one data file (Parquet footer, CSV/JSON sniff; a ``.npy`` is one
    ``vector`` column), local or in object storage (read as a scan reads it: the file system
    registered on the connection, outages retried, access problems named)."""
    from collectors.sources import storage

    file = storage.as_path(path)
    fmt = format_of(file)
    if fmt is None:
        raise SourceError(f"{file} is not a data file ({', '.join(DATA_SUFFIXES)})")
    if fmt.duckdb is None:
        array = retrying(lambda: _load_npy(file), file)
        return {VECTOR_COLUMN: f"DOUBLE[{array.shape[1] if array.ndim == 2 else ''}]"}

    def describe() -> list[tuple[str, str]]:
        with duckdb.connect() as connection:
            storage.attach(connection, [file])
            try:
                sql = f"DESCRIBE SELECT * FROM {fmt.duckdb}(?)"
                return connection.execute(sql, [str(file)]).fetchall()
            except duckdb.Error as error:
                _raise_storage(error, [file], str(file))
                raise

    rows = retrying(describe, file)
    problem = ragged_row(file, [str(r[0]) for r in rows])
    if problem is not None:
        raise SourceError(problem)
    return {str(r[0]): str(r[1]) for r in rows if not _PANDAS_INDEX.fullmatch(str(r[0]))}


_DELIMITERS = (",", ";", "\t", "|")


def _open_text(path: object) -> IO[str]:
    """A data file opened as text, from disk or object storage."""
    from collectors.sources import storage

    if isinstance(path, storage.ObjectPath):
        return storage.filesystem(path.url).open(path.key, "rt", encoding="utf-8", newline="")
    return open(str(path), encoding="utf-8", newline="")


def ragged_row(path: object, columns: Sequence[str]) -> str | None:
    """For a CSV file DuckDB sniffed as one column whose name holds a delimiter (what a row
    with more or fewer fields than the header does to the sniffer): which line is ragged."""
    fmt = format_of(path)
    if len(columns) != 1 or fmt is None or fmt.kind != "csv":
        return None
    delimiter = next((d for d in _DELIMITERS if d in columns[0]), None)
    if delimiter is None:
        return None
    with _open_text(path) as handle:
        rows = csv.reader(handle, delimiter=delimiter)
        header = next(rows, [])
        for number, row in enumerate(rows, start=1):
            if row and len(row) != len(header):
                return (
                    f"file {path} row {number} (line {rows.line_num}) has {len(row)} fields, "
                    f"the header has {len(header)}"
                )
    return None


def _raise_storage(error: BaseException, files: Sequence[object], label: str) -> None:
    """Raise the object-storage failure a read error means (never the data's fault)."""
    remote = [p for p in files if not isinstance(p, Path)]
    if remote:
        found = noted(remote) or classify(error, f"{label}: file {remote[0]}")
        if found is not None:
            raise found from error


def _describe(
    connection: duckdb.DuckDBPyConnection, reader: str, path: AnyPath, label: str
) -> list[str]:
    """Column names of one file (Parquet footer, CSV or JSON sniff), skipping pandas index
    columns."""
    try:
        rows = connection.execute(f"DESCRIBE SELECT * FROM {reader}(?)", [[str(path)]]).fetchall()
    except duckdb.Error as error:
        _raise_storage(error, [path], label)
        if not path.is_file():
            raise SourceError(f"{label}: file {path} no longer exists") from error
        raise SourceError(f"{label}: cannot read file {path}: {_cause(error)}") from error
    names = [row[0] for row in rows if not _PANDAS_INDEX.fullmatch(row[0])]
    problem = ragged_row(path, names)
    if problem is not None:
        raise SourceError(f"{label}: {problem}")
    return names


def _load_npy(path: object) -> np.ndarray:
    """A ``.npy`` file: memory-mapped from disk, read whole from object storage."""
    from collectors.sources import storage

    if isinstance(path, storage.ObjectPath):
        with storage.filesystem(path.url).open(path.key, "rb") as handle:
            return np.load(handle, allow_pickle=False)
    return np.load(str(path), mmap_mode="r", allow_pickle=False)


def _read_npy(
    files: list[AnyPath],
    columns: list[str] | None,
    sample_size: int | None,
    seed: int,
    label: str,
) -> pd.DataFrame:
    """Rows of 2-D numeric ``.npy`` files (memory-mapped) as one ``vector`` column."""
    if columns is not None and columns != [VECTOR_COLUMN]:
        missing = [c for c in columns if c != VECTOR_COLUMN]
        raise SourceError(
            f"{label}: file {files[0]} lacks columns {listed_names(missing)} "
            f"(.npy files hold one column {VECTOR_COLUMN!r})"
        )
    arrays: list[np.ndarray] = []
    for path in files:
        try:
            array = _load_npy(path)
        except (OSError, ValueError, EOFError) as error:
            raise SourceError(f"{label}: cannot read file {path}: {_first_line(error)}") from error
        if array.ndim != 2 or array.dtype.kind not in "fiu":
            raise SourceError(
                f"{label}: file {path} holds a {array.ndim}-D {array.dtype} array; "
                "expected a 2-D numeric array (rows x dimensions)"
            )
        if arrays and array.shape[1] != arrays[0].shape[1]:
            raise SourceError(
                f"{label}: file {path} has {array.shape[1]} dimensions, "
                f"file {files[0]} has {arrays[0].shape[1]}"
            )
        arrays.append(array)
    sizes = np.array([a.shape[0] for a in arrays])
    total = int(sizes.sum())
    if sample_size is None or sample_size >= total:
        parts = [np.asarray(a) for a in arrays]
    else:
        chosen = np.sort(np.random.default_rng(seed).choice(total, size=sample_size, replace=False))
        starts = np.concatenate([[0], np.cumsum(sizes)])
        parts = [
            np.asarray(a[chosen[(chosen >= lo) & (chosen < hi)] - lo])
            for a, lo, hi in zip(arrays, starts[:-1], starts[1:], strict=True)
        ]
    matrix = np.concatenate(parts)
    matrix = np.ascontiguousarray(matrix, dtype=matrix.dtype if matrix.dtype.kind == "f" else float)
    return pd.DataFrame({VECTOR_COLUMN: list(matrix)})
