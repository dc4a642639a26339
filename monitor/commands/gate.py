"""The gate's verdicts: each subject's checks as cases, and the findings they stand for.

Verdicts come from the code the exporter and the alert rules use: generators from
:func:`monitor.checks.evaluate_checks` and :func:`monitor.checks.generator_verdict`, corpora from
:func:`monitor.report.corpus.corpus_level`. Every check becomes one case (one JUnit testcase);
a case carries the findings it stands for, and ``--fail-on`` picks the findings that fail:

* ``collapse``: a collapse check breached by the checked version. The alert pages after
  ``persistence`` versions in a row; a gate stops the first version that breaches (the level
  printed is still the verdict's: "watch" until the breach persists).
* ``privacy``: a privacy check (memorization, membership exposure) breached: copied or exposed
  training rows, reported as "privacy risk" beside the level, never as a collapse.
* ``fidelity-gap``: the version is far from the healthy real-vs-real level (a ticket, not a page).
* ``leakage``: a corpus leakage rule is broken (``corpus_level`` says "leakage"; the synthetic
  budget exceeded included).
* ``budget``: the known synthetic share is over or near its budget (``corpus_level`` "watch").

Only the checks that apply to a subject become cases (:func:`applicable_checks`: no text checks
on a tabular generator, no utility check without a target column, no budget without a budget).
With ``--config`` and no subject every configured generator and corpus is checked (one JUnit
suite each, named after the subject); the exit status is the worst of them.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from monitor.checks import DESCRIPTIONS as CHECK_DESCRIPTIONS
from monitor.checks import (
    FINDING_OF_KIND,
    CheckThresholds,
    HealthyLevels,
    VersionFigures,
    evaluate_checks,
    generator_verdict,
)
from monitor.report import LEAKAGE_RULES, corpus_level

__all__ = [
    "BUDGET_NEAR",
    "CORPUS_RULE_FIGURES",
    "DESCRIPTIONS",
    "GateCase",
    "GateResult",
    "applicable_checks",
    "corpus_gate",
    "generator_gate",
    "report_findings",
]

BUDGET_NEAR = "synthetic_budget_near"
# A live view: a check record registered later (monitor.checks.registry) has its description.
DESCRIPTIONS: ChainMap[str, str] = ChainMap(
    CHECK_DESCRIPTIONS, LEAKAGE_RULES, {BUDGET_NEAR: "known synthetic share near its budget"}
)


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


# Why a fidelity gap also stands for collapse (``--fail-on collapse``, the default, fails on it).
NO_BASELINE = "no baseline: a fidelity gap counts as collapse"
BROKEN_BASELINE = "the baseline has this gap too (not a known-good version): it counts as collapse"


def generator_gate(
    name: str,
    history: Sequence[VersionFigures],
    healthy: HealthyLevels,
    thresholds: CheckThresholds | None = None,
    *,
    check_baseline: bool = False,
) -> GateResult:
    """The latest version of ``history`` (oldest first; [0] is the baseline) judged.

    Cases: the checks that apply (:func:`applicable_checks`) and any that judged a version.
    Without a baseline (one version) the change checks are skipped, the privacy checks and the
    fidelity gaps are judged against the healthy real-vs-real levels, and a breached gap stands
    for ``collapse`` as well as ``fidelity-gap``: it is the only evidence of collapse there is,
    so the default ``--fail-on`` fails on it (``--fail-on`` without ``collapse`` does not).
    ``check_baseline`` (a ``--baseline`` file): a gap the baseline shows too also stands for
    collapse, since a broken baseline hides the change (a persistent break still fails).
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
        finding = r.finding  # collapse, privacy or fidelity-gap
        also = ""
        if r.kind == "gap" and flag:
            if not has_baseline:
                also = NO_BASELINE
            elif check_baseline and r.breached[0]:
                also = BROKEN_BASELINE
        if r.kind == "collapse" and not has_baseline:
            state, message = "skipped", "no baseline: a single version has no change to judge"
        elif flag is None and r.kind == "gap" and not healthy.reliable:
            state, message = "skipped", r.detail or "no reliable healthy level (holdout too small)"
        elif flag is None:
            state = "skipped"
            message = r.detail or "not judged: too few rows at this size, or figures missing"
        else:
            state = "breached" if flag else "ok"
            message = f"{r.reading} {_number(r.value)}, limit {_number(r.limit)}"
            if flag and r.kind != "gap":
                message += f"; breached by {r.streak} version(s) in a row"
            if r.detail:
                message += f"; {r.detail}"
            if also:
                message += f"; {also}"
        findings = frozenset({finding, "collapse"} if also else {finding})
        cases.append(GateCase(r.check, state, findings, r.value, r.limit, message))
    reasons = tuple(
        f"{c.check}: {DESCRIPTIONS[c.check]} ({c.message})" for c in cases if c.state == "breached"
    )
    details: dict[str, object] = {
        "baseline": history[0].version if has_baseline else None,
        "versions": [v.version for v in history], "verdict": verdict.label,
    }  # fmt: skip
    from collectors.gates.mixing import curve_from_figures  # measured already: no start-up cost

    mixing = curve_from_figures(history[-1].figures)
    if mixing is not None:  # the mixing sweep of a version with a target (issue 29)
        details["mixing"] = mixing
    return GateResult(
        "generator", name, history[-1].version, verdict.level, tuple(cases), reasons, details
    )


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

    The same mapping as the gate: a collapse check breached by a generator's latest version is
    ``collapse``, a privacy check ``privacy``, a gap ``fidelity-gap``; a corpus verdict
    "leakage" is ``leakage``, a corpus verdict "watch" (share near its budget) ``budget``.
    """
    found: set[str] = set()
    for section in getattr(report, "generators", ()):
        for row in section.checks:
            if row.breached and row.breached[-1]:
                found.add(FINDING_OF_KIND[row.kind])
    for section in getattr(report, "corpora", ()):
        if section.verdict.level == "leakage":
            found.add("leakage")
        elif section.verdict.level == "watch":
            found.add("budget")
    return found
