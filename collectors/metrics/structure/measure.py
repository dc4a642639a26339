"""Every structure figure of a version against a real reference, and their healthy levels.

:class:`StructureReference` fixes what does not change between versions (column kinds, the pairs
and their reference dependence, the audited columns, the holdout split, the distance space) and
measures one version (:meth:`StructureReference.measure`) or real holdout draws at a version's
size (:meth:`StructureReference.healthy_at`). The holdout is split once: a *test* third (at most
``max_rows`` rows) that the per-column audits predict (rows no model trains on) and a *pool* that
the healthy draws come from, so that a real-vs-real draw is never scored on its own rows.

Healthy levels (as ``collectors.generator.measure_healthy``, with one difference): ``draws`` draws
without replacement from the pool; the level is their mean and the spread their sample standard
deviation times the finite-population correction 1 / sqrt(1 - m / pool) (Cochran 1977, eq. 2.8).
Unlike the k-NN figures, these figures cannot use bootstrap draws: a row drawn twice lands in a
training fold and a test fold of the detection classifier and is recognised (a real-vs-real AUC
of 0.69 instead of 0.5 at 500 rows), and duplicates inflate Cramér's V and the per-class
coverage. So a draw holds min(m, pool / 2) rows; when that is fewer than the version's m rows
(``at_size`` False) the levels are those of a smaller sample, noisier and lower in coverage,
which makes the band wider (fewer alarms), never narrower: give the holdout 3 x 2 m rows to
measure at the version's size. Pure: frames in, numbers out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from collectors.figure_keys import CATEGORY_SHARE_PREFIX, IMPORTANCE_CHANGE
from collectors.metrics.structure._balls import RealBalls
from collectors.metrics.structure._frame import (
    categorical_mask,
    check_columns,
    codes,
    encode,
    in_content_order,
    labels,
    split_columns,
    standard_embedding,
    taken,
)
from collectors.metrics.structure._native import BinCache
from collectors.metrics.structure.boundary import boundary_coverage, probe_margin, uncertain_rows
from collectors.metrics.structure.categories import (
    CategoryShares,
    category_shares,
    reference_category_counts,
)
from collectors.metrics.structure.classes import (
    ClassCoverage,
    ClassCoverageReference,
    class_figures,
)
from collectors.metrics.structure.conditional import (
    MAX_TARGETS,
    AuditMemo,
    ColumnAudit,
    TargetScreen,
    audit_column,
    screen_targets,
)
from collectors.metrics.structure.detection import FOLDS as DETECTION_FOLDS
from collectors.metrics.structure.detection import DetectionReference, DetectionResult
from collectors.metrics.structure.pairs import (
    MAX_COLUMNS,
    PairDependence,
    pair_dependence,
    selected_dependence,
)

__all__ = [
    "HEALTHY_DRAWS",
    "StructureHealthy",
    "StructureMeasurement",
    "StructureReference",
    "structure_healthy",
]

HEALTHY_DRAWS = 4
MAX_LABEL_COLUMNS = 3  # label columns for per-class coverage when no target is named
MAX_SCREENED = 20  # columns screened as audit targets: those of the strongest real pairs


@dataclass(frozen=True)
class StructureMeasurement:
    """One version's structure figures (by name) and the results behind them."""

    figures: dict[str, float]
    pairs: PairDependence
    detection: DetectionResult | None
    categories: CategoryShares
    audits: tuple[ColumnAudit, ...]
    classes: dict[str, list[ClassCoverage]] = field(default_factory=dict)

    def per_feature(self) -> dict[str, dict[str, float]]:
        """Per-column figures (bounded by the columns): a column's largest pair dependence
        difference, its worst category share ratio and smallest adjusted p (categorical), its
        interaction loss (audited columns) and its lowest class coverage (label columns)."""
        out: dict[str, dict[str, float]] = {}
        for shift in self.pairs.shifts:
            for name in (shift.first, shift.second):
                entry = out.setdefault(name, {})
                previous = entry.get("dependence_difference_max", 0.0)
                entry["dependence_difference_max"] = max(previous, shift.difference)
        for share in self.categories.tested:
            entry = out.setdefault(share.column, {})
            entry["category_share_ratio_min"] = min(
                entry.get("category_share_ratio_min", np.inf), share.ratio
            )
            entry["category_share_p_min"] = min(
                entry.get("category_share_p_min", 1.0), share.adjusted_p_value
            )
        for audit in self.audits:
            entry = out.setdefault(audit.column, {})
            entry["interaction_loss"] = audit.loss
            entry["interaction_loss_ratio"] = audit.loss_ratio
        for column, classes in self.classes.items():
            if classes:
                entry = out.setdefault(column, {})
                entry["class_coverage_min"] = min(c.coverage for c in classes)
        return out

    def check_features(self) -> dict[str, dict[str, float]]:
        """:meth:`per_feature` plus what the checks read per column: each tested category's share
        (``category_share:<category>``; category_share_shift) and, for the worst audited column,
        each feature's finite importance change (``importance_change``; interaction_loss)."""
        out = self.per_feature()
        for share in self.categories.tested:
            key = f"{CATEGORY_SHARE_PREFIX}{share.category}"
            out.setdefault(share.column, {})[key] = float(share.version_share)
        audited = [audit for audit in self.audits if audit.importance_change]
        if audited:
            for name, change in max(audited, key=lambda audit: audit.loss).importance_change:
                if math.isfinite(change):
                    out.setdefault(name, {})[IMPORTANCE_CHANGE] = float(change)
        return out


