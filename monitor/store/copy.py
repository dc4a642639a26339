"""The one routine that copies the open database into a fresh, checked file.

Both the daemon's read copy (:meth:`monitor.store.database.Store.publish_snapshot`) and
``tailwatch prune``'s compaction (:func:`monitor.store.retention.compact_file`) copy the database
with ``COPY FROM DATABASE`` into a temporary file beside the target, check the copy
(:func:`monitor.store.integrity.check_integrity`) and atomically replace the target; a compacted
store is also given the index that ``COPY FROM DATABASE`` leaves out and synced to disk first.
A copy that fails its check never replaces anything and is deleted.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from monitor.store.integrity import IntegrityError, check_integrity
from monitor.store.schema import StoreError

__all__ = ["copy_database"]

# COPY FROM DATABASE leaves indexes out: the runs lookup index is made again in the copy.
_RUNS_INDEX = (
    "CREATE INDEX IF NOT EXISTS runs_subject_version_idx ON runs (subject_id, version, fingerprint)"
)


def copy_database(
    source: duckdb.DuckDBPyConnection | Path,
    target: str | Path,
    *,
    what: str,
    mode: int | None = None,
    durable: bool = False,
) -> int:
    """Copy a database over ``target``; returns the bytes written.

    ``source`` is a cursor of the open database (the caller serialises writes around the call:
    the copy must see whole transactions only) or the path of a file no one holds, opened here
    and closed before ``target`` is replaced (``target`` may be that file).
    ``what`` names the copy in errors ("the read copy", "the compacted copy of ..."); ``mode``
    sets the new file's permission bits (the umask's otherwise). ``durable`` (a copy that
    replaces the store itself) also makes the runs index and syncs the file to disk before the
    rename; a read copy can be made again and skips both (they doubled its cost). Raises
    :class:`StoreError` when the copy cannot be made or fails its check; ``target`` is then
    untouched.
    """
    target = Path(target)
    temporary = target.with_name(f".{target.name}.tmp")
    for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
        leftover.unlink(missing_ok=True)
    cursor = source if isinstance(source, duckdb.DuckDBPyConnection) else None
    try:
        if cursor is None:
            cursor = duckdb.connect(str(source))
        database = cursor.execute("SELECT current_database()").fetchone()
        assert database is not None
        cursor.execute("ATTACH ? AS tailwatch_copy", [str(temporary)])
        try:
            cursor.execute(f'COPY FROM DATABASE "{database[0]}" TO tailwatch_copy')
        finally:
            cursor.execute("DETACH tailwatch_copy")
    except duckdb.Error as error:
        temporary.unlink(missing_ok=True)
        raise StoreError(f"cannot write {what} ({temporary}): {error}") from error
    finally:
        if cursor is not None and cursor is not source:
            cursor.close()
    try:
        check = duckdb.connect(str(temporary), read_only=not durable)
        try:
            check_integrity(check, str(temporary), had_wal=False)
            if durable:
                check.execute(_RUNS_INDEX)
                check.execute("CHECKPOINT")
        finally:
            check.close()
    except (IntegrityError, duckdb.Error) as error:
        temporary.unlink(missing_ok=True)
        raise StoreError(f"{what} failed its check; kept {target}: {error}") from None
    if durable:
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
    if mode is not None:
        os.chmod(temporary, mode)
    written = temporary.stat().st_size
    temporary.replace(target)
    return written
