"""``tailwatch check --config F [--generator NAME | --corpus NAME]``: configured subjects.

Each subject's pending versions or snapshots are measured into the configured store (as ``scan
--once`` does), then its latest is judged by :mod:`monitor.commands.gate`. Without a subject
every configured generator and corpus is checked, one after the other: a subject that cannot be
judged (its configuration, its data) becomes an error result and the others are still checked.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from typing import TYPE_CHECKING

import duckdb

from monitor.commands.fail_on import GateError
from monitor.commands.gate import GateResult, corpus_gate, generator_gate
from monitor.store import StoreError

if TYPE_CHECKING:
    from monitor.daemon import Daemon
    from monitor.settings import Settings
    from monitor.store import Store

__all__ = ["configured_gates", "subjects_of"]


def subjects_of(settings: Settings) -> list[tuple[str, str]]:
    """Every configured (kind, name): generators first, then corpora, in config order."""
    return [("generator", g.name) for g in settings.generators] + [
        ("corpus", c.name) for c in settings.corpora
    ]


def configured_gates(args: argparse.Namespace) -> list[GateResult]:
    """The named subject judged, or (no ``--generator``/``--corpus``) every configured one.

    A named subject that cannot be judged raises :class:`GateError`; with every subject, each
    one that cannot is an error result (``GateResult.error``) and the rest go on.
    """
    from monitor.daemon import Daemon, apply_umask, open_store
    from monitor.logs import configure_logging
    from monitor.settings import load_settings

    if args.generator and args.corpus:
        raise GateError("give --generator or --corpus, not both (neither: every subject)")
    if getattr(args, "name", None):
        raise GateError("--name names a VERSION's subject; a configured subject has its own name")
    settings = load_settings(args.config)
    settings.configure_storage()
    configured = subjects_of(settings)
    if args.generator or args.corpus:
        kind, name = ("generator", args.generator) if args.generator else ("corpus", args.corpus)
        names = [n for k, n in configured if k == kind]
        if name not in names:
            raise GateError(f"no {kind} {name!r} in the configuration; configured: {names}")
        chosen = [(kind, name)]
    elif not configured:
        raise GateError(f"{args.config or 'tailwatch.toml'}: no generator or corpus configured")
    else:
        chosen = configured
    configure_logging(args.log_level, structured=not sys.stderr.isatty())
    apply_umask(settings)
    # Every subject's configuration is validated before the store is opened, so a broken
    # configuration creates no store file and does no work.
    results: dict[tuple[str, str], GateResult] = {}
    for kind, name in chosen:
        start = time.perf_counter()
        try:
            _validate(settings, kind, name)
        except (GateError, ValueError, OSError) as error:
            if len(chosen) == 1:
                raise
            results[(kind, name)] = GateResult(
                kind, name, "", "error", (), error=_one_line(error),
                seconds=time.perf_counter() - start,
            )  # fmt: skip
    valid = [subject for subject in chosen if subject not in results]
    if valid:
        with open_store(settings) as store:
            daemon = Daemon(settings, store)
            for kind, name in valid:
                start = time.perf_counter()
                try:
                    result = _judge(settings, store, daemon, kind, name)
                except (GateError, ValueError, OSError, StoreError, duckdb.Error) as error:
                    if len(chosen) == 1:
                        raise
                    result = GateResult(kind, name, "", "error", (), error=_one_line(error))
                results[(kind, name)] = replace(result, seconds=time.perf_counter() - start)
            daemon.publish()
    return [results[subject] for subject in chosen]


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    if not isinstance(error, GateError):  # DuckDB's multi-line messages as one line
        text = " ".join(line.strip() for line in text.splitlines() if line.strip())
    return text or type(error).__name__


def _validate(settings: Settings, kind: str, name: str) -> None:
    """Raise :class:`GateError` naming every problem of one subject's configuration."""
    from monitor.commands.validate import validate_settings

    problems = validate_settings(settings, subjects=[(kind, name)], exporter=False)
    if problems:
        raise GateError(
            f"{kind} {name}: the configuration cannot work:\n"
            + "\n".join(f"  {p}" for p in problems)
        )


def _judge(settings: Settings, store: Store, daemon: Daemon, kind: str, name: str) -> GateResult:
    """Scan and judge one subject (its configuration validated by :func:`_validate`)."""
    from monitor.store import version_figures

    watch = next(w for w in daemon.watches if w.kind == kind and w.name == name)
    outcome = daemon.scan_subject(watch, publish=False)
    if outcome is None:
        raise GateError(f"{kind} {name}: the scan failed (the log says why)")
    if outcome.failed:
        runs = store.runs(kind, name, limit=outcome.failed + outcome.measured)
        errors = [f"{v}: {e}" for v, e, s in
                  zip(runs["version"], runs["error"], runs["status"], strict=True)
                  if s == "failed"]  # fmt: skip
        raise GateError(f"{kind} {name}: {outcome.failed} run(s) failed: " + "; ".join(errors))
    if kind == "generator":
        history, healthy = version_figures(store.history(kind, name))
        if not history:
            raise GateError(f"generator {name}: no version measured (none found?)")
        thresholds = settings.thresholds_for(name)
        return generator_gate(name, history, healthy, thresholds)
    latest = store.latest_ok_metrics(kind).get(name)
    status = next(
        (s for s in store.latest_runs() if (s.kind, s.subject) == (kind, name)),
        None,
    )
    if not latest or status is None or status.last_ok_version is None:
        raise GateError(f"corpus {name}: no snapshot scanned (none found?)")
    figures = {metric: v for (metric, scope), v in latest.items() if scope == "snapshot"}
    corpus = next(c for c in settings.corpora if c.name == name)
    return corpus_gate(name, status.last_ok_version, figures, human_only=corpus.human_only)
