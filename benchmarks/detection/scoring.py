"""Scoring of the detection suite: scenarios, false alarms, lags, and their Markdown tables."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks.detection import truth as gt

__all__ = [
    "CONTROLS",
    "LAG_TARGET",
    "REGIMES",
    "Control",
    "Scenario",
    "control_summary",
    "control_table",
    "scenario_table",
    "summarize",
    "summary_tables",
]

REGIMES = ("healthy", "self", "fresh")
LAG_TARGET = 2


@dataclass(frozen=True)
class Control:
    """A scenario beside the grid whose right verdict is known (issue 22).

    ``expect``: "quiet" (no collapse alarm, no privacy finding), "privacy" (a privacy finding
    held for ``LAG_TARGET`` versions, and no collapse alarm) or "quiet tails" (no alarm of a
    tail check: a control of the tails' refit noise whose other figures the ground truth judges).
    """

    dataset: str
    generator: str
    regime: str
    expect: str
    about: str


CONTROLS = (
    Control(
        "randhie", "copula_auto", "healthy", "quiet tails",
        "Gaussian copula with the marginals copulas selects per refit, refit on bootstraps of a "
        "heavy-tailed table",
    ),
    Control(
        "fair", "cart", "healthy", "privacy",
        "sequential CART synthesizer (synthpop's method) refit on bootstraps: copies rows",
    ),
    Control(
        "fair", "gmm", "fresh_ref", "quiet",
        "fresh-data loop whose first version is fit on the reference, later ones on other real "
        "rows",
    ),
)  # fmt: skip


@dataclass
class Scenario:
    """One data set x generator x regime x seed, measured generation by generation."""

    dataset: str
    generator: str
    regime: str
    seed: int
    truths: list[gt.GroundTruth] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    onset: int | None = None
    criteria: list[list[str]] = field(default_factory=list)
    noisy_checks: set[str] = field(default_factory=set)  # alarmed on this cell's healthy controls

    @property
    def name(self) -> str:
        return f"{self.dataset}-{self.generator}-{self.regime}-s{self.seed}"

    @property
    def alarms(self) -> list[int]:
        """Generations whose verdict (as of that version) is an alarm."""
        return [i for i, v in enumerate(self.verdicts) if v["alarm"]]

    @property
    def specific_alarms(self) -> list[int]:
        """Alarms raised by a check that never alarmed on this cell's healthy controls."""
        return [
            i
            for i, v in enumerate(self.verdicts)
            if any(
                n >= 2 and c in v["change"] and c not in self.noisy_checks
                for c, n in v["streaks"].items()
            )
        ]

    def _lag(self, alarms: list[int]) -> int | None:
        if self.onset is None:
            return None
        return next((i - self.onset for i in alarms if i >= self.onset), None)

    @property
    def lag(self) -> int | None:
        """Versions from the ground truth's onset to the first alarm at or after it."""
        return self._lag(self.alarms)

    @property
    def specific_lag(self) -> int | None:
        """The same, counting only alarms of checks silent on the healthy controls."""
        return self._lag(self.specific_alarms)


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def scenario_table(s: Scenario, trtr: float) -> str:
    """Ground truth beside Tailwatch's figures and verdict, one row per generation."""
    head = (
        f"#### {s.name} (TRTR {trtr:.3f}; onset "
        f"{'none' if s.onset is None else f'gen {s.onset}'}; alarms {s.alarms or 'none'})\n\n"
        "| gen | TSTR | class TV | lost | std med | tail med | tail lost | GT | "
        "prec | rec | cov | dens | tail | miss | breached (streak) | verdict |\n"
        "|" + "---|" * 16 + "\n"
    )
    rows = []
    for i, (t, v) in enumerate(zip(s.truths, s.verdicts, strict=True)):
        f = v["figures"]
        breached = ", ".join(f"{c} ({v['streaks'].get(c, 0)})" for c in v["breached"]) or "-"
        marker = ",".join(s.criteria[i]) or "-"
        marker = f"**onset**: {marker}" if i == s.onset else marker
        rows.append(
            f"| {i} | {t.tstr:.3f} | {t.class_tv:.3f} | {len(t.lost)} | "
            f"{t.std_ratio_median:.2f} | {_fmt(t.tail_ratio_median, 2)} | "
            f"{t.tail_lost_share:.2f} | {marker} | {_fmt(f['precision'])} | "
            f"{_fmt(f['recall'])} | {_fmt(f['coverage'])} | {_fmt(f['density'], 2)} | "
            f"{_fmt(f['tail_frequency_ratio'], 2)} | {_fmt(f['missing_categories'], 0)} | "
            f"{breached} | {v['level']}{' (ALARM)' if v['alarm'] else ''} |"
        )
    return head + "\n".join(rows) + "\n"


def summarize(scenarios: list[Scenario]) -> dict[str, Any]:
    """False alarms, detection lags and what stays undetected, per regime and per cell."""
    by_regime: dict[str, dict[str, Any]] = {}
    for regime in REGIMES:
        group = [s for s in scenarios if s.regime == regime]
        onset = [s for s in group if s.onset is not None]
        lags = [s.lag for s in onset if s.lag is not None]
        specific = [s.specific_lag for s in onset if s.specific_lag is not None]
        by_regime[regime] = {
            "scenarios": len(group),
            "versions": sum(len(s.verdicts) for s in group),
            "alarm_versions": sum(len(s.alarms) for s in group),
            "scenarios_with_alarm": sum(1 for s in group if s.alarms),
            "with_onset": len(onset),
            "alarms_without_onset": sum(len(s.alarms) for s in group if s.onset is None),
            "early_alarm_versions": sum(
                sum(1 for a in s.alarms if a < s.onset) for s in onset if s.onset is not None
            ),
            "detected_within_target": sum(1 for lag in lags if lag <= LAG_TARGET),
            "detected_late": sum(1 for lag in lags if lag > LAG_TARGET),
            "undetected": sum(1 for s in onset if s.lag is None),
            "lags": lags,
            "median_lag": statistics.median(lags) if lags else None,
            "alarm_on_before_onset": sum(
                1 for s in onset if s.onset is not None and (s.onset - 1) in s.alarms
            ),
            "specific_lags": specific,
            "specific_within_target": sum(1 for lag in specific if lag <= LAG_TARGET),
            "specific_undetected": sum(1 for s in onset if s.specific_lag is None),
        }
    cells: dict[str, dict[str, Any]] = defaultdict(dict)
    for s in scenarios:
        cell = cells[f"{s.dataset} / {s.generator}"].setdefault(
            s.regime, {"alarm_versions": 0, "onsets": [], "lags": [], "specific_lags": []}
        )
        cell["alarm_versions"] += len(s.alarms)
        cell["onsets"].append(s.onset)
        cell["lags"].append(s.lag)
        cell["specific_lags"].append(s.specific_lag)
    checks: dict[str, int] = defaultdict(int)
    for s in scenarios:
        if s.regime == "healthy":
            for v in s.verdicts:
                if v["alarm"]:
                    for check, streak in v["streaks"].items():
                        if streak >= 2 and check in v["change"]:
                            checks[check] += 1
    undetected = [
        {
            "scenario": s.name,
            "onset": s.onset,
            "criteria": s.criteria[s.onset] if s.onset is not None else [],
            "alarms": s.alarms,
            "specific_alarms": s.specific_alarms,
            "missed_by": "every check" if s.lag is None else "checks silent on healthy",
        }
        for s in scenarios
        if s.onset is not None and (s.lag is None or s.specific_lag is None)
    ]
    return {
        "by_regime": by_regime,
        "cells": cells,
        "healthy_alarm_checks": dict(sorted(checks.items(), key=lambda kv: -kv[1])),
        "healthy_privacy_alarm_versions": sum(
            1
            for s in scenarios
            if s.regime == "healthy"
            for v in s.verdicts
            if v.get("privacy_alarm")
        ),
        "undetected": undetected,
    }


def summary_tables(summary: dict[str, Any]) -> str:
    """The summary as Markdown."""
    out = [
        "### Per regime\n",
        "| regime | scenarios | versions | alarm versions | scenarios with an alarm | "
        f"with GT onset | detected lag <= {LAG_TARGET} | detected later | undetected | "
        "median lag | alarm already on at onset - 1 | alarm versions before onset | "
        "alarm versions without onset | specific: lag <= 2 / undetected |",
        "|" + "---|" * 14,
    ]
    for regime, r in summary["by_regime"].items():
        out.append(
            f"| {regime} | {r['scenarios']} | {r['versions']} | {r['alarm_versions']} | "
            f"{r['scenarios_with_alarm']} | {r['with_onset']} | {r['detected_within_target']} | "
            f"{r['detected_late']} | {r['undetected']} | {_fmt(r['median_lag'], 1)} | "
            f"{r['alarm_on_before_onset']} | {r['early_alarm_versions']} | "
            f"{r['alarms_without_onset']} | "
            f"{r['specific_within_target']} / {r['specific_undetected']} |"
        )

    def lagged(values: list[int | None], onsets: list[int | None]) -> str:
        pairs = [
            "no onset" if o is None else "missed" if lag is None else f"{lag}"
            for o, lag in zip(onsets, values, strict=True)
        ]
        return " / ".join(pairs)

    out += [
        "\n### Per data set and generator (one entry per seed: lag after onset, or missed)\n",
        "| data set / generator | healthy: alarm versions | self: onsets | self: lag | "
        "self: specific lag | fresh: onsets | fresh: lag | fresh: alarm versions |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cell, regimes in summary["cells"].items():
        h, s, f = (regimes[r] for r in REGIMES)
        onsets = " / ".join("-" if o is None else str(o) for o in s["onsets"])
        fresh_onsets = " / ".join("-" if o is None else str(o) for o in f["onsets"])
        out.append(
            f"| {cell} | {h['alarm_versions']} | {onsets} | {lagged(s['lags'], s['onsets'])} | "
            f"{lagged(s['specific_lags'], s['onsets'])} | {fresh_onsets} | "
            f"{lagged(f['lags'], f['onsets'])} | {f['alarm_versions']} |"
        )
    checks = summary["healthy_alarm_checks"]
    out.append(
        "\nChecks behind the healthy controls' alarms (versions with a streak >= 2): "
        + (", ".join(f"{c} {n}" for c, n in checks.items()) or "none")
    )
    out.append(
        "\nPrivacy findings on the healthy controls (memorization or membership exposure held "
        f"for 2 versions; not collapse alarms): {summary['healthy_privacy_alarm_versions']} "
        "versions"
    )
    if summary["undetected"]:
        out.append("\nUndetected onsets:\n")
        for u in summary["undetected"]:
            out.append(
                f"- {u['scenario']}: onset gen {u['onset']} ({', '.join(u['criteria'])}); "
                f"missed by {u['missed_by']}; alarms {u['alarms'] or 'none'}"
            )
    return "\n".join(out) + "\n"


def control_summary(control: Control, scenarios: list[Scenario]) -> dict[str, Any]:
    """Per control: its seeds' collapse alarm versions, privacy finding versions, the checks
    behind them, the first privacy finding and whether the verdicts are the expected ones."""
    rows = []
    for s in scenarios:
        privacy = [i for i, v in enumerate(s.verdicts) if v.get("privacy_alarm")]
        checks = sorted(
            {
                c
                for v in s.verdicts
                if v["alarm"]
                for c, n in v["streaks"].items()
                if n >= LAG_TARGET and c in v["change"]
            }
        )
        if control.expect == "privacy":
            met = not s.alarms and bool(privacy) and privacy[0] <= LAG_TARGET
        elif control.expect == "quiet tails":
            met = not {"tail_thinning", "tail_excess"} & set(checks)
        else:
            met = not s.alarms and not privacy
        rows.append(
            {
                "scenario": s.name,
                "versions": len(s.verdicts),
                "alarm_versions": s.alarms,
                "alarm_checks": checks,
                "privacy_versions": privacy,
                "met": met,
            }
        )
    return {
        "dataset": control.dataset,
        "generator": control.generator,
        "regime": control.regime,
        "expect": control.expect,
        "about": control.about,
        "seeds": rows,
    }


def control_table(summaries: list[dict[str, Any]]) -> str:
    """The controls as Markdown: one row per control and seed."""
    out = [
        "### Controls with a known verdict (issue 22)\n",
        "| scenario | expected | versions | collapse alarm versions (checks) | "
        "privacy finding versions | as expected |",
        "|---|---|---|---|---|---|",
    ]
    for c in summaries:
        for r in c["seeds"]:
            alarms = (
                f"{r['alarm_versions']} ({', '.join(r['alarm_checks'])})"
                if r["alarm_versions"]
                else "none"
            )
            out.append(
                f"| {r['scenario']} | {c['expect']} | {r['versions']} | {alarms} | "
                f"{r['privacy_versions'] or 'none'} | {'yes' if r['met'] else '**no**'} |"
            )
    return "\n".join(out) + "\n"
