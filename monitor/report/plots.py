"""The generator plots of the report, one function per plot, each rendered to SVG text.

Metrics across versions (healthy band behind, check limits and breaches in red), region coverage
and tail frequency heat maps, the top drifting features and their marginal histograms. The look
(palette, fonts, SVG output) is :mod:`monitor.report.style`'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from monitor.report.model import FeatureDrift, GeneratorSection, MetricSeries
from monitor.report.style import EXTRA, PALETTE, figure, nums, styled, svg, title, version_axis

__all__ = [
    "PANEL_METRICS",
    "categories_plot",
    "drift_plot",
    "gates_plot",
    "histogram_plot",
    "metrics_figure",
    "metrics_plot",
    "regions_plot",
    "tails_plot",
    "text_plot",
]

PANEL_METRICS: tuple[tuple[str, str, str], ...] = (
    ("coverage", "Coverage", "share of real rows"),
    ("recall", "Recall", "share of real rows"),
    ("precision", "Precision", "share of synthetic rows"),
    ("density", "Density", "real k-NN balls per synthetic row / k"),
    ("alpha_precision", "Alpha-precision", "score (0-1)"),
    ("beta_recall", "Beta-recall", "score (0-1)"),
    ("authenticity", "Authenticity", "share of synthetic rows"),
    ("worst_region_coverage", "Worst region coverage", "share of the region's real rows"),
    ("tail_frequency_ratio", "Tail frequency ratio", "synthetic / real tail share"),
)
_SHARES = {"coverage", "recall", "precision", "alpha_precision", "beta_recall", "authenticity",
           "worst_region_coverage"}  # fmt: skip


def _panel(ax: Axes, series: MetricSeries, breached: Sequence[bool | None],
           versions: Sequence[str], title: str, unit: str, labels: bool) -> None:  # fmt: skip
    x = np.arange(len(versions))
    values = nums(series.values)
    if series.band is not None:
        ax.axhspan(*series.band, color=PALETTE["healthy"], alpha=0.16, lw=0)
    if series.healthy is not None:
        ax.axhline(series.healthy, color=PALETTE["healthy"], lw=1.4, ls=(0, (4, 2)))
    if series.limits:
        ax.step(x, nums(series.limits), where="mid", color=PALETTE["limit"], lw=1.1, ls="--")
    ax.plot(x, values, color=PALETTE["version"], lw=2, marker="o", ms=4)
    flags = np.array([bool(f) for f in breached], dtype=bool) if breached else None
    if flags is not None and flags.any():
        ax.plot(x[flags], values[flags], ls="none", marker="o", ms=7, color=PALETTE["limit"])
    ax.set_title(title, loc="left")
    ax.set_ylabel(unit)
    if series.metric in _SHARES:
        ax.set_ylim(-0.02, 1.04)
    version_axis(ax, versions, labels=labels)


@styled
def metrics_plot(section: GeneratorSection) -> str | None:
    """The fidelity and diversity metrics across versions, healthy band behind, limits in red."""
    fig = metrics_figure(section)
    return None if fig is None else svg(fig)


@styled
def metrics_figure(section: GeneratorSection) -> Figure | None:
    """:func:`metrics_plot`'s small multiples as a matplotlib Figure (the notebook's plot)."""
    panels = [p for p in PANEL_METRICS if p[0] in section.metrics]
    if not panels or not section.versions:
        return None
    columns = 3
    rows = math.ceil(len(panels) / columns)
    fig = figure(11.5, 2.6 * rows + 0.6)
    axes = fig.subplots(rows, columns, squeeze=False)
    checks = {row.check: row for row in section.checks}
    for i, (metric, heading, unit) in enumerate(panels):
        ax = axes[i // columns][i % columns]
        series = section.metrics[metric]
        breached = checks[series.check].breached if series.check in checks else ()
        if metric == "tail_frequency_ratio":
            tails = [checks[c].breached for c in ("tail_thinning", "tail_excess") if c in checks]
            breached = tuple(any(bool(f) for f in flags) for flags in zip(*tails, strict=True))
        if metric == "authenticity" and "dcr_close_share" in section.metrics:
            _dcr(ax, section, breached)
            breached = tuple(
                bool(f) and v is not None and lim is not None and v < lim
                for f, v, lim in zip(breached, series.values, series.limits, strict=True)
            )
            heading = "Authenticity · DCR close share"
        _panel(ax, series, breached, section.versions, heading, unit, labels=True)
        if metric == "tail_frequency_ratio":
            _tail_range(ax, section)
    for j in range(len(panels), rows * columns):
        axes[j // columns][j % columns].set_visible(False)
    handles = [
        Line2D([], [], color=PALETTE["version"], lw=2, marker="o", ms=4),
        Patch(color=PALETTE["healthy"], alpha=0.35),
        Line2D([], [], color=PALETTE["limit"], lw=1.1, ls="--"),
        Line2D([], [], color=PALETTE["limit"], ls="none", marker="o", ms=7),
    ]
    fig.legend(
        handles,
        ["version (against the real reference)", "healthy level: real holdout vs reference",
         "alert limit (collapse check)", "version breaching its check"],
        loc="outside upper center", ncols=4,
    )  # fmt: skip
    return fig


def _dcr(ax: Axes, section: GeneratorSection, breached: Sequence[bool | None]) -> None:
    """The memorisation check's second figure: synthetic rows closer than the holdout."""
    close = section.metrics["dcr_close_share"]
    x = np.arange(len(section.versions))
    values = nums(close.values)
    ax.plot(x, values, color=EXTRA[0], lw=1.6, ls=":", marker="s", ms=3,
            label="closer to a training row than the holdout's 5 % (DCR)")  # fmt: skip
    if close.healthy is not None:
        ax.axhline(close.healthy, color=EXTRA[0], lw=0.8, alpha=0.6)
    authenticity = section.metrics["authenticity"]
    flags = np.array(
        [bool(f) and not (v is not None and lim is not None and v < lim)
         for f, v, lim in zip(breached, authenticity.values, authenticity.limits, strict=True)],
        dtype=bool,
    )  # fmt: skip
    if flags.any():
        ax.plot(x[flags], values[flags], ls="none", marker="o", ms=7, color=PALETTE["limit"])
    ax.legend(loc="upper right", fontsize=7)


