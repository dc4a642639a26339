"""DuckDB connections for reading data files (helpers of :mod:`collectors.sources.readers`)."""

from __future__ import annotations

import threading

import duckdb

__all__ = ["drop_local", "fresh_connection", "local_cursor"]

_LOCAL = threading.local()


def fresh_connection(memory_limit: str | None) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB database of its own (remote reads register file systems on it)."""
    return duckdb.connect(config={"memory_limit": memory_limit} if memory_limit else {})


def drop_local(memory_limit: str | None) -> None:
    """Close this thread's database for ``memory_limit`` (the next read opens a new one)."""
    database = getattr(_LOCAL, "databases", {}).pop(memory_limit, None)
    if database is not None:
        database.close()


def local_cursor(memory_limit: str | None) -> duckdb.DuckDBPyConnection:
    """A new connection (``cursor()``) to this thread's in-memory DuckDB database for reading
    local files under ``memory_limit``.

    Opening an in-memory database costs 30-45 ms (more than reading a 5,000 x 64 Parquet
    file); a cursor costs about 0.5 ms. Each thread keeps its own database per memory limit,
    so a read's memory bound is its own as with a fresh database, and the database holds no
    tables, views or file systems between reads (local reads attach none, remote reads take a
    fresh database); the external file cache is off, so nothing of a file outlives its read. A
    database whose query failed is dropped and opened anew by the next read.
    """
    databases: dict[str | None, duckdb.DuckDBPyConnection] = _LOCAL.__dict__.setdefault(
        "databases", {}
    )
    database = databases.get(memory_limit)
    if database is None:
        config: dict[str, str | bool | int | float | list[str]] = {
            "enable_external_file_cache": False
        }
        if memory_limit:
            config["memory_limit"] = memory_limit
        database = duckdb.connect(config=config)
        databases[memory_limit] = database
    return database.cursor()
