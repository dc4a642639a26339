"""The format matrix: every format of :data:`collectors.sources.formats.FORMATS` through every path
that finds or reads data files (local and ``memory://`` object-storage discovery and reading,
corpus snapshot scans local and remote, the Ray engine when the ray extra is installed). A format
a path cannot read is refused there with an error naming the file, never an empty version.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from collectors.corpus.scan import CorpusFigures, CorpusSettings, scan_snapshot, snapshot_files
from collectors.provenance.definition import fingerprint_texts
from collectors.sources import storage
from collectors.sources.formats import FORMATS, FileFormat, format_of
from collectors.sources.readers import (
    DATA_SUFFIXES,
    READERS,
    SourceError,
    discover_versions,
    read_version,
    resolve_files,
)

fsspec = pytest.importorskip("fsspec")

SUFFIXES = [(fmt, suffix) for fmt in FORMATS for suffix in fmt.suffixes]
IDS = [suffix.lstrip(".") for _, suffix in SUFFIXES]


def write_numbers(path: Path, frame: pd.DataFrame, fmt: FileFormat) -> bytes:
    """``frame`` in ``fmt``, written to ``path``; returns the bytes. A ``.npy`` holds the frame
    as a matrix when it is numeric, else nothing (refused by name before anything is read)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt.kind == "parquet":
        frame.to_parquet(path, index=False)
    elif fmt.kind == "csv":
        frame.to_csv(path, index=False)
    elif fmt.kind == "json":
        frame.to_json(path, orient="records", lines=True)
    elif fmt.kind == "npy" and all(kind in "fiu" for kind in frame.dtypes.map(lambda t: t.kind)):
        with open(path, "wb") as handle:
            np.save(handle, frame.to_numpy())
    elif fmt.kind == "npy":
        path.write_bytes(b"")
    else:  # a new format must get a writer here, or the matrix fails
        raise AssertionError(f"no test writer for format {fmt.kind!r}")
    return path.read_bytes()


def as_matrix(frame: pd.DataFrame) -> np.ndarray:
    """Rows as a float matrix whatever the format (``.npy`` gives one ``vector`` column)."""
    if list(frame.columns) == ["vector"]:
        return np.stack(frame["vector"].to_list()).astype(float)
    return frame[["a", "b"]].to_numpy(dtype=float)


NUMBERS = pd.DataFrame({"a": np.arange(12, dtype=float) / 4, "b": np.arange(12, dtype=float) ** 2})


@pytest.fixture
def memory_root() -> Iterator[str]:
    """A fresh folder on fsspec's in-process ``memory://`` file system."""
    root = f"memory://tw-{uuid.uuid4().hex}"
    yield root
    fs = fsspec.filesystem("memory")
    if fs.exists(root.split("://", 1)[1]):
        fs.rm(root.split("://", 1)[1], recursive=True)


def put(root: str, relative: str, data: bytes) -> None:
    fsspec.filesystem("memory").pipe(f"{root.split('://', 1)[1]}/{relative}", data)


def test_every_list_of_formats_is_the_table() -> None:
    """The readers' suffixes and DuckDB functions are the table's, nothing more or less."""
    assert {s: f.kind for f, s in SUFFIXES} == DATA_SUFFIXES
    assert {f.kind: f.duckdb for f in FORMATS if f.duckdb} == READERS
    assert {format_of(f"x{s.upper()}") for _, s in SUFFIXES} == set(FORMATS)
    assert format_of("x.txt") is None and format_of("x.parquet.tmp") is None


@pytest.mark.parametrize(("fmt", "suffix"), SUFFIXES, ids=IDS)
def test_versions_are_found_and_read_locally_and_in_object_storage(
    tmp_path: Path, memory_root: str, fmt: FileFormat, suffix: str
) -> None:
    """A version file ``v1.<suffix>`` and a folder ``v2/part-0.<suffix>``: found on disk and on
    ``memory://`` with their files, and read to the same rows."""
    first = write_numbers(tmp_path / "versions" / f"v1{suffix}", NUMBERS.iloc[:5], fmt)
    second = write_numbers(tmp_path / "versions" / "v2" / f"part-0{suffix}", NUMBERS[5:], fmt)
    put(memory_root, f"versions/v1{suffix}", first)
    put(memory_root, f"versions/v2/part-0{suffix}", second)
    for base in (str(tmp_path), memory_root):
        versions = discover_versions(f"{base}/versions/*")
        assert [(v.name, len(v.paths)) for v in versions] == [("v1", 1), ("v2", 1)], base
        for version, rows in zip(versions, (NUMBERS.iloc[:5], NUMBERS.iloc[5:]), strict=True):
            np.testing.assert_allclose(as_matrix(read_version(version)), rows.to_numpy())
        assert [str(p) for p in resolve_files(f"{base}/versions/v2")] == [
            f"{base}/versions/v2/part-0{suffix}"
        ]


# --------------------------------------------------------------------------- corpus snapshots

SETTINGS = CorpusSettings(
    content_columns=("text",),
    provenance_column="provenance",
    generator_column="generator",
    provenance_labels={"human": "human", "synthetic": "synthetic"},
)


