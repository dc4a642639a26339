"""The daemon: one scheduled job per subject, the exporter, a published read copy, clean stop.

APScheduler 3.x runs each subject's scan every ``interval_seconds`` (``max_instances=1`` so scans
of one subject never overlap, ``coalesce`` so a backlog runs once, and a deliberate
``misfire_grace_time``: the default of 1 s silently drops runs on a busy machine). Run state lives
in DuckDB, not in the scheduler, so a restart resumes where the store says. A failing subject is
logged and counted; the others keep running. SIGTERM/SIGINT set a stop flag that scans check
between versions; the scheduler then shuts down waiting for the running scans.

Failures of Tailwatch's own storage (:class:`monitor.watch.base.InfrastructureError`: the store, the
corpus state folder, a full disk) are logged in one line, counted in ``store_errors``, and make
the daemon not ready (``/-/ready``) until the subject's next scan, after a backoff, goes through.
The read copy is published at most once per ``storage.read_copy_interval_seconds``, and always
on stop; what it costs (bytes written, seconds) is counted for ``/metrics``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.exporter import DaemonHealth, feature_gauges, serve
from monitor.settings import Settings
from monitor.store import Store, StoreError, StoreLocked, configured_sources, snapshot_path
from monitor.verdict_log import VerdictLog
from monitor.watch import (
    CorpusWatch,
    GeneratorWatch,
    InfrastructureError,
    ScanOutcome,
    ScanState,
    Watch,
)

__all__ = ["Daemon", "apply_umask", "open_store"]

log = logging.getLogger("tailwatch.daemon")
LOCK_WAIT_SECONDS = 15.0


def apply_umask(settings: Settings) -> int:
    """Set the process umask from ``storage.umask`` (default 0077: files 0600, folders 0700)."""
    return os.umask(settings.storage.umask_bits)


def open_store(settings: Settings, *, wait_seconds: float = LOCK_WAIT_SECONDS) -> Store:
    """Open the store for writing, waiting a little while a reader holds the file.

    A running daemon does not let go: when it holds the file the error (who holds it, what to
    do) comes at once instead of after the wait.
    """
    path = Path(settings.storage.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return Store(path, memory_limit=settings.storage.duckdb_memory_limit)
        except StoreLocked as error:
            if error.daemon or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


class Daemon:
    """Owns the store; scans subjects on a schedule or once; serves the exporter."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.stop = threading.Event()
        memory_limit = settings.storage.duckdb_memory_limit
        self.watches: list[Watch] = [
            GeneratorWatch(
                generator,
                store,
                scheduler=settings.scheduler,
                memory_limit=memory_limit,
                stop=self.stop,
            )
            for generator in settings.generators
        ]
        sources = configured_sources(settings)
        self.watches += [
            CorpusWatch(
                corpus,
                store,
                registry_sources=sources,
                scheduler=settings.scheduler,
                memory_limit=memory_limit,
                stop=self.stop,
            )
            for corpus in settings.corpora
        ]
        self.verdicts = VerdictLog(store, settings.thresholds_for)  # "verdict changed" lines
        self._publish_lock = threading.Lock()
        self._publish_wanted = False
        self._last_publish: float | None = None  # time.monotonic() of the last attempt
        self.read_copy_publishes = 0
        self.read_copy_bytes = 0
        self.read_copy_seconds: float | None = None
        self.read_copy_published_unix: float | None = None
        self.read_copy_error: str | None = None
        self.read_copy_errors = 0

    # -- state for the exporter ---------------------------------------------------------------

    def scan_states(self) -> list[ScanState]:
        return [
            ScanState(
                kind=watch.kind,
                subject=watch.name,
                interval_seconds=watch.interval_seconds,
                last_scan_ok_unix=(
                    None if watch.last_scan_ok is None else watch.last_scan_ok.timestamp()
                ),
                pending=watch.pending,
                scan_errors=watch.scan_errors,
                store_errors=watch.store_errors,
                storage_error=watch.storage_error,
            )
            for watch in self.watches
        ]

    def health(self) -> DaemonHealth:
        """Readiness and the read copy's cost, for ``/-/ready`` and ``/metrics``."""
        failing = [w for w in self.watches if w.storage_error is not None]
        reason = None
        if failing:
            reason = f"storage (own or object storage) is failing for {len(failing)} subject(s)"
        elif self.read_copy_error is not None:
            reason = "the read copy cannot be published"
        return DaemonHealth(
            ready=reason is None,
            reason=reason,
            store_errors=sum(w.store_errors for w in self.watches) + self.read_copy_errors,
            read_copy_publishes=self.read_copy_publishes,
            read_copy_bytes=self.read_copy_bytes,
            read_copy_seconds=self.read_copy_seconds,
            read_copy_published_unix=self.read_copy_published_unix,
        )

    # -- scanning -----------------------------------------------------------------------------

    def publish(self, *, force: bool = True, starting: bool = False) -> None:
        """Refresh the read copy that ``status`` and ``report`` open while the daemon runs.

        Without ``force`` it is only marked wanted when the last one is younger than
        ``storage.read_copy_interval_seconds``; :meth:`publish_wanted` publishes it later. The
        copy made ``starting`` the daemon does not count: the first scan that records something
        publishes at once.
        """
        interval = self.settings.storage.read_copy_interval_seconds
        with self._publish_lock:
            now = time.monotonic()
            recent = self._last_publish is not None and now - self._last_publish < interval
            if not force and recent:
                self._publish_wanted = True
                return
            self._last_publish = None if starting else now
            self._publish_wanted = False
            try:
                written = self.store.publish_snapshot(snapshot_path(self.store.path))
            except Exception as error:  # a stale copy is better than a dead daemon
                self.read_copy_errors += 1
                self.read_copy_error = str(error)
                self._publish_wanted = True
                log.error("could not publish the read copy", extra={"error": str(error)})
                return
            self.read_copy_error = None
            self.read_copy_publishes += 1
            self.read_copy_bytes += written
            self.read_copy_seconds = time.monotonic() - now
            self.read_copy_published_unix = time.time()

    def publish_wanted(self) -> None:
        """Publish the read copy if a scan recorded something since the last one."""
        if self._publish_wanted:
            self.publish(force=False)

    def scan_subject(
        self,
        watch: Watch,
        progress: Callable[[Iterable], Iterable] | None = None,
        *,
        publish: bool = True,
    ) -> ScanOutcome | None:
        """One scan of one subject; its errors are logged and counted, never raised.

        With ``publish`` the read copy is refreshed (at its bounded rate) when the scan recorded
        a run. A failure of Tailwatch's own storage backs the subject off; it is skipped until
        then.
        """
        now = watch.clock()
        if not watch.storage_due(now):
            return ScanOutcome(pending=watch.pending)
        counted = watch.scan_errors
        try:
            watch.check_storage()
            self.verdicts.prime(watch.kind, watch.name)
            outcome = watch.scan(progress)
        except (InfrastructureError, StoreError, duckdb.Error) as error:
            wait = watch.storage_failed(error, now, counted=watch.scan_errors != counted)
            log.error(
                "storage failure: the scan is retried later and no version's attempts are used",
                extra={
                    "kind": watch.kind,
                    "subject": watch.name,
                    "error": str(error),
                    "retry_in_seconds": wait,
                },
            )
            return None
        except Exception as error:
            log.error(
                "scan failed",
                extra={"kind": watch.kind, "subject": watch.name, "error": str(error)},
                exc_info=not isinstance(error, (ValueError, OSError)),
            )
            return None
        watch.storage_ok()
        if outcome.measured:
            self.verdicts.observe(watch.kind, watch.name)
        if publish and (outcome.measured or outcome.failed):
            self.publish(force=False)
        return outcome

    def scan_once(
        self, progress: Callable[[str], Callable[[Iterable], Iterable]] | None = None
    ) -> tuple[int, int, int]:
        """Measure everything pending now; returns (measured, failed runs, failed scans)."""
        measured = failed = broken = 0
        for watch in self.watches:
            outcome = self.scan_subject(
                watch, progress(watch.name) if progress else None, publish=False
            )
            if outcome is None:
                broken += 1
                continue
            measured += outcome.measured
            failed += outcome.failed
        self.publish()
        return measured, failed, broken

    def write_report(self) -> None:
        """The scheduled drift report from the store; errors are logged, never raised."""
        from monitor.report import build_report, new_report_dir, prune_reports, write_report

        out_dir = Path(self.settings.reports.out_dir)
        try:
            report = build_report(self.store, thresholds=self.settings.thresholds_for)
            folder = new_report_dir(out_dir)
            paths = write_report(report, folder, mode=self.settings.reports.file_mode_bits)
            prune_reports(out_dir, self.settings.reports.keep)
            log.info("report written", extra={"files": [str(p) for p in paths]})
        except Exception as error:
            log.error("report failed", extra={"error": str(error)}, exc_info=True)

    def prune_history(self) -> None:
        """Scheduled retention (``[storage] keep_versions`` / ``keep_days``): prune, checkpoint.

        Errors are logged, never raised: the history stays usable unpruned.
        """
        from monitor.store import baseline_window, prune, verdict_window

        storage = self.settings.storage
        try:
            prune(
                self.store,
                keep_versions=storage.keep_versions,
                keep_days=storage.keep_days,
                keep_first=baseline_window(self.settings),
                keep_latest=verdict_window(self.settings),
            )
        except Exception as error:
            log.error("history prune failed", extra={"error": str(error)})
            return
        self._publish_wanted = True

    # -- the long-running service -------------------------------------------------------------

    def run(self, *, ready: Callable[[str], None] | None = None) -> None:
        """Serve until :attr:`stop` is set (the CLI sets it on SIGTERM/SIGINT)."""
        self.publish(starting=True)
        server, _ = serve(
            self.settings.exporter,
            self.store,
            scans=self.scan_states,
            thresholds=self.settings.thresholds_for,
            health=self.health,
            features=feature_gauges(self.settings),
        )
        workers = max(1, min(4, len(self.watches)))
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(workers)},
            job_defaults={
                "max_instances": 1,
                "coalesce": True,
                "misfire_grace_time": int(self.settings.scheduler.misfire_grace_seconds),
            },
            timezone=UTC,
        )
        now = datetime.now(UTC)
        for watch in self.watches:
            scheduler.add_job(
                self.scan_subject,
                IntervalTrigger(seconds=watch.interval_seconds, timezone=UTC),
                args=[watch],
                id=f"{watch.kind}:{watch.name}",
                name=f"scan {watch.kind} {watch.name}",
                next_run_time=now,
            )
        scheduler.add_job(
            self.publish_wanted,
            IntervalTrigger(
                seconds=max(1.0, self.settings.storage.read_copy_interval_seconds), timezone=UTC
            ),
            id="read-copy",
            name="publish the read copy",
        )
        storage = self.settings.storage
        if storage.keep_versions is not None or storage.keep_days is not None:
            scheduler.add_job(
                self.prune_history,
                IntervalTrigger(seconds=storage.prune_interval_seconds, timezone=UTC),
                id="retention",
                name="prune the history",
                next_run_time=now,
            )
        if self.settings.reports.interval_seconds:
            scheduler.add_job(
                self.write_report,
                IntervalTrigger(seconds=self.settings.reports.interval_seconds, timezone=UTC),
                id="reports",
                name="drift report",
            )
        scheduler.start()
        scheme = "https" if self.settings.exporter.tls_certfile else "http"
        url = f"{scheme}://{self.settings.exporter.host}:{server.server_port}/metrics"
        log.info(
            "daemon started",
            extra={
                "metrics_url": url,
                "generators": [w.name for w in self.watches if w.kind == "generator"],
                "corpora": [w.name for w in self.watches if w.kind == "corpus"],
            },
        )
        if ready is not None:
            ready(url)
        try:
            self.stop.wait()
        finally:
            log.info("stopping: waiting for running scans")
            scheduler.shutdown(wait=True)
            server.shutdown()
            server.server_close()
            self.publish()
            log.info("daemon stopped")
