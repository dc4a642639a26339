"""Draws of holdout rows measured from distance lists computed once for the whole holdout.

A healthy-level draw (``collectors.healthy``) is a multiset of holdout rows: without replacement,
or a bootstrap where a row may come several times. Everything the engine finds for a draw
against the reference (:meth:`collectors.knn.engine.KnnEngine.radii` of the draw and
:meth:`~collectors.knn.engine.KnnEngine.cross` against the real rows) depends only on which
holdout rows the draw holds and how often. So :class:`HoldoutDraws` computes, once per holdout:

- each holdout row's sorted list of nearest other holdout rows (the draw's own k-NN radii: a row
  drawn c times has c - 1 copies at distance 0, the others come from the list with their
  multiplicities);
- each holdout row's sorted list of nearest real rows (which real points a drawn point's ball
  holds: recall; its nearest real point: distance to closest record, authenticity);
- each real row's sorted list of nearest holdout rows (its nearest drawn point: beta-recall) and
  every holdout row inside its ball (coverage, density, precision);

the last two from one pass over the holdout x real distances
(:meth:`~collectors.knn.engine.KnnEngine.mutual_nearest`: each product block feeds both),
and each draw's :class:`~collectors.knn.types.CrossCounts` and radii are assembled from them with
its multiplicities (:mod:`collectors.knn.draw_kernels`) in a few milliseconds. Where a list is too
short for a draw (a radius or a ball reaching past its last entry, no drawn row in it) that row is
redone by an exact scan, so the result never depends on the lists' lengths.

Exactness: the engine decides every comparison on the exact float64 squared distance of the two
rows (:func:`collectors.knn.kernels.exact_squared_distance`), and so does this module, on the same
rows; the engine's sums (a synthetic point's weights over the real balls, shard by shard; a real
point's over the draw's points, in order) are added here in the same order. The counts are the
engine's bit for bit, ties and tie-aware boundary weights included (tested against
:meth:`KnnEngine.radii` and :meth:`KnnEngine.cross` on real data). BLAS backend only: the KD-tree
backend (low dimension) sums in another order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from collectors.knn import draw_kernels as _dk
from collectors.knn.engine import KnnEngine
from collectors.knn.types import CrossCounts, Radii, membership_probability

__all__ = ["Draw", "HoldoutDraws", "list_lengths"]

MAX_LIST = 512  # longest per-row list kept; draws that would need longer ones are measured anew
MIN_DISTINCT_SHARE = 0.2  # a draw holding fewer distinct holdout rows is measured anew


def list_lengths(n_real: int, n_holdout: int, m: int, k: int) -> tuple[int, int, int] | None:
    """List lengths (holdout-holdout, holdout-real, real-holdout) for draws of ``m`` of
    ``n_holdout`` rows against ``n_real`` real rows, or None when sharing does not pay.

    A draw of m positions holds a share f >= 1 - exp(-m / h) of the distinct holdout rows (with
    or without replacement). A drawn point's k-th nearest drawn point is about its (k h / m)-th
    nearest holdout row, its ball holds about k n / m real rows, a real ball about k h / n
    holdout rows, and a real row's nearest drawn row is about its (1 / f)-th nearest holdout row.
    The lists reach 1.5 to 4 times that plus a margin; the rare row beyond is scanned exactly.
    """
    f = 1.0 - math.exp(-m / n_holdout)
    if f < MIN_DISTINCT_SHARE or n_holdout <= k + 1:
        return None
    lc = math.ceil(1.5 * k * n_holdout / m) + 12
    la = math.ceil(3.0 * k * n_real / m) + 16
    lb = max(math.ceil(2.0 * k * n_holdout / n_real) + 8, math.ceil(4.0 / f) + 4)
    if max(lc, la, lb) > MAX_LIST:
        return None
    return min(lc, n_holdout - 1), min(la, n_real), min(lb, n_holdout)


@dataclass(frozen=True)
class Draw:
    """One draw's multiplicities and its own k-NN radii (indexed by holdout row)."""

    rows: np.ndarray  # (m,) holdout rows, ascending
    counts: np.ndarray  # (h,) times each holdout row is drawn
    distinct: np.ndarray  # holdout rows drawn at least once, ascending
    first_position: np.ndarray  # (h,) position of a row's first copy in ``rows``
    radius_sq: np.ndarray  # (h,) the drawn rows' k-NN radii within the draw (squared)
    below: np.ndarray  # (h,) other drawn points strictly inside the radius band
    ties: np.ndarray  # (h,) other drawn points within the tie tolerance of the radius
    tolerance: float
    scanned: int  # rows whose radius needed an exact scan

    @property
    def has_ties(self) -> bool:
        """:attr:`Radii.has_ties` of the draw's radii."""
        rows = self.distinct
        return bool(np.any(self.ties[rows] > 1) or np.any(self.radius_sq[rows] <= self.tolerance))

    def radius_at_positions(self) -> np.ndarray:
        """The draw's squared radii in draw order (as :meth:`KnnEngine.radii` of the draw)."""
        return self.radius_sq[self.rows]


