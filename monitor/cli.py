"""The ``tailwatch`` command line.

``run`` is the daemon (scheduler + ``/metrics``), ``scan --once`` measures everything pending and
exits (non-zero when a run failed), ``status`` shows every subject (it opens the DuckDB file, or
the copy the running daemon publishes), ``restore`` puts the read copy in place of a damaged
store, ``demo`` runs the daemon on a built-in collapsing scenario; ``check`` gates versions in CI.

Start-up is lazy: this module imports only the standard library, and each command's module
(``monitor.commands.*``, with numpy, pandas, DuckDB...) is imported when that command runs, so
``tailwatch --help`` and ``--version`` answer at once.

Exit codes: 0 ok, 1 a run or subject failed, 2 Tailwatch could not do its job (bad config, a
damaged or unreadable store, a port in use, a bad certificate, any OS or DuckDB error): one line
on stderr says why.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

EXIT_OK, EXIT_FAILED_RUNS, EXIT_USAGE = 0, 1, 2
EXIT_ERROR = 2  # Tailwatch itself could not work: config, store, port, certificate, OS
DESCRIPTION = (
    "Watch synthetic-data pipelines for model collapse and leakage: measure generator versions "
    "and corpus snapshots against real data, keep the history, export Prometheus metrics."
)
LOG_FORMATS = ("json", "text")  # monitor.logs.LOG_FORMATS (not imported: start-up stays light)

Arguments = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    """A subcommand: its help line, where its function lives (``module:function``), whether it
    takes ``--config``/``--log-level``/``--log-format``, and its own arguments (a function here,
    or ``module:function`` imported only when the command is chosen)."""

    help: str
    target: str
    config: bool = True
    arguments: Arguments | str | None = None

    def load(self, attribute: str) -> Callable:
        module, _, name = attribute.partition(":")
        return getattr(importlib.import_module(module), name)


def _scan(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true", help="measure everything pending, then exit")


def _status(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _report(parser: argparse.ArgumentParser) -> None:
    from monitor.commands.fail_on import FINDINGS, fail_on_argument  # standard library only

    parser.add_argument("--since", help="ISO date or time (UTC): versions from then on")
    parser.add_argument("--generator", help="one generator only (corpora left out)")
    parser.add_argument("--out", help="folder for the timestamped report (default: [reports])")
    parser.add_argument(
        "--fail-on",
        type=fail_on_argument,
        default=None,
        help=f"exit 1 on these findings: {', '.join(FINDINGS)} (as 'tailwatch check'); "
        "default: exit 0 whatever the report finds",
    )


def _validate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-port", action="store_true", help="skip the exporter port check")


def _prune(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep-versions", type=int, default=None, help="[storage] default")
    parser.add_argument("--keep-days", type=float, default=None, help="[storage] default")
    parser.add_argument("--no-compact", action="store_true", help="skip the file copy")


COMMANDS: dict[str, Command] = {
    "run": Command(
        "the daemon: scheduled scans and /metrics", "monitor.commands.service:command_run"
    ),
    "scan": Command(
        "measure what is pending (--once)", "monitor.commands.service:command_scan", True, _scan
    ),
    "status": Command(
        "subjects, last runs, key metrics",
        "monitor.commands.history:command_status",
        True,
        _status,
    ),
    "report": Command(
        "write an HTML/JSON/MD drift report",
        "monitor.commands.history:command_report",
        True,
        _report,
    ),
    "check": Command(
        "gate versions and snapshots (CI): exit 1 on findings",
        "monitor.commands.check:command_check",
        True,
        "monitor.commands.check:add_arguments",
    ),
    "verify": Command(
        "a version's rows with verdicts; the kept subset",
        "monitor.commands.verify:command_verify",
        False,
        "monitor.commands.verify:add_arguments",
    ),
    "validate": Command(
        "check the config, then exit",
        "monitor.commands.validate:command_validate",
        True,
        _validate,
    ),
    "restore": Command(
        "replace a damaged store with its read copy (daemon stopped)",
        "monitor.commands.history:command_restore",
    ),
    "init": Command(
        "write a commented config from a data folder",
        "monitor.commands.init:command_init",
        False,
        "monitor.commands.init:add_arguments",
    ),
    "prune": Command(
        "history retention, then compaction (daemon stopped)",
        "monitor.commands.history:command_prune",
        True,
        _prune,
    ),
    "demo": Command(
        "run the daemon on a built-in collapsing scenario",
        "monitor.commands.demo:command_demo",
        False,
        "monitor.commands.demo:add_arguments",
    ),
}


def _with_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, default=None, help="TOML file (default: ./tailwatch.toml)"
    )
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=None,
        help="log lines as JSON objects or text (default: the daemon JSON; others text on a "
        "terminal, else JSON)",
    )


def config_note(path: Path | None) -> str | None:
    """A line saying the config file is missing (``--config`` absent, no ./tailwatch.toml); here,
    not in ``validate``, so that printing it imports nothing before a command reads its data."""
    if path is not None or Path("tailwatch.toml").is_file():
        return None
    return (
        f"no config file: {Path.cwd() / 'tailwatch.toml'} does not exist and --config was not "
        "given; using defaults and TAILWATCH_ environment variables"
    )


def _chosen(argv: Sequence[str]) -> str | None:
    """The subcommand in ``argv`` (the top level's options take no values)."""
    for token in argv:
        if token == "--":
            return None
        if not token.startswith("-"):
            return token if token in COMMANDS else None
    return None


def _parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """Every command with its help line; only ``chosen``'s own arguments (and imports)."""
    from monitor import __version__

    parser = argparse.ArgumentParser(prog="tailwatch", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"tailwatch {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        sub = commands.add_parser(name, help=command.help, description=command.help)
        if name != chosen:
            continue
        if command.config:
            _with_config(sub)
        if isinstance(command.arguments, str):
            command.load(command.arguments)(sub)
        elif command.arguments is not None:
            command.arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser(_chosen(argv)).parse_args(argv)
    command = COMMANDS[args.command]
    try:
        if command.config:
            note = config_note(args.config)
            if note:
                print(f"tailwatch {args.command}: {note}", file=sys.stderr)
        return command.load(command.target)(args)
    except Exception as error:
        code = _exit_code(error)
        if code is None:
            raise
        text = str(error) if code == EXIT_USAGE and _is(error, _CONFIG) else _one_line(error)
        print(f"tailwatch {args.command}: {text}", file=sys.stderr)
        return code


# Error classes by module, looked up only when that module was imported (an error cannot be an
# instance of a class never loaded), so start-up imports none of them.
_CONFIG = (("monitor.settings", "ConfigError"),)
_ERRORS = (
    ("monitor.store", "StoreError"),
    ("monitor.exporter", "ExporterError"),
    ("duckdb", "Error"),
)


def _is(error: BaseException, classes: tuple[tuple[str, str], ...]) -> bool:
    for module, name in classes:
        loaded = sys.modules.get(module)
        if loaded is not None and isinstance(error, getattr(loaded, name)):
            return True
    return False


def _exit_code(error: BaseException) -> int | None:
    """2 for a config error, 2 for a store/exporter/DuckDB/OS error, 1 for bad data (ValueError);
    None: not an expected error (raised)."""
    if _is(error, _CONFIG):
        return EXIT_USAGE
    if _is(error, _ERRORS) or isinstance(error, OSError):
        return EXIT_ERROR
    if isinstance(error, ValueError):
        return EXIT_FAILED_RUNS
    return None


def _one_line(error: BaseException) -> str:
    """The error as one line: DuckDB's multi-line messages are joined."""
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return text or type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
