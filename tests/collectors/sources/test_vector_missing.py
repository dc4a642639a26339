"""Vector columns with missing cells (issue 24): measured by the numeric columns' policy, a
missing indicator after the components and the reference's mean vector imputed, instead of
refused; complete vector columns embed (and serialize) exactly as before, and a version's
missing cells take the complete reference's mean vector (kept out of the JSON)."""

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


def test_a_versions_missing_cells_take_the_complete_references_mean_vector() -> None:
    reference = _vectors(50, 0)
    fitted = FeatureMap.fit(reference)
    centre = np.stack(list(reference["emb"])).mean(axis=0)
    version = _vectors(20, 1, missing=(2, 7))
    out = fitted.transform(version)
    assert out.shape == (20, 4)  # no indicator: the reference decides the space
    np.testing.assert_array_equal(out[[2, 7], 1:], np.vstack([centre, centre]))
    np.testing.assert_array_equal(out[3, 1:], version["emb"][3])
    # The mean vector is not in the JSON: rebuilt without the reference, the cell is named ...
    with pytest.raises(FeatureError, match=r"column 'emb' has missing cells.*reference="):
        FeatureMap.from_json(fitted.to_json()).transform(version)
    # ... and with it, the transform is the fitted map's.
    loaded = FeatureMap.from_json(fitted.to_json(), reference=reference)
    assert loaded == fitted and loaded.fingerprint == fitted.fingerprint
    np.testing.assert_array_equal(loaded.transform(version), out)
    # Cells that are neither vectors nor missing are still refused.
    version.loc[4, "emb"] = "text"
    with pytest.raises(FeatureError, match=r"column 'emb' holds missing or non-array cells"):
        fitted.transform(version)


def test_wrong_vectors_beside_missing_cells_are_still_refused() -> None:
    reference = _vectors(50, 0, missing=(3,))
    reference.loc[7, "emb"] = "text"
    with pytest.raises(FeatureError, match=r"column 'emb' holds missing or non-array cells"):
        FeatureMap.fit(reference)
