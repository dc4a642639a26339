"""Drift reports from the store: the data model, its HTML, Markdown and JSON renderings, and
plots.

The names below load on first use (PEP 562): a module that needs only the corpus verdict or the
level colours (``tailwatch check``'s gate, the verdict log, the notebook facade) does not import
the report writer and its plots (matplotlib: about 0.7 s of a process's start on 2 cores).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from collectors._lazy import load_name

if TYPE_CHECKING:
    from monitor.report.corpus import LEAKAGE_RULES, calibration_text, corpus_level
    from monitor.report.model import LEVEL_COLOURS
    from monitor.report.write import build_report, new_report_dir, prune_reports, write_report

_HOMES = {
    **dict.fromkeys(("LEAKAGE_RULES", "calibration_text", "corpus_level"), "monitor.report.corpus"),
    "LEVEL_COLOURS": "monitor.report.model",
    **dict.fromkeys(
        ("build_report", "new_report_dir", "prune_reports", "write_report"), "monitor.report.write"
    ),
}

__all__ = [
    "LEAKAGE_RULES",
    "LEVEL_COLOURS",
    "build_report",
    "calibration_text",
    "corpus_level",
    "new_report_dir",
    "prune_reports",
    "write_report",
]


def __getattr__(name: str) -> Any:
    return load_name(__name__, _HOMES, globals(), name)  # kept: later lookups skip this
