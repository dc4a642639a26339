"""The store's SQL: the versioned schema, its migration runner, and the statements the store runs.

Each migration runs in its own transaction together with its row in ``schema_migrations``, so a
file is always at exactly one schema version. Never edit a released migration: append a new one.
Every statement takes its values as parameters (``?`` or ``$name``), never formatted in.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb


class StoreError(RuntimeError):
    """The store cannot be opened or used (locked, closed, or a schema this code cannot handle)."""


@dataclass(frozen=True)
class Migration:
    """One schema step: ``sql`` may hold several statements; it must not hold parameters."""

    version: int
    description: str
    sql: str


_V1 = """
CREATE SEQUENCE subjects_id_seq START 1;
CREATE TABLE subjects (
    id INTEGER PRIMARY KEY DEFAULT nextval('subjects_id_seq'),
    kind VARCHAR NOT NULL CHECK (kind IN ('generator', 'corpus')),
    name VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (kind, name)
);

-- One row per content of a version: a version whose data changed gets a new fingerprint row.
CREATE TABLE versions (
    subject_id INTEGER NOT NULL REFERENCES subjects (id),
    name VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    version_index BIGINT NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    PRIMARY KEY (subject_id, name, fingerprint)
);

CREATE SEQUENCE runs_id_seq START 1;
CREATE TABLE runs (
    id BIGINT PRIMARY KEY DEFAULT nextval('runs_id_seq'),
    subject_id INTEGER NOT NULL REFERENCES subjects (id),
    version VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    version_index BIGINT NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('ok', 'failed')),
    error VARCHAR,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    duration_seconds DOUBLE NOT NULL,
    reference_rows BIGINT NOT NULL CHECK (reference_rows >= 0),
    sample_rows BIGINT NOT NULL CHECK (sample_rows >= 0),
    recorded_at TIMESTAMP NOT NULL,
    FOREIGN KEY (subject_id, version, fingerprint)
        REFERENCES versions (subject_id, name, fingerprint)
);
-- measured(), failures() and the idempotency check look runs up by subject, version, fingerprint.
CREATE INDEX runs_subject_version_idx ON runs (subject_id, version, fingerprint);

CREATE TABLE metrics (
    run_id BIGINT NOT NULL REFERENCES runs (id),
    metric VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    value DOUBLE NOT NULL CHECK (isfinite(value)),
    PRIMARY KEY (run_id, metric, scope)
);

CREATE TABLE regions (
    run_id BIGINT NOT NULL REFERENCES runs (id),
    region INTEGER NOT NULL,
    real_rows BIGINT NOT NULL CHECK (real_rows >= 0),
    coverage DOUBLE,
    density DOUBLE,
    PRIMARY KEY (run_id, region)
);

-- Fitted feature maps and similar, as JSON text only (never pickle).
CREATE TABLE artifacts (
    subject_id INTEGER NOT NULL REFERENCES subjects (id),
    name VARCHAR NOT NULL,
    content VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (subject_id, name)
);
"""

_V2 = """
CREATE TABLE run_details (
    run_id BIGINT NOT NULL REFERENCES runs (id),
    name VARCHAR NOT NULL,
    content VARCHAR NOT NULL,
    PRIMARY KEY (run_id, name)
);
"""

# What a run was measured against (a generator's reference files and settings): failures count
# towards a version's retry cap only under the same reference, so fixing a broken reference
# gives every version it failed fresh attempts. NULL in runs recorded before this migration.
_V3 = """
ALTER TABLE runs ADD COLUMN reference_fingerprint VARCHAR;
"""

# The synthetic registry (monitor.store.registry): fingerprints of every known synthetic record
# with its
# lineage, and of known-human data; a source is replaced whole in one transaction.
_V4 = """
CREATE TABLE registry_sources (
    source VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL CHECK (kind IN ('synthetic', 'human')),
    content_fingerprint VARCHAR NOT NULL,
    rows BIGINT NOT NULL CHECK (rows >= 0),
    registered_at TIMESTAMP NOT NULL
);
CREATE TABLE synthetic_registry (
    fingerprint UBIGINT NOT NULL,
    generator VARCHAR NOT NULL,
    version VARCHAR,
    source VARCHAR NOT NULL
);
CREATE TABLE known_human (
    fingerprint UBIGINT NOT NULL,
    source VARCHAR NOT NULL
);
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "subjects, versions, runs, metrics, regions, artifacts", _V1),
    Migration(2, "run details: JSON aggregates of a run (histograms)", _V2),
    Migration(3, "runs.reference_fingerprint: retry caps per reference", _V3),
    Migration(4, "synthetic registry and known-human fingerprints", _V4),
)
LATEST_VERSION: int = MIGRATIONS[-1].version

