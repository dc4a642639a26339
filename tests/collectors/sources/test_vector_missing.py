"""Vector columns with missing cells (issue 24): measured by the numeric columns' policy, a
missing indicator after the components and the reference's mean vector imputed, instead of
refused; complete vector columns embed (and serialize) exactly as before."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collectors.sources.features import FeatureError, FeatureMap


def _vectors(rows: int, seed: int, missing: tuple[int, ...] = ()) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cells: list[object] = [rng.normal(size=3) for _ in range(rows)]
    for row in missing:
        cells[row] = None if row % 2 else float("nan")
    return pd.DataFrame({"x": rng.normal(size=rows), "emb": pd.Series(cells, dtype=object)})


def test_missing_vector_cells_get_an_indicator_and_the_reference_mean() -> None:
    reference = _vectors(50, 0, missing=(3, 10, 11))
    fitted = FeatureMap.fit(reference)
    assert fitted.feature_names == ["x", "emb[0]", "emb[1]", "emb[2]", "emb=__missing__"]
    assert any("'emb' is missing in" in note for note in fitted.notes)
    observed = np.stack([c for c in reference["emb"] if isinstance(c, np.ndarray)])
    centre = observed.mean(axis=0)

    version = _vectors(20, 1, missing=(0, 5))
    out = fitted.transform(version)
    assert np.array_equal(out[:, 4], np.isin(np.arange(20), [0, 5]).astype(float))
    np.testing.assert_allclose(out[[0, 5], 1:4], np.vstack([centre, centre]), rtol=0, atol=0)
    np.testing.assert_array_equal(out[1, 1:4], version["emb"][1])
    assert np.isfinite(out).all()
    # The JSON round trip keeps the indicator and the mean vector: the same transform.
    loaded = FeatureMap.from_json(fitted.to_json())
    np.testing.assert_array_equal(loaded.transform(version), out)


def test_complete_vectors_are_unchanged() -> None:
    reference = _vectors(50, 0)
    fitted = FeatureMap.fit(reference)
    assert fitted.feature_names == ["x", "emb[0]", "emb[1]", "emb[2]"]
    assert '"missing"' not in fitted.to_json() and '"centre"' not in fitted.to_json()
    version = _vectors(20, 1)
    out = fitted.transform(version)
    np.testing.assert_array_equal(out[:, 1:], np.stack(list(version["emb"])))
    # A complete reference has no mean vector to impute: a version's missing cell is named.
    with pytest.raises(FeatureError, match=r"column 'emb' holds missing or non-array cells"):
        fitted.transform(_vectors(20, 1, missing=(2,)))


def test_wrong_vectors_beside_missing_cells_are_still_refused() -> None:
    reference = _vectors(50, 0, missing=(3,))
    reference.loc[7, "emb"] = "text"
    with pytest.raises(FeatureError, match=r"column 'emb' holds missing or non-array cells"):
        FeatureMap.fit(reference)
