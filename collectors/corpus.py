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

Every row is fingerprinted once (:mod:`collectors.provenance`) into a temporary table of
(fingerprint, label code, generator, version); all figures are aggregates of that table, so the
snapshot's files are read once (twice more only for the tail and near-duplicate samples). With
``memory_limit`` set, DuckDB spills instead of failing (the setting is database-wide).

Definitions (every ratio is NaN when its denominator is 0):

- labels: raw provenance values map to ``human`` / ``synthetic`` / ``unknown`` through
  ``settings.labels``; values not in the mapping, and NULL, count as ``unknown`` and are reported
  in ``unrecognised_labels`` (the 10 most frequent) and ``unrecognised_label_rows``.
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
- tails: :mod:`collectors.tails` on seeded samples of this snapshot and the first one (Shumailov
  et al. 2024, Nature). Near-duplicates: :mod:`collectors.near_duplicates` on a seeded sample of
  the rows not labelled synthetic.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np

from collectors.near_duplicates import (
    NearDuplicateResult,
    TextNearDuplicates,
    VectorNearDuplicates,
)
from collectors.provenance import fingerprint_select, register_functions
from collectors.result import MetricValue
from collectors.sources import DATA_SUFFIXES, SourceError, resolve_files
from collectors.tails import categorical_tails, numeric_tail_frequency, summarize_tails

__all__ = [
    "GAUGE_FIELDS",
    "LABELS",
    "CorpusFigures",
    "CorpusSettings",
    "corpus_metrics",
    "scan_snapshot",
    "snapshot_files",
]

Label = Literal["human", "synthetic", "unknown"]
LABELS: tuple[Label, ...] = ("human", "synthetic", "unknown")
_CODES = {"human": 0, "synthetic": 1, "unknown": 2}
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_MAX_LISTED = 10


@dataclass(frozen=True)
class CorpusSettings:
    """How to read one corpus (the ``[[corpora]]`` entry of the configuration)."""

    content_columns: tuple[str, ...]
    provenance_column: str
    labels: Mapping[str, Label] = field(
        default_factory=lambda: {"human": "human", "synthetic": "synthetic", "unknown": "unknown"}
    )
    generator_column: str | None = None
    version_column: str | None = None
    max_synthetic_fraction: float | None = None
    human_only: bool = False
    tail_columns: tuple[str, ...] | None = None  # None: every other numeric/low-cardinality column
    tail_sample: int = 20_000
    max_categories: int = 1_000
    near_duplicate_sample: int = 2_000
    seed: int = 0
    memory_limit: str | None = None  # e.g. "2GB"; database-wide (SET memory_limit)
    max_generators: int = 20

    def __post_init__(self) -> None:
        if not self.content_columns:
            raise ValueError("content_columns: at least one column is needed")
        bad = {k: v for k, v in self.labels.items() if v not in LABELS}
        if bad:
            raise ValueError(f"labels: values must be one of {LABELS}, got {bad}")
        budget = self.max_synthetic_fraction
        if budget is not None and not 0 <= budget <= 1:
            raise ValueError(f"max_synthetic_fraction must lie in [0, 1], got {budget!r}")


@dataclass(frozen=True)
class CorpusFigures:
    """The figures of one snapshot; :data:`GAUGE_FIELDS` become ``tailwatch_corpus_<name>``."""

    rows: int
    human_rows: int
    synthetic_rows: int
    unknown_rows: int
    unrecognised_label_rows: int
    synthetic_fraction: float
    known_synthetic_fraction: float
    unlabeled_synthetic_rows: int
    unlabeled_synthetic_ratio: float
    budget_exceeded: int
    human_only_violation_rows: int
    rows_added: int
    rows_removed: int
    near_duplicate_sample_rows: int = 0
    near_duplicate_synthetic_rows: int = 0
    near_duplicate_synthetic_ratio: float = math.nan
    near_duplicate_synthetic_ratio_lower: float = math.nan
    near_duplicate_synthetic_ratio_upper: float = math.nan
    near_duplicate_expected_false_positives: float = math.nan
    tail_frequency_ratio: float = math.nan
    rare_category_mass_ratio: float = math.nan
    missing_categories: float = math.nan
    rows_by_generator: tuple[tuple[str, str | None, int], ...] = ()
    unlabeled_synthetic_by_generator: tuple[tuple[str, int], ...] = ()
    unrecognised_labels: tuple[tuple[str, int], ...] = ()
    near_duplicates: NearDuplicateResult | None = None


