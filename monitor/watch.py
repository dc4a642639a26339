"""What the generator and corpus watches share: their state, what a scan did, what is due now.

A version (or snapshot) is due when it is not measured yet and not backing off. A failed version
waits ``retry_initial_seconds``, doubling per failure up to ``retry_max_seconds``, and is given up
after ``retry_max_attempts``.
Only failures against the same ``reference`` count (what the subject is measured against: a
generator's reference files, a corpus's settings): once that changes, every version starts
afresh. A rewritten version (new content fingerprint) also starts afresh.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from collectors.sources import VersionRef
from monitor.registry import SyntheticRegistry
from monitor.settings import SchedulerSettings
from monitor.store import Store

__all__ = ["ScanOutcome", "Watch", "error_text", "is_due", "pending_versions"]


@dataclass
class ScanOutcome:
    """What one scan did."""

    measured: int = 0
    failed: int = 0
    pending: int = 0  # left for a later scan (backing off, given up, or stopped)


def error_text(error: BaseException) -> str:
    """The message a failed run records (at most 2000 characters)."""
    text = str(error).strip() or type(error).__name__
    return text if len(text) < 2000 else text[:1997] + "..."


class Watch:
    """State every watch keeps: settings, store, registry, retry policy, stop flag, scan state."""

    kind: str

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
        self.store = store
        self.registry = SyntheticRegistry(store, memory_limit=memory_limit)
        self.retry = scheduler or SchedulerSettings()
        self.memory_limit = memory_limit
        self.stop = stop or threading.Event()
        self.clock = clock
        self.last_scan_ok: datetime | None = None
        self.scan_errors = 0
        self.pending = 0

    @property
    def name(self) -> str:
        return str(self.settings.name)

    @property
    def interval_seconds(self) -> float:
        return float(self.settings.interval_seconds)


def is_due(
    store: Store,
    kind: str,
    subject: str,
    version: VersionRef,
    reference: str,
    now: datetime,
    retry: SchedulerSettings,
) -> bool:
    """False while a failed version backs off, and once it has used all its attempts."""
    count, last = store.failures(kind, subject, version.name, version.fingerprint, reference)
    if count == 0 or last is None:
        return True
    if count >= retry.retry_max_attempts:
        return False
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
