"""``tailwatch check``: measure one version or snapshot and exit by its verdict, for CI gates.

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

Exit status: 0 nothing that fails, 1 a failing finding, 2 usage or data error.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from collectors.sources import read_table, resolve_files
from monitor.checks import (
    CHECKS,
    GAPS,
    CheckThresholds,
    HealthyLevels,
    VersionFigures,
    evaluate_checks,
    generator_verdict,
)
from monitor.report import LEAKAGE_RULES, corpus_level
from monitor.store import StoreError

__all__ = [
    "DEFAULT_FAIL_ON",
    "EXIT_DATA",
    "EXIT_FAIL",
    "EXIT_OK",
    "FINDINGS",
    "GateCase",
    "GateResult",
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
DESCRIPTIONS = {
    **CHECKS,
    **GAPS,
    **LEAKAGE_RULES,
    BUDGET_NEAR: "known synthetic share near its budget",
}


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


def generator_gate(
    name: str,
    history: Sequence[VersionFigures],
    healthy: HealthyLevels,
    thresholds: CheckThresholds | None = None,
) -> GateResult:
    """The latest version of ``history`` (oldest first; [0] is the baseline) judged."""
    t = thresholds or CheckThresholds()
    if not history:
        raise ValueError(f"generator {name}: no version measured successfully")
    results = evaluate_checks(history, healthy, t)
    verdict = generator_verdict(results, t)
    has_baseline = len(history) > 1
    cases = []
    for r in results:
        flag = r.breached[-1] if r.breached else None
        finding = "fidelity-gap" if r.kind == "gap" else "collapse"
        if r.kind != "gap" and not has_baseline:
            state, message = "skipped", "no baseline: a single version has no change to judge"
        elif flag is None:
            state, message = "skipped", r.detail or "figures missing for this check"
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


def corpus_gate(name: str, snapshot: str, figures: Mapping[str, float]) -> GateResult:
    """One snapshot's figures judged by :func:`monitor.report.corpus.corpus_level`."""
    level, reasons = corpus_level(dict(figures))
    broken = {check for check, text in LEAKAGE_RULES.items() if text in reasons}
    cases = []
    for check in LEAKAGE_RULES:
        findings = {"leakage", "budget"} if check == "synthetic_budget" else {"leakage"}
        state = "breached" if level == "leakage" and check in broken else "ok"
        cases.append(GateCase(check, state, frozenset(findings), message=DESCRIPTIONS[check]))
    near = level == "watch"
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


def write_json(results: Sequence[GateResult], fail_on: Sequence[str], path: Path) -> None:
    """The verdicts and every case as one JSON document."""
    document = {
        "fail_on": list(fail_on),
        "failed": any(r.failing(fail_on) for r in results),
        "subjects": [r.to_dict(fail_on) for r in results],
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(document, indent=2, allow_nan=False) + "\n", "utf-8")


