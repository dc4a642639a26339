"""The sampled figures of a corpus scan: tail frequency and near-duplicate leakage.

Tails: :mod:`collectors.metrics.tails` on seeded samples of this snapshot and the first one
(Shumailov
et al. 2024, Nature). Near-duplicates: :mod:`collectors.corpus.near_duplicates` on a seeded sample
of
the rows not labelled synthetic.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import duckdb
import numpy as np

from collectors.corpus.near_duplicates import (
    NearDuplicateDetector,
    NearDuplicateResult,
    TextNearDuplicates,
)
from collectors.corpus.settings import CorpusSettings
from collectors.corpus.sql import failure, first_line, literal, quote, reader, schemas
from collectors.metrics import categorical_tails, numeric_tail_frequency, summarize_tails
from collectors.sources import AnyPath, SourceError, as_path

__all__ = ["content_texts", "content_vectors", "near_duplicates_sample", "tails"]

NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")


def content_texts(sample: Mapping[str, Sequence[object]], columns: Sequence[str]) -> list[str]:
    """One text per row, the content columns joined by newlines: what text near-duplicate
    detection compares (registry, known-human and corpus rows alike)."""
    rows = zip(*(sample[c] for c in columns), strict=True)
    return ["\n".join(str(value) for value in row) for row in rows]


def content_vectors(
    sample: Mapping[str, Sequence[object]],
    columns: Sequence[str],
    vector_columns: Collection[str],
) -> np.ndarray:
    """Rows as float vectors: ``vector_columns`` stacked, the others one number each."""
    parts = []
    for column in columns:
        values = sample[column]
        try:
            if column in vector_columns:
                parts.append(np.stack([np.asarray(v, dtype=float) for v in values]))
            else:
                parts.append(np.asarray(values, dtype=float).reshape(-1, 1))
        except (TypeError, ValueError) as error:
            raise SourceError(
                f"content column {column!r} is neither text, numeric nor a vector: "
                "near-duplicates need one of these"
            ) from error
    return np.hstack(parts)


def tail_columns(schema: dict[str, str], settings: CorpusSettings) -> list[str]:
    """The tail columns: the configured ones, else every other numeric or text column."""
    if settings.tail_columns is not None:
        return list(settings.tail_columns)
    skip = {settings.provenance_column, *settings.content_columns}
    skip |= {c for c in (settings.generator_column, settings.version_column) if c}
    return [
        c
        for c, kind in schema.items()
        if c not in skip
        and (kind.upper().startswith(NUMERIC) or kind.upper() in ("VARCHAR", "BOOLEAN"))
    ]


def draw_sample(
    connection: duckdb.DuckDBPyConnection,
    relation: str,
    columns: Sequence[str],
    size: int,
    seed: int,
    where: str = "TRUE",
) -> dict[str, list[object]]:
    """A seeded reservoir sample of ``columns`` (rows matching ``where``), by column."""
    listed = ", ".join(quote(c) for c in columns)
    result = connection.execute(
        f"SELECT {listed} FROM (SELECT {listed} FROM {relation} WHERE {where}) "
        f"USING SAMPLE reservoir({int(size)} ROWS) REPEATABLE ({int(seed)})"
    )
    rows = result.fetchall()
    return {c: [row[i] for row in rows] for i, c in enumerate(columns)}


def tails(
    connection: duckdb.DuckDBPyConnection,
    paths: Sequence[AnyPath],
    baseline: Sequence[AnyPath | str] | None,
    schema: dict[str, str],
    settings: CorpusSettings,
    label: str,
) -> dict[str, float]:
    """Tail frequency and rare-category mass against the first snapshot
    (collectors.metrics.tails)."""
    if not baseline:
        return {}
    first = [as_path(p) for p in baseline]
    if sorted(first) == sorted(paths):
        return {}
    columns = tail_columns(schema, settings)
    first_schema, first_files = schemas(connection, first, f"{label} (baseline)")
    columns = [
        c for c in columns if c in first_schema and all(c in s for s in first_files.values())
    ]
    if not columns:
        return {}
    try:
        now = draw_sample(connection, reader(paths, label), columns, settings.tail_sample, 1)
        then = draw_sample(connection, reader(first, label), columns, settings.tail_sample, 2)
    except duckdb.Error as error:
        raise failure(error, [*paths, *first], label) from error
    numeric, categorical = [], []
    for column in columns:
        old = [v for v in then[column] if v is not None]
        new = [v for v in now[column] if v is not None]
        if not old or not new:
            continue
        if schema[column].upper().startswith(NUMERIC):
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


def near_duplicates_sample(
    connection: duckdb.DuckDBPyConnection,
    relation: str,
    schema: dict[str, str],
    settings: CorpusSettings,
    detector: NearDuplicateDetector,
    label: str,
) -> NearDuplicateResult:
    """Near-duplicate leakage on a seeded sample of the rows not labelled synthetic."""
    synthetic = [literal(v) for v, lab in settings.provenance_labels.items() if lab == "synthetic"]
    raw = f"CAST({quote(settings.provenance_column)} AS VARCHAR)"
    where = f"{raw} IS NULL OR {raw} NOT IN ({', '.join(synthetic)})" if synthetic else "TRUE"
    columns = list(settings.content_columns)
    try:
        sample = draw_sample(
            connection, relation, columns, settings.near_duplicate_sample, settings.seed, where
        )
    except duckdb.Error as error:
        raise SourceError(f"{label}: near-duplicate sample: {first_line(error)}") from error
    if isinstance(detector, TextNearDuplicates):
        return detector.measure(content_texts(sample, columns))
    vectors = {c for c in columns if schema[c].endswith("]")}
    return detector.measure(content_vectors(sample, columns, vectors))
