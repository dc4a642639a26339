"""The report's sequence section (issue 28): autocorrelation by lag, reference against the latest
version; the sequence-length and gap histograms; the transition-matrix difference of the most
moved categorical column; and a table of both.

Read from the run detail ``sequences`` the sequence family stores with every version
(:mod:`collectors.families.sequences`): ``autocorr`` (column -> reference / version r_1..r_K),
``length_histogram`` / ``gap_histogram`` (edges and shares of both), ``transitions`` (column ->
states, tv, difference P_v - P_r). A generator without entity and time columns has none.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from monitor.report.cells import Table
from monitor.report.cells import number as _num
from monitor.report.model import GeneratorSection
from monitor.report.style import figure, styled, svg
from monitor.store import Store

__all__ = ["CAPTION", "sequence_details", "sequence_plot", "sequence_tables"]

CAPTION = (
    "Sequences of the latest version against the reference: autocorrelation by lag within "
    "sequences (reference solid, latest dashed), the distribution of events per sequence and of "
    "the gaps between events (shares per bin), and the transition-matrix difference (latest - "
    "reference) of the categorical column whose transitions moved most: events shuffled within "
    "their sequences flatten the autocorrelation and blur the transitions; cut sequences shift "
    "the lengths."
)
_STATES = 12  # states shown on the transition heatmap


def sequence_details(store: Store, name: str, run_id: int) -> dict[str, Any] | None:
    """The ``sequences`` run detail of one run (None when the run has none)."""
    details = store.run_details("generator", name, "sequences")
    details = details[details["run_id"] == run_id]
    return None if details.empty else json.loads(details["content"].iloc[-1])


def _floats(values: object) -> np.ndarray:
    items = values if isinstance(values, list | tuple) else []
    return np.asarray([math.nan if v is None else float(v) for v in items], dtype=float)


def _panels(details: Mapping[str, Any]) -> list[str]:
    panels = []
    if details.get("autocorr"):
        panels.append("autocorr")
    panels += [k for k in ("length_histogram", "gap_histogram") if details.get(k)]
    if details.get("transitions"):
        panels.append("transitions")
    return panels


def _most_moved(details: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    transitions = details.get("transitions") or {}
    if not transitions:
        return None
    column = max(transitions, key=lambda c: transitions[c].get("tv") or 0.0)
    return column, transitions[column]


@styled
def sequence_plot(section: GeneratorSection) -> str | None:
    """Autocorrelation by lag, length and gap histograms, transition difference, side by side."""
    details = section.sequences or {}
    panels = _panels(details)
    if not panels:
        return None
    fig = figure(3.3 * len(panels) + 0.6, 3.0)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    latest = section.versions[-1] if section.versions else "latest"
    for ax, panel in zip(axes, panels, strict=True):
        if panel == "autocorr":
            for i, (column, curves) in enumerate(details["autocorr"].items()):
                ref, ver = _floats(curves.get("reference")), _floats(curves.get("version"))
                lags = np.arange(1, len(ref) + 1)
                line = ax.plot(lags, ref, marker="o", label=f"{column} reference")[0]
                ax.plot(lags, ver[: len(lags)], linestyle="--", marker="x",
                        color=line.get_color(), label=f"{column} {latest}")  # fmt: skip
                if i >= 3:
                    break
            ax.axhline(0.0, color="0.6", linewidth=0.8)
            ax.set_xlabel("lag (events)")
            ax.set_title("Autocorrelation by lag", loc="left")
            ax.legend(fontsize=6)
        elif panel in ("length_histogram", "gap_histogram"):
            histogram = details[panel]
            edges = _floats(histogram.get("edges"))
            ref, ver = _floats(histogram.get("reference")), _floats(histogram.get("version"))
            if edges.size < 2 or ref.size != edges.size - 1:
                continue
            centres, width = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
            ax.bar(centres, ref, width=width, alpha=0.5, label="reference")
            ax.step(centres, ver, where="mid", label=str(latest))
            what = "events per sequence" if panel == "length_histogram" else "gap between events"
            ax.set_xlabel(what)
            ax.set_title("Lengths" if panel == "length_histogram" else "Gaps", loc="left")
            ax.legend(fontsize=6)
        else:
            moved = _most_moved(details)
            assert moved is not None
            column, entry = moved
            states = [str(s) for s in entry.get("states") or []][:_STATES]
            rows = [_floats(row)[: len(states)] for row in (entry.get("difference") or [])]
            matrix = np.asarray(rows[: len(states)], dtype=float)
            if matrix.size == 0 or matrix.shape != (len(states), len(states)):
                continue
            bound = max(0.05, float(np.nanmax(np.abs(matrix))))
            image = ax.imshow(matrix, vmin=-bound, vmax=bound, cmap="RdBu_r")
            ax.set_xticks(range(len(states)), [s[:10] for s in states], rotation=90, fontsize=6)
            ax.set_yticks(range(len(states)), [s[:10] for s in states], fontsize=6)
            ax.set_xlabel("next state")
            ax.set_title(f"{column}: transitions, latest - reference", loc="left")
            fig.colorbar(image, ax=ax, shrink=0.8)
    return svg(fig)


def sequence_tables(details: Mapping[str, Any] | None) -> list[Table]:
    """Autocorrelation by lag per column (reference -> latest) and transition TV per column."""
    if not details:
        return []
    tables: list[Table] = []
    autocorr = details.get("autocorr") or {}
    if autocorr:
        lags = max(len(c.get("reference") or []) for c in autocorr.values())
        rows = []
        for column, curves in autocorr.items():
            ref, ver = _floats(curves.get("reference")), _floats(curves.get("version"))
            cells = [
                f"{_num(ref[k] if k < ref.size else None, 2)} → "
                f"{_num(ver[k] if k < ver.size else None, 2)}"
                for k in range(lags)
            ]
            rows.append([str(column), *cells])
        head = ("Column", *(f"lag {k + 1}" for k in range(lags)))
        tables.append(("Autocorrelation by lag, reference → latest", head, rows))
    transitions = details.get("transitions") or {}
    if transitions:
        rows = [
            [str(column), str(len(entry.get("states") or [])), _num(entry.get("tv"))]
            for column, entry in transitions.items()
        ]
        head = ("Column", "States", "Transition TV from the reference")
        tables.append(("State transitions", head, rows))
    return tables