GAUGE_FIELDS: tuple[str, ...] = tuple(
    f.name
    for f in fields(CorpusFigures)
    if f.name
    not in {
        "human_rows",
        "synthetic_rows",
        "unknown_rows",
        "rows_by_generator",
        "unlabeled_synthetic_by_generator",
        "unrecognised_labels",
        "near_duplicates",
    }
)


def snapshot_files(location: Path | str) -> list[Path]:
    """The data files of one snapshot: a folder's Parquet/CSV files (sorted) or one file."""
    files = resolve_files(str(location))
    kinds = {p.suffix.lower() for p in files}
    if not kinds <= {".parquet", ".csv"}:
        raise SourceError(f"snapshot {location}: only Parquet and CSV files are scanned")
    return files


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _reader(files: Sequence[Path], label: str, *, extra: str = "") -> str:
    kinds = {DATA_SUFFIXES.get(p.suffix.lower()) for p in files}
    if len(kinds) != 1 or not kinds <= {"parquet", "csv"}:
        raise SourceError(f"{label}: mixes or lacks Parquet/CSV files ({sorted(map(str, kinds))})")
    function = "read_parquet" if kinds == {"parquet"} else "read_csv"
    listed = ", ".join(_literal(str(p)) for p in files)
    return f"{function}([{listed}], union_by_name = true{extra})"


def _failure(error: duckdb.Error, files: Sequence[Path], label: str) -> SourceError:
    gone = [p for p in files if not p.is_file()]
    if gone:
        return SourceError(f"{label}: file {gone[0]} no longer exists (removed during the scan)")
    named = [p for p in files if str(p) in str(error)]
    where = f"file {named[0]}" if named else f"files {', '.join(map(str, files[:3]))}"
    return SourceError(f"{label}: cannot read {where}: {_first_line(error)}")


def _schemas(
    connection: duckdb.DuckDBPyConnection, files: Sequence[Path], label: str
) -> tuple[dict[str, str], dict[Path, set[str]]]:
    """Column types of the union of the files, and each file's columns (every footer is read)."""
    union: dict[str, str] = {}
    per_file: dict[Path, set[str]] = {}
    for path in files:
        if not path.is_file():
            raise SourceError(f"{label}: file {path} no longer exists (removed after listing?)")
        try:
            rows = connection.execute(f"DESCRIBE SELECT * FROM {_reader([path], label)}").fetchall()
        except duckdb.Error as error:
            raise _failure(error, [path], label) from error
        per_file[path] = {row[0] for row in rows}
        for row in rows:
            union.setdefault(row[0], row[1])
    return union, per_file


def _require(per_file: dict[Path, set[str]], columns: Sequence[str], label: str) -> None:
    for path, present in per_file.items():
        missing = [c for c in columns if c not in present]
        if missing:
            raise SourceError(
                f"{label}: file {path} lacks column(s) {missing} (has {sorted(present)})"
            )


def _label_sql(settings: CorpusSettings) -> tuple[str, str]:
    """SQL of the label code (0 human, 1 synthetic, 2 unknown) and of the unrecognised raw value."""
    raw = f"CAST({_quote(settings.provenance_column)} AS VARCHAR)"
    branches = " ".join(
        f"WHEN {raw} = {_literal(value)} THEN {_CODES[label]}"
        for value, label in settings.labels.items()
    )
    code = f"CAST(CASE {branches} ELSE 2 END AS UTINYINT) AS _tw_label"
    known = ", ".join(_literal(v) for v in settings.labels) or "NULL"
    unrecognised = (
        f"CASE WHEN {raw} IS NULL THEN '<null>' WHEN {raw} NOT IN ({known}) THEN {raw} END "
        "AS _tw_raw"
    )
    return code, unrecognised


def _check_registry(connection: duckdb.DuckDBPyConnection, registry: str) -> None:
    try:
        rows = connection.execute(f"DESCRIBE SELECT * FROM {registry}").fetchall()
    except duckdb.Error as error:
        raise ValueError(f"registry relation {registry!r}: {_first_line(error)}") from error
    missing = {"fingerprint", "generator", "version", "known_human"} - {row[0] for row in rows}
    if missing:
        raise ValueError(f"registry relation {registry!r} lacks column(s) {sorted(missing)}")


