"""Drift reports from the store: the data model, its HTML, Markdown and JSON renderings, and
plots."""

from monitor.report.corpus import LEAKAGE_RULES, calibration_text, corpus_level
from monitor.report.model import LEVEL_COLOURS
from monitor.report.write import build_report, new_report_dir, prune_reports, write_report

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