_BOOTSTRAP = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    applied_at TIMESTAMP NOT NULL
)
"""


def _check_order(migrations: tuple[Migration, ...]) -> None:
    expected = list(range(1, len(migrations) + 1))
    if [m.version for m in migrations] != expected:
        raise StoreError(f"migrations must be numbered {expected}")


_check_order(MIGRATIONS)


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of the open file: 0 when it has no ``schema_migrations`` table."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_name = 'schema_migrations' AND table_schema = current_schema()"
    ).fetchone()
    if not exists or exists[0] == 0:
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def check_not_newer(found: int, latest: int, path: str) -> None:
    """Refuse a file written by a newer Tailwatch: this code would misread it."""
    if found > latest:
        raise StoreError(
            f"{path} has schema version {found}, newer than this Tailwatch supports "
            f"({latest}); upgrade Tailwatch to open it"
        )


def migrate(
    con: duckdb.DuckDBPyConnection,
    migrations: tuple[Migration, ...] = MIGRATIONS,
    *,
    path: str = "database",
) -> int:
    """Apply the missing migrations, each in its own transaction; return the new version."""
    _check_order(migrations)
    con.execute(_BOOTSTRAP)
    found = current_version(con)
    latest = migrations[-1].version if migrations else 0
    check_not_newer(found, latest, path)
    for migration in migrations[found:]:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                [migration.version, datetime.now(UTC).replace(tzinfo=None)],
            )
            con.execute("COMMIT")
        except Exception as exc:
            # A failed COMMIT (e.g. "could not allocate block") ends the transaction itself: an
            # unguarded ROLLBACK would then raise "no transaction is active" over the cause.
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise StoreError(
                f"migration {migration.version} ({migration.description}) of {path} failed: {exc}"
            ) from exc
        found = migration.version
    return found


# -- statements of monitor.store.database
# ----------------------------------------------------------------
# "Latest ok run" of a subject (what is exported): highest version_index, then latest finished.
# "Last run" (what happened most recently): latest finished.

SUBJECT_ID = "(SELECT id FROM subjects WHERE kind = $kind AND name = $subject)"
SELECT_SUBJECT_ID = f"SELECT {SUBJECT_ID}"
INSERT_SUBJECT = "INSERT INTO subjects (kind, name, created_at) VALUES (?, ?, ?) RETURNING id"
FIRST_OK_RUN = """
SELECT min(id) FROM runs
WHERE subject_id = ? AND version = ? AND fingerprint = ? AND status = 'ok'
"""
# A version's row once (its key is the primary key): NOT EXISTS rather than ON CONFLICT DO
# NOTHING, the same row written or kept, in 2-3 ms instead of 7-9 (DuckDB 1.x-2.0; writes are
# serialised by the store's lock, so nothing inserts the key between the check and the insert).
INSERT_VERSION = """
INSERT INTO versions (subject_id, name, fingerprint, version_index, first_seen)
SELECT $1, $2, $3, $4, $5
WHERE NOT EXISTS (SELECT 1 FROM versions WHERE subject_id = $1 AND name = $2 AND fingerprint = $3)
"""
INSERT_RUN = """
INSERT INTO runs (subject_id, version, fingerprint, version_index, status, error, started_at,
                  finished_at, duration_seconds, reference_rows, sample_rows, recorded_at,
                  reference_fingerprint)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
