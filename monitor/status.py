"""Where every subject stands: the document behind ``tailwatch status`` and ``/api/status``.

Generators get a ``level`` (the collapse level of :func:`monitor.checks.generator_verdict`, as
the exporter's ``tailwatch_generator_verdict``: collapse suspected / watch / healthy), the
``verdict`` with every kind's label beside it ("healthy; privacy risk; fidelity gap"), the
collapse checks breached by the latest version (``change_checks``: they page), the privacy checks
(``privacy_checks``: memorization, membership exposure; their own finding, never a collapse),
the fidelity gaps (``fidelity_gaps``: far from the healthy level, tickets, never pages) and the
checks that paged and recovered (``resolved``, with the version that cleared them). Each finding
names the figure its value and limit are (``figure``: the sub-test that breached), the version
its streak began at (``since``) and whether it has held since the first version (``constant``:
a constant finding, not a change).

Corpora also get a ``level`` (leakage / watch / healthy, the report's rule:
:func:`monitor.report.corpus.corpus_level`; near-duplicates within the null's expected false
positives are healthy) and ``near_duplicate_calibration``: whether the near-duplicate figure was
calibrated on known-human data or on the documented default, and its null.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.checks import CheckResult, CheckThresholds, evaluate_checks, generator_verdict
from monitor.report import calibration_text, corpus_level
from monitor.store import Store, version_figures
from monitor.watch import ScanState

__all__ = ["KEY_METRICS", "format_status", "status_document"]

KEY_METRICS = ("coverage", "recall", "precision", "density", "worst_region_coverage")
CORPUS_KEY_METRICS = (
    "rows",
    "synthetic_fraction",
    "known_synthetic_fraction",
    "unlabeled_synthetic_rows",
    "unlabeled_synthetic_ratio",
    "near_duplicate_synthetic_ratio",
    "near_duplicate_synthetic_ratio_lower",
    "near_duplicate_expected_false_positives",
    "near_duplicate_sample_rows",
    "near_duplicate_default_calibration",
    "budget_exceeded",
    "human_only_violation_rows",
)
# Columns of the plain-text table: (metric, header) per kind.
_SHOWN = {
    "generator": [
        *((k, k) for k in ("coverage", "recall", "precision", "density")),
        ("level", "verdict"),
    ],
    "corpus": [
        ("rows", "rows"),
        ("synthetic_fraction", "synthetic"),
        ("known_synthetic_fraction", "known synthetic"),
        ("unlabeled_synthetic_rows", "unlabelled synthetic"),
        ("budget_exceeded", "over budget"),
        ("near_duplicate_synthetic_ratio", "near-dups"),
        ("level", "level"),
    ],
}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def _finding(result: CheckResult) -> dict[str, Any]:
    value, limit = result.value, result.limit
    return {
        "check": result.check,
        "kind": result.kind,
        "finding": result.finding,
        "versions_in_a_row": result.streak,
        "since": result.since,
        "constant": result.constant,  # every version since the first: not a change
        "figure": result.reading,  # the figure value and limit are (the sub-test that breached)
        "value": value if value is None or math.isfinite(value) else None,
        "limit": limit if limit is None or math.isfinite(limit) else None,
        "detail": result.detail,
    }


def generator_findings(store: Store, name: str, thresholds: CheckThresholds) -> dict[str, Any]:
    """A generator's verdict: the collapse level, the labels of every kind of finding, the
    breached collapse checks, privacy checks and fidelity gaps, and the checks that paged and
    recovered (as the exporter's gauges: the same history, checks and thresholds)."""
    figures, healthy = version_figures(store.history("generator", name))
    verdict = generator_verdict(evaluate_checks(figures, healthy, thresholds), thresholds)
    return {
        "level": verdict.level,
        "verdict": verdict.label,
        "findings": list(verdict.labels),
        "privacy_level": verdict.privacy_level,
        "change_checks": [_finding(r) for r in (*verdict.collapse, *verdict.watch)],
        "privacy_checks": [_finding(r) for r in verdict.privacy],
        "fidelity_gaps": [_finding(r) for r in verdict.gaps],
        "resolved": [
            {"check": r.check, "kind": r.kind, "resolved_at": at} for r, at in verdict.resolved
        ],
    }


def status_document(
    store: Store,
    scans: Iterable[ScanState] = (),
    thresholds: Callable[[str], CheckThresholds] | None = None,
) -> dict[str, Any]:
    """Every subject's last run, last success, counts, key figures and scan state.

    ``thresholds``: each generator's configured checks (``[generators.checks]``); the defaults
    without it.
    """
    figures = {kind: store.latest_ok_metrics(kind) for kind in ("generator", "corpus")}
    scan_by_subject = {(s.kind, s.subject): s for s in scans}
    subjects = []
    for s in store.latest_runs():
        latest = figures[s.kind].get(s.subject, {})
        keys = KEY_METRICS if s.kind == "generator" else CORPUS_KEY_METRICS
        scope = "reference" if s.kind == "generator" else "snapshot"
        entry: dict[str, Any] = {
            "kind": s.kind,
            "name": s.subject,
            "last_version": s.last_version,
            "last_status": s.last_status,
            "last_error": s.last_error,
            "last_finished_at": _iso(s.last_finished_at),
            "last_ok_version": s.last_ok_version,
            "last_ok_finished_at": _iso(s.last_ok_finished_at),
            "ok_runs": s.ok_runs,
            "failed_runs": s.failed_runs,
            "versions_measured": s.versions_measured,
            "metrics": {k: latest[(k, scope)] for k in keys if (k, scope) in latest},
            "healthy": {k: latest[(k, "healthy")] for k in keys if (k, "healthy") in latest},
        }
        if s.kind == "generator" and s.last_ok_version is not None:
            chosen = thresholds(s.subject) if thresholds is not None else CheckThresholds()
            entry.update(generator_findings(store, s.subject, chosen))
        if s.kind == "corpus" and latest:
            snapshot = {m: v for (m, scope), v in latest.items() if scope == "snapshot"}
            entry["level"], entry["level_reasons"] = corpus_level(snapshot)
            entry["level_reasons"] = list(entry["level_reasons"])
            entry["near_duplicate_calibration"] = calibration_text(
                store, s.subject, s.last_ok_version
            )
        scan = scan_by_subject.pop((s.kind, s.subject), None)
        if scan is not None:
            entry["pending"] = scan.pending
            entry["scan_errors"] = scan.scan_errors
        subjects.append(entry)
    for scan in scan_by_subject.values():  # configured, nothing recorded yet
        subjects.append(
            {"kind": scan.kind, "name": scan.subject, "last_status": None, "ok_runs": 0,
             "failed_runs": 0, "versions_measured": 0, "metrics": {}, "healthy": {},
             "pending": scan.pending, "scan_errors": scan.scan_errors}
        )  # fmt: skip
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "store": store.path,
        "subjects": subjects,
    }


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if not math.isfinite(value) else f"{value:.3f}"
    return str(value)


