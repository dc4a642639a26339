"""The one list of Prometheus series Tailwatch exports: names, types, labels and help.

The exporter builds its families from here, and a test checks that every ``tailwatch_*`` name in
``rules/`` and ``grafana/`` is one of these, so a renamed metric cannot leave a silent panel behind.
Naming follows Prometheus conventions: ``tailwatch_`` prefix, base units, ``_total`` counters,
``_ratio`` for ratios, ``_info`` for version labels, bounded label values only (generator and
corpus names come from the config; checks, provenance labels and regions are small fixed sets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from collectors.metrics import CORPUS_METRICS, GENERATOR_METRICS, RELATIVE_METRICS
from monitor.checks import CHECKS, DECLINE_METRICS, GAPS

__all__ = [
    "CORPUS_FIGURES",
    "EXPORTED",
    "FEATURE_STATISTICS",
    "RELATIVE_METRICS",
    "TAIL_SIDES",
    "Series",
    "generator_series",
    "healthy_series",
    "relative_series",
]

SeriesType = Literal["gauge", "counter", "info", "histogram"]
VERDICTS: tuple[str, ...] = ("healthy", "watch", "collapse_suspected")
# Per-feature gauges: the drift statistic of a column (KS for numeric, total variation for
# categorical columns) and the tail sides. Their feature label is bounded by the generator's
# monitored_columns, or else its top_drifting_columns (at most 100) columns by drift.
FEATURE_STATISTICS: tuple[str, ...] = ("ks_statistic", "total_variation")
TAIL_SIDES: tuple[str, ...] = ("lower", "upper")


@dataclass(frozen=True)
class Series:
    """One exported metric family."""

    name: str  # the full name as Prometheus stores it (counters with _total, infos with _info)
    type: SeriesType
    labels: tuple[str, ...]
    help: str


# Corpus figures, exported as tailwatch_corpus_<name>{corpus}: every stored snapshot figure of the
# catalog (collectors.metrics.catalog.CORPUS_METRICS, with its description as help), and what the
# watch adds from the corpus's configuration.
CORPUS_CONFIG_FIGURES: dict[str, str] = {
    "synthetic_budget_ratio": "Configured maximum synthetic share (absent without a budget).",
    "human_only": "1 when the corpus must stay human-only.",
    "near_duplicate_default_calibration": "1 when near-duplicates are judged by the documented "
    "default threshold (no known-human data), 0 when calibrated on known-human data.",
}
CORPUS_FIGURES: dict[str, str] = {
    **{spec.name: spec.description for spec in CORPUS_METRICS},
    **CORPUS_CONFIG_FIGURES,
}


def generator_series(metric: str) -> str:
    """Gauge of a generator's latest version against the reference."""
    return f"tailwatch_generator_{metric}"


def healthy_series(metric: str) -> str:
    """Gauge of the healthy real-vs-real level of ``metric``."""
    return f"tailwatch_generator_healthy_{metric}"


def relative_series(metric: str, anchor: Literal["baseline", "previous"]) -> str:
    """Gauge of the latest version's ``metric`` divided by the baseline's or previous version's."""
    return f"tailwatch_generator_{metric}_vs_{anchor}_ratio"