def _tail_range(ax: Axes, section: GeneratorSection) -> None:
    """Shade the min-max range of the per-feature tail ratios, with both tail limits."""
    low, high = (
        section.metrics.get("tail_frequency_ratio_min"),
        section.metrics.get("tail_frequency_ratio_max"),
    )
    x = np.arange(len(section.versions))
    if low is not None and high is not None:
        ax.fill_between(x, nums(low.values), nums(high.values), color=PALETTE["version"],
                        alpha=0.12, lw=0, step=None)  # fmt: skip
    for series in (low, high):
        if series is not None and series.limits:
            ax.step(x, nums(series.limits), where="mid", color=PALETTE["limit"], lw=1.1, ls="--")
    ax.set_ylim(bottom=0)


def _heatmap(ax: Axes, grid: np.ndarray, cmap: str, norm: Normalize, fmt: str) -> AxesImage:
    image = ax.imshow(grid, aspect="auto", cmap=cmap, norm=norm, interpolation="nearest")
    ax.grid(False)
    if grid.size <= 600:
        for (r, c), value in np.ndenumerate(grid):
            if np.isfinite(value):
                rgba = image.cmap(image.norm(value))
                light = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] > 0.55
                ax.text(c, r, format(value, fmt), ha="center", va="center", fontsize=7,
                        color="#111111" if light else "white")  # fmt: skip
    return image


@styled
def regions_plot(section: GeneratorSection) -> str | None:
    """Coverage per region of the real data (largest regions on top) across versions."""
    regions = section.regions
    if regions is None or not section.versions:
        return None
    order = sorted(range(len(regions.regions)), key=lambda i: -regions.real_rows[i])
    grid = np.array([nums(regions.coverage[i]) for i in order])
    fig = figure(11.5, 1.4 + 0.32 * len(order))
    ax = fig.subplots()
    image = _heatmap(ax, grid, "viridis", Normalize(0, 1), ".2f")
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([f"region {regions.regions[i]} ({regions.real_rows[i]} real rows)"
                        for i in order])  # fmt: skip
    version_axis(ax, section.versions)
    ax.set_xlabel("version")
    ax.set_title("Coverage of each region of the real data (0 = the mode dropped out)", loc="left")
    fig.colorbar(image, ax=ax, label="coverage (share of the region's real rows)", pad=0.01)
    return svg(fig)


