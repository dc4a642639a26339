"""The DuckDB store: run history of every subject, written one transaction per run.

One process owns the file (DuckDB allows a single writer process, and no other process can open
the file while it is held, not even read-only). Open one ``Store`` per process and share it:
each thread gets its own cursor, so scheduler jobs and the exporter's HTTP thread can use it
together; writes are serialised by a lock that reads never take. Times go in as aware datetimes
(naive ones are taken as UTC) and come back as aware UTC datetimes.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import math
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from collectors.result import RunResult
from monitor.store import schema as sql
from monitor.store.copy import copy_database
from monitor.store.integrity import IntegrityError, check_integrity
from monitor.store.reads import LatestRun, figures_by_version, latest_run
from monitor.store.schema import (
    LATEST_VERSION,
    StoreError,
    check_not_newer,
    current_version,
    migrate,
)

__all__ = [
    "FAILED_FIGURES",
    "LATEST_VERSION",
    "Store",
    "StoreDamaged",
    "StoreError",
    "StoreLocked",
    "SubjectStatus",
    "locked_error",
    "open_history",
    "restore_snapshot",
    "snapshot_path",
]

FAILED_FIGURES = "failed_figures"  # run detail: figures that could not be computed, with a reason
# Open errors that say nothing about the file's content: the file is not damaged.
_NOT_DAMAGE = ("permission denied", "read-only file system", "no such file")
_LOCKED = "could not set lock"  # DuckDB: another process holds the file

_KINDS = ("generator", "corpus")
_STATUSES = ("ok", "failed")
T = TypeVar("T")
Params = list[Any] | dict[str, Any] | None


@dataclass(frozen=True)
class SubjectStatus:
    """Where one subject stands, for ``tailwatch status``.

    ``last_*`` is the most recently finished run; ``last_ok_*`` is the ok run whose metrics are
    exported (highest version_index, then latest finished).
    """

    kind: str
    subject: str
    last_version: str | None
    last_status: Literal["ok", "failed"] | None
    last_error: str | None
    last_finished_at: datetime | None
    last_ok_version: str | None
    last_ok_finished_at: datetime | None
    ok_runs: int
    failed_runs: int
    versions_measured: int
    last_duration_seconds: float | None = None


def _to_db(moment: datetime) -> datetime:
    """Naive UTC for a TIMESTAMP column; a naive input is taken as UTC already."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def _from_db(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _check_kind(kind: str) -> None:
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, not {kind!r}")


