"""Result objects of :func:`tailwatch.evaluate` and :func:`tailwatch.compare`.

Each holds what :mod:`monitor.checks` returned (``CheckResult`` and ``GeneratorVerdict``, the
objects the exporter and the reports use) and shows it as pandas frames, as a small
self-contained HTML page (``_repr_html_`` renders it inline in Jupyter: figures, checks and the
report's per-column drift table) or as the report's small multiples (``plot()``, a matplotlib
Figure). The text repr is one line: the version(s), the level and the checks breached.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from collectors.metrics import BY_NAME
from monitor.checks import (
    DESCRIPTIONS,
    CheckResult,
    CheckThresholds,
    GeneratorVerdict,
    HealthyLevels,
    VersionFigures,
)
from monitor.report import LEVEL_COLOURS
from monitor.report.columns import column_table
from monitor.report.html import column_caption, column_head, column_rows

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Comparison", "Evaluation"]

SHOWN = (
    "precision",
    "recall",
    "density",
    "coverage",
    "alpha_precision",
    "beta_recall",
    "authenticity",
    "worst_region_coverage",
)
_CSS = (
    "font:14px/1.4 system-ui,sans-serif;color:#1d1d1f;max-width:980px;"
    "border:1px solid #e3e3e3;border-radius:8px;padding:12px 16px"
)
_TABLE = "border-collapse:collapse;font-size:13px;margin:6px 0"
_CELL = "border-bottom:1px solid #e3e3e3;padding:3px 8px;text-align:left"
_BREACH = "background:#fdecea"


def _e(text: object) -> str:
    return html.escape(str(text))


def _num(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.4g}"


def _badge(level: str) -> str:
    colour = LEVEL_COLOURS.get(level, "#6b6b6b")
    return (
        f'<span style="background:{colour};color:#fff;border-radius:999px;padding:1px 10px;'
        f'font-weight:700">{_e(level)}</span>'
    )


def _table(head: Sequence[str], rows: Sequence[tuple[Sequence[str], bool]]) -> str:
    out = [f'<table style="{_TABLE}"><thead><tr>']
    out += [f'<th style="{_CELL}">{_e(h)}</th>' for h in head]
    out.append("</tr></thead><tbody>")
    for cells, breached in rows:
        style = f' style="{_BREACH}"' if breached else ""
        out.append(f"<tr{style}>" + "".join(f'<td style="{_CELL}">{c}</td>' for c in cells))
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title></head><body>{body}</body></html>"
    )


def _drift_table(history: Sequence[VersionFigures], thresholds: CheckThresholds) -> str:
    """The report's per-column drift table of the latest of ``history`` (HTML), or ""."""
    table = column_table(history, thresholds)
    if table is None:
        return ""
    rows, more, flagged = column_rows(table)
    flags = [bool(r.flags) for r in table.rows[: table.shown]]
    out = f"<p style='margin:8px 0 2px;color:#555'>{_e(column_caption(table))}</p>"
    cells = [([_e(c) for c in row], flag) for row, flag in zip(rows, flags, strict=True)]
    out += _table(column_head(table), cells)
    if more:
        out += f"<p style='color:#555'>{more} more columns ({flagged} of them flagged).</p>"
    return out


def _short(names: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", +{len(names) - limit} more" if len(names) > limit else "")


def _state(result: CheckResult, index: int, has_baseline: bool) -> str:
    """'breached', 'ok' or 'n/a' of one check at one version."""
    if result.kind != "gap" and not has_baseline:
        return "n/a"  # the first version is its own baseline: no change to judge
    flag = result.breached[index] if index < len(result.breached) else None
    return "n/a" if flag is None else "breached" if flag else "ok"


