"""Tests for collectors.sources.features: the feature map fitted on a reference and applied to
versions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collectors.sources.cells import vectors
from collectors.sources.features import RARE, FeatureColumn, FeatureError, FeatureMap
from collectors.sources.readers import discover_versions, read_version


def _reference(rows: int = 1_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    regions = rng.choice(["north", "south", "east", "west"], size=rows, p=[0.5, 0.3, 0.19, 0.01])
    return pd.DataFrame(
        {
            "amount": rng.normal(100.0, 15.0, size=rows),
            "count": rng.integers(0, 50, size=rows),
            "region": regions,
            "flag": rng.random(rows) < 0.5,
            "embedding": list(rng.normal(size=(rows, 4))),
        }
    )


def test_kinds_are_inferred_and_feature_names_follow_the_column_order() -> None:
    feature_map = FeatureMap.fit(_reference(), rare_threshold=0.05)
    kinds = {c.name: c.kind for c in feature_map.columns}
    assert kinds == {
        "amount": "numeric",
        "count": "numeric",
        "region": "categorical",
        "flag": "categorical",
        "embedding": "vector",
    }
    assert feature_map.feature_names == [
        "amount",
        "count",
        "region=east",
        "region=north",
        "region=south",
        f"region={RARE}",
        "flag=False",
        "flag=True",
        f"flag={RARE}",
        "embedding[0]",
        "embedding[1]",
        "embedding[2]",
        "embedding[3]",
    ]
    assert feature_map.width == 13
    ordered = FeatureMap.fit(_reference(), columns=["region", "amount"])
    assert ordered.input_columns == ["region", "amount"]
    assert ordered.feature_names[-1] == "amount"


def test_numeric_columns_are_standardised_on_the_reference() -> None:
    reference = _reference().assign(constant=7.0)
    feature_map = FeatureMap.fit(reference, columns=["amount", "count", "constant"])
    matrix = feature_map.transform(reference, source="reference")
    np.testing.assert_allclose(matrix[:, :2].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(matrix[:, :2].std(axis=0), 1.0, rtol=1e-12)
    amount = feature_map.columns[0]
    assert amount.mean == pytest.approx(reference["amount"].mean())
    assert amount.std == pytest.approx(reference["amount"].std(ddof=0))
    assert feature_map.columns[2].std == 1.0  # a constant column keeps its scale
    np.testing.assert_array_equal(matrix[:, 2], 0.0)
    shifted = feature_map.transform(reference.assign(amount=reference["amount"] + amount.std))
    np.testing.assert_allclose(shifted[:, 0] - matrix[:, 0], 1.0)


def test_one_hot_with_a_rare_bucket_that_takes_unseen_categories() -> None:
    feature_map = FeatureMap.fit(_reference(), columns=["region"], rare_threshold=0.05)
    assert feature_map.columns[0].categories == ("east", "north", "south")  # west is rare
    sample = pd.DataFrame({"region": ["north", "west", "mars", "east", "south"]})
    expected = np.array(
        [[0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0]], dtype=float
    )
    np.testing.assert_array_equal(feature_map.transform(sample), expected)
    keep_all = FeatureMap.fit(_reference(), columns=["region"], rare_threshold=0.0)
    assert keep_all.columns[0].categories == ("east", "north", "south", "west")


def test_explicit_categorical_columns_and_vectors_used_as_is() -> None:
    reference = _reference()
    feature_map = FeatureMap.fit(reference, columns=["count", "embedding"], categorical=["count"])
    assert feature_map.columns[0].kind == "categorical"
    assert feature_map.columns[0].categories[:3] == ("0", "1", "10")  # labels are strings
    matrix = feature_map.transform(reference)
    np.testing.assert_array_equal(matrix[:, -4:], np.stack(reference["embedding"].to_list()))
    np.testing.assert_array_equal(matrix[:, :-4].sum(axis=1), 1.0)


def test_json_round_trip_gives_identical_transforms_and_fingerprint() -> None:
    reference = _reference()
    feature_map = FeatureMap.fit(reference, rare_threshold=0.05)
    text = feature_map.to_json()
    restored = FeatureMap.from_json(text)
    assert restored == feature_map
    assert restored.to_json() == text and restored.fingerprint == feature_map.fingerprint
    sample = _reference(300, seed=1)
    np.testing.assert_array_equal(restored.transform(sample), feature_map.transform(sample))
    assert json.loads(text)["columns"][0]["mean"] == feature_map.columns[0].mean
    refitted = FeatureMap.fit(_reference(seed=2), rare_threshold=0.05)
    assert refitted.fingerprint != feature_map.fingerprint
    assert len(feature_map.fingerprint) == 64


def test_invalid_json_is_a_feature_error() -> None:
    with pytest.raises(FeatureError, match="feature map JSON is invalid"):
        FeatureMap.from_json('{"format": "other"}')
    bad = {"format": "tailwatch.feature_map/1", "rare_threshold": 0.01, "columns": [{}]}
    with pytest.raises(FeatureError, match="feature map JSON is invalid"):
        FeatureMap.from_json(json.dumps(bad))


def test_raw_numeric_matrix_and_categorical_labels() -> None:
    reference = _reference()
    feature_map = FeatureMap.fit(reference)
    matrix, names = feature_map.numeric_matrix(reference)
    assert names == ["amount", "count"]
    np.testing.assert_array_equal(matrix, reference[["amount", "count"]].to_numpy(dtype=float))
    labels = feature_map.categorical_values(reference)
    assert list(labels) == ["region", "flag"]
    assert labels["region"].tolist() == reference["region"].tolist()
    assert set(labels["flag"]) == {"True", "False"}


# --------------------------------------------------------------------------- errors


@pytest.fixture(scope="module")
def fitted() -> FeatureMap:
    return FeatureMap.fit(_reference(), rare_threshold=0.05)


def test_missing_columns_are_named(fitted: FeatureMap) -> None:
    sample = _reference(20).drop(columns=["amount", "region"])
    with pytest.raises(FeatureError, match="version 'v4': missing columns 'amount', 'region'"):
        fitted.transform(sample, source="version 'v4'")


def test_a_numeric_column_that_became_text_is_a_type_change(fitted: FeatureMap) -> None:
    sample = _reference(20).assign(amount=["12.5"] * 19 + ["n/a"])
    # pandas 3 reads the strings as dtype str, pandas 2 as object: either is named
    with pytest.raises(
        FeatureError, match=r"v4: column 'amount' was numeric .*(dtype str|non-numeric values)"
    ):
        fitted.transform(sample, source="v4")
    mixed = _reference(20).assign(amount=pd.Series([1.0] * 18 + ["x", True], dtype=object))
    with pytest.raises(FeatureError, match=r"'amount' .*non-numeric values now in 2 of 20 rows"):
        fitted.transform(mixed, source="v4")
    with pytest.raises(FeatureError, match="'count' was numeric"):
        fitted.numeric_matrix(_reference(20).assign(count=True), source="v4")


def test_missing_values_are_measured_not_refused(fitted: FeatureMap) -> None:
    # The reference is complete: a version's missing cells are imputed at the centre (0 after
    # scaling) without an indicator, missing labels fall into the rare bucket.
    sample = _reference(20)
    sample.loc[[3, 7, 8], "amount"] = np.nan
    sample["region"] = pd.Series(["north"] * 19 + [None], dtype=object)
    matrix = fitted.transform(sample)
    assert matrix.shape == (20, fitted.width)
    assert np.all(matrix[[3, 7, 8], 0] == 0.0)
    assert matrix[19, fitted.feature_names.index(f"region={RARE}")] == 1.0
    assert fitted.categorical_values(sample)["region"][19] == "__missing__"
    assert fitted.missing_shares(sample)["amount"] == pytest.approx(3 / 20)


def test_vectors_of_another_length_are_named(fitted: FeatureMap) -> None:
    sample = _reference(10)
    sample["embedding"] = [np.zeros(4)] * 8 + [np.zeros(3), np.zeros(5)]
    with pytest.raises(FeatureError, match=r"'embedding': .*length 4, but 2 of 10 rows .*row 8"):
        fitted.transform(sample, source="v9")


def test_a_vector_with_a_nan_or_infinite_entry_counts_as_missing(fitted: FeatureMap) -> None:
    """Measured, never refused: the whole cell is missing (imputed, counted in missing_share)."""
    sample = _reference(10)
    sample["embedding"] = [np.arange(4.0)] * 8 + [np.array([1.0, np.nan, 2.0, 3.0]),
                                                  [0.0, np.inf, 0.0, 0.0]]  # fmt: skip
    complete = sample.assign(embedding=[np.arange(4.0)] * 8 + [None, None])
    matrix = fitted.transform(sample)
    assert np.array_equal(matrix, fitted.transform(complete))  # imputed as a missing cell is
    assert np.isfinite(matrix).all()
    assert fitted.missing_shares(sample)["embedding"] == pytest.approx(2 / 10)
    with pytest.raises(FeatureError, match="'embedding' has vectors with NaN or infinite entries"):
        vectors(sample["embedding"], "v9", 4)  # where complete vectors are required


def test_fit_errors_name_the_problem() -> None:
    with pytest.raises(FeatureError, match="missing column 'nope'"):
        FeatureMap.fit(_reference(), columns=["amount", "nope"])
    with pytest.raises(FeatureError, match="categorical columns"):
        FeatureMap.fit(_reference(), columns=["amount"], categorical=["region"])
    with pytest.raises(FeatureError, match="reference has no rows"):
        FeatureMap.fit(_reference().iloc[:0])
    with pytest.raises(FeatureError, match="no column can be measured"):
        FeatureMap.fit(pd.DataFrame({"gone": [np.nan] * 3}))


def test_a_version_read_from_csv_whose_column_changed_type(tmp_path: Path) -> None:
    reference = _reference(200)[["amount", "region"]]
    reference.to_csv(tmp_path / "v1.csv", index=False)
    reference.assign(amount="unknown").to_csv(tmp_path / "v2.csv", index=False)
    feature_map = FeatureMap.fit(reference)
    first, second = discover_versions(str(tmp_path / "*"))
    assert feature_map.transform(read_version(first)).shape == (200, feature_map.width)
    with pytest.raises(FeatureError, match=r"version 'v2': column 'amount' was numeric"):
        feature_map.transform(read_version(second), source=f"version {second.name!r}")


def test_feature_column_widths() -> None:
    assert FeatureColumn("a", "numeric").width == 1
    assert FeatureColumn("r", "categorical", categories=("x", "y")).width == 3
    assert FeatureColumn("e", "vector", length=8).width == 8
