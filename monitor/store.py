"""The DuckDB store: run history of every subject, written one transaction per run.

One process owns the file (DuckDB allows a single writer process, and no other process can open
the file while it is held, not even read-only). Inside the process each thread gets its own
cursor, so scheduler jobs and the exporter's HTTP thread can use one ``Store`` together; writes
are serialised by a lock that reads never take. Times go in as aware datetimes (naive ones are
taken as UTC) and come back as aware UTC datetimes.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import duckdb
import pandas as pd

from collectors.result import RunResult
from monitor.store_schema import (
    LATEST_VERSION,
    StoreError,
    check_not_newer,
    current_version,
    migrate,
)

__all__ = ["LATEST_VERSION", "Store", "StoreError", "SubjectStatus"]

_KINDS = ("generator", "corpus")
_STATUSES = ("ok", "failed")
_SUBJECT_ID = "(SELECT id FROM subjects WHERE kind = $kind AND name = $subject)"


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
        frame[column] = pd.to_datetime(frame[column]).dt.tz_localize("UTC")
    return frame


class Store:
    """Run history in one DuckDB file; safe to share between the threads of one process."""

    def __init__(
        self, path: str | Path, *, read_only: bool = False, memory_limit: str | None = None
    ) -> None:
        """Open (creating and migrating when writable) the database at ``path``."""
        self._path = str(path)
        self._read_only = read_only
        config = {"memory_limit": memory_limit} if memory_limit else {}
        try:
            self._con = duckdb.connect(self._path, read_only=read_only, config=config)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open {self._path}: {exc}") from exc
        self._local = threading.local()
        self._cursor_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False
        try:
            self._schema_version = self._open_schema()
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

    def _fetchall(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        return self._cursor().execute(sql, params).fetchall()

    def _frame(self, sql: str, params: Any = None) -> pd.DataFrame:
        return self._cursor().execute(sql, params).df()

    def _write(self, work: Any) -> Any:
        """Run ``work(cursor)`` in one transaction, rolled back on any error."""
        if self._read_only:
            raise StoreError(f"store {self._path} is open read-only")
        cursor = self._cursor()
        with self._write_lock:
            cursor.execute("BEGIN TRANSACTION")
            try:
                value = work(cursor)
                cursor.execute("COMMIT")
            except BaseException:
                try:
                    cursor.execute("ROLLBACK")
                except duckdb.Error:
                    pass  # the transaction is gone already; the original error matters
                raise
        return value

    @staticmethod
    def _subject_id(cursor: duckdb.DuckDBPyConnection, kind: str, subject: str) -> int:
        params = {"kind": kind, "subject": subject}
        row = cursor.execute(f"SELECT {_SUBJECT_ID}", params).fetchone()
        if row and row[0] is not None:
            return int(row[0])
        row = cursor.execute(
            "INSERT INTO subjects (kind, name, created_at) VALUES (?, ?, ?) RETURNING id",
            [kind, subject, _now()],
        ).fetchone()
        assert row is not None
        return int(row[0])

    # -- writes -------------------------------------------------------------------------------

    def record_run(self, result: RunResult) -> int:
        """Write one run (subject, version, run, metrics, regions) atomically; return its id.

        An ok run of a (kind, subject, version, fingerprint) that already has one is not written
        again: the existing run's id comes back. Non-finite metric values are skipped; non-finite
        region coverage or density is stored as NULL.
        """
        _check_kind(result.subject_kind)
        if result.status not in _STATUSES:
            raise ValueError(f"status must be one of {_STATUSES}, not {result.status!r}")
        metrics = [m for m in result.metrics if math.isfinite(m.value)]
        keys = [(m.metric, m.scope) for m in metrics]
        if len(set(keys)) != len(keys):
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            raise ValueError(f"run {result.subject}/{result.version} repeats metrics {dupes}")
        region_ids = [r.region for r in result.regions]
        if len(set(region_ids)) != len(region_ids):
            raise ValueError(f"run {result.subject}/{result.version} repeats a region")

        def work(cursor: duckdb.DuckDBPyConnection) -> int:
            now = _now()
            subject_id = self._subject_id(cursor, result.subject_kind, result.subject)
            key = [subject_id, result.version, result.fingerprint]
            if result.status == "ok":
                row = cursor.execute(
                    "SELECT min(id) FROM runs WHERE subject_id = ? AND version = ? "
                    "AND fingerprint = ? AND status = 'ok'",
                    key,
                ).fetchone()
                if row and row[0] is not None:
                    return int(row[0])
            cursor.execute(
                "INSERT INTO versions (subject_id, name, fingerprint, version_index, first_seen) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [*key, result.version_index, now],
            )
            row = cursor.execute(
                "INSERT INTO runs (subject_id, version, fingerprint, version_index, status, error,"
                " started_at, finished_at, duration_seconds, reference_rows, sample_rows,"
                " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
                ],
            ).fetchone()
            assert row is not None
            run_id = int(row[0])
            cursor.execute(
                "INSERT INTO metrics (run_id, metric, scope, value) SELECT ?,"
                " unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::DOUBLE[])",
                [
                    run_id,
                    [m.metric for m in metrics],
                    [m.scope for m in metrics],
                    [float(m.value) for m in metrics],
                ],
            )
            cursor.execute(
                "INSERT INTO regions (run_id, region, real_rows, coverage, density) SELECT ?,"
                " unnest(?::INTEGER[]), unnest(?::BIGINT[]), unnest(?::DOUBLE[]),"
                " unnest(?::DOUBLE[])",
                [
                    run_id,
                    region_ids,
                    [r.real_rows for r in result.regions],
                    [_finite_or_none(r.coverage) for r in result.regions],
                    [_finite_or_none(r.density) for r in result.regions],
                ],
            )
            return run_id

        return int(self._write(work))

    def put_artifact(self, kind: str, subject: str, name: str, content: str, fingerprint: str) -> None:
        """Store (or replace) a JSON-text artifact of a subject, such as a fitted feature map."""
        _check_kind(kind)
        try:
            json.loads(content)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"artifact {kind}/{subject}/{name} must be JSON text: {exc}") from None

        def work(cursor: duckdb.DuckDBPyConnection) -> None:
            subject_id = self._subject_id(cursor, kind, subject)
            cursor.execute(
                "INSERT INTO artifacts (subject_id, name, content, fingerprint, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (subject_id, name) DO UPDATE SET"
                " content = excluded.content, fingerprint = excluded.fingerprint,"
                " created_at = excluded.created_at",
                [subject_id, name, content, fingerprint, _now()],
            )

        self._write(work)

    # -- reads --------------------------------------------------------------------------------

    def get_artifact(self, kind: str, subject: str, name: str) -> tuple[str, str] | None:
        """(content, fingerprint) of a stored artifact, or None."""
        rows = self._fetchall(
            f"SELECT content, fingerprint FROM artifacts WHERE subject_id = {_SUBJECT_ID}"
            " AND name = $name",
            {"kind": kind, "subject": subject, "name": name},
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def subjects(self) -> list[tuple[str, str]]:
        """Every known (kind, name), sorted."""
        rows = self._fetchall("SELECT kind, name FROM subjects ORDER BY kind, name")
        return [(kind, name) for kind, name in rows]

    def measured(self, kind: str, subject: str) -> dict[str, str]:
        """Version name -> fingerprint of its latest ok run."""
        rows = self._fetchall(
            f"SELECT version, fingerprint FROM runs WHERE subject_id = {_SUBJECT_ID}"
            " AND status = 'ok' QUALIFY row_number() OVER"
            " (PARTITION BY version ORDER BY finished_at DESC, id DESC) = 1",
            {"kind": kind, "subject": subject},
        )
        return {version: fingerprint for version, fingerprint in rows}

    def failures(
        self, kind: str, subject: str, version: str, fingerprint: str
    ) -> tuple[int, datetime | None]:
        """Failed runs of this version+fingerprint since its last ok run, and the last one's end."""
        rows = self._fetchall(
            f"WITH these AS (SELECT id, status, finished_at FROM runs"
            f" WHERE subject_id = {_SUBJECT_ID} AND version = $version"
            " AND fingerprint = $fingerprint)"
            " SELECT count(*), max(finished_at) FROM these WHERE status = 'failed'"
            " AND id > coalesce((SELECT max(id) FROM these WHERE status = 'ok'), 0)",
            {"kind": kind, "subject": subject, "version": version, "fingerprint": fingerprint},
        )
        count, last = rows[0]
        return int(count), _from_db(last)

    def latest_ok_metrics(self, kind: str) -> dict[str, dict[tuple[str, str], float]]:
        """Per subject of ``kind``: {(metric, scope): value} of its latest ok run."""
        rows = self._fetchall(
            "WITH latest AS (SELECT s.name AS subject, r.id AS run_id FROM runs r"
            " JOIN subjects s ON s.id = r.subject_id WHERE s.kind = ? AND r.status = 'ok'"
            " QUALIFY row_number() OVER (PARTITION BY r.subject_id"
            " ORDER BY r.version_index DESC, r.finished_at DESC, r.id DESC) = 1)"
            " SELECT l.subject, m.metric, m.scope, m.value FROM latest l"
            " LEFT JOIN metrics m ON m.run_id = l.run_id",
            [kind],
        )
        out: dict[str, dict[tuple[str, str], float]] = {}
        for subject, metric, scope, value in rows:
            figures = out.setdefault(subject, {})
            if metric is not None:
                figures[(metric, scope)] = float(value)
        return out

    def latest_runs(self) -> list[SubjectStatus]:
        """One :class:`SubjectStatus` per known subject, sorted by kind and name."""
        rows = self._fetchall(
            "WITH last_run AS (SELECT subject_id, version, status, error, finished_at FROM runs"
            " QUALIFY row_number() OVER (PARTITION BY subject_id"
            " ORDER BY finished_at DESC, id DESC) = 1),"
            " last_ok AS (SELECT subject_id, version, finished_at FROM runs WHERE status = 'ok'"
            " QUALIFY row_number() OVER (PARTITION BY subject_id"
            " ORDER BY version_index DESC, finished_at DESC, id DESC) = 1),"
            " counts AS (SELECT subject_id, count(*) FILTER (WHERE status = 'ok') AS ok_runs,"
            " count(*) FILTER (WHERE status = 'failed') AS failed_runs,"
            " count(DISTINCT version) FILTER (WHERE status = 'ok') AS versions_measured"
            " FROM runs GROUP BY subject_id)"
            " SELECT s.kind, s.name, lr.version, lr.status, lr.error, lr.finished_at,"
            " lo.version, lo.finished_at, coalesce(c.ok_runs, 0), coalesce(c.failed_runs, 0),"
            " coalesce(c.versions_measured, 0) FROM subjects s"
            " LEFT JOIN last_run lr ON lr.subject_id = s.id"
            " LEFT JOIN last_ok lo ON lo.subject_id = s.id"
            " LEFT JOIN counts c ON c.subject_id = s.id ORDER BY s.kind, s.name"
        )
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
            )
            for row in rows
        ]

    def run_counts(self) -> dict[tuple[str, str, str], int]:
        """(kind, subject, status) -> number of runs; both statuses for every subject."""
        rows = self._fetchall(
            "SELECT s.kind, s.name, st.status, count(r.id) FROM subjects s"
            " CROSS JOIN (VALUES ('ok'), ('failed')) AS st(status)"
            " LEFT JOIN runs r ON r.subject_id = s.id AND r.status = st.status"
            " GROUP BY s.kind, s.name, st.status"
        )
        return {(kind, name, status): int(count) for kind, name, status, count in rows}

    def history(self, kind: str, subject: str) -> pd.DataFrame:
        """Long format (version, version_index, run_id, finished_at, metric, scope, value) of
        every ok run, ordered by version_index then finish time."""
        frame = self._frame(
            "SELECT r.version, r.version_index, r.id AS run_id, r.finished_at, m.metric,"
            " m.scope, m.value FROM runs r JOIN metrics m ON m.run_id = r.id"
            f" WHERE r.subject_id = {_SUBJECT_ID} AND r.status = 'ok'"
            " ORDER BY r.version_index, r.finished_at, r.id, m.metric, m.scope",
            {"kind": kind, "subject": subject},
        )
        return _utc_columns(frame, "finished_at")

    def regions_history(self, kind: str, subject: str) -> pd.DataFrame:
        """(version, version_index, run_id, region, real_rows, coverage, density) of ok runs."""
        return self._frame(
            "SELECT r.version, r.version_index, r.id AS run_id, g.region, g.real_rows,"
            " g.coverage, g.density FROM runs r JOIN regions g ON g.run_id = r.id"
            f" WHERE r.subject_id = {_SUBJECT_ID} AND r.status = 'ok'"
            " ORDER BY r.version_index, r.finished_at, r.id, g.region",
            {"kind": kind, "subject": subject},
        )

    def runs(
        self, kind: str | None = None, subject: str | None = None, limit: int = 100
    ) -> pd.DataFrame:
        """The newest ``limit`` runs (all statuses), newest first, with metric/region counts."""
        if limit < 0:
            raise ValueError("limit must be >= 0")
        frame = self._frame(
            "WITH page AS (SELECT r.*, s.kind, s.name AS subject FROM runs r"
            " JOIN subjects s ON s.id = r.subject_id"
            " WHERE ($kind IS NULL OR s.kind = $kind)"
            " AND ($subject IS NULL OR s.name = $subject)"
            " ORDER BY r.finished_at DESC, r.id DESC LIMIT $limit)"
            " SELECT p.id, p.kind, p.subject, p.version, p.fingerprint, p.version_index,"
            " p.status, p.error, p.started_at, p.finished_at, p.duration_seconds,"
            " p.reference_rows, p.sample_rows,"
            " (SELECT count(*) FROM metrics m WHERE m.run_id = p.id) AS metric_count,"
            " (SELECT count(*) FROM regions g WHERE g.run_id = p.id) AS region_count"
            " FROM page p ORDER BY p.finished_at DESC, p.id DESC",
            {"kind": kind, "subject": subject, "limit": limit},
        )
        return _utc_columns(frame, "started_at", "finished_at")
