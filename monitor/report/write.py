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
    "REPORT_MODE",
    "Report",
    "build_report",
    "folder_mode",
    "new_report_dir",
    "prune_reports",
    "write_report",
]

REPORT_FILES = ("report.html", "report.json", "report.md")
_FOLDER = re.compile(r"^report-\d{8}T\d{6}Z$")


REPORT_MODE = 0o640  # [reports] file_mode: the owner's group may read (serve) the reports


def folder_mode(file_mode: int) -> int:
    """A folder's mode for files of ``file_mode``: each read bit brings its search bit."""
    return file_mode | ((file_mode & 0o444) >> 2)


def _write_atomic(path: Path, text: str, mode: int) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.chmod(temporary, mode)  # explicit: the process umask (0077 by default) is for the store
    os.replace(temporary, path)


def _make_folder(folder: Path, mode: int) -> None:
    """Create ``folder`` and missing parents with ``mode``; a parent that exists is left alone."""
    missing = []
    parent = folder
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    folder.mkdir(parents=True, exist_ok=True)
    for created in {folder, *missing}:
        os.chmod(created, mode)


def write_report(report: Report, out_dir: Path, *, mode: int = REPORT_MODE) -> list[Path]:
    """Write report.html, report.json and report.md into ``out_dir`` (created); return paths.

    Each file is written to a temporary name and renamed, so a reader never sees half a file.
    Files get ``mode`` (default 0640, ``[reports] file_mode``), ``out_dir`` and the parents it
    creates the matching folder mode (0750), whatever the umask.
    """
    # rendering loads matplotlib (about a second): only when a report is written
    from monitor.report.html import render_html
    from monitor.report.markdown import render_markdown

    out_dir = Path(out_dir)
    _make_folder(out_dir, folder_mode(mode))
    texts = {
        "report.html": render_html(report),
        "report.json": json.dumps(report.to_dict(), indent=1, allow_nan=False) + "\n",
        "report.md": render_markdown(report),
    }
    paths = []
    for name in REPORT_FILES:
        path = out_dir / name
        _write_atomic(path, texts[name], mode)
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