def write_junit(results: Sequence[GateResult], fail_on: Sequence[str], path: Path) -> None:
    """JUnit XML: one testsuite per subject, one testcase per check.

    A breached check whose findings are in ``fail_on`` is a ``<failure>``; a breached check that
    does not fail the gate, or one not evaluated, is ``<skipped>`` with the reason.
    """
    suites = ET.Element("testsuites", name="tailwatch")
    for r in results:
        failing = r.failing(fail_on)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"tailwatch.{r.kind}.{r.subject}",
            tests=str(len(r.cases)),
            failures=str(len(failing)),
            errors="0",
            skipped=str(sum(1 for c in r.cases if c.state != "ok" and c not in failing)),
        )
        props = ET.SubElement(suite, "properties")
        for key, value in (("version", r.version), ("level", r.level)):
            ET.SubElement(props, "property", name=key, value=str(value))
        for case in r.cases:
            element = ET.SubElement(
                suite,
                "testcase",
                name=case.check,
                classname=f"tailwatch.{r.kind}.{r.subject}",
            )
            text = f"{case.check} at {r.version}: {DESCRIPTIONS.get(case.check, '')}"
            if case in failing:
                failure = ET.SubElement(
                    element, "failure", message=case.message, type=",".join(sorted(case.findings))
                )
                failure.text = text
            elif case.state == "breached":
                ET.SubElement(
                    element,
                    "skipped",
                    message=f"breached, not failing (--fail-on {','.join(fail_on) or 'none'}): "
                    f"{case.message}",
                )
            elif case.state == "skipped":
                ET.SubElement(element, "skipped", message=case.message)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


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
    parser.add_argument("--generator", help="check a configured generator's pending versions")
    parser.add_argument("--corpus", help="check a configured corpus's pending snapshots")
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
    import tailwatch

    if args.config is not None or args.generator or args.corpus:
        raise GateError(
            "give either VERSION with --reference, or --config with --generator/--corpus"
        )
    if not args.reference:
        raise GateError("VERSION needs --reference (the real data)")
    size, seed = args.sample_size, args.seed
    real = _read(args.reference, "reference", None, seed)
    holdout = _read(args.holdout, "holdout", None, seed) if args.holdout else None
    name = Path(args.version).stem or "version"
    subject = Path(args.reference).stem or "reference"
    versions = {}
    if args.baseline:
        versions[f"baseline:{Path(args.baseline).stem}"] = _read(
            args.baseline, "baseline", size, seed
        )
    versions[name] = _read(args.version, "version", size, seed)
    thresholds = CheckThresholds()
    comparison = tailwatch.compare(
        real,
        versions,
        holdout=holdout,
        categorical=args.categorical,
        columns=args.columns,
        k=args.k,
        regions=args.regions,
        seed=seed,
        thresholds=thresholds,
    )
    history = [e.version_figures for e in comparison.evaluations]
    return generator_gate(subject, history, comparison.evaluations[-1].healthy, thresholds)


def _configured_gate(args: argparse.Namespace) -> GateResult:
    """Measure a configured subject's pending versions into the store, then judge its latest."""
    from monitor.commands.validate import validate_settings
    from monitor.daemon import Daemon, apply_umask, open_store
    from monitor.logs import configure_logging
    from monitor.settings import load_settings
    from monitor.store import version_figures

    if bool(args.generator) == bool(args.corpus):
        raise GateError("give VERSION --reference FILE, or --config with --generator or --corpus")
    settings = load_settings(args.config)
    kind, name = ("generator", args.generator) if args.generator else ("corpus", args.corpus)
    configured = (
        [g.name for g in settings.generators]
        if kind == "generator"
        else [c.name for c in settings.corpora]
    )
    if name not in configured:
        raise GateError(f"no {kind} {name!r} in the configuration; configured: {configured}")
    problems = validate_settings(settings, subjects=[(kind, name)], exporter=False)
    if problems:
        raise GateError("the configuration cannot work:\n" + "\n".join(f"  {p}" for p in problems))
    configure_logging(args.log_level, structured=not sys.stderr.isatty())
    apply_umask(settings)
    with open_store(settings) as store:
        daemon = Daemon(settings, store)
        watch = next(w for w in daemon.watches if w.kind == kind and w.name == name)
        outcome = daemon.scan_subject(watch, publish=False)
        daemon.publish()
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
        status = next((s for s in store.latest_runs() if (s.kind, s.subject) == (kind, name)), None)
        if not latest or status is None or status.last_ok_version is None:
            raise GateError(f"corpus {name}: no snapshot scanned (none found?)")
        figures = {metric: v for (metric, scope), v in latest.items() if scope == "snapshot"}
        return corpus_gate(name, status.last_ok_version, figures)


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
    """``tailwatch check``: 0 passes, 1 a finding in ``--fail-on``, 2 usage or data error."""
    try:
        fail_on = tuple(args.fail_on)
        result = _path_gate(args) if args.version else _configured_gate(args)
    except (ValueError, OSError, StoreError, duckdb.Error) as error:  # exit 2, never 1
        text = str(error).strip()
        if not isinstance(error, GateError):  # DuckDB's multi-line messages as one line
            text = " ".join(line.strip() for line in text.splitlines() if line.strip())
        print(f"tailwatch check: {text or type(error).__name__}", file=sys.stderr)
        return EXIT_DATA
    print(_summary(result, fail_on))
    if args.junit:
        write_junit([result], fail_on, args.junit)
    if args.json_out:
        write_json([result], fail_on, args.json_out)
    return EXIT_FAIL if result.failing(fail_on) else EXIT_OK
