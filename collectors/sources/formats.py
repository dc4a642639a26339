"""The one table of data file formats: which names are data, how each is read, and by which paths.

Every path that finds or reads data files asks this table: local and object-storage discovery
(:mod:`collectors.sources.readers`, :mod:`collectors.sources.storage`), the readers (DuckDB table
function, or numpy for ``.npy``), corpus snapshots (:mod:`collectors.corpus.sql`), sampled corpus
scans (row groups: :mod:`collectors.corpus.sampling`) and the Ray engine
(:mod:`collectors.corpus.ray_scan`). Adding a format is one :class:`FileFormat` entry here.

Discovery is the same everywhere: a data file is a file whose suffix (case-insensitive) is in the
table; hidden names and ``.tmp``/``.partial`` names are skipped (writers write, then rename).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

__all__ = [
    "FORMATS",
    "FileFormat",
    "by_kind",
    "format_of",
    "is_data_name",
    "is_skipped",
    "single_format",
    "suffixes",
]

TEMP_SUFFIXES = (".tmp", ".partial")


@dataclass(frozen=True)
class FileFormat:
    """One data file format.

    ``kind``: its name (``parquet``); ``suffixes``: the file name endings that are this format;
    ``duckdb``: the DuckDB table function that reads it (None: read by numpy, one ``vector``
    column, no named columns, hence no corpus snapshot); ``ray``: the :mod:`ray.data` function
    that reads it (None: the Ray engine refuses it); ``row_groups``: files carry row groups in
    their footer, so a corpus snapshot can be sampled by row group.
    """

    kind: str
    suffixes: tuple[str, ...]
    duckdb: str | None
    ray: str | None
    row_groups: bool = False

    @property
    def columns(self) -> bool:
        """Named columns (a corpus snapshot can be scanned): read by DuckDB."""
        return self.duckdb is not None


FORMATS: tuple[FileFormat, ...] = (
    FileFormat("parquet", (".parquet",), "read_parquet", "read_parquet", row_groups=True),
    FileFormat("csv", (".csv",), "read_csv", "read_csv"),
    # newline-delimited JSON: one record a line (text generators' output)
    FileFormat("json", (".jsonl", ".ndjson"), "read_json", "read_json"),
    FileFormat("npy", (".npy",), None, None),  # a 2-D numeric array: one ``vector`` column
)
_BY_SUFFIX = {suffix: fmt for fmt in FORMATS for suffix in fmt.suffixes}
_BY_KIND = {fmt.kind: fmt for fmt in FORMATS}


def suffixes(*, columns: bool = False) -> tuple[str, ...]:
    """Every data suffix (with ``columns``, only those of formats with named columns)."""
    return tuple(s for fmt in FORMATS if fmt.columns or not columns for s in fmt.suffixes)


def _suffix(name: object) -> str:
    return PurePosixPath(str(getattr(name, "name", name))).suffix.lower()


def format_of(name: object) -> FileFormat | None:
    """The format of a file name, :class:`pathlib.Path` or ``ObjectPath``; None when not data."""
    return _BY_SUFFIX.get(_suffix(name))


def by_kind(kind: str) -> FileFormat:
    """The format called ``kind`` (``KeyError`` when unknown)."""
    return _BY_KIND[kind]


def is_skipped(name: str) -> bool:
    """Hidden and temporary names are skipped, so writers can write then rename atomically."""
    base = PurePosixPath(name).name
    return base.startswith(".") or base.endswith(TEMP_SUFFIXES)


def is_data_name(name: str) -> bool:
    """A name discovery takes as a data file: a known suffix, not hidden nor temporary."""
    return not is_skipped(name) and format_of(name) is not None


def single_format(paths: Sequence[object], label: str) -> FileFormat:
    """The one format of ``paths``; ``ValueError`` naming a non-data file or a mix of formats."""
    found: dict[str, object] = {}
    for path in paths:
        fmt = format_of(path)
        if fmt is None:
            raise ValueError(f"{label}: {path} is not a data file ({', '.join(suffixes())})")
        found.setdefault(fmt.kind, path)
    if len(found) != 1:
        mixed = ", ".join(f"{kind} ({path})" for kind, path in found.items())
        raise ValueError(f"{label}: mixes file kinds: {mixed}" if found else f"{label}: no files")
    return _BY_KIND[next(iter(found))]
