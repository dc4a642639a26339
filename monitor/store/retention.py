"""History retention: prune old versions' detail, then compact the DuckDB file.

``[storage] keep_versions`` / ``keep_days`` set the window. A version is *kept* when it is one of
the latest ``keep_versions`` versions of its subject, or its latest run finished within
``keep_days`` (with both set, either keeps it), or it is one of the subject's first measured
versions (the baseline every change check compares with is made from them). Whatever the window,
the newest versions the present needs are kept too: the newest measured versions the latest
verdict's streak reads (:func:`verdict_window`, the checks' persistence; for a corpus the newest
snapshot, whose fingerprint multiset the next snapshot's difference needs) and the newest version
of any status. So an age-only window that passes without new data never deletes the present (the
verdict, the exported figures and the next difference stay). A version beyond the window keeps
its ``runs`` and ``versions`` rows (so it is not measured again and the run counts stay right)
and loses its figures, regions and run details (histograms, failed figures); a corpus snapshot
beyond the window also loses its fingerprint file in ``<store>.corpora/<corpus>/``.
Kept versions are not touched. The synthetic registry is never pruned: a corpus may still hold
an old version's rows.

DuckDB does not shrink a file in place when rows are deleted: freed blocks are reused and a
``CHECKPOINT`` gives back only the free blocks at the end of the file. The daemon prunes and
checkpoints on a schedule (growth stays bounded by the reuse); ``tailwatch prune`` (daemon
stopped) also copies the database into a fresh file and atomically replaces it
(:func:`compact_file`), which returns every freed block.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from monitor.checks import CheckThresholds
from monitor.settings import Settings
from monitor.store.copy import copy_database
from monitor.store.database import Store

__all__ = [
    "PruneResult",
    "baseline_window",
    "compact_file",
    "fingerprint_file_name",
    "prune",
    "store_bytes",
    "verdict_window",
]

log = logging.getLogger("tailwatch.retention")

# Runs of versions beyond the window: (run id, kind, subject, version, fingerprint).
_BEYOND = """
WITH per_version AS (
    SELECT subject_id, version, max(version_index) AS version_index,
           max(finished_at) AS last_finished
    FROM runs GROUP BY subject_id, version
), ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY subject_id ORDER BY version_index DESC, last_finished DESC, version DESC
    ) AS newest
    FROM per_version
), ok_versions AS (
    SELECT subject_id, version, min(version_index) AS first_index,
           min(finished_at) AS first_finished, max(version_index) AS last_index,
           max(finished_at) AS last_finished
    FROM runs WHERE status = 'ok' GROUP BY subject_id, version
), protected AS (  -- the baseline's first versions and the newest the latest verdict reads
    SELECT subject_id, version FROM ok_versions
    QUALIFY row_number() OVER (
        PARTITION BY subject_id ORDER BY first_index, first_finished, version
    ) <= $keep_first
    OR row_number() OVER (
        PARTITION BY subject_id ORDER BY last_index DESC, last_finished DESC, version DESC
    ) <= $keep_latest
)
SELECT r.id, s.kind, s.name, r.version, r.fingerprint
FROM runs r
JOIN subjects s ON s.id = r.subject_id
JOIN ranked k ON k.subject_id = r.subject_id AND k.version = r.version
WHERE NOT ($keep_versions IS NOT NULL AND k.newest <= $keep_versions)
  AND NOT ($cutoff IS NOT NULL AND k.last_finished >= $cutoff)
  AND k.newest > 1
  AND NOT EXISTS (
      SELECT 1 FROM protected p WHERE p.subject_id = r.subject_id AND p.version = r.version
  )
  AND (EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = r.id)
       OR EXISTS (SELECT 1 FROM regions g WHERE g.run_id = r.id)
       OR EXISTS (SELECT 1 FROM run_details d WHERE d.run_id = r.id))
"""
# Every (kind, subject, version, fingerprint) still kept: their fingerprint files stay.
_KEPT_PAIRS = """
SELECT DISTINCT s.kind, s.name, r.version, r.fingerprint
FROM runs r JOIN subjects s ON s.id = r.subject_id
WHERE r.id NOT IN (SELECT unnest($pruned::BIGINT[]))
"""


@dataclass(frozen=True)
class PruneResult:
    """What one prune did, and the store's size around it."""

    runs_pruned: int
    rows_deleted: int
    files_deleted: int
    bytes_before: int
    bytes_after: int
    seconds: float


def store_bytes(path: str | Path) -> int:
    """The store file's size plus its WAL's."""
    path = Path(path)
    wal = path.with_name(path.name + ".wal")
    return sum(p.stat().st_size for p in (path, wal) if p.exists())


def fingerprint_file_name(snapshot: str, fingerprint: str) -> str:
    """The name of a snapshot's fingerprint file (as :meth:`CorpusWatch.fingerprint_file`)."""
    key = hashlib.sha256(f"{snapshot}\0{fingerprint}".encode()).hexdigest()
    return f"{key[:24]}.parquet"


