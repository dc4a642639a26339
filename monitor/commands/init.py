"""``tailwatch init DATA``: a commented config written from a data folder.

Finds the reference (``reference``, ``real``, ``train`` ...), the holdout (``holdout``, ``test``,
``validation`` ...) and the versions (``versions``, ``synthetic``, ``generations`` ...) as folders
or files, reads the reference's schema (Parquet footer or CSV header, plus one pass of DuckDB for
the cardinality of each column) and lists its columns; strings and booleans are categorical, and
so are integer columns with few distinct values (at most ``MAX_CODES`` and at most 5 % of the
rows); timestamps and dates are measured as datetimes. Columns that carry no distribution to
compare are left out of ``columns``, each with one line saying why: identifiers (strings with
more distinct values than half the rows, integers unique per row named like an id), free text
(long or many-word strings: a text generator's ``text_column``), columns missing in every row and
types Tailwatch does not measure. What it could not find is left commented out with a note. Run
``tailwatch validate`` on the result: it accepts whatever ``init`` writes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from collectors.sources import data_kind, quote
from collectors.sources.kinds import ID_UNIQUE_SHARE, TEXT_MIN_CHARS, TEXT_MIN_WORDS, id_name
from monitor.commands.validate import usable_type
from monitor.settings import NAME_PATTERN, StorageSettings

__all__ = [
    "Layout",
    "add_arguments",
    "command_init",
    "detect",
    "render_config",
    "sequence_columns",
]

REFERENCE = ("reference", "real", "train", "training", "original", "source")
HOLDOUT = ("holdout", "test", "validation", "valid", "eval", "heldout")
VERSIONS = ("versions", "synthetic", "generations", "generated", "samples", "outputs")
MAX_CODES = 20  # an integer column with at most this many distinct values is categorical
MIN_ENTITIES = 10  # a repeated key with fewer values is a category, not a sequence key
_INTEGER = re.compile(r"^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$")
_LABEL = re.compile(r"^(BOOLEAN|VARCHAR|ENUM\(.*\))$")
_TEXT = re.compile(r"^VARCHAR$")


@dataclass(frozen=True)
class Column:
    """One reference column: its DuckDB type, distinct values and whether it is categorical."""

    name: str
    duck_type: str
    distinct: int
    categorical: bool
    left_out: str | None = None  # why the column is not measured (identifier, free text, ...)


@dataclass(frozen=True)
class Layout:
    """What :func:`detect` found in a data folder (paths relative to the config's folder)."""

    reference: str | None
    holdout: str | None
    versions: str | None
    columns: tuple[Column, ...]
    rows: int
    notes: tuple[str, ...]


def _data_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path] if data_kind(path) else []
    return sorted(p for p in path.iterdir() if p.is_file() and data_kind(p))


def _entry(folder: Path, names: Sequence[str]) -> Path | None:
    """The first entry of ``folder`` whose stem is one of ``names`` and that holds data."""
    for name in names:
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith("."):
                continue
            stem = entry.name if entry.is_dir() else entry.name.split(".")[0]
            if stem.lower() == name and (_data_files(entry) or entry.is_dir()):
                return entry
    return None


def _glob(entry: Path, base: Path, *, versions: bool = False) -> str:
    """The config's path or glob for ``entry`` relative to ``base``."""
    relative = Path(os.path.relpath(entry, base)).as_posix()
    if entry.is_file():
        return relative
    if versions:
        inner = [p for p in entry.iterdir() if not p.name.startswith(".")]
        if inner and all(p.is_dir() for p in inner):
            return f"{relative}/*"  # one folder per version
        kinds = {data_kind(p) for p in inner if p.is_file()} - {None}
        return f"{relative}/*.{kinds.pop()}" if len(kinds) == 1 else f"{relative}/*"
    kinds = {data_kind(p) for p in _data_files(entry)} - {None}
    return f"{relative}/*.{kinds.pop()}" if len(kinds) == 1 else f"{relative}/*"


