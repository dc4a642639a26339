"""``tailwatch check``: measure versions or snapshots and exit by their verdicts, for CI gates.

Verdicts come from the code the exporter and the alert rules use: generators from
:func:`monitor.checks.evaluate_checks` and :func:`monitor.checks.generator_verdict`, corpora from
:func:`monitor.report.corpus.corpus_level`. Every check becomes one case (one JUnit testcase);
a case carries the findings it stands for, and ``--fail-on`` picks the findings that fail:

* ``collapse``: a change check (or memorization) breached by the checked version. The alert
  pages after ``persistence`` versions in a row; a gate stops the first version that breaches
  (the level printed is still the verdict's: "watch" until the breach persists).
* ``fidelity-gap``: the version is far from the healthy real-vs-real level (a ticket, not a page).
* ``leakage``: a corpus leakage rule is broken (``corpus_level`` says "leakage"; the synthetic
  budget exceeded included).
* ``budget``: the known synthetic share is over or near its budget (``corpus_level`` "watch").

Only the checks that apply to a subject become cases (:func:`applicable_checks`: no text checks
on a tabular generator, no utility check without a target column, no budget without a budget).
With ``--config`` and no subject every configured generator and corpus is checked (one JUnit
suite each, named after the subject); the exit status is the worst of them.

Exit status: 0 nothing that fails, 1 a failing finding, 2 usage or data error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import ChainMap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pandas as pd

from collectors.sources import read_table, resolve_files
from monitor.checks import DESCRIPTIONS as CHECK_DESCRIPTIONS
from monitor.checks import (
    CheckThresholds,
    HealthyLevels,
    VersionFigures,
    evaluate_checks,
    generator_verdict,
)
from monitor.commands.check_files import write_json, write_junit
from monitor.report import LEAKAGE_RULES, corpus_level
from monitor.store import StoreError
from monitor.version_names import version_name

__all__ = [
    "DEFAULT_FAIL_ON",
    "EXIT_DATA",
    "EXIT_FAIL",
    "EXIT_OK",
    "FINDINGS",
    "GateCase",
    "GateResult",
    "applicable_checks",
    "command_check",
    "corpus_gate",
    "fail_on_argument",
    "generator_gate",
    "parse_fail_on",
    "report_findings",
    "write_json",
    "write_junit",
]

EXIT_OK, EXIT_FAIL, EXIT_DATA = 0, 1, 2
FINDINGS = ("collapse", "leakage", "fidelity-gap", "budget")
DEFAULT_FAIL_ON = ("collapse", "leakage")
BUDGET_NEAR = "synthetic_budget_near"
# A live view: a check record registered later (monitor.checks.registry) has its description.
DESCRIPTIONS: ChainMap[str, str] = ChainMap(
    CHECK_DESCRIPTIONS, LEAKAGE_RULES, {BUDGET_NEAR: "known synthetic share near its budget"}
)


def parse_fail_on(text: str) -> tuple[str, ...]:
    """``"collapse,leakage"`` -> its findings; ``"none"`` -> (); an unknown name: ValueError."""
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if names == ("none",):
        return ()
    unknown = [n for n in names if n not in FINDINGS]
    if unknown or not names:
        raise ValueError(
            f"--fail-on: unknown finding(s) {unknown or [text]}; choose from "
            f"{', '.join(FINDINGS)} (comma-separated) or none"
        )
    return names


def fail_on_argument(text: str) -> tuple[str, ...]:
    """:func:`parse_fail_on` for argparse (a bad value is a usage error, exit 2)."""
    try:
        return parse_fail_on(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


@dataclass(frozen=True)
class GateCase:
    """One check at the checked version: its state and the findings a breach stands for."""

    check: str
    state: str  # "ok", "breached" or "skipped" (not evaluated: no baseline, figures missing)
    findings: frozenset[str] = frozenset()
    value: float | None = None
    limit: float | None = None
    message: str = ""

    def fails(self, fail_on: Iterable[str]) -> bool:
        return self.state == "breached" and bool(self.findings & set(fail_on))


@dataclass(frozen=True)
class GateResult:
    """The verdict on one subject's checked version and its cases."""

    kind: str  # "generator" or "corpus"
    subject: str
    version: str
    level: str
    cases: tuple[GateCase, ...]
    reasons: tuple[str, ...] = ()
    details: Mapping[str, object] = field(default_factory=dict)
    seconds: float = 0.0  # wall time to measure and judge the subject
    error: str = ""  # why the subject could not be judged (then ``cases`` is empty)

    def failing(self, fail_on: Iterable[str]) -> list[GateCase]:
        wanted = set(fail_on)
        return [case for case in self.cases if case.fails(wanted)]

    def to_dict(self, fail_on: Sequence[str]) -> dict[str, object]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "version": self.version,
            "level": self.level,
            "failed": bool(self.failing(fail_on)),
            "error": self.error or None,
            "seconds": round(self.seconds, 3),
            "reasons": list(self.reasons),
            "checks": [
                {
                    "check": c.check,
                    "state": c.state,
                    "fails": c.fails(fail_on),
                    "findings": sorted(c.findings),
                    "value": c.value,
                    "limit": c.limit,
                    "message": c.message,
                    "description": DESCRIPTIONS.get(c.check, ""),
                }
                for c in self.cases
            ],
            **dict(self.details),
        }


