"""The Numba fingerprints of plain number records (collectors.provenance.numbers; issue 26: the
daemon's per-version cost) equal the per-record definition (record_string + the first 8 bytes of
MD5), on real tables, on floats at every magnitude and at %.6e's rounding boundaries (ties,
near-ties, powers of ten, the carry to 10**7), on integers and booleans."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

from collectors.provenance import definition, fingerprint_query
from collectors.provenance.definition import fingerprint_frame, record_string
from collectors.provenance.numbers import number_fingerprints


def by_record(columns: list[np.ndarray]) -> np.ndarray:
    """The definition, record by record (Python formatting), independent of the kernel."""
    kinds: list[definition.ColumnKind] = [
        "boolean" if c.dtype.kind == "b" else "integer" if c.dtype.kind in "iu" else "float"
        for c in columns
    ]
    out = []
    for row in zip(*(c.tolist() for c in columns), strict=True):
        digest = hashlib.md5(record_string(row, kinds).encode("utf-8")).digest()
        out.append(int.from_bytes(digest[:8], "big"))
    return np.array(out, dtype=np.uint64)


def check(columns: list[np.ndarray], most_bailed: float = 0.0) -> None:
    """The kernel's fingerprints equal the definition on every row it does not leave to
    Python, it leaves at most ``most_bailed`` of the rows, and fingerprint_frame (kernel + the
    definition for the rows left) equals the definition on every row."""
    expected = by_record(columns)
    got, bail = number_fingerprints(columns)
    np.testing.assert_array_equal(got[~bail], expected[~bail])
    assert bail.mean() <= most_bailed
    frame = pd.DataFrame({f"c{j}": c for j, c in enumerate(columns)})
    np.testing.assert_array_equal(fingerprint_frame(frame, list(frame.columns)), expected)


@pytest.mark.parametrize("loader", [load_digits, load_wine, load_breast_cancer])
def test_real_tables(loader) -> None:
    frame = loader(as_frame=True).frame
    check([frame[c].to_numpy() for c in frame.columns])
    # jittered (digits + noise, as the benchmarks' versions): 7 significant digits everywhere
    rng = np.random.default_rng(0)
    data = frame.to_numpy(dtype=np.float64)
    check(list((data + rng.normal(0, 0.5, data.shape)).T), most_bailed=1e-3)


def test_floats_at_every_magnitude_and_sign() -> None:
    rng = np.random.default_rng(1)
    n = 20_000
    magnitudes = 10.0 ** rng.uniform(-30, 30, n)
    signs = rng.choice([-1.0, 1.0], n)
    check(
        [signs * magnitudes, (signs * magnitudes).astype(np.float32)], most_bailed=0.35
    )  # |exponent| > 16: Python
    # within the kernel's own range (|exponent| <= 16): it leaves only near-ties
    middle = signs * 10.0 ** rng.uniform(-15, 20, n)
    check([middle], most_bailed=1e-3)


def test_rounding_boundaries() -> None:
    # decimal strings of 8 significant digits ending in 5: ties of %.6e's 7 digits (exact ties
    # when the binary value is exact, near-ties otherwise), and their neighbours one ulp away
    rng = np.random.default_rng(2)
    mantissas = rng.integers(1_000_000, 10_000_000, 3000) * 10 + 5
    exponents = rng.integers(-12, 12, 3000)
    ties = np.array([float(f"{m}e{e}") for m, e in zip(mantissas, exponents, strict=True)])
    check([ties], most_bailed=1.0)
    check([np.nextafter(ties, np.inf)], most_bailed=1.0)
    check([np.nextafter(ties, -np.inf)], most_bailed=1.0)
    edges = np.array(
        [1234567.5, 1234568.5, 0.5, 0.25, 0.1, 0.01, 1e-5, 9999999.5, 99999995.0, 0.99999995,
         0.999999949999, 9.9999995, 1e6 + 0.5, 1e15 + 0.5, 2.0**53, 2.0**53 + 2, -(2.0**60),
         1e22, 1e23, 1e28, 1e-16, 1e-17, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
         np.inf, -np.inf, -0.0, 0.0, 3.0, -7.0, 0.3, 1 / 3, 2 / 3, -1e-7, 123456.75]
    )  # fmt: skip
    for value in edges:
        check([np.array([value, -value, np.nextafter(value, 0.0), np.nextafter(value, np.inf)])],
              most_bailed=1.0)  # fmt: skip


def test_integers_booleans_and_mixed_records() -> None:
    info = np.iinfo(np.int64)
    integers = np.array([info.min, info.min + 1, -1, 0, 1, 9, 10, 99, 100, info.max], np.int64)
    unsigned = np.array([0, 1, 10, 2**40, 2**63 - 1] * 2, np.uint64)
    small = np.arange(-5, 5, dtype=np.int8)
    booleans = np.array([True, False] * 5)
    floats = np.array([0.1, -2.5, 3.0, np.inf, -np.inf, 1e-3, 7.25, 2.0**53, -0.0, 1e300])
    check(
        [integers, unsigned, small, booleans, floats, np.array([*floats[:9], 1e30], np.float32)],
        most_bailed=0.1,
    )
    check([booleans])
    check([integers])


def test_other_frames_keep_the_column_paths() -> None:
    # NaN, uint64 past int64 and text columns are not the kernel's: the column paths (and
    # their errors) answer as before
    with pytest.raises(ValueError, match="column 'x': 1 of 2 rows have missing content"):
        fingerprint_frame(pd.DataFrame({"x": [1.0, np.nan]}), ["x"])
    big = pd.DataFrame({"u": np.array([2**63, 2**64 - 1], np.uint64), "t": ["a", "B"]})
    expected = [
        int.from_bytes(hashlib.md5(r.encode()).digest()[:8], "big")
        for r in (f"{2**63}\x1fa", f"{2**64 - 1}\x1fb")
    ]
    assert fingerprint_frame(big, ["u", "t"]).tolist() == expected
    assert fingerprint_frame(pd.DataFrame({"x": np.zeros(0)}), ["x"]).size == 0


def test_the_sql_path_agrees_on_number_records(tmp_path: Path) -> None:
    # the corpus scan fingerprints files in DuckDB: a registered version's rows (this kernel)
    # must meet them bit for bit (leakage is an exact match)
    rng = np.random.default_rng(4)
    n = 3000
    values = rng.normal(size=n) * 10.0 ** rng.integers(-20, 30, size=n)
    values[:8] = [0.0, -0.0, 1e300, -2.5, 123456789.0, 0.1, 1234567.5, 2.0**60]
    frame = pd.DataFrame(
        {
            "x": values,
            "x32": values.clip(-1e30, 1e30).astype(np.float32),
            "i": rng.integers(-(2**62), 2**62, size=n),
            "b": rng.random(n) < 0.5,
        }
    )
    columns = list(frame.columns)
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    with duckdb.connect() as connection:
        query = fingerprint_query(connection, f"read_parquet('{path}')", columns)
        sql = [row[0] for row in connection.execute(query).fetchall()]
    assert fingerprint_frame(frame, columns).tolist() == sql