def _columns(files: Sequence[Path]) -> tuple[tuple[Column, ...], int]:
    """The reference's columns with types and cardinality, and its row count."""
    kinds = {data_kind(p) for p in files}
    if kinds == {"npy"} or not files:
        return (), 0
    reader = "read_parquet" if kinds == {"parquet"} else "read_csv"
    paths = [str(p) for p in files]
    with duckdb.connect() as con:
        source = f"{reader}(?)"
        described = [
            (str(r[0]), str(r[1]))
            for r in con.execute(f"DESCRIBE SELECT * FROM {source}", [paths]).fetchall()
            if not str(r[0]).startswith("__index")
        ]
        parts = []
        for name, duck_type in described:
            q = quote(name)
            text = _TEXT.match(duck_type)
            length = f"median(length({q}))" if text else "NULL"
            words = f"median(len(string_split(trim({q}), ' ')))" if text else "NULL"
            parts.append(f", approx_count_distinct({q}), count({q}), {length}, {words}")
        row = con.execute(f"SELECT count(*){''.join(parts)} FROM {source}", [paths]).fetchone()
    assert row is not None
    rows = int(row[0])
    columns = []
    for i, (name, duck_type) in enumerate(described):
        distinct, present, length, words = row[1 + 4 * i : 5 + 4 * i]
        distinct, present = int(distinct), int(present)
        few = distinct <= MAX_CODES and distinct <= max(2, 0.05 * rows)
        categorical = bool(_LABEL.match(duck_type)) or (bool(_INTEGER.match(duck_type)) and few)
        left_out = _left_out(name, duck_type, distinct, present, length, words)
        columns.append(Column(name, duck_type, distinct, categorical, left_out))
    return tuple(columns), rows


def _left_out(
    name: str,
    duck_type: str,
    distinct: int,
    present: int,
    length: float | None,
    words: float | None,
) -> str | None:
    """Why a reference column is not measured, or None (the rules of
    :func:`collectors.sources.kinds.excluded_reason`, on DuckDB's counts)."""
    if present == 0:
        return "missing in every row"
    if not usable_type(duck_type):
        return f"type {duck_type} is not measured"
    if duck_type == "UUID":
        return "identifier (UUID)"
    if _TEXT.match(duck_type):
        if (length or 0) >= TEXT_MIN_CHARS or (words or 0) >= TEXT_MIN_WORDS:
            return "free text; measure it as a text generator with text_column"
        if present >= 20 and distinct > ID_UNIQUE_SHARE * present:
            return f"identifier: ~{distinct} distinct strings in {present} rows"
    if _INTEGER.match(duck_type) and id_name(name) and present >= 20 and distinct >= 0.97 * present:
        return f"identifier: an integer unique per row (~{distinct} distinct in {present} rows)"
    return None


def detect(data: Path, base: Path) -> Layout:
    """Find reference, holdout and versions in ``data``; paths relative to ``base``."""
    notes: list[str] = []
    reference = _entry(data, REFERENCE)
    holdout = _entry(data, HOLDOUT)
    versions = _entry(data, VERSIONS)
    if reference is None:
        notes.append(f"no reference found (a folder or file named one of {', '.join(REFERENCE)})")
    if holdout is None:
        notes.append("no holdout found: 20 % of the reference is held out")
    if versions is None:
        notes.append("no versions found (a folder named one of " + ", ".join(VERSIONS) + ")")
    columns, rows = _columns(_data_files(reference)) if reference is not None else ((), 0)
    return Layout(
        reference=None if reference is None else _glob(reference, base),
        holdout=None if holdout is None else _glob(holdout, base),
        versions=None if versions is None else _glob(versions, base, versions=True),
        columns=columns,
        rows=rows,
        notes=tuple(notes),
    )


def _toml(value: object) -> str:
    return json.dumps(value)  # a TOML basic string or array of strings is JSON's form


def sequence_columns(layout: Layout) -> tuple[Column, Column] | None:
    """(entity, time) when the reference looks like sequences (issue 28): a timestamp or date
    column, and a repeated key: a string column (not free text), or an integer one named like an
    identifier, whose values recur
    (at most half as many distinct values as rows, at least ``MIN_ENTITIES`` of them); an
    identifier-like name first, then the most distinct values."""
    times = [
        c
        for c in layout.columns
        if c.left_out is None and ("TIMESTAMP" in c.duck_type or c.duck_type == "DATE")
    ]
    keys = [
        c
        for c in layout.columns
        if (_TEXT.match(c.duck_type) or (_INTEGER.match(c.duck_type) and id_name(c.name)))
        and (c.left_out is None or c.left_out.startswith("identifier"))
        and MIN_ENTITIES <= c.distinct <= layout.rows / 2
    ]
    if not times or not keys:
        return None
    key = max(keys, key=lambda c: (id_name(c.name), c.distinct))
    return key, times[0]


