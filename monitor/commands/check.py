"""``tailwatch check``: measure versions or snapshots and exit by their verdicts, for CI gates.

This module is the command (its arguments, a VERSION given as files, the summary and the exit
status); the verdicts and their cases are :mod:`monitor.commands.gate`'s, the JUnit and JSON files
:mod:`monitor.commands.check_files`'s, the configured subjects
:mod:`monitor.commands.check_configured`'s, the findings ``--fail-on`` names
:mod:`monitor.commands.fail_on`'s.

Exit status: 0 nothing that fails, 1 a failing finding, 2 usage or data error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collectors._lazy import load_name
from monitor.commands.fail_on import (
    DEFAULT_FAIL_ON,
    FINDINGS,
    GateError,
    fail_on_argument,
    parse_fail_on,
)
from monitor.version_names import version_name

if TYPE_CHECKING:
    import pandas as pd

    from monitor.commands.gate import GateResult

# Names this module re-exports from the modules it imports only when needed (PEP 562): the
# command reads its first file before it imports the checks, the report or the store.
_LAZY = {
    **dict.fromkeys(
        ("DESCRIPTIONS", "GateCase", "GateResult", "applicable_checks", "corpus_gate",
         "generator_gate", "report_findings"),
        "monitor.commands.gate",
    ),
    **dict.fromkeys(("write_json", "write_junit"), "monitor.commands.check_files"),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    return load_name(__name__, _LAZY, globals(), name)  # kept: later lookups skip this


__all__ = [
    "DEFAULT_FAIL_ON",
    "EXIT_DATA",
    "EXIT_FAIL",
    "EXIT_OK",
    "FINDINGS",
    "GateError",
    "add_arguments",
    "command_check",
    "fail_on_argument",
    "parse_fail_on",
    *_LAZY,
]

EXIT_OK, EXIT_FAIL, EXIT_DATA = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``tailwatch check``'s arguments (``--config`` and ``--log-level`` come from the CLI)."""
    parser.add_argument("version", nargs="?", help="a version file, folder or glob to check")
    parser.add_argument("--reference", help="real data (file, folder or glob) for a VERSION")
    parser.add_argument("--holdout", help="real rows kept out of the reference (healthy levels)")
    parser.add_argument(
        "--baseline",
        help="a known-good version to judge the change against (e.g. the one in production), "
        "not simply the previous one: a break that began earlier would pass. Without it the "
        "change checks are skipped and a fidelity gap against the healthy real-vs-real level "
        "counts as collapse",
    )
    parser.add_argument("--categorical", nargs="+", default=None, metavar="COLUMN")
    parser.add_argument("--columns", nargs="+", default=None, metavar="COLUMN")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--regions", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--sample-size",
        type=int,
        default=None,
        help="rows sampled per version (entities, whole, with --entity-column)",
    )
    parser.add_argument(
        "--entity-column",
        metavar="COLUMN",
        help="rows are events of sequences keyed by this column (sampled whole by entity)",
    )
    parser.add_argument(
        "--time-column",
        metavar="COLUMN",
        help="order of the events within a sequence (a timestamp or number; needs --entity-column)",
    )
    parser.add_argument(
        "--text-column", help="VERSION holds texts in this column (measured as a text generator)"
    )
    parser.add_argument("--target", help="the utility probe's target column (gates)")
    parser.add_argument("--task", choices=("classification", "regression"), default=None)
    parser.add_argument(
        "--training", help="the generator's training rows (the membership attack's members)"
    )
    parser.add_argument(
        "--cache-dir",
        help="folder for cached healthy levels (default $TAILWATCH_CACHE_DIR or "
        "~/.cache/tailwatch/healthy; 'off' for none)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print seconds per figure family (and add them to --json as 'timings')",
    )
    parser.add_argument(
        "--name", help="the subject's name for VERSION (JUnit suite, JSON; default: VERSION's)"
    )
    parser.add_argument(
        "--generator",
        help="check one configured generator's pending versions (with --config; without "
        "--generator or --corpus every configured generator and corpus is checked)",
    )
    parser.add_argument("--corpus", help="check one configured corpus's pending snapshots")
    parser.add_argument(
        "--fail-on",
        type=fail_on_argument,
        default=DEFAULT_FAIL_ON,
        help=f"findings that fail (exit 1): {', '.join(FINDINGS)} or none "
        f"(default: {','.join(DEFAULT_FAIL_ON)})",
    )
    parser.add_argument("--junit", type=Path, help="write JUnit XML (one testcase per check)")
    parser.add_argument("--json", type=Path, dest="json_out", help="write the verdict as JSON")


