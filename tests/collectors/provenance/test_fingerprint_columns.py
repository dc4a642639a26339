"""fingerprint_frame's column-at-a-time tokens of plain numpy columns (issue 26: the daemon's
per-version cost) equal the per-record definition (record_string + the first 8 bytes of MD5)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

from collectors.provenance import definition
from collectors.provenance.definition import fingerprint_frame, record_string


def by_record(frame: pd.DataFrame, kinds: list[definition.ColumnKind]) -> list[int]:
    """The definition, record by record, computed independently of fingerprint_frame."""
    out = []
    for row in zip(*(frame[c].tolist() for c in frame.columns), strict=True):
        digest = hashlib.md5(record_string(row, kinds).encode("utf-8")).digest()
        out.append(int.from_bytes(digest[:8], "big"))
    return out


@pytest.mark.parametrize("loader", [load_digits, load_wine, load_breast_cancer])
def test_real_tables_equal_the_per_record_definition(loader) -> None:
    frame = loader(as_frame=True).frame
    kinds: list[definition.ColumnKind] = [
        "integer" if frame[c].dtype.kind == "i" else "float" for c in frame.columns
    ]
    assert fingerprint_frame(frame, list(frame.columns)).tolist() == by_record(frame, kinds)


def test_edge_values_equal_the_per_record_definition() -> None:
    floats = [-0.0, 0.0, np.inf, -np.inf, 2.0**53, 2.0**53 - 1, -(2.0**53), 1e-300, 0.1, 5e-324]
    frame = pd.DataFrame(
        {
            "f": floats,
            "f32": np.array([0.1, 1, 2.5, 3, 4, 5, 6, 7, 8, 1e30], dtype=np.float32),
            "i": np.arange(10, dtype=np.int64) * -(3**30),
            "u": np.arange(10, dtype=np.uint64) * 2**62,
            "b": [True, False] * 5,
        }
    )
    kinds: list[definition.ColumnKind] = ["float", "float", "integer", "integer", "boolean"]
    assert fingerprint_frame(frame, list(frame.columns)).tolist() == by_record(frame, kinds)
    # A float column and its integer copy agree (integral floats are written as integers).
    integral = pd.DataFrame({"x": np.arange(-5.0, 5.0)})
    assert (
        fingerprint_frame(integral, ["x"]).tolist()
        == fingerprint_frame(integral.astype(np.int64), ["x"]).tolist()
    )


def test_mixed_columns_and_missing_cells() -> None:
    frame = pd.DataFrame({"x": [1.5, 2.0], "t": ["A b", "c"]})
    assert fingerprint_frame(frame, ["x", "t"]).tolist() == by_record(frame, ["float", "text"])
    with pytest.raises(ValueError, match="column 'x': 1 of 2 rows have missing content"):
        fingerprint_frame(pd.DataFrame({"x": [1.0, np.nan]}), ["x"])