def corpus_rows() -> pd.DataFrame:
    """60 rows: 40 human (6 of them registry copies: leaks), 14 synthetic, 6 unrecognised."""
    words = [f"word{i}" for i in range(50)]
    rng = np.random.default_rng(3)
    texts = [" ".join(rng.choice(words, 8)) for _ in range(60)]
    provenance = ["human"] * 40 + ["synthetic"] * 14 + ["bot"] * 6
    generator = [None] * 40 + ["chat"] * 14 + [None] * 6
    return pd.DataFrame({"text": texts, "provenance": provenance, "generator": generator})


@pytest.fixture(scope="module")
def registry() -> duckdb.DuckDBPyConnection:
    rows = corpus_rows()
    leaked = list(rows["text"][:6])
    connection = duckdb.connect()
    connection.register(
        "rows",
        pa.table(
            {
                "fingerprint": fingerprint_texts(leaked),
                "generator": ["chat"] * 6,
                "version": ["v1"] * 6,
                "known_human": [False] * 6,
            }
        ),
    )
    connection.execute("CREATE TABLE registry AS SELECT * FROM rows")
    return connection


def differences(a: CorpusFigures, b: CorpusFigures) -> list[tuple[str, object, object]]:
    out = []
    for field in dataclasses.fields(CorpusFigures):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
            continue
        if x != y:
            out.append((field.name, x, y))
    return out


def corpus_snapshot(
    tmp_path: Path, memory_root: str, fmt: FileFormat, suffix: str
) -> tuple[Path, str]:
    """The rows as a snapshot folder of two files, on disk and on ``memory://``."""
    rows = corpus_rows()
    for part, chunk in enumerate((rows.iloc[:25], rows.iloc[25:])):
        data = write_numbers(tmp_path / "snap" / f"part-{part}{suffix}", chunk, fmt)
        put(memory_root, f"snap/part-{part}{suffix}", data)
    return tmp_path / "snap", f"{memory_root}/snap"


def check_truth(figures: CorpusFigures) -> None:
    """The planted figures, so that equal figures are also right ones."""
    assert (figures.rows, figures.human_rows, figures.synthetic_rows) == (60, 40, 14)
    assert figures.unlabeled_synthetic_rows == 6
    assert figures.unrecognised_labels == (("bot", 6),)
    assert dict(figures.unlabeled_synthetic_by_generator) == {"chat": 6}


@pytest.mark.parametrize(("fmt", "suffix"), SUFFIXES, ids=IDS)
def test_corpus_snapshots_scan_locally_and_in_object_storage(
    tmp_path: Path,
    memory_root: str,
    registry: duckdb.DuckDBPyConnection,
    fmt: FileFormat,
    suffix: str,
) -> None:
    local, remote = corpus_snapshot(tmp_path, memory_root, fmt, suffix)
    if not fmt.columns:
        for where in (local, remote):
            with pytest.raises(SourceError, match=rf"part-0\{suffix} has no named columns"):
                snapshot_files(where)
        return
    scanned = []
    for where in (local, remote):
        files = snapshot_files(where)
        assert [p.name for p in files] == [f"part-0{suffix}", f"part-1{suffix}"]
        scanned.append(scan_snapshot(registry.cursor(), files, "registry", SETTINGS))
    check_truth(scanned[0])
    assert differences(*scanned) == []


# --------------------------------------------------------------------------- the Ray engine


@pytest.fixture(scope="module")
def ray_engine() -> Callable[[], object]:
    pytest.importorskip("ray")
    from collectors.corpus.ray_scan import RayEngine

    engine = RayEngine(num_cpus=2, batch_rows=20)
    engine.start()
    return lambda: engine


@pytest.mark.parametrize(("fmt", "suffix"), SUFFIXES, ids=IDS)
def test_corpus_snapshots_scan_on_ray(
    tmp_path: Path,
    memory_root: str,
    registry: duckdb.DuckDBPyConnection,
    ray_engine: Callable[[], object],
    fmt: FileFormat,
    suffix: str,
) -> None:
    """The Ray engine reads every format with named columns to the DuckDB path's figures; the
    others are refused naming the file. (Local files: ``memory://`` lives in this process only,
    which Ray's worker processes cannot see.)"""
    local, _ = corpus_snapshot(tmp_path, memory_root, fmt, suffix)
    if not fmt.columns:
        with pytest.raises(SourceError, match="no named columns"):
            snapshot_files(local)
        return
    files = snapshot_files(local)
    duck = scan_snapshot(registry.cursor(), files, "registry", SETTINGS)
    ray_ = scan_snapshot(registry.cursor(), files, "registry", SETTINGS, engine=ray_engine())
    check_truth(ray_)
    assert differences(duck, ray_) == []


def test_object_storage_lists_every_format(memory_root: str) -> None:
    """Remote discovery keeps every suffix of the table, skipping hidden and temporary names."""
    for _, suffix in SUFFIXES:
        put(memory_root, f"v/part{suffix}", b"x")
    put(memory_root, "v/.hidden.parquet", b"x")
    put(memory_root, "v/part.parquet.tmp", b"x")
    put(memory_root, "v/notes.txt", b"x")
    names = [p.name for p in storage.remote_files(storage.ObjectPath(f"{memory_root}/v"))]
    assert names == sorted(f"part{s}" for _, s in SUFFIXES)
