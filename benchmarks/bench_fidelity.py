"""Speed and memory of the fidelity metrics (PRDC) against the reference, the BLAS floor and faiss.

Run from the repository root::

    python -m benchmarks.bench_fidelity              # everything (about 8 minutes on 2 cores)
    python -m benchmarks.bench_fidelity --quick      # small sizes, a smoke test (< 30 s)
    python -m benchmarks.bench_fidelity --only faiss # one benchmark (repeatable option)

Benchmarks (see benchmarks/README.md for what each one measures and why):

- ``reference``: ``collectors.metrics.fidelity.prdc`` vs the reference ``prdc`` 0.2 package at
  N = M = 10,000, d = 64: time (median of 3, runs alternated, in this process), peak memory above
  baseline (one more run of each in a fresh subprocess); the four values must agree.
- ``tabular``: the same at N = M = 20,000, d = 8 (the auto backend: BLAS, as d > tree_max_dim
  = 4); the other backend (KD-tree) is timed too, and the two backends' values compared.
- ``large``: ours alone at N = M = 100,000, d = 64, in a subprocess: time and peak RSS.
- ``floor``: the bare float32 BLAS products (X X^T, Y Y^T, X Y^T in full, blocked, every core,
  the faster of two threading schemes) that a direct exact method of this kind computes, against
  our total time (interleaved with it at 10k). Ours computes only the upper half of the two
  symmetric self products, so it can come in below this floor.
- ``faiss``: exact k-NN self-search only: ``faiss.IndexFlatL2`` (k + 1 = 6) vs
  ``KnnEngine().radii(points, 5)``, with the agreement of the two answers.

It prints a Markdown table and writes the figures to ``benchmarks/results/fidelity.json``
(``fidelity-quick.json`` with ``--quick``); ``--only`` updates that file's other entries in place.
Numba is warmed up before anything is timed, in every process. Peak memory is read from the kernel
(``VmHWM``, reset with ``/proc/self/clear_refs`` after imports, data creation and warm-up, so only
the measured call counts; ``ru_maxrss`` where that reset is unavailable).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
BENCHMARKS = ("reference", "tabular", "large", "floor", "faiss")
FOUR = ("precision", "recall", "density", "coverage")
K = 5
SEED = 20_251_123
MiB = 2**20
GiB = 2**30


@dataclass(frozen=True)
class Sizes:
    """Problem sizes and repeat counts of one mode (full or quick)."""

    reference_n: int
    reference_d: int
    tabular_n: int
    tabular_d: int
    large_n: int
    large_d: int
    faiss_n: tuple[int, ...]
    floor_fraction: float  # share of the row blocks timed at the large size
    repeats: int
    tabular_reference_repeats: int
    quick: bool = False  # targets are set for the full sizes: not judged in quick mode


FULL = Sizes(10_000, 64, 20_000, 8, 100_000, 64, (10_000, 100_000), 0.1, 3, 2)
QUICK = Sizes(1_500, 64, 1_500, 8, 5_000, 64, (1_500, 5_000), 0.25, 3, 1, quick=True)


# -- data, warm-up, memory --------------------------------------------------------------------
def make_data(n: int, d: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Real: standard normal. Synthetic: the same shifted by 0.1 and scaled by 1.05. float64."""
    rng = np.random.default_rng(seed)
    real = rng.standard_normal((n, d))
    synthetic = rng.standard_normal((n, d))
    synthetic *= 1.05
    synthetic += 0.1
    return real, synthetic


def warm_up() -> None:
    """Compile (or load from cache) every numba kernel and touch both backends on tiny inputs."""
    from collectors.knn import KnnEngine
    from collectors.metrics import prdc

    real, synthetic = make_data(400, 64, seed=1)
    prdc(real, synthetic, K)
    prdc(real[:, :8], synthetic[:, :8], K)
    prdc(real[:, :8], synthetic[:, :8], K, engine=KnnEngine(backend="blas"))
    KnnEngine().radii(real - real.mean(axis=0), K)