@dataclass(frozen=True, repr=False)
class Evaluation:
    """One version judged as the daemon judges it: figures, check results and the verdict.

    ``checks`` are :func:`monitor.checks.evaluate_checks` over the versions up to this one (the
    first is the baseline); ``verdict`` is :func:`monitor.checks.generator_verdict` of them.
    Without a baseline only the fidelity gaps (versus the healthy real-vs-real level) can breach.
    ``history``: the versions before this one (oldest first), for the drift table and the plot.
    """

    version: str
    figures: dict[str, float]
    per_feature: dict[str, dict[str, float]]
    healthy: HealthyLevels
    checks: list[CheckResult]
    verdict: GeneratorVerdict
    baseline: str | None
    version_figures: VersionFigures
    # Seconds per figure family of the call that measured this version (monitor.measure), and
    # whether its healthy levels came from the cache instead of being measured.
    timings: dict[str, float] = field(default_factory=dict)
    healthy_cached: bool = False
    history: tuple[VersionFigures, ...] = ()
    thresholds: CheckThresholds = field(default_factory=CheckThresholds)
    # What fitting the reference noticed, one line each: columns left out (identifiers, free
    # text, missing in every row), missing cells imputed, extreme values scaled robustly.
    notes: tuple[str, ...] = ()

    @property
    def level(self) -> str:
        """The verdict's level: "healthy", "watch", "collapse suspected" or "no data"."""
        return self.verdict.level

    def __repr__(self) -> str:
        against = f" against {self.baseline}" if self.baseline else ""
        breached = f", breached: {_short(self.breached)}" if self.breached else ""
        return f"<Evaluation {self.version}{against}: {self.level}{breached}>"

    def plot(self) -> Figure:
        """The report's small multiples (matplotlib Figure): each figure over the versions up
        to this one, the healthy level and band behind, this version's check limits dashed and
        its breaches in red."""
        from tailwatch._plot import plot_versions

        history = [*self.history, self.version_figures]
        judged = [None] * len(self.history) + [self.checks]
        return plot_versions(f"Version {self.version}", history, judged, self.healthy,
                             self.level, self.thresholds)  # fmt: skip

    @property
    def breached(self) -> list[str]:
        """Names of the checks this version breaches."""
        has_baseline = self.baseline is not None
        return [r.check for r in self.checks if _state(r, -1, has_baseline) == "breached"]

    @property
    def mixing(self) -> dict[str, object] | None:
        """The mixing sweep (a generator with a ``target``; issue 29): ``safe_synthetic_share``
        with its bootstrap interval, and the score on real rows per synthetic share (percent)
        with its spread over seeds; None without a sweep."""
        from collectors.gates.mixing import curve_from_figures

        return curve_from_figures(self.figures)

    def mixing_frame(self) -> pd.DataFrame:
        """The mixing curve: one row per synthetic share (percent), its mean score and spread
        (empty without a sweep)."""
        mixing = self.mixing
        if mixing is None:
            return pd.DataFrame(columns=["score", "sd"]).rename_axis("share")
        scores, spreads = mixing["score_by_share"], mixing["sd_by_share"]
        assert isinstance(scores, dict) and isinstance(spreads, dict)
        rows = {share: {"score": v, "sd": spreads.get(share)} for share, v in scores.items()}
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("share")

    def to_frame(self) -> pd.DataFrame:
        """The figures: one row per metric with its healthy level, noise and goal."""
        rows = [
            {
                "metric": name,
                "value": value,
                "healthy": self.healthy.get(name),
                "healthy_spread": self.healthy.spread.get(name),
                "goal": BY_NAME[name].goal if name in BY_NAME else None,
            }
            for name, value in sorted(self.figures.items())
        ]
        return pd.DataFrame(rows).set_index("metric")

    def checks_frame(self) -> pd.DataFrame:
        """The checks: kind, state at this version ("ok", "breached", "n/a"), value, limit."""
        has_baseline = self.baseline is not None
        rows = [
            {
                "check": r.check,
                "kind": r.kind,
                "state": _state(r, -1, has_baseline),
                "value": r.value,
                "limit": r.limit,
                "detail": r.detail,
                "description": DESCRIPTIONS[r.check],
            }
            for r in self.checks
        ]
        return pd.DataFrame(rows).set_index("check")

    def _body(self) -> str:
        against = f" against baseline {self.baseline}" if self.baseline else " (no baseline)"
        head = (
            f"<h3 style='margin:0 0 6px'>Version {_e(self.version)}{_e(against)} "
            f"{_badge(self.level)}</h3>"
        )
        figures = [
            (
                (
                    _e(name),
                    _num(self.figures.get(name)),
                    _num(self.healthy.get(name)),
                    _e(BY_NAME[name].goal),
                ),
                False,
            )
            for name in SHOWN
            if name in self.figures
        ]
        has_baseline = self.baseline is not None
        checks = []
        for r in self.checks:
            state = _state(r, -1, has_baseline)
            cells = (_e(r.check), _e(r.kind), _e(state), _num(r.value), _num(r.limit),
                     _e(r.detail))  # fmt: skip
            checks.append((cells, state == "breached"))
        return (
            head
            + _table(("metric", "value", "healthy", "goal"), figures)
            + self._mixing_html()
            + _table(("check", "kind", "state", "value", "limit", "detail"), checks)
            + _drift_table([*self.history, self.version_figures], self.thresholds)
        )

    def _mixing_html(self) -> str:
        """The mixing sweep as a line and a small table (issue 29), or ""."""
        mixing = self.mixing
        if mixing is None:
            return ""
        from collectors.gates.mixing import describe_curve

        frame = self.mixing_frame()
        rows = [((_e(share), _num(row["score"]), _num(row["sd"])), False)
                for share, row in frame.iterrows()]  # fmt: skip
        text = _e(describe_curve(mixing))
        line = f"<p style='margin:8px 0 2px;color:#555'>Mixing sweep: {text}</p>"
        return line + _table(("synthetic share (%)", "score on real rows", "sd"), rows)

    def _repr_html_(self) -> str:
        return f'<div style="{_CSS}">{self._body()}</div>'

    def to_html(self) -> str:
        """A self-contained HTML page (no scripts, no network) for this one version."""
        return _page(f"Tailwatch: {self.version}", self._repr_html_())


