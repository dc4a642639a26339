"""The structure family's cost before and after session 9's changes, alternated in one process
(issue 23's per-version bound, issue 26's 10k x 64 budget).

Run from the repository root::

    python -m benchmarks.bench_structure_wide                  # 10,000 x 64 and Fair, 3 repeats
    python -m benchmarks.bench_structure_wide --bins-only      # shared bins alone: figures equal
    python -m benchmarks.bench_structure_wide --batched-only   # batched binning alone: equal
    python -m benchmarks.bench_structure_wide --rows 2000 --repeats 1 --no-fair

Two settings, alternated so that both see the same load:
- ``before``: every model fit bins its own columns (``_native.SHARE_BINS`` False) and the
  audit and detection models take 20 rounds at a learning rate of 0.2 (the definition before);
- ``after``: shared bins and the models as defined now (``AUDIT_MODEL``, ``DETECTION_MODEL``).
With ``--bins-only`` the two differ in the shared bins alone, and the figures must be equal.
With ``--batched-only`` (session 9, S2) they differ in the binning of a matrix's uncached columns
and the importance's predictions alone: *before* bins them column by column
(:meth:`BinCache.column`), the detection fits with the stock model's ``_BinMapper`` and the
permutation importance predicts every copy, the content order is ``np.lexsort``; *after* bins
them together (:func:`_native.binning_thresholds`), predicts blockwise
(:func:`_native.blockwise`) and sorts the first key's ties only (:func:`_frame.lexsort_first`);
the figures must be equal.

Wide: ``benchmarks.bench_evaluate``'s jittered digit rows (64 numeric columns), a reference of
``--rows`` rows, a holdout of half as many, a version of ``--rows`` rows, the structure family's
default bounds (:class:`StructureOptions`): ``fit`` (the :class:`StructureReference`: pairs,
target screening, holdout split), ``healthy`` (real-vs-real levels at the version's size, 4 pool
draws) and ``warm`` (one version against the prepared reference). Fair (``--no-fair`` skips it):
``benchmarks.bench_structure.per_version``'s daemon measurement of a 2,000-row version without
and with the family, no target; the ratio of the medians is issue 23's bound. Wall and CPU
seconds (``time.process_time``: every thread), medians, the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
import pandas as pd

from benchmarks.bench_evaluate import digit_rows
from benchmarks.bench_structure import SEED, fair, per_version
from collectors.families.structure import StructureOptions
from collectors.metrics.structure import (
    _frame,
    _native,
    conditional,
    detection,
    structure_healthy,
)
from collectors.metrics.structure.conditional import AUDIT_MODEL
from collectors.metrics.structure.detection import DETECTION_MODEL

T = TypeVar("T")
BEFORE_MODEL = {"max_iter": 20, "learning_rate": 0.2}


def _column_by_column(
    self: _native.BinCache, x: np.ndarray, max_bins: int, categories: list[int]
) -> tuple[list[np.ndarray], np.ndarray]:
    """:meth:`BinCache.matrix` as it was before the batched binning: column after column."""
    binned = np.empty(x.shape, dtype=np.uint8, order="F")
    thresholds = []
    for j in range(x.shape[1]):
        edges, codes = self.column(x[:, j], max_bins, categories[j])
        thresholds.append(edges)
        binned[:, j] = codes
    return thresholds, binned


def _stock_detection(mask: np.ndarray, seed: int, x: np.ndarray, y: np.ndarray) -> object:
    """The detection fit as before the batched binning: the stock model's own binning."""
    return _native.hgb_model("classifier", mask, seed, DETECTION_MODEL).fit(x, y)


def _numpy_lexsort(keys: Sequence[np.ndarray]) -> np.ndarray:
    """The content order as before :func:`_frame.lexsort_first`: one sort per key."""
    return np.lexsort(keys[::-1])


@contextmanager
def _every_row(model: object, rows: int) -> Iterator[None]:
    """The importance's predictions as before :func:`_native.blockwise`: every row."""
    yield


@contextmanager
def batched(name: str) -> Iterator[None]:
    """``--batched-only``: *before* bins column by column, detection with the stock binning,
    the importance predicting every row."""
    saved = (
        _native.BinCache.matrix,
        detection._fitted_model,
        conditional.blockwise,
        _frame.lexsort_first,
    )
    if name == "before":
        _native.BinCache.matrix = _column_by_column  # type: ignore[method-assign]
        detection._fitted_model = _stock_detection
        conditional.blockwise = _every_row
        _frame.lexsort_first = _numpy_lexsort
    try:
        yield
    finally:
        _native.BinCache.matrix = saved[0]  # type: ignore[method-assign]
        detection._fitted_model = saved[1]
        conditional.blockwise = saved[2]
        _frame.lexsort_first = saved[3]


