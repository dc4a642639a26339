"""What the generator and corpus watches share: their state, what a scan did, what is due now.

A version (or snapshot) is due when it is not measured yet and not backing off. A failed version
waits ``retry_initial_seconds``, doubling per failure up to ``retry_max_seconds``, and is given up
after ``retry_max_attempts`` until ``retry_cooldown_seconds`` after its last failure (then it gets
one more attempt). Only failures against the same ``reference`` count (what the subject is
measured against: a generator's reference files and settings, a corpus's settings): once that
changes, every version starts afresh. A rewritten version (new content fingerprint) also starts
afresh.

Those are *data* failures. A failure of Tailwatch's own storage (the store, the corpus state
folder, a full disk, permissions on them) is an :class:`InfrastructureError`: no failed run is
recorded, so it uses none of a version's attempts; the subject's scan backs off instead
(:meth:`Watch.storage_failed`) and the daemon reports itself not ready until a scan succeeds.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from collectors.result import RunResult
from collectors.sources import VersionRef
from collectors.sources.storage_errors import ObjectStorageError, storage_failure
from monitor.settings import SchedulerSettings
from monitor.store import Store, StoreError, SyntheticRegistry

__all__ = [
    "InfrastructureError",
    "Measured",
    "ScanOutcome",
    "ScanPlan",
    "ScanState",
    "Watch",
    "error_text",
    "is_due",
    "pending_versions",
    "probe_writable",
]

log = logging.getLogger("tailwatch.watch")
# What an OS or DuckDB error says when Tailwatch's own storage is at fault, whatever the file.
_STORAGE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
_STORAGE_TEXTS = tuple(os.strerror(code) for code in _STORAGE_ERRNOS)


class InfrastructureError(RuntimeError):
    """Tailwatch's own storage failed (store, state folder, disk): retried, never a data failure."""


def probe_writable(folder: Path) -> None:
    """Create ``folder`` if needed and write, then remove, a small file in it.

    Raises :class:`InfrastructureError` naming the folder and the cause.
    """
    probe = folder / f".tailwatch-probe-{os.getpid()}-{threading.get_ident()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as handle:
            handle.write(b"ok")
        probe.unlink()
    except OSError as error:
        raise InfrastructureError(f"cannot write to {folder}: {error.strerror or error}") from error


@dataclass
class ScanPlan:
    """What a scan will do: the due ``(index, version)`` pairs, in order, and how many others
    wait (backing off or given up). Watches extend it with what their measurements share."""

    due: list[tuple[int, VersionRef]]
    waiting: int


@dataclass
class Measured:
    """One version (or snapshot) measured: the run to record, the writes that belong in the
    same transaction (``also``), and the figures its log line shows (None: the run failed)."""

    result: RunResult
    also: Callable[[Any], None] | None = None
    logged: Mapping[str, object] | None = None


@dataclass
class ScanOutcome:
    """What one scan did."""

    measured: int = 0
    failed: int = 0
    pending: int = 0  # left for a later scan (backing off, given up, or stopped)


@dataclass(frozen=True)
class ScanState:
    """What the scheduler knows about one subject and the store does not."""

    kind: str
    subject: str
    interval_seconds: float
    last_scan_ok_unix: float | None
    pending: int
    scan_errors: int
    store_errors: int = 0
    storage_error: str | None = None


def error_text(error: BaseException) -> str:
    """The message a failed run records (at most 2000 characters)."""
    text = str(error).strip() or type(error).__name__
    return text if len(text) < 2000 else text[:1997] + "..."