def reference_prdc(real: np.ndarray, synthetic: np.ndarray) -> dict[str, float]:
    """The reference package's four values (its progress print silenced)."""
    from prdc import compute_prdc

    with contextlib.redirect_stdout(io.StringIO()):
        values = compute_prdc(real, synthetic, K)
    return {name: float(values[name]) for name in FOUR}


def ours_prdc(real: np.ndarray, synthetic: np.ndarray, engine: Any = None) -> dict[str, float]:
    from collectors.metrics import prdc

    return prdc(real, synthetic, K, engine=engine).as_dict()


def _status_bytes(field: str) -> int | None:
    """A ``VmXXX`` line of /proc/self/status, in bytes (None off Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark to the current RSS (Linux >= 4.0); False if impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def current_rss() -> int:
    rss = _status_bytes("VmRSS")
    if rss is None:
        import psutil

        rss = psutil.Process().memory_info().rss
    return rss


def peak_rss() -> int:
    peak = _status_bytes("VmHWM")
    if peak is None:
        scale = 1 if sys.platform == "darwin" else 1024
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    return peak


def cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# -- subprocess worker -------------------------------------------------------------------------
def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One measured call in this fresh process: time, baseline RSS and peak RSS during the call.

    The baseline is taken after imports, data creation and warm-up, so the peak above it is the
    memory the call itself needs.
    """
    job, n, d = spec["job"], int(spec["n"]), int(spec["d"])
    if job == "ours":
        warm_up()
        call: Callable[[np.ndarray, np.ndarray], dict[str, float]] = ours_prdc
    elif job == "reference":
        reference_prdc(*make_data(200, d, seed=1))
        call = reference_prdc
    else:
        raise ValueError(f"unknown worker job {job!r}")
    real, synthetic = make_data(n, d)
    gc.collect()
    exact_peak = reset_peak_rss()
    baseline = current_rss()
    start = time.perf_counter()
    values = call(real, synthetic)
    elapsed = time.perf_counter() - start
    peak = peak_rss()
    return {
        "job": job,
        "n": n,
        "d": d,
        "seconds": elapsed,
        "baseline_rss_bytes": baseline,
        "peak_rss_bytes": peak,
        "peak_above_baseline_bytes": max(0, peak - baseline),
        "peak_method": "VmHWM after clear_refs" if exact_peak else "ru_maxrss (whole process)",
        "values": values,
    }


