"""The corpus figures of one snapshot through every path that counts them (exact DuckDB scan,
sampled row groups, Ray engine when the ray extra is installed), against the figures the code
gave before their SQL was written once (:mod:`collectors.corpus.queries`): every figure equal.

The snapshot: 3 Parquet files of 10 row groups x 50 rows; rows labelled human, synthetic, 12
unrecognised labels (more than the 10 listed) and NULL; registry copies labelled human (leaks,
by two generators, one fingerprint registered by both) and a known-human copy (never a leak).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from collectors.corpus.scan import CorpusFigures, CorpusSettings, scan_snapshot
from collectors.corpus.settings import SamplingSettings
from collectors.provenance.definition import fingerprint_texts

SETTINGS = CorpusSettings(
    content_columns=("text",),
    provenance_column="provenance",
    generator_column="generator",
    version_column="version",
    provenance_labels={"human": "human", "synthetic": "synthetic"},
    max_synthetic_fraction=0.2,
    max_generators=3,
)
SAMPLED = dataclasses.replace(
    SETTINGS, sampling=SamplingSettings(above_rows=100, row_group_share=0.3, min_row_groups=5)
)

# Recorded from the code before the figures' SQL was shared (commit 72a120a); NaN figures and
# the byte counts (a property of the Parquet writer, not of the SQL) left out.
EXACT: dict[str, object] = {
    "rows": 1500,
    "human_rows": 1102,
    "synthetic_rows": 273,
    "unknown_rows": 125,
    "unrecognised_label_rows": 125,
    "synthetic_fraction": 0.182,
    "known_synthetic_fraction": 0.29133333333333333,
    "unlabeled_synthetic_rows": 164,
    "unlabeled_synthetic_ratio": 0.1336593317033415,
    "budget_exceeded": 1,
    "human_only_violation_rows": 0,
    "rows_added": 1500,
    "rows_removed": 0,
    "near_duplicate_sample_rows": 0,
    "near_duplicate_synthetic_rows": 0,
    "synthetic_fraction_lower": 0.182,
    "synthetic_fraction_upper": 0.182,
    "known_synthetic_fraction_lower": 0.29133333333333333,
    "known_synthetic_fraction_upper": 0.29133333333333333,
    "unlabeled_synthetic_ratio_lower": 0.1336593317033415,
    "unlabeled_synthetic_ratio_upper": 0.1336593317033415,
    "sampled": 0,
    "sample_row_groups": 0,
    "sample_rows": 0,
    "rows_by_generator": (("writer", "v1", 138), ("chat", "v1", 68), ("chat", "v2", 67)),
    "unlabeled_synthetic_by_generator": (("chat", 108), ("writer", 56)),
    "unrecognised_labels": (
        ("label-7", 15),
        ("<null>", 12),
        ("label-2", 12),
        ("label-3", 12),
        ("label-6", 12),
        ("label-9", 12),
        ("label-8", 11),
        ("label-5", 9),
        ("label-4", 8),
        ("label-10", 7),
    ),
}
SAMPLED_FIGURES: dict[str, object] = {
    "rows": 1500,
    "human_rows": 1110,
    "synthetic_rows": 303,
    "unknown_rows": 87,
    "unrecognised_label_rows": 87,
    "synthetic_fraction": 0.20222222222222222,
    "known_synthetic_fraction": 0.32,
    "unlabeled_synthetic_rows": 177,
    "unlabeled_synthetic_ratio": 0.14763231197771587,
    "budget_exceeded": 1,
    "human_only_violation_rows": 0,
    "rows_added": 0,
    "rows_removed": 0,
    "near_duplicate_sample_rows": 0,
    "near_duplicate_synthetic_rows": 0,
    "synthetic_fraction_lower": 0.173143487613515,
    "synthetic_fraction_upper": 0.23130095683092944,
    "known_synthetic_fraction_lower": 0.28720750046754717,
    "known_synthetic_fraction_upper": 0.35279249953245284,
    "unlabeled_synthetic_ratio_lower": 0.1253924647153283,
    "unlabeled_synthetic_ratio_upper": 0.16987215924010343,
    "sampled": 1,
    "sample_row_groups": 9,
    "sample_rows": 450,
    "rows_by_generator": (("writer", "v1", 133), ("chat", "v2", 87), ("chat", "v1", 83)),
    "unlabeled_synthetic_by_generator": (("chat", 117), ("writer", 60)),
    "unrecognised_labels": (
        ("label-7", 13),
        ("label-9", 13),
        ("<null>", 10),
        ("label-0", 7),
        ("label-1", 7),
        ("label-11", 7),
        ("label-3", 7),
        ("label-5", 7),
        ("label-6", 7),
        ("label-8", 7),
    ),
}


def snapshot(folder: Path) -> tuple[list[Path], duckdb.DuckDBPyConnection]:
    rng = np.random.default_rng(11)
    registered = [f"generated record number {i}" for i in range(200)]
    known_human = "a human sentence the generator reproduced"
    texts, labels, generators, versions = [], [], [], []
    for i in range(1500):
        draw = rng.random()
        if draw < 0.18:
            texts.append(registered[rng.integers(200)])
            labels.append("synthetic")
            generator = ["chat", "writer"][rng.integers(2)]
            generators.append(generator)
            versions.append(["v1", "v2"][rng.integers(2)] if generator == "chat" else "v1")
            continue
        if draw < 0.30:
            texts.append(registered[rng.integers(200)] if rng.random() < 0.95 else known_human)
        else:
            texts.append(f"human text {i} {rng.integers(10**6)}")
        labels.append(
            "human"
            if rng.random() < 0.89
            else (None if rng.random() < 0.07 else f"label-{rng.integers(12)}")
        )
        generators.append(None)
        versions.append(None)
    table = pa.table(
        {"text": texts, "provenance": labels, "generator": generators, "version": versions}
    )
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for f in range(3):
        path = folder / f"part-{f}.parquet"
        pq.write_table(table.slice(500 * f, 500), path, row_group_size=50)
        files.append(path)
    connection = duckdb.connect()
    connection.register(
        "rows",
        pa.table(
            {
                "fingerprint": fingerprint_texts([*registered, registered[0], known_human]),
                "generator": ["chat" if i % 3 else "writer" for i in range(200)]
                + ["writer", "chat"],
                "version": ["v1"] * 202,
                "known_human": [False] * 201 + [True],
            }
        ),
    )
    connection.execute("CREATE TABLE registry AS SELECT * FROM rows")
    return files, connection


def figures_of(result: CorpusFigures) -> dict[str, object]:
    return {
        f.name: getattr(result, f.name)
        for f in dataclasses.fields(CorpusFigures)
        if f.name != "near_duplicates"
    }


def same(expected: dict[str, object], got: dict[str, object]) -> list[tuple[str, object, object]]:
    """The figures of ``expected`` (no NaN among them) that ``got`` gives otherwise."""
    out = []
    for name, value in expected.items():
        other = got[name]
        if value != other:
            out.append((name, value, other))
    return out


def test_exact_figures_are_the_recorded_ones(tmp_path: Path) -> None:
    files, registry = snapshot(tmp_path / "s")
    exact = figures_of(scan_snapshot(registry, files, "registry", SETTINGS))
    assert same(EXACT, exact) == []


def test_sampled_figures_are_the_recorded_ones(tmp_path: Path) -> None:
    files, registry = snapshot(tmp_path / "s")
    sampled = figures_of(scan_snapshot(registry, files, "registry", SAMPLED))
    assert sampled["sampled"] == 1
    assert same(SAMPLED_FIGURES, sampled) == []


def test_ray_figures_are_the_exact_ones(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from collectors.corpus.ray_scan import RayEngine

    files, registry = snapshot(tmp_path / "s")
    for broadcast in (512 * 2**20, 0):  # registry broadcast to the workers, or joined here
        engine = RayEngine(num_cpus=2, batch_rows=200, broadcast_max_bytes=broadcast)
        ray_ = figures_of(scan_snapshot(registry, files, "registry", SETTINGS, engine=engine))
        assert same(EXACT, ray_) == [], broadcast
