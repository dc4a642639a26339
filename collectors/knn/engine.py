"""Exact k-nearest-neighbour search and ball counts, bounded in memory.

Every fidelity metric reduces to three distance products: real x real (real k-NN radii),
synthetic x synthetic (synthetic radii) and real x synthetic (which balls hold which points). The
reference ``prdc`` package materialises all three as float64 matrices (about 16 N^2 bytes). Here
each product is computed block by block with BLAS and consumed at once by a fused kernel
(:mod:`collectors.knn.kernels`) while the block is still in cache, and each product is computed
exactly once. The two self products are symmetric: only their upper half (the blocks on and above
the diagonal) is computed, each block feeding the k-NN candidates of both its rows and its
columns, so the three products cost as much BLAS work as two.

Memory. Nothing of size N x M (or N x N) is ever held. Beyond its inputs the engine needs one
product block per thread (at most 256 x 2048 entries: 2 MiB in float32, 4 MiB in float64; fewer
rows when ``memory_budget_bytes`` divided by the number of threads is smaller), float32 copies of
the inputs, and per-point arrays: O((N + M) d) + O((N + M) k) + O(M) per thread (the self
search keeps a candidate list per point and thread, (k + 8) x 12 bytes), linear in the data.
Measured for ``collectors.metrics.fidelity.prdc`` at N = M = 10,000, d = 64 on 2 threads: about 23
MiB
peak above the baseline (see ``benchmarks/README.md``).

Exactness. Products may be computed in float32 (twice the BLAS speed). Every comparison whose
outcome float32 rounding could change is recomputed exactly in float64 from the rows, and k-NN
candidate lists are verified complete (or the row is rescanned exactly), so both precisions give
the same neighbours (exact ties in index order), radii, counts and nearest points, equal to direct
float64 computation.

Ties. Tabular data (one-hot categoricals, repeated values) puts several points at exactly the same
distance; the reference's strict ``<`` then collapses every metric towards 0 (prdc issue #7). The
engine counts, for each point, the neighbours strictly inside its radius (``below``) and those tied
at it (``ties``, within a relative tolerance). :class:`Radii` turns those into a boundary weight:
the probability that a new point at exactly the radius would fall inside the ball had the ties been
broken by an infinitesimal random jitter, ``(k - below) / (ties + 1)``. On continuous data there are
no ties, the boundary has measure zero and the results equal the reference's strict ``<``.

Backends: ``blas`` (blocked products + fused kernels, any dimension; the default) and ``tree``
(scikit-learn's KD-tree, exact; far less work in low dimension). ``auto`` picks the tree for
``d <= tree_max_dim`` and BLAS otherwise. A GPU backend would implement the same three methods.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from types import ModuleType
from typing import Literal

import numpy as np
from threadpoolctl import ThreadpoolController

from collectors.knn import kernels as _kernels
from collectors.knn.types import CrossCounts, Neighbours, Radii, membership_probability

Backend = Literal["auto", "blas", "tree"]
Precision = Literal["float32", "float64"]

__all__ = [
    "CrossCounts",
    "KnnEngine",
    "Neighbours",
    "Radii",
    "blas_thread_counts",
    "preserving_blas_threads",
    "single_threaded_blas",
]

_CANDIDATE_MARGIN = 8
# Largest product block (rows x columns) one thread computes and post-processes at a time: small
# enough to stay in cache between the BLAS product and the kernel that reads it (256 x 2048
# float32 = 2 MiB per thread), large enough that each BLAS call stays efficient.
_ROW_BLOCK = 256
_COL_BLOCK = 2048
_EPS = {"float32": float(np.finfo(np.float32).eps), "float64": float(np.finfo(np.float64).eps)}


def _tree_backend() -> ModuleType:
    """The KD-tree backend, imported on first use (it loads scikit-learn: start-up time)."""
    from collectors.knn import tree

    return tree


@functools.cache
def _blas_threads() -> ThreadpoolController:
    """The process's thread pools, found once: scanning the loaded libraries takes about 10 ms,
    which ``threadpool_limits`` would repeat on every call."""
    return ThreadpoolController()


def single_threaded_blas() -> AbstractContextManager[object]:
    """A context in which BLAS runs on one thread (threadpoolctl): for products too small to
    gain from BLAS threads, which on a loaded machine spin against the other work (measured on
    2 shared cores: the MMD's blocks 1.5-2.9x faster, a 5,000 x 64 correlation 2-7x)."""
    return _blas_threads().limit(limits=1, user_api="blas")


def blas_thread_counts() -> dict[str, int]:
    """Each loaded BLAS library's thread count, by its file (:func:`preserving_blas_threads`)."""
    return {
        str(entry["filepath"]): int(entry["num_threads"])
        for entry in _blas_threads().info()
        if entry["user_api"] == "blas"
    }


@contextmanager
def preserving_blas_threads() -> Iterator[None]:
    """Leave BLAS's thread counts as found. Limits taken and restored in several threads (the
    engine's, scikit-learn's k-means', the families' thread's) can interleave so that one
    restores another's one thread; and the OpenBLAS here (0.3.30, 0.3.31) ignores a count set
    from a thread other than the main one (measured), so a limit restored from a worker thread
    is lost. A public call
    that runs threads (``tailwatch.evaluate``) puts the counts back, from its caller's thread,
    for the caller's own numpy work."""
    found = blas_thread_counts()
    try:
        yield
    finally:
        if blas_thread_counts() != found:
            for library in _blas_threads().lib_controllers:
                if library.filepath in found:
                    library.set_num_threads(found[library.filepath])


def _outputs(n: int, keep: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A k-NN search's results for ``n`` rows: squared distances, indices, below, ties."""
    return (
        np.empty((n, keep)),
        np.empty((n, keep), dtype=np.int64),
        np.empty(n, dtype=np.int64),
        np.empty(n, dtype=np.int64),
    )


def _check_count(m: int, points: int) -> None:
    """A neighbour count must lie in [1, points]: past the points there is no m-th nearest."""
    if not 1 <= m <= points:
        raise ValueError(
            f"cannot find the {m} nearest of {points} points (need 1 <= m <= {points})"
        )


class KnnEngine:
    """Exact k-NN radii, nearest neighbours and ball counts; see the module docstring."""

    def __init__(
        self,
        backend: Backend = "auto",
        precision: Precision = "float32",
        memory_budget_bytes: int = 64 * 2**20,
        tree_max_dim: int = 4,
        tie_tolerance: float = 1e-9,
    ) -> None:
        if backend not in ("auto", "blas", "tree"):
            raise ValueError(f"backend must be 'auto', 'blas' or 'tree', got {backend!r}")
        if precision not in _EPS:
            raise ValueError(f"precision must be 'float32' or 'float64', got {precision!r}")
        if memory_budget_bytes < 2**20:
            raise ValueError("memory_budget_bytes must be at least 1 MiB")
        self.backend = backend
        self.precision = precision
        self.memory_budget_bytes = int(memory_budget_bytes)
        self.tree_max_dim = tree_max_dim
        self.tie_tolerance = tie_tolerance

    # -- choice of backend -------------------------------------------------------------------
    def resolve_backend(self, dim: int) -> Literal["blas", "tree"]:
        """The backend used for data of dimension ``dim``."""
        if self.backend == "auto":
            return "tree" if dim <= self.tree_max_dim else "blas"
        return self.backend

    def tolerance_sq(self, *arrays: np.ndarray) -> float:
        """Absolute tie tolerance on squared distances, relative to the data's spread."""
        scale = max(float(np.mean(np.einsum("ij,ij->i", a, a))) for a in arrays)
        return self.tie_tolerance * max(scale, np.finfo(np.float64).tiny)

    def _dtype(self) -> type[np.floating]:
        return np.float32 if self.precision == "float32" else np.float64

    # -- public operations --------------------------------------------------------------------
    def radii(self, points: np.ndarray, k: int, *, tolerance_sq: float | None = None) -> Radii:
        """k-NN radii of ``points`` among themselves (a point is not its own neighbour).

        ``points`` must be finite float64 (centre it first: it improves float32 accuracy).
        """
        tol = self.tolerance_sq(points) if tolerance_sq is None else tolerance_sq
        if self.resolve_backend(points.shape[1]) == "tree":
            dist_sq, index, below, ties = _tree_backend().self_knn(points, k, tol)
        else:
            dist_sq, index, below, ties = self._knn_blas(points, points, k, True, tol)
        neighbours = Neighbours(np.sqrt(dist_sq), index, dist_sq)
        return Radii(
            k, neighbours.distances[:, k - 1], dist_sq[:, k - 1], below, ties, neighbours, tol
        )

    def nearest(self, queries: np.ndarray, points: np.ndarray, m: int = 1) -> Neighbours:
        """The ``m`` nearest ``points`` of each query row (exact distances)."""
        _check_count(m, points.shape[0])
        tol = self.tolerance_sq(points)
        if self.resolve_backend(points.shape[1]) == "tree":
            dist_sq, index = _tree_backend().cross_knn(queries, points, m)
        else:
            dist_sq, index, _, _ = self._knn_blas(queries, points, m, False, tol)
        return Neighbours(np.sqrt(dist_sq), index, dist_sq)

    def mutual_nearest(
        self, a: np.ndarray, b: np.ndarray, m_a: int, m_b: int
    ) -> tuple[Neighbours, Neighbours]:
        """``nearest(a, b, m_a)`` and ``nearest(b, a, m_b)``, equal bit for bit, from one pass
        over the distances between ``a`` and ``b`` (the BLAS backend computes each product block
        once and feeds both its rows' and its columns' candidates: :meth:`_mutual_knn_blas`)."""
        _check_count(m_a, b.shape[0])
        _check_count(m_b, a.shape[0])
        if self.resolve_backend(a.shape[1]) == "tree":
            return self.nearest(a, b, m_a), self.nearest(b, a, m_b)
        a_sq, a_index, b_sq, b_index = self._mutual_knn_blas(a, b, m_a, m_b)
        return (
            Neighbours(np.sqrt(a_sq), a_index, a_sq),
            Neighbours(np.sqrt(b_sq), b_index, b_sq),
        )

    def cross(
        self,
        real: np.ndarray,
        real_radii: Radii,
        synthetic: np.ndarray,
        synthetic_radii: Radii,
        real_clipped_sq: np.ndarray,
        *,
        tie_aware: bool,
    ) -> CrossCounts:
        """Ball memberships between ``real`` and ``synthetic`` (one pass over their distances).

        With ``tie_aware`` False every ball is open (strict ``<``), as in Naeem et al. and the
        reference code; with it True, points at a radius count with the boundary weight.
        """
        if tie_aware:
            tol = max(real_radii.tolerance, synthetic_radii.tolerance)
            real_weight = real_radii.boundary_weight
            synthetic_weight = synthetic_radii.boundary_weight
        else:
            tol = 0.0
            real_weight = np.zeros_like(real_radii.radius)
            synthetic_weight = np.zeros_like(synthetic_radii.radius)
        args = (
            real,
            synthetic,
            real_radii.radius_sq,
            real_weight,
            real_clipped_sq,
            synthetic_radii.radius_sq,
            synthetic_weight,
            tol,
        )
        if self.resolve_backend(real.shape[1]) == "tree":
            return _tree_backend().cross(*args)
        return self._cross_blas(*args)

    # -- BLAS backend ---------------------------------------------------------------------------
    # Work is split into row blocks processed by one Python thread per core; each thread runs a
    # single-threaded BLAS product and then a nogil numba kernel on its own block, so both cores
    # stay busy without BLAS threads spinning against the kernels.
    def _workers(self) -> int:
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)

    def _row_blocks(self, rows: int, cols: int) -> tuple[list[tuple[int, int]], int]:
        itemsize = np.dtype(self._dtype()).itemsize
        col_block = min(cols, _COL_BLOCK)
        per_worker = self.memory_budget_bytes // self._workers()
        row_block = int(min(_ROW_BLOCK, max(16, per_worker // (itemsize * col_block))))
        blocks = [(r0, min(rows, r0 + row_block)) for r0 in range(0, rows, row_block)]
        return blocks, col_block

    @staticmethod
    def _product(left: np.ndarray, right: np.ndarray, buffer: np.ndarray) -> np.ndarray:
        """``left @ right.T`` into the front of a thread's reused scratch buffer (C-contiguous)."""
        out = buffer[: left.shape[0] * right.shape[0]].reshape(left.shape[0], right.shape[0])
        return np.matmul(left, right.T, out=out)

    def _run(self, task, items: list) -> list:
        workers = self._workers()
        with single_threaded_blas():
            if workers == 1 or len(items) == 1:
                return [task(item) for item in items]
            with ThreadPoolExecutor(max_workers=workers) as pool:
                return list(pool.map(task, items))

    def _knn_blas(
        self, queries: np.ndarray, points: np.ndarray, keep: int, exclude_self: bool, tol: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if exclude_self and points is queries:
            return self._self_knn_blas(points, keep, tol)
        dtype = self._dtype()
        n_q, dim = queries.shape
        n_p = points.shape[0]
        n_cand = min(keep + _CANDIDATE_MARGIN, n_p - (1 if exclude_self else 0))
        q_low = queries.astype(dtype, copy=False)
        p_low = q_low if points is queries else points.astype(dtype, copy=False)
        q_norms = np.einsum("ij,ij->i", q_low, q_low)
        p_norms = q_norms if points is queries else np.einsum("ij,ij->i", p_low, p_low)
        guard_coefficient = 4.0 * (dim + 4) * _EPS[self.precision]
        p_max = float(p_norms.max())
        out_sq = np.empty((n_q, keep))
        out_index = np.empty((n_q, keep), dtype=np.int64)
        out_below = np.empty(n_q, dtype=np.int64)
        out_ties = np.empty(n_q, dtype=np.int64)
        blocks, col_block = self._row_blocks(n_q, n_p)

        scratch = threading.local()  # each thread's product buffer, reused over its blocks

        def task(block: tuple[int, int]) -> None:
            r0, r1 = block
            best_sq = np.full((r1 - r0, n_cand), np.inf, dtype=dtype)
            best_index = np.full((r1 - r0, n_cand), -1, dtype=np.int64)
            buffer = getattr(scratch, "buffer", None)
            if buffer is None:
                buffer = scratch.buffer = np.empty(blocks[0][1] * col_block, dtype=dtype)
            for c0 in range(0, n_p, col_block):
                c1 = min(n_p, c0 + col_block)
                products = self._product(q_low[r0:r1], p_low[c0:c1], buffer)
                _kernels.topk_block(
                    products, q_norms[r0:r1], p_norms, r0, c0, exclude_self, best_sq, best_index
                )
            guard = guard_coefficient * (q_norms[r0:r1].astype(np.float64) + p_max)
            _kernels.refine_topk(
                queries[r0:r1],
                points,
                r0,
                exclude_self,
                best_sq.astype(np.float64),
                best_index,
                guard,
                keep,
                tol,
                out_sq[r0:r1],
                out_index[r0:r1],
                out_below[r0:r1],
                out_ties[r0:r1],
            )

        self._run(task, blocks)
        return out_sq, out_index, out_below, out_ties

    def _self_knn_blas(
        self, points: np.ndarray, keep: int, tol: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """k-NN of ``points`` among themselves from the upper half of X X^T only.

        Row block ``[r0, r1)`` is multiplied by the points ``[r0, n)`` alone; each product block
        feeds the candidate lists of its rows and of its columns
        (``_kernels.topk_symmetric_block``), so every pair's product is computed once, not twice.
        First every row block's diagonal square (its points among themselves), which gives each
        point a full list and a finite bound before the column role starts; then the rest. A
        column's list is updated by whichever thread holds the block, so each thread has its own
        lists (linear memory: points x candidates per thread), bounded by one shared array of
        per-point bounds; they are merged, then refined exactly.
        """
        dtype = self._dtype()
        n, dim = points.shape
        n_cand = min(keep + _CANDIDATE_MARGIN, n - 1)
        low = points.astype(dtype, copy=False)
        norms = np.einsum("ij,ij->i", low, low)
        guard_coefficient = 4.0 * (dim + 4) * _EPS[self.precision]
        p_max = float(norms.max())
        blocks, col_block = self._row_blocks(n, n)
        row_block = blocks[0][1]
        workers = self._workers()
        lists_sq = np.full((workers, n, n_cand), np.inf, dtype=dtype)
        lists_index = np.full((workers, n, n_cand), -1, dtype=np.int64)
        bound = np.full(n, np.inf, dtype=dtype)  # shared by the threads
        lock = threading.Lock()
        free = list(range(workers))  # lists not in use (at most ``workers`` tasks at a time)
        scratch = threading.local()  # each thread's product buffer

        def task(item: tuple[int, int, int]) -> None:
            r0, r1, c_start = item
            buffer = getattr(scratch, "buffer", None)
            if buffer is None:
                buffer = scratch.buffer = np.empty(row_block * col_block, dtype=dtype)
            with lock:
                slot = free.pop()
            try:
                c_stop = r1 if c_start == r0 else n  # the diagonal square, or the rest
                for c0 in range(c_start, c_stop, col_block):
                    c1 = min(c_stop, c0 + col_block)
                    products = self._product(low[r0:r1], low[c0:c1], buffer)
                    _kernels.topk_symmetric_block(
                        products, norms, r0, c0, lists_sq[slot], lists_index[slot], bound
                    )
            finally:
                with lock:
                    free.append(slot)

        self._run(task, [(r0, r1, r0) for r0, r1 in blocks])
        self._run(task, [(r0, r1, r1) for r0, r1 in blocks if r1 < n])
        out = _outputs(n, keep)
        guard = (guard_coefficient, norms, p_max)
        self._refine_merged(lists_sq, lists_index, points, points, True, guard, keep, tol, out)
        return out

    def _mutual_knn_blas(
        self, a: np.ndarray, b: np.ndarray, keep_a: int, keep_b: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each row of ``a``'s ``keep_a`` nearest rows of ``b`` and each row of ``b``'s
        ``keep_b`` nearest rows of ``a`` from the products ``a b^T`` computed once.

        Row block ``[r0, r1)`` of ``a`` is multiplied by every column block of ``b``; each product
        block feeds the block's own candidate lists (rows: nearest points of ``b``, refined at
        the end of the task as in :meth:`_knn_blas`) and the thread's lists of its columns
        (nearest points of ``a``, bounded by one shared array of per-point bounds as in
        :meth:`_self_knn_blas`), merged over the threads, then refined. Each direction is refined
        exactly as :meth:`nearest` refines it (same exact distances, tolerance and guards), and a
        refined list is the exact ``keep`` nearest by (distance, index) whatever the candidates
        were, so both equal :meth:`nearest`'s bit for bit. Memory beyond :meth:`_knn_blas`: the
        column lists, rows of ``b`` x (``keep_b`` + 8) x 12 bytes per thread.
        """
        dtype = self._dtype()
        n_a, dim = a.shape
        n_b = b.shape[0]
        cand_a = min(keep_a + _CANDIDATE_MARGIN, n_b)
        cand_b = min(keep_b + _CANDIDATE_MARGIN, n_a)
        a_low = a.astype(dtype, copy=False)
        b_low = b.astype(dtype, copy=False)
        a_norms = np.einsum("ij,ij->i", a_low, a_low)
        b_norms = np.einsum("ij,ij->i", b_low, b_low)
        guard_coefficient = 4.0 * (dim + 4) * _EPS[self.precision]
        a_max, b_max = float(a_norms.max()), float(b_norms.max())
        tol_a, tol_b = self.tolerance_sq(a), self.tolerance_sq(b)  # as nearest's: its points'
        out_a_sq = np.empty((n_a, keep_a))
        out_a_index = np.empty((n_a, keep_a), dtype=np.int64)
        blocks, col_block = self._row_blocks(n_a, n_b)
        workers = self._workers()
        lists_sq = np.full((workers, n_b, cand_b), np.inf, dtype=dtype)
        lists_index = np.full((workers, n_b, cand_b), -1, dtype=np.int64)
        bound = np.full(n_b, np.inf, dtype=dtype)  # shared by the threads
        lock = threading.Lock()
        free = list(range(workers))  # column lists not in use
        scratch = threading.local()  # each thread's product buffer

        def task(block: tuple[int, int]) -> None:
            r0, r1 = block
            best_sq = np.full((r1 - r0, cand_a), np.inf, dtype=dtype)
            best_index = np.full((r1 - r0, cand_a), -1, dtype=np.int64)
            buffer = getattr(scratch, "buffer", None)
            if buffer is None:
                buffer = scratch.buffer = np.empty(blocks[0][1] * col_block, dtype=dtype)
            with lock:
                slot = free.pop()
            try:
                for c0 in range(0, n_b, col_block):
                    c1 = min(n_b, c0 + col_block)
                    products = self._product(a_low[r0:r1], b_low[c0:c1], buffer)
                    _kernels.topk_cross_block(
                        products, a_norms[r0:r1], b_norms, r0, c0, best_sq, best_index,
                        lists_sq[slot], lists_index[slot], bound,
                    )  # fmt: skip
            finally:
                with lock:
                    free.append(slot)
            guard = guard_coefficient * (a_norms[r0:r1].astype(np.float64) + b_max)
            _kernels.refine_topk(
                a[r0:r1], b, r0, False, best_sq.astype(np.float64), best_index, guard, keep_a,
                tol_b, out_a_sq[r0:r1], out_a_index[r0:r1], np.empty(r1 - r0, dtype=np.int64),
                np.empty(r1 - r0, dtype=np.int64),
            )  # fmt: skip

        self._run(task, blocks)
        out_b = _outputs(n_b, keep_b)
        guard_b = (guard_coefficient, b_norms, a_max)
        self._refine_merged(lists_sq, lists_index, b, a, False, guard_b, keep_b, tol_a, out_b)
        return out_a_sq, out_a_index, out_b[0], out_b[1]

    def _refine_merged(
        self,
        lists_sq: np.ndarray,
        lists_index: np.ndarray,
        rows: np.ndarray,
        points: np.ndarray,
        same: bool,
        guard: tuple[float, np.ndarray, float],
        keep: int,
        tol: float,
        out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ) -> None:
        """The threads' candidate lists of each of ``rows`` (nearest ``points``) merged, then
        refined exactly into ``out`` (squared distances, indices, below, ties), block by block.
        ``guard``: (coefficient, the rows' low-precision norms, the points' largest norm)."""
        coefficient, norms, largest = guard
        out_sq, out_index, out_below, out_ties = out
        n_cand = lists_sq.shape[2]

        def refine(block: tuple[int, int]) -> None:
            r0, r1 = block
            cand_sq = np.empty((r1 - r0, n_cand), dtype=np.float64)
            cand_index = np.empty((r1 - r0, n_cand), dtype=np.int64)
            _kernels.merge_candidates(lists_sq, lists_index, r0, cand_sq, cand_index)
            bound = coefficient * (norms[r0:r1].astype(np.float64) + largest)
            _kernels.refine_topk(
                rows[r0:r1], points, r0, same, cand_sq, cand_index, bound, keep, tol,
                out_sq[r0:r1], out_index[r0:r1], out_below[r0:r1], out_ties[r0:r1],
            )  # fmt: skip

        self._run(refine, self._row_blocks(rows.shape[0], points.shape[0])[0])

    def _cross_shards(self, n: int, m: int) -> tuple[list[list[tuple[int, int]]], int]:
        """The real row blocks of a ``n`` x ``m`` cross pass as the threads take them (block
        ``b`` to thread ``b mod workers``), and the column block."""
        blocks, col_block = self._row_blocks(n, m)
        workers = self._workers()
        return [blocks[w::workers] for w in range(workers) if blocks[w::workers]], col_block

    def cross_row_shards(self, n: int, m: int) -> np.ndarray:
        """The shard (thread) of each real row in a ``n`` x ``m`` cross pass of the BLAS backend.

        A synthetic point's per-ball sums (density, precision) are added up row by row within
        each shard, then over the shards in order (:meth:`cross`): whoever rebuilds them from
        per-pair weights (:mod:`collectors.knn.draws`) adds in this order to get the same bits.
        """
        shards, _ = self._cross_shards(n, m)
        out = np.empty(n, dtype=np.int64)
        for s, shard in enumerate(shards):
            for r0, r1 in shard:
                out[r0:r1] = s
        return out

    def _cross_blas(
        self,
        real: np.ndarray,
        synthetic: np.ndarray,
        real_radius_sq: np.ndarray,
        real_weight: np.ndarray,
        real_clipped_sq: np.ndarray,
        synthetic_radius_sq: np.ndarray,
        synthetic_weight: np.ndarray,
        tol: float,
    ) -> CrossCounts:
        dtype = self._dtype()
        n, dim = real.shape
        m = synthetic.shape[0]
        x_low = real.astype(dtype, copy=False)
        y_low = synthetic.astype(dtype, copy=False)
        x_norms_low = np.einsum("ij,ij->i", x_low, x_low)
        y_norms_low = np.einsum("ij,ij->i", y_low, y_low)
        x_norms = x_norms_low.astype(np.float64)
        y_norms = y_norms_low.astype(np.float64)
        guard_coefficient = 4.0 * (dim + 4) * _EPS[self.precision]
        # Fast-path thresholds of cross_block: the largest guard a row or a column can have, and
        # ``slack``, which covers the rounding of the test in the products' dtype.
        x_max, y_max = float(x_norms.max()), float(y_norms.max())
        real_guard = guard_coefficient * (x_norms + y_max) + tol
        synthetic_guard = guard_coefficient * (x_max + y_norms) + tol
        slack = 16.0 * _EPS[self.precision] * (x_max + y_max)
        row_stats = np.zeros((n, 3))
        row_nearest_sq = np.full(n, np.inf)
        row_nearest_index = np.full(n, -1, dtype=np.int64)
        shards, col_block = self._cross_shards(n, m)

        def task(shard: list[tuple[int, int]]) -> tuple[np.ndarray, ...]:
            ball, top, clipped = np.zeros(m), np.zeros(m), np.zeros(m)
            nearest_sq = np.full(m, np.inf)
            nearest_index = np.full(m, -1, dtype=np.int64)
            col_threshold = np.full(m, np.inf, dtype=dtype)  # kept by cross_block
            buffer = np.empty(max(r1 - r0 for r0, r1 in shard) * col_block, dtype=dtype)
            for r0, r1 in shard:
                for c0 in range(0, m, col_block):
                    c1 = min(m, c0 + col_block)
                    products = self._product(x_low[r0:r1], y_low[c0:c1], buffer)
                    _kernels.cross_block(
                        products, real, synthetic, x_norms, y_norms, x_norms_low, y_norms_low,
                        r0, c0, guard_coefficient, real_guard, synthetic_guard, slack,
                        real_radius_sq, real_weight, real_clipped_sq,
                        synthetic_radius_sq, synthetic_weight, tol, col_threshold,
                        ball, top, clipped, nearest_sq, nearest_index,
                        row_stats, row_nearest_sq, row_nearest_index,
                    )  # fmt: skip
            return ball, top, clipped, nearest_sq, nearest_index

        parts = self._run(task, shards)
        syn_ball = np.sum([p[0] for p in parts], axis=0)
        syn_miss = np.sum([p[1] for p in parts], axis=0)
        syn_clipped = np.sum([p[2] for p in parts], axis=0)
        # Each worker's nearest real point of each synthetic one (exact): the closest, then the
        # lowest index, as a single scan would find it.
        nearest_sq = np.stack([p[3] for p in parts])
        nearest_index = np.stack([p[4] for p in parts])
        syn_nearest_sq = nearest_sq.min(axis=0)
        syn_nearest_index = np.where(
            nearest_sq == syn_nearest_sq, nearest_index, np.iinfo(np.int64).max
        ).min(axis=0)
        row_nearest = np.sqrt(row_nearest_sq)
        syn_nearest = np.sqrt(syn_nearest_sq)
        return CrossCounts(
            synthetic_in_real_balls=syn_ball,
            synthetic_in_any_ball=membership_probability(syn_miss),
            synthetic_in_clipped_balls=syn_clipped,
            real_ball_synthetic=row_stats[:, 0].copy(),
            real_ball_covered=membership_probability(row_stats[:, 1]),
            real_recalled=membership_probability(row_stats[:, 2]),
            real_nearest_distance=row_nearest,
            real_nearest_index=row_nearest_index,
            synthetic_nearest_distance=syn_nearest,
            synthetic_nearest_index=syn_nearest_index,
        )
