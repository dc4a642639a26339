"""``FeatureMap.missing_shares``: NumPy float columns take one ``isfinite`` pass; the shares
equal the pandas definition (``isna | isinf`` for numeric columns, ``isna`` otherwise) on real
tables with NaN and infinite cells in float64, float32, nullable and object columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.api.types as ptypes
from sklearn.datasets import load_breast_cancer, load_wine

from collectors.sources.features import FeatureMap


def _definition(feature_map: FeatureMap, frame: pd.DataFrame) -> dict[str, float]:
    out = {}
    for column in feature_map.columns:
        series = frame[column.name]
        missing = series.isna().to_numpy()
        if column.kind == "numeric" and ptypes.is_float_dtype(series.dtype):
            missing = missing | np.isinf(series.to_numpy(dtype=np.float64, na_value=np.nan))
        out[column.name] = float(missing.mean())
    return out


def _holed(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """NaN, +inf and -inf in random cells of every float column."""
    rng = np.random.default_rng(seed)
    frame = frame.copy()
    for name in frame.columns:
        if ptypes.is_float_dtype(frame[name].dtype):
            values = frame[name].to_numpy(copy=True)
            cells = rng.random(len(values))
            values[cells < 0.05] = np.nan
            values[(cells >= 0.05) & (cells < 0.07)] = np.inf
            values[(cells >= 0.07) & (cells < 0.08)] = -np.inf
            frame[name] = values
    return frame


def test_shares_equal_the_definition_on_real_tables() -> None:
    for loader, seed in ((load_wine, 0), (load_breast_cancer, 1)):
        reference = loader(as_frame=True).frame
        reference["label"] = reference.pop("target").map(lambda t: f"class {t}")
        feature_map = FeatureMap.fit(reference, rare_threshold=0.0)
        sample = _holed(reference.sample(frac=1.0, random_state=seed), seed)
        names = [c for c in sample.columns if c != "label"]
        sample[names[0]] = sample[names[0]].astype(np.float32)
        sample[names[1]] = sample[names[1]].astype("Float64")  # nullable: pd.NA
        sample.loc[sample.index[:7], names[1]] = pd.NA
        sample[names[2]] = sample[names[2]].astype(object)  # object cells
        sample.loc[sample.index[:5], "label"] = None
        got = feature_map.missing_shares(sample)
        expected = _definition(feature_map, sample)
        assert got == expected
        assert all(got[n] > 0 for n in names[:3]) and got["label"] > 0
        # Complete columns and an empty frame.
        assert feature_map.missing_shares(reference) == dict.fromkeys(got, 0.0)
        assert feature_map.missing_shares(reference.iloc[:0]) == dict.fromkeys(got, 0.0)
