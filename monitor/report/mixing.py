"""The report's mixing-sweep section (issue 29): the latest version's mixing curve beside the
baseline's, and the safe synthetic share across versions with its interval and the
``safe_share_decline`` limit.

Read from the versions' stored figures (``mixing_score_share_<p>``, ``mixing_score_sd_share_<p>``,
``safe_synthetic_share`` and its ``_low``/``_high`` bounds; :mod:`collectors.gates.mixing`), which
the section's :class:`~monitor.report.model.MetricSeries` already hold. The baseline is the first
version shown. A generator without a target (no sweep) has no mixing section.
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from collectors.metrics.catalog import MIXING_SHARES
from monitor.report.model import GeneratorSection
from monitor.report.style import PALETTE, figure, nums, styled, svg, version_axis

__all__ = ["CAPTION", "curve", "mixing_plot", "mixing_rows"]

CAPTION = (
    "Left: the pinned model's score on real holdout rows when a share of its training rows is "
    "replaced by the version's (total held constant; the all-real score plus the seeds' mean "
    "difference to their paired real draws, bars one standard deviation of the seeds' scores), "
    "for the baseline and the latest version. Right: the largest share whose score stays within "
    "the margin of the all-real score (a share of its skill over chance, or the noise), with its "
    "bootstrap interval, across versions; dashed: the safe_share_decline limit."
)


def curve(section: GeneratorSection, index: int) -> tuple[list[int], np.ndarray, np.ndarray]:
    """(shares in percent, mean scores, standard deviations) of version ``index`` of the section
    (only the shares it was swept at)."""
    shares, means, sds = [], [], []
    for share in MIXING_SHARES:
        series = section.metrics.get(f"mixing_score_share_{share}")
        if series is None or series.values[index] is None:
            continue
        spread = section.metrics.get(f"mixing_score_sd_share_{share}")
        shares.append(share)
        means.append(series.values[index])
        sds.append(spread.values[index] if spread is not None else None)
    return shares, nums(tuple(means)), nums(tuple(0.0 if s is None else s for s in sds))


@styled
def mixing_plot(section: GeneratorSection) -> str | None:
    """The curves (baseline and latest) and the safe share across versions; None without."""
    safe = section.metrics.get("safe_synthetic_share")
    if not section.versions or safe is None or all(v is None for v in safe.values):
        return None
    fig = figure(11.5, 3.2)
    left, right = fig.subplots(1, 2)
    last = len(section.versions) - 1
    drawn = [(0, PALETTE["reference"], "baseline")] + ([(last, PALETTE["latest"], "latest")]
                                                        if last > 0 else [])  # fmt: skip
    for index, colour, role in drawn:
        shares, means, sds = curve(section, index)
        if shares:
            left.errorbar(shares, means, yerr=sds, color=colour, lw=2, marker="o", ms=4,
                          capsize=3, label=f"{role} {section.versions[index]}")  # fmt: skip
    left.set_xlabel("share of the version's rows in training (%)")
    left.set_ylabel("score on real rows")
    left.set_title("Mixing curve", loc="left")
    left.legend(loc="lower left", fontsize=8)
    x = np.arange(len(section.versions))
    low = section.metrics.get("safe_synthetic_share_low")
    high = section.metrics.get("safe_synthetic_share_high")
    if low is not None and high is not None:
        right.fill_between(x, nums(low.values), nums(high.values), color=PALETTE["version"],
                           alpha=0.16, lw=0, step="mid")  # fmt: skip
    if safe.limits:
        right.step(x, nums(safe.limits), where="mid", color=PALETTE["limit"], lw=1.1, ls="--")
    right.plot(x, nums(safe.values), color=PALETTE["version"], lw=2, marker="o", ms=4)
    right.set_ylim(-0.02, 1.04)
    right.set_title("Safe synthetic share", loc="left")
    right.set_ylabel("share of training rows")
    version_axis(right, section.versions)
    fig.legend(
        [Line2D([], [], color=PALETTE["version"], lw=2, marker="o", ms=4),
         Line2D([], [], color=PALETTE["limit"], lw=1.1, ls="--")],
        ["safe share (band: bootstrap interval)", "safe_share_decline limit"],
        loc="outside upper right", ncols=2,
    )  # fmt: skip
    return svg(fig)


def mixing_rows(section: GeneratorSection) -> tuple[list[str], list[list[str]]]:
    """A table of the baseline's and the latest version's curve (share, score +- sd), for the
    Markdown report; empty rows without a sweep."""
    if not section.versions or "safe_synthetic_share" not in section.metrics:
        return [], []
    indices = sorted({0, len(section.versions) - 1})
    columns = {i: dict(zip(*curve(section, i)[:2], strict=True)) for i in indices}
    spreads = {i: dict(zip(curve(section, i)[0], curve(section, i)[2], strict=True))
               for i in indices}  # fmt: skip
    head = ["share (%)", *(section.versions[i] for i in indices)]
    rows = []
    for share in sorted(set().union(*columns.values())):
        cells = [str(share)]
        for i in indices:
            value = columns[i].get(share)
            cells.append("–" if value is None else f"{value:.3f} ± {spreads[i][share]:.3f}")
        rows.append(cells)
    safe = section.metrics["safe_synthetic_share"].values
    low = section.metrics.get("safe_synthetic_share_low")
    high = section.metrics.get("safe_synthetic_share_high")
    cells = ["safe share"]
    for i in indices:
        value = safe[i]
        bounds = ""
        if low is not None and high is not None and low.values[i] is not None:
            bounds = f" [{low.values[i]:.2f}, {high.values[i]:.2f}]"
        cells.append("–" if value is None else f"{value:.2f}{bounds}")
    rows.append(cells)
    return head, rows
