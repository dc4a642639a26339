"""The daemon: one scheduled job per subject, the exporter, a published read copy, clean stop.

APScheduler 3.x runs each subject's scan every ``interval_seconds`` (``max_instances=1`` so scans
of one subject never overlap, ``coalesce`` so a backlog runs once, and a deliberate
``misfire_grace_time``: the default of 1 s silently drops runs on a busy machine). Run state lives
in DuckDB, not in the scheduler, so a restart resumes where the store says. A failing subject is
logged and counted; the others keep running. SIGTERM/SIGINT set a stop flag that scans check
between versions; the scheduler then shuts down waiting for the running scans.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.checks import CheckThresholds
from monitor.corpus_watch import CorpusWatch
from monitor.exporter import ScanState, serve
from monitor.generator_watch import GeneratorWatch
from monitor.registry import configured_sources
from monitor.settings import Settings
from monitor.store import Store, StoreError, snapshot_path
from monitor.watch import ScanOutcome, Watch

__all__ = ["Daemon", "open_store"]

log = logging.getLogger("tailwatch.daemon")
LOCK_WAIT_SECONDS = 15.0


def open_store(settings: Settings, *, wait_seconds: float = LOCK_WAIT_SECONDS) -> Store:
    """Open the store for writing, waiting a little while a reader holds the file."""
    path = Path(settings.storage.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return Store(path, memory_limit=settings.storage.duckdb_memory_limit)
        except StoreError as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
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
        self._thresholds = {g.name: g.checks.thresholds() for g in settings.generators}
        self._publish_lock = threading.Lock()

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
            )
            for watch in self.watches
        ]

    def thresholds(self, generator: str) -> CheckThresholds:
        return self._thresholds.get(generator, CheckThresholds())

    # -- scanning -----------------------------------------------------------------------------

    def publish(self) -> None:
        """Refresh the read copy that ``status`` and ``report`` open while the daemon runs."""
        with self._publish_lock:
            try:
                self.store.publish_snapshot(snapshot_path(self.store.path))
            except Exception as error:  # a stale copy is better than a dead daemon
                log.error("could not publish the read copy", extra={"error": str(error)})

    def scan_subject(
        self,
        watch: Watch,
        progress: Callable[[Iterable], Iterable] | None = None,
        *,
        publish: bool = True,
    ) -> ScanOutcome | None:
        """One scan of one subject; its errors are logged and counted, never raised.

        With ``publish`` the read copy is refreshed when the scan recorded a run.
        """
        try:
            outcome = watch.scan(progress)
        except Exception as error:
            log.error(
                "scan failed",
                extra={"kind": watch.kind, "subject": watch.name, "error": str(error)},
                exc_info=not isinstance(error, ValueError),
            )
            return None
        if publish and (outcome.measured or outcome.failed):
            self.publish()
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
            report = build_report(self.store, thresholds=self.thresholds)
            paths = write_report(report, new_report_dir(out_dir))
            prune_reports(out_dir, self.settings.reports.keep)
            log.info("report written", extra={"files": [str(p) for p in paths]})
        except Exception as error:
            log.error("report failed", extra={"error": str(error)}, exc_info=True)

    # -- the long-running service -------------------------------------------------------------

    def run(self, *, ready: Callable[[str], None] | None = None) -> None:
        """Serve until :attr:`stop` is set (the CLI sets it on SIGTERM/SIGINT)."""
        self.publish()
        server, _ = serve(
            self.settings.exporter,
            self.store,
            scans=self.scan_states,
            thresholds=self.thresholds,
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