@styled
def categories_plot(section: GeneratorSection) -> str | None:
    """Real categories lost and the mass of the real-rare categories across versions."""
    lost = section.metrics.get("categories_lost")
    rare = section.metrics.get("rare_category_mass")
    if not section.versions or (lost is None and rare is None):
        return None
    checks = {row.check: row for row in section.checks}
    fig = figure(11.5, 3.0)
    axes = fig.subplots(1, 2, squeeze=False)[0]
    for ax, series, check, heading, unit in (
        (axes[0], lost, "category_lost", "Real categories lost (>= 1 % share)", "categories"),
        (axes[1], rare, "rare_category_shift", "Rare-category mass (real share < 1 %)",
         "synthetic share of rows"),
    ):  # fmt: skip
        if series is None:
            ax.text(0.5, 0.5, "no categorical feature with rare categories", ha="center",
                    va="center", transform=ax.transAxes, color=PALETTE["reference"])  # fmt: skip
            ax.set_title(heading, loc="left")
            ax.set_axis_off()
            continue
        breached = checks[check].breached if check in checks else ()
        _panel(ax, series, breached, section.versions, heading, unit, labels=True)
        ax.set_ylim(bottom=0)
        if check == "category_lost":
            ax.yaxis.get_major_locator().set_params(integer=True)
    fig.legend(
        [Line2D([], [], color=PALETTE["version"], lw=2, marker="o", ms=4),
         Line2D([], [], color=PALETTE["healthy"], lw=1.4, ls=(0, (4, 2))),
         Line2D([], [], color=PALETTE["limit"], lw=1.1, ls="--"),
         Line2D([], [], color=PALETTE["limit"], ls="none", marker="o", ms=7)],
        ["version", "healthy level", "baseline's count (category_lost breaches above)",
         "version breaching category_lost / rare_category_shift"],
        loc="outside upper center", ncols=4,
    )  # fmt: skip
    return svg(fig)


@styled
def gates_plot(section: GeneratorSection) -> str | None:
    """The standing gates across versions: utility, membership exposure, yield."""
    panels = [
        ("utility_ratio", "utility_decline", "Utility: TSTR / TRTR", "ratio"),
        ("membership_auc", "membership_exposure", "Membership attack ROC AUC (0.5 safe)", "AUC"),
        ("verified_yield", None, "Verified yield (rows kept)", "share of rows"),
    ]
    shown = [p for p in panels if p[0] in section.metrics]
    if not section.versions or not shown:
        return None
    checks = {row.check: row for row in section.checks}
    fig = figure(11.5, 3.0)
    axes = fig.subplots(1, len(shown), squeeze=False)[0]
    for ax, (metric, check, heading, unit) in zip(axes, shown, strict=True):
        breached = checks[check].breached if check in checks else ()
        _panel(ax, section.metrics[metric], breached, section.versions, heading, unit, labels=True)
        if metric == "membership_auc":
            ax.axhline(0.5, color=PALETTE["reference"], lw=1.0, ls=":")
    fig.legend(
        [Line2D([], [], color=PALETTE["version"], lw=2, marker="o", ms=4),
         Line2D([], [], color=PALETTE["healthy"], lw=1.4, ls=(0, (4, 2))),
         Line2D([], [], color=PALETTE["limit"], lw=1.1, ls="--"),
         Line2D([], [], color=PALETTE["limit"], ls="none", marker="o", ms=7)],
        ["version", "healthy level", "limit", "version breaching the check"],
        loc="outside upper center", ncols=4,
    )  # fmt: skip
    return svg(fig)


@styled
def text_plot(section: GeneratorSection) -> str | None:
    """Text generators: rank-frequency curves of the reference and the latest version (log-log;
    a cut tail falls off early, Dohmatob et al. 2024) and distinct-n across versions."""
    text = section.text
    if not text or not text.get("reference_curve") or not section.versions:
        return None
    fig = figure(11.5, 3.2)
    curves, distinct = fig.subplots(1, 2, squeeze=False)[0]
    for key, label, colour in (
        ("reference_curve", "reference", PALETTE["reference"]),
        ("sample_curve", f"latest ({section.versions[-1]})", PALETTE["version"]),
    ):
        points = np.asarray(text.get(key) or [], dtype=float).reshape(-1, 2)
        if len(points):
            curves.loglog(points[:, 0], points[:, 1], marker="o", ms=3, lw=1.6, color=colour,
                          label=label)  # fmt: skip
    curves.set_xlabel("rank")
    curves.set_ylabel("share of tokens")
    curves.set_title("Rank-frequency (log-log)", loc="left")
    curves.legend(loc="lower left")
    x = np.arange(len(section.versions))
    for n, style in zip((1, 2, 3, 4), ("-", "--", "-.", ":"), strict=True):
        series = section.metrics.get(f"text_distinct_{n}")
        if series is None:
            continue
        values = np.array([np.nan if v is None else v for v in series.values], dtype=float)
        distinct.plot(x, values, ls=style, marker="o", ms=3, color=PALETTE["version"],
                      label=f"distinct-{n}")  # fmt: skip
    version_axis(distinct, section.versions)
    distinct.set_ylim(bottom=0)
    distinct.set_title("Distinct-n at the token budget", loc="left")
    distinct.legend(loc="lower left", ncols=2)
    return svg(fig)


