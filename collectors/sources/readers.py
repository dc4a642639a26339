"""Where data comes from: versions and snapshots on disk, reference files (samplers:
:mod:`collectors.sources.samplers`).

A generator writes each version as one data file (``v3.parquet``) or one folder of data files
(``v3/part-0.parquet``); files are read through DuckDB straight from disk with a seeded uniform
sample, so a large version is never loaded whole into pandas. Generators that draw samples
in-process are called through a sampler function instead (``package.module:function`` or an entry
point in the ``tailwatch.samplers`` group). Every error is a :class:`SourceError` naming the file,
column or sampler, because the daemon reports it as the reason a run failed.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd

from collectors.sources.formats import FORMATS, format_of, is_skipped, single_format
from collectors.sources.sql import quote
from collectors.sources.storage_errors import classify, error_line, noted, retrying

if TYPE_CHECKING:
    from collectors.sources.storage import AnyPath

__all__ = [
    "DATA_SUFFIXES",
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

# Derived from the one table of formats (:mod:`collectors.sources.formats`): suffix -> kind, and
# the DuckDB table function of each kind read by DuckDB (``.npy`` is read by numpy).
DATA_SUFFIXES: dict[str, str] = {s: fmt.kind for fmt in FORMATS for s in fmt.suffixes}
READERS: dict[str, str] = {fmt.kind: fmt.duckdb for fmt in FORMATS if fmt.duckdb is not None}
MANIFEST_NAME = "manifest.json"
VECTOR_COLUMN = "vector"
_CHUNK_BYTES = 1 << 20
_PANDAS_INDEX = re.compile(r"__index_level_\d+__")
_MAX_LISTED = 5


class SourceError(ValueError):
    """Data could not be found or read; the message names the file, column or sampler."""


@dataclass(frozen=True)
class VersionRef:
    """One generator version: its name, its data files (sorted) and a content fingerprint.

    ``location`` is the folder or file the version was found at (``None`` for sampler versions);
    an empty folder is still a version, with ``paths == ()``. An entry that cannot be read (no
    permission, a symbolic link loop) is a version too, with ``problem`` naming it and the cause,
    no paths and a fingerprint derived from the problem and the entry's metadata: measuring it
    fails that version only, and a fixed entry gets its real fingerprint (a fresh start).
    """

    name: str
    paths: tuple[AnyPath, ...]
    fingerprint: str
    location: AnyPath | None = None
    problem: str | None = None

    def check_readable(self) -> None:
        """Raise :class:`SourceError` with :attr:`problem` when the entry cannot be read."""
        if self.problem is not None:
            raise SourceError(self.problem)


# --------------------------------------------------------------------------- discovery


_skipped = is_skipped


def data_kind(path: Path) -> str | None:
    """The format kind of a data file's name (``parquet``, ``csv``, ``json``, ``npy``), or None."""
    fmt = format_of(path)
    return None if fmt is None else fmt.kind