@contextmanager
def setting(name: str, bins_only: bool, batched_only: bool = False) -> Iterator[None]:
    """The models and binning of ``name`` (``before`` / ``after``) while inside."""
    if batched_only:
        with batched(name):
            yield
        return
    saved = (_native.SHARE_BINS, dict(AUDIT_MODEL), dict(DETECTION_MODEL))
    if name == "before":
        _native.SHARE_BINS = False
        if not bins_only:
            AUDIT_MODEL.update(BEFORE_MODEL)
            DETECTION_MODEL.update(BEFORE_MODEL)
    try:
        yield
    finally:
        _native.SHARE_BINS = saved[0]
        AUDIT_MODEL.clear()
        AUDIT_MODEL.update(saved[1])
        DETECTION_MODEL.clear()
        DETECTION_MODEL.update(saved[2])


def timed(call: Callable[[], T]) -> tuple[float, float, T]:
    """Wall and CPU seconds of ``call`` and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def wide_once(rows: int) -> tuple[dict[str, tuple[float, float]], dict[str, object]]:
    """Seconds (wall, CPU) of each step on the digit rows, and the figures."""
    real, holdout, version = digit_rows(rows, 1), digit_rows(rows // 2, 2), digit_rows(rows, 3)
    options = StructureOptions()
    wall, cpu, reference = timed(
        lambda: options.reference(real, holdout, columns=list(real.columns), categorical=[])
    )
    steps = {"fit": (wall, cpu)}
    wall, cpu, levels = timed(
        lambda: structure_healthy(reference, len(version), draws=options.healthy_draws)
    )
    steps["healthy"] = (wall, cpu)
    wall, cpu, measured = timed(lambda: reference.measure(version))
    steps["warm"] = (wall, cpu)
    figures: dict[str, object] = {
        "targets": [t.column for t in reference.targets],
        "healthy": levels.figures,
        "spread": levels.spread,
        "version": measured.figures,
    }
    return steps, figures


def fair_split() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``bench_structure``'s Fair reference, holdout and fresh version (2,000 rows each)."""
    table = fair().sample(frac=1.0, random_state=SEED).reset_index(drop=True)
    return (
        table.iloc[:2000].reset_index(drop=True),
        table.iloc[4000:].reset_index(drop=True),
        table.iloc[2000:4000].reset_index(drop=True),
    )


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bins-only", action="store_true")
    parser.add_argument("--batched-only", action="store_true")
    parser.add_argument("--no-fair", action="store_true")
    args = parser.parse_args(argv)
    names = ("before", "after")
    load_before = os.getloadavg()[0]
    seconds: dict[str, dict[str, list[tuple[float, float]]]] = {n: {} for n in names}
    figures: dict[str, dict[str, object]] = {}
    fair_cost: dict[str, dict[str, list[float]]] = {n: {} for n in names}
    split = None if args.no_fair else fair_split()
    for _ in range(args.repeats):
        for name in names:
            with setting(name, args.bins_only, args.batched_only):
                steps, figures[name] = wide_once(args.rows)
                for step, value in steps.items():
                    seconds[name].setdefault(step, []).append(value)
                if split is not None:
                    cost = per_version(*split, repeats=3, target=None)
                    for key, number in cost.items():
                        fair_cost[name].setdefault(key, []).append(number)
    load_after = os.getloadavg()[0]
    print(
        f"\n## Structure family before / after (bins only: {args.bins_only}, batched only: "
        f"{args.batched_only})"
    )
    print(
        f"(load average {load_before:.1f} before, {load_after:.1f} after; medians of "
        f"{args.repeats}, alternated)\n"
    )
    print(f"Digits {args.rows:,} x 64 (holdout {args.rows // 2:,}):\n")
    print("| step | wall before | wall after | CPU before | CPU after |")
    print("|---|---:|---:|---:|---:|")
    for step in ("fit", "healthy", "warm"):
        b, a = seconds["before"][step], seconds["after"][step]
        print(
            f"| {step} | {median([w for w, _ in b]):.2f} | {median([w for w, _ in a]):.2f} "
            f"| {median([c for _, c in b]):.2f} | {median([c for _, c in a]):.2f} |"
        )
    same = figures["before"] == figures["after"]
    print(
        f"\nfigures equal: {same}; audited columns {figures['before']['targets']} -> "
        f"{figures['after']['targets']}"
    )
    for key in ("detection_auc", "interaction_loss_max", "dependence_difference_max"):
        values = [figures[n]["version"].get(key, np.nan) for n in names]  # type: ignore[attr-defined]
        print(f"  {key}: {values[0]:.4f} -> {values[1]:.4f}")
    if split is not None:
        print("\nFair, 2,000 rows, no target, the daemon's per-version measurement:\n")
        print("| setting | without | with | ratio (wall) | CPU without | CPU with | ratio (CPU) |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name in names:
            c = {key: median(values) for key, values in fair_cost[name].items()}
            print(
                f"| {name} | {c['without']:.2f} | {c['with']:.2f} | "
                f"{c['with'] / c['without']:.2f}x | {c['without_cpu']:.2f} | "
                f"{c['with_cpu']:.2f} | {c['with_cpu'] / c['without_cpu']:.2f}x |"
            )
    if args.bins_only and not same:
        raise SystemExit("figures differ with shared bins")
    if args.batched_only and not same:
        raise SystemExit("figures differ with the batched binning")


if __name__ == "__main__":
    main()