def _build() -> tuple[Series, ...]:
    g = ("generator",)
    subject = ("kind", "subject")
    out: list[Series] = []
    for spec in GENERATOR_METRICS:
        out.append(Series(generator_series(spec.name), "gauge", g, f"{spec.description}"))
        out.append(
            Series(
                healthy_series(spec.name),
                "gauge",
                g,
                f"Healthy level (real holdout vs reference): {spec.name}.",
            )
        )
    for metric in RELATIVE_METRICS:
        for anchor in ("baseline", "previous"):
            out.append(
                Series(
                    relative_series(metric, anchor),
                    "gauge",
                    g,
                    f"Latest version's {metric} divided by the {anchor} version's.",
                )
            )
    out += [
        Series(
            "tailwatch_generator_version_info",
            "info",
            ("generator", "version"),
            "The latest measured version of each generator (value 1).",
        ),
        Series(
            "tailwatch_generator_version_index",
            "gauge",
            g,
            "Position of the latest measured version in the version order (0 = baseline).",
        ),
        Series(
            "tailwatch_generator_versions_measured",
            "gauge",
            g,
            "Versions measured successfully.",
        ),
        Series(
            "tailwatch_generator_region_coverage",
            "gauge",
            ("generator", "region"),
            "Coverage of each k-means region of the real reference by the latest version.",
        ),
        Series(
            "tailwatch_generator_check_breach_versions",
            "gauge",
            ("generator", "check"),
            "How many of the latest versions in a row breach the check (change checks, which "
            "page: "
            + ", ".join(CHECKS)
            + "; fidelity gaps to the healthy level, tickets only: "
            + ", ".join(GAPS)
            + ").",
        ),
        Series(
            "tailwatch_generator_check_limit",
            "gauge",
            ("generator", "check"),
            "The latest version's limit for the check's watched figure.",
        ),
        Series(
            "tailwatch_generator_check_value",
            "gauge",
            ("generator", "check"),
            "The latest version's value of the figure tailwatch_generator_check_limit is the limit "
            "of: for a check of several sub-tests, the one that breached (memorization: "
            "authenticity or dcr_close_share; membership_exposure: AUC or TPR at 1 % FPR).",
        ),
        Series(
            "tailwatch_generator_verdict",
            "gauge",
            ("generator", "verdict"),
            "The generator's verdict as a state set: 1 for the current one of "
            + ", ".join(VERDICTS)
            + " (collapse suspected: a change check held for the configured versions).",
        ),
        Series(
            "tailwatch_generator_declining_versions",
            "gauge",
            ("generator", "metric"),
            "How many of the latest version steps in a row lowered the metric beyond noise "
            "(metrics: " + ", ".join(DECLINE_METRICS) + ").",
        ),
        Series(
            "tailwatch_generator_feature_drift",
            "gauge",
            ("generator", "feature", "statistic"),
            "Drift of one column of the latest version from the reference (0: identical): the "
            "KS statistic of a numeric column (statistic ks_statistic) or the total variation of "
            "a categorical one (total_variation). Only the generator's monitored_columns, or "
            "else its top_drifting_columns columns by drift (default 10).",
        ),
        Series(
            "tailwatch_generator_feature_tail_frequency_ratio",
            "gauge",
            ("generator", "feature", "side"),
            "Share of the latest version's rows beyond the column's real 1 % (lower) or 99 % "
            "(upper) quantile over the real share (1: healthy, towards 0 the tail vanished); "
            "the same columns as tailwatch_generator_feature_drift.",
        ),
    ]
    for figure, text in CORPUS_FIGURES.items():
        out.append(Series(f"tailwatch_corpus_{figure}", "gauge", ("corpus",), text))
    out += [
        Series(
            "tailwatch_corpus_provenance_rows",
            "gauge",
            ("corpus", "provenance"),
            "Rows of the latest snapshot by provenance label (human, synthetic, unknown).",
        ),
        Series(
            "tailwatch_corpus_snapshot_info",
            "info",
            ("corpus", "snapshot"),
            "The latest scanned snapshot of each corpus (value 1).",
        ),
        Series(
            "tailwatch_runs_total",
            "counter",
            ("kind", "subject", "status"),
            "Measurement runs by status (ok, failed), from the stored history.",
        ),
        Series(
            "tailwatch_last_success_timestamp_seconds",
            "gauge",
            subject,
            "End of the subject's latest successful run (Unix time).",
        ),
        Series(
            "tailwatch_last_run_failed",
            "gauge",
            subject,
            "1 when the subject's most recent run failed.",
        ),
        Series(
            "tailwatch_run_duration_seconds",
            "gauge",
            subject,
            "Duration of the subject's most recent run.",
        ),
        Series(
            "tailwatch_scan_last_success_timestamp_seconds",
            "gauge",
            subject,
            "End of the latest scan of the subject that completed (found nothing or measured).",
        ),
        Series(
            "tailwatch_scan_interval_seconds",
            "gauge",
            subject,
            "Configured scan interval of the subject.",
        ),
        Series(
            "tailwatch_pending_versions",
            "gauge",
            subject,
            "Versions or snapshots found but not yet measured (waiting, or backing off).",
        ),
        Series(
            "tailwatch_scan_errors_total",
            "counter",
            subject,
            "Scans that could not list or read the subject's sources, since the daemon started.",
        ),
        Series(
            "tailwatch_registry_fingerprints",
            "gauge",
            ("kind",),
            "Rows registered in the synthetic registry (synthetic) and as known human (human).",
        ),
        Series(
            "tailwatch_build_info",
            "info",
            ("version", "python", "duckdb"),
            "Tailwatch build (value 1).",
        ),
    ]
    return tuple(out)


EXPORTED: tuple[Series, ...] = _build()
BY_NAME: dict[str, Series] = {series.name: series for series in EXPORTED}


# -- The daemon's own health and the read copy's cost --------------------------------
_HEALTH: tuple[Series, ...] = (
    Series(
        "tailwatch_ready",
        "gauge",
        (),
        "1 when the daemon is ready (/-/ready): the store is usable and its own storage is not "
        "failing.",
    ),
    Series(
        "tailwatch_store_errors_total",
        "counter",
        (),
        "Failures of Tailwatch's own storage (store writes, corpus state folder, full disk, read "
        "copy) since the daemon started; retried with backoff, never counted against a version.",
    ),
    Series(
        "tailwatch_failed_figures",
        "gauge",
        ("kind", "subject"),
        "Figures the latest run could not compute (not finite); their gauges read NaN and the "
        "reason is in the run's failed_figures detail.",
    ),
    Series(
        "tailwatch_run_seconds",
        "histogram",
        ("kind", "status"),
        "Durations of the recorded runs (seconds) by subject kind and status, from the store "
        "(tailwatch_run_duration_seconds is each subject's latest).",
    ),
    Series(
        "tailwatch_read_copy_publishes_total",
        "counter",
        (),
        "Read copies (<store>.snapshot) published since the daemon started.",
    ),
    Series(
        "tailwatch_read_copy_written_bytes_total",
        "counter",
        (),
        "Bytes written by publishing the read copy since the daemon started.",
    ),
    Series(
        "tailwatch_read_copy_duration_seconds",
        "gauge",
        (),
        "Seconds the latest read copy took to write and check.",
    ),
    Series(
        "tailwatch_read_copy_last_publish_timestamp_seconds",
        "gauge",
        (),
        "When the latest read copy was published (Unix time).",
    ),
)
EXPORTED = (*EXPORTED, *_HEALTH)
BY_NAME = {series.name: series for series in EXPORTED}
