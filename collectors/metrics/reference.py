"""A real reference fitted once, against which every synthetic sample is measured.

Fitting computes what depends on the real data alone (centre, k-NN radii, regions, the holdout's
distances to closest record) once per reference, so each new generator version costs only its own
k-NN radii and one real x synthetic pass, from which every metric is read:
precision/recall/density/coverage and their clipped forms, alpha-precision/beta-recall/
authenticity, per-region coverage and the distance to closest record (DCR).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from collectors.knn import CrossCounts, KnnEngine, Radii
from collectors.knn.draws import HoldoutDraws, list_lengths
from collectors.metrics.alphabeta import AlphaBeta, alpha_beta_from_counts, reference_alpha_radii
from collectors.metrics.fidelity import (
    PRDC,
    TieMode,
    clipped_coverage_calibration,
    clipped_radius_sq,
    prdc_from_counts,
    resolve_ties,
)
from collectors.metrics.regions import RegionStats, fit_regions, region_stats
from collectors.sources import as_matrix, check_k

__all__ = ["DCR", "FidelityResult", "ReferenceModel", "distance_to_closest_record"]

DCR_QUANTILE = 0.05


@dataclass(frozen=True)
class DCR:
    """Distance to closest record: the memorisation check (SDMetrics DCR; Alaa et al. sec. 3.3).

    ``close_share``: share of synthetic points closer to a real training record than the holdout's
    5th percentile (about 0.05 when the generator does not copy). ``median_ratio``: median
    synthetic DCR over median holdout DCR (about 1; towards 0 means copies).
    """

    close_share: float
    median_ratio: float
    synthetic_distance: np.ndarray

    def as_dict(self) -> dict[str, float]:
        return {"dcr_close_share": self.close_share, "dcr_median_ratio": self.median_ratio}


def distance_to_closest_record(synthetic_distance: np.ndarray, holdout_distance: np.ndarray) -> DCR:
    """Compare synthetic and holdout distances to their closest real training record."""
    threshold = np.quantile(holdout_distance, DCR_QUANTILE)
    holdout_median = float(np.median(holdout_distance))
    ratio = float(np.median(synthetic_distance) / holdout_median) if holdout_median > 0 else np.nan
    return DCR(float(np.mean(synthetic_distance < threshold)), ratio, synthetic_distance)


@dataclass(frozen=True)
class FidelityResult:
    """All distance-based figures of one synthetic sample."""

    prdc: PRDC
    alpha_beta: AlphaBeta
    regions: RegionStats
    dcr: DCR | None
    # Each real row's exact distance to its nearest sample row, from the BLAS cross pass (the
    # engine's float64 recomputation: the bits of a nearest search; None on the KD-tree, whose
    # distances are computed otherwise, and for healthy draws): the membership attack's
    # members are real rows (collectors.gates.membership).
    real_nearest_distance: np.ndarray | None = None

    def as_dict(self) -> dict[str, float]:
        """Scalar figures by catalog name."""
        figures = {**self.prdc.as_dict(), **self.alpha_beta.as_dict()}
        figures["worst_region_coverage"] = self.regions.worst_coverage
        figures["worst_region_rows"] = float(self.regions.worst_rows)
        if self.dcr is not None:
            figures.update(self.dcr.as_dict())
        return figures


class ReferenceModel:
    """The real reference, prepared once; :meth:`evaluate` measures a synthetic sample."""

    # Draws of holdout rows (healthy levels) share the holdout's distance lists
    # (:meth:`evaluate_draw`); False (on an instance, or here for every model) measures every
    # draw from scratch, as before (the same figures; benchmarks compare the two).
    share_draws: bool = True

    def __init__(
        self,
        real: np.ndarray,
        *,
        k: int = 5,
        n_regions: int = 20,
        seed: int = 0,
        holdout: np.ndarray | None = None,
        ties: TieMode = "auto",
        engine: KnnEngine | None = None,
    ) -> None:
        real = as_matrix(real, "real")
        check_k(k, {"real": real.shape[0]})
        self.k = k
        self.ties = ties
        self.engine = engine or KnnEngine()
        self.centre = real.mean(axis=0)
        self.real = real - self.centre
        self.tolerance = self.engine.tolerance_sq(self.real)
        self.radii: Radii = self.engine.radii(self.real, k, tolerance_sq=self.tolerance)
        self.clipped = clipped_radius_sq(self.radii)
        self.labels = fit_regions(self.real, n_regions, seed, k=k)
        self.alpha_radii = reference_alpha_radii(self.real)  # shared by every sample
        self._calibration: dict[int, np.ndarray] = {}
        self.holdout: np.ndarray | None = None  # centred, for draws of holdout rows
        if holdout is not None:
            self.holdout = self._prepare(holdout, "holdout")
        self._holdout_distance: np.ndarray | None = None  # on first use (holdout_distance)
        self._draws: HoldoutDraws | None = None  # built on the first draw (evaluate_draw)

    @property
    def holdout_distance(self) -> np.ndarray | None:
        """Each holdout row's distance to its closest real record (the DCR's yardstick), None
        without a holdout. Computed on first use: the first column of the shared draws' lists
        when the healthy draws built them first (:class:`HoldoutDraws`: the same exact nearest
        squared distance, so the same bits; no pass of its own), else one nearest-row pass."""
        if self._holdout_distance is None and self.holdout is not None:
            if self._draws is not None:
                self._holdout_distance = np.sqrt(self._draws.near_real_sq[:, 0])
            else:
                nearest = self.engine.nearest(self.holdout, self.real)
                self._holdout_distance = nearest.distances[:, 0]
        return self._holdout_distance

    @property
    def dim(self) -> int:
        return self.real.shape[1]

    def _prepare(self, sample: np.ndarray, name: str) -> np.ndarray:
        array = as_matrix(sample, name)
        if array.shape[1] != self.dim:
            raise ValueError(
                f"dimension mismatch: real has {self.dim} features, {name} has {array.shape[1]}"
            )
        check_k(self.k, {name: array.shape[0]})
        return array - self.centre

    def _curve(self, m: int) -> np.ndarray:
        curve = self._calibration.get(m)
        if curve is None:  # one size kept; read from the local (another thread may swap sizes)
            curve = clipped_coverage_calibration(self.real.shape[0], m, self.k)
            self._calibration = {m: curve}
        return curve

    def evaluate(self, synthetic: np.ndarray, *, name: str = "synthetic") -> FidelityResult:
        """Every distance-based metric of ``synthetic`` against the reference (one cross pass)."""
        sample = self._prepare(synthetic, name)
        sample_radii = self.engine.radii(sample, self.k, tolerance_sq=self.tolerance)
        tie_aware = resolve_ties(self.ties, self.radii, sample_radii)
        counts = self.engine.cross(
            self.real, self.radii, sample, sample_radii, self.clipped, tie_aware=tie_aware
        )
        result = self._result(sample, counts, tie_aware)
        if self.engine.resolve_backend(self.dim) != "blas":
            return result
        return replace(result, real_nearest_distance=counts.real_nearest_distance)

    def evaluate_draw(
        self, synthetic: np.ndarray, rows: np.ndarray, *, name: str = "holdout"
    ) -> FidelityResult:
        """:meth:`evaluate` of ``synthetic`` = the holdout's ``rows`` (ascending, repeats
        allowed: a healthy-level draw), equal bit for bit, its k-NN radii and ball counts
        assembled from the holdout's distance lists computed once
        (:class:`collectors.knn.draws.HoldoutDraws`) instead of a pass of its own. Measured from
        scratch when the rows are not the holdout's, the draw holds too small a share of the
        holdout for the lists to pay, the backend is the KD-tree, or :attr:`share_draws` is off.
        """
        sample = self._prepare(synthetic, name)
        draws = self._draws_for(np.asarray(rows), sample)
        if draws is None:
            return self.evaluate(synthetic, name=name)
        draw = draws.draw(rows)
        tie_aware = resolve_ties(self.ties, self.radii, draw)
        return self._result(sample, draws.cross(draw, tie_aware=tie_aware), tie_aware)

    def prepare_draws(self, rows: int) -> None:
        """Compute now the holdout's distance lists that draws of ``rows`` holdout rows would
        build on the first draw (nothing where they are measured from scratch), and so the
        holdout's closest-record distances: for a caller that measures the draws in one thread
        and a sample in another, both then read what is already there (the same figures)."""
        lengths = self._list_lengths(rows)
        if lengths is not None:
            self._lists(lengths)
            _ = self.holdout_distance

    def _draws_for(self, rows: np.ndarray, sample: np.ndarray) -> HoldoutDraws | None:
        """The shared lists long enough for a draw of ``rows`` (built or extended here), or
        None where the draw is measured from scratch (see :meth:`evaluate_draw`)."""
        holdout = self.holdout
        lengths = self._list_lengths(rows.shape[0])
        if holdout is None or lengths is None:
            return None
        if rows.ndim != 1 or rows.shape[0] != sample.shape[0] or np.any(np.diff(rows) < 0):
            return None
        if rows.size and (rows[0] < 0 or rows[-1] >= holdout.shape[0]):
            return None
        if not np.array_equal(sample, holdout[rows]):
            return None
        return self._lists(lengths)

    def _list_lengths(self, m: int) -> tuple[int, int, int] | None:
        """The shared lists' lengths for draws of ``m`` holdout rows, or None where such draws
        are measured from scratch: no holdout, lists that would not pay, the KD-tree backend,
        :attr:`share_draws` off."""
        if (
            not self.share_draws
            or self.holdout is None
            or self.engine.resolve_backend(self.dim) != "blas"
        ):
            return None
        return list_lengths(self.real.shape[0], self.holdout.shape[0], m, self.k)

    def _lists(self, lengths: tuple[int, int, int]) -> HoldoutDraws:
        """The shared lists at least ``lengths`` long: one set for every draw size so far,
        built or extended here."""
        assert self.holdout is not None
        if self._draws is None or not self._draws.covers(lengths):
            if self._draws is not None:
                lc, la, lb = self._draws.lengths
                lengths = (max(lengths[0], lc), max(lengths[1], la), max(lengths[2], lb))
            self._draws = HoldoutDraws(
                self.engine, self.real, self.radii, self.clipped, self.holdout, lengths
            )
        return self._draws

    def _result(self, sample: np.ndarray, counts: CrossCounts, tie_aware: bool) -> FidelityResult:
        """The figures of ``sample`` (centred) from its ball counts against the reference."""
        m = sample.shape[0]
        prdc = prdc_from_counts(
            self.radii,
            counts,
            tie_aware=tie_aware,
            clipped_sq=self.clipped,
            calibration=self._curve(m),
        )
        alpha_beta = alpha_beta_from_counts(
            self.real, sample, self.radii, counts, alpha_radii=self.alpha_radii
        )
        regions = region_stats(self.labels, prdc.real_covered, prdc.real_ball_synthetic, self.k, m)
        dcr = None
        holdout_distance = self.holdout_distance
        if holdout_distance is not None:
            dcr = distance_to_closest_record(counts.synthetic_nearest_distance, holdout_distance)
        return FidelityResult(prdc, alpha_beta, regions, dcr)