@dataclass(frozen=True, repr=False)
class Comparison:
    """A sequence of versions (the first is the baseline), each judged over those before it.

    ``checks`` and ``verdict`` are over the whole sequence, as the exporter sees the latest
    version; ``evaluations`` holds each version judged over the versions up to it.
    """

    evaluations: list[Evaluation]
    checks: list[CheckResult]
    verdict: GeneratorVerdict

    @property
    def versions(self) -> list[str]:
        return [e.version for e in self.evaluations]

    @property
    def level(self) -> str:
        return self.verdict.level

    @property
    def breached(self) -> list[str]:
        """Names of the checks the latest version breaches (as ``self[-1].breached``)."""
        return self.evaluations[-1].breached if self.evaluations else []

    def __repr__(self) -> str:
        versions = self.versions
        span = f"{versions[0]} .. {versions[-1]}" if len(versions) > 1 else "".join(versions)
        breached = f", latest breaches: {_short(self.breached)}" if self.breached else ""
        return f"<Comparison of {len(self)} versions ({span}): {self.level}{breached}>"

    def plot(self) -> Figure:
        """The report's small multiples (matplotlib Figure): each figure across the versions,
        the healthy level and band behind, the check limits dashed, breaching versions in red."""
        from tailwatch._plot import plot_versions

        latest = self.evaluations[-1]
        return plot_versions(
            f"{len(self)} versions",
            [e.version_figures for e in self.evaluations],
            [e.checks for e in self.evaluations],
            latest.healthy,
            self.level,
            latest.thresholds,
        )

    @property
    def figures(self) -> dict[str, dict[str, float]]:
        """Version name -> its figures against the reference."""
        return {e.version: e.figures for e in self.evaluations}

    def __getitem__(self, key: int | str) -> Evaluation:
        if isinstance(key, str):
            return self.evaluations[self.versions.index(key)]
        return self.evaluations[key]

    def __len__(self) -> int:
        return len(self.evaluations)

    def to_frame(self) -> pd.DataFrame:
        """Figures: one row per version, one column per metric."""
        return pd.DataFrame(self.figures).T.rename_axis("version")

    def checks_frame(self) -> pd.DataFrame:
        """Check states: one row per check, one column per version."""
        table = {
            version: [_state(r, i, i > 0) for r in self.checks]
            for i, version in enumerate(self.versions)
        }
        return pd.DataFrame(table, index=[r.check for r in self.checks]).rename_axis("check")

    def _repr_html_(self) -> str:
        head = f"<h3 style='margin:0 0 6px'>{len(self)} versions {_badge(self.level)}</h3>"
        figures = [
            ((_e(e.version), *(_num(e.figures.get(n)) for n in SHOWN)), False)
            for e in self.evaluations
        ]
        states = self.checks_frame()
        checks = [
            ((_e(check), *(_e(s) for s in row)), "breached" in tuple(row))
            for check, row in states.iterrows()
        ]
        latest = self.evaluations[-1]
        drift = _drift_table([*latest.history, latest.version_figures], latest.thresholds)
        body = (
            head
            + _table(("version", *SHOWN), figures)
            + _table(("check", *self.versions), checks)
            + drift
        )
        return f'<div style="{_CSS}">{body}</div>'

    def to_html(self) -> str:
        """A self-contained HTML page of every version's figures and check states."""
        return _page("Tailwatch comparison", self._repr_html_())
