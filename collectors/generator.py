"""One generator sample measured against its fitted reference: features -> every metric.

No storage and no scheduling: the caller reads the sample (``collectors.sources.readers``) and
records the
figures (``monitor.store.database``). Figures use catalog names (:mod:`collectors.metrics.catalog`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from collectors.families import FamilyBuilder, FamilyFigures, FamilyInputs, FigureFamily
from collectors.gates import GateMeasurement, Gates, Task
from collectors.gates.mixing import MixingPlan
from collectors.healthy import (
    HEALTHY_DRAWS,
    MIN_HOLDOUT_ROWS,
    HealthyCache,
    HealthyLevels,
    load_levels,
    measure_healthy,
    save_levels,
)
from collectors.metrics import (
    ReferenceModel,
    RegionStats,
    categorical_tails,
    summarize_tails,
    total_variation,
)
from collectors.metrics.draw_columns import DrawColumns, HoldoutColumns
from collectors.metrics.drift import reference_correlation
from collectors.metrics.missing import calendar_figures, missing_figures, observed_numeric
from collectors.metrics.mmd_reference import MmdReference
from collectors.metrics.tails import TailFrequency
from collectors.sources import FeatureMap
from collectors.sources.entities import entity_count, sample_entities

__all__ = [
    "HEALTHY_DRAWS",
    "HISTOGRAM_BINS",
    "HISTOGRAM_FEATURES",
    "MIN_HOLDOUT_ROWS",
    "GeneratorReference",
    "HealthyLevels",
    "Measurement",
    "measure_healthy",
]

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
    gates: GateMeasurement | None = None  # utility, membership, verdicts (collectors.gates)
    details: dict[str, object] = field(default_factory=dict)  # other run details (text: curves)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per figure family


def _run(family: FigureFamily, sample: pd.DataFrame, source: str) -> tuple[FamilyFigures, float]:
    """One family's figures of ``sample`` and the seconds they took."""
    start = time.perf_counter()
    return family.measure(sample, source=source), time.perf_counter() - start


def _bin_counts(values: np.ndarray, edges: np.ndarray) -> list[int]:
    """Counts of ``values`` in the bins of ``edges``, values beyond them in the end bins."""
    clipped = np.clip(values, edges[0], edges[-1])
    return np.histogram(clipped, bins=edges)[0].astype(int).tolist()