def run_worker(job: str, n: int, d: int) -> dict[str, Any]:
    """Run :func:`worker` in a fresh interpreter and return its report."""
    spec = json.dumps({"job": job, "n": n, "d": d})
    command = [sys.executable, "-m", "benchmarks.bench_fidelity", "--worker", spec]
    proc = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    reports = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not reports:
        raise RuntimeError(f"worker {spec} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(reports[-1].removeprefix("RESULT "))


# -- timing ----------------------------------------------------------------------------------
@dataclass
class Timing:
    median: float
    samples: list[float]
    result: Any  # of the last call
    results: list[Any]  # of every call


def time_alternating(calls: dict[str, tuple[Callable[[], Any], int]]) -> dict[str, Timing]:
    """Time each call ``repeats`` times, interleaving the calls round by round so that slow phases
    of a noisy machine hit all of them alike. Returns the median of each."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    results: dict[str, list[Any]] = {name: [] for name in calls}
    for round_index in range(max(repeats for _, repeats in calls.values())):
        for name, (call, repeats) in calls.items():
            if round_index >= repeats:
                continue
            gc.collect()
            start = time.perf_counter()
            results[name].append(call())
            samples[name].append(time.perf_counter() - start)
    return {
        name: Timing(
            statistics.median(samples[name]), samples[name], results[name][-1], results[name]
        )
        for name in calls
    }


def calls_on_data(n: int, d: int, **repeats: int) -> dict[str, tuple[Callable[[], Any], int]]:
    """Calls for :func:`time_alternating` on fresh data: ``ours`` (default engine), ``ours_blas``
    and ``ours_tree`` (that backend forced) and ``reference``, each with its number of repeats."""
    from collectors.knn import KnnEngine

    real, synthetic = make_data(n, d)
    blas, tree = KnnEngine(backend="blas"), KnnEngine(backend="tree")
    available: dict[str, Callable[[], Any]] = {
        "ours": lambda: ours_prdc(real, synthetic),
        "ours_blas": lambda: ours_prdc(real, synthetic, blas),
        "ours_tree": lambda: ours_prdc(real, synthetic, tree),
        "reference": lambda: reference_prdc(real, synthetic),
    }
    return {name: (available[name], count) for name, count in repeats.items()}


# -- formatting ------------------------------------------------------------------------------
def fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    return f"{seconds:.3g} s" if seconds < 100 else f"{seconds:.0f} s"


def fmt_bytes(size: float | None) -> str:
    if size is None:
        return "n/a"
    return f"{size / GiB:.2f} GiB" if size >= GiB else f"{size / MiB:.0f} MiB"


def fmt_ratio(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}x" if ratio < 10 else f"{ratio:.1f}x"


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else "yes" if ok else "**NO**"


def row(
    benchmark: str,
    measure: str,
    ours: str,
    other: str = "-",
    ratio: str = "-",
    target: str = "-",
    met: bool | None = None,
) -> dict[str, str]:
    return {
        "benchmark": benchmark,
        "measure": measure,
        "ours": ours,
        "other": other,
        "ratio": ratio,
        "target": target,
        "met": verdict(met),
    }


def compare_values(ours: dict[str, float], reference: dict[str, float]) -> dict[str, Any]:
    """Differences of the four values. Equal up to 1e-12 is the same count: the reference
    computes density as (1/k) * mean, we as sum / (k M), which may differ in the last bit."""
    diffs = {name: ours[name] - reference[name] for name in FOUR}
    worst = max(abs(value) for value in diffs.values())
    if worst == 0.0:
        summary = "identical"
    elif worst <= 1e-12:
        summary = f"equal (largest difference {worst:.1e}, last-bit rounding)"
    else:
        listed = ", ".join(f"{name} {ours[name]:.6g} vs {reference[name]:.6g}" for name in FOUR)
        summary = f"DIFFERENT: {listed}"
    return {"equal": worst <= 1e-12, "summary": summary, "differences": diffs}


def size_label(n: int, d: int) -> str:
    return f"N=M={n:,}, d={d}"


# -- the benchmarks --------------------------------------------------------------------------
def bench_reference(sizes: Sizes, context: dict[str, Any]) -> dict[str, Any]:
    """Ours vs the reference package at 10k x 64: time, peak memory, equal values."""
    n, d = sizes.reference_n, sizes.reference_d
    timing = time_alternating(calls_on_data(n, d, ours=sizes.repeats, reference=sizes.repeats))
    gc.collect()  # the data are gone with the calls: the subprocesses get the memory
    memory_ours = run_worker("ours", n, d)
    memory_reference = run_worker("reference", n, d)
    ours_t, reference_t = timing["ours"], timing["reference"]
    context["reference_ours_seconds"] = ours_t.median
    time_ratio = reference_t.median / ours_t.median
    ours_mem = memory_ours["peak_above_baseline_bytes"]
    reference_mem = memory_reference["peak_above_baseline_bytes"]
    memory_ratio = reference_mem / max(ours_mem, 1)
    values = compare_values(ours_t.result, reference_t.result)
    label = f"1. vs prdc 0.2, {size_label(n, d)}"
    rows = [
        row(
            label,
            f"time, median of {sizes.repeats}",
            fmt_seconds(ours_t.median),
            fmt_seconds(reference_t.median),
            fmt_ratio(time_ratio) + " faster",
            ">= 3x",
            time_ratio >= 3,
        ),
        row(
            label,
            "peak memory above baseline (subprocess)",
            fmt_bytes(ours_mem),
            fmt_bytes(reference_mem),
            fmt_ratio(memory_ratio) + " less",
            ">= 10x",
            memory_ratio >= 10,
        ),
        row(label, "P, R, D, C equal (float32 path)", values["summary"], met=values["equal"]),
    ]
    return {
        "n": n,
        "d": d,
        "ours_seconds": ours_t.samples,
        "reference_seconds": reference_t.samples,
        "ours_median_s": ours_t.median,
        "reference_median_s": reference_t.median,
        "time_ratio": time_ratio,
        "memory_ours": memory_ours,
        "memory_reference": memory_reference,
        "memory_ratio": memory_ratio,
        "ours_values": ours_t.result,
        "reference_values": reference_t.result,
        "values": values,
        "rows": rows,
    }


def bench_tabular(sizes: Sizes, context: dict[str, Any]) -> dict[str, Any]:
    """Ours (auto backend, and the other backend for comparison) vs the reference at 20k x 8."""
    from collectors.knn import KnnEngine

    n, d = sizes.tabular_n, sizes.tabular_d
    auto_backend = KnnEngine().resolve_backend(d)
    other_backend = "tree" if auto_backend == "blas" else "blas"
    timing = time_alternating(
        calls_on_data(
            n,
            d,
            ours=sizes.repeats,
            **{f"ours_{other_backend}": sizes.repeats},
            reference=sizes.tabular_reference_repeats,
        )
    )
    ours_t, other_t = timing["ours"], timing[f"ours_{other_backend}"]
    reference_t = timing["reference"]
    ratio = reference_t.median / ours_t.median
    other_ratio = reference_t.median / other_t.median
    values = compare_values(ours_t.result, reference_t.result)
    other_values = compare_values(other_t.result, reference_t.result)
    clipped_auto = ours_t.result["clipped_density"]
    clipped_other = other_t.result["clipped_density"]
    label = f"2. vs prdc 0.2, {size_label(n, d)}"
    reference_runs = f"reference median of {sizes.tabular_reference_repeats}"
    rows = [
        row(
            label,
            f"time, auto backend ({auto_backend}), median of {sizes.repeats}; {reference_runs}",
            fmt_seconds(ours_t.median),
            fmt_seconds(reference_t.median),
            fmt_ratio(ratio) + " faster",
            ">= 10x",
            ratio >= 10,
        ),
        row(
            label,
            f"time, backend='{other_backend}' (for comparison), median of {sizes.repeats}",
            fmt_seconds(other_t.median),
            fmt_seconds(reference_t.median),
            fmt_ratio(other_ratio) + " faster",
        ),
        row(label, f"P, R, D, C equal ({auto_backend})", values["summary"], met=values["equal"]),
        row(
            label,
            f"P, R, D, C equal ({other_backend})",
            other_values["summary"],
            met=other_values["equal"],
        ),
        row(
            label,
            f"clipped density, {auto_backend} vs {other_backend} backend",
            f"{clipped_auto:.6g} vs {clipped_other:.6g}",
            target="equal",
            met=clipped_auto == clipped_other,
        ),
    ]
    return {
        "n": n,
        "d": d,
        "auto_backend": auto_backend,
        "other_backend": other_backend,
        "ours_seconds": ours_t.samples,
        "ours_other_seconds": other_t.samples,
        "reference_seconds": reference_t.samples,
        "ours_median_s": ours_t.median,
        "ours_other_median_s": other_t.median,
        "reference_median_s": reference_t.median,
        "time_ratio": ratio,
        "time_ratio_other": other_ratio,
        "ours_values": ours_t.result,
        "ours_other_values": other_t.result,
        "reference_values": reference_t.result,
        "values": values,
        "other_values": other_values,
        "clipped_density_equal": clipped_auto == clipped_other,
        "rows": rows,
    }


def bench_large(sizes: Sizes, context: dict[str, Any]) -> dict[str, Any]:
    """Ours alone at 100k x 64 in a fresh subprocess: one run, time and peak RSS."""
    n, d = sizes.large_n, sizes.large_d
    report = run_worker("ours", n, d)
    context["large_ours_seconds"] = report["seconds"]
    label = f"3. ours alone, {size_label(n, d)}"
    peak = report["peak_rss_bytes"]
    rows = [
        row(
            label,
            "time, single run (subprocess)",
            fmt_seconds(report["seconds"]),
            target="< 3 min",
            met=report["seconds"] < 180,
        ),
        row(
            label,
            f"peak RSS of the process (above baseline: "
            f"{fmt_bytes(report['peak_above_baseline_bytes'])})",
            fmt_bytes(peak),
            target="< 2 GiB",
            met=peak < 2 * GiB,
        ),
    ]
    return {"n": n, "d": d, "report": report, "rows": rows}


@dataclass(frozen=True)
class FloorScheme:
    """One way of computing the bare products: tile shape, and who runs the threads."""

    name: str
    row_block: int
    col_block: int
    thread_per_core: bool  # one Python thread per core, single-threaded BLAS in each (the
    # engine's scheme); otherwise one caller and BLAS's own threads on every core


def floor_schemes() -> tuple[FloorScheme, ...]:
    from collectors.knn.engine import _COL_BLOCK, _ROW_BLOCK

    return (
        FloorScheme("BLAS threads, 512 x 8192 tiles", 512, 8192, False),
        FloorScheme(
            f"a thread per core, {_ROW_BLOCK} x {_COL_BLOCK} tiles", _ROW_BLOCK, _COL_BLOCK, True
        ),
    )


def blas_products(
    x: np.ndarray, y: np.ndarray, scheme: FloorScheme, fraction: float = 1.0
) -> tuple[float, float, int, int]:
    """Time X X^T, Y Y^T and X Y^T in float32, tile by tile into reused buffers, on every core.
    With ``fraction`` < 1 only every (1/fraction)-th row block is computed and the time is scaled
    up by (row blocks / row blocks timed). Returns (seconds, measured seconds, row blocks timed,
    row blocks in all)."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    stride = max(1, round(1 / fraction))
    tasks = []
    total_blocks = 0
    for left, right in ((x, x), (y, y), (x, y)):
        starts = range(0, left.shape[0], scheme.row_block)
        total_blocks += len(starts)
        tasks += [(left[r0 : r0 + scheme.row_block], right) for r0 in starts[::stride]]

    def run(shard: list[tuple[np.ndarray, np.ndarray]]) -> None:
        buffer = np.empty(scheme.row_block * scheme.col_block, dtype=np.float32)
        for block, right in shard:
            for c0 in range(0, right.shape[0], scheme.col_block):
                columns = right[c0 : c0 + scheme.col_block]
                out = buffer[: block.shape[0] * columns.shape[0]]
                np.matmul(block, columns.T, out=out.reshape(block.shape[0], columns.shape[0]))

    workers = cores() if scheme.thread_per_core else 1
    shards = [tasks[w::workers] for w in range(workers)]
    with (
        threadpool_limits(limits=1 if scheme.thread_per_core else cores(), user_api="blas"),
        ThreadPoolExecutor(max_workers=workers) as pool,
    ):
        start = time.perf_counter()
        if workers == 1:
            run(shards[0])
        else:
            list(pool.map(run, shards))
        measured = time.perf_counter() - start
    return measured * total_blocks / len(tasks), measured, len(tasks), total_blocks


def _stored_result(path: Path, name: str) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())["benchmarks"].get(name)
    except (OSError, ValueError, KeyError):
        return None


