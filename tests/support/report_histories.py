"""Histories for the report tests (helpers only, no tests), written through Store.record_run.

``measured_versions`` measures a small self-consuming sequence with the real
``GeneratorReference`` (one mode lost and the spread shrinking, version after version);
``synthetic_run`` and ``corpus_run`` write hand-made figures of known value.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from collectors.generator import GeneratorReference, Measurement
from collectors.result import MetricValue, RegionValue, RunResult

RETENTION_T0 = datetime(2026, 1, 1, tzinfo=UTC)  # generator_run's first version
FEATURES = [f"f{i}" for i in range(30)]


def generator_run(index: int, rng: np.random.Generator, *, subject: str = "gan") -> RunResult:
    """A run about the size of a real one: headline and per-feature figures, healthy levels,
    20 regions and a histograms detail of about 150 KB."""
    decline = 1.0 - 0.002 * index
    metrics = [
        MetricValue("coverage", "reference", 0.95 * decline),
        MetricValue("recall", "reference", 0.7 * decline),
        MetricValue("precision", "reference", 0.72),
        MetricValue("density", "reference", 1.0 + 0.003 * index),
        MetricValue("worst_region_coverage", "reference", 0.8 * decline),
    ]
    for name in ("coverage", "recall", "precision", "density", "worst_region_coverage"):
        metrics.append(MetricValue(name, "healthy", 0.95 if name != "density" else 1.0))
        metrics.append(MetricValue(name, "healthy_spread", 0.01))
    for feature in FEATURES:
        for j, name in enumerate(("ks_statistic", "total_variation", "tail_low", "tail_high")):
            metrics.append(MetricValue(name, f"feature:{feature}", float(rng.random()) + j))
    histograms = {
        f: {"edges": rng.random(201).tolist(), "sample": rng.integers(0, 5000, 200).tolist()}
        for f in FEATURES
    }
    start = RETENTION_T0 + timedelta(hours=index)
    return RunResult(
        subject_kind="generator",
        subject=subject,
        version=f"v{index:03d}",
        fingerprint=f"fp{index}",
        version_index=index,
        started_at=start,
        finished_at=start + timedelta(seconds=20),
        status="ok",
        reference_rows=5000,
        sample_rows=5000,
        metrics=metrics,
        regions=[RegionValue(r, 250, float(rng.random()), 1.0) for r in range(20)],
        details={"histograms": json.dumps(histograms)},
    )


def small_run(
    index: int, *, subject: str = "gan", metrics: list[MetricValue] | None = None
) -> RunResult:
    """A small ok generator run (100 rows, one second long, from 2026-01-01 plus ``index``
    minutes) holding ``metrics``, by default a reference coverage of 0.9."""
    start = RETENTION_T0 + timedelta(minutes=index)
    return RunResult(
        subject_kind="generator",
        subject=subject,
        version=f"v{index}",
        fingerprint=f"fp{index}",
        version_index=index,
        started_at=start,
        finished_at=start + timedelta(seconds=1),
        status="ok",
        reference_rows=100,
        sample_rows=100,
        metrics=metrics or [MetricValue("coverage", "reference", 0.9)],
    )


T0 = datetime(2026, 3, 1, tzinfo=UTC)
CENTRES = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 0.0], [0.0, 6.0, 0.0], [0.0, 0.0, 6.0]])
WEIGHTS = np.array([0.4, 0.3, 0.2, 0.1])


def mixture(rows: int, seed: int, *, spread: float = 1.0, modes: int = 4) -> pd.DataFrame:
    """Rows of a 3-d Gaussian mixture (the first ``modes`` modes) with a categorical column."""
    rng = np.random.default_rng(seed)
    weights = WEIGHTS[:modes] / WEIGHTS[:modes].sum()
    labels = rng.choice(modes, rows, p=weights)
    values = CENTRES[labels] + spread * rng.standard_normal((rows, 3))
    frame = pd.DataFrame(values, columns=["x", "y", "z"])
    frame["kind"] = [f"k{label}" for label in labels]
    return frame


def histograms(reference: pd.DataFrame, sample: pd.DataFrame) -> str:
    """The ``histograms`` run detail: reference and sample counts per feature (JSON text)."""
    out: dict[str, dict[str, object]] = {}
    for column in ("x", "y", "z"):
        edges = np.histogram_bin_edges(reference[column], bins=30)
        out[column] = {
            "kind": "numeric",
            "edges": edges.tolist(),
            "reference": np.histogram(reference[column], edges)[0].tolist(),
            "sample": np.histogram(sample[column].clip(edges[0], edges[-1]), edges)[0].tolist(),
        }
    categories = sorted(set(reference["kind"]))
    out["kind"] = {
        "kind": "categorical",
        "categories": categories,
        "reference": [int((reference["kind"] == c).sum()) for c in categories],
        "sample": [int((sample["kind"] == c).sum()) for c in categories],
    }
    return json.dumps(out)


def result_of(
    subject: str,
    version: str,
    index: int,
    measurement: Measurement,
    healthy: Measurement | None,
    rows: tuple[int, int],
    details: dict[str, str] | None = None,
) -> RunResult:
    """A generator run holding every figure of ``measurement`` (as the daemon stores them)."""
    metrics = [MetricValue(name, "reference", v) for name, v in measurement.figures.items()]
    if healthy is not None:
        metrics += [MetricValue(name, "healthy", v) for name, v in healthy.figures.items()]
    for feature, figures in measurement.per_feature.items():
        metrics += [MetricValue(name, f"feature:{feature}", v) for name, v in figures.items()]
    regions = measurement.regions
    start = T0 + timedelta(days=index)
    return RunResult(
        subject_kind="generator",
        subject=subject,
        version=version,
        fingerprint=f"fp-{version}",
        version_index=index,
        started_at=start,
        finished_at=start + timedelta(minutes=1),
        status="ok",
        reference_rows=rows[0],
        sample_rows=rows[1],
        metrics=metrics,
        regions=[
            RegionValue(
                i, int(regions.sizes[i]), float(regions.coverage[i]), float(regions.density[i])
            )
            for i in range(regions.sizes.shape[0])
        ],
        details=details or {},
    )


def measured_versions(subject: str = "gan", versions: int = 5, rows: int = 400) -> list[RunResult]:
    """A collapsing history measured with the real engine: modes drop out, spread shrinks."""
    reference, holdout = mixture(rows, 1), mixture(rows, 2)
    fitted = GeneratorReference(reference, holdout=holdout, n_regions=4, categorical=["kind"])
    out = []
    for i in range(versions):
        sample = mixture(rows, 10 + i, spread=1.0 - 0.15 * i, modes=max(2, 4 - i))
        measurement = fitted.measure(sample, source=f"v{i}")
        detail = {"histograms": histograms(reference, sample)}
        out.append(
            result_of(subject, f"v{i}", i, measurement, fitted.healthy, (rows, rows), detail)
        )
    return out


def synthetic_run(
    subject: str,
    version: str,
    index: int,
    figures: dict[str, float],
    healthy: dict[str, float],
    *,
    features: int = 0,
    regions: int = 0,
    details: dict[str, str] | None = None,
    status: str = "ok",
) -> RunResult:
    """A generator run with hand-made figures (and optional per-feature figures and regions)."""
    metrics = [MetricValue(k, "reference", v) for k, v in figures.items()]
    metrics += [MetricValue(k, "healthy", v) for k, v in healthy.items()]
    for f in range(features):
        scope = f"feature:f{f:03d}"
        metrics += [
            MetricValue("ks_statistic", scope, (f + index) % 17 / 20),
            MetricValue("tail_frequency_ratio_lower", scope, 1.0 - index / 100),
            MetricValue("tail_frequency_ratio_upper", scope, 1.0 + f / 100),
        ]
    start = T0 + timedelta(days=index)
    return RunResult(
        subject_kind="generator",
        subject=subject,
        version=version,
        fingerprint=f"fp-{version}",
        version_index=index,
        started_at=start,
        finished_at=start + timedelta(minutes=1),
        status=status,  # type: ignore[arg-type]
        error="sample file vanished" if status == "failed" else None,
        reference_rows=1000,
        sample_rows=1000,
        metrics=metrics if status == "ok" else [],
        regions=[RegionValue(r, 50 + r, 0.9 - r / 100, 1.0) for r in range(regions)],
        details=details or {},
    )


def corpus_run(
    corpus: str, snapshot: str, index: int, figures: dict[str, float], mix: dict[str, float]
) -> RunResult:
    """A corpus snapshot run: figures with scope ``snapshot``, the mix as ``rows`` by label."""
    metrics = [MetricValue(k, "snapshot", v) for k, v in figures.items()]
    metrics += [MetricValue("rows", f"provenance:{label}", v) for label, v in mix.items()]
    start = T0 + timedelta(days=index, hours=12)
    return RunResult(
        subject_kind="corpus",
        subject=corpus,
        version=snapshot,
        fingerprint=f"fp-{snapshot}",
        version_index=index,
        started_at=start,
        finished_at=start + timedelta(minutes=5),
        status="ok",
        reference_rows=0,
        sample_rows=int(sum(mix.values())),
        metrics=metrics,
    )