def _natural_key(name: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key putting ``v2`` before ``v10``; the raw name breaks ties (``v01`` vs ``v1``)."""
    parts = re.split(r"([0-9]+)", name)
    key = tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in parts if p)
    return (*key, (2, 0, name))


def _data_files(folder: Path) -> tuple[Path, ...]:
    """The data files directly inside ``folder``, naturally sorted by name."""
    files = [
        p
        for p in folder.iterdir()
        if not _skipped(p.name) and data_kind(p) is not None and p.is_file()
    ]
    return tuple(sorted(files, key=lambda p: _natural_key(p.name)))


def listed_names(items: Sequence[str]) -> str:
    shown = ", ".join(repr(str(i)) for i in items[:_MAX_LISTED])
    return shown + (f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else "")


def _entry_name(path: Path) -> str:
    return path.stem if data_kind(path) is not None else path.name


def _cannot_read(path: Path, error: OSError) -> str:
    cause = error.strerror or str(error) or type(error).__name__
    return f"version {_entry_name(path)!r} ({path}): cannot read it: {cause}"


def matching_versions(pattern: str) -> dict[str, tuple[AnyPath, tuple[AnyPath, ...] | str]]:
    """Version name -> (location, data files) for every glob match, in manifest/natural order.

    An entry that cannot be listed or followed (permissions, a symbolic link loop or one that
    leads nowhere) maps to a message naming it and the cause instead of its files. A URL
    (``s3://bucket/corpus/*``) is listed through :mod:`collectors.sources.storage`.
    """
    from collectors.sources import storage

    if storage.is_remote(pattern):
        return _remote_versions(pattern)
    base = Path(pattern).parent
    if not glob.has_magic(str(base)):
        if not base.is_dir():
            raise SourceError(f"versions folder {base} (pattern {pattern!r}) does not exist")
        try:
            os.listdir(base)  # glob hides an unreadable folder as "no match"
        except OSError as error:
            raise SourceError(
                f"versions folder {base} cannot be listed: {error.strerror or error}"
            ) from error
    found: dict[str, tuple[AnyPath, tuple[AnyPath, ...] | str]] = {}
    for match in glob.glob(pattern):
        path = Path(match)
        if _skipped(path.name) or path.name == MANIFEST_NAME:
            continue
        files: tuple[Path, ...] | str
        try:
            if path.is_dir():
                name, files = path.name, _data_files(path)
            elif data_kind(path) is not None:
                name, files = path.stem, (path,)
            elif path.is_symlink():
                os.stat(path)  # a loop or a link to nowhere raises here
                continue
            else:
                continue
        except FileNotFoundError:
            if not path.is_symlink():  # removed while we looked: it is no longer a version
                continue
            name = _entry_name(path)
            files = f"version {name!r} ({path}): a symbolic link leads to no file"
        except OSError as error:
            name, files = _entry_name(path), _cannot_read(path, error)
        if name in found:
            raise SourceError(f"two versions are named {name!r}: {found[name][0]} and {path}")
        found[name] = (path, files)
    order = _manifest_order(base) if not glob.has_magic(str(base)) else {}
    names = sorted(
        found,
        key=lambda n: (0, order[n], ()) if n in order else (1, 0, _natural_key(n)),
    )
    return {name: found[name] for name in names}


def _remote_versions(pattern: str) -> dict[str, tuple[AnyPath, tuple[AnyPath, ...] | str]]:
    """:func:`matching_versions` for a remote glob (natural order of names; no manifest)."""
    from collectors.sources import storage

    found: dict[str, tuple[AnyPath, tuple[AnyPath, ...] | str]] = {}
    for entry, files in storage.remote_matches(pattern):
        name = entry.stem if files is None else entry.name
        if name in found:
            raise SourceError(f"two versions are named {name!r}: {found[name][0]} and {entry}")
        found[name] = (entry, (entry,) if files is None else files)
    return {name: found[name] for name in sorted(found, key=_natural_key)}


def _manifest_order(folder: Path) -> dict[str, int]:
    """Rank of each name in ``folder/manifest.json`` (``{"order": [...]}``); empty when absent."""
    manifest = folder / MANIFEST_NAME
    if not manifest.is_file():
        return {}
    try:
        order = json.loads(manifest.read_text(encoding="utf-8")).get("order")
    except (OSError, ValueError, AttributeError) as error:
        raise SourceError(
            f"{manifest}: not a JSON object with an 'order' list ({error})"
        ) from error
    if not isinstance(order, list) or not all(isinstance(n, str) for n in order):
        raise SourceError(f"{manifest}: 'order' must be a list of version names")
    if len(set(order)) != len(order):
        repeated = sorted(n for n, count in Counter(order).items() if count > 1)
        raise SourceError(f"{manifest}: 'order' repeats {listed_names(repeated)}")
    return {name: rank for rank, name in enumerate(order)}


def fingerprint_files(paths: Sequence[AnyPath]) -> str:
    """Content hash (blake2b, 16 bytes, hex) over each file's name, size and bytes, in order.

    Remote objects are fingerprinted by name, size and ETag instead (no data read;
    :func:`collectors.sources.storage.fingerprint_objects`).
    """
    from collectors.sources import storage

    objects = [p for p in paths if isinstance(p, storage.ObjectPath)]
    if paths and len(objects) == len(paths):
        return storage.fingerprint_objects(objects)
    local = [p for p in paths if isinstance(p, Path)]
    if len(local) != len(paths):
        raise SourceError(f"cannot fingerprint local and remote files together: {paths[0]}, ...")
    digest = hashlib.blake2b(digest_size=16)
    for path in local:
        with open(path, "rb") as handle:
            digest.update(path.name.encode("utf-8") + b"\0")
            digest.update(os.fstat(handle.fileno()).st_size.to_bytes(8, "little"))
            while chunk := handle.read(_CHUNK_BYTES):
                digest.update(chunk)
    return digest.hexdigest()


def discover_versions(pattern: str) -> list[VersionRef]:
    """Every version matching ``pattern``, in manifest order then natural order of names.

    A match is a version folder (its data files, sorted) or a data file (named by its stem).
    Hidden and ``.tmp``/``.partial`` names and ``manifest.json`` are skipped; a version removed
    while it is being listed is left out. An entry that cannot be read is a version with a
    :attr:`VersionRef.problem`, so only that version fails. No match is an empty list (no version
    written yet); a versions folder that does not exist or cannot be listed is an error.
    """
    versions = []
    for name, (location, files) in matching_versions(pattern).items():
        if isinstance(files, str):
            versions.append(_unreadable(name, location, files))
            continue
        try:
            fingerprint = fingerprint_files(files)
        except FileNotFoundError:
            if any(p.is_symlink() for p in files):
                problem = f"version {name!r} ({location}): a symbolic link leads to no file"
                versions.append(_unreadable(name, location, problem))
            continue  # removed while we looked
        except OSError as error:
            where = next(
                (p for p in files if isinstance(p, Path) and not os.access(p, os.R_OK)), location
            )
            problem = f"version {name!r} ({where}): cannot read it: {error.strerror or error}"
            versions.append(_unreadable(name, location, problem))
            continue
        versions.append(VersionRef(name, files, fingerprint, location))
    return versions


def _unreadable(name: str, location: AnyPath, problem: str) -> VersionRef:
    """A version that cannot be read: fingerprinted by its problem and the entry's metadata."""
    stamp = ""
    if isinstance(location, Path):
        with contextlib.suppress(OSError):
            info = os.lstat(location)
            stamp = f"{info.st_mode}:{info.st_size}:{info.st_mtime_ns}"
    digest = hashlib.blake2b(f"{problem}\0{stamp}".encode(), digest_size=8).hexdigest()
    return VersionRef(name, (), f"unreadable:{digest}", location, problem)


def resolve_files(pattern: str) -> list[AnyPath]:
    """The data files of a reference or holdout glob (folders expand to their data files)."""
    from collectors.sources import storage

    files: list[AnyPath] = []
    if storage.is_remote(pattern):
        for entry, found in storage.remote_matches(pattern):
            files.extend((entry,) if found is None else found)
    for match in [] if files else sorted(glob.glob(pattern), key=_natural_key):
        path = Path(match)
        if _skipped(path.name):
            continue
        if path.is_dir():
            files.extend(_data_files(path))
        elif data_kind(path) is not None:
            files.append(path)
    if not files:
        suffixes = ", ".join(DATA_SUFFIXES)
        raise SourceError(f"pattern {pattern!r} matches no data files ({suffixes})")
    return files


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
    reader = READERS[kind]
    try:
        connection = duckdb.connect(config={"memory_limit": memory_limit} if memory_limit else {})
    except duckdb.Error as error:
        raise SourceError(f"memory_limit {memory_limit!r}: {_first_line(error)}") from error
    try:
        from collectors.sources import storage

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