def bench_floor(sizes: Sizes, context: dict[str, Any]) -> dict[str, Any]:
    """The bare float32 BLAS products against our total time, at 10k and 100k x 64.

    The floor is the faster of two schemes (BLAS's own threads on large tiles, or the engine's
    thread per core on its tile shape), each a median. At 10k ours is timed again here, round by
    round with the floor; at 100k ours is benchmark 3's single run.
    """
    from collectors.knn import KnnEngine

    d = sizes.reference_d
    schemes = floor_schemes()
    entries: dict[str, Any] = {}
    rows = []
    warm = np.ones((2 * schemes[0].row_block, d), dtype=np.float32)
    for scheme in schemes:
        blas_products(warm, warm, scheme)  # start the thread pools before timing
    for which, n, fraction in (
        ("reference", sizes.reference_n, 1.0),
        ("large", sizes.large_n, sizes.floor_fraction),
    ):
        real, synthetic = make_data(n, d)
        centre = real.mean(axis=0)
        x = np.ascontiguousarray(real - centre, dtype=np.float32)
        y = np.ascontiguousarray(synthetic - centre, dtype=np.float32)
        calls: dict[str, tuple[Callable[[], Any], int]] = {
            scheme.name: (
                lambda scheme=scheme, x=x, y=y, fraction=fraction: blas_products(
                    x, y, scheme, fraction
                ),
                sizes.repeats,
            )
            for scheme in schemes
        }
        ours_source = "this run"
        if which == "reference":
            engine = KnnEngine()
            calls["ours"] = (
                lambda real=real, synthetic=synthetic, engine=engine: ours_prdc(
                    real, synthetic, engine
                ),
                sizes.repeats,
            )
        timing = time_alternating(calls)
        by_scheme = {
            scheme.name: {
                "floor_seconds": [s[0] for s in timing[scheme.name].results],
                "measured_seconds": [s[1] for s in timing[scheme.name].results],
                "floor_median_s": statistics.median(s[0] for s in timing[scheme.name].results),
                "tile": [scheme.row_block, scheme.col_block],
                "thread_per_core": scheme.thread_per_core,
            }
            for scheme in schemes
        }
        best = min(by_scheme, key=lambda name: by_scheme[name]["floor_median_s"])
        floor = by_scheme[best]["floor_median_s"]
        timed_blocks, total_blocks = timing[best].result[2], timing[best].result[3]
        if which == "reference":
            ours: float | None = timing["ours"].median
            ours_samples: list[float] | None = timing["ours"].samples
            ours_source = f"this benchmark, interleaved with the floor, median of {sizes.repeats}"
        else:
            ours, ours_samples = context.get("large_ours_seconds"), None
            ours_source = "benchmark 3 of this run (1 run)"
            if ours is None:
                stored = _stored_result(context["results_path"], "large")
                if stored is not None and stored.get("n") == n:
                    ours = stored["report"]["seconds"]
                    ours_source = f"stored 'large' result of {stored.get('date', '?')}"
        ratio = None if ours is None else ours / floor
        extrapolated = fraction < 1.0
        how = (
            f"extrapolated from {timed_blocks} of {total_blocks} row blocks, median of "
            f"{sizes.repeats}"
            if extrapolated
            else f"median of {sizes.repeats}"
        )
        others = "; ".join(
            f"{name}: {fmt_seconds(entry['floor_median_s'])}" for name, entry in by_scheme.items()
        )
        entries[which] = {
            "n": n,
            "d": d,
            "schemes": by_scheme,
            "floor_scheme": best,
            "floor_median_s": floor,
            "row_blocks_timed": timed_blocks,
            "row_blocks_total": total_blocks,
            "extrapolated": extrapolated,
            "ours_seconds": ours,
            "ours_samples": ours_samples,
            "ours_source": ours_source,
            "ratio": ratio,
        }
        is_reference = which == "reference"
        rows.append(
            row(
                f"4. BLAS floor, {size_label(n, d)}",
                f"float32 X X^T + Y Y^T + X Y^T in full on {cores()} cores, the faster scheme "
                f"({others}), {how}; ours (upper half of X X^T and Y Y^T only): {ours_source}",
                fmt_seconds(ours),
                fmt_seconds(floor),
                fmt_ratio(ratio) + " of floor" if ratio is not None else "n/a",
                "<= 1.5x" if is_reference else "-",
                (ratio is not None and ratio <= 1.5) if is_reference else None,
            )
        )
        del real, synthetic, x, y, calls, timing
        gc.collect()
    return {**entries, "rows": rows}