def _read(
    pattern: str,
    what: str,
    sample_size: int | None,
    seed: int,
    entity: str | None = None,
    time_column: str | None = None,
    missing_keys: dict[str, float] | None = None,
    key: str | None = None,
) -> pd.DataFrame:
    """Rows of ``pattern``: a seeded sample of ``sample_size`` rows, or of ``sample_size``
    whole entities when ``entity`` names the sequence key (never cut by row sampling). Rows
    without an entity or ``time_column`` are left out first, said on stderr, and their share of the
    rows read put in ``missing_keys`` under ``key`` (the version's name; ``what`` by default)."""
    from collectors.sources import read_table, resolve_files

    files = resolve_files(pattern)
    source = f"{what} ({pattern})"
    if entity is None:
        return read_table(files, sample_size=sample_size, seed=seed, source=source)
    from collectors.sources.entities import drop_missing_keys, sample_entities

    frame = read_table(files, source=source)
    if entity not in frame.columns:
        raise GateError(f"{source}: no column {entity!r} (--entity-column)")
    try:
        frame, missing = drop_missing_keys(frame, entity, time_column, source)
    except ValueError as error:
        raise GateError(str(error)) from error
    if missing.dropped:
        print(f"tailwatch check: note: {missing.note()}", file=sys.stderr)
    if missing_keys is not None:
        missing_keys[key or what] = missing.share
    return sample_entities(frame, entity, sample_size, seed)


def _path_gate(args: argparse.Namespace) -> GateResult:
    """A VERSION given on the command line, against ``--reference`` (and ``--baseline``).

    The files are read first; the measuring stack, the checks and the settings (for the default
    umask, which the files written from here on get) are imported after."""
    if args.config is not None or args.generator or args.corpus:
        raise GateError(
            "give either VERSION with --reference, or --config (with --generator/--corpus, or "
            "neither for every configured subject)"
        )
    if not args.reference:
        raise GateError("VERSION needs --reference (the real data)")
    if args.time_column and not args.entity_column:
        raise GateError("--time-column needs --entity-column (the sequence key)")
    size, seed, entity = args.sample_size, args.seed, args.entity_column
    real = _read(args.reference, "reference", None, seed)
    holdout = _read(args.holdout, "holdout", None, seed) if args.holdout else None
    name = version_name(args.version)
    subject = args.name or name
    versions = {}
    shares: dict[str, float] = {}  # sequences: each version's rows without a key, before sampling
    timecol = args.time_column
    if args.baseline:
        baseline = f"baseline:{version_name(args.baseline)}"
        versions[baseline] = _read(
            args.baseline, "baseline", size, seed, entity, timecol, shares, baseline
        )
    versions[name] = _read(args.version, "version", size, seed, entity, timecol, shares, name)
    training = _read(args.training, "training", None, seed) if args.training else None
    from monitor.checks import CheckThresholds
    from monitor.commands.gate import generator_gate
    from monitor.measure import measure_versions
    from monitor.settings import StorageSettings

    os.umask(StorageSettings().umask_bits)
    cache = args.cache_dir
    if cache is not None and cache.strip().lower() in ("off", "none", "false", "0"):
        cache = False
    thresholds = CheckThresholds()
    measured = measure_versions(
        real,
        versions,
        holdout=holdout,
        categorical=args.categorical,
        columns=args.columns,
        k=args.k,
        regions=args.regions,
        seed=seed,
        text_column=args.text_column,
        target=args.target,
        task=args.task,
        training=training,
        cache=cache,
        entity_column=entity,
        time_column=args.time_column,
        missing_key_shares=shares,
    )
    result = generator_gate(
        subject, measured.versions, measured.healthy, thresholds, check_baseline=True
    )
    for note in measured.notes:  # what the daemon logs as "reference note"
        print(f"tailwatch check: note: {note}", file=sys.stderr)
    if not args.profile:
        return result
    timings = {family: round(seconds, 4) for family, seconds in measured.timings.items()}
    print(
        "seconds per figure family: "
        + ", ".join(f"{family} {seconds:.3f}" for family, seconds in timings.items())
        + (" (healthy levels from the cache)" if measured.healthy_cached else ""),
        file=sys.stderr,
    )
    details = {**result.details, "timings": timings, "healthy_cached": measured.healthy_cached}
    return replace(result, details=details)


