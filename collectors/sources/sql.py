"""SQL text for DuckDB: the one place identifiers and string literals are quoted.

Values that can be bound as parameters are bound (``?``); names of columns, and string literals
inside a ``read_parquet([...])`` list or a SQL macro, cannot be, and are quoted here (SQL:2016
5.2 <delimited identifier> and 5.3 <character string literal>: the quote character doubled).
"""

from __future__ import annotations

__all__ = ["literal", "quote"]


def quote(name: str) -> str:
    """A SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A SQL string literal, single-quoted."""
    return "'" + value.replace("'", "''") + "'"
