"""Column kinds for the structure measures: timestamps, identifiers, missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits, load_wine

from collectors.metrics.structure._frame import (
    MISSING,
    content_order,
    encode,
    in_content_order,
    labels,
    lexsort_first,
    numeric_values,
    reference_categories,
    split_columns,
    taken,
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


def _label_of(value: object) -> str:
    """Brute force: the label of one cell, as the structure measures define it."""
    if value is None or value is pd.NA or value is pd.NaT:
        return MISSING
    if isinstance(value, float):
        return MISSING if np.isnan(value) else str(int(value)) if value.is_integer() else str(value)
    return str(value)


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(np.random.default_rng(0).choice(np.array(["a", "b", None], dtype=object), 500)),
        pd.Series(np.random.default_rng(1).choice([1.0, 2.5, np.nan], 500)),
        pd.Series(pd.Categorical(["x", "y", None, "x"])),
        pd.Series([True, 1, "1", None, 1.0, np.nan, 2]),  # mixed types: True is not "1"
        pd.Series(pd.array([1, None, 3], dtype="Int64")),
        pd.Series([True, False, None]),
        pd.Series(["a", pd.NA], dtype="string"),
        pd.Series(np.array([], dtype=object)),
    ],
)
def test_labels_equal_the_cell_by_cell_conversion(column: pd.Series) -> None:
    got = labels(pd.DataFrame({"c": column}), "c")
    assert got.dtype == object
    assert got.tolist() == [_label_of(v) for v in column.astype(object)]


def test_lexsort_first_is_numpys_lexsort() -> None:
    """The same permutation as ``np.lexsort`` (first key primary) on real columns with many ties
    (digits' pixels: 17 values), missing values in the first and later keys, signed zeros,
    integer codes, a constant first key, no ties at all, one key, one row."""
    rng = np.random.default_rng(5)
    digits = load_digits().data[:700]
    wine = load_wine().data[:170]
    cases = [list(digits.T), list(digits[:, ::-1].T), list(wine.T)]
    holes = digits.copy()
    holes[rng.random(holes.shape) < 0.2] = np.nan
    cases.append(list(holes.T))
    cases.append([rng.choice([-0.0, 0.0, np.nan, 1.0], 300) for _ in range(5)])
    cases.append([rng.integers(0, 3, 300) for _ in range(6)])
    cases.append([np.full(300, 2.0), rng.integers(0, 4, 300), rng.normal(size=300)])
    cases.append([rng.normal(size=300), rng.normal(size=300)])
    cases.append([rng.integers(0, 5, 300)])
    cases.append([np.array([1.0]), np.array([0.0])])
    for keys in cases:
        np.testing.assert_array_equal(lexsort_first(keys), np.lexsort(keys[::-1]))


def test_content_order_puts_the_rows_in_the_order_of_their_values() -> None:
    frame = _frame()
    kinds = split_columns(frame)
    order = content_order(frame, kinds, "t")
    keys = [numeric_values(frame, n, "t") for n in kinds.numeric]
    keys += [pd.factorize(labels(frame, n), sort=True)[0] for n in kinds.categorical]
    np.testing.assert_array_equal(order, np.lexsort(keys[::-1]))
    shuffled = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    again = shuffled.iloc[content_order(shuffled, kinds, "t")].reset_index(drop=True)
    pd.testing.assert_frame_equal(again, frame.iloc[order].reset_index(drop=True))


def _odd_breast_cancer() -> pd.DataFrame:
    """Breast cancer's first columns with missing values, an infinity, signed zeros, timestamps,
    numbers held as text (object), integer codes, and labels with missing values."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = data.frame.iloc[:, :6].copy()
    rng = np.random.default_rng(3)
    for name in frame.columns[:3]:
        frame.loc[rng.random(len(frame)) < 0.1, name] = np.nan
    frame.iloc[7, 1] = np.inf
    frame["zeros"] = rng.choice([-0.0, 0.0, 1.0], len(frame))
    frame["when"] = pd.Timestamp("2021-03-01") + pd.to_timedelta(
        rng.integers(0, 900, len(frame)), "D"
    )
    frame.loc[11, "when"] = pd.NaT
    text = frame["mean area"].map(lambda v: None if np.isnan(v) else f"{v:.2f}")
    frame["text_number"] = text.astype(object)
    frame["count"] = rng.integers(0, 5, len(frame))
    frame["label"] = np.array(["m", "b"], dtype=object)[data.target]
    frame.loc[rng.random(len(frame)) < 0.05, "label"] = None
    return frame.sample(frac=1.0, random_state=8)  # an index that is not 0..n-1


@pytest.mark.parametrize("table", ["odd", "digits", "plain"])
def test_in_content_order_is_the_reordered_frame_and_its_values(table: str) -> None:
    """The rows in content order as ``iloc[content_order].reset_index(drop=True)`` (the previous
    code), and each numeric column, taken in that order, as numeric_values of the reordered
    frame bit for bit (NaN where missing, timestamps, text numbers, signed zeros); the model
    matrix from those columns equals encode's own."""
    frame = {
        "odd": _odd_breast_cancer(),
        "digits": load_digits(as_frame=True).frame,
        "plain": _frame(),
    }[table]
    kinds = split_columns(frame, categorical=["label"] if table == "odd" else None)
    ordered, numeric = in_content_order(frame, kinds, "version")
    previous = frame.iloc[content_order(frame, kinds, "version")].reset_index(drop=True)
    pd.testing.assert_frame_equal(ordered, previous)
    assert isinstance(ordered.index, pd.RangeIndex)
    assert list(numeric) == list(kinds.numeric)
    for name in kinds.numeric:
        assert numeric[name].tobytes() == numeric_values(previous, name, "version").tobytes()
    categories = reference_categories(frame, kinds)
    got = encode(ordered, kinds, categories, "version", numeric=numeric)
    assert got.tobytes() == encode(previous, kinds, categories, "version").tobytes()


def test_taken_is_iloc_then_reset_index() -> None:
    frame = _odd_breast_cancer()
    rows = np.sort(np.random.default_rng(0).choice(len(frame), 200, replace=False))
    pd.testing.assert_frame_equal(taken(frame, rows), frame.iloc[rows].reset_index(drop=True))
    pd.testing.assert_frame_equal(taken(frame, rows[:0]), frame.iloc[:0].reset_index(drop=True))