class _WatchedStore:
    """The store as a watch sees it: every run it records goes through :meth:`Watch.record`
    (so a storage failure is never recorded as the version's fault); the rest is the store."""

    def __init__(self, store: Store, watch: Watch) -> None:
        self._store = store
        self._watch = watch

    def record_run(self, result: RunResult, also: Callable[[Any], None] | None = None) -> int:
        return self._watch.record(result, also=also)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class Watch:
    """State every watch keeps (settings, store, registry, retry policy, stop flag, scan state)
    and the scan every watch runs: :meth:`scan` is the template; a watch supplies discovery
    (:meth:`plan`), what its versions share (:meth:`prepare`) and one version (:meth:`measure_one`).
    """

    kind: str
    item: str = "version"  # what a subject's versions are called in logs
    measured_event: str = "version measured"

    def __init__(
        self,
        settings: Any,
        store: Store,
        *,
        scheduler: SchedulerSettings | None = None,
        memory_limit: str | None = None,
        stop: threading.Event | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.raw_store = store
        # why: _WatchedStore is a proxy, not a subclass, of Store (record_run goes through the
        # watch, every other attribute is forwarded by __getattr__, which mypy cannot follow)
        self.store: Store = _WatchedStore(store, self)  # type: ignore[assignment]
        self.registry = SyntheticRegistry(store, memory_limit=memory_limit)
        self.retry = scheduler or SchedulerSettings()
        self.memory_limit = memory_limit
        self.stop = stop or threading.Event()
        self.clock = clock
        self.last_scan_ok: datetime | None = None
        self.scan_errors = 0
        self.pending = 0
        self.store_errors = 0  # failures of Tailwatch's own storage, since the daemon started
        self.storage_error: str | None = None  # the outstanding one; None once a scan succeeds
        self._storage_failures = 0
        self._storage_retry_at: datetime | None = None

    @property
    def name(self) -> str:
        return str(self.settings.name)

    @property
    def interval_seconds(self) -> float:
        return float(self.settings.interval_seconds)

    # -- the scan -------------------------------------------------------------------------------

    def plan(self) -> ScanPlan:
        """Discovery: the versions due now and how many wait."""
        raise NotImplementedError

    def prepare(self, plan: ScanPlan) -> None:
        """What the due versions share, made once before the first (a failure to make it is
        recorded by each version as its failed run, not raised)."""

    def measure_one(self, index: int, version: VersionRef, plan: ScanPlan) -> Measured:
        """Measure one version; any error of its data becomes a failed run naming its cause."""
        raise NotImplementedError

    def scan(self, progress: Callable[[Iterable], Iterable] | None = None) -> ScanOutcome:
        """Measure every due version now, in order, one transaction each; stop between versions
        when asked."""
        outcome = ScanOutcome()
        try:
            plan = self.plan()
        except ObjectStorageError as error:  # discovery could not list: retried, not "no data"
            self.scan_errors += 1
            raise InfrastructureError(f"{self.kind} {self.name}: {error}") from error
        except Exception:
            self.scan_errors += 1  # the daemon logs it
            raise
        outcome.pending = plan.waiting + len(plan.due)
        self.pending = outcome.pending
        if plan.due:
            self.prepare(plan)
        items: Iterable[tuple[int, VersionRef]] = progress(plan.due) if progress else plan.due
        for index, version in items:
            if self.stop.is_set():
                break
            measured = self.measure_one(index, version, plan)
            self.store.record_run(measured.result, also=measured.also)
            outcome.pending -= 1
            self.pending = outcome.pending
            if measured.logged is None:
                outcome.failed += 1
                continue
            outcome.measured += 1
            seconds = round(measured.result.duration_seconds, 3)
            logging.getLogger(f"tailwatch.{self.kind}").info(
                self.measured_event,
                extra={
                    self.kind: self.name,
                    self.item: version.name,
                    **measured.logged,
                    "seconds": seconds,
                },
            )
        self.last_scan_ok = self.clock()
        return outcome

    # -- Tailwatch's own storage --------------------------------------------------------------

    def storage_folders(self) -> list[Path]:
        """Folders this watch writes besides the store's own: the store's folder (for its WAL)."""
        return [Path(self.store.path).parent]

    def check_storage(self) -> None:
        """Raise :class:`InfrastructureError` when a folder this watch writes is not writable."""
        for folder in self.storage_folders():
            probe_writable(folder)

    def storage_cause(self, text: str | None) -> str | None:
        """Why a failed run is Tailwatch's fault rather than the data's, or None.

        It is when its error is an object-storage outage or access problem
        (:mod:`collectors.sources.storage_errors`), names a full or read-only disk, or names a
        file of the store or of the state folders, or when one of those folders is not writable
        now.
        """
        text = text or ""
        if storage_failure(text) is not None:  # object storage down or refusing: not the data
            return text
        if any(marker in text for marker in _STORAGE_TEXTS):
            return text
        own = [self.store.path, *(str(folder) for folder in self.storage_folders()[1:])]
        if any(path in text for path in own):
            return text
        try:
            self.check_storage()
        except InfrastructureError as error:
            return f"{error} (while: {text})" if text else str(error)
        return None

    def record(self, result: RunResult, also: Callable[[Any], None] | None = None) -> int:
        """Record one run; Tailwatch's own storage failing is an :class:`InfrastructureError`.

        A failed run whose cause is Tailwatch's own storage (:meth:`storage_cause`) is not
        recorded at all, so it uses none of the version's attempts.
        """
        if result.status == "failed":
            cause = self.storage_cause(result.error)
            if cause is not None:
                raise InfrastructureError(
                    f"{self.kind} {self.name} version {result.version!r}: {cause}"
                )
        try:
            return self.raw_store.record_run(result, also=also)
        except (duckdb.Error, OSError, StoreError) as error:
            raise InfrastructureError(
                f"cannot record the run of {self.kind} {self.name} version {result.version!r} "
                f"in the store: {error_text(error)}"
            ) from error

    def storage_due(self, now: datetime) -> bool:
        """False while the subject backs off after a failure of Tailwatch's own storage."""
        return self._storage_retry_at is None or now >= self._storage_retry_at

    def storage_failed(
        self, error: BaseException, now: datetime, *, counted: bool = False
    ) -> float:
        """Count a storage failure (a scan error too, unless the scan ``counted`` it already) and
        back off; returns the seconds until the next attempt."""
        self._storage_failures += 1
        self.store_errors += 1
        self.scan_errors += 0 if counted else 1
        self.storage_error = error_text(error)
        wait = min(
            self.retry.storage_retry_initial_seconds * 2 ** (self._storage_failures - 1),
            self.retry.storage_retry_max_seconds,
        )
        self._storage_retry_at = now + timedelta(seconds=wait)
        return wait

    def storage_ok(self) -> None:
        """A scan went through: the outage, if any, is over."""
        self._storage_failures = 0
        self._storage_retry_at = None
        self.storage_error = None


def is_due(
    store: Store,
    kind: str,
    subject: str,
    version: VersionRef,
    reference: str,
    now: datetime,
    retry: SchedulerSettings,
) -> bool:
    """False while a failed version backs off, and once it has used all its attempts until the
    cool-down after its last failure has passed."""
    count, last = store.failures(kind, subject, version.name, version.fingerprint, reference)
    if count == 0 or last is None:
        return True
    if count >= retry.retry_max_attempts:
        return now >= last + timedelta(seconds=retry.retry_cooldown_seconds)
    wait = min(retry.retry_initial_seconds * 2 ** (count - 1), retry.retry_max_seconds)
    return now >= last + timedelta(seconds=wait)


def pending_versions(
    store: Store,
    kind: str,
    subject: str,
    versions: Sequence[VersionRef],
    reference: str,
    now: datetime,
    retry: SchedulerSettings,
) -> tuple[list[tuple[int, VersionRef]], int]:
    """(index, version) pairs to measure now, in order, and how many others wait."""
    measured = store.measured(kind, subject)
    due, waiting = [], 0
    for index, version in enumerate(versions):
        if measured.get(version.name) == version.fingerprint:
            continue
        if is_due(store, kind, subject, version, reference, now, retry):
            due.append((index, version))
        else:
            waiting += 1
    return due, waiting