def _number(x: float | None) -> str:
    return "–" if x is None else f"{x:.4g}"


def applicable_checks(
    history: Sequence[VersionFigures], thresholds: CheckThresholds | None = None
) -> set[str]:
    """The checks a generator's figures let judge: its baseline and latest version, each judged
    against itself (a tail the latest version lost entirely is still the baseline's).

    A check without its figures judges nothing (``None``): a tabular generator has no text
    figures, one without a target column no utility ratio, a table without categorical columns
    no category masses. Row counts are taken as unbounded, so that a check that only lacks rows
    at this size (a tail side with fewer than ``MIN_EXPECTED_COUNT`` rows) is still listed (then
    skipped with the reason), and the version's own figures stand in for the healthy levels, so
    that a gap is listed wherever its figure exists.
    """
    unbounded = 10**12
    found: set[str] = set()
    for version in {id(v): v for v in (*history[:1], *history[-1:])}.values():
        v = replace(version, sample_rows=unbounded, reference_rows=unbounded)
        if "worst_region_rows" in v.figures:
            v = replace(v, figures={**v.figures, "worst_region_rows": unbounded})
        own = HealthyLevels(dict(v.figures), dict(v.spread), {"healthy_reliable": 1.0})
        results = evaluate_checks([v, v], own, thresholds or CheckThresholds())
        found |= {r.check for r in results if r.breached[-1] is not None or r.detail}
    return found


def generator_gate(
    name: str,
    history: Sequence[VersionFigures],
    healthy: HealthyLevels,
    thresholds: CheckThresholds | None = None,
) -> GateResult:
    """The latest version of ``history`` (oldest first; [0] is the baseline) judged.

    Cases: the checks that apply (:func:`applicable_checks`) and any that judged a version.
    """
    t = thresholds or CheckThresholds()
    if not history:
        raise ValueError(f"generator {name}: no version measured successfully")
    results = evaluate_checks(history, healthy, t)
    verdict = generator_verdict(results, t)
    has_baseline = len(history) > 1
    applies = applicable_checks(history, t)
    cases = []
    for r in results:
        if r.check not in applies and all(flag is None for flag in r.breached):
            continue
        flag = r.breached[-1] if r.breached else None
        finding = "fidelity-gap" if r.kind == "gap" else "collapse"
        if r.kind != "gap" and not has_baseline:
            state, message = "skipped", "no baseline: a single version has no change to judge"
        elif flag is None and r.kind == "gap" and not healthy.reliable:
            state, message = "skipped", r.detail or "no reliable healthy level (holdout too small)"
        elif flag is None:
            state = "skipped"
            message = r.detail or "not judged: too few rows at this size, or figures missing"
        else:
            state = "breached" if flag else "ok"
            message = f"value {_number(r.value)}, limit {_number(r.limit)}"
            if flag and r.kind != "gap":
                message += f"; breached by {r.streak} version(s) in a row"
            if r.detail:
                message += f"; {r.detail}"
        cases.append(GateCase(r.check, state, frozenset({finding}), r.value, r.limit, message))
    reasons = tuple(
        f"{c.check}: {DESCRIPTIONS[c.check]} ({c.message})" for c in cases if c.state == "breached"
    )
    return GateResult(
        "generator",
        name,
        history[-1].version,
        verdict.level,
        tuple(cases),
        reasons,
        {"baseline": history[0].version if has_baseline else None,
         "versions": [v.version for v in history]},
    )  # fmt: skip


# The figure without which a corpus rule has nothing to judge (a budget only where one is set).
CORPUS_RULE_FIGURES = {
    "synthetic_budget": "synthetic_budget_ratio",
    "human_only": "human_only_violation_rows",
    "unlabeled_synthetic": "unlabeled_synthetic_ratio",
    "near_duplicate_synthetic": "near_duplicate_synthetic_ratio",
    BUDGET_NEAR: "synthetic_budget_ratio",
}