@contextmanager
def timed(timings: dict[str, float], family: str) -> Iterator[None]:
    """Add the seconds the block takes to ``timings[family]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[family] = timings.get(family, 0.0) + time.perf_counter() - start


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
        sample_size: int | None = None,
        healthy_draws: int = HEALTHY_DRAWS,
        gates: bool = False,
        target: str | None = None,
        task: Task | None = None,
        training: pd.DataFrame | None = None,
        healthy_cache: HealthyCache | None = None,
        healthy_key: str | None = None,
        families: Sequence[FamilyBuilder] = (),
        mixing: MixingPlan | None = None,
        entity_column: str | None = None,
        time_column: str | None = None,
    ) -> None:
        # Sequences (issue 28): the entity key is no feature; draws take whole entities.
        self.entity_column = entity_column
        self.time_column = time_column
        self._tail_rho: dict[tuple[str, str], float] = {}  # (feature, side) -> reference's ICC
        # Numeric column -> its histogram's edges and the reference's counts (_histograms).
        self._histogram_reference: dict[int, tuple[np.ndarray, tuple[int, ...]]] = {}
        fit_on = reference
        if feature_map is None and entity_column is not None:
            if columns is None:
                fit_on = reference.drop(columns=entity_column)
            else:
                columns = [c for c in columns if c != entity_column]
        self.feature_map = feature_map or FeatureMap.fit(
            fit_on, columns=columns, categorical=categorical
        )
        self.reference = reference
        real = self.feature_map.transform(reference, source="reference")
        holdout_matrix = (
            None if holdout is None else self.feature_map.transform(holdout, source="holdout")
        )
        # Optional figure families (collectors.families: structure, ...) are fitted in the
        # families' worker thread while this one fits the distance model: their models release
        # the GIL, so on two cores the fit takes about the longer of the two, not their sum
        # (the same fitted families: each build is independent of the distance model).
        self._families_thread: ThreadPoolExecutor | None = None
        inputs = FamilyInputs(
            reference,
            None if holdout is None else holdout.reset_index(drop=True),
            self.feature_map,
            target,
            seed,
            sample_size,
            healthy_draws,
        )
        building = [self._beside().submit(build, inputs) for build in families]
        self.model = ReferenceModel(
            real, k=k, n_regions=n_regions, seed=seed, holdout=holdout_matrix
        )
        # The holdout's rows embedded once (the feature map works row by row): a healthy draw's
        # matrix and numeric columns are their rows (ReferenceModel.share_draws; see _draw).
        self._holdout_matrix = holdout_matrix
        self._holdout_numeric: np.ndarray | None = None
        # The holdout's sorted columns, for the healthy draws' KS and tail counts (prepared on
        # the first draw, released at the first version: see _numeric_rows).
        self._holdout_columns: HoldoutColumns | None = None
        self._holdout_columns_ready = False
        # Raw numeric and datetime columns, NaN where missing (collectors.metrics.missing).
        self.real_numeric, self.numeric_names = self.feature_map.numeric_matrix(
            reference, observed=True
        )
        # The reference's side of the drift and tail figures, once for every sample.
        # Each sorted column contiguous (Fortran order: KS walks columns; the same values).
        self.real_sorted: np.ndarray | None = np.asfortranarray(np.sort(self.real_numeric, axis=0))
        complete = self.real_numeric[np.isfinite(self.real_numeric).all(axis=1)]
        pairs = self.real_numeric.shape[1] > 1 and len(complete) >= 3
        self.real_correlation = reference_correlation(complete) if pairs else None
        self.real_categorical = self.feature_map.categorical_values(reference)
        self.missing_reference = self.feature_map.missing_shares(reference)
        self.missing_holdout = None if holdout is None else self.feature_map.missing_shares(holdout)
        self.seed = seed
        self.holdout = None if holdout is None else holdout.reset_index(drop=True)
        self.sample_size = sample_size
        self.healthy_draws = max(2, int(healthy_draws))
        self._healthy: dict[int, HealthyLevels] = {}
        # The reference's side of the MMD, prepared on first use and shared by every sample
        # (versions and healthy draws): the same figure, its reference block computed once.
        self._mmd: MmdReference | None = None
        # Healthy levels kept between runs (collectors.healthy_cache, the daemon's store) under
        # ``healthy_key`` (collectors.recipe.ReferenceRecipe.key); counted, loaded or measured.
        self.healthy_cache = healthy_cache
        self.healthy_key = healthy_key
        self.healthy_loaded = 0
        self.healthy_measured = 0
        # The gates (collectors.gates): need a holdout; ``training`` defaults to the reference.
        self.gates: Gates | None = None
        if gates and self.holdout is not None:
            self.gates = Gates(
                self.feature_map,
                self.model,
                reference,
                self.holdout,
                training=training,
                target=target,
                task=task,
                draws=self.healthy_draws,
                seed=seed,
                mixing=mixing,  # the mixing sweep of versions with a target (issue 29)
            )
        built = (future.result() for future in building)
        self.families: list[FigureFamily] = [family for family in built if family is not None]

    @property
    def healthy(self) -> HealthyLevels | None:
        """Healthy levels at the configured sample size (the holdout's size when none)."""
        if self.holdout is None:
            return None
        return self.healthy_at(self.sample_size or len(self.holdout))

    def healthy_at(self, sample_rows: int) -> HealthyLevels | None:
        """Healthy levels at ``sample_rows`` rows (once per size; see :class:`HealthyLevels`),
        loaded from ``healthy_cache`` when it holds them for this reference."""
        if self.holdout is None:
            return None
        if sample_rows not in self._healthy and not self._load_healthy(sample_rows):
            self._measure_and_keep(sample_rows)
        return self._healthy[sample_rows]

    def measure_with_healthy(
        self, sample: pd.DataFrame, *, source: str = "sample"
    ) -> tuple[Measurement, HealthyLevels | None]:
        """A version's :meth:`measure` and the healthy levels at its size (:meth:`healthy_at`).

        Where the levels must be measured (neither held nor in the cache), their draws run in a
        worker thread beside the version's own figures: the draws are mostly single-threaded
        numpy and Python, the version's k-NN products take both cores, so on two cores a cold
        version costs less than the two one after the other (issue 26). What both read and
        would otherwise make on first use (the holdout's distance lists and closest-record
        distances, the MMD's reference side, the families' thread) is made first; each draw's
        figures and the version's are the same as one after the other (tested). The
        measurement's ``timings["healthy_levels"]``: the levels' seconds beyond the version's
        own (loading them, or preparing the draws and waiting for them)."""
        size = self.size_of(sample)
        start = time.perf_counter()
        if self.holdout is None or size in self._healthy or self._load_healthy(size):
            healthy = self.healthy_at(size)
            seconds = time.perf_counter() - start
            measurement = self.measure(sample, source=source)
            measurement.timings["healthy_levels"] = seconds
            return measurement, healthy
        if self.entity_column is None:  # draws of whole entities are measured from scratch
            self.model.prepare_draws(self._rows_for(size))
        if self.gates is not None:
            _ = self.gates.holdout_training_distance
        self._mmd_reference()
        self._beside()
        prepared = time.perf_counter() - start
        with ThreadPoolExecutor(1, thread_name_prefix="healthy") as worker:
            levels = worker.submit(self._measure_and_keep, size)
            measurement = self.measure(sample, source=source)
            waiting = time.perf_counter()
            healthy = levels.result()
        # The levels' seconds beyond the version's own: preparing them, and waiting for the draws.
        measurement.timings["healthy_levels"] = prepared + time.perf_counter() - waiting
        return measurement, healthy

    def _load_healthy(self, size: int) -> bool:
        """Whether the levels at ``size`` are in the cache (then held, and counted as loaded)."""
        found = load_levels(self.healthy_cache, self.healthy_key, size)
        if found is None:
            return False
        self._healthy[size] = found
        self.healthy_loaded += 1
        return True

    def _measure_and_keep(self, size: int) -> HealthyLevels:
        """The levels at ``size`` measured, held, saved in the cache and counted as measured."""
        levels = self._measure_with_gates(size)
        save_levels(self.healthy_cache, self.healthy_key, size, levels)
        self._healthy[size] = levels
        self.healthy_measured += 1
        return levels

    def size_of(self, sample: pd.DataFrame) -> int:
        """A sample's size as its healthy levels are keyed: rows, or entities for sequences."""
        if self.entity_column is None:
            return len(sample)
        return entity_count(sample, self.entity_column)

    def _rows_for(self, size: int) -> int:
        """Rows of ``size`` holdout draws: ``size`` rows, or ``size`` entities' mean rows."""
        if self.entity_column is None or self.holdout is None:
            return size
        per_entity = len(self.holdout) / max(1, self.size_of(self.holdout))
        return max(2, round(size * per_entity))

    def _measure_with_gates(self, sample_rows: int) -> HealthyLevels:
        # Each family's own real-vs-real draws run in the families' thread beside the core
        # draws (as a version's family figures do beside its core figures).
        pending = [self._beside().submit(family.healthy, sample_rows) for family in self.families]
        levels = self._measure_healthy(sample_rows)
        # The draws are done: their holdout columns released (prepared again by the draws of
        # another size, if any).
        self._holdout_columns, self._holdout_columns_ready = None, False
        if self.gates is not None:  # the gates' real-vs-real levels and spreads
            gate_levels, gate_spread = self.gates.healthy(self._rows_for(sample_rows))
            levels.update(gate_levels)
            levels.spread.update(gate_spread)
        for future in pending:  # each family's own real-vs-real levels, in the families' order
            part = future.result()
            levels.update(part)
            levels.spread.update(part.spread)
            levels.meta.update(part.meta)
        return levels

    def _measure_healthy(self, m: int) -> HealthyLevels:
        assert self.holdout is not None
        h = self.size_of(self.holdout)
        return measure_healthy(self._draw, h, m, self.seed, self.healthy_draws)

    def _draw(self, rng: np.random.Generator, m: int, replacement: bool) -> dict[str, float]:
        assert self.holdout is not None
        if self.entity_column is not None:  # m whole entities
            seed = int(rng.integers(2**63 - 1))
            drawn = sample_entities(
                self.holdout, self.entity_column, m, seed, replacement=replacement
            )
            return self.measure(drawn, source="holdout", details=False).figures
        rows = np.sort(rng.choice(len(self.holdout), size=m, replace=replacement))
        sample = self.holdout.iloc[rows].reset_index(drop=True)
        return self.measure(sample, source="holdout", details=False, holdout_rows=rows).figures

    def measure(
        self,
        sample: pd.DataFrame,
        *,
        source: str = "sample",
        details: bool = True,
        holdout_rows: np.ndarray | None = None,
    ) -> Measurement:
        """Every metric of ``sample`` against the reference (``details``: a version's
        histograms and figure families too; the healthy draws pass False, the families
        measuring their own levels). ``holdout_rows``: ``sample`` is these holdout rows (a
        healthy draw): its k-NN figures come from the holdout's shared distance lists
        (:meth:`ReferenceModel.evaluate_draw`, the same figures).

        ``timings`` of the result: seconds per figure family (features, fidelity: PRDC,
        alpha/beta, regions and DCR on the k-NN engine; gates; drift and tails; mmd; histograms).
        """
        timings: dict[str, float] = {}
        rows = holdout_rows if self.model.share_draws else None
        # The figure families run beside the core figures, in a worker thread (their models
        # release the GIL): on two cores a version takes less than the sum of both.
        families = self.families if details else []
        pending = [(f, self._beside().submit(_run, f, sample, source)) for f in families]
        with timed(timings, "features"):
            if rows is not None and self._holdout_matrix is not None:
                matrix = self._holdout_matrix[rows]
            else:
                matrix = self.feature_map.transform(sample, source=source)
        with timed(timings, "fidelity"):
            if holdout_rows is None:
                fidelity = self.model.evaluate(matrix, name=source)
            else:
                fidelity = self.model.evaluate_draw(matrix, holdout_rows, name=source)
        figures = fidelity.as_dict()
        gated = None
        if self.gates is not None:  # verdicts; utility probe and attack on versions only
            with timed(timings, "gates"):
                gated = self.gates.measure(sample, matrix, fidelity, probes=details)
            figures.update(gated.figures)
        with timed(timings, "drift_tails"):
            numeric_rows, drawn = self._numeric_rows(rows)
            figures_drift = self._drift_tails(sample, figures, numeric_rows, drawn)
        numeric, categorical, per_feature = figures_drift
        with timed(timings, "mmd"):
            figures["mmd"] = self._mmd_reference()(matrix - self.model.centre)
        clean = {key: float(v) for key, v in figures.items() if np.isfinite(v)}
        histograms: dict[str, dict[str, object]] = {}
        if details:
            with timed(timings, "histograms"):
                histograms = self._histograms(numeric, categorical, per_feature)
        extra: dict[str, object] = {}
        for family, future in pending:
            part, timings[family.name] = future.result()
            clean.update(part.figures)
            for name, values in part.per_feature.items():
                per_feature.setdefault(name, {}).update(values)
            extra.update(part.details)
        per_feature = {
            name: {key: float(v) for key, v in values.items() if np.isfinite(v)}
            for name, values in per_feature.items()
        }
        return Measurement(
            clean, per_feature, fidelity.regions, histograms, gated, extra, timings=timings
        )

    def _mmd_reference(self) -> MmdReference:
        """The reference's side of the MMD, prepared on first use."""
        if self._mmd is None:
            self._mmd = MmdReference(self.model.real, seed=self.seed)
        return self._mmd

    def _beside(self) -> ThreadPoolExecutor:
        """The worker thread the figure families run in (one per reference, made on first use)."""
        if self._families_thread is None:
            self._families_thread = ThreadPoolExecutor(1, thread_name_prefix="families")
        return self._families_thread

    def _numeric_rows(
        self, rows: np.ndarray | None
    ) -> tuple[np.ndarray | None, DrawColumns | None]:
        """The holdout's raw numeric columns (NaN where missing) at ``rows`` (None: no rows),
        and on complete columns the draw's KS and tail counts for :meth:`_drift_tails`, from the
        holdout's sorted columns (:class:`collectors.metrics.draw_columns.HoldoutColumns`,
        prepared on the first draw): no sort per draw, the same figures."""
        if rows is None or self.holdout is None:
            return None, None
        if self._holdout_numeric is None:
            self._holdout_numeric, _ = self.feature_map.numeric_matrix(self.holdout, observed=True)
        numeric = self._holdout_numeric[rows]
        if not self._holdout_columns_ready and self.real_sorted is not None:  # the first draw
            self._holdout_columns_ready = True
            self._holdout_columns = HoldoutColumns.prepare(self.real_sorted, self._holdout_numeric)
        if self._holdout_columns is None:
            return numeric, None
        return numeric, self._holdout_columns.draw(rows)

    def _drift_tails(
        self,
        sample: pd.DataFrame,
        figures: dict[str, float],
        numeric: np.ndarray | None = None,
        drawn: DrawColumns | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, dict[str, float]]]:
        """Per-feature drift and tails (figures added to ``figures``): the sample's numeric
        matrix (``numeric``: given, as a healthy draw's rows of the holdout's; ``drawn``: that
        draw's KS and tail counts from the holdout's sorted columns), its categorical labels and
        the per-feature figures."""
        per_feature: dict[str, dict[str, float]] = {}
        if numeric is None:
            numeric, _ = self.feature_map.numeric_matrix(sample, observed=True)
        numeric_tails: list[TailFrequency] = []
        if self.numeric_names:
            # On observed values per column where cells are missing; exact on complete data.
            ks, numeric_tails, correlation = observed_numeric(
                self.real_numeric,
                numeric,
                self.numeric_names,
                real_sorted=self.real_sorted,
                real_correlation=self.real_correlation,
                draw=drawn,
            )
            if np.isfinite(ks).any():
                figures["ks_statistic_max"] = float(np.nanmax(ks))
            for name, value in zip(self.numeric_names, ks, strict=True):
                per_feature.setdefault(name, {})["ks_statistic"] = float(value)
            for tail in numeric_tails:
                if tail.q == 0.01:
                    entry = per_feature.setdefault(tail.feature, {})
                    entry["tail_frequency_ratio_lower"] = tail.lower_ratio
                    entry["tail_frequency_ratio_upper"] = tail.upper_ratio
                    entry.update(tail.share_figures())
            if correlation is not None:
                figures["correlation_difference"] = correlation
            if self.entity_column is not None:  # issue 28: tails of whole-entity samples
                self._tail_design_effects(sample, numeric, numeric_tails, per_feature)
        categorical = self.feature_map.categorical_values(sample)
        categorical_results = []
        for name, labels in categorical.items():
            real_labels = self.real_categorical[name]
            tails = categorical_tails(real_labels, labels, feature=name)
            categorical_results.append(tails)
            tv = total_variation(real_labels, labels)
            entry = per_feature.setdefault(name, {})
            entry["total_variation"] = tv
            entry["categories_lost"] = float(tails.lost_categories)
            entry["rare_category_mass"] = tails.synthetic_rare_mass
            if self.entity_column is not None and tails.rare_categories:  # issue 28
                entry["rare_design_effect"] = self._rare_design_effect(
                    name, real_labels, labels, tails.rare_categories, sample
                )
            figures["total_variation_max"] = max(figures.get("total_variation_max", 0.0), tv)
        figures.update(summarize_tails(numeric_tails, categorical_results))
        # Missing shares and datetime calendar/range figures (collectors.metrics.missing). A
        # draw of a holdout with no missing cell has none either: every share 0.0.
        held = self.missing_holdout
        if drawn is not None and held is not None and not any(held.values()):
            shares = dict.fromkeys(held, 0.0)
        else:
            shares = self.feature_map.missing_shares(sample)
        for name, entry in missing_figures(
            self.missing_reference, shares, self.missing_holdout
        ).items():
            per_feature.setdefault(name, {}).update(entry)
        if any(shares.values()):
            figures["missing_share_max"] = max(shares.values())
        for column in self.feature_map.columns:
            if column.kind == "datetime":
                j = self.numeric_names.index(column.name)
                per_feature.setdefault(column.name, {}).update(
                    calendar_figures(self.real_numeric[:, j], numeric[:, j])
                )
        return numeric, categorical, per_feature

    def _tail_design_effects(
        self,
        sample: pd.DataFrame,
        numeric: np.ndarray,
        tails: list[TailFrequency],
        per_feature: dict[str, dict[str, float]],
    ) -> None:
        """Per tested tail side, ``tail_design_effect_<side>``: Kish's design effect of the
        sample's tail share, its rows drawn as whole entities, with the intra-class correlation
        of the reference's rows beyond the threshold (computed once per side); the tail checks
        divide row counts by it (:mod:`collectors.sequences.clustering`)."""
        from collectors.sequences.clustering import tail_design_effect, tail_intraclass_correlation

        assert self.entity_column is not None
        real_groups = self.reference[self.entity_column].to_numpy()
        groups = sample[self.entity_column].to_numpy()
        cache = self._tail_rho
        for tail in tails:
            entry = per_feature.get(tail.feature, {})
            j = self.numeric_names.index(tail.feature)
            for side, threshold in (
                ("lower", tail.lower_threshold),
                ("upper", tail.upper_threshold),
            ):
                if tail.q != 0.01 or f"tail_share_{side}" not in entry:
                    continue
                if (tail.feature, side) not in cache:
                    cache[(tail.feature, side)] = tail_intraclass_correlation(
                        self.real_numeric[:, j], real_groups, threshold, side
                    )
                rho = cache[(tail.feature, side)]
                entry[f"tail_design_effect_{side}"] = tail_design_effect(rho, numeric[:, j], groups)

    def _rare_design_effect(
        self,
        name: str,
        real_labels: object,
        labels: object,
        rare: tuple[object, ...],
        sample: pd.DataFrame,
    ) -> float:
        """Kish's design effect of the sample's rare-category mass of ``name``, its rows drawn as
        whole entities: the intra-class correlation of the reference's rows in a rare category
        (computed once per column) at the sample's entity sizes (as the tails)."""
        from collectors.sequences.clustering import cluster_sizes, design_effect
        from collectors.sequences.clustering import intraclass_correlation as icc

        assert self.entity_column is not None
        key = (name, "rare")
        if key not in self._tail_rho:
            is_rare = np.isin(np.asarray(real_labels, dtype=object), np.asarray(rare, dtype=object))
            groups = self.reference[self.entity_column].to_numpy()
            self._tail_rho[key] = icc(is_rare, groups) if len(groups) == len(is_rare) else 0.0
        groups = sample[self.entity_column].to_numpy()
        return design_effect(self._tail_rho[key], cluster_sizes(groups))

    def _reference_histogram(self, column: int) -> tuple[np.ndarray, tuple[int, ...]]:
        """The edges of numeric column ``column``'s histogram (equal width over the reference's
        0.5 %..99.5 % range of its observed values) and the reference's counts in them: the
        reference's side, computed once per column and kept for every version."""
        kept = self._histogram_reference.get(column)
        if kept is None:
            real = self.real_numeric[:, column]
            real = real[np.isfinite(real)]  # observed values
            low, high = np.quantile(real, [0.005, 0.995])
            if not high > low:
                low, high = low - 0.5, high + 0.5
            edges = np.linspace(low, high, HISTOGRAM_BINS + 1)
            kept = self._histogram_reference[column] = (edges, tuple(_bin_counts(real, edges)))
        return kept

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
                edges, reference_counts = self._reference_histogram(column)
                values = numeric[:, column]
                out[name] = {
                    "kind": "numeric",
                    "edges": edges.tolist(),
                    "reference": list(reference_counts),
                    "sample": _bin_counts(values[np.isfinite(values)], edges),
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