def _table(subjects: Sequence[dict[str, Any]], kind: str) -> list[str]:
    version = "last version" if kind == "generator" else "last snapshot"
    header = ["name", version, "status", "ok", "failed", "finished (UTC)"]
    header += [title for _, title in _SHOWN[kind]]
    rows = [header]
    for s in subjects:
        metrics = s.get("metrics", {})
        finished = s.get("last_finished_at")
        cells = [
            s["name"],
            _cell(s.get("last_version")),
            _cell(s.get("last_status")),
            str(s.get("ok_runs", 0)),
            str(s.get("failed_runs", 0)),
            "-" if not finished else finished.replace("T", " ")[:19],
        ]
        for metric, _ in _SHOWN[kind]:
            level = s.get("verdict", s.get("level"))
            value = level if metric == "level" else metrics.get(metric)
            integer = metric in {"rows", "unlabeled_synthetic_rows", "budget_exceeded"}
            cells.append(_cell(int(value) if integer and value is not None else value))
        rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _finding_text(f: dict[str, Any]) -> str:
    n = f["versions_in_a_row"]
    if f.get("constant") and f.get("since"):
        text = f"{f['check']} (constant since {f['since']}, {n} version{'s' if n != 1 else ''}"
    else:
        text = f"{f['check']} ({n} version{'s' if n != 1 else ''} in a row"
    if f.get("value") is not None and f.get("limit") is not None:
        figure = f"{f['figure']} " if f.get("figure") else ""
        text += f"; {figure}{f['value']:.3f}, limit {f['limit']:.3f}"
    if f.get("detail"):
        text += f"; {f['detail']}"
    return text + ")"


def _generator_lines(s: dict[str, Any]) -> list[str]:
    """The generator's findings under the table: change checks (page) and gaps (tickets)."""
    lines = []
    if s.get("change_checks"):
        lines.append(f"  {s['name']}: {s['level']}: change checks breached: "
                     + "; ".join(_finding_text(f) for f in s["change_checks"]))  # fmt: skip
    if s.get("privacy_checks"):
        found = "; ".join(_finding_text(f) for f in s["privacy_checks"])
        lines.append(f"  {s['name']}: {s['privacy_level']}: privacy checks breached (not a "
                     f"collapse): {found}")  # fmt: skip
    if s.get("fidelity_gaps"):
        lines.append(f"  {s['name']}: fidelity gaps (tickets, not a collapse): "
                     + "; ".join(_finding_text(f) for f in s["fidelity_gaps"]))  # fmt: skip
    if s.get("resolved"):
        lines.append(f"  {s['name']}: paged and recovered: " + "; ".join(
            f"{r['check']} resolved at {r['resolved_at']}" for r in s["resolved"]))  # fmt: skip
    return lines


def format_status(document: dict[str, Any], note: str | None = None) -> str:
    """A plain-text table of the status document, errors listed under it."""
    subjects: Sequence[dict[str, Any]] = document.get("subjects", [])
    lines = []
    if note:
        lines.append(f"({note})")
    if not subjects:
        lines.append("No subjects recorded yet.")
        return "\n".join(lines)
    for kind, title in (("generator", "Generators"), ("corpus", "Corpora")):
        chosen = [s for s in subjects if s["kind"] == kind]
        if chosen:
            lines += [title, *_table(chosen, kind)]
            for s in chosen:
                if kind == "generator":
                    lines += _generator_lines(s)
                if s.get("level_reasons"):
                    lines.append(f"  {s['name']}: {'; '.join(s['level_reasons'])}")
                if kind == "corpus" and s.get("last_ok_version") is not None:
                    calibration = s.get("near_duplicate_calibration")
                    lines.append(
                        f"  {s['name']}: near-duplicates calibrated on {calibration}"
                        if calibration
                        else f"  {s['name']}: no near-duplicate figure (no synthetic dump with "
                        "this corpus's content columns)"
                    )
            lines.append("")
    if lines and lines[-1] == "":
        lines.pop()
    errors = [s for s in subjects if s.get("last_status") == "failed" and s.get("last_error")]
    if errors:
        lines.append("")
        lines.append("Last errors:")
        for s in errors:
            lines.append(f"  {s['kind']} {s['name']} {s.get('last_version')}: {s['last_error']}")
    return "\n".join(lines)
