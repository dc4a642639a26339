"""``tailwatch validate``: what can be checked before any work, each problem named.

Checks every glob matches, reference and holdout (and the latest version or snapshot) can be read,
configured columns exist with types Tailwatch measures (numbers, booleans, strings, timestamps and
dates, numeric lists) and a timestamp column's time zone awareness is the reference's in the latest
version,
categorical columns exist, samplers import, the exporter's port is free and the store's folder is
writable. Schemas are read from Parquet footers and CSV headers only (no data is loaded), so a
check costs milliseconds per file. Each :class:`Problem` names the config key, and the path and
column where there is one.
"""

from __future__ import annotations

import argparse
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from collectors.sources import AnyPath, discover_versions, load_sampler, resolve_files
from collectors.sources.readers import describe_file
from monitor.settings import CorpusSettings, GeneratorSettings, Settings, load_settings
from monitor.watch import probe_writable

__all__ = ["Problem", "command_validate", "config_note", "usable_type", "validate_settings"]

_NUMERIC = re.compile(
    r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|"
    r"FLOAT|DOUBLE|DECIMAL(\(\d+,\s*\d+\))?)$"
)
_LABEL = re.compile(r"^(BOOLEAN|VARCHAR|UUID|ENUM\(.*\))$")
# DuckDB names a zoned timestamp "TIMESTAMP WITH TIME ZONE" or, at nanoseconds, "TIMESTAMPTZ_NS".
_DATETIME = re.compile(r"^(DATE|TIMESTAMP(TZ)?(_S|_MS|_NS)?|TIMESTAMP WITH TIME ZONE)$")
_VECTOR = re.compile(r"^(.+)\[\d*\]$")


@dataclass(frozen=True)
class Problem:
    """One thing in the configuration that cannot work: key, path, column and why."""

    key: str
    message: str
    path: str | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = "".join(
            f" {label}={value}"
            for label, value in (("path", self.path), ("column", self.column))
            if value
        )
        return f"{self.key}:{where} {self.message}"


def usable_type(duck_type: str) -> bool:
    """A column type the feature map embeds: number, boolean/string/enum, timestamp/date or a
    numeric list."""
    vector = _VECTOR.match(duck_type)
    if vector:
        return bool(_NUMERIC.match(vector.group(1)))
    return bool(_NUMERIC.match(duck_type) or _LABEL.match(duck_type) or _DATETIME.match(duck_type))


def _schema(path: AnyPath) -> dict[str, str]:
    """Column -> DuckDB type of one data file, from its footer or header; local or object
    storage, read as a scan reads it (:func:`collectors.sources.readers.describe_file`)."""
    return describe_file(path)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, key: str, message: str, path: object = None, column: str | None = None) -> None:
        self.problems.append(Problem(key, message, None if path is None else str(path), column))

    def files(self, key: str, pattern: str) -> list[AnyPath]:
        try:
            return resolve_files(pattern)
        except (ValueError, OSError) as error:
            self.add(key, str(error), pattern)
            return []

    def schema(self, key: str, files: Sequence[AnyPath]) -> dict[str, str] | None:
        """The first file's schema; every file must be readable (footer/header only)."""
        first: dict[str, str] | None = None
        for path in files:
            try:
                schema = _schema(path)
            except (duckdb.Error, OSError, ValueError) as error:
                cause = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
                self.add(key, f"cannot read it: {cause}", path)
                return None
            first = schema if first is None else first
        return first

    def columns(
        self,
        key: str,
        schema: dict[str, str],
        path: object,
        wanted: Iterable[str],
        *,
        typed: bool = True,
    ) -> None:
        for column in wanted:
            if column not in schema:
                known = ", ".join(list(schema)[:8])
                self.add(key, f"column {column!r} does not exist (columns: {known})", path, column)
            elif typed and not usable_type(schema[column]):
                self.add(
                    key,
                    f"column {column!r} has type {schema[column]}, which Tailwatch cannot "
                    "measure (numbers, booleans, strings, timestamps, dates or numeric lists)",
                    path,
                    column,
                )


def _generator(check: _Checker, i: int, g: GeneratorSettings) -> None:
    key = f"generators[{i}] ({g.name})"
    columns = list(g.columns or [])
    categorical = list(g.categorical)
    reference_schema = None
    for field in ("reference", "holdout"):
        pattern = getattr(g, field)
        if pattern is None:
            continue
        files = check.files(f"{key}.{field}", pattern)
        schema = check.schema(f"{key}.{field}", files) if files else None
        if schema is None:
            continue
        reference_schema = reference_schema or schema
        wanted = columns or list(schema)
        check.columns(f"{key}.columns", schema, files[0], wanted, typed=False)
        check.columns(f"{key}.categorical", schema, files[0], categorical, typed=False)
        monitored = list(g.monitored_columns or [])
        check.columns(f"{key}.monitored_columns", schema, files[0], monitored, typed=False)
        numeric = [c for c in wanted if c not in categorical and c in schema]
        check.columns(f"{key}.columns", schema, files[0], numeric)
        _sequence_columns(check, key, g, schema, files[0])
    if g.sampler is not None:
        try:
            load_sampler(g.sampler)
        except (ValueError, ImportError) as error:
            check.add(f"{key}.sampler", str(error))
        return
    try:
        versions = discover_versions(g.versions or "")
    except (ValueError, OSError) as error:
        check.add(f"{key}.versions", str(error), g.versions)
        return
    if not versions:
        check.add(f"{key}.versions", "pattern matches no version", g.versions)
        return
    latest = versions[-1]
    if latest.problem:
        check.add(f"{key}.versions", latest.problem, latest.location)
        return
    schema = check.schema(f"{key}.versions", latest.paths)
    if schema is not None and reference_schema is not None:
        wanted = columns or list(reference_schema)
        check.columns(f"{key}.versions", schema, latest.paths[0], wanted, typed=False)
        _sequence_columns(check, key, g, schema, latest.paths[0])
        for column in wanted:
            then, now = reference_schema.get(column, ""), schema.get(column, "")
            if _DATETIME.match(then) and _DATETIME.match(now) and _aware(then) != _aware(now):
                check.add(
                    f"{key}.versions",
                    f"column {column!r} is {now} ({_zone(now)}) in the latest version but "
                    f"{then} ({_zone(then)}) in the reference: a time zone mismatch (convert "
                    "both to one zone)",
                    latest.paths[0],
                    column,
                )


