"""Which versions (or snapshots) of a subject to measure now: not measured yet, and not backing off.

Shared by the generator and corpus watches. A failed version waits ``retry_initial_seconds``,
doubling per failure up to ``retry_max_seconds``, and is given up after ``retry_max_attempts``.
Only failures against the same ``reference`` count (what the subject is measured against: a
generator's reference files, a corpus's settings): once that changes, every version starts
afresh. A rewritten version (new content fingerprint) also starts afresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from collectors.sources import VersionRef
from monitor.settings import SchedulerSettings
from monitor.store import Store

__all__ = ["is_due", "pending_versions"]


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