@styled
def tails_plot(section: GeneratorSection, limit: int = 20) -> str | None:
    """Lower and upper 1 % tail frequency ratio per numeric feature across versions."""
    features = [f for f in section.features if f.tail_lower or f.tail_upper]
    if not features or not section.versions:
        return None

    def extremity(feature: FeatureDrift) -> float:
        ends = (feature.tail_lower, feature.tail_upper)
        last = [x for s in ends if s and (x := s[-1]) is not None]
        return max((abs(math.log(max(v, 1e-3))) for v in last), default=0.0)

    features = sorted(features, key=extremity, reverse=True)[:limit]
    rows, labels = [], []
    for feature in sorted(features, key=lambda f: f.feature):
        for side, series in (("lower", feature.tail_lower), ("upper", feature.tail_upper)):
            if series:
                rows.append(nums(series))
                labels.append(f"{feature.feature} · {side} tail")
    grid = np.clip(np.array(rows), 0.0, 3.0)
    fig = figure(11.5, 1.4 + 0.26 * len(rows))
    ax = fig.subplots()
    image = _heatmap(ax, grid, "RdBu", TwoSlopeNorm(vmin=0.0, vcenter=1.0, vmax=3.0), ".2f")
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels)
    version_axis(ax, section.versions)
    ax.set_xlabel("version")
    ax.set_title("Tail frequency per feature: synthetic share beyond the real 1 % / 99 % "
                 "quantile, over 1 % (1 = healthy, 0 = tail gone)", loc="left")  # fmt: skip
    fig.colorbar(image, ax=ax, label="tail frequency ratio (clipped at 3)", pad=0.01)
    return svg(fig)


@styled
def drift_plot(section: GeneratorSection) -> str | None:
    """The drift statistic of the top drifting features across versions."""
    top = [f for f in section.features if f.feature in section.top_drifting]
    if not top or not section.versions:
        return None
    fig = figure(11.5, 3.4)
    ax = fig.subplots()
    x = np.arange(len(section.versions))
    colours = EXTRA
    for colour, feature in zip(colours, sorted(top, key=lambda f: -(f.drift[-1] or 0)),
                               strict=False):  # fmt: skip
        name = "KS" if feature.kind == "numeric" else "TV"
        ax.plot(x, nums(feature.drift), marker="o", ms=4, lw=2, color=colour,
                label=f"{feature.feature} ({name})")  # fmt: skip
    healthy = section.metrics.get("ks_statistic_max")
    if healthy is not None and healthy.healthy is not None:
        ax.axhline(healthy.healthy, color=PALETTE["healthy"], lw=1.4, ls=(0, (4, 2)),
                   label="healthy largest KS (real vs real)")  # fmt: skip
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("KS statistic / total variation (0-1)")
    version_axis(ax, section.versions)
    title(fig, "Top drifting features: distance of each marginal to the reference")
    fig.legend(loc="outside lower center", ncols=min(5, len(top) + 1))
    return svg(fig)


@styled
def histogram_plot(section: GeneratorSection) -> str | None:
    """Overlaid marginal histograms (share of rows) of the reference and the latest version."""
    histograms = section.histograms
    if not histograms:
        return None
    drift = {f.feature: f for f in section.features}
    columns = min(2, len(histograms))
    rows = math.ceil(len(histograms) / columns)
    fig = figure(11.5, 2.9 * rows + 0.5)
    axes = fig.subplots(rows, columns, squeeze=False)
    for i, hist in enumerate(histograms):
        ax = axes[i // columns][i % columns]
        ref = np.asarray(hist.reference, dtype=float)
        sample = np.asarray(hist.sample, dtype=float)
        ref, sample = ref / max(ref.sum(), 1.0), sample / max(sample.sum(), 1.0)
        if hist.kind == "numeric":
            edges = np.asarray(hist.bins, dtype=float)
            ax.stairs(ref, edges, fill=True, color=PALETTE["reference"], alpha=0.45,
                      label="reference")  # fmt: skip
            ax.stairs(sample, edges, color=PALETTE["latest"], lw=2,
                      label=f"latest ({section.histograms_version})")  # fmt: skip
            ax.set_xlabel(f"{hist.feature} (feature units)")
        else:
            x = np.arange(len(hist.bins))
            ax.bar(x - 0.2, ref, 0.4, color=PALETTE["reference"], alpha=0.7, label="reference")
            ax.bar(x + 0.2, sample, 0.4, color=PALETTE["latest"],
                   label=f"latest ({section.histograms_version})")  # fmt: skip
            ax.set_xticks(x)
            ax.set_xticklabels([str(b) for b in hist.bins], rotation=35, ha="right")
            ax.set_xlabel(f"{hist.feature} (category)")
        feature = drift.get(hist.feature)
        stat = (
            ""
            if feature is None or not feature.drift or feature.drift[-1] is None
            else (f" · {'KS' if feature.kind == 'numeric' else 'TV'} {feature.drift[-1]:.2f}")
        )
        ax.set_title(f"{hist.feature}{stat}", loc="left")
        ax.set_ylabel("share of rows")
        ax.legend(loc="upper right")
    for j in range(len(histograms), rows * columns):
        axes[j // columns][j % columns].set_visible(False)
    return svg(fig)
