"""A WARNING log line when a subject's verdict changes level (issue 27).

The daemon keeps each subject's last level (a generator's :func:`monitor.checks.generator_verdict`,
a corpus's :func:`monitor.report.corpus_level`: what ``status``, the exporter and the report say)
and, after a scan that measured something, logs ``verdict changed`` with the previous and the new
level and the reasons (the breached checks with their figures, or the corpus rules)::

    WARNING tailwatch.verdict: verdict changed kind=generator subject=claims-gan
    previous_level=watch level="collapse suspected" reasons=["coverage_decline: 3 versions ..."]

The level a subject has when the daemon starts is read without a log line (a restart is no
change). Errors here are logged at DEBUG and never stop a scan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from monitor.checks import CheckThresholds
from monitor.report import corpus_level
from monitor.status import generator_findings
from monitor.store import Store

__all__ = ["VerdictLog", "subject_level"]

log = logging.getLogger("tailwatch.verdict")


def _reason(finding: dict) -> str:
    value, limit = finding.get("value"), finding.get("limit")
    figures = f"; {value:.3f}, limit {limit:.3f}" if value is not None and limit is not None else ""
    detail = f"; {finding['detail']}" if finding.get("detail") else ""
    return (
        f"{finding['check']} ({finding['versions_in_a_row']} version(s) in a row{figures}{detail})"
    )


def subject_level(
    store: Store, kind: str, name: str, thresholds: CheckThresholds
) -> tuple[str, list[str]] | None:
    """``(level, reasons)`` of a subject from the store; None before its first measured run."""
    if kind == "generator":
        findings = generator_findings(store, name, thresholds)
        if findings["level"] == "no data":
            return None
        return findings["level"], [_reason(f) for f in findings["change_checks"]]
    figures = store.latest_ok_metrics("corpus").get(name)
    if not figures:
        return None
    level, reasons = corpus_level(
        {m: v for (m, scope), v in figures.items() if scope == "snapshot"}
    )
    return level, list(reasons)


class VerdictLog:
    """Each subject's last level; :meth:`observe` logs a change."""

    def __init__(self, store: Store, thresholds: Callable[[str], CheckThresholds]) -> None:
        self.store = store
        self.thresholds = thresholds
        self.levels: dict[tuple[str, str], str | None] = {}

    def _level(self, kind: str, name: str) -> tuple[str, list[str]] | None:
        return subject_level(self.store, kind, name, self.thresholds(name))

    def prime(self, kind: str, name: str) -> None:
        """Read the subject's level once (at its first scan), without a log line."""
        if (kind, name) in self.levels:
            return
        try:
            found = self._level(kind, name)
        except Exception as error:  # never stop a scan over a log line
            log.debug("verdict not read", extra={"subject": name, "error": str(error)})
            found = None
        self.levels[(kind, name)] = None if found is None else found[0]

    def observe(self, kind: str, name: str) -> str | None:
        """After a scan that measured something: the new level, logged when it changed."""
        try:
            found = self._level(kind, name)
        except Exception as error:
            log.debug("verdict not read", extra={"subject": name, "error": str(error)})
            return None
        if found is None:
            return None
        level, reasons = found
        previous = self.levels.get((kind, name))
        self.levels[(kind, name)] = level
        if level != previous and not (previous is None and level == "healthy"):
            log.warning(
                "verdict changed",
                extra={
                    "kind": kind,
                    "subject": name,
                    "previous_level": previous or "no data",
                    "level": level,
                    "reasons": reasons,
                },
            )
        return level
