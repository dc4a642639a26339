"""The SQL side of record fingerprints: DuckDB expressions and the Arrow UDFs they call.

The same definition as :mod:`collectors.provenance.definition`, computed straight over Parquet/CSV
files: :func:`fingerprint_select` builds the SQL expression, :func:`register_functions` registers
the UDFs (the fast path of :mod:`collectors.provenance.vectorized`, and the Python reference).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import duckdb
import pyarrow as pa
from duckdb.func import FunctionNullHandling, PythonUDFType
from duckdb.sqltypes import DuckDBPyType

from collectors.provenance.definition import (
    EXACT_INTEGER,
    FINGERPRINT_TEXT_UDF,
    FINGERPRINT_UDF,
    UDF_NAME,
    ColumnKind,
    normalize_text,
)
from collectors.provenance.vectorized import fingerprint_arrow, fingerprint_text_arrow
from collectors.sources import SourceError
from collectors.sources.sql import quote

__all__ = ["column_kind", "fingerprint_query", "fingerprint_select", "register_functions"]

_INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}
_FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"}
_LIST_TYPE = re.compile(r"^(?P<element>.+?)(\[\]|\[\d+\])$")


def column_kind(duckdb_type: str, *, column: str, source: str = "") -> ColumnKind:
    """The fingerprint kind of a DuckDB column type; :class:`SourceError` when unsupported."""
    name = duckdb_type.upper().strip()
    if name == "VARCHAR" or name.startswith("VARCHAR("):
        return "text"
    if name == "BOOLEAN":
        return "boolean"
    if name in _INTEGER_TYPES:
        return "integer"
    if name in _FLOAT_TYPES or name.startswith("DECIMAL"):
        return "float"
    match = _LIST_TYPE.match(name)
    if match is not None:
        element = match.group("element")
        if element in _INTEGER_TYPES or element in _FLOAT_TYPES or element.startswith("DECIMAL"):
            return "vector"
    where = f"{source}: " if source else ""
    raise SourceError(
        f"{where}content column {column!r} has type {duckdb_type}; a fingerprint needs text, "
        "numbers, booleans or numeric lists/arrays"
    )


def _number_sql(value: str) -> str:
    v = f"CAST({value} AS DOUBLE)"
    return (
        f"CASE WHEN isnan({v}) THEN NULL "
        f"WHEN {v} = trunc({v}) AND abs({v}) < {EXACT_INTEGER} "
        f"THEN CAST(CAST({v} AS BIGINT) AS VARCHAR) "
        f"ELSE printf('%.6e', {v}) END"
    )


def _element_sql(element_type: str, value: str) -> str:
    if element_type in _INTEGER_TYPES:
        return f"CAST({value} AS VARCHAR)"
    return _number_sql(value)


def _token_sql(value: str, duckdb_type: str, kind: ColumnKind) -> str:
    """SQL of a non-text column's token (VARCHAR; NULL when content is missing)."""
    if kind == "boolean":
        return f"CASE WHEN {value} THEN 'true' WHEN NOT {value} THEN 'false' END"
    if kind == "integer":
        return f"CAST({value} AS VARCHAR)"
    if kind == "float":
        return _number_sql(value)
    element = _LIST_TYPE.match(duckdb_type.upper().strip())
    assert element is not None
    tokens = f"list_transform({value}, lambda x: {_element_sql(element.group('element'), 'x')})"
    return (
        f"CASE WHEN {value} IS NULL OR len(list_filter({tokens}, lambda x: x IS NULL)) > 0 "
        f"THEN NULL ELSE array_to_string({tokens}, chr(31)) END"
    )


