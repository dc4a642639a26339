"""CPU seconds of the structure family at issue 26's size: a 10k x 64 reference, its fit, its
healthy levels and one version's figures, the pair dependences batched or pair by pair.

Run from the repository root::

    python -m benchmarks.bench_structure_family                  # 10,000 rows, 3 repeats
    python -m benchmarks.bench_structure_family --rows 2000 --repeats 1

Data: ``benchmarks.bench_evaluate``'s jittered digits (64 numeric columns): a reference of
``--rows`` rows, a holdout of half as many, a version of ``--rows`` rows. The family's default
bounds (:class:`~collectors.families.structure.StructureOptions`): 780 of the 2,016 pairs, 20
screened targets, 3 audited, 4 healthy draws (of 1,667 rows at 10k).

Timed, as the family runs them in the families' thread (CPU seconds of this thread,
``time.thread_time``, and of the process; wall seconds): ``fit`` (the
:class:`~collectors.metrics.structure.StructureReference`: pair selection, target screening),
``healthy`` (the real-vs-real levels at the version's size), ``measure`` (the version's figures,
the real sides fitted on the way) and ``again`` (the same version once more: a warm version).
Each repeat runs both modes back to back, alternating which goes first, so both see the same
load: ``batched`` (:data:`collectors.metrics.structure._ranks.BATCHED_RANKS`: Spearman from one
product of the centred rank matrix) and ``per pair`` (each pair's own dot product, the previous
code path). Every figure, healthy level and spread of the two modes is asserted equal (bit
for bit) before the medians are printed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from benchmarks.bench_evaluate import digit_rows
from collectors.families.structure import StructureOptions
from collectors.metrics.structure import _ranks

PHASES = ("fit", "healthy", "measure", "again")


def _timed(call: Callable[[], Any]) -> tuple[Any, tuple[float, float, float]]:
    wall, process, thread = time.perf_counter(), time.process_time(), time.thread_time()
    result = call()
    return result, (
        time.perf_counter() - wall,
        time.process_time() - process,
        time.thread_time() - thread,
    )


def run_once(rows: int, batched: bool) -> tuple[dict[str, tuple[float, float, float]], Any]:
    """One fit, healthy levels and two measures of the same version in one mode."""
    real, holdout, version = digit_rows(rows, 1), digit_rows(rows // 2, 2), digit_rows(rows, 3)
    options = StructureOptions()
    _ranks.BATCHED_RANKS = batched
    try:
        structure, fit = _timed(
            lambda: options.reference(
                real, holdout, columns=list(real.columns), categorical=[], seed=0
            )
        )
        healthy, levels = _timed(lambda: structure.healthy_at(rows, draws=options.healthy_draws))
        first, measure = _timed(lambda: structure.measure(version))
        second, again = _timed(lambda: structure.measure(version))
    finally:
        _ranks.BATCHED_RANKS = True
    figures = (
        [(s.column, s.skill) for s in structure.targets],
        list(structure.reference_pairs),
        healthy.figures,
        healthy.spread,
        first.figures,
        first.check_features(),
        second.figures,
    )
    return {"fit": fit, "healthy": levels, "measure": measure, "again": again}, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, dict[str, list[tuple[float, float, float]]]] = {
        mode: {phase: [] for phase in PHASES} for mode in ("per pair", "batched")
    }
    for repeat in range(args.repeats):
        order = [False, True] if repeat % 2 == 0 else [True, False]
        seen = {}
        for batched in order:
            measured, figures = run_once(args.rows, batched)
            seen[batched] = figures
            for phase in PHASES:
                times["batched" if batched else "per pair"][phase].append(measured[phase])
        assert seen[True] == seen[False], "the two modes' figures differ"
    print(f"{args.rows} x 64 digits, medians of {args.repeats} (wall / process CPU / thread CPU)")
    print("| phase | per pair | batched | thread CPU ratio |")
    print("|---|---:|---:|---:|")
    for phase in PHASES:
        cells = []
        for mode in ("per pair", "batched"):
            wall, process, thread = (
                statistics.median(t[i] for t in times[mode][phase]) for i in range(3)
            )
            cells.append((f"{wall:.3f} / {process:.3f} / {thread:.3f}", thread))
        ratio = cells[1][1] / cells[0][1] if cells[0][1] else float("nan")
        print(f"| {phase} | {cells[0][0]} s | {cells[1][0]} s | {ratio:.2f} |")
    print("every figure, healthy level and spread equal in both modes")


if __name__ == "__main__":
    main()
