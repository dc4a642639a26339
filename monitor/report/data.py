"""Build a :class:`~monitor.report.model.Report` from the store's history: aggregates only.

Collapse checks come from :func:`monitor.checks.evaluate_checks` (the exporter's function), run
over the whole ok history of a generator (the first version is the baseline), once per prefix so
that every version gets the value and limit it was judged by. ``since`` only narrows which
versions are shown. Per version the latest ok run counts (a re-measured version replaces itself).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import SupportsFloat

import pandas as pd

from collectors.metrics import BY_NAME
from monitor.checks import (
    CHECK_KINDS,
    DECLINE_METRICS,
    DESCRIPTIONS,
    WATCHES,
    CheckResult,
    CheckThresholds,
    HealthyLevels,
    VersionFigures,
    declining_versions,
    evaluate_checks,
    generator_verdict,
)
from monitor.report.columns import column_table
from monitor.report.corpus import corpus_section
from monitor.report.model import (
    SEVERITY,
    Alert,
    CheckRow,
    CorpusSection,
    FeatureDrift,
    GeneratorSection,
    Histogram,
    MetricSeries,
    RegionGrid,
    Report,
    Series,
    Verdict,
)
from monitor.report.sequences import sequence_details
from monitor.report.structure import structure_details
from monitor.store import Store, version_figures

__all__ = ["TOP_FEATURES", "build_report"]

TOP_FEATURES = 4
# The check that watches each plotted metric (its limit is drawn on the metric's panel).
WATCHED_BY: dict[str, str] = {
    "coverage": "coverage_decline",
    "recall": "recall_decline",
    "precision": "precision_decline",
    "density": "density_rise",
    "authenticity": "memorization",
    "worst_region_coverage": "region_uncovered",
    "categories_lost": "category_lost",
    "text_vocabulary_retention": "vocabulary_loss",
    "text_rare_mass_ratio": "rare_mass_loss",
    "utility_ratio": "utility_decline",
    "classes_lost": "class_lost",
    "membership_auc": "membership_exposure",
    "safe_synthetic_share": "safe_share_decline",  # the mixing sweep (issue 29)
}
# What each check's value is and its description: the check records' (monitor.checks.registry).


def _iso(moment: object) -> str:
    return pd.Timestamp(moment).isoformat()


def _value(x: SupportsFloat | None) -> float | None:
    if x is None:
        return None
    number = float(x)
    return number if math.isfinite(number) else None


def _latest_runs(history: pd.DataFrame) -> pd.DataFrame:
    """One row per version, its latest ok run, in the order of ``version_figures``."""
    runs = history[["version", "version_index", "run_id", "finished_at"]]
    runs = runs.drop_duplicates("run_id", keep="last")
    runs = runs.sort_values(["version_index", "finished_at", "run_id"])
    return runs.drop_duplicates("version", keep="last").reset_index(drop=True)


def _failures(store: Store, kind: str, name: str, since: datetime | None) -> tuple[int, str | None]:
    runs = store.runs(kind, name, limit=1_000_000)
    failed = runs[runs["status"] == "failed"]
    if since is not None:
        failed = failed[failed["finished_at"] >= pd.Timestamp(since)]
    if failed.empty:
        return 0, None
    top = failed.iloc[0]  # newest first
    return len(failed), f"{top['version']}: {top['error']}"


def _noise_band(
    metric: str, level: float | None, rows: tuple[int, int], sigmas: float, spread: float | None
) -> tuple | None:
    """The healthy level +- ``sigmas`` times its noise: the draws' spread or binomial."""
    if level is None or metric not in DECLINE_METRICS:
        return None
    n = rows[0] if DECLINE_METRICS[metric] == "reference" else rows[1]
    if n <= 0:
        return None
    p = min(max(level, 0.0), 1.0)
    width = sigmas * max(math.sqrt(p * (1.0 - p) / n), spread or 0.0)
    return (max(0.0, level - width), min(1.0, level + width))


