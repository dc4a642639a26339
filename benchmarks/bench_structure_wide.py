"""The structure family's cost on a wide table (issue 26's 10k x 64 budget; issue 23's family).

Run from the repository root::

    python -m benchmarks.bench_structure_wide                 # 10,000 x 64, 3 repeats
    python -m benchmarks.bench_structure_wide --rows 2000 --repeats 1

Data: ``benchmarks.bench_evaluate``'s jittered digit rows (scikit-learn's handwritten digits,
64 numeric columns): a reference of ``--rows`` rows, a holdout of half as many, a version of
``--rows`` rows, the structure family's default bounds (:class:`StructureOptions`). Timed, each
with and without the shared binning of the model columns (``_native.SHARE_BINS``: the same
figures, checked here), alternated in this process so both see the same load: ``fit`` (the
:class:`StructureReference`: pairs, target screening, the holdout split), ``healthy`` (the
real-vs-real levels at the version's size: 4 pool draws) and ``warm`` (one version against the
prepared reference). Medians of wall and CPU seconds (``time.process_time``: every thread) and
the load average before and after. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import TypeVar

from benchmarks.bench_evaluate import digit_rows
from collectors.families.structure import StructureOptions
from collectors.metrics.structure import StructureReference, _native, structure_healthy

T = TypeVar("T")


def timed(call: Callable[[], T]) -> tuple[float, float, T]:
    """Wall and CPU seconds of ``call`` and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def run_once(rows: int, share: bool) -> tuple[dict[str, tuple[float, float]], dict[str, object]]:
    """Seconds (wall, CPU) of each step and the figures, with or without shared bins."""
    real, holdout, version = digit_rows(rows, 1), digit_rows(rows // 2, 2), digit_rows(rows, 3)
    options = StructureOptions()
    _native.SHARE_BINS = share
    try:
        wall, cpu, reference = timed(
            lambda: StructureReference(
                real,
                holdout,
                columns=list(real.columns),
                categorical=[],
                max_columns=options.max_columns,
                max_pairs=options.max_pairs,
                max_targets=options.max_targets,
                max_rows=options.max_rows,
                detection=options.detection,
                detection_rows=options.detection_rows,
                importance=options.importance,
            )
        )
        steps = {"fit": (wall, cpu)}
        wall, cpu, levels = timed(
            lambda: structure_healthy(reference, len(version), draws=options.healthy_draws)
        )
        steps["healthy"] = (wall, cpu)
        wall, cpu, measured = timed(lambda: reference.measure(version))
        steps["warm"] = (wall, cpu)
    finally:
        _native.SHARE_BINS = True
    figures: dict[str, object] = {
        "targets": [t.column for t in reference.targets],
        "healthy": levels.figures,
        "spread": levels.spread,
        "version": measured.figures,
    }
    return steps, figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    seconds: dict[bool, dict[str, list[tuple[float, float]]]] = {True: {}, False: {}}
    figures: dict[bool, dict[str, object]] = {}
    for _ in range(args.repeats):
        for share in (False, True):
            steps, figures[share] = run_once(args.rows, share)
            for name, value in steps.items():
                seconds[share].setdefault(name, []).append(value)
    same = figures[True] == figures[False]
    load_after = os.getloadavg()[0]
    print(f"\n## Structure family, digits {args.rows:,} x 64 (holdout {args.rows // 2:,})")
    print(
        f"(load average {load_before:.1f} before, {load_after:.1f} after; medians of "
        f"{args.repeats}, alternated; figures equal with and without shared bins: {same})\n"
    )
    print("| step | wall, own bins | wall, shared | CPU, own bins | CPU, shared |")
    print("|---|---:|---:|---:|---:|")
    for name in ("fit", "healthy", "warm"):
        before, after = seconds[False][name], seconds[True][name]
        print(
            f"| {name} | {statistics.median(w for w, _ in before):.2f} "
            f"| {statistics.median(w for w, _ in after):.2f} "
            f"| {statistics.median(c for _, c in before):.2f} "
            f"| {statistics.median(c for _, c in after):.2f} |"
        )
    if not same:
        raise SystemExit("figures differ with shared bins")


if __name__ == "__main__":
    main()