def _null_content_error(
    connection: duckdb.DuckDBPyConnection,
    files: Sequence[Path],
    schema: dict[str, str],
    settings: CorpusSettings,
    label: str,
    count: int,
) -> SourceError:
    relation = _reader(files, label, extra=", filename = true")
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


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    value = connection.execute(sql).fetchall()[0][0]
    return int(value or 0)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def scan_snapshot(
    connection: duckdb.DuckDBPyConnection,
    files: Sequence[Path | str],
    registry: str,
    settings: CorpusSettings,
    *,
    previous_fingerprints: Path | str | None = None,
    fingerprints_out: Path | str | None = None,
    baseline: Sequence[Path | str] | None = None,
    near_duplicates: TextNearDuplicates | VectorNearDuplicates | None = None,
    source: str | None = None,
) -> CorpusFigures:
    """Scan one snapshot's files (see the module docstring for every definition).

    ``registry`` names a relation with columns ``fingerprint`` (UBIGINT), ``generator``,
    ``version`` and ``known_human`` (BOOLEAN). ``fingerprints_out`` receives this snapshot's
    fingerprint multiset as Parquet (``fingerprint``, ``rows``), written atomically: pass it as
    ``previous_fingerprints`` to the next scan. Raises :class:`SourceError` naming the file and
    column for a missing column, null content (with the row count), an unreadable file or a
    file that vanished; ``ValueError`` for a bad registry relation.
    """
    paths = [Path(p) for p in files]
    label = source or (f"snapshot {paths[0].parent}" if paths else "snapshot")
    if not paths:
        raise SourceError(f"{label}: no data files")
    _check_registry(connection, registry)
    if settings.memory_limit:
        connection.execute(f"SET memory_limit = {_literal(settings.memory_limit)}")
    schema, per_file = _schemas(connection, paths, label)
    extra = [settings.generator_column, settings.version_column]
    _require(
        per_file,
        [settings.provenance_column, *settings.content_columns, *[c for c in extra if c]],
        label,
    )
    register_functions(connection)
    code, unrecognised = _label_sql(settings)
    keep = [code, unrecognised]
    for column, alias in zip(extra, ("_tw_generator", "_tw_version"), strict=True):
        value = f"CAST({_quote(column)} AS VARCHAR)" if column else "CAST(NULL AS VARCHAR)"
        keep.append(f"{value} AS {alias}")
    table = f"_tw_scan_{uuid.uuid4().hex}"
    relation = _reader(paths, label)
    query = fingerprint_select(schema, settings.content_columns, relation, keep=keep, source=label)
    try:
        try:
            connection.execute(f"CREATE TEMP TABLE {table} AS {query}")
        except duckdb.Error as error:
            raise _failure(error, paths, label) from error
        nulls = _scalar(connection, f"SELECT count(*) FROM {table} WHERE fingerprint IS NULL")
        if nulls:
            raise _null_content_error(connection, paths, schema, settings, label, nulls)
        figures = _aggregate(connection, table, registry, settings, previous_fingerprints)
        if fingerprints_out is not None:
            _write_fingerprints(connection, table, Path(fingerprints_out))
    finally:
        connection.execute(f"DROP TABLE IF EXISTS {table}")
    tails = _tails(connection, paths, baseline, schema, settings, label)
    near = None
    if near_duplicates is not None:
        near = _near_duplicates(connection, relation, schema, settings, near_duplicates, label)
    return _combine(figures, tails, near)


