"""The store's versioned schema: an ordered list of migrations and the runner that applies them.

Each migration runs in its own transaction together with its row in ``schema_migrations``, so a
file is always at exactly one schema version. Never edit a released migration: append a new one.
"""

from __future__ import annotations

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

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "subjects, versions, runs, metrics, regions, artifacts", _V1),
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
            con.execute("ROLLBACK")
            raise StoreError(
                f"migration {migration.version} ({migration.description}) of {path} failed: {exc}"
            ) from exc
        found = migration.version
    return found