def _summary(result: GateResult, fail_on: Sequence[str]) -> str:
    failing = result.failing(fail_on)
    gate = "FAIL" if failing else "PASS"
    # The level, then the other kinds' findings beside it ("privacy risk", "fidelity gap").
    beside = str(result.details.get("verdict", result.level)).split("; ")[1:]
    also = f" (also: {', '.join(beside)})" if beside else ""
    lines = [f"{result.kind} {result.subject} {result.version}: {result.level} -> {gate}{also}"]
    if result.kind == "generator" and result.details.get("baseline", "") is None:
        # The level is the change checks', which a version alone cannot breach.
        lines.append(
            "  no baseline: change checks skipped; privacy and fidelity gaps judged against "
            "the healthy real-vs-real levels, a gap counts as collapse"
        )
    mixing = result.details.get("mixing")
    if isinstance(mixing, dict):  # the mixing sweep (issue 29)
        from collectors.gates.mixing import describe_curve

        lines.append(f"  mixing sweep: {describe_curve(mixing)}")
    for case in result.cases:
        if case.state == "breached":
            mark = "FAIL" if case in failing else "note"
            lines.append(f"  {mark} {case.check} [{','.join(sorted(case.findings))}]: "
                         f"{case.message}")  # fmt: skip
    return "\n".join(lines)


def command_check(args: argparse.Namespace) -> int:
    """``tailwatch check``: 0 passes, 1 a finding in ``--fail-on``, 2 usage or data error (the
    worst over the subjects when every configured one is checked).

    Files are written under the default ``[storage] umask`` (0077, set once VERSION's files are
    read), the configured one with ``--config`` (set when the config is read), never the shell's
    0022."""
    fail_on = tuple(args.fail_on)
    try:
        if args.version:
            start = time.perf_counter()
            result = _path_gate(args)
            results = [replace(result, seconds=time.perf_counter() - start)]
        else:
            from monitor.commands.check_configured import configured_gates

            results = configured_gates(args)
    except Exception as error:
        if not isinstance(error, _data_errors()):
            raise
        text = str(error).strip()
        if not isinstance(error, GateError):  # DuckDB's multi-line messages as one line
            text = " ".join(line.strip() for line in text.splitlines() if line.strip())
        print(f"tailwatch check: {text or type(error).__name__}", file=sys.stderr)
        return EXIT_DATA
    from monitor.commands.check_files import write_json, write_junit

    for result in results:
        if result.error:
            print(f"tailwatch check: {result.kind} {result.subject}: {result.error}",
                  file=sys.stderr)  # fmt: skip
        else:
            print(_summary(result, fail_on))
    if args.junit:
        write_junit(results, fail_on, args.junit)
    if args.json_out:
        write_json(results, fail_on, args.json_out)
    if any(r.error for r in results):
        return EXIT_DATA
    return EXIT_FAIL if any(r.failing(fail_on) for r in results) else EXIT_OK


def _data_errors() -> tuple[type[BaseException], ...]:
    """The errors that exit 2 (never 1): bad usage or data, the store, DuckDB."""
    import duckdb

    from monitor.store import StoreError

    return (ValueError, OSError, StoreError, duckdb.Error)