def _healthy_notes(healthy: HealthyLevels) -> list[str]:
    """How the healthy level was measured, and when it says too little."""
    meta = healthy.meta
    if not meta:
        return []
    rows, holdout = (
        int(meta.get("healthy_sample_rows", 0)),
        int(meta.get("healthy_holdout_rows", 0)),
    )
    draws = int(meta.get("healthy_draws", 0))
    notes = [
        f"Healthy levels: mean of {draws} draws of {rows} real holdout rows (the versions' "
        "size) against the reference; their spread is the noise the checks allow."
    ]
    if healthy.repeated_rows:
        notes.append(
            f"The holdout has {holdout} rows, fewer than a version's {rows}: its draws "
            "repeat rows, so healthy coverage and recall read low and are not compared "
            "with versions (no coverage or recall gap findings)."
        )
    if not healthy.reliable:
        notes.append(
            f"The holdout has only {holdout} rows: too few for a healthy level that says "
            "anything; fidelity gaps are not reported. Configure a larger holdout."
        )
    return notes


def _take(values: Sequence, shown: Sequence[int]) -> tuple:
    return tuple(values[i] for i in shown)


def _check_rows(
    history: list[VersionFigures],
    healthy: dict[str, float],
    t: CheckThresholds,
    shown: Sequence[int],
) -> tuple[CheckRow, ...]:
    """Each check over every prefix of the history: breach, value and limit per version."""
    per_prefix: list[dict[str, CheckResult]] = [
        {r.check: r for r in evaluate_checks(history[: i + 1], healthy, t)}
        for i in range(len(history))
    ]
    rows = []
    for check in CHECK_KINDS:
        final = per_prefix[-1][check]
        rows.append(
            CheckRow(
                check=check,
                description=DESCRIPTIONS[check],
                breached=_take(final.breached, shown),
                values=_take([_value(p[check].value) for p in per_prefix], shown),
                limits=_take([_value(p[check].limit) for p in per_prefix], shown),
                streak=final.streak,
                kind=final.kind,
                detail=final.detail,
                figure=final.reading,
            )
        )
    return tuple(rows)


def _describe(name: str, row: CheckRow, latest: str) -> str:
    value, limit = row.values[-1], row.limits[-1]
    reading = row.figure or WATCHES.get(row.check, row.check)
    figures = "" if value is None else f" ({reading} {value:.3f}"
    figures += "" if not figures or limit is None else f", limit {limit:.3f}"
    figures += ")" if figures else ""
    where = f"; {row.detail}" if row.detail else ""
    if row.streak >= 2:
        return (f"{name}: {row.check} breached by the latest {row.streak} versions{figures}"
                f"{where}: {row.description}")  # fmt: skip
    return f"{name}: {row.check} breached by {latest}{figures}{where}: {row.description}"


