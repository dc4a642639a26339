"""One generator sample measured against its fitted reference: features -> every metric.

No storage and no scheduling: the caller reads the sample (``collectors.sources``) and records the
figures (``monitor.store``). Figures use catalog names (:mod:`collectors.catalog`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from collectors.drift import correlation_difference, ks_statistics, mmd_rbf, total_variation
from collectors.features import FeatureMap
from collectors.reference import ReferenceModel
from collectors.regions import RegionStats
from collectors.tails import categorical_tails, numeric_tail_frequency, summarize_tails

__all__ = ["HISTOGRAM_BINS", "HISTOGRAM_FEATURES", "GeneratorReference", "Measurement"]

HISTOGRAM_BINS = 30  # equal-width bins over the reference's 0.5 %..99.5 % range
HISTOGRAM_FEATURES = 12  # marginal histograms kept for the most drifted features only
HISTOGRAM_CATEGORIES = 30  # most frequent reference categories; the rest are pooled


@dataclass(frozen=True)
class Measurement:
    """Figures of one sample: scalars by catalog name, per-feature figures, region results."""

    figures: dict[str, float]
    per_feature: dict[str, dict[str, float]]
    regions: RegionStats
    histograms: dict[str, dict[str, object]] = field(default_factory=dict)


class GeneratorReference:
    """A generator's real reference: feature map, fitted distance model and healthy levels."""

    def __init__(
        self,
        reference: pd.DataFrame,
        *,
        holdout: pd.DataFrame | None = None,
        columns: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        k: int = 5,
        n_regions: int = 20,
        seed: int = 0,
        feature_map: FeatureMap | None = None,
    ) -> None:
        self.feature_map = feature_map or FeatureMap.fit(
            reference, columns=columns, categorical=categorical
        )
        self.reference = reference
        real = self.feature_map.transform(reference, source="reference")
        holdout_matrix = (
            None if holdout is None else self.feature_map.transform(holdout, source="holdout")
        )
        self.model = ReferenceModel(
            real, k=k, n_regions=n_regions, seed=seed, holdout=holdout_matrix
        )
        self.real_numeric, self.numeric_names = self.feature_map.numeric_matrix(reference)
        self.real_categorical = self.feature_map.categorical_values(reference)
        self.seed = seed
        self.healthy: Measurement | None = (
            None if holdout is None else self.measure(holdout, source="holdout")
        )

    def measure(self, sample: pd.DataFrame, *, source: str = "sample") -> Measurement:
        """Every metric of ``sample`` against the reference."""
        matrix = self.feature_map.transform(sample, source=source)
        fidelity = self.model.evaluate(matrix, name=source)
        figures = fidelity.as_dict()
        per_feature: dict[str, dict[str, float]] = {}
        numeric, _ = self.feature_map.numeric_matrix(sample)
        numeric_tails = []
        if self.numeric_names:
            numeric_tails = numeric_tail_frequency(
                self.real_numeric, numeric, features=self.numeric_names
            )
            ks = ks_statistics(self.real_numeric, numeric)
            figures["ks_statistic_max"] = float(ks.max())
            for name, value in zip(self.numeric_names, ks, strict=True):
                per_feature.setdefault(name, {})["ks_statistic"] = float(value)
            for tail in numeric_tails:
                if tail.q == 0.01:
                    entry = per_feature.setdefault(tail.feature, {})
                    entry["tail_frequency_ratio_lower"] = tail.lower_ratio
                    entry["tail_frequency_ratio_upper"] = tail.upper_ratio
            if len(self.numeric_names) > 1:
                figures["correlation_difference"] = correlation_difference(
                    self.real_numeric, numeric
                )
        categorical = self.feature_map.categorical_values(sample)
        categorical_results = []
        for name, labels in categorical.items():
            real_labels = self.real_categorical[name]
            categorical_results.append(categorical_tails(real_labels, labels, feature=name))
            tv = total_variation(real_labels, labels)
            per_feature.setdefault(name, {})["total_variation"] = tv
            figures["total_variation_max"] = max(figures.get("total_variation_max", 0.0), tv)
        figures.update(summarize_tails(numeric_tails, categorical_results))
        figures["mmd"] = mmd_rbf(self.model.real, matrix - self.model.centre, seed=self.seed)
        clean = {key: float(v) for key, v in figures.items() if np.isfinite(v)}
        histograms = self._histograms(numeric, categorical, per_feature)
        return Measurement(clean, per_feature, fidelity.regions, histograms)

    def _histograms(
        self,
        numeric: np.ndarray,
        categorical: dict[str, np.ndarray],
        per_feature: dict[str, dict[str, float]],
    ) -> dict[str, dict[str, object]]:
        """Marginal histograms (reference vs sample) of the most drifted features.

        Aggregates only, for reports: numeric features in equal-width bins over the reference's
        0.5 %..99.5 % range (values beyond fall into the end bins; the tail frequency ratio
        covers the tails), categorical features over the most frequent reference categories.
        """

        def drift(name: str) -> float:
            entry = per_feature.get(name, {})
            return entry.get("ks_statistic", entry.get("total_variation", 0.0))

        chosen = sorted(per_feature, key=drift, reverse=True)[:HISTOGRAM_FEATURES]
        out: dict[str, dict[str, object]] = {}
        for name in chosen:
            if name in self.numeric_names:
                column = self.numeric_names.index(name)
                real = self.real_numeric[:, column]
                low, high = np.quantile(real, [0.005, 0.995])
                if not high > low:
                    low, high = low - 0.5, high + 0.5
                edges = np.linspace(low, high, HISTOGRAM_BINS + 1)

                def counts(values: np.ndarray, edges: np.ndarray = edges) -> list[int]:
                    clipped = np.clip(values, edges[0], edges[-1])
                    return np.histogram(clipped, bins=edges)[0].astype(int).tolist()

                out[name] = {
                    "kind": "numeric",
                    "edges": edges.tolist(),
                    "reference": counts(real),
                    "sample": counts(numeric[:, column]),
                }
            elif name in categorical:
                real_labels = pd.Series(self.real_categorical[name]).astype(str)
                sample_labels = pd.Series(categorical[name]).astype(str)
                top = real_labels.value_counts().index[:HISTOGRAM_CATEGORIES].tolist()
                other = "(other)"
                ref = real_labels.where(real_labels.isin(top), other).value_counts()
                syn = sample_labels.where(sample_labels.isin(top), other).value_counts()
                categories = [*top, other]
                out[name] = {
                    "kind": "categorical",
                    "categories": categories,
                    "reference": [int(ref.get(c, 0)) for c in categories],
                    "sample": [int(syn.get(c, 0)) for c in categories],
                }
        return out
