"""Tests for collectors.corpus.ray_scan: the Ray path on a real local cluster (2 CPUs) against the
DuckDB path on the same Parquet snapshots, a worker killed mid-scan, and its failures."""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest

from collectors.corpus.near_duplicates import TextNearDuplicates
from collectors.corpus.scan import CorpusFigures, CorpusSettings, scan_snapshot, snapshot_files
from collectors.provenance.definition import fingerprint_texts
from collectors.sources.readers import SourceError
from tests.support.near_duplicates import edit, make_text

ray = pytest.importorskip("ray")
from collectors.corpus.ray_scan import RayEngine, RayScanError  # noqa: E402

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
    """One local Ray cluster of 2 CPUs for the module."""
    RayEngine(num_cpus=2).start()
    yield
    ray.shutdown()


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
        "detector": TextNearDuplicates(synthetic, human_known[20:]),
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
    common = {"near_duplicates": world["detector"]}
    duck1 = scan_snapshot(
        connection, first, "registry", SETTINGS, fingerprints_out=tmp_path / "d1.parquet", **common
    )
    ray1 = scan_snapshot(
        connection,
        first,
        "registry",
        SETTINGS,
        fingerprints_out=tmp_path / "r1.parquet",
        engine=ENGINE,
        **common,
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
    assert ray1.near_duplicate_synthetic_rows >= 57  # 30 exact + 30 edited copies
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


def die_once(batch: pa.Table, marker: str) -> pa.Table:
    """Kill this worker process the first time any batch passes (``marker`` created); with an
    empty ``marker``, every time."""
    if marker:
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return batch
    os._exit(1)


@dataclasses.dataclass(frozen=True)
class KillingEngine(RayEngine):
    """The Ray engine with a stage before the scan that kills its worker process."""

    marker: str = ""

    def read(self, paths, columns):  # type: ignore[no-untyped-def]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return (
                super()
                .read(paths, columns)
                .map_batches(
                    die_once,
                    batch_format="pyarrow",
                    fn_kwargs={"marker": self.marker},
                    max_retries=self.max_retries,
                )
            )


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


def test_failure_past_retries_writes_nothing(tmp_path, world, cluster) -> None:
    """Every attempt's worker dies: the scan raises RayScanError naming the snapshot, and neither
    the multiset file nor a partial one is left."""
    files = write(tmp_path / "s1", world["first"], parts=1)
    engine = KillingEngine(batch_rows=400, max_retries=1)
    with pytest.raises(RayScanError, match=r"snapshot s1: the Ray scan failed"):
        scan_snapshot(
            world["registry"].cursor(),
            files,
            "registry",
            SETTINGS,
            fingerprints_out=tmp_path / "out.parquet",
            source="snapshot s1",
            engine=engine,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s1"]


def test_bad_inputs_are_named(tmp_path, world, cluster) -> None:
    """Null content names the file and row count as the DuckDB path does; CSV is refused."""
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
    csv = tmp_path / "csv" / "part.csv"
    csv.parent.mkdir()
    pa.csv.write_csv(pa.table({k: v[:5] for k, v in world["first"].items()}), csv)
    with pytest.raises(SourceError, match=r"the Ray engine reads Parquet; file .*part.csv"):
        scan_snapshot(connection, snapshot_files(csv.parent), "registry", SETTINGS, engine=ENGINE)
