"""Tests for collectors.sources.readers: real Parquet/CSV/NPY files in tmp_path, real samplers."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats

from collectors.sources.readers import (
    SourceError,
    VersionRef,
    check_columns,
    discover_versions,
    fingerprint_files,
    read_table,
    read_version,
    resolve_files,
)
from collectors.sources.samplers import (
    call_sampler,
    load_sampler,
    sampler_fingerprint,
    sampler_versions,
)
from tests.support import samplers as sampler_fixtures

FIXTURES = "tests.support.samplers"


def _frame(rows: int = 10, offset: int = 0) -> pd.DataFrame:
    index = np.arange(offset, offset + rows)
    return pd.DataFrame({"idx": index, "amount": index * 0.5, "region": ["n", "s"] * (rows // 2)})


def _write(path: Path, frame: pd.DataFrame | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = _frame() if frame is None else frame
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


# --------------------------------------------------------------------------- discovery


def test_versions_are_naturally_sorted_files_and_folders(tmp_path: Path) -> None:
    for name in ["v10", "v2", "v1"]:
        _write(tmp_path / f"{name}.parquet")
    _write(tmp_path / "v3" / "part-10.parquet")
    _write(tmp_path / "v3" / "part-2.parquet")
    versions = discover_versions(str(tmp_path / "*"))
    assert [v.name for v in versions] == ["v1", "v2", "v3", "v10"]
    assert [p.name for p in versions[2].paths] == ["part-2.parquet", "part-10.parquet"]
    assert versions[2].location == tmp_path / "v3"


def test_manifest_gives_the_order_and_is_not_a_version(tmp_path: Path) -> None:
    for name in ["v1", "v2", "v3", "v10"]:
        _write(tmp_path / f"{name}.parquet")
    (tmp_path / "manifest.json").write_text(json.dumps({"order": ["v10", "v2", "gone"]}))
    names = [v.name for v in discover_versions(str(tmp_path / "*"))]
    assert names == ["v10", "v2", "v1", "v3"]


def test_bad_manifest_is_an_error_naming_it(tmp_path: Path) -> None:
    _write(tmp_path / "v1.parquet")
    (tmp_path / "manifest.json").write_text('{"order": "v1"}')
    with pytest.raises(SourceError, match=r"manifest\.json"):
        discover_versions(str(tmp_path / "*"))


def test_hidden_and_temporary_names_are_skipped(tmp_path: Path) -> None:
    _write(tmp_path / "v1.parquet")
    _write(tmp_path / ".v2.parquet")
    _write(tmp_path / "v3.parquet.tmp")
    _write(tmp_path / "v4.parquet.partial")
    _write(tmp_path / "v5.tmp" / "part.parquet")
    _write(tmp_path / "v6" / "part-1.parquet")
    _write(tmp_path / "v6" / ".part-2.parquet")
    _write(tmp_path / "v6" / "part-3.parquet.tmp")
    (tmp_path / "notes.txt").write_text("not data")
    versions = discover_versions(str(tmp_path / "*"))
    assert [v.name for v in versions] == ["v1", "v6"]
    assert [p.name for p in versions[1].paths] == ["part-1.parquet"]


def test_fingerprint_changes_only_when_content_changes(tmp_path: Path) -> None:
    _write(tmp_path / "v1" / "a.parquet", _frame(10))
    _write(tmp_path / "v2.parquet", _frame(10))
    first = {v.name: v.fingerprint for v in discover_versions(str(tmp_path / "*"))}
    os.utime(tmp_path / "v1" / "a.parquet", (1, 1))  # touched, same bytes
    assert {v.name: v.fingerprint for v in discover_versions(str(tmp_path / "*"))} == first
    _write(tmp_path / "v1" / "a.parquet", _frame(10, offset=1))  # rewritten
    second = {v.name: v.fingerprint for v in discover_versions(str(tmp_path / "*"))}
    assert second["v1"] != first["v1"]
    assert second["v2"] == first["v2"]
    assert len(first["v1"]) == 32  # 16-byte blake2b digest in hex
    os.rename(tmp_path / "v1" / "a.parquet", tmp_path / "v1" / "b.parquet")
    assert discover_versions(str(tmp_path / "*"))[0].fingerprint != second["v1"]


def test_fingerprint_sees_a_same_size_rewrite(tmp_path: Path) -> None:
    path = tmp_path / "v1.csv"
    path.write_text("idx\n1\n")
    before = discover_versions(str(tmp_path / "*"))[0].fingerprint
    path.write_text("idx\n2\n")
    assert discover_versions(str(tmp_path / "*"))[0].fingerprint != before


def test_empty_folder_is_a_version_that_fails_to_read(tmp_path: Path) -> None:
    (tmp_path / "v1").mkdir()
    (version,) = discover_versions(str(tmp_path / "*"))
    assert version.paths == ()
    with pytest.raises(SourceError, match=r"version 'v1' \(.*v1\): empty version"):
        read_version(version)


def test_two_versions_with_one_name_and_missing_folder_are_errors(tmp_path: Path) -> None:
    _write(tmp_path / "v1.parquet")
    _write(tmp_path / "v1.csv")
    with pytest.raises(SourceError, match="two versions are named 'v1'"):
        discover_versions(str(tmp_path / "*"))
    with pytest.raises(SourceError, match="does not exist"):
        discover_versions(str(tmp_path / "nowhere" / "*"))
    assert discover_versions(str(tmp_path / "*.npy")) == []


def test_resolve_files_expands_folders_and_names_an_empty_pattern(tmp_path: Path) -> None:
    _write(tmp_path / "ref" / "b.parquet")
    _write(tmp_path / "ref" / "a.parquet")
    assert [p.name for p in resolve_files(str(tmp_path / "ref"))] == ["a.parquet", "b.parquet"]
    assert resolve_files(str(tmp_path / "ref" / "a.*")) == [tmp_path / "ref" / "a.parquet"]
    with pytest.raises(SourceError, match=r"holdout/\*\.parquet"):
        resolve_files(str(tmp_path / "holdout" / "*.parquet"))


# --------------------------------------------------------------------------- reading


@pytest.fixture(scope="module")
def big_parquet(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """100k rows ``idx = 0..99999`` split unevenly over two files with many row groups."""
    folder = tmp_path_factory.mktemp("big")
    rows = 100_000
    table = pa.table({"idx": np.arange(rows), "noise": np.random.default_rng(0).normal(size=rows)})
    pq.write_table(table.slice(0, 30_000), folder / "part-1.parquet", row_group_size=4_000)
    pq.write_table(table.slice(30_000), folder / "part-2.parquet", row_group_size=4_000)
    return [folder / "part-1.parquet", folder / "part-2.parquet"]


def test_seeded_sample_is_deterministic_and_differs_across_seeds(big_parquet: list[Path]) -> None:
    first = read_table(big_parquet, columns=["idx"], sample_size=1_000, seed=7)
    again = read_table(big_parquet, columns=["idx"], sample_size=1_000, seed=7)
    other = read_table(big_parquet, columns=["idx"], sample_size=1_000, seed=8)
    assert len(first) == 1_000 and first["idx"].is_unique
    np.testing.assert_array_equal(first["idx"].to_numpy(), again["idx"].to_numpy())
    assert len(set(first["idx"]) & set(other["idx"])) < 100  # ~10 expected by chance


def test_sample_larger_than_the_data_returns_every_row(big_parquet: list[Path]) -> None:
    frame = read_table(big_parquet, columns=["idx"], sample_size=250_000, seed=1)
    assert sorted(frame["idx"]) == list(range(100_000))
    assert len(read_table(big_parquet)) == 100_000


def test_seeded_sample_is_uniform_over_rows_and_files(big_parquet: list[Path]) -> None:
    idx = read_table(big_parquet, columns=["idx"], sample_size=20_000, seed=3)["idx"].to_numpy()
    counts = np.bincount(idx // 5_000, minlength=20)
    assert stats.chisquare(counts).pvalue > 1e-3
    assert abs(idx.mean() - 49_999.5) < 4 * 28_867 / np.sqrt(20_000)
    assert abs((idx < 30_000).mean() - 0.3) < 0.02  # the small file gets its share


def test_columns_are_selected_in_order_and_quoted(tmp_path: Path) -> None:
    frame = _frame(6).assign(**{'we"ird col': 1.5})
    path = _write(tmp_path / "v1.parquet", frame)
    out = read_table([path], columns=['we"ird col', "idx"])
    assert list(out.columns) == ['we"ird col', "idx"]
    assert out["idx"].tolist() == list(range(6))


def test_pandas_index_columns_are_not_data(tmp_path: Path) -> None:
    _frame(4).set_index(pd.Index([9, 8, 7, 6])).to_parquet(tmp_path / "v1.parquet", index=True)
    assert list(read_table([tmp_path / "v1.parquet"]).columns) == ["idx", "amount", "region"]


def test_csv_is_read_and_sampled_deterministically(tmp_path: Path) -> None:
    path = _write(tmp_path / "v1.csv", _frame(1_000))
    whole = read_table([path])
    assert list(whole.columns) == ["idx", "amount", "region"] and len(whole) == 1_000
    first = read_table([path], columns=["idx"], sample_size=100, seed=5)["idx"].tolist()
    assert first == read_table([path], columns=["idx"], sample_size=100, seed=5)["idx"].tolist()
    assert first != read_table([path], columns=["idx"], sample_size=100, seed=6)["idx"].tolist()


def test_vector_columns_from_parquet_are_numpy_arrays(tmp_path: Path) -> None:
    vectors = np.arange(12, dtype=np.float32).reshape(4, 3)
    table = pa.table(
        {
            "fixed": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), 3),
            "variable": pa.array(
                [list(map(float, row)) for row in vectors], pa.list_(pa.float64())
            ),
        }
    )
    pq.write_table(table, tmp_path / "v1.parquet")
    frame = read_table([tmp_path / "v1.parquet"])
    for column in ["fixed", "variable"]:
        assert all(isinstance(cell, np.ndarray) for cell in frame[column])
        np.testing.assert_array_equal(np.stack(frame[column].to_list()), vectors)


def test_npy_becomes_one_vector_column_with_a_seeded_sample(tmp_path: Path) -> None:
    matrix = np.arange(200, dtype=np.float32).reshape(100, 2)
    np.save(tmp_path / "a.npy", matrix[:40])
    np.save(tmp_path / "b.npy", matrix[40:])
    files = [tmp_path / "a.npy", tmp_path / "b.npy"]
    whole = read_table(files)
    assert list(whole.columns) == ["vector"]
    np.testing.assert_array_equal(np.stack(whole["vector"].to_list()), matrix)
    sample = np.stack(read_table(files, sample_size=30, seed=4)["vector"].to_list())
    again = np.stack(read_table(files, sample_size=30, seed=4)["vector"].to_list())
    other = np.stack(read_table(files, sample_size=30, seed=5)["vector"].to_list())
    assert sample.shape == (30, 2) and len(np.unique(sample[:, 0])) == 30
    np.testing.assert_array_equal(sample, again)
    assert not np.array_equal(sample, other)
    with pytest.raises(SourceError, match=r"a\.npy lacks columns 'amount'"):
        read_table(files, columns=["amount"])


def test_npy_without_pickle_and_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(SourceError, match=r"objects\.npy"):
        read_table([tmp_path / "objects.npy"])
    np.save(tmp_path / "flat.npy", np.arange(5.0))
    with pytest.raises(SourceError, match=r"flat\.npy holds a 1-D"):
        read_table([tmp_path / "flat.npy"])


# --------------------------------------------------------------------------- read errors


def test_a_version_without_rows_is_named(tmp_path: Path) -> None:
    _write(tmp_path / "v3.parquet", _frame(0))
    (version,) = discover_versions(str(tmp_path / "*"))
    with pytest.raises(SourceError, match=r"version 'v3' \(.*v3\.parquet\) has no rows"):
        read_version(version)


def test_missing_columns_name_the_column_and_the_file(tmp_path: Path) -> None:
    _write(tmp_path / "v1" / "a.parquet")
    _write(tmp_path / "v1" / "b.parquet", _frame().drop(columns=["amount"]))
    (version,) = discover_versions(str(tmp_path / "*"))
    with pytest.raises(SourceError, match=r"file .*b\.parquet: missing columns 'amount'"):
        read_version(version, columns=["idx", "amount"])


def test_without_configured_columns_extra_columns_name_the_file(tmp_path: Path) -> None:
    _write(tmp_path / "v1" / "a.parquet")
    _write(tmp_path / "v1" / "b.parquet", _frame().assign(debug=1))
    (version,) = discover_versions(str(tmp_path / "*"))
    with pytest.raises(SourceError, match=r"b\.parquet: unexpected columns 'debug'"):
        read_version(version)
    assert list(read_version(version, columns=["region"]).columns) == ["region"]


def test_check_columns_against_the_reference(tmp_path: Path) -> None:
    frame = _frame().drop(columns=["amount"]).assign(extra=1)
    check_columns(frame, ["idx", "region"], source="version 'v2'")
    with pytest.raises(SourceError, match="version 'v2': missing columns 'amount'"):
        check_columns(frame, ["idx", "amount"], source="version 'v2'")
    with pytest.raises(
        SourceError, match="missing columns 'amount' and unexpected columns 'extra'"
    ):
        check_columns(frame, ["idx", "amount", "region"], source="version 'v2'", exact=True)


def test_corrupt_parquet_names_the_file(tmp_path: Path) -> None:
    _write(tmp_path / "v1" / "a.parquet")
    (tmp_path / "v1" / "b.parquet").write_bytes(b"not parquet at all " * 50)
    (version,) = discover_versions(str(tmp_path / "*"))
    with pytest.raises(SourceError, match=r"version 'v1' .*cannot read file .*b\.parquet"):
        read_version(version)


def test_file_deleted_after_discovery_is_named(tmp_path: Path) -> None:
    _write(tmp_path / "v1" / "a.parquet")
    _write(tmp_path / "v1" / "b.parquet")
    (version,) = discover_versions(str(tmp_path / "*"))
    (tmp_path / "v1" / "b.parquet").unlink()
    with pytest.raises(SourceError, match=r"b\.parquet no longer exists"):
        read_version(version, sample_size=5)


def test_mixed_kinds_and_bad_arguments_are_errors(tmp_path: Path) -> None:
    parquet = _write(tmp_path / "v1" / "a.parquet")
    csv = _write(tmp_path / "v1" / "b.csv")
    with pytest.raises(SourceError, match="mixes file kinds"):
        read_table([parquet, csv])
    with pytest.raises(SourceError, match="sample_size"):
        read_table([parquet], sample_size=0)
    with pytest.raises(SourceError, match="memory_limit"):
        read_table([parquet], memory_limit="lots")
    assert len(read_table([parquet], memory_limit="256MB")) == 10


# --------------------------------------------------------------------------- samplers


def test_load_sampler_by_module_and_function() -> None:
    assert load_sampler(f"{FIXTURES}:frame_sampler") is sampler_fixtures.frame_sampler
    with pytest.raises(SourceError, match="cannot import module 'no_such_module'"):
        load_sampler("no_such_module:sample")
    with pytest.raises(SourceError, match="has no attribute 'missing'"):
        load_sampler(f"{FIXTURES}:missing")
    with pytest.raises(SourceError, match="not callable"):
        load_sampler(f"{FIXTURES}:NOT_CALLABLE")
    with pytest.raises(SourceError, match="no entry point"):
        load_sampler("no-such-entry-point")


def test_load_sampler_by_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = tmp_path / "demo_samplers-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-samplers\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[tailwatch.samplers]\ndemo = {FIXTURES}:array_sampler\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert load_sampler("demo") is sampler_fixtures.array_sampler


def test_call_sampler_returns_frames_and_converts_arrays() -> None:
    frame = call_sampler(sampler_fixtures.frame_sampler, "v2", 50, 3, 5.0)
    assert len(frame) == 50 and set(frame["version"]) == {"v2"}
    array = call_sampler(sampler_fixtures.array_sampler, "v2", 40, 3, 5.0)
    assert list(array.columns) == ["x0", "x1", "x2"] and array.dtypes.eq(np.float64).all()
    assert call_sampler(sampler_fixtures.array_sampler, "v2", 40, 3, 5.0).equals(array)


def test_a_failing_sampler_names_sampler_version_and_cause() -> None:
    with pytest.raises(SourceError, match=r"failing_sampler \(version 'v7'\) raised RuntimeError"):
        call_sampler(sampler_fixtures.failing_sampler, "v7", 10, 0, 5.0)
    with pytest.raises(SourceError, match="returned list"):
        call_sampler(sampler_fixtures.list_sampler, "v7", 10, 0, 5.0)
    with pytest.raises(SourceError, match="returned no rows"):
        call_sampler(sampler_fixtures.empty_sampler, "v7", 10, 0, 5.0)


def test_a_hanging_sampler_times_out() -> None:
    started = time.monotonic()
    try:
        with pytest.raises(SourceError, match=r"slow_sampler \(version 'v1'\) did not return"):
            call_sampler(sampler_fixtures.slow_sampler, "v1", 10, 0, 0.5)
    finally:
        sampler_fixtures.RELEASE.set()
    assert time.monotonic() - started < 3.0


def test_sampler_versions_from_a_list_file_or_a_glob(tmp_path: Path) -> None:
    listing = tmp_path / "versions.txt"
    listing.write_text("v10\n# retired: v0\n\nv2\n")
    assert sampler_versions(str(listing)) == ["v10", "v2"]
    for name in ["ckpt-10", "ckpt-9"]:
        (tmp_path / "ckpts" / name).mkdir(parents=True)
    assert sampler_versions(str(tmp_path / "ckpts" / "*")) == ["ckpt-9", "ckpt-10"]
    assert sampler_fingerprint("v2") == sampler_fingerprint("v2") != sampler_fingerprint("v3")
    listing.write_text("v1\nv1\n")
    with pytest.raises(SourceError, match="repeats 'v1'"):
        sampler_versions(str(listing))


def test_fingerprint_files_matches_discovery(tmp_path: Path) -> None:
    path = _write(tmp_path / "v1.parquet")
    (version,) = discover_versions(str(tmp_path / "*"))
    assert version == VersionRef("v1", (path,), fingerprint_files([path]), path)
