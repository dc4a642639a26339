"""Column kinds for the structure measures: timestamps, identifiers, missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collectors.metrics.structure._frame import (
    MISSING,
    labels,
    numeric_values,
    split_columns,
)


def _frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "amount": rng.normal(size=n),
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="h"),
            "id": [f"r{i}" for i in range(n)],
            "kind": rng.choice(["a", "b"], size=n),
            "code": rng.integers(0, 3, size=n),
        }
    )
    frame.loc[3, "amount"] = np.nan
    frame.loc[4, "kind"] = None
    frame.loc[5, "when"] = pd.NaT
    return frame


def test_kinds_timestamps_numeric_identifiers_skipped_and_forced_categories() -> None:
    columns = split_columns(_frame(), categorical=["code"])
    assert columns.numeric == ("amount", "when")
    assert columns.categorical == ("kind", "code")
    assert columns.skipped == ("id",)


def test_values_keep_missing_as_nan_or_a_label() -> None:
    frame = _frame()
    seconds = numeric_values(frame, "when", "reference")
    assert seconds[1] - seconds[0] == 3600.0 and np.isnan(seconds[5])
    assert np.isnan(numeric_values(frame, "amount", "reference")[3])
    assert labels(frame, "kind")[4] == MISSING
    assert labels(pd.DataFrame({"c": [1.0, 2.0]}), "c").tolist() == ["1", "2"]


def test_text_in_a_numeric_column_names_source_column_and_row() -> None:
    frame = pd.DataFrame({"amount": [1.0, "x", 3.0]}, dtype=object)
    with pytest.raises(ValueError, match=r"version: column 'amount' .* row 1 holds 'x'"):
        numeric_values(frame, "amount", "version")