def _generator_verdict(
    name: str,
    versions: Sequence[str],
    checks: Sequence[CheckRow],
    history: list[VersionFigures],
    since: datetime | None,
    t: CheckThresholds,
) -> Verdict:
    """:func:`monitor.checks.generator_verdict` in sentences: change checks decide the level;
    fidelity gaps are listed and never raise it."""
    if not versions:
        when = "" if not history or since is None else f" since {since:%Y-%m-%d}"
        return Verdict("no data", (f"{name}: no version measured successfully{when}",))
    latest = versions[-1]
    results = [
        CheckResult(
            r.check,
            r.breached,
            r.limits[-1] if r.limits else None,
            r.values[-1] if r.values else None,
            r.detail,
            tuple(versions),
            r.figure,
        )
        for r in checks
    ]
    verdict = generator_verdict(results, t)
    by_check = {row.check: row for row in checks}
    serious = [_describe(name, by_check[r.check], latest) for r in verdict.collapse]
    watch = [_describe(name, by_check[r.check], latest) for r in verdict.watch]
    gaps = []
    for r in verdict.gaps:
        constant = f" (constant since {r.since})" if r.constant else ""
        gaps.append(f"fidelity gap{constant}: " + _describe(name, by_check[r.check], latest))
    for r in verdict.privacy:
        constant = f" (constant since {r.since})" if r.constant else ""
        gaps.append(f"{verdict.privacy_level}{constant}, not a collapse: "
                    + _describe(name, by_check[r.check], latest))  # fmt: skip
    for r, at in verdict.resolved:
        gaps.append(f"{name}: {r.check} paged earlier and resolved at {at}")
    labels = verdict.labels[1:]
    long_streaks = [f"{r.check} ({r.streak} versions in a row)" for r in verdict.collapse]
    first_breach = [r.check for r in verdict.watch]
    also = f"; {', '.join(first_breach)} breached by {latest}" if first_breach else ""
    if verdict.level == "collapse suspected":
        summary = f"{name}: {', '.join(long_streaks)}{also}"
        return Verdict("collapse suspected", tuple(serious + watch + gaps), summary, labels)
    declines = []
    for metric in DECLINE_METRICS:
        steps = declining_versions(history, metric) if len(history) > 1 else 0
        if steps >= 3:
            watch.append(f"{name}: {metric} fell beyond noise in each of the last {steps} versions")
            declines.append(f"{metric} falling for {steps} versions")
    if watch:
        summary = f"{name}: " + "; ".join(
            ([f"{', '.join(first_breach)} breached by {latest}"] if first_breach else []) + declines
        )
        return Verdict("watch", tuple(watch + gaps), summary, labels)
    if gaps:
        found = [f"{verdict.privacy_level}: " + ", ".join(r.check for r in verdict.privacy)]
        found = found if verdict.privacy else []
        if verdict.gaps:
            found.append("fidelity gaps: " + ", ".join(r.check for r in verdict.gaps))
        if verdict.resolved:
            found.append(
                "resolved: " + ", ".join(f"{r.check} at {at}" for r, at in verdict.resolved)
            )
        summary = f"{name}: no collapse check breached; " + "; ".join(found)
        return Verdict("healthy", (f"{name}: no collapse check breached by {latest}", *gaps),
                       summary, labels)  # fmt: skip
    return Verdict("healthy", (f"{name}: no collapse check breached by {latest}",))


def _features(history: pd.DataFrame, runs: pd.DataFrame) -> tuple[FeatureDrift, ...]:
    per = history[history["scope"].str.startswith("feature:")]
    per = per[per["run_id"].isin(runs["run_id"])]
    if per.empty:
        return ()
    table = per.pivot_table(index=["scope", "metric"], columns="run_id", values="value")
    order = list(runs["run_id"])
    out = []
    for scope in sorted(per["scope"].unique()):
        rows = table.loc[scope]

        def series(metric: str, rows: pd.DataFrame = rows) -> Series:
            if metric not in rows.index:
                return ()
            return tuple(_value(rows.loc[metric].get(run_id)) for run_id in order)

        numeric = "ks_statistic" in rows.index
        out.append(
            FeatureDrift(
                feature=scope.removeprefix("feature:"),
                kind="numeric" if numeric else "categorical",
                drift_metric="ks_statistic" if numeric else "total_variation",
                drift=series("ks_statistic" if numeric else "total_variation"),
                tail_lower=series("tail_frequency_ratio_lower"),
                tail_upper=series("tail_frequency_ratio_upper"),
            )
        )
    return tuple(out)


def _histograms(store: Store, name: str, run_id: int, features: Sequence[str]) -> tuple:
    details = store.run_details("generator", name, "histograms")
    details = details[details["run_id"] == run_id]
    if details.empty:
        return ()
    content = json.loads(details["content"].iloc[-1])
    out = []
    for feature in features:
        entry = content.get(feature)
        if not entry or "reference" not in entry or "sample" not in entry:
            continue
        kind = entry.get("kind", "numeric")
        bins = entry.get("edges") if kind == "numeric" else entry.get("categories")
        if bins is None:
            continue
        out.append(
            Histogram(feature, kind, tuple(bins), tuple(entry["reference"]), tuple(entry["sample"]))
        )
    return tuple(out)


