"""The commands that read or maintain the history: status, report, restore, prune."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from monitor.daemon import apply_umask, open_store
from monitor.settings import load_settings
from monitor.status import format_status, status_document
from monitor.store import open_history, restore_snapshot

__all__ = ["command_prune", "command_report", "command_restore", "command_status"]

EXIT_OK, EXIT_FAILED_RUNS, EXIT_USAGE = 0, 1, 2


def command_status(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    store, note = open_history(settings.storage.path)
    with store:  # [generators.checks] decide the levels, as in the exporter, check and report
        document = status_document(store, thresholds=settings.thresholds_for)
    if note:
        document["note"] = note
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print(format_status(document, note))
    failing = [s for s in document["subjects"] if s.get("last_status") == "failed"]
    return EXIT_FAILED_RUNS if failing else EXIT_OK


def command_report(args: argparse.Namespace) -> int:
    """Write the report; exit 1 only for findings named by ``--fail-on`` (none by default: a
    cron job whose task is to write the report succeeds whatever the report finds)."""
    from monitor.commands.check import report_findings
    from monitor.report import build_report, new_report_dir, prune_reports, write_report

    settings = load_settings(args.config)
    since = None
    if args.since:
        since = datetime.fromisoformat(args.since)
    apply_umask(settings)
    store, note = open_history(settings.storage.path)
    with store:
        report = build_report(
            store,
            since=since,
            generator=args.generator,
            thresholds=settings.thresholds_for,
        )
    out_dir = Path(args.out) if args.out else Path(settings.reports.out_dir)
    folder = new_report_dir(out_dir)
    paths = write_report(report, folder, mode=settings.reports.file_mode_bits)
    prune_reports(out_dir, settings.reports.keep)
    if note:
        print(f"({note})")
    for path in paths:
        print(path)
    failing = report_findings(report) & set(args.fail_on or ())
    if failing:
        print(f"failing findings (--fail-on): {', '.join(sorted(failing))}", file=sys.stderr)
    return EXIT_FAILED_RUNS if failing else EXIT_OK


def command_restore(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    apply_umask(settings)
    restored, kept = restore_snapshot(settings.storage.path)
    if kept is not None:
        print(f"the damaged store was kept as {kept}")
    print(f"restored {restored} from its read copy; start the daemon again")
    return EXIT_OK


def command_prune(args: argparse.Namespace) -> int:
    from monitor.store import baseline_window, compact_file, prune, verdict_window

    settings = load_settings(args.config)
    apply_umask(settings)
    storage = settings.storage
    keep_versions = args.keep_versions if args.keep_versions is not None else storage.keep_versions
    keep_days = args.keep_days if args.keep_days is not None else storage.keep_days
    if keep_versions is None and keep_days is None:
        print(
            "tailwatch prune: no window: set [storage] keep_versions or keep_days "
            "(or --keep-versions / --keep-days)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    with open_store(settings, wait_seconds=0) as store:
        result = prune(
            store,
            keep_versions=keep_versions,
            keep_days=keep_days,
            keep_first=baseline_window(settings),
            keep_latest=verdict_window(settings),
        )
    print(
        f"pruned {result.runs_pruned} run(s) beyond the window ({result.rows_deleted} rows, "
        f"{result.files_deleted} fingerprint file(s))"
    )
    if not args.no_compact:
        before, after = compact_file(storage.path)
        print(f"compacted {storage.path}: {before} -> {after} bytes")
    return EXIT_OK
