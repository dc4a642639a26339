"""The corpus plots of the report: provenance mix and leakage, rendered to SVG text."""

from __future__ import annotations

import numpy as np

from monitor.report.model import CorpusSection
from monitor.report.style import EXTRA, PALETTE, figure, nums, styled, svg, title, version_axis

__all__ = ["leakage_plot", "provenance_plot"]


@styled
def provenance_plot(section: CorpusSection) -> str | None:
    """Rows by provenance label over snapshots (stacked area; bars for a single snapshot)."""
    if not section.provenance or not section.snapshots:
        return None
    order: list[str] = [k for k in ("human", "synthetic", "unknown") if k in section.provenance]
    order += sorted(k for k in section.provenance if k not in order)
    colours = [PALETTE.get(k, EXTRA[i % len(EXTRA)]) for i, k in enumerate(order)]
    values = np.nan_to_num(np.array([nums(section.provenance[k]) for k in order]))
    fig = figure(11.5, 3.4)
    ax = fig.subplots()
    x = np.arange(len(section.snapshots))
    if len(x) > 1:
        ax.stackplot(x, values, labels=order, colors=colours, alpha=0.85)
    else:
        bottom = 0.0
        for label, colour, row in zip(order, colours, values, strict=True):
            ax.bar(x, row, 0.5, bottom=bottom, color=colour, label=label)
            bottom += row[0]
    version_axis(ax, section.snapshots)
    ax.set_xlabel("snapshot")
    ax.set_ylabel("rows")
    ax.set_ylim(bottom=0)
    title(fig, "Provenance mix: rows by label")
    fig.legend(loc="outside lower center", ncols=len(order))
    return svg(fig)


@styled
def leakage_plot(section: CorpusSection) -> str | None:
    """Synthetic share, leakage ratios and the budget line over snapshots."""
    f = section.figures
    shown = [k for k in ("synthetic_fraction", "unlabeled_synthetic_ratio",
                         "near_duplicate_synthetic_ratio") if k in f]  # fmt: skip
    if not shown or not section.snapshots:
        return None
    fig = figure(11.5, 3.4)
    ax = fig.subplots()
    x = np.arange(len(section.snapshots))
    colours = {"synthetic_fraction": PALETTE["synthetic"],
               "unlabeled_synthetic_ratio": PALETTE["limit"],
               "near_duplicate_synthetic_ratio": "#6a3d9a"}  # fmt: skip
    labels = {
        "synthetic_fraction": "synthetic share (labelled)",
        "unlabeled_synthetic_ratio": "unlabelled synthetic (exact leakage)",
        "near_duplicate_synthetic_ratio": "near-duplicates of synthetic (95 % interval)",
    }
    for key in shown:
        ax.plot(x, nums(f[key]), marker="o", ms=4, lw=2, color=colours[key], label=labels[key])
    low = f.get("near_duplicate_synthetic_ratio_lower")
    high = f.get("near_duplicate_synthetic_ratio_upper")
    if low and high:
        ax.fill_between(x, nums(low), nums(high), color="#6a3d9a", alpha=0.15, lw=0)
    if "synthetic_budget_ratio" in f:
        ax.step(x, nums(f["synthetic_budget_ratio"]), where="mid", color=PALETTE["limit"],
                lw=1.4, ls="--", label="synthetic budget")  # fmt: skip
    breached = {a.version for a in section.alerts}
    ax.set_ylim(bottom=0)
    for i, snapshot in enumerate(section.snapshots):
        if snapshot in breached:
            ax.axvspan(i - 0.4, i + 0.4, color=PALETTE["limit"], alpha=0.07, lw=0)
    version_axis(ax, section.snapshots)
    ax.set_xlabel("snapshot (red shading: a leakage rule breached)")
    ax.set_ylabel("share of rows")
    title(fig, "Synthetic share, leakage and budget")
    fig.legend(loc="outside lower center", ncols=4)
    return svg(fig)
