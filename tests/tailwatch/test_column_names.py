"""Column names that are not strings (issue 25 item 7): ``pd.DataFrame(array)`` names its
columns 0, 1, 2, ...; they are measured as "0", "1", "2", ... (the same figures as string names),
and two names that read the same as strings are refused naming the column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import tailwatch


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = np.random.default_rng(0).normal(size=(500, 4))
    return pd.DataFrame(rows[:300]), pd.DataFrame(rows[300:])


def test_integer_column_names_are_measured_as_their_strings() -> None:
    real, synthetic = _frames()
    judged = tailwatch.evaluate(real, synthetic, regions=4, cache=False)
    named = tailwatch.evaluate(
        real.rename(columns=str), synthetic.rename(columns=str), regions=4, cache=False
    )
    assert set(judged.per_feature) == {"0", "1", "2", "3"}
    assert judged.figures == named.figures
    assert judged.per_feature == named.per_feature


def test_integer_names_match_string_names_across_reference_and_version() -> None:
    real, synthetic = _frames()
    table = pa.Table.from_pandas(synthetic.rename(columns=str), preserve_index=False)
    judged = tailwatch.evaluate(real, table, columns=[0, 1], regions=4, cache=False)  # type: ignore[list-item]
    assert set(judged.per_feature) == {"0", "1"}


def test_names_that_collide_as_strings_are_refused_naming_the_column() -> None:
    real, synthetic = _frames()
    clash = real.copy()
    clash.columns = pd.Index([0, "0", 2, 3], dtype=object)
    with pytest.raises(ValueError, match=r"column '0' reads as '0', the name of another column"):
        tailwatch.evaluate(clash, synthetic, regions=4, cache=False)