def _orders(duck_type: str) -> bool:
    return bool(_NUMERIC.match(duck_type) or _DATETIME.match(duck_type))


def _sequence_columns(
    check: _Checker, key: str, g: GeneratorSettings, schema: dict[str, str], path: object
) -> None:
    """The sequence key and time column (issue 28) exist; the time orders events (a number, a
    date or a timestamp)."""
    for field in ("entity_column", "time_column"):
        column = getattr(g, field)
        if column is not None:
            check.columns(f"{key}.{field}", schema, path, [column], typed=False)
    time = g.time_column
    ordered = time is not None and time in schema and _orders(schema[time])
    if time is not None and time in schema and not ordered:
        check.add(
            f"{key}.time_column",
            f"column {time!r} has type {schema[time]}: the order of events within a sequence "
            "needs a number, a date or a timestamp",
            path,
            time,
        )


def _zone(duck_type: str) -> str:
    return "zoned" if _aware(duck_type) else "naive"


def _aware(duck_type: str) -> bool:
    return duck_type.endswith("WITH TIME ZONE") or duck_type.startswith("TIMESTAMPTZ")


def _corpus(check: _Checker, i: int, c: CorpusSettings) -> None:
    key = f"corpora[{i}] ({c.name})"
    try:
        snapshots = discover_versions(c.snapshots)
    except (ValueError, OSError) as error:
        check.add(f"{key}.snapshots", str(error), c.snapshots)
        return
    if not snapshots:
        check.add(f"{key}.snapshots", "pattern matches no snapshot", c.snapshots)
        return
    latest = snapshots[-1]
    schema = check.schema(f"{key}.snapshots", latest.paths) if not latest.problem else None
    if latest.problem:
        check.add(f"{key}.snapshots", latest.problem, latest.location)
    if schema is None:
        return
    path = latest.paths[0]
    check.columns(f"{key}.content_columns", schema, path, c.content_columns, typed=False)
    for field in ("provenance_column", "generator_column", "version_column"):
        column = getattr(c, field)
        if column is not None:
            check.columns(f"{key}.{field}", schema, path, [column], typed=False)


def _port(check: _Checker, host: str, port: int) -> None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        check.add("exporter.host", f"cannot resolve {host!r}: {error}")
        return
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            check.add("exporter.port", f"{host}:{port} cannot be bound: {error.strerror or error}")


def validate_settings(
    settings: Settings,
    *,
    subjects: Iterable[tuple[str, str]] | None = None,
    exporter: bool = True,
) -> list[Problem]:
    """Every problem found; ``subjects`` ((kind, name) pairs) narrows which are checked."""
    chosen = None if subjects is None else set(subjects)
    check = _Checker()
    for i, g in enumerate(settings.generators):
        if chosen is None or ("generator", g.name) in chosen:
            _generator(check, i, g)
    for i, c in enumerate(settings.corpora):
        if chosen is None or ("corpus", c.name) in chosen:
            _corpus(check, i, c)
    if chosen is None:
        for section in ("synthetic_dumps", "known_human"):
            for i, entry in enumerate(getattr(settings, section)):
                key = f"{section}[{i}] ({entry.name})"
                files = check.files(f"{key}.path", entry.path)
                schema = check.schema(f"{key}.path", files) if files else None
                if schema is not None:
                    check.columns(
                        f"{key}.content_columns", schema, files[0], entry.content_columns,
                        typed=False,
                    )  # fmt: skip
    store = Path(settings.storage.path)
    try:
        probe_writable(store.parent)
    except Exception as error:
        check.add("storage.path", f"the store's folder is not writable: {error}", store.parent)
    if exporter:
        _port(check, settings.exporter.host, settings.exporter.port)
    return check.problems


def config_note(path: Path | None) -> str | None:
    """A line saying the config file is missing (``--config`` absent, no ./tailwatch.toml)."""
    if path is not None or Path("tailwatch.toml").is_file():
        return None
    return (
        f"no config file: {Path.cwd() / 'tailwatch.toml'} does not exist and --config was not "
        "given; using defaults and TAILWATCH_ environment variables"
    )


def command_validate(args: argparse.Namespace) -> int:
    """``tailwatch validate``: 0 when nothing is wrong, else every problem and exit 2."""
    settings = load_settings(args.config)  # a bad key or a missing file: ConfigError (exit 2)
    settings.configure_storage()
    problems = validate_settings(settings, exporter=not args.no_port)
    where = settings.config_file or "defaults and environment"
    if not problems:
        print(f"{where}: ok")
        return 0
    print(f"{where}: {len(problems)} problem(s)")
    for problem in problems:
        print(f"  {problem}")
    return 2
