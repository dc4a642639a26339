"""The ``tailwatch`` command line: run | scan --once | status | report | restore | prune | demo.

``run`` is the daemon (scheduler + ``/metrics``), ``scan --once`` measures everything pending and
exits (non-zero when a run failed), ``status`` shows every subject (it opens the DuckDB file, or
the copy the running daemon publishes), ``restore`` puts the read copy in place of a damaged
store, ``demo`` runs the daemon on a built-in collapsing scenario.

Exit codes: 0 ok, 1 a run or subject failed, 2 Tailwatch could not do its job (bad config, a
damaged or unreadable store, a port in use, a bad certificate, any OS or DuckDB error): one line
on stderr says why.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from types import FrameType

import duckdb
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from monitor import __version__
from monitor.commands import (
    DEFAULT_FAIL_ON,
    FINDINGS,
    command_validate,
    config_note,
    report_findings,
)
from monitor.commands import check as gate
from monitor.commands import init as init_command
from monitor.commands import verify as verify_command
from monitor.daemon import Daemon, apply_umask, open_store
from monitor.demo import (
    TEXT_GENERATOR,
    TEXT_SHOWN,
    DemoScenario,
    TextDemoScenario,
)
from monitor.exporter import ExporterError
from monitor.kernel_cache import announce_compilation
from monitor.logs import configure_logging
from monitor.settings import ConfigError, Settings, load_settings
from monitor.status import KEY_METRICS, format_status, status_document
from monitor.store import (
    StoreError,
    figures_by_version,
    latest_level,
    open_history,
    restore_snapshot,
)

EXIT_OK, EXIT_FAILED_RUNS, EXIT_USAGE = 0, 1, 2
EXIT_ERROR = 2  # Tailwatch itself could not work: config, store, port, certificate, OS
log = logging.getLogger("tailwatch.cli")


def _stop_on_signals(stop: threading.Event) -> None:
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


def command_run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    configure_logging(args.log_level)
    apply_umask(settings)
    with open_store(settings) as store:
        daemon = Daemon(settings, store)
        _stop_on_signals(daemon.stop)
        announce_compilation(log)
        daemon.run()
    return EXIT_OK


def command_scan(args: argparse.Namespace) -> int:
    if not args.once:
        print("tailwatch scan: only --once is supported (use 'tailwatch run' for the daemon)")
        return EXIT_USAGE
    settings = load_settings(args.config)
    configure_logging(args.log_level, structured=not sys.stderr.isatty())
    apply_umask(settings)
    with open_store(settings) as store:
        daemon = Daemon(settings, store)
        _stop_on_signals(daemon.stop)
        announce_compilation(log)
        # Log lines go through tqdm.write while a bar is drawn: the bar is not garbled.
        with logging_redirect_tqdm():
            measured, failed, broken = daemon.scan_once(_progress(sys.stderr.isatty()))
    print(
        f"measured {measured} version(s) or snapshot(s); {failed} failed run(s); "
        f"{broken} subject(s) unreadable"
    )
    return EXIT_FAILED_RUNS if failed or broken else EXIT_OK


def command_status(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    store, note = open_history(settings.storage.path)
    with store:
        document = status_document(store)
    if note:
        document["note"] = note
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print(format_status(document, note))
    failing = [s for s in document["subjects"] if s.get("last_status") == "failed"]
    return EXIT_FAILED_RUNS if failing else EXIT_OK


def command_report(args: argparse.Namespace) -> int:
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
    paths = write_report(report, folder)
    prune_reports(out_dir, settings.reports.keep)
    if note:
        print(f"({note})")
    for path in paths:
        print(path)
    failing = report_findings(report) & set(args.fail_on)
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
    from monitor.store import baseline_window, compact_file, prune

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
        )
    print(
        f"pruned {result.runs_pruned} run(s) beyond the window ({result.rows_deleted} rows, "
        f"{result.files_deleted} fingerprint file(s))"
    )
    if not args.no_compact:
        before, after = compact_file(storage.path)
        print(f"compacted {storage.path}: {before} -> {after} bytes")
    return EXIT_OK


def _demo_config(
    workdir: Path, scenario: DemoScenario | TextDemoScenario, args: argparse.Namespace
) -> Path:
    config = workdir / "tailwatch.toml"
    if isinstance(scenario, TextDemoScenario):  # one text generator, no corpora
        config.write_text(scenario.config(workdir, args.port, args.interval), encoding="utf-8")
        return config
    config.write_text(
        scenario.config(workdir, args.port, args.interval, args.sample_size), encoding="utf-8"
    )
    return config


def _print_table(
    settings: Settings, generator: str = "demo-gan", shown: tuple[str, ...] = KEY_METRICS
) -> None:
    store, _ = open_history(settings.storage.path)
    with store:
        history = store.history("generator", generator)
    if history.empty:
        print("No version measured yet.")
        return
    names = history.drop_duplicates("version_index").set_index("version_index")["version"]
    levels = latest_level(history, "healthy")
    print(f"{'version':<10}" + "".join(f"{n.removeprefix('text_')[:12]:>13}" for n in shown))
    print(f"{'healthy':<10}" + "".join(f"{levels.get(n, float('nan')):>13.3f}" for n in shown))
    for index, figures in figures_by_version(history, "reference").items():
        row = "".join(f"{figures.get(n, float('nan')):>13.3f}" for n in shown)
        print(f"{names[index]:<10}" + row)


def command_demo(args: argparse.Namespace) -> int:
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    scenario: DemoScenario | TextDemoScenario = (
        TextDemoScenario(workdir, rows=args.sample_size)
        if args.scenario == "text"
        else DemoScenario(workdir, rows=args.sample_size, healthy=args.scenario == "healthy")
    )
    scenario.write_reference()
    scenario.versions_dir.mkdir(parents=True, exist_ok=True)
    scenario.corpus_dir.mkdir(parents=True, exist_ok=True)
    scenario.eval_dir.mkdir(parents=True, exist_ok=True)
    settings = load_settings(_demo_config(workdir, scenario, args))
    configure_logging(args.log_level, structured=not sys.stderr.isatty())
    apply_umask(settings)
    print(
        f"Tailwatch demo ({args.scenario}) in {workdir}: a generator publishes a new version every "
        f"{args.every:g} s ({args.generations} in all).\n"
        f"Metrics: http://127.0.0.1:{args.port}/metrics  status: tailwatch status --config "
        f"{workdir / 'tailwatch.toml'}\n"
        "Watch tailwatch_generator_coverage and _recall fall while _precision holds and "
        "_density climbs;\ntailwatch_generator_check_breach_versions counts versions in a row "
        "that breach a collapse check.\nCtrl-C stops the demo.",
        flush=True,
    )
    with open_store(settings) as store:
        daemon = Daemon(settings, store)
        _stop_on_signals(daemon.stop)

        def publish() -> None:
            generations = scenario.generations()
            published: list = []
            for index in range(args.generations):
                published.append(next(generations))
                if (scenario.versions_dir / f"gen-{index:03d}.parquet").exists():
                    continue
                if daemon.stop.wait(args.every if index else 0):
                    return
                scenario.write_version(index, published[-1])
                scenario.write_snapshot(published)
            if args.exit_when_done:
                while not daemon.stop.is_set():
                    done = all(
                        len(store.measured(watch.kind, watch.name)) >= args.generations
                        and watch.pending == 0
                        for watch in daemon.watches
                    )
                    if done:
                        daemon.stop.set()
                    time.sleep(0.5)

        publisher = threading.Thread(target=publish, name="demo-publisher", daemon=True)
        publisher.start()
        daemon.run()
    if isinstance(scenario, TextDemoScenario):
        _print_table(settings, TEXT_GENERATOR, TEXT_SHOWN)
    else:
        _print_table(settings)
    print(
        "\nCollapse signature: recall and coverage fall while precision holds and density climbs."
        f"\nHistory: {settings.storage.path}"
    )
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tailwatch", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"tailwatch {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    def with_config(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument(
            "--config", type=Path, default=None, help="TOML file (default: ./tailwatch.toml)"
        )
        sub.add_argument("--log-level", default="INFO")
        return sub

    with_config(commands.add_parser("run", help="the daemon: scheduled scans and /metrics"))
    scan = with_config(commands.add_parser("scan", help="measure what is pending"))
    scan.add_argument("--once", action="store_true", help="measure everything pending, then exit")
    status = with_config(commands.add_parser("status", help="subjects, last runs, key metrics"))
    status.add_argument("--json", action="store_true", help="machine-readable output")
    report = with_config(commands.add_parser("report", help="write an HTML/JSON/MD drift report"))
    report.add_argument("--since", help="ISO date or time (UTC): versions from then on")
    report.add_argument("--generator", help="one generator only (corpora left out)")
    report.add_argument("--out", help="folder for the timestamped report (default: [reports])")
    report.add_argument(
        "--fail-on",
        type=gate.fail_on_argument,
        default=DEFAULT_FAIL_ON,
        help=f"exit 1 on these findings: {', '.join(FINDINGS)} or none (as 'tailwatch check')",
    )
    gate.add_arguments(with_config(commands.add_parser("check", help="gate one version (CI)")))
    verify_command.add_arguments(
        commands.add_parser("verify", help="a version's rows with verdicts; the kept subset")
    )
    validate = with_config(commands.add_parser("validate", help="check the config, then exit"))
    validate.add_argument("--no-port", action="store_true", help="skip the exporter port check")
    with_config(
        commands.add_parser(
            "restore", help="replace a damaged store with its read copy (daemon stopped)"
        )
    )
    init_command.add_arguments(
        commands.add_parser("init", help="write a commented config from a data folder")
    )
    prune_parser = with_config(
        commands.add_parser("prune", help="history retention, then compaction (daemon stopped)")
    )
    prune_parser.add_argument("--keep-versions", type=int, default=None, help="[storage] default")
    prune_parser.add_argument("--keep-days", type=float, default=None, help="[storage] default")
    prune_parser.add_argument("--no-compact", action="store_true", help="skip the file copy")
    demo = commands.add_parser("demo", help="run the daemon on the built-in collapsing scenario")
    demo.add_argument("--workdir", type=Path, default=Path("tailwatch-demo"))
    demo.add_argument("--scenario", choices=("collapse", "healthy", "text"), default="collapse")
    demo.add_argument("--generations", type=int, default=10)
    demo.add_argument("--every", type=float, default=4.0, help="seconds between versions")
    demo.add_argument("--interval", type=float, default=2.0, help="scan interval, seconds")
    demo.add_argument("--sample-size", type=int, default=2000)
    demo.add_argument("--port", type=int, default=9108)
    demo.add_argument("--exit-when-done", action="store_true")
    demo.add_argument("--log-level", default="WARNING")
    return parser


COMMANDS = {
    "report": command_report,
    "run": command_run,
    "scan": command_scan,
    "status": command_status,
    "restore": command_restore,
    "prune": command_prune,
    "init": init_command.command_init,
    "demo": command_demo,
    "check": gate.command_check,
    "validate": command_validate,
    "verify": verify_command.command_verify,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    uses_config = hasattr(args, "config") and getattr(args, "version", None) is None
    note = config_note(args.config) if uses_config else None
    if note:
        print(f"tailwatch {args.command}: {note}", file=sys.stderr)
    try:
        return COMMANDS[args.command](args)
    except ConfigError as error:
        print(f"tailwatch {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (StoreError, ExporterError, duckdb.Error, OSError) as error:
        print(f"tailwatch {args.command}: {_one_line(error)}", file=sys.stderr)
        return EXIT_ERROR
    except ValueError as error:
        print(f"tailwatch {args.command}: {_one_line(error)}", file=sys.stderr)
        return EXIT_FAILED_RUNS


def _one_line(error: BaseException) -> str:
    """The error as one line: DuckDB's multi-line messages are joined."""
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return text or type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