def corpus_gate(
    name: str, snapshot: str, figures: Mapping[str, float], *, human_only: bool | None = None
) -> GateResult:
    """One snapshot's figures judged by :func:`monitor.report.corpus.corpus_level`.

    Cases: the rules whose figures the snapshot has (:data:`CORPUS_RULE_FIGURES`); ``human_only``
    (the corpus's setting) lists or leaves out the human-only rule, whose figure is always
    there (0 for a corpus that is not human-only). A broken rule is always listed.
    """
    level, reasons = corpus_level(dict(figures))
    broken = {check for check, text in LEAKAGE_RULES.items() if text in reasons}

    def applies(check: str) -> bool:
        if check == "human_only" and human_only is not None:
            return human_only
        return CORPUS_RULE_FIGURES[check] in figures

    cases = []
    for check in LEAKAGE_RULES:
        findings = {"leakage", "budget"} if check == "synthetic_budget" else {"leakage"}
        state = "breached" if level == "leakage" and check in broken else "ok"
        if state == "breached" or applies(check):
            cases.append(GateCase(check, state, frozenset(findings), message=DESCRIPTIONS[check]))
    near = level == "watch"
    if near or applies(BUDGET_NEAR):
        cases.append(
            GateCase(
                BUDGET_NEAR,
                "breached" if near else "ok",
                frozenset({"budget"}),
                figures.get("known_synthetic_fraction", figures.get("synthetic_fraction")),
                figures.get("synthetic_budget_ratio"),
                "; ".join(reasons) if near else DESCRIPTIONS[BUDGET_NEAR],
            )
        )
    return GateResult("corpus", name, snapshot, level, tuple(cases), tuple(reasons))


def report_findings(report: object) -> set[str]:
    """Findings of a :class:`monitor.report.model.Report` (``tailwatch report --fail-on``).

    The same mapping as the gate: a change check breached by a generator's latest version is
    ``collapse``, a gap there ``fidelity-gap``; a corpus verdict "leakage" is ``leakage``, a
    corpus verdict "watch" (share near its budget) ``budget``.
    """
    found: set[str] = set()
    for section in getattr(report, "generators", ()):
        for row in section.checks:
            if row.breached and row.breached[-1]:
                found.add("fidelity-gap" if row.kind == "gap" else "collapse")
    for section in getattr(report, "corpora", ()):
        if section.verdict.level == "leakage":
            found.add("leakage")
        elif section.verdict.level == "watch":
            found.add("budget")
    return found


# -- the command --------------------------------------------------------------------------------


class GateError(ValueError):
    """The check could not judge: bad usage or data (exit 2)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``tailwatch check``'s arguments (``--config`` and ``--log-level`` come from the CLI)."""
    parser.add_argument("version", nargs="?", help="a version file, folder or glob to check")
    parser.add_argument("--reference", help="real data (file, folder or glob) for a VERSION")
    parser.add_argument("--holdout", help="real rows kept out of the reference (healthy levels)")
    parser.add_argument("--baseline", help="the version to compare with (e.g. production's)")
    parser.add_argument("--categorical", nargs="+", default=None, metavar="COLUMN")
    parser.add_argument("--columns", nargs="+", default=None, metavar="COLUMN")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--regions", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample-size", type=int, default=None, help="rows sampled per version")
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


def _read(pattern: str, what: str, sample_size: int | None, seed: int) -> pd.DataFrame:
    files = resolve_files(pattern)
    return read_table(files, sample_size=sample_size, seed=seed, source=f"{what} ({pattern})")


def _path_gate(args: argparse.Namespace) -> GateResult:
    """A VERSION given on the command line, against ``--reference`` (and ``--baseline``)."""
    from monitor.measure import measure_versions

    if args.config is not None or args.generator or args.corpus:
        raise GateError(
            "give either VERSION with --reference, or --config (with --generator/--corpus, or "
            "neither for every configured subject)"
        )
    if not args.reference:
        raise GateError("VERSION needs --reference (the real data)")
    size, seed = args.sample_size, args.seed
    real = _read(args.reference, "reference", None, seed)
    holdout = _read(args.holdout, "holdout", None, seed) if args.holdout else None
    name = version_name(args.version)
    subject = args.name or name
    versions = {}
    if args.baseline:
        versions[f"baseline:{version_name(args.baseline)}"] = _read(
            args.baseline, "baseline", size, seed
        )
    versions[name] = _read(args.version, "version", size, seed)
    training = _read(args.training, "training", None, seed) if args.training else None
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
    )
    result = generator_gate(subject, measured.versions, measured.healthy, thresholds)
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
    lines = [f"{result.kind} {result.subject} {result.version}: {result.level} -> {gate}"]
    for case in result.cases:
        if case.state == "breached":
            mark = "FAIL" if case in failing else "note"
            lines.append(f"  {mark} {case.check} [{','.join(sorted(case.findings))}]: "
                         f"{case.message}")  # fmt: skip
    return "\n".join(lines)


def command_check(args: argparse.Namespace) -> int:
    """``tailwatch check``: 0 passes, 1 a finding in ``--fail-on``, 2 usage or data error (the
    worst over the subjects when every configured one is checked)."""
    fail_on = tuple(args.fail_on)
    try:
        if args.version:
            start = time.perf_counter()
            result = _path_gate(args)
            results = [replace(result, seconds=time.perf_counter() - start)]
        else:
            from monitor.commands.check_configured import configured_gates

            results = configured_gates(args)
    except (ValueError, OSError, StoreError, duckdb.Error) as error:  # exit 2, never 1
        text = str(error).strip()
        if not isinstance(error, GateError):  # DuckDB's multi-line messages as one line
            text = " ".join(line.strip() for line in text.splitlines() if line.strip())
        print(f"tailwatch check: {text or type(error).__name__}", file=sys.stderr)
        return EXIT_DATA
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
