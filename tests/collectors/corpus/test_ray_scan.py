"""Tests for collectors.corpus.ray_scan: the Ray path on a real local cluster (2 CPUs) against the
DuckDB path on the same Parquet snapshots, a worker killed mid-scan, and bad inputs named.
Near-duplicates, and a scan that fails past its retries, are tested through the corpus watch
(tests/monitor/watch/test_corpus_ray.py)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest

from collectors.corpus.scan import CorpusFigures, CorpusSettings, scan_snapshot, snapshot_files
from collectors.provenance.definition import fingerprint_texts
from collectors.sources.readers import SourceError
from tests.support.near_duplicates import edit, make_text

ray = pytest.importorskip("ray")
from collectors.corpus.ray_scan import RayEngine  # noqa: E402
from tests.support.ray_faults import KillingEngine  # noqa: E402

SETTINGS = CorpusSettings(
    content_columns=("text",),
    provenance_column="provenance",
    generator_column="generator",
    version_column="version",
    provenance_labels={
        "human": "human",
        "synthetic": "synthetic",
        "unknown": "unknown",
        "web": "human",
    },
    max_synthetic_fraction=0.1,
    near_duplicate_sample=5_000,
)
ENGINE = RayEngine(batch_rows=400)  # several batches per file


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """A local Ray cluster of 2 CPUs, started once: the other module of Ray tests finds it running
    with its workers warm (starting one costs 10-25 s on 2 busy cores); Ray stops it at exit."""
    RayEngine(num_cpus=2).start()
    yield


@pytest.fixture(scope="module")
def world() -> dict:
    """A registry of two generators (plus known-human copies), and two snapshots' rows.

    Snapshot 1 (2,000 rows): 30 exact copies of registry rows (case and spacing changed) and 30
    edited copies labelled human, 20 memorised known-human rows, 240 rows labelled synthetic, 60
    unrecognised labels and 15 NULL labels. Snapshot 2: its first 1,500 rows, 10 of them twice,
    plus 300 new rows of which 12 are exact copies.
    """
    rng = np.random.default_rng(5)
    synthetic = [make_text(rng, template=i % 4 == 0) for i in range(300)]
    human_known = [make_text(rng, template=i % 4 == 0) for i in range(420)]
    memorised = human_known[:20]
    registry = duckdb.connect()
    registry.register(
        "rows",
        pa.table(
            {
                "fingerprint": fingerprint_texts(synthetic + memorised),
                "generator": ["chat" if i % 3 else "writer" for i in range(320)],
                "version": ["v1"] * 320,
                "known_human": [i >= 300 for i in range(320)],
            }
        ),
    )
    registry.execute("CREATE TABLE registry AS SELECT * FROM rows")
    exact = [synthetic[i].upper() if i % 2 else " " + synthetic[i] for i in range(0, 300, 10)]
    near = [edit(synthetic[i], rng) for i in range(5, 300, 10)]
    plain = [make_text(rng) for _ in range(2000 - 60 - 20)]
    texts = exact + near + memorised + plain
    provenance = (
        ["human"] * 1300 + ["web"] * 385 + ["synthetic"] * 240 + ["bot?"] * 60 + [None] * 15
    )
    generator = [None] * 1685 + ["chat"] * 200 + ["writer"] * 40 + [None] * 75
    version = [None] * 1685 + ["v2"] * 150 + ["v1"] * 90 + [None] * 75
    order = np.random.default_rng(0).permutation(2000)
    first = {
        "text": [texts[i] for i in order],
        "provenance": [provenance[i] for i in order],
        "generator": [generator[i] for i in order],
        "version": [version[i] for i in order],
    }
    new = [synthetic[i] for i in range(3, 300, 25)] + [make_text(rng) for _ in range(288)]
    second = {k: v[:1500] + v[:10] for k, v in first.items()}
    second["text"] = second["text"] + new
    second["provenance"] = second["provenance"] + ["human"] * 300
    second["generator"] = second["generator"] + [None] * 300
    second["version"] = second["version"] + [None] * 300
    return {
        "registry": registry,
        "first": first,
        "second": second,
        "exact": set(exact),
    }


def write(folder: Path, columns: dict[str, list], parts: int = 3) -> list:
    """The rows as ``parts`` Parquet files of the snapshot folder."""
    folder.mkdir(parents=True)
    n = len(columns["text"])
    for p, chunk in enumerate(np.array_split(np.arange(n), parts)):
        part = {k: [v[i] for i in chunk] for k, v in columns.items()}
        pq.write_table(pa.table(part), folder / f"part-{p}.parquet")
    return snapshot_files(folder)


def differences(duck: CorpusFigures, ray_: CorpusFigures) -> list[tuple[str, object, object]]:
    """Every figure that differs (NaN equals NaN; near-duplicates by their figures)."""
    out = []
    for field in dataclasses.fields(CorpusFigures):
        a, b = getattr(duck, field.name), getattr(ray_, field.name)
        if field.name == "near_duplicates":
            a, b = (None if r is None else (r.count, r.sample_rows, r.ratio) for r in (a, b))
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            continue
        if a != b:
            out.append((field.name, a, b))
    return out


def test_ray_path_equals_duckdb_path(tmp_path, world, cluster) -> None:
    """Labels, exact and edited leaks, budget, rows added/removed and the multiset files: equal,
    with the registry broadcast (snapshot 1) and joined on the driver (snapshot 2)."""
    first = write(tmp_path / "s1", world["first"])
    second = write(tmp_path / "s2", world["second"])
    connection = world["registry"].cursor()
    duck1 = scan_snapshot(
        connection, first, "registry", SETTINGS, fingerprints_out=tmp_path / "d1.parquet"
    )
    ray1 = scan_snapshot(
        connection,
        first,
        "registry",
        SETTINGS,
        fingerprints_out=tmp_path / "r1.parquet",
        engine=ENGINE,
    )
    assert differences(duck1, ray1) == []
    # the planted truth, so that equal figures are also right ones
    assert (ray1.rows, ray1.human_rows, ray1.synthetic_rows, ray1.unknown_rows) == (
        2000,
        1685,
        240,
        75,
    )
    assert ray1.unrecognised_labels == (("bot?", 60), ("<null>", 15))
    assert ray1.unlabeled_synthetic_rows == 30  # exact copies; memorised human rows are not leaks
    assert dict(ray1.unlabeled_synthetic_by_generator) == {"chat": 20, "writer": 10}
    assert ray1.rows_by_generator == (("chat", "v2", 150), ("chat", "v1", 50), ("writer", "v1", 40))
    assert ray1.budget_exceeded == 1  # (240 + 30) / 2000 > 0.1
    joined = dataclasses.replace(ENGINE, broadcast_max_bytes=0)  # the registry stays here
    duck2, ray2 = (
        scan_snapshot(
            connection,
            second,
            "registry",
            SETTINGS,
            previous_fingerprints=tmp_path / f"{kind}1.parquet",
            fingerprints_out=tmp_path / f"{kind}2.parquet",
            baseline=first,  # tails against snapshot 1
            engine=engine,
        )
        for kind, engine in (("d", None), ("r", joined))
    )
    assert differences(duck2, ray2) == []
    assert (ray2.rows_added, ray2.rows_removed) == (310, 500)
    kept = sum(1 for t in world["second"]["text"][:1510] if t in world["exact"])
    assert ray2.unlabeled_synthetic_rows == kept + 12
    for n in (1, 2):
        duck, ray_ = (pq.read_table(tmp_path / f"{k}{n}.parquet") for k in "dr")
        assert ray_.equals(duck.cast(ray_.schema)), f"snapshot {n}: multisets differ"
        assert ray_.column_names == ["fingerprint", "rows"]


def test_bad_inputs_are_named(tmp_path, world, cluster) -> None:
    """Null content names the file and row count as the DuckDB path does (every format the Ray
    engine reads: tests/collectors/sources/test_formats.py)."""
    rows = {k: v[:300] for k, v in world["first"].items()}
    rows["text"] = [None if i % 100 == 7 else t for i, t in enumerate(rows["text"])]
    files = write(tmp_path / "nulls", rows, parts=2)
    connection = world["registry"].cursor()
    with pytest.raises(SourceError) as duck:
        scan_snapshot(connection, files, "registry", SETTINGS)
    with pytest.raises(SourceError) as ray_:
        scan_snapshot(connection, files, "registry", SETTINGS, engine=ENGINE)
    assert str(ray_.value) == str(duck.value)
    assert "3 rows have null/NaN content in column(s) ['text']" in str(ray_.value)
    assert str(files[0]) in str(ray_.value)


def test_worker_killed_mid_scan_is_retried(tmp_path, world, cluster) -> None:
    """A worker process dies in the middle of the scan; Ray runs its task again and the figures
    and multiset are the DuckDB path's (nothing counted twice)."""
    files = write(tmp_path / "s1", world["first"])
    connection = world["registry"].cursor()
    duck = scan_snapshot(
        connection, files, "registry", SETTINGS, fingerprints_out=tmp_path / "d.parquet"
    )
    marker = tmp_path / "killed"
    engine = KillingEngine(batch_rows=400, marker=str(marker))
    killed = scan_snapshot(
        connection,
        files,
        "registry",
        SETTINGS,
        fingerprints_out=tmp_path / "k.parquet",
        engine=engine,
    )
    assert marker.exists(), "no worker was killed"
    assert differences(duck, killed) == []
    assert pq.read_table(tmp_path / "k.parquet").equals(
        pq.read_table(tmp_path / "d.parquet").cast(pq.read_schema(tmp_path / "k.parquet"))
    )