def _aggregate(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    registry: str,
    settings: CorpusSettings,
    previous: Path | str | None,
) -> dict[str, object]:
    by_label = dict(
        connection.execute(f"SELECT _tw_label, count(*) FROM {table} GROUP BY 1").fetchall()
    )
    counts = {name: int(by_label.get(code, 0)) for name, code in _CODES.items()}
    rows = sum(counts.values())
    unrecognised = connection.execute(
        f"SELECT _tw_raw, count(*) FROM {table} WHERE _tw_raw IS NOT NULL "
        f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {_MAX_LISTED}"
    ).fetchall()
    unrecognised_rows = _scalar(connection, f"SELECT count(_tw_raw) FROM {table}")
    generators = connection.execute(
        f"SELECT _tw_generator, _tw_version, count(*) FROM {table} "
        f"WHERE _tw_generator IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 "
        f"LIMIT {int(settings.max_generators)}"
    ).fetchall()
    leaks = (
        f"(SELECT fingerprint FROM {registry} GROUP BY fingerprint "
        "HAVING NOT bool_or(coalesce(known_human, false)))"
    )
    leaked = _scalar(
        connection,
        f"SELECT count(*) FROM {table} SEMI JOIN {leaks} l USING (fingerprint) "
        "WHERE _tw_label <> 1",
    )
    leaked_by_generator = connection.execute(
        f"SELECT r.generator, count(*) FROM {table} t SEMI JOIN {leaks} l USING (fingerprint) "
        f"JOIN (SELECT DISTINCT fingerprint, CAST(generator AS VARCHAR) AS generator "
        f"FROM {registry}) r ON r.fingerprint = t.fingerprint "
        f"WHERE t._tw_label <> 1 GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall()
    if previous is None:
        added, removed = rows, 0
    else:
        added, removed = _difference(connection, table, Path(previous))
    not_synthetic = rows - counts["synthetic"]
    known_synthetic = _ratio(counts["synthetic"] + leaked, rows)
    budget = settings.max_synthetic_fraction
    return {
        "rows": rows,
        "human_rows": counts["human"],
        "synthetic_rows": counts["synthetic"],
        "unknown_rows": counts["unknown"],
        "unrecognised_label_rows": unrecognised_rows,
        "synthetic_fraction": _ratio(counts["synthetic"], rows),
        "known_synthetic_fraction": known_synthetic,
        "unlabeled_synthetic_rows": leaked,
        "unlabeled_synthetic_ratio": _ratio(leaked, not_synthetic),
        "budget_exceeded": int(budget is not None and known_synthetic > budget),
        "human_only_violation_rows": counts["synthetic"] + leaked if settings.human_only else 0,
        "rows_added": added,
        "rows_removed": removed,
        "rows_by_generator": tuple((str(g), v, int(n)) for g, v, n in generators),
        "unlabeled_synthetic_by_generator": tuple((str(g), int(n)) for g, n in leaked_by_generator),
        "unrecognised_labels": tuple((str(v), int(n)) for v, n in unrecognised),
    }


def _difference(
    connection: duckdb.DuckDBPyConnection, table: str, previous: Path
) -> tuple[int, int]:
    """Rows added and removed: the multiset difference of fingerprints."""
    if not previous.is_file():
        raise SourceError(f"previous fingerprints {previous} do not exist")
    try:
        row = connection.execute(
            f"SELECT sum(greatest(coalesce(c.n, 0) - coalesce(p.rows, 0), 0)), "
            f"sum(greatest(coalesce(p.rows, 0) - coalesce(c.n, 0), 0)) "
            f"FROM (SELECT fingerprint, count(*) AS n FROM {table} GROUP BY 1) c "
            f"FULL OUTER JOIN read_parquet({_literal(str(previous))}) p USING (fingerprint)"
        ).fetchall()[0]
    except duckdb.Error as error:
        raise SourceError(
            f"previous fingerprints {previous}: cannot read ({_first_line(error)})"
        ) from error
    return int(row[0] or 0), int(row[1] or 0)


def _write_fingerprints(connection: duckdb.DuckDBPyConnection, table: str, out: Path) -> None:
    partial = out.with_name(f".{out.name}.{uuid.uuid4().hex}.partial")
    connection.execute(
        f"COPY (SELECT fingerprint, count(*) AS rows FROM {table} GROUP BY 1 ORDER BY 1) "
        f"TO {_literal(str(partial))} (FORMAT parquet)"
    )
    os.replace(partial, out)


def _tail_columns(schema: dict[str, str], settings: CorpusSettings) -> list[str]:
    if settings.tail_columns is not None:
        return list(settings.tail_columns)
    skip = {settings.provenance_column, *settings.content_columns}
    skip |= {c for c in (settings.generator_column, settings.version_column) if c}
    return [
        c
        for c, kind in schema.items()
        if c not in skip
        and (kind.upper().startswith(_NUMERIC) or kind.upper() in ("VARCHAR", "BOOLEAN"))
    ]


def _sample(
    connection: duckdb.DuckDBPyConnection,
    relation: str,
    columns: Sequence[str],
    size: int,
    seed: int,
    where: str = "TRUE",
) -> dict[str, list[object]]:
    listed = ", ".join(_quote(c) for c in columns)
    result = connection.execute(
        f"SELECT {listed} FROM (SELECT {listed} FROM {relation} WHERE {where}) "
        f"USING SAMPLE reservoir({int(size)} ROWS) REPEATABLE ({int(seed)})"
    )
    rows = result.fetchall()
    return {c: [row[i] for row in rows] for i, c in enumerate(columns)}


def _tails(
    connection: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    baseline: Sequence[Path | str] | None,
    schema: dict[str, str],
    settings: CorpusSettings,
    label: str,
) -> dict[str, float]:
    """Tail frequency and rare-category mass against the first snapshot (collectors.tails)."""
    if not baseline:
        return {}
    first = [Path(p) for p in baseline]
    if sorted(first) == sorted(paths):
        return {}
    columns = _tail_columns(schema, settings)
    first_schema, first_files = _schemas(connection, first, f"{label} (baseline)")
    columns = [
        c for c in columns if c in first_schema and all(c in s for s in first_files.values())
    ]
    if not columns:
        return {}
    try:
        now = _sample(connection, _reader(paths, label), columns, settings.tail_sample, 1)
        then = _sample(connection, _reader(first, label), columns, settings.tail_sample, 2)
    except duckdb.Error as error:
        raise _failure(error, [*paths, *first], label) from error
    numeric, categorical = [], []
    for column in columns:
        old = [v for v in then[column] if v is not None]
        new = [v for v in now[column] if v is not None]
        if not old or not new:
            continue
        if schema[column].upper().startswith(_NUMERIC):
            old_array = np.asarray(old, dtype=float)
            new_array = np.asarray(new, dtype=float)
            old_array, new_array = (
                old_array[np.isfinite(old_array)],
                new_array[np.isfinite(new_array)],
            )
            if old_array.size and new_array.size:
                numeric += numeric_tail_frequency(old_array, new_array, features=[column])
        elif len(set(old)) <= settings.max_categories:
            categorical.append(categorical_tails(old, new, feature=column))
    return summarize_tails(numeric, categorical)


def _near_duplicates(
    connection: duckdb.DuckDBPyConnection,
    relation: str,
    schema: dict[str, str],
    settings: CorpusSettings,
    detector: TextNearDuplicates | VectorNearDuplicates,
    label: str,
) -> NearDuplicateResult:
    """Near-duplicate leakage on a seeded sample of the rows not labelled synthetic."""
    synthetic = [_literal(v) for v, lab in settings.labels.items() if lab == "synthetic"]
    raw = f"CAST({_quote(settings.provenance_column)} AS VARCHAR)"
    where = f"{raw} IS NULL OR {raw} NOT IN ({', '.join(synthetic)})" if synthetic else "TRUE"
    columns = list(settings.content_columns)
    try:
        sample = _sample(
            connection, relation, columns, settings.near_duplicate_sample, settings.seed, where
        )
    except duckdb.Error as error:
        raise SourceError(f"{label}: near-duplicate sample: {_first_line(error)}") from error
    if isinstance(detector, TextNearDuplicates):
        texts = [
            "\n".join(str(sample[c][i]) for c in columns) for i in range(len(sample[columns[0]]))
        ]
        return detector.measure(texts)
    parts = [
        np.stack([np.asarray(v, dtype=float) for v in sample[c]])
        if schema[c].endswith("]")
        else np.asarray(sample[c], dtype=float).reshape(-1, 1)
        for c in columns
    ]
    return detector.measure(np.hstack(parts))


def _combine(
    figures: dict[str, object], tails: dict[str, float], near: NearDuplicateResult | None
) -> CorpusFigures:
    values = dict(figures)
    for name in ("tail_frequency_ratio", "rare_category_mass_ratio", "missing_categories"):
        values[name] = float(tails.get(name, math.nan))
    if near is not None:
        values |= {
            "near_duplicate_sample_rows": near.sample_rows,
            "near_duplicate_synthetic_rows": near.count,
            "near_duplicate_synthetic_ratio": near.ratio,
            "near_duplicate_synthetic_ratio_lower": near.ratio_lower,
            "near_duplicate_synthetic_ratio_upper": near.ratio_upper,
            "near_duplicate_expected_false_positives": near.expected_false_positives,
            "near_duplicates": near,
        }
    return CorpusFigures(**values)  # type: ignore[arg-type]


def corpus_metrics(figures: CorpusFigures) -> list[MetricValue]:
    """The figures as MetricValues for ``RunResult(subject_kind="corpus")``; NaN ones left out.

    Scopes: ``snapshot`` (whole-snapshot figures, one per :data:`GAUGE_FIELDS` name),
    ``provenance:<human|synthetic|unknown>`` (metric ``rows``: the mix, a bounded label set),
    ``generator:<name>`` or ``generator:<name>@<version>`` (metric ``rows``, and
    ``unlabeled_synthetic_rows`` by generator of origin).
    """
    out = [
        MetricValue(name, "snapshot", float(getattr(figures, name)))
        for name in GAUGE_FIELDS
        if not math.isnan(float(getattr(figures, name)))
    ]
    for name in LABELS:
        out.append(
            MetricValue("rows", f"provenance:{name}", float(getattr(figures, f"{name}_rows")))
        )
    for generator, version, n in figures.rows_by_generator:
        scope = f"generator:{generator}" + (f"@{version}" if version is not None else "")
        out.append(MetricValue("rows", scope, float(n)))
    for generator, n in figures.unlabeled_synthetic_by_generator:
        out.append(MetricValue("unlabeled_synthetic_rows", f"generator:{generator}", float(n)))
    return out