def _neighbour_agreement(
    ours_index: np.ndarray,
    ours_radius: np.ndarray,
    faiss_sq: np.ndarray,
    faiss_index: np.ndarray,
) -> dict[str, Any]:
    """Rows where faiss's k neighbours (self removed) differ from ours as a set, and the largest
    relative difference of the k-th distance."""
    n, columns = faiss_index.shape
    rows = np.arange(n)
    is_self = faiss_index == rows[:, None]
    drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), columns - 1)
    keep = np.ones_like(is_self)
    keep[rows, drop] = False
    index = faiss_index[keep].reshape(n, columns - 1)
    distance_sq = faiss_sq[keep].reshape(n, columns - 1).astype(np.float64)
    differ = np.any(np.sort(index, axis=1) != np.sort(ours_index, axis=1), axis=1)
    radius = np.sqrt(np.maximum(distance_sq[:, -1], 0.0))
    relative = np.abs(radius - ours_radius) / np.maximum(ours_radius, np.finfo(float).tiny)
    return {
        "rows_with_different_neighbours": int(differ.sum()),
        "max_relative_radius_difference": float(relative.max()),
    }


def bench_faiss(sizes: Sizes, context: dict[str, Any]) -> dict[str, Any]:
    """Exact k-NN self-search only: faiss IndexFlatL2 (k+1) vs KnnEngine().radii(points, k)."""
    import faiss

    from collectors.knn import KnnEngine

    faiss.omp_set_num_threads(cores())
    d = sizes.reference_d
    warm = np.ones((1000, d), dtype=np.float32)
    index = faiss.IndexFlatL2(d)
    index.add(warm)
    index.search(warm, K + 1)  # start the OpenMP thread pool before timing
    entries: dict[str, Any] = {}
    rows = []
    for n in sizes.faiss_n:
        real, _ = make_data(n, d)
        points = real - real.mean(axis=0)
        points32 = np.ascontiguousarray(points, dtype=np.float32)
        engine = KnnEngine()

        def run_faiss(points32: np.ndarray = points32) -> tuple[np.ndarray, np.ndarray]:
            index = faiss.IndexFlatL2(points32.shape[1])
            index.add(points32)
            return index.search(points32, K + 1)

        timing = time_alternating(
            {
                "ours": (
                    lambda points=points, engine=engine: engine.radii(points, K),
                    sizes.repeats,
                ),
                "faiss": (run_faiss, sizes.repeats),
            }
        )
        ours_t, faiss_t = timing["ours"], timing["faiss"]
        radii = ours_t.result
        agreement = _neighbour_agreement(
            radii.neighbours.indices, radii.radius, faiss_t.result[0], faiss_t.result[1]
        )
        ratio = ours_t.median / faiss_t.median
        entries[str(n)] = {
            "n": n,
            "d": d,
            "ours_seconds": ours_t.samples,
            "faiss_seconds": faiss_t.samples,
            "ours_median_s": ours_t.median,
            "faiss_median_s": faiss_t.median,
            "ours_over_faiss": ratio,
            "agreement": agreement,
        }
        rows.append(
            row(
                f"5. k-NN self-search vs faiss, {size_label(n, d).replace('N=M', 'N')}",
                f"radii(points, {K}) vs IndexFlatL2 k={K + 1} (float32, {cores()} threads), "
                f"median of {sizes.repeats}; faiss neighbour sets differ from the exact ones "
                f"in {agreement['rows_with_different_neighbours']} rows",
                fmt_seconds(ours_t.median),
                fmt_seconds(faiss_t.median),
                f"ours = {fmt_ratio(ratio)} faiss",
            )
        )
        del real, points, points32, timing, ours_t, faiss_t, radii
        gc.collect()
    return {**entries, "rows": rows}