"""
INSERT_METRICS = """
INSERT INTO metrics (run_id, metric, scope, value)
SELECT ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::DOUBLE[])
"""
INSERT_REGIONS = """
INSERT INTO regions (run_id, region, real_rows, coverage, density)
SELECT ?, unnest(?::INTEGER[]), unnest(?::BIGINT[]), unnest(?::DOUBLE[]), unnest(?::DOUBLE[])
"""
INSERT_DETAILS = """
INSERT INTO run_details (run_id, name, content)
SELECT ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[])
"""
RUN_DETAILS = f"""
SELECT r.version, r.version_index, r.id AS run_id, d.content
FROM runs r JOIN run_details d ON d.run_id = r.id
WHERE r.subject_id = {SUBJECT_ID} AND r.status = 'ok' AND d.name = $name
ORDER BY r.version_index, r.finished_at, r.id
"""
UPSERT_ARTIFACT = """
INSERT INTO artifacts (subject_id, name, content, fingerprint, created_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (subject_id, name) DO UPDATE SET
    content = excluded.content, fingerprint = excluded.fingerprint, created_at = excluded.created_at
"""
GET_ARTIFACT = f"""
SELECT content, fingerprint FROM artifacts WHERE subject_id = {SUBJECT_ID} AND name = $name
"""
SUBJECTS = "SELECT kind, name FROM subjects ORDER BY kind, name"
MEASURED = f"""
SELECT version, fingerprint FROM runs
WHERE subject_id = {SUBJECT_ID} AND status = 'ok'
QUALIFY row_number() OVER (PARTITION BY version ORDER BY finished_at DESC, id DESC) = 1
"""
FAILURES = f"""
WITH these AS (
    SELECT id, status, finished_at FROM runs
    WHERE subject_id = {SUBJECT_ID} AND version = $version AND fingerprint = $fingerprint
      AND coalesce(reference_fingerprint, '') = $reference
)
SELECT count(*), max(finished_at) FROM these
WHERE status = 'failed' AND id > coalesce((SELECT max(id) FROM these WHERE status = 'ok'), 0)
"""
LATEST_OK_METRICS = """
WITH latest AS (
    SELECT s.name AS subject, r.id AS run_id
    FROM runs r JOIN subjects s ON s.id = r.subject_id
    WHERE s.kind = ? AND r.status = 'ok'
    QUALIFY row_number() OVER (
        PARTITION BY r.subject_id ORDER BY r.version_index DESC, r.finished_at DESC, r.id DESC
    ) = 1
)
SELECT l.subject, m.metric, m.scope, m.value
FROM latest l LEFT JOIN metrics m ON m.run_id = l.run_id
"""
LATEST_RUNS = """
WITH last_run AS (
    SELECT subject_id, version, status, error, finished_at, duration_seconds FROM runs
    QUALIFY row_number() OVER (PARTITION BY subject_id ORDER BY finished_at DESC, id DESC) = 1
), last_ok AS (
    SELECT subject_id, version, finished_at FROM runs WHERE status = 'ok'
    QUALIFY row_number() OVER (
        PARTITION BY subject_id ORDER BY version_index DESC, finished_at DESC, id DESC
    ) = 1
), counts AS (
    SELECT subject_id,
           count(*) FILTER (WHERE status = 'ok') AS ok_runs,
           count(*) FILTER (WHERE status = 'failed') AS failed_runs,
           count(DISTINCT version) FILTER (WHERE status = 'ok') AS versions_measured
    FROM runs GROUP BY subject_id
)
SELECT s.kind, s.name, lr.version, lr.status, lr.error, lr.finished_at, lo.version,
       lo.finished_at, coalesce(c.ok_runs, 0), coalesce(c.failed_runs, 0),
       coalesce(c.versions_measured, 0), lr.duration_seconds
FROM subjects s
LEFT JOIN last_run lr ON lr.subject_id = s.id
LEFT JOIN last_ok lo ON lo.subject_id = s.id
LEFT JOIN counts c ON c.subject_id = s.id
ORDER BY s.kind, s.name
"""
RUN_COUNTS = """
SELECT s.kind, s.name, st.status, count(r.id)
FROM subjects s CROSS JOIN (VALUES ('ok'), ('failed')) AS st(status)
LEFT JOIN runs r ON r.subject_id = s.id AND r.status = st.status
GROUP BY s.kind, s.name, st.status
"""
HISTORY = f"""
SELECT r.version, r.version_index, r.id AS run_id, r.finished_at, m.metric, m.scope, m.value,
       r.reference_rows, r.sample_rows
FROM runs r JOIN metrics m ON m.run_id = r.id
WHERE r.subject_id = {SUBJECT_ID} AND r.status = 'ok'
ORDER BY r.version_index, r.finished_at, r.id, m.metric, m.scope
"""
SCOPE_HISTORY = f"""
SELECT r.version, r.version_index, r.id AS run_id, r.finished_at, m.metric, m.scope, m.value,
       r.reference_rows, r.sample_rows
FROM runs r JOIN metrics m ON m.run_id = r.id
WHERE r.subject_id = {SUBJECT_ID} AND r.status = 'ok' AND m.scope = $scope
ORDER BY r.version_index, r.finished_at, r.id, m.metric, m.scope
"""
# What a scan compares its due versions with (Store.anchor_figures): the ok runs of a subject,
# and one scope's figures of a few runs (``run_id IN (?, ...)``: the scan of metrics skips the
# row groups of other runs; a semi-join read every row of the table, which grows with the history).
OK_RUNS = "SELECT version_index, id FROM runs WHERE subject_id = ? AND status = 'ok'"
SUBJECT_ID_OF = "SELECT id FROM subjects WHERE kind = ? AND name = ?"


def runs_figures(runs: int) -> str:
    """One scope's figures (run_id, metric, value) of ``runs`` runs: parameters scope, run ids."""
    marks = ", ".join("?" * runs)
    return (
        "SELECT run_id, metric, value FROM metrics "
        f"WHERE scope = ? AND run_id IN ({marks}) ORDER BY run_id, metric"
    )


REGIONS_HISTORY = f"""
SELECT r.version, r.version_index, r.id AS run_id, g.region, g.real_rows, g.coverage, g.density
FROM runs r JOIN regions g ON g.run_id = r.id
WHERE r.subject_id = {SUBJECT_ID} AND r.status = 'ok'
ORDER BY r.version_index, r.finished_at, r.id, g.region
"""
RUNS = """
WITH page AS (
    SELECT r.*, s.kind, s.name AS subject
    FROM runs r JOIN subjects s ON s.id = r.subject_id
    WHERE ($kind IS NULL OR s.kind = $kind) AND ($subject IS NULL OR s.name = $subject)
    ORDER BY r.finished_at DESC, r.id DESC LIMIT $limit
), metric_counts AS (
    SELECT run_id, count(*) AS n FROM metrics WHERE run_id IN (SELECT id FROM page) GROUP BY run_id
), region_counts AS (
    SELECT run_id, count(*) AS n FROM regions WHERE run_id IN (SELECT id FROM page) GROUP BY run_id
)
SELECT p.id, p.kind, p.subject, p.version, p.fingerprint, p.version_index, p.status, p.error,
       p.started_at, p.finished_at, p.duration_seconds, p.reference_rows, p.sample_rows,
       coalesce(mc.n, 0) AS metric_count, coalesce(rc.n, 0) AS region_count
FROM page p
LEFT JOIN metric_counts mc ON mc.run_id = p.id
LEFT JOIN region_counts rc ON rc.run_id = p.id
ORDER BY p.finished_at DESC, p.id DESC
"""
