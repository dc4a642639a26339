"""Sampled estimates (collectors.corpus.sampling): coverage of the cluster-robust interval over
repeated draws, and a sampled scan of real Parquet row groups against the full scan's truth."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from collectors.corpus.near_duplicates import wilson_interval
from collectors.corpus.sampling import choose_clusters, cluster_ratio, plan_sample
from collectors.corpus.scan import CorpusSettings, corpus_metrics, scan_snapshot
from collectors.corpus.settings import SamplingSettings
from collectors.provenance.definition import fingerprint_texts

GROUPS, GROUP_ROWS = 400, 50


def clustered_file(path: Path, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A Parquet file of GROUPS row groups whose leak rate varies by group (Beta(0.3, 10): most
    groups clean, a few heavy); returns each group's rows and leaked rows."""
    rng = np.random.default_rng(seed)
    rates = rng.beta(0.3, 10, GROUPS)
    leaked = rng.random((GROUPS, GROUP_ROWS)) < rates[:, None]
    table = pa.table({"leak": leaked.ravel(), "id": np.arange(leaked.size)})
    pq.write_table(table, path, row_group_size=GROUP_ROWS)
    return np.full(GROUPS, GROUP_ROWS, dtype=float), leaked.sum(axis=1).astype(float)


def test_a_95_percent_interval_covers_the_true_ratio_at_its_nominal_rate(tmp_path: Path) -> None:
    path = tmp_path / "clustered.parquet"
    rows, leaked = clustered_file(path)
    plan = plan_sample([path], ["leak"], above_rows=1, share=0.1, minimum=40, seed=0)
    assert plan is not None and len(plan.clusters) == GROUPS
    assert [c.rows for c in plan.clusters] == [GROUP_ROWS] * GROUPS
    truth = leaked.sum() / rows.sum()
    covered = naive = 0
    draws = 200
    for seed in range(draws):
        chosen = choose_clusters(GROUPS, 0.1, 40, seed)
        estimate = cluster_ratio(leaked[chosen], rows[chosen], population_clusters=GROUPS)
        covered += estimate.lower <= truth <= estimate.upper
        low, high = wilson_interval(int(leaked[chosen].sum()), int(rows[chosen].sum()))
        naive += low <= truth <= high
    assert 0.90 * draws <= covered <= 0.99 * draws, covered
    assert naive < 0.85 * draws, naive  # rows are not independent: a binomial interval fails


def test_the_estimator_edges() -> None:
    assert math.isnan(cluster_ratio([], []).value)
    assert math.isnan(cluster_ratio([0, 0], [0, 0]).value)
    every = cluster_ratio([1, 2, 3], [10, 10, 10], population_clusters=3)
    assert every.value == every.lower == every.upper == pytest.approx(0.2)
    wide = cluster_ratio([0, 10], [10, 10])
    assert wide.lower == 0.0 and wide.upper == 1.0  # clipped to [0, 1]


def leaky_snapshot(tmp_path: Path) -> tuple[list[Path], pa.Table, dict[str, float]]:
    """Four files of 100 row groups x 60 rows: labels and leaks clustered by group."""
    rng = np.random.default_rng(7)
    registry_texts = [f"synthetic record {i}" for i in range(3000)]
    files, counts = [], {"rows": 0, "synthetic": 0, "leaked": 0}
    for f in range(4):
        parts = []
        for g in range(100):
            synthetic_rate, leak_rate = rng.beta(0.5, 4), rng.beta(0.3, 8)
            texts, labels = [], []
            for r in range(60):
                if rng.random() < synthetic_rate:
                    texts.append(registry_texts[rng.integers(3000)])
                    labels.append("synthetic")
                elif rng.random() < leak_rate:
                    texts.append(registry_texts[rng.integers(3000)])
                    labels.append("human")
                    counts["leaked"] += 1
                else:
                    texts.append(f"human text {f} {g} {r}")
                    labels.append("human")
            counts["synthetic"] += labels.count("synthetic")
            parts.append(pa.table({"text": texts, "provenance": labels}))
        path = tmp_path / f"part-{f}.parquet"
        pq.write_table(pa.concat_tables(parts), path, row_group_size=60)
        files.append(path)
        counts["rows"] += 6000
    fingerprints = np.asarray(fingerprint_texts(registry_texts), dtype=np.uint64)
    registry = pa.table(
        {
            "fingerprint": pa.array(fingerprints, type=pa.uint64()),
            "generator": ["writer"] * len(fingerprints),
            "version": ["v1"] * len(fingerprints),
            "known_human": [False] * len(fingerprints),
        }
    )
    return files, registry, counts


def test_a_sampled_scan_estimates_every_ratio_with_intervals_and_reads_a_fraction(
    tmp_path: Path,
) -> None:
    files, registry, counts = leaky_snapshot(tmp_path)
    connection = duckdb.connect()
    connection.register("registry", registry)
    base = CorpusSettings(
        content_columns=("text",), provenance_column="provenance", max_synthetic_fraction=0.5
    )
    full = scan_snapshot(connection, files, "registry", base)
    assert full.sampled == 0 and full.unlabeled_synthetic_rows == counts["leaked"]
    assert full.unlabeled_synthetic_ratio_lower == full.unlabeled_synthetic_ratio
    sampled_settings = CorpusSettings(
        content_columns=("text",),
        provenance_column="provenance",
        max_synthetic_fraction=0.5,
        sampling=SamplingSettings(above_rows=10_000, row_group_share=0.25, min_row_groups=20),
    )
    estimate = scan_snapshot(connection, files, "registry", sampled_settings)
    assert estimate.sampled == 1 and estimate.sample_row_groups == 100
    assert estimate.rows == counts["rows"]  # exact, from the footers
    assert 0 < estimate.bytes_read < 0.5 * estimate.bytes_total
    for name in ("synthetic_fraction", "known_synthetic_fraction", "unlabeled_synthetic_ratio"):
        truth = getattr(full, name)
        lower, upper = getattr(estimate, f"{name}_lower"), getattr(estimate, f"{name}_upper")
        assert lower <= truth <= upper, (name, lower, truth, upper)
        assert lower < getattr(estimate, name) < upper
    metrics = {m.metric for m in corpus_metrics(estimate)}
    assert {"unlabeled_synthetic_ratio_lower", "bytes_read", "sampled"} <= metrics
    assert "rows_added" not in metrics  # needs every fingerprint: left out when sampled
    # below the threshold the same settings scan everything
    small = CorpusSettings(
        content_columns=("text",),
        provenance_column="provenance",
        sampling=SamplingSettings(above_rows=10**9),
    )
    assert scan_snapshot(connection, files, "registry", small).sampled == 0
