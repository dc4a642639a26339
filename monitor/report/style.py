"""The report plots' shared look: palette, rcParams, SVG rendering and the version axis.

Built with ``matplotlib.figure.Figure`` directly (no pyplot, no global figure state; rendering
goes through the Agg/SVG canvases). Text stays text in the SVG (``svg.fonttype = none``), which
keeps files small and crisp. One palette for every plot: the measured versions in blue, the
healthy real-vs-real level in green, alert limits and breaches in red, the reference in grey and
the latest version in orange. The style is applied with ``rc_context`` around each plot (rcParams
are process-global: draw reports from one thread at a time, as the scheduler's report job does).
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from monitor.report.model import Series

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = ["EXTRA", "PALETTE", "STYLE", "figure", "nums", "styled", "svg", "title", "version_axis"]

PALETTE = {
    "version": "#1f5fa8",
    "healthy": "#2e8b57",
    "limit": "#c62828",
    "reference": "#8c8c8c",
    "latest": "#ef6c00",
    "human": "#1f5fa8",
    "synthetic": "#ef6c00",
    "unknown": "#b0b0b0",
}
# Features and extra provenance labels: distinct from the fixed meanings above.
EXTRA = ["#6a3d9a", "#b15928", "#1b9e77", "#e7298a", "#66a61e", "#7570b3"]
STYLE: dict[RcKeyType, object] = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.6,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "svg.hashsalt": "tailwatch",  # stable ids: the same report renders to the same bytes
}


P = ParamSpec("P")
R = TypeVar("R")


def styled(plot: Callable[P, R]) -> Callable[P, R]:
    """Draw and render ``plot`` under the report's style (rcParams are read while drawing)."""

    @functools.wraps(plot)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with mpl.rc_context(STYLE):
            return plot(*args, **kwargs)

    return wrapper


def svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def title(fig: Figure, text: str) -> None:
    """A left-aligned title over the figure's only axes (its legend goes below the axes)."""
    fig.axes[0].set_title(text, loc="left")


def nums(values: Series) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def version_axis(ax: Axes, versions: Sequence[str], *, labels: bool = True) -> None:
    n = len(versions)
    step = max(1, math.ceil(n / 12))
    ticks = list(range(0, n, step))
    if n - 1 not in ticks:
        ticks.append(n - 1)
    ax.set_xticks(ticks)
    ax.set_xticklabels([versions[i] for i in ticks] if labels else [], rotation=35, ha="right")
    ax.set_xlim(-0.4, n - 0.6)