def _utc_columns(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        values = frame[column]
        if not (isinstance(values.dtype, np.dtype) and values.dtype.kind == "M"):
            values = pd.to_datetime(values)  # a naive datetime64 column (DuckDB's) is one already
        frame[column] = values.dt.tz_localize("UTC")
    return frame


class StoreDamaged(StoreError):
    """The file fails the integrity check on open; the message says how to restore it."""


class StoreLocked(StoreError):
    """Another process (a running daemon) holds the file.

    ``holder_pid`` is the process DuckDB names in its lock error; ``daemon`` is True when that
    process is a running Tailwatch daemon (``tailwatch run`` or ``demo``): waiting for it to let
    go is pointless.
    """

    def __init__(self, message: str, *, holder_pid: int | None = None, daemon: bool = False):
        super().__init__(message)
        self.holder_pid = holder_pid
        self.daemon = daemon


# DuckDB's lock error names the holder: '... Conflicting lock is held in <program> (PID 123) ...'
_HOLDER_PID = re.compile(r"\(PID (\d+)\)")
_DAEMON_COMMANDS = {"run", "demo"}


def _holder(pid: int) -> tuple[str, bool]:
    """(a description of process ``pid``, whether it is a running Tailwatch daemon)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:  # not Linux, or the process is gone
        return f"process {pid}", False
    args = [a for a in args if a]
    tailwatch = any(Path(a).name == "tailwatch" or a == "monitor.cli" for a in args)
    if not tailwatch:
        return f"process {pid} ({' '.join(' '.join(args).split())[:80]})", False  # one line
    daemon = bool(_DAEMON_COMMANDS & set(args))
    kind = "a running Tailwatch daemon" if daemon else "another Tailwatch command"
    return f"{kind} (PID {pid}: {' '.join(Path(a).name for a in args[:4])})", daemon


def locked_error(path: str | Path, error: BaseException) -> StoreLocked:
    """The lock error in an operator's words: who holds the store and what to do."""
    found = _HOLDER_PID.search(str(error))
    pid = int(found.group(1)) if found else None
    holder, daemon = _holder(pid) if pid is not None else ("another process", False)
    message = f"the store {path} is locked by {holder}: one process at a time may open it. " + (
        "Stop the daemon first (or run this inside it: it scans and prunes on its own); "
        "'tailwatch status' and 'report' read its published copy meanwhile"
        if daemon
        else "Wait for it to finish, or stop it"
    )
    return StoreLocked(message, holder_pid=pid, daemon=daemon)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def damaged_message(path: str | Path, cause: str) -> str:
    """One line: what is wrong with the store, and the read copy that can replace it."""
    copy = snapshot_path(path)
    text = f"the store {path} is damaged ({cause}); Tailwatch will not use it. "
    if copy.is_file():
        moment = datetime.fromtimestamp(copy.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M:%S")
        return text + (
            f"The last good read copy is {copy} (published {moment} UTC): stop the daemon and "
            "run 'tailwatch restore' to put it in place (the damaged file is kept aside)"
        )
    return text + "There is no read copy to restore: move the file aside to start a new history"


def _connect(path: str, read_only: bool, config: dict[str, str]) -> duckdb.DuckDBPyConnection:
    """Open the file; a failure that is not about its content (lock, permissions) is no damage."""
    try:
        return duckdb.connect(path, read_only=read_only, config=dict(config))
    except duckdb.Error as exc:
        if _LOCKED in str(exc).lower():
            raise locked_error(path, exc) from exc
        if any(marker in str(exc).lower() for marker in _NOT_DAMAGE):
            raise StoreError(f"cannot open {path}: {_first_line(exc)}") from exc
        raise StoreDamaged(damaged_message(path, _first_line(exc))) from exc


def _check_file(path: str, config: dict[str, str]) -> None:
    """Open an existing file read-only and run :func:`check_integrity` on it."""
    had_wal = os.path.exists(path + ".wal")
    con = _connect(path, True, config)
    try:
        if current_version(con) > 0:
            check_integrity(con, path, had_wal=had_wal)
    except (IntegrityError, duckdb.Error) as exc:
        raise StoreDamaged(damaged_message(path, _first_line(exc))) from exc
    finally:
        con.close()


class Store:
    """Run history in one DuckDB file; safe to share between the threads of one process."""

    def __init__(
        self, path: str | Path, *, read_only: bool = False, memory_limit: str | None = None
    ) -> None:
        """Open (creating and migrating when writable) the database at ``path``, then check it.

        Raises :class:`StoreDamaged` when the file fails :func:`check_integrity`.
        """
        self._path = str(path)
        self._read_only = read_only
        if os.path.isdir(self._path):
            raise StoreError(
                f"the store path {self._path} is a folder, not a DuckDB file: set [storage] path "
                f"to a file (for example {os.path.join(self._path, 'tailwatch.duckdb')})"
            )
        config = {"memory_limit": memory_limit} if memory_limit else {}
        had_wal = os.path.exists(self._path + ".wal")
        if not read_only and os.path.exists(self._path):
            # Checked read-only first: opening a damaged file for writing could change it.
            _check_file(self._path, config)
        self._con = _connect(self._path, read_only, config)
        self._local = threading.local()
        self._cursor_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False
        self._generation = 0
        try:
            self._schema_version = self._open_schema()
            if read_only:
                check_integrity(self._con, self._path, had_wal=had_wal)
        except (IntegrityError, duckdb.Error) as exc:
            self._con.close()
            raise StoreDamaged(damaged_message(self._path, _first_line(exc))) from exc
        except BaseException:
            self._con.close()
            raise

    def _open_schema(self) -> int:
        if not self._read_only:
            return migrate(self._con, path=self._path)
        found = current_version(self._con)
        check_not_newer(found, LATEST_VERSION, self._path)
        if found < LATEST_VERSION:
            raise StoreError(
                f"{self._path} has schema version {found}, older than this Tailwatch "
                f"({LATEST_VERSION}); open it read-write once to upgrade it"
            )
        return found

    @property
    def path(self) -> str:
        """The database file."""
        return self._path

    @property
    def generation(self) -> int:
        """Counts committed writes of this process: readers cache on it."""
        return self._generation

    @property
    def schema_version(self) -> int:
        """The schema version of the open file (always the code's latest once open)."""
        return self._schema_version

    def close(self) -> None:
        """Close the database (and every thread's cursor with it); idempotent."""
        with self._cursor_lock:
            if not self._closed:
                self._closed = True
                self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor (its own connection to the shared database)."""
        if self._closed:
            raise StoreError(f"store {self._path} is closed")
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            with self._cursor_lock:
                if self._closed:
                    raise StoreError(f"store {self._path} is closed")
                cursor = self._con.cursor()
            self._local.cursor = cursor
        return cursor

    def _fetchall(self, query: str, params: Params = None) -> list[tuple[Any, ...]]:
        return self._cursor().execute(query, params).fetchall()

    def _frame(self, query: str, params: Params = None) -> pd.DataFrame:
        return self._cursor().execute(query, params).df()

    def _write(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``work(cursor)`` in one transaction, rolled back on any error."""
        if self._read_only:
            raise StoreError(f"store {self._path} is open read-only")
        cursor = self._cursor()
        with self._write_lock:
            cursor.execute("BEGIN TRANSACTION")
            try:
                value = work(cursor)
                cursor.execute("COMMIT")
                self._generation += 1
            except BaseException:
                with contextlib.suppress(duckdb.Error):  # the original error is what matters
                    cursor.execute("ROLLBACK")
                raise
        return value

    @staticmethod
    def _subject_id(cursor: duckdb.DuckDBPyConnection, kind: str, subject: str) -> int:
        row = cursor.execute(sql.SELECT_SUBJECT_ID, {"kind": kind, "subject": subject}).fetchone()
        if row is None or row[0] is None:
            row = cursor.execute(sql.INSERT_SUBJECT, [kind, subject, _now()]).fetchone()
        assert row is not None
        return int(row[0])

    # -- writes -------------------------------------------------------------------------------

    def write(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``work(cursor)`` as one transaction (committed, or rolled back on any error)."""
        return self._write(work)

    def checkpoint(self) -> None:
        """Write the WAL into the file (``CHECKPOINT``): freed blocks become reusable and free
        blocks at the end of the file are given back."""
        if self._read_only:
            raise StoreError(f"store {self._path} is open read-only")
        with self._write_lock:
            self._cursor().execute("CHECKPOINT")

    def fetch_arrow(self, query: str, params: Params = None) -> pa.Table:
        """The result of a read-only query as an Arrow table (this thread's cursor)."""
        return self._cursor().sql(query, params=params).to_arrow_table()

    def record_run(
        self,
        result: RunResult,
        also: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    ) -> int:
        """Write one run (subject, version, run, metrics, regions) atomically; return its id.

        An ok run of a (kind, subject, version, fingerprint) that already has one is not written
        again: the existing run's id comes back. ``also(cursor)`` runs inside the same
        transaction when the run is written (the registry uses it for the sampled rows).
        Non-finite metric values are not stored as figures: they are listed with a reason in
        the run detail ``failed_figures``; non-finite region coverage or density is stored as NULL.
        """
        _check_kind(result.subject_kind)
        if result.status not in _STATUSES:
            raise ValueError(f"status must be one of {_STATUSES}, not {result.status!r}")
        metrics = [m for m in result.metrics if math.isfinite(m.value)]
        details = dict(result.details)
        failed = [
            {"metric": m.metric, "scope": m.scope, "reason": f"not finite ({m.value!r})"}
            for m in result.metrics
            if not math.isfinite(m.value)
        ]
        if failed and FAILED_FIGURES not in details:
            details[FAILED_FIGURES] = json.dumps(failed)
        keys = [(m.metric, m.scope) for m in metrics]
        if len(set(keys)) != len(keys):
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            raise ValueError(f"run {result.subject}/{result.version} repeats metrics {dupes}")
        for name, content in details.items():
            try:
                json.loads(content)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"run detail {name!r} must be JSON text: {exc}") from None
        regions = result.regions
        if len({r.region for r in regions}) != len(regions):
            raise ValueError(f"run {result.subject}/{result.version} repeats a region")

        def work(cursor: duckdb.DuckDBPyConnection) -> int:
            now = _now()
            key = [
                self._subject_id(cursor, result.subject_kind, result.subject),
                result.version,
                result.fingerprint,
            ]
            if result.status == "ok":
                row = cursor.execute(sql.FIRST_OK_RUN, key).fetchone()
                if row is not None and row[0] is not None:
                    return int(row[0])
            cursor.execute(sql.INSERT_VERSION, [*key, result.version_index, now])
            row = cursor.execute(
                sql.INSERT_RUN,
                [
                    *key,
                    result.version_index,
                    result.status,
                    result.error,
                    _to_db(result.started_at),
                    _to_db(result.finished_at),
                    result.duration_seconds,
                    result.reference_rows,
                    result.sample_rows,
                    now,
                    result.reference_fingerprint,
                ],
            ).fetchone()
            assert row is not None
            run_id = int(row[0])
            metric_columns = ([m.metric for m in metrics], [m.scope for m in metrics])
            cursor.execute(
                sql.INSERT_METRICS, [run_id, *metric_columns, [float(m.value) for m in metrics]]
            )
            cursor.execute(
                sql.INSERT_REGIONS,
                [
                    run_id,
                    [r.region for r in regions],
                    [r.real_rows for r in regions],
                    [_finite_or_none(r.coverage) for r in regions],
                    [_finite_or_none(r.density) for r in regions],
                ],
            )
            if details:
                names = sorted(details)
                cursor.execute(sql.INSERT_DETAILS, [run_id, names, [details[n] for n in names]])
            if also is not None:
                also(cursor)
            return run_id

        return self._write(work)

    def publish_snapshot(self, target: str | Path) -> int:
        """Write a consistent copy of the database to ``target``; returns the bytes written.

        The copy is checked (:func:`check_integrity`) before it atomically replaces the previous
        one, so a good read copy is never replaced by a bad one. While this process holds the file
        no other process can open it, not even read-only; ``tailwatch status`` and ``report``
        read this copy instead (see :func:`open_history`).
        """
        with self._write_lock:
            return copy_database(self._cursor(), target, what="the new read copy")

    def put_artifact(
        self, kind: str, subject: str, name: str, content: str, fingerprint: str
    ) -> None:
        """Store (or replace) a JSON-text artifact of a subject, such as a fitted feature map."""
        _check_kind(kind)
        try:
            json.loads(content)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"artifact {kind}/{subject}/{name} must be JSON text: {exc}") from None

        def work(cursor: duckdb.DuckDBPyConnection) -> None:
            subject_id = self._subject_id(cursor, kind, subject)
            cursor.execute(sql.UPSERT_ARTIFACT, [subject_id, name, content, fingerprint, _now()])

        self._write(work)

    # -- reads: each is one statement, so it sees whole runs or none ---------------------------

    def get_artifact(self, kind: str, subject: str, name: str) -> tuple[str, str] | None:
        """(content, fingerprint) of a stored artifact, or None."""
        params = {"kind": kind, "subject": subject, "name": name}
        rows = self._fetchall(sql.GET_ARTIFACT, params)
        return (rows[0][0], rows[0][1]) if rows else None

    def subjects(self) -> list[tuple[str, str]]:
        """Every known (kind, name), sorted."""
        return [(kind, name) for kind, name in self._fetchall(sql.SUBJECTS)]

    def measured(self, kind: str, subject: str) -> dict[str, str]:
        """Version name -> fingerprint of its latest ok run."""
        rows = self._fetchall(sql.MEASURED, {"kind": kind, "subject": subject})
        return {version: fingerprint for version, fingerprint in rows}

    def failures(
        self, kind: str, subject: str, version: str, fingerprint: str, reference: str = ""
    ) -> tuple[int, datetime | None]:
        """Failed runs of this version+fingerprint against ``reference`` since its last ok run
        (under that reference), and the last one's end."""
        params = {
            "kind": kind,
            "subject": subject,
            "version": version,
            "fingerprint": fingerprint,
            "reference": reference,
        }
        count, last = self._fetchall(sql.FAILURES, params)[0]
        return int(count), _from_db(last)

    def latest_ok_metrics(self, kind: str) -> dict[str, dict[tuple[str, str], float]]:
        """Per subject of ``kind``: {(metric, scope): value} of its latest ok run."""
        out: dict[str, dict[tuple[str, str], float]] = {}
        for subject, metric, scope, value in self._fetchall(sql.LATEST_OK_METRICS, [kind]):
            figures = out.setdefault(subject, {})
            if metric is not None:
                figures[(metric, scope)] = float(value)
        return out

    def latest_runs(self) -> list[SubjectStatus]:
        """One :class:`SubjectStatus` per known subject, sorted by kind and name."""
        return [
            SubjectStatus(
                kind=row[0],
                subject=row[1],
                last_version=row[2],
                last_status=row[3],
                last_error=row[4],
                last_finished_at=_from_db(row[5]),
                last_ok_version=row[6],
                last_ok_finished_at=_from_db(row[7]),
                ok_runs=int(row[8]),
                failed_runs=int(row[9]),
                versions_measured=int(row[10]),
                last_duration_seconds=None if row[11] is None else float(row[11]),
            )
            for row in self._fetchall(sql.LATEST_RUNS)
        ]

    def run_counts(self) -> dict[tuple[str, str, str], int]:
        """(kind, subject, status) -> number of runs; both statuses for every subject."""
        rows = self._fetchall(sql.RUN_COUNTS)
        return {(kind, name, status): int(count) for kind, name, status, count in rows}

    def history(self, kind: str, subject: str) -> pd.DataFrame:
        """Long format: version, version_index, run_id, finished_at, metric, scope, value,
        reference_rows, sample_rows.

        Every ok run, ordered by version_index then finish time.
        """
        frame = self._frame(sql.HISTORY, {"kind": kind, "subject": subject})
        return _utc_columns(frame, "finished_at")

    def latest_run(self, kind: str, subject: str) -> LatestRun | None:
        """The subject's newest ok run and its figures by scope (None before the first)."""
        return latest_run(self.history(kind, subject))

    def figures_by_version(
        self, kind: str, subject: str, scope: str
    ) -> dict[int, dict[str, float]]:
        """version_index -> {metric: value} in ``scope``, the newest ok run of each version
        (:meth:`history`'s rows in ``scope``, filtered in SQL: the daemon reads it every scan)."""
        rows = self._frame(sql.SCOPE_HISTORY, {"kind": kind, "subject": subject, "scope": scope})
        return figures_by_version(rows, scope)

    def anchor_figures(
        self, kind: str, subject: str, scope: str, due: Sequence[int]
    ) -> dict[int, dict[str, float]]:
        """The entries of :meth:`figures_by_version` that versions at indices ``due``, measured
        in order, are compared with: for each, the first and the last version measured before it
        (its baseline and previous), with the same figures (the newest ok run with figures in
        ``scope``). The daemon asks every scan: a few small queries instead of every version's
        figures, which grew with the history.
        """
        if not due:
            return {}
        subject_id = self._fetchall(sql.SUBJECT_ID_OF, [kind, subject])
        if not subject_id:
            return {}
        runs: dict[int, list[int]] = {}  # version_index -> its ok runs, newest first
        for index, run_id in sorted(self._fetchall(sql.OK_RUNS, [subject_id[0][0]])):
            runs.setdefault(int(index), []).insert(0, int(run_id))
        found: dict[int, dict[str, float]] = {}
        while True:
            indices = sorted(runs)
            wanted: set[int] = set()
            for index in due:
                below = bisect.bisect_left(indices, index)  # indices[:below] are below it
                if below:
                    wanted.update((indices[0], indices[below - 1]))
            missing = {runs[i][0]: i for i in wanted if i not in found}
            if not missing:
                return {i: found[i] for i in wanted}
            ids = sorted(missing)
            for run_id, metric, value in self._fetchall(sql.runs_figures(len(ids)), [scope, *ids]):
                found.setdefault(missing[int(run_id)], {})[str(metric)] = float(value)
            for run_id, index in missing.items():  # a run without figures in scope: the older
                if index not in found:  # run of that version, or none (figures_by_version's)
                    runs[index].remove(run_id)
                    if not runs[index]:
                        del runs[index]

    def regions_history(self, kind: str, subject: str) -> pd.DataFrame:
        """version, version_index, run_id, region, real_rows, coverage, density of ok runs."""
        return self._frame(sql.REGIONS_HISTORY, {"kind": kind, "subject": subject})

    def run_details(self, kind: str, subject: str, name: str) -> pd.DataFrame:
        """version, version_index, run_id, content (JSON text) of the named detail of ok runs."""
        return self._frame(sql.RUN_DETAILS, {"kind": kind, "subject": subject, "name": name})

    def runs(
        self, kind: str | None = None, subject: str | None = None, limit: int = 100
    ) -> pd.DataFrame:
        """The newest ``limit`` runs (all statuses), newest first, with metric/region counts."""
        if limit < 0:
            raise ValueError("limit must be >= 0")
        frame = self._frame(sql.RUNS, {"kind": kind, "subject": subject, "limit": limit})
        return _utc_columns(frame, "started_at", "finished_at")


def snapshot_path(path: str | Path) -> Path:
    """Where the daemon publishes the read copy of the database at ``path``."""
    path = Path(path)
    return path.with_name(f"{path.name}.snapshot")


def open_history(path: str | Path) -> tuple[Store, str | None]:
    """Open the history at ``path`` read-only, or the daemon's published copy while it runs.

    Returns the store and a note saying which copy was opened (None for the file itself).
    """
    path = Path(path)
    if not path.exists():
        raise StoreError(f"no Tailwatch history at {path} (run 'tailwatch scan --once' first)")
    try:
        return Store(path, read_only=True), None
    except StoreLocked as error:
        copy = snapshot_path(path)
        if not copy.exists():
            raise StoreError(
                f"{path} is held by a running daemon and it has not published a copy yet "
                f"({copy}); try again after its first scan"
            ) from error
        moment = datetime.fromtimestamp(copy.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M:%S")
        return Store(copy, read_only=True), f"daemon running: history as published at {moment} UTC"


def restore_snapshot(path: str | Path) -> tuple[Path, Path | None]:
    """Put the read copy in place of a damaged store; returns (restored file, damaged kept as).

    The copy must pass the integrity check; it is copied, never moved, so it survives. The
    damaged file (and its WAL) is renamed aside, never deleted. Refused while a daemon holds the
    store.
    """
    path = Path(path)
    copy = snapshot_path(path)
    if not copy.is_file():
        raise StoreError(f"no read copy to restore from: {copy} does not exist")
    with Store(copy, read_only=True):  # raises StoreDamaged when the copy is bad too
        pass
    kept: Path | None = None
    if path.exists():
        try:
            _connect(str(path), True, {}).close()
        except StoreLocked as error:
            raise StoreError(
                f"{path} is held by a running daemon: stop it before restoring"
            ) from error
        except StoreError:
            pass  # damaged: that is why it is being restored
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        kept = path.with_name(f"{path.name}.damaged-{stamp}")
        path.replace(kept)
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            wal.replace(kept.with_name(kept.name + ".wal"))
    temporary = path.with_name(f".{path.name}.restore.tmp")
    shutil.copyfile(copy, temporary)
    with open(temporary, "rb+") as handle:
        os.fsync(handle.fileno())
    temporary.replace(path)
    return path, kept