BENCH_FUNCTIONS: dict[str, Callable[[Sizes, dict[str, Any]], dict[str, Any]]] = {
    "reference": bench_reference,
    "tabular": bench_tabular,
    "large": bench_large,
    "floor": bench_floor,
    "faiss": bench_faiss,
}


# -- driver ----------------------------------------------------------------------------------
def _git_commit() -> str | None:
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return proc.stdout.strip() or None


def machine() -> dict[str, Any]:
    """Where and with what the figures were taken."""
    import numba
    import psutil
    import sklearn
    from threadpoolctl import threadpool_info

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "scikit-learn": sklearn.__version__,
    }
    for module in ("faiss", "prdc"):
        try:
            from importlib.metadata import version

            versions[module] = version("faiss-cpu" if module == "faiss" else module)
        except Exception:
            versions[module] = None
    blas = [
        f"{lib.get('internal_api')} {lib.get('version')} ({lib.get('num_threads')} threads)"
        for lib in threadpool_info()
        if lib.get("user_api") == "blas"
    ]
    return {
        "cpu": cpu,
        "cores": cores(),
        "memory_gib": round(psutil.virtual_memory().total / GiB, 1),
        "platform": platform.platform(),
        "versions": versions,
        "blas": blas,
        "git_commit": _git_commit(),
    }


