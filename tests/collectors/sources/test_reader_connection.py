"""Local reads share one in-memory DuckDB database per thread (``connections.local_cursor``): the
same frames as a fresh database, a rewritten file read anew (no cached bytes or footer), a
failed read leaves the next one working, each thread its own database. Real files, real DuckDB."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes

from collectors.sources import connections
from collectors.sources.readers import SourceError, read_table


def _fresh_read(path: Path, sample_size: int | None = None, seed: int = 0) -> pd.DataFrame:
    """The definition: a new in-memory database for this one read (as before)."""
    with duckdb.connect() as connection:
        sql = "SELECT * FROM read_parquet(?, union_by_name = true)"
        if sample_size is not None:
            sql += f" USING SAMPLE reservoir({sample_size} ROWS) REPEATABLE ({seed})"
        return connection.execute(sql, [[str(path)]]).df()


def test_reads_equal_a_fresh_database(tmp_path: Path) -> None:
    path = tmp_path / "cancer.parquet"
    load_breast_cancer(as_frame=True).frame.to_parquet(path, index=False)
    for sample_size, seed in ((None, 0), (200, 0), (200, 7), (569, 3)):
        for _ in range(2):  # the second read reuses the thread's database
            got = read_table([path], sample_size=sample_size, seed=seed)
            pd.testing.assert_frame_equal(got, _fresh_read(path, sample_size, seed))


def test_a_rewritten_file_is_read_anew(tmp_path: Path) -> None:
    path = tmp_path / "v.parquet"
    frame = load_diabetes(as_frame=True).frame
    frame.to_parquet(path, index=False)
    info = os.stat(path)
    pd.testing.assert_frame_equal(read_table([path]), frame)
    changed = frame.copy()
    changed["bmi"] = changed["bmi"] * 2.0  # same schema, same row count
    changed.to_parquet(path, index=False)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # modification time set back
    pd.testing.assert_frame_equal(read_table([path]), changed)


def test_a_failed_read_leaves_the_next_working(tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    load_diabetes(as_frame=True).frame.to_parquet(good, index=False)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not a parquet file PAR1")
    with pytest.raises(SourceError, match=r"broken\.parquet"):
        read_table([broken])
    with pytest.raises(SourceError, match="memory_limit"):
        read_table([good], memory_limit="lots")
    pd.testing.assert_frame_equal(read_table([good]), _fresh_read(good))
    pd.testing.assert_frame_equal(read_table([good], memory_limit="1GB"), _fresh_read(good))


def test_each_thread_reads_through_its_own_database(tmp_path: Path) -> None:
    path = tmp_path / "cancer.parquet"
    load_breast_cancer(as_frame=True).frame.to_parquet(path, index=False)
    expected = _fresh_read(path, 300, 1)
    frames: list[pd.DataFrame] = []
    databases: list[duckdb.DuckDBPyConnection] = []  # kept alive: distinct objects

    def work() -> None:
        for _ in range(3):
            frames.append(read_table([path], sample_size=300, seed=1))
        databases.append(connections._LOCAL.databases[None])

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(frames) == 9 and len({id(d) for d in databases}) == 3
    for frame in frames:
        pd.testing.assert_frame_equal(frame, expected)
