"""``tailwatch run`` (the daemon) and ``tailwatch scan --once`` (measure what is pending, exit)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from types import FrameType

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from monitor.daemon import Daemon, apply_umask, open_store
from monitor.kernel_cache import announce_compilation
from monitor.logs import configure_logging, structured_logs
from monitor.settings import load_settings

__all__ = ["command_run", "command_scan", "stop_on_signals"]

EXIT_OK, EXIT_FAILED_RUNS, EXIT_USAGE = 0, 1, 2
log = logging.getLogger("tailwatch.cli")


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set ``stop`` (the daemon finishes its run and closes the store)."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def _progress(enabled: bool) -> Callable[[str], Callable[[Iterable], Iterable]] | None:
    if not enabled:
        return None

    def for_subject(name: str) -> Callable[[Iterable], Iterable]:
        return lambda items: tqdm(list(items), desc=name, unit="version", leave=True)

    return for_subject


def _refused(error: str | None) -> bool:
    """A subject's storage error is object storage refusing access (not an outage)."""
    return error is not None and "object storage refused" in error


def command_run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    settings.configure_storage()
    configure_logging(args.log_level, structured=structured_logs(args.log_format, default=True))
    apply_umask(settings)
    with open_store(settings) as store:
        daemon = Daemon(settings, store)
        stop_on_signals(daemon.stop)
        announce_compilation(log)
        daemon.run()
    return EXIT_OK


def command_scan(args: argparse.Namespace) -> int:
    if not args.once:
        print("tailwatch scan: only --once is supported (use 'tailwatch run' for the daemon)")
        return EXIT_USAGE
    settings = load_settings(args.config)
    settings.configure_storage()
    structured = structured_logs(args.log_format, default=not sys.stderr.isatty())
    configure_logging(args.log_level, structured=structured)
    apply_umask(settings)
    with open_store(settings) as store:
        daemon = Daemon(settings, store)
        stop_on_signals(daemon.stop)
        announce_compilation(log)
        # Log lines go through tqdm.write while a bar is drawn: the bar is not garbled.
        with logging_redirect_tqdm():
            measured, failed, broken = daemon.scan_once(_progress(sys.stderr.isatty()))
        refused = [w.storage_error for w in daemon.watches if _refused(w.storage_error)]
    for error in refused:  # credentials, bucket or endpoint: fix the configuration
        print(f"tailwatch scan: {error}", file=sys.stderr)
    if refused:
        return EXIT_USAGE
    print(
        f"measured {measured} version(s) or snapshot(s); {failed} failed run(s); "
        f"{broken} subject(s) unreadable"
    )
    return EXIT_FAILED_RUNS if failed or broken else EXIT_OK