def _regions(store: Store, name: str, runs: pd.DataFrame) -> RegionGrid | None:
    frame = store.regions_history("generator", name)
    frame = frame[frame["run_id"].isin(runs["run_id"])]
    if frame.empty:
        return None
    sizes = frame.drop_duplicates("region", keep="last").set_index("region")["real_rows"]
    table = frame.pivot_table(index="region", columns="run_id", values="coverage", dropna=False)
    regions = sorted(sizes.index)
    coverage = tuple(
        tuple(_value(table.loc[r].get(run_id)) for run_id in runs["run_id"]) for r in regions
    )
    return RegionGrid(
        tuple(int(r) for r in regions), tuple(int(sizes[r]) for r in regions), coverage
    )


def generator_section(
    store: Store, name: str, since: datetime | None, t: CheckThresholds
) -> GeneratorSection:
    """One generator's section (``since`` narrows the versions shown, not the checks' baseline)."""
    history = store.history("generator", name)
    figures, healthy = version_figures(history)  # exactly what the exporter checks
    runs = _latest_runs(history) if not history.empty else history
    assert [f.version for f in figures] == list(runs["version"] if len(runs) else [])
    failed, last_error = _failures(store, "generator", name, since)
    reference = history[history["scope"] == "reference"]
    shown = list(range(len(runs)))
    if since is not None and len(runs):
        shown = [i for i, moment in enumerate(runs["finished_at"]) if moment >= pd.Timestamp(since)]
    window = runs.iloc[shown].reset_index(drop=True) if len(runs) else runs
    notes: list[str] = []
    if not figures:
        notes.append("No version of this generator has been measured successfully yet.")
    elif window.empty:
        notes.append(f"No version was measured since {since:%Y-%m-%d %H:%M} UTC.")
    elif len(figures) == 1:
        notes.append(
            "Only one version has been measured: it is the baseline, compared with the healthy "
            "level only; trends need a second version."
        )
    if not healthy and figures:
        notes.append("No healthy (real holdout vs reference) level is stored for this generator.")
    elif figures:
        notes += _healthy_notes(healthy)
    checks = _check_rows(figures, healthy, t, shown) if figures else ()
    by_check = {row.check: row for row in checks}
    versions = tuple(window["version"]) if len(window) else ()
    metrics: dict[str, MetricSeries] = {}
    last_rows = (figures[-1].reference_rows, figures[-1].sample_rows) if figures else (0, 0)
    for metric in sorted(set(reference["metric"]), key=lambda m: (m not in BY_NAME, m)):
        spec = BY_NAME.get(metric)
        values = _take([_value(f.figures.get(metric)) for f in figures], shown)
        check = WATCHED_BY.get(metric)
        metrics[metric] = MetricSeries(
            metric=metric,
            description=spec.description if spec else "",
            goal=spec.goal if spec else "",
            values=values,
            healthy=_value(healthy.get(metric)),
            band=_noise_band(
                metric,
                _value(healthy.get(metric)),
                last_rows,
                t.noise_sigmas,
                _value(healthy.spread.get(metric)),
            ),
            check=check,
            limits=by_check[check].limits if check in by_check else (),
        )
    alerts = tuple(
        Alert("generator", name, version, row.check, row.values[i], row.limits[i], row.description)
        for i, version in enumerate(versions)
        for row in checks
        if row.breached[i] and row.kind != "gap"
    )
    features = _features(history, window)
    ranked = sorted(
        (f for f in features if f.drift and f.drift[-1] is not None),
        key=lambda f: -(f.drift[-1] or 0.0),
    )
    top = tuple(f.feature for f in ranked[:TOP_FEATURES])
    histograms: tuple[Histogram, ...] = ()
    if len(window) and top:
        histograms = _histograms(store, name, int(window["run_id"].iloc[-1]), top)
    text = _text_details(store, name, int(window["run_id"].iloc[-1])) if len(window) else None
    return GeneratorSection(
        name=name,
        versions=versions,
        finished_at=tuple(_iso(m) for m in window["finished_at"]) if len(window) else (),
        reference_rows=_take([f.reference_rows for f in figures], shown),
        sample_rows=_take([f.sample_rows for f in figures], shown),
        metrics=metrics,
        regions=_regions(store, name, window) if len(window) else None,
        features=features,
        top_drifting=top,
        histograms_version=versions[-1] if histograms else None,
        histograms=histograms,
        checks=checks,
        alerts=alerts,
        verdict=_generator_verdict(name, versions, checks, figures, since, t),
        failed_runs=failed,
        last_error=last_error,
        notes=tuple(notes),
        text=text,
        columns=column_table(figures, t) if len(window) else None,
        structure=(
            structure_details(store, name, int(window["run_id"].iloc[-1])) if len(window) else None
        ),
        sequences=(
            sequence_details(store, name, int(window["run_id"].iloc[-1])) if len(window) else None
        ),
    )