class HoldoutDraws:
    """The holdout's side of every draw's k-NN figures, computed once (see the module)."""

    def __init__(
        self,
        engine: KnnEngine,
        real: np.ndarray,
        real_radii: Radii,
        real_clipped_sq: np.ndarray,
        holdout: np.ndarray,
        lengths: tuple[int, int, int],
    ) -> None:
        if engine.resolve_backend(real.shape[1]) != "blas":
            raise ValueError("HoldoutDraws follows the BLAS backend's order of sums")
        self.engine = engine
        self.real = real
        self.real_radii = real_radii
        self.real_clipped_sq = real_clipped_sq
        self.holdout = holdout
        self.k = real_radii.k
        self.tolerance = real_radii.tolerance
        self.lengths = lengths
        lc, la, lb = lengths
        own = engine.radii(holdout, lc, tolerance_sq=self.tolerance).neighbours
        self.self_sq, self.self_index = own.squared, own.indices
        # Both directions from one pass over the holdout x real distances (the same lists as
        # ``nearest(holdout, real, la)`` and ``nearest(real, holdout, lb)``, bit for bit).
        to_real, to_holdout = engine.mutual_nearest(holdout, real, la, lb)
        self.near_real_sq, self.near_real_index = to_real.squared, to_real.indices
        self.near_holdout_sq, self.near_holdout_index = to_holdout.squared, to_holdout.indices
        self._members()
        self._columns: dict[tuple[bool, bytes], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def _members(self) -> None:
        """Every holdout row inside each real ball (its radius or clipped radius, plus the tie
        tolerance): from the real row's list where the list reaches past the ball, else by scan."""
        reach = np.maximum(self.real_radii.radius_sq, self.real_clipped_sq) + self.tolerance
        inside = self.near_holdout_sq <= reach[:, None]
        short = inside[:, -1] & (self.near_holdout_sq.shape[1] < self.holdout.shape[0])
        inside[short] = False
        rows, cols = np.nonzero(inside)
        found_h = self.near_holdout_index[rows, cols]
        found_sq = self.near_holdout_sq[rows, cols]
        scan = np.flatnonzero(short)
        extra_i, extra_h, extra_sq = _dk.rows_within(self.real, self.holdout, scan, reach[scan])
        real_row = np.concatenate([rows, extra_i])
        holdout_row = np.concatenate([found_h, extra_h])
        squared = np.concatenate([found_sq, extra_sq])
        order = np.lexsort((holdout_row, real_row))
        self.member_row = np.ascontiguousarray(holdout_row[order])
        self.member_sq = np.ascontiguousarray(squared[order])
        per_row = np.bincount(real_row, minlength=self.real.shape[0])
        self.member_start = np.concatenate([[0], np.cumsum(per_row)]).astype(np.int64)
        self.members_scanned = int(scan.size)

    def covers(self, lengths: tuple[int, int, int]) -> bool:
        """Whether the lists are at least ``lengths`` long."""
        return all(have >= need for have, need in zip(self.lengths, lengths, strict=True))

    def draw(self, rows: np.ndarray) -> Draw:
        """The draw of holdout ``rows`` (ascending, repeats allowed) and its k-NN radii."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size <= self.k or np.any(np.diff(rows) < 0):
            raise ValueError("a draw's rows must be ascending and more than k")
        h = self.holdout.shape[0]
        counts = np.bincount(rows, minlength=h).astype(np.int64)
        distinct = np.flatnonzero(counts).astype(np.int64)
        first = (np.cumsum(counts) - counts).astype(np.int64)
        radius_sq = np.zeros(h)
        below = np.zeros(h, dtype=np.int64)
        ties = np.zeros(h, dtype=np.int64)
        scanned = _dk.draw_radii(
            counts, distinct, self.self_sq, self.self_index, self.holdout, self.k,
            self.tolerance, radius_sq, below, ties,
        )  # fmt: skip
        return Draw(rows, counts, distinct, first, radius_sq, below, ties, self.tolerance, scanned)

    def cross(self, draw: Draw, *, tie_aware: bool) -> CrossCounts:
        """:meth:`KnnEngine.cross` of the reference against the draw, bit for bit."""
        n = self.real.shape[0]
        tol = self.tolerance if tie_aware else 0.0
        if tie_aware:
            real_weight = self.real_radii.boundary_weight
            weight = (self.k - draw.below) / (draw.ties + 1.0)
        else:
            real_weight = np.zeros_like(self.real_radii.radius)
            weight = np.zeros(draw.radius_sq.shape[0])
        recall = np.zeros(n)
        _dk.recall_miss(
            draw.counts, draw.distinct, self.near_real_sq, self.near_real_index, self.holdout,
            self.real, draw.radius_sq, weight, tol, recall,
        )  # fmt: skip
        ball_sum, ball_miss = np.zeros(n), np.zeros(n)
        nearest_sq = np.zeros(n)
        nearest_position = np.zeros(n, dtype=np.int64)
        _dk.real_side(
            draw.counts, draw.first_position, draw.distinct, self.member_start,
            self.member_row, self.member_sq, self.real_radii.radius_sq, real_weight, tol,
            self.near_holdout_sq, self.near_holdout_index, self.holdout, self.real,
            ball_sum, ball_miss, nearest_sq, nearest_position,
        )  # fmt: skip
        ball, miss, clipped = self._column_sums(tie_aware, draw.rows.shape[0])
        rows = draw.rows
        return CrossCounts(
            synthetic_in_real_balls=np.sum(ball[:, rows], axis=0),
            synthetic_in_any_ball=membership_probability(np.sum(miss[:, rows], axis=0)),
            synthetic_in_clipped_balls=clipped[rows],
            real_ball_synthetic=ball_sum,
            real_ball_covered=membership_probability(ball_miss),
            real_recalled=membership_probability(recall),
            real_nearest_distance=np.sqrt(nearest_sq),
            real_nearest_index=nearest_position,
            synthetic_nearest_distance=np.sqrt(self.near_real_sq[rows, 0]),
            synthetic_nearest_index=self.near_real_index[rows, 0].copy(),
        )

    def _column_sums(self, tie_aware: bool, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per holdout row and engine thread: its weights over the real balls (density), their
        log(1 - w) (precision) and its closed clipped balls, summed as a draw of ``m`` rows'
        cross pass sums them (kept per tie mode and thread layout)."""
        shard = self.engine.cross_row_shards(self.real.shape[0], m)
        key = (tie_aware, shard.tobytes())
        if key not in self._columns:
            shards = int(shard.max()) + 1
            h = self.holdout.shape[0]
            ball, miss, clipped = np.zeros((shards, h)), np.zeros((shards, h)), np.zeros(h)
            weight = (
                self.real_radii.boundary_weight
                if tie_aware
                else np.zeros_like(self.real_radii.radius)
            )
            _dk.column_partials(
                self.member_start, self.member_row, self.member_sq, self.real_radii.radius_sq,
                weight, self.real_clipped_sq, self.tolerance if tie_aware else 0.0, shard,
                ball, miss, clipped,
            )  # fmt: skip
            self._columns[key] = (ball, miss, clipped)
        return self._columns[key]
