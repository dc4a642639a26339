"""A version's marginal histograms (GeneratorReference._histograms): the reference's side kept
per column between versions, every count the same as computed from scratch."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.datasets import load_wine

from collectors.generator import HISTOGRAM_BINS, GeneratorReference


def _wine() -> pd.DataFrame:
    frame = load_wine(as_frame=True).frame
    frame["target"] = frame["target"].map({0: "a", 1: "b", 2: "c"})
    frame.loc[frame.index[::7], "magnesium"] = np.nan  # missing cells
    return frame


def _numeric_from_scratch(real: np.ndarray, sample: np.ndarray) -> dict[str, object]:
    """The histogram as written before the reference's side was kept (issue 26)."""
    real = real[np.isfinite(real)]
    low, high = np.quantile(real, [0.005, 0.995])
    if not high > low:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, HISTOGRAM_BINS + 1)

    def counts(values: np.ndarray) -> list[int]:
        clipped = np.clip(values, edges[0], edges[-1])
        return np.histogram(clipped, bins=edges)[0].astype(int).tolist()

    return {
        "kind": "numeric",
        "edges": edges.tolist(),
        "reference": counts(real),
        "sample": counts(sample[np.isfinite(sample)]),
    }


def test_histograms_equal_from_scratch_for_every_version() -> None:
    frame = _wine()
    reference, versions = frame.iloc[::2], (frame.iloc[1::2], frame.iloc[1::3])
    versions = (versions[0], versions[1].assign(alcohol=versions[1]["alcohol"] + 0.7))
    model = GeneratorReference(reference, categorical=["target"], k=3, n_regions=4)
    checked = 0
    for version in (*versions, versions[0]):  # the first again: the kept side reused
        histograms = model.measure(version).histograms
        assert histograms
        for name, histogram in histograms.items():
            if histogram["kind"] != "numeric":
                continue
            expected = _numeric_from_scratch(
                reference[name].to_numpy(dtype=np.float64),
                version[name].to_numpy(dtype=np.float64),
            )
            assert histogram == expected, name
            checked += 1
    assert checked >= 12
    assert model.measure(versions[0]).histograms == model.measure(versions[0]).histograms