def render_config(layout: Layout, name: str, data: Path) -> str:
    """The commented TOML for ``layout``."""
    sequence = sequence_columns(layout)
    entity = sequence[0].name if sequence else None
    measured = [c for c in layout.columns if c.left_out is None or c.name == entity]
    categorical = [c.name for c in measured if c.categorical and c.name != entity]
    sample_size = 5000 if not layout.rows else max(10, min(5000, layout.rows // 2))
    if sequence is not None:  # entities per version
        sample_size = max(10, min(5000, sequence[0].distinct // 2))
    lines = [
        f"# Written by 'tailwatch init' from {data}. Check it with:",
        "#   tailwatch validate --config <this file>",
        "# Every key: monitor/settings.py; a full example: deploy/tailwatch.toml.",
        *(f"# NOTE: {note}" for note in layout.notes),
        "",
        "[storage]",
        'path = "tailwatch.duckdb"               # the history (DuckDB), beside this file',
        "# keep_versions = 200                   # retention: prune older versions' detail",
        "",
        "[exporter]",
        'host = "127.0.0.1"                      # loopback; /metrics, /api/status, /runbooks/',
        "port = 9108",
        "",
        "[[generators]]",
        f"name = {_toml(name)}",
    ]
    ref = f"reference = {_toml(layout.reference)}" if layout.reference else 'reference = "TODO"'
    lines.append(f"{ref:<39} # the real data every version is measured against")
    if layout.holdout:
        hold = f"holdout = {_toml(layout.holdout)}"
        lines.append(f"{hold:<39} # real rows kept out: the healthy real-vs-real level")
    else:
        lines.append('# holdout = "holdout/*.parquet"       # else 20 % of the reference')
    if layout.versions:
        ver = f"versions = {_toml(layout.versions)}"
        lines.append(f"{ver:<39} # one version per match, natural order")
    else:
        lines.append('# versions = "versions/*.parquet"     # or sampler = "package.module:fn"')
    if layout.columns:
        lines.append("# Columns of the reference (type, distinct values):")
        for column in layout.columns:
            kind = "categorical" if column.categorical else "measured as is"
            if "TIMESTAMP" in column.duck_type or column.duck_type == "DATE":
                kind = "datetime: drift, tails, calendar, range"
            kind = f"left out: {column.left_out}" if column.left_out else kind
            lines.append(
                f"#   {column.name}: {column.duck_type}, ~{column.distinct} distinct ({kind})"
            )
        lines.append(
            "# Missing values are measured (a missing share per column; see README, Configuration)."
        )
        names = [c.name for c in measured]
        lines.append(f"columns = {_toml(names)}")
        cat = f"categorical = {_toml(categorical)}"
        lines.append(
            f"{cat:<39} # strings, booleans, integers with <= {MAX_CODES} values (<= 5 % of rows)"
        )
    if sequence is not None:
        key, time = sequence
        lines += [
            f"# Sequences: {key.name!r} repeats (~{key.distinct} keys in {layout.rows} rows) and "
            f"{time.name!r} is a timestamp:",
            "# each key's rows are one sequence, sampled whole, ordered by time (issue 28).",
            f"{f'entity_column = {_toml(key.name)}':<39} # the sequence key",
            f"{f'time_column = {_toml(time.name)}':<39} # the order within a sequence",
        ]
    drawn = "entities (whole sequences)" if sequence is not None else "rows"
    lines += [
        f"{f'sample_size = {sample_size}':<39} # {drawn} drawn from each version",
        "k = 5                                   # neighbours of the k-NN balls",
        "interval_seconds = 60                   # how often the daemon looks for new versions",
        "",
        "[generators.checks]                     # change checks against the first version",
        "persistence = 2                         # versions in a row for 'collapse suspected'",
        "",
    ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``tailwatch init``'s arguments."""
    parser.add_argument("data", type=Path, help="folder holding reference, holdout, versions")
    parser.add_argument("--out", type=Path, default=Path("tailwatch.toml"), help="config to write")
    parser.add_argument("--name", default=None, help="generator name (default: the folder's)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing config")


def command_init(args: argparse.Namespace) -> int:
    """Write the config; 2 when the folder is missing or the file exists (without --force).

    Written under the default ``[storage] umask`` (0600), as every file Tailwatch writes.
    """
    os.umask(StorageSettings().umask_bits)
    data = args.data.expanduser().resolve()
    out = args.out.expanduser().resolve()
    if not data.is_dir():
        print(f"tailwatch init: {data} is not a folder", file=sys.stderr)
        return 2
    if out.exists() and not args.force:
        print(f"tailwatch init: {out} exists (--force overwrites it)", file=sys.stderr)
        return 2
    name = args.name or re.sub(r"[^A-Za-z0-9_.-]", "-", data.name).strip("-.") or "generator"
    if not re.match(NAME_PATTERN, name):
        print(f"tailwatch init: {name!r} is not a usable name (--name)", file=sys.stderr)
        return 2
    layout = detect(data, out.parent)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_config(layout, name, data), encoding="utf-8")
    print(f"wrote {out}")
    for note in layout.notes:
        print(f"note: {note}")
    for column in layout.columns:
        if column.left_out:
            print(f"left out: column {column.name!r}: {column.left_out} (list it in columns)")
    print(f"next: tailwatch validate --config {out}")
    return 0
