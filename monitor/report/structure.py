"""The report's structure section (issue 23): the pair-dependence heatmaps of the reference and
the latest version with their difference, and tables of the worst pairs, the audited columns,
the categories and the classes of the latest version.

Read from the run detail ``structure`` the structure family stores with every version
(:mod:`collectors.families.structure`): ``pairs`` (``columns``, ``reference`` / ``version`` /
``difference`` matrices and the ``worst`` pairs), ``audits``, ``categories.worst`` and
``classes``. A generator without it (no holdout, structure off) has no structure section.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from monitor.report.cells import Table
from monitor.report.cells import number as _num
from monitor.report.cells import share as _share
from monitor.report.model import GeneratorSection
from monitor.report.style import figure, styled, svg
from monitor.store import Store

__all__ = ["CAPTION", "heatmap_plot", "structure_details", "structure_tables"]

CAPTION = (
    "Pair dependence (Spearman for numeric pairs, bias-corrected Cramér's V for categorical "
    "pairs, the correlation ratio for mixed pairs) in the reference and the latest version, and "
    "their absolute difference: a relation the version broke shows as a dark cell in the "
    "difference."
)
ROWS = 10  # rows per table
_LABEL = 14  # characters of a column name on the heatmap axes


def structure_details(store: Store, name: str, run_id: int) -> dict[str, Any] | None:
    """The ``structure`` run detail of one run (None when the run has none)."""
    details = store.run_details("generator", name, "structure")
    details = details[details["run_id"] == run_id]
    return None if details.empty else json.loads(details["content"].iloc[-1])


def _matrix(rows: object) -> np.ndarray:
    values = [[math.nan if v is None else float(v) for v in row] for row in rows or []]  # type: ignore[attr-defined]
    return np.asarray(values, dtype=float).reshape(len(values), len(values))


def _short(name: str) -> str:
    return name if len(name) <= _LABEL else name[: _LABEL - 1] + "…"


@styled
def heatmap_plot(section: GeneratorSection) -> str | None:
    """Reference, latest and difference matrices of pair dependence, side by side."""
    details = section.structure or {}
    pairs = details.get("pairs") or {}
    columns = list(pairs.get("columns") or [])
    if len(columns) < 2:
        return None
    matrices = [_matrix(pairs.get(key)) for key in ("reference", "version", "difference")]
    if any(m.shape != (len(columns), len(columns)) for m in matrices):
        return None
    size = min(4.2, 1.2 + 0.22 * len(columns))
    fig = figure(3 * size + 1.2, size)
    axes = fig.subplots(1, 3, squeeze=False)[0]
    latest = section.versions[-1] if section.versions else "latest"
    titles = ("Reference", f"Latest ({latest})", "|Difference|")
    labels = [_short(c) for c in columns]
    for index, (ax, matrix, label) in enumerate(zip(axes, matrices, titles, strict=True)):
        if index < 2:
            image = ax.imshow(matrix, vmin=-1, vmax=1, cmap="RdBu_r")
        else:
            bound = max(0.05, float(np.nanmax(matrix)) if np.isfinite(matrix).any() else 1.0)
            image = ax.imshow(matrix, vmin=0.0, vmax=bound, cmap="Oranges")
        ax.set_title(label, loc="left")
        ax.set_xticks(range(len(columns)), labels, rotation=90, fontsize=7)
        ax.set_yticks(range(len(columns)), labels if index == 0 else [], fontsize=7)
        if index in (1, 2):
            fig.colorbar(image, ax=ax, shrink=0.8)
    return svg(fig)


def _pairs(details: Mapping[str, Any]) -> Table | None:
    worst = (details.get("pairs") or {}).get("worst") or []
    rows = [
        [f"{p['first']} × {p['second']}", str(p.get("measure", "")), _num(p.get("reference")),
         _num(p.get("version")), _num(p.get("difference"))]
        for p in worst[:ROWS]
    ]  # fmt: skip
    head = ("Pair", "Measure", "Reference", "Latest", "Difference")
    return ("Worst column pairs (dependence)", head, rows) if rows else None


def _audits(details: Mapping[str, Any]) -> Table | None:
    rows = []
    for audit in (details.get("audits") or [])[:ROWS]:
        changes: Sequence[Sequence[Any]] = audit.get("importance_change") or []
        moved = ", ".join(f"{name} {_num(change, 2)}" for name, change in changes[:3])
        rows.append(
            [str(audit["column"]), str(audit.get("kind", "")), _num(audit.get("real_error")),
             _num(audit.get("version_error")), _num(audit.get("loss")), moved or "–"]
        )  # fmt: skip
    head = ("Column", "Kind", "Real-trained error", "Version-trained error", "Loss",
            "Importance change (version - real)")  # fmt: skip
    return ("Columns predicted on real rows (error-based audit)", head, rows) if rows else None


def _categories(details: Mapping[str, Any]) -> Table | None:
    worst = (details.get("categories") or {}).get("worst") or []
    rows = [
        [str(c["column"]), str(c["category"]), _share(c.get("reference_share")),
         _share(c.get("version_share")), _num(c.get("ratio"), 2),
         _num(c.get("adjusted_p_value"), 4)]
        for c in worst[:ROWS]
    ]  # fmt: skip
    head = ("Column", "Category", "Reference share", "Latest share", "Ratio", "Adjusted p")
    return ("Category shares furthest from the reference", head, rows) if rows else None


def _classes(details: Mapping[str, Any]) -> Table | None:
    rows = []
    for column, entries in (details.get("classes") or {}).items():
        for c in entries[:ROWS]:
            rows.append(
                [str(column), str(c["label"]), str(c.get("real_rows", "")),
                 str(c.get("version_rows", "")), _num(c.get("coverage")), _num(c.get("recall"))]
            )  # fmt: skip
    head = ("Label column", "Class", "Real rows", "Latest rows", "Coverage", "Recall")
    return ("Per-class coverage and recall (lowest first)", head, rows[:ROWS]) if rows else None


def structure_tables(details: Mapping[str, Any] | None) -> list[Table]:
    """The latest version's worst pairs, audited columns, categories and classes."""
    if not details:
        return []
    tables = (_pairs(details), _audits(details), _categories(details), _classes(details))
    return [t for t in tables if t is not None]
