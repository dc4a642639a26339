"""Scenarios of tests/monitor/test_hardening.py that need file permissions to bite.

Root ignores ``chmod 000`` (CAP_DAC_OVERRIDE), so these run in a child process without that
capability (see :func:`without_permission_override`); each prints one JSON document.

    python -m tests.monitor.hardening_child discovery ROOT
    python -m tests.monitor.hardening_child outage ROOT SECONDS
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from monitor.daemon import Daemon
from monitor.settings import CorpusSettings, SchedulerSettings, Settings, load_settings
from monitor.store.database import Store
from monitor.watch.corpus import CorpusWatch
from monitor.watch.generator import GeneratorWatch
from tests.support.generators import generator, real, version_path, write

__all__ = ["without_permission_override"]


def without_permission_override(command: list[str]) -> list[str]:
    """``command`` run so that file permissions apply: as root, drop the DAC capabilities."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return command
    dropped = "-dac_override,-dac_read_search"
    return ["setpriv", "--bounding-set", dropped, "--inh-caps", dropped, *command]


class Clock:
    """A settable clock: backoff waits pass without sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _runs(store: Store, kind: str, subject: str) -> list[dict[str, object]]:
    frame = store.runs(kind, subject, limit=1000).sort_values("id")
    return [
        {"version": r.version, "status": r.status, "error": r.error} for r in frame.itertuples()
    ]


def discovery(root: Path) -> dict[str, object]:
    """A chmod 000 file and a symlink loop beside good versions, for a generator and a corpus."""
    clock = Clock()
    retry = SchedulerSettings(retry_initial_seconds=60, retry_max_seconds=60, retry_max_attempts=2)
    settings = generator(root, "gan")
    write(version_path(settings, "v1"), real(300, 1))
    locked = write(version_path(settings, "v2"), real(300, 2))
    locked.chmod(0)
    version_path(settings, "v3").symlink_to(version_path(settings, "v3").name)  # a loop
    write(version_path(settings, "v4"), real(300, 4))
    snapshots = root / "corpus"
    labelled = real(50, 5).assign(provenance="human")
    write(snapshots / "s1.parquet", labelled)
    (snapshots / "s2.parquet").symlink_to("s2.parquet")
    write(snapshots / "s3.parquet", labelled)
    corpus = CorpusSettings(
        name="mix", snapshots=str(snapshots / "*"), content_columns=["f0", "f1", "f2"]
    )
    with Store(root / "tw.duckdb") as store:
        gan = GeneratorWatch(settings, store, scheduler=retry, clock=clock)
        mix = CorpusWatch(corpus, store, scheduler=retry, clock=clock)
        first = [gan.scan().__dict__, mix.scan().__dict__]
        clock.advance(30)  # backing off: nothing is tried again, nothing is logged
        again = [gan.scan().__dict__, mix.scan().__dict__]
        clock.advance(31)
        retried = [gan.scan().__dict__, mix.scan().__dict__]
        locked.chmod(0o600)  # fixed: a new fingerprint, measured at once
        fixed = gan.scan().__dict__
        return {
            "first": first,
            "again": again,
            "retried": retried,
            "fixed": fixed,
            "generator": _runs(store, "generator", "gan"),
            "corpus": _runs(store, "corpus", "mix"),
        }


def outage(root: Path, seconds: float) -> dict[str, object]:
    """The corpus state folder is unwritable for ``seconds`` (clock time) while a snapshot waits.

    The retry settings would give a snapshot up after 3 failures within about 3 s.
    """
    (root / "corpus").mkdir(parents=True)
    pd.DataFrame({"text": ["a b c d", "e f g h"], "provenance": "human"}).to_parquet(
        root / "corpus" / "s1.parquet"
    )
    config = root / "tailwatch.toml"
    config.write_text(
        f"""
[storage]
path = "{root / "tw.duckdb"}"
[scheduler]
retry_initial_seconds = 1
retry_max_seconds = 1
retry_max_attempts = 3
storage_retry_initial_seconds = 1
storage_retry_max_seconds = 2
[[corpora]]
name = "mix"
snapshots = "{root / "corpus"}/*"
interval_seconds = 1
""",
        encoding="utf-8",
    )
    settings: Settings = load_settings(config)
    clock = Clock()
    with Store(settings.storage.path) as store:
        daemon = Daemon(settings, store)
        (watch,) = daemon.watches
        watch.clock = clock
        assert isinstance(watch, CorpusWatch)
        watch.folder.mkdir(parents=True)
        watch.folder.chmod(0)
        during = []
        elapsed = 0.0
        while elapsed <= seconds:
            outcome = daemon.scan_subject(watch, publish=False)
            during.append(
                {
                    "at": elapsed,
                    "scanned": outcome is not None and outcome.measured > 0,
                    "ready": daemon.health().ready,
                }
            )
            clock.advance(1)
            elapsed += 1
        watch.folder.chmod(0o700)
        clock.advance(2)
        after = daemon.scan_subject(watch, publish=False)
        return {
            "during": during,
            "after_measured": None if after is None else after.measured,
            "ready_after": daemon.health().ready,
            "store_errors": watch.store_errors,
            "scan_errors": watch.scan_errors,
            "runs": _runs(store, "corpus", "mix"),
        }


if __name__ == "__main__":
    scenario, folder, *rest = sys.argv[1:]
    if scenario == "discovery":
        document = discovery(Path(folder))
    else:
        document = outage(Path(folder), float(rest[0]))
    print(json.dumps(document, default=str))
