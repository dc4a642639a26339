"""Drift reports from the DuckDB history: one HTML page, a JSON twin and a Markdown summary.

Usage (what ``tailwatch report`` and the scheduled report job do)::

    with Store(path, read_only=True) as store:          # or the daemon's own Store
        report = build_report(store, since=..., generator=...)
    folder = new_report_dir(out_dir)                     # out_dir/report-20261105T120000Z
    write_report(report, folder)                         # report.html, report.json, report.md
    prune_reports(out_dir, keep=10)                      # drop the oldest timestamped folders

The report holds aggregates only (per-version figures, region coverage, histogram counts), never
rows, so it stays small; ``report.html`` needs no network. Collapse verdicts and alerts come from
:func:`monitor.checks.evaluate_checks`, the same function the exporter uses.
Modules: ``report_model`` (data), ``report_data`` / ``report_corpus`` (store -> data),
``report_style`` / ``report_plots`` / ``report_corpus_plots`` (matplotlib -> SVG),
``report_html`` and ``report_markdown`` (rendering).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

from monitor.report.data import build_report
from monitor.report.model import Report

__all__ = [
    "REPORT_FILES",
    "Report",
    "build_report",
    "new_report_dir",
    "prune_reports",
    "write_report",
]

REPORT_FILES = ("report.html", "report.json", "report.md")
_FOLDER = re.compile(r"^report-\d{8}T\d{6}Z$")


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_report(report: Report, out_dir: Path) -> list[Path]:
    """Write report.html, report.json and report.md into ``out_dir`` (created); return paths.

    Each file is written to a temporary name and renamed, so a reader never sees half a file.
    """
    # rendering loads matplotlib (about a second): only when a report is written
    from monitor.report.html import render_html
    from monitor.report.markdown import render_markdown

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = {
        "report.html": render_html(report),
        "report.json": json.dumps(report.to_dict(), indent=1, allow_nan=False) + "\n",
        "report.md": render_markdown(report),
    }
    paths = []
    for name in REPORT_FILES:
        path = out_dir / name
        _write_atomic(path, texts[name])
        paths.append(path)
    return paths


def new_report_dir(out_dir: Path, now: datetime | None = None) -> Path:
    """The timestamped folder for a scheduled report: ``out_dir/report-YYYYmmddTHHMMSSZ``.

    Not created here (``write_report`` creates it); names sort by time, which
    :func:`prune_reports` relies on.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return Path(out_dir) / f"report-{moment:%Y%m%dT%H%M%SZ}"


def prune_reports(out_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` timestamped report folders in ``out_dir``.

    Only folders named like :func:`new_report_dir`'s are touched; anything else in ``out_dir``
    is left alone. Returns the removed folders, oldest first.
    """
    if keep < 0:
        raise ValueError("keep must be >= 0")
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    folders = sorted(p for p in out_dir.iterdir() if p.is_dir() and _FOLDER.match(p.name))
    doomed = folders[: max(0, len(folders) - keep)]
    for folder in doomed:
        shutil.rmtree(folder)
    return doomed