def prune(
    store: Store,
    *,
    keep_versions: int | None,
    keep_days: float | None,
    keep_first: int = 1,
    keep_latest: int = 2,
    now: datetime | None = None,
    checkpoint: bool = True,
) -> PruneResult:
    """Delete figures, regions and run details of versions beyond the window; one transaction.

    The first ``keep_first`` measured versions of each subject are kept (the baseline is made
    from them: :func:`baseline_window`), and so are the newest ``keep_latest`` measured versions
    and the newest version whatever its status, whatever the window (:func:`verdict_window`):
    an age-only window that passes without new data never prunes the present. Nothing is
    pruned when neither ``keep_versions`` nor ``keep_days`` is set. Corpus
    fingerprint files of pruned snapshots are deleted after the commit; with ``checkpoint`` the
    database is checkpointed so freed blocks can be reused or given back.
    """
    started = time.monotonic()
    before = store_bytes(store.path)
    if keep_versions is None and keep_days is None:
        return PruneResult(0, 0, 0, before, before, 0.0)
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    cutoff = None if keep_days is None else moment - timedelta(days=keep_days)
    params = {
        "keep_versions": keep_versions,
        "cutoff": cutoff,
        "keep_first": max(1, keep_first),
        "keep_latest": max(1, keep_latest),
    }

    def work(cursor: duckdb.DuckDBPyConnection) -> tuple[list[tuple], int, set[tuple]]:
        beyond = cursor.execute(_BEYOND, params).fetchall()
        ids = [int(row[0]) for row in beyond]
        deleted = 0
        if ids:
            for table in ("metrics", "regions", "run_details"):
                row = cursor.execute(
                    f"DELETE FROM {table} WHERE run_id IN (SELECT unnest(?::BIGINT[]))", [ids]
                ).fetchone()
                deleted += int(row[0]) if row else 0
        kept = set(cursor.execute(_KEPT_PAIRS, {"pruned": ids}).fetchall()) if ids else set()
        return beyond, deleted, kept

    beyond, deleted, kept = store.write(work)
    files = _delete_fingerprint_files(store.path, beyond, kept)
    if checkpoint and beyond:
        store.checkpoint()
    result = PruneResult(
        runs_pruned=len(beyond),
        rows_deleted=deleted,
        files_deleted=files,
        bytes_before=before,
        bytes_after=store_bytes(store.path),
        seconds=time.monotonic() - started,
    )
    if beyond:
        log.info(
            "history pruned",
            extra={
                "runs": result.runs_pruned,
                "rows": result.rows_deleted,
                "files": result.files_deleted,
                "bytes_before": result.bytes_before,
                "bytes_after": result.bytes_after,
            },
        )
    return result


def baseline_window(settings: Settings) -> int:
    """How many first versions the change checks' baseline is made from (the most of any
    generator's thresholds; 1 when the checks compare with the first version alone)."""
    windows = [
        int(getattr(g.checks.thresholds(), "baseline_versions", 1)) for g in settings.generators
    ]
    return max([int(getattr(CheckThresholds(), "baseline_versions", 1)), *windows])


def verdict_window(settings: Settings) -> int:
    """How many newest measured versions retention always keeps: the latest verdict's streak
    (the most ``persistence`` of any generator's thresholds, at least 2). A corpus's newest
    measured snapshot is among them: its fingerprint multiset is the next snapshot's difference.
    """
    windows = [int(getattr(g.checks.thresholds(), "persistence", 2)) for g in settings.generators]
    return max([2, int(getattr(CheckThresholds(), "persistence", 2)), *windows])


def _delete_fingerprint_files(store_path: str, beyond: list[tuple], kept: set[tuple]) -> int:
    folder = Path(store_path).with_name(Path(store_path).name + ".corpora")
    deleted = 0
    for _run, kind, subject, version, fingerprint in beyond:
        if kind != "corpus" or (kind, subject, version, fingerprint) in kept:
            continue
        target = folder / subject / fingerprint_file_name(version, fingerprint)
        try:
            target.unlink()
            deleted += 1
        except FileNotFoundError:
            pass
    return deleted


def compact_file(path: str | Path) -> tuple[int, int]:
    """Copy the store into a fresh file and atomically replace it; returns (bytes before, after).

    The copy passes :func:`monitor.store.integrity.check_integrity` before it replaces the file
    (:func:`monitor.store.copy.copy_database`); a store held by a
    running daemon is refused (:class:`monitor.store.database.StoreLocked`).
    """
    path = Path(path)
    before = store_bytes(path)
    with Store(path) as store:  # checks the file, migrates it, refuses a locked one
        store.checkpoint()
    mode = path.stat().st_mode & 0o777
    copy_database(path, path, what=f"the compacted copy of {path}", mode=mode, durable=True)
    return before, store_bytes(path)