def fingerprint_select(
    schema: Mapping[str, str],
    content_columns: Sequence[str],
    relation: str,
    *,
    keep: Sequence[str] = (),
    source: str = "",
) -> str:
    """SQL ``SELECT fingerprint, <keep...> FROM <relation>`` (``fingerprint`` is ``UBIGINT``).

    ``schema`` maps the relation's column names to DuckDB type names (``DESCRIBE``); ``keep``
    names further SQL expressions, each written as ``<expression> AS <name>`` or a bare column.
    The fingerprint is NULL where content is missing; it calls :data:`FINGERPRINT_UDF` (see
    :func:`register_functions`).
    """
    columns = [str(c) for c in content_columns]
    if not columns:
        raise ValueError("content_columns: at least one column is needed")
    if len(set(columns)) != len(columns):
        raise ValueError(f"content_columns must be distinct, got {columns}")
    where = f"{source}: " if source else ""
    cells: list[str] = []
    kinds = ""
    for column in columns:
        if column not in schema:
            raise SourceError(
                f"{where}content column {column!r} is missing (columns: {list(schema)})"
            )
        kind = column_kind(schema[column], column=column, source=source)
        value = quote(column)
        if kind == "text":
            cells.append(f"CAST({value} AS VARCHAR)")
            kinds += "t"
        else:
            cells.append(_token_sql(value, schema[column], kind))
            kinds += "r"
    if kinds == "t":
        fingerprint = f"{FINGERPRINT_TEXT_UDF}({cells[0]})"
    else:
        fingerprint = f"{FINGERPRINT_UDF}('{kinds}', [{', '.join(cells)}])"
    return f"SELECT {', '.join([f'{fingerprint} AS fingerprint', *keep])} FROM {relation}"


def fingerprint_query(
    connection: duckdb.DuckDBPyConnection,
    relation: str,
    content_columns: Sequence[str],
    *,
    keep: Sequence[str] = (),
) -> str:
    """:func:`fingerprint_select` over any relation, its schema read with ``DESCRIBE``.

    ``relation`` is SQL text (a table name, or ``read_parquet([...])``). Registers the UDF. For
    synthetic dumps and known-human corpora: ``INSERT INTO registry SELECT ... FROM (<query>)``.
    """
    register_functions(connection)
    rows = connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    schema = {row[0]: row[1] for row in rows}
    return fingerprint_select(schema, content_columns, relation, keep=keep)


def _normalize_arrow(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    return pa.array(
        [None if t is None else normalize_text(t) for t in texts.to_pylist()], type=pa.string()
    )


def _register(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    function: Callable[..., pa.Array],
    parameters: Sequence[DuckDBPyType],
    returns: DuckDBPyType,
    null_handling: FunctionNullHandling,
) -> None:
    try:
        connection.create_function(
            name,
            function,
            [*parameters],
            returns,
            type=PythonUDFType.ARROW,
            null_handling=null_handling,
            side_effects=False,
        )
    except (duckdb.NotImplementedException, duckdb.CatalogException) as error:
        if "already" not in str(error):  # registered meanwhile by another cursor
            raise


def register_functions(connection: duckdb.DuckDBPyConnection) -> None:
    """Register the fingerprint UDFs and :data:`UDF_NAME` (idempotent per database)."""
    names = [FINGERPRINT_UDF, FINGERPRINT_TEXT_UDF, UDF_NAME]
    present = {
        row[0]
        for row in connection.execute(
            "SELECT function_name FROM duckdb_functions() WHERE function_name IN (?, ?, ?)", names
        ).fetchall()
    }
    varchar, ubigint = duckdb.sqltypes.VARCHAR, duckdb.sqltypes.UBIGINT
    udf = tuple[Callable[..., pa.Array], list[DuckDBPyType], DuckDBPyType]
    # the fingerprints are NULL for a record with a NULL cell: "special" null handling
    functions: dict[str, udf] = {
        FINGERPRINT_UDF: (fingerprint_arrow, [varchar, duckdb.list_type(varchar)], ubigint),
        FINGERPRINT_TEXT_UDF: (fingerprint_text_arrow, [varchar], ubigint),
        UDF_NAME: (_normalize_arrow, [varchar], varchar),
    }
    for name, (function, parameters, returns) in functions.items():
        if name not in present:
            nulls = (
                FunctionNullHandling.DEFAULT if name == UDF_NAME else FunctionNullHandling.SPECIAL
            )
            _register(connection, name, function, parameters, returns, nulls)