def _text_details(store: Store, name: str, run_id: int) -> dict | None:
    """A text generator's latest curves and vanished words (None for other generators)."""
    details = store.run_details("generator", name, "text")
    details = details[details["run_id"] == run_id]
    return None if details.empty else json.loads(details["content"].iloc[-1])


def _overall(sections: Sequence[GeneratorSection], corpora: Sequence) -> Verdict:
    verdicts = [s.verdict for s in (*sections, *corpora)]
    if not verdicts:
        return Verdict("no data", ("The store holds no generator and no corpus yet.",))
    level = max((v.level for v in verdicts), key=SEVERITY.__getitem__)
    labels = tuple(dict.fromkeys(label for v in verdicts for label in v.labels))
    if level in ("healthy", "no data"):
        reasons = tuple(v.headline for v in verdicts)
    else:
        reasons = tuple(v.headline for v in verdicts if SEVERITY[v.level] > 1 or v.labels)
    return Verdict(level, reasons, "", labels)


def build_report(
    store: Store,
    *,
    since: datetime | None = None,
    generator: str | None = None,
    thresholds: CheckThresholds | Callable[[str], CheckThresholds] | None = None,
) -> Report:
    """Read the store and build the report's data (aggregates only, never raw rows).

    ``thresholds``: one set for every generator, or a function of the generator's name (the
    daemon's per-generator ``checks`` config, as the exporter takes it).
    ``since`` (naive = UTC) keeps the versions and snapshots whose run finished at or after it;
    ``generator`` keeps only that generator (and no corpora); an unknown name is a ValueError.
    """
    if thresholds is None or isinstance(thresholds, CheckThresholds):
        fixed = thresholds or CheckThresholds()

        def fixed_thresholds(_name: str) -> CheckThresholds:
            return fixed

        per_generator: Callable[[str], CheckThresholds] = fixed_thresholds
    else:
        per_generator = thresholds
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    subjects = store.subjects()
    names = [name for kind, name in subjects if kind == "generator"]
    if generator is not None and generator not in names:
        raise ValueError(f"no generator {generator!r} in {store.path}; known: {names}")
    chosen = [generator] if generator is not None else names
    sections = tuple(generator_section(store, name, since, per_generator(name)) for name in chosen)
    corpora: tuple[CorpusSection, ...] = ()
    if generator is None:
        corpora = tuple(
            corpus_section(store, name, since) for kind, name in subjects if kind == "corpus"
        )
    notes = []
    if not sections and generator is None:
        notes.append("No generator is recorded in the store.")
    return Report(
        title="Tailwatch drift report",
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        store_path=store.path,
        since=None if since is None else since.isoformat(),
        generator_filter=generator,
        verdict=_overall(sections, corpora),
        generators=sections,
        corpora=corpora,
        notes=tuple(notes),
    )