@dataclass(frozen=True)
class StructureHealthy:
    """Real-vs-real levels and spreads of the figures for versions of ``sample_rows`` rows,
    measured on draws of ``drawn_rows`` pool rows (see the module docstring)."""

    figures: dict[str, float]
    spread: dict[str, float]
    sample_rows: int
    drawn_rows: int
    pool_rows: int
    draws: int

    @property
    def at_size(self) -> bool:
        """Whether the draws had the versions' size."""
        return self.drawn_rows == self.sample_rows


class StructureReference:
    """A reference and its holdout, prepared once, measuring structure figures of versions.

    ``target``: the label column for per-class coverage (when categorical); without one, the first
    :data:`MAX_LABEL_COLUMNS` categorical columns. ``detection``: whether to run the C2ST, on at
    most ``detection_rows`` rows per side (default ``max_rows``).
    """

    def __init__(
        self,
        reference: pd.DataFrame,
        holdout: pd.DataFrame,
        *,
        columns: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        target: str | None = None,
        max_columns: int = MAX_COLUMNS,
        max_pairs: int | None = None,
        max_targets: int = MAX_TARGETS,
        max_rows: int = 2000,
        detection: bool = True,
        detection_rows: int | None = None,
        importance: bool = True,
        seed: int = 0,
        embed: Callable[[pd.DataFrame, str], np.ndarray] | None = None,
    ) -> None:
        self.columns = split_columns(reference, columns=columns, categorical=categorical)
        check_columns(holdout, self.columns, "holdout")
        if len(holdout) < 4:
            raise ValueError(f"holdout: {len(holdout)} rows; the structure figures need 4")
        self.reference = reference.reset_index(drop=True)
        self.seed, self.max_rows = seed, max_rows
        self.detection_rows = max_rows if detection_rows is None else detection_rows
        self.detection, self.importance = detection, importance
        order = np.random.default_rng([seed, 23]).permutation(len(holdout))
        third = min(len(holdout) // 3, max_rows)
        self.test = holdout.iloc[np.sort(order[:third])].reset_index(drop=True)
        self.pool = holdout.iloc[np.sort(order[third:])].reset_index(drop=True)
        self.pairs, self.reference_pairs = selected_dependence(
            self.reference, self.columns, max_columns=max_columns, max_pairs=max_pairs
        )
        self._detection = DetectionReference(
            self.reference, self.columns, max_rows=self.detection_rows, seed=seed
        )
        # The models' category codes (detection, audits, probe): each version is encoded once.
        self.categories = self._detection.categories
        # Model training columns binned once for the screening, the audits and their real sides.
        self._bins = BinCache()
        # The audits' real sides (per column and size): the screening's own models where they
        # are the same fits (every reference row within max_rows).
        self._memo: AuditMemo = {}
        self.targets: list[TargetScreen] = screen_targets(
            self.reference,
            self.test,
            columns=self.columns,
            max_targets=max_targets,
            max_rows=max_rows,
            seed=seed,
            candidates=screening_candidates(self.columns.names, self.pairs, self.reference_pairs),
            bins=self._bins,
            real_sides=self._memo,
        )
        if target is not None and target not in self.columns.names:
            raise ValueError(f"target {target!r} is not among the columns {self.columns.names}")
        if target is not None:
            self.label_columns = [target] if target in self.columns.categorical else []
        else:
            self.label_columns = list(self.columns.categorical[:MAX_LABEL_COLUMNS])
        # Boundary rows: where a real-trained probe of the target is least sure (out of fold).
        self.uncertain: np.ndarray | None = None
        if target is not None and target in self.columns.categorical:
            x = encode(self.reference, self.columns, self.categories, "reference", exclude=target)
            y = codes(labels(self.reference, target), self.categories[target])
            if np.unique(y, return_counts=True)[1].min(initial=2) >= 2 and x.shape[1]:
                mask = categorical_mask(self.columns, exclude=target)
                self.uncertain = uncertain_rows(probe_margin(x, y, mask, seed=seed))
        # The distance space and the reference in it, made here when a coverage figure needs
        # them (then only read by the threads measuring), else on first use: never for a table
        # without a categorical column (at 20k x 64 about 0.05 s for nothing).
        self._embed = embed
        self._real_matrix: np.ndarray | None = None
        if self.label_columns or self.uncertain is not None:
            self._real_matrix = self.real_matrix
        # The real side of the coverage figures, kept for every version (issue 23's cost).
        self._classes = {
            name: ClassCoverageReference(self.real_matrix, labels(self.reference, name))
            for name in self.label_columns
        }
        self._balls: RealBalls | None = None
        self._healthy: dict[tuple[int, int], StructureHealthy] = {}
        # The reference's category counts, tested against every version and healthy draw.
        self._category_counts = reference_category_counts(self.reference, self.columns)

    @property
    def embed(self) -> Callable[[pd.DataFrame, str], np.ndarray]:
        """The coverage figures' distance space (default: :func:`standard_embedding`)."""
        if self._embed is None:
            self._embed = standard_embedding(self.reference, self.columns)
        return self._embed

    @property
    def real_matrix(self) -> np.ndarray:
        """The reference's rows in :attr:`embed`'s space."""
        if self._real_matrix is None:
            self._real_matrix = self.embed(self.reference, "reference")
        return self._real_matrix

    def measure(
        self, version: pd.DataFrame, *, source: str = "version", importance: bool | None = None
    ) -> StructureMeasurement:
        """Every structure figure of ``version`` (see the package docstring)."""
        check_columns(version, self.columns, source)
        # In the order of its values: the seeded draws and folds below then give the same
        # figures whatever order the version's rows were read or sampled in.
        # Its numeric columns read once, for the order, the pairs and the encoding.
        version, numeric = in_content_order(version, self.columns, source)
        pairs = pair_dependence(
            self.reference,
            version,
            columns=self.columns,
            pairs=self.pairs,
            reference_values=self.reference_pairs,
            version_numeric=numeric,
        )
        figures = pairs.figures()
        detect = self.detection and min(len(version), len(self.reference)) >= DETECTION_FOLDS
        # Encoded once for the detection and every audit (not at all when neither runs).
        encoded = (
            encode(version, self.columns, self.categories, source, numeric=numeric)
            if detect or self.targets
            else None
        )
        result = None
        if detect:
            result = self._detection.measure(version, encoded=encoded)
            figures.update(result.figures())
        shares = category_shares(
            self.reference,
            version,
            columns=self.columns,
            reference_counts=self._category_counts,
        )
        figures.update(shares.figures())
        fitted: dict[str, object] = {}  # this version's models, reused for the importance
        audits = [
            audit_column(
                self.reference,
                self.test,
                version,
                screen.column,
                columns=self.columns,
                max_rows=self.max_rows,
                importance=False,
                seed=self.seed,
                memo=self._memo,
                fitted=fitted,
                encoded=encoded,
                bins=self._bins,
            )
            for screen in self.targets
        ]
        if audits and (self.importance if importance is None else importance):
            # Which features' influence changed: for the worst column only (the one a check names).
            worst = max(range(len(audits)), key=lambda i: audits[i].loss)
            audits[worst] = audit_column(
                self.reference,
                self.test,
                version,
                audits[worst].column,
                columns=self.columns,
                max_rows=self.max_rows,
                importance=True,
                seed=self.seed,
                memo=self._memo,
                fitted=fitted,
                encoded=encoded,
                bins=self._bins,
            )
        if audits:
            figures["interaction_loss_max"] = max(a.loss for a in audits)
            figures["interaction_loss_ratio_max"] = max(a.loss_ratio for a in audits)
        classes: dict[str, list[ClassCoverage]] = {}
        boundary = self.uncertain is not None and len(version) > 5
        # The distance space only where a coverage figure needs it (none without a categorical
        # column).
        matrix = self.embed(version, source) if boundary or self.label_columns else None
        if boundary:
            assert matrix is not None and self.uncertain is not None
            if self._balls is None:
                self._balls = RealBalls(self.real_matrix)
            figures["boundary_coverage"] = boundary_coverage(
                self.real_matrix, matrix, self.uncertain, balls=self._balls
            )
        if self.label_columns:
            assert matrix is not None
            for name in self.label_columns:
                classes[name] = self._classes[name].measure(matrix, labels(version, name))
            merged = [entry for entries in classes.values() for entry in entries]
            figures.update(class_figures(merged))
        clean = {key: float(value) for key, value in figures.items() if np.isfinite(value)}
        return StructureMeasurement(clean, pairs, result, shares, tuple(audits), classes)

    def healthy_at(self, sample_rows: int, *, draws: int = HEALTHY_DRAWS) -> StructureHealthy:
        """Real-vs-real levels at ``sample_rows`` rows (cached per size; see the module)."""
        key = (sample_rows, draws)
        if key not in self._healthy:
            self._healthy[key] = structure_healthy(self, sample_rows, draws=draws)
        return self._healthy[key]


def screening_candidates(
    names: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    values: np.ndarray,
    limit: int = MAX_SCREENED,
) -> list[str]:
    """The columns worth screening as audit targets: all of them up to ``limit``, else the
    ``limit`` whose strongest |reference dependence| with another column is largest (a column
    no other column depends on is not predicted well by them either); one model fit each."""
    if len(names) <= limit:
        return list(names)
    strongest = dict.fromkeys(names, 0.0)
    for (a, b), value in zip(pairs, np.abs(np.nan_to_num(values)), strict=True):
        strongest[a] = max(strongest[a], float(value))
        strongest[b] = max(strongest[b], float(value))
    return sorted(names, key=lambda n: (-strongest[n], n))[:limit]


def structure_healthy(
    reference: StructureReference, sample_rows: int, *, draws: int = HEALTHY_DRAWS
) -> StructureHealthy:
    """Levels and spreads of the structure figures over ``draws`` real pool draws of
    ``sample_rows`` rows (see the module docstring)."""
    if sample_rows < 2:
        raise ValueError(f"healthy levels need at least 2 rows per draw, got {sample_rows}")
    draws = max(2, int(draws))
    pool = reference.pool
    drawn = min(sample_rows, len(pool) // 2)
    if drawn < 2:
        raise ValueError(f"holdout: a pool of {len(pool)} rows is too small for healthy levels")
    rng = np.random.default_rng([reference.seed, sample_rows, 7])
    measured = []
    for _ in range(draws):
        rows = np.sort(rng.choice(len(pool), size=drawn, replace=False))
        sample = taken(pool, rows)  # pool.iloc[rows].reset_index(drop=True), one copy
        measured.append(reference.measure(sample, source="holdout", importance=False).figures)
    correction = 1.0 / np.sqrt(1.0 - drawn / len(pool))  # finite population
    levels, spread = {}, {}
    for name in sorted(set().union(*measured)):
        values = [d[name] for d in measured if name in d]
        levels[name] = float(np.mean(values))
        if len(values) > 1:
            spread[name] = float(np.std(values, ddof=1)) * correction
    return StructureHealthy(levels, spread, sample_rows, drawn, len(pool), draws)