def print_table(rows: list[dict[str, str]]) -> str:
    header = ["Benchmark", "Measure", "Ours", "Other", "Ratio", "Target", "Met"]
    keys = ["benchmark", "measure", "ours", "other", "ratio", "target", "met"]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(r[key] for key in keys) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (smoke test)")
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--output", type=Path, help="results file (default: benchmarks/results/)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print("RESULT " + json.dumps(worker(json.loads(args.worker))), flush=True)
        return 0

    sizes = QUICK if args.quick else FULL
    names = [name for name in BENCHMARKS if not args.only or name in args.only]
    path = args.output or RESULTS_DIR / ("fidelity-quick.json" if args.quick else "fidelity.json")
    context: dict[str, Any] = {"results_path": path}
    command = "python -m benchmarks.bench_fidelity " + " ".join(argv or sys.argv[1:])
    info = machine()
    print(
        f"{info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB; "
        f"{'quick' if args.quick else 'full'} sizes; benchmarks: {', '.join(names)}",
        flush=True,
    )
    warm_up()
    results: dict[str, Any] = {}
    for name in names:
        print(f"-- {name} ...", flush=True)
        load_before = os.getloadavg()
        start = time.perf_counter()
        result = BENCH_FUNCTIONS[name](sizes, context)
        if sizes.quick:
            for entry in result["rows"]:
                if entry["target"] != "-":
                    entry["target"] += " (full sizes)"
                    entry["met"] = "-"
        result["wall_s"] = time.perf_counter() - start
        result["date"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        result["load_average_before"] = load_before
        result["load_average_after"] = os.getloadavg()
        results[name] = result
        print(print_table(result["rows"]), flush=True)
        print(f"   ({result['wall_s']:.0f} s wall)", flush=True)

    document: dict[str, Any] = {"benchmarks": {}}
    if args.only and path.exists():
        with contextlib.suppress(OSError, ValueError):
            document = json.loads(path.read_text())
    document.setdefault("benchmarks", {}).update(results)
    document["meta"] = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": command.strip(),
        "quick": args.quick,
        **info,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=float) + "\n")

    all_rows = [r for name in names for r in results[name]["rows"]]
    print("\n" + print_table(all_rows))
    print(f"\nfigures written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
