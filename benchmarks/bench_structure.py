"""Speed and figures of the structure measures (issue 23) on a real shipped table.

Run from the repository root (needs statsmodels, in the ``bench`` extra)::

    python -m benchmarks.bench_structure            # 2,000 rows x 10 columns, about 1-2 minutes
    python -m benchmarks.bench_structure --rows 500 # smaller, a smoke run

The table is statsmodels' Fair (1978) affairs survey (6,366 rows, shipped inside the package):
7 numeric columns (``affairs`` included), two occupation columns as categories (occupation 6 is
1.7 % of the rows, occupation 1 0.6 %) and the class ``affair`` (any affair reported). Disjoint
random rows form the reference and the versions (``--rows`` rows each) and the holdout (the
rest: 2,366 rows at 2,000; its audit test third 788 rows, healthy draws of 789 rows).

Timed (median of ``--repeats`` runs, single-threaded models, this process):
- ``prepare``: :class:`StructureReference` once per reference (pairs, target screening, holdout
  split);
- ``measure``: the structure figures of one version (pairs, detection AUC, category shares,
  per-column audits with permutation importance for the worst column, per-class coverage), and
  each part alone;
- ``healthy``: the real-vs-real levels at the version's size (once per size);
- ``per version``: the daemon's whole measurement of the same version
  (``ReferenceRecipe(...).fit(...).model.measure``, gates on as in the daemon) without the
  structure family (``structure=None``: every figure Tailwatch computed per version before) and
  with it (the default), alternated in the same process so both see the same load; once without
  a ``target`` and once with ``target="affair"`` (the utility probe runs too). The ratio of the
  medians is what the issue bounds (<= 1.5), in wall and in CPU seconds of the process (every
  thread; on a machine shared past its cores the load-robust one).

Versions measured: ``fresh`` (other real rows), ``interaction`` (the occupation column permuted:
every marginal kept, its relations gone) and ``minority`` (occupation 6 thinned to a tenth of its
share, rows of other occupations drawn in its place). Prints a Markdown table and writes
``benchmarks/results/structure.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from collectors.metrics.structure import (
    StructureMeasurement,
    StructureReference,
    category_shares,
    class_coverage,
    detection_auc,
    pair_dependence,
)
from collectors.metrics.structure._frame import labels

RESULTS = Path(__file__).resolve().parent / "results"
SEED = 20_261_207
NUMERIC = ["rate_marriage", "age", "yrs_married", "children", "religious", "educ", "affairs"]
CATEGORICAL = ["occupation", "occupation_husb", "affair"]


def fair() -> pd.DataFrame:
    """The Fair table with typed columns (categories as text)."""
    from statsmodels.datasets import fair as fair_data  # type: ignore[import-untyped]

    raw = fair_data.load_pandas().data
    frame = raw[NUMERIC].astype(float).copy()
    for column in ("occupation", "occupation_husb"):
        frame[column] = raw[column].map(lambda v: f"o{int(v)}")
    frame["affair"] = np.where(raw["affairs"] > 0, "yes", "no")
    return frame


def interaction_break(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Permute the occupation column: its marginal is kept exactly, its relations are gone."""
    out = frame.copy()
    out["occupation"] = rng.permutation(out["occupation"].to_numpy())
    return out


def thin_minority(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Occupation o6 at a tenth of its share: 90 % of its rows swapped for copies of the
    version's other rows."""
    rare = np.flatnonzero(frame["occupation"].to_numpy() == "o6")
    drop = rng.choice(rare, size=round(0.9 * len(rare)), replace=False)
    others = frame[frame["occupation"] != "o6"]
    fill = others.iloc[rng.choice(len(others), size=len(drop), replace=False)]
    kept = frame.drop(index=frame.index[drop])
    return pd.concat([kept, fill]).sample(frac=1.0, random_state=int(rng.integers(1 << 31)))


def timed(function: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def timed_cpu(function: Callable[[], object]) -> tuple[float, float, object]:
    """Wall and CPU seconds (``time.process_time``: every thread of the process) of one call."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - start, time.process_time() - cpu, result


def per_version(
    reference: pd.DataFrame,
    holdout: pd.DataFrame,
    version: pd.DataFrame,
    repeats: int,
    target: str | None,
) -> dict[str, float]:
    """Medians (seconds) of the daemon's measurement of ``version`` without and with the
    structure family, alternated, wall and CPU (every thread of the process: on a machine
    shared past its cores the load-robust one), and of the family's own wall share."""
    from collectors.recipe import ReferenceRecipe

    settings: dict[str, Any] = {
        "seed": SEED,
        "categorical": tuple(CATEGORICAL),
        "sample_size": len(version),
        "target": target,
    }
    without = ReferenceRecipe(structure=None, **settings).fit(reference, holdout=holdout).model
    with_family = ReferenceRecipe(**settings).fit(reference, holdout=holdout).model
    without.measure(version)  # warm-up
    with_family.measure(version)
    off, on, family, off_cpu, on_cpu = [], [], [], [], []
    for _ in range(repeats):
        seconds, cpu, _ = timed_cpu(lambda: without.measure(version))
        off.append(seconds)
        off_cpu.append(cpu)
        seconds, cpu, measured = timed_cpu(lambda: with_family.measure(version))
        on.append(seconds)
        on_cpu.append(cpu)
        family.append(measured.timings["structure"])  # type: ignore[attr-defined]
    return {
        "without": statistics.median(off),
        "with": statistics.median(on),
        "family": statistics.median(family),
        "without_cpu": statistics.median(off_cpu),
        "with_cpu": statistics.median(on_cpu),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--no-today", action="store_true", help="skip the per-version ratio (with / without)"
    )
    args = parser.parse_args()
    rows, repeats = args.rows, args.repeats
    rng = np.random.default_rng(SEED)
    table = fair().sample(frac=1.0, random_state=SEED).reset_index(drop=True)
    if 3 * rows > len(table):
        raise SystemExit(f"--rows {rows}: the table has {len(table)} rows, 3 x rows are needed")
    reference = table.iloc[:rows].reset_index(drop=True)
    fresh = table.iloc[rows : 2 * rows].reset_index(drop=True)
    holdout = table.iloc[2 * rows :].reset_index(drop=True)  # the other rows
    versions = {
        "fresh": fresh,
        "interaction": interaction_break(fresh, rng),
        "minority": thin_minority(fresh, rng).reset_index(drop=True),
    }
    out: dict[str, object] = {
        "rows": rows,
        "columns": len(table.columns),
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg()[0],
    }
    with threadpool_limits(1):
        prepare, structure = timed(
            lambda: StructureReference(reference, holdout, target="affair", seed=SEED), 1
        )
    assert isinstance(structure, StructureReference)
    structure.measure(fresh)  # warm-up (Numba, the audits' real side)
    parts = {
        "pairs": lambda: pair_dependence(
            reference,
            fresh,
            columns=structure.columns,
            pairs=structure.pairs,
            reference_values=structure.reference_pairs,
        ),
        "detection": lambda: detection_auc(reference, fresh, columns=structure.columns),
        "categories": lambda: category_shares(reference, fresh, columns=structure.columns),
        "classes": lambda: class_coverage(
            structure.real_matrix,
            labels(reference, "affair"),
            structure.embed(fresh, "version"),
            labels(fresh, "affair"),
        ),
    }
    times = {"prepare": prepare}
    for name, function in parts.items():
        times[name] = timed(function, repeats)[0]
    figures: dict[str, StructureMeasurement] = {}
    for name, version in versions.items():
        seconds, measured = timed(partial(structure.measure, version), repeats)
        times[f"measure ({name})"] = seconds
        assert isinstance(measured, StructureMeasurement)
        figures[name] = measured
    times["healthy"] = timed(lambda: structure.healthy_at(rows), 1)[0]
    healthy = structure.healthy_at(rows)

    ratios: dict[str, tuple[float, float]] = {}
    if not args.no_today:
        for target in (None, "affair"):
            label = "no target" if target is None else f"target {target}"
            cost = per_version(reference, holdout, fresh, repeats, target)
            times[f"per version without structure ({label})"] = cost["without"]
            times[f"per version with structure ({label})"] = cost["with"]
            times[f"  of which the structure family ({label})"] = cost["family"]
            times[f"per version without structure, CPU ({label})"] = cost["without_cpu"]
            times[f"per version with structure, CPU ({label})"] = cost["with_cpu"]
            ratios[label] = (
                cost["with"] / cost["without"],
                cost["with_cpu"] / cost["without_cpu"],
            )
    out["load_after"] = os.getloadavg()[0]
    print(f"\n## Structure figures, Fair table, {rows} rows x {len(table.columns)} columns")
    print(f"(load average {out['load_before']:.1f} before, {out['load_after']:.1f} after)\n")
    print("| step | seconds (median) |\n|---|---|")
    for name, seconds in times.items():
        print(f"| {name} | {seconds:.2f} |")
    for label, (ratio, ratio_cpu) in ratios.items():
        print(
            f"\nper-version total with structure / without ({label}): {ratio:.2f}x wall, "
            f"{ratio_cpu:.2f}x CPU seconds"
        )
    print(f"healthy draws of {healthy.drawn_rows} rows (pool {healthy.pool_rows})\n")
    names = sorted(healthy.figures)
    print("| figure | healthy level | healthy sd | " + " | ".join(versions) + " |")
    print("|---|---|---|" + "---|" * len(versions))
    for name in names:
        cells = [f"{figures[v].figures.get(name, float('nan')):.4g}" for v in versions]
        level, spread = healthy.figures[name], healthy.spread.get(name, float("nan"))
        print(f"| {name} | {level:.4g} | {spread:.3g} | " + " | ".join(cells) + " |")
    for name, measured in figures.items():
        pair = measured.pairs.worst(1)[0]
        share = measured.categories.worst(1)[0]
        audit = max(measured.audits, key=lambda a: a.loss)
        print(
            f"\n{name}: worst pair {pair.first}~{pair.second} ({pair.measure} "
            f"{pair.reference:.3f} -> {pair.version:.3f}); worst category "
            f"{share.column}={share.category} ({share.observed} seen, {share.expected:.1f} "
            f"expected, adjusted p {share.adjusted_p_value:.2g}); worst audit {audit.column} "
            f"loss {audit.loss:.3f} (x{audit.loss_ratio:.2f}), "
            f"features {[n for n, _ in audit.importance_change[:2]]}"
        )
    out["seconds"] = times
    out["healthy"] = {"levels": healthy.figures, "spread": healthy.spread}
    out["figures"] = {name: m.figures for name, m in figures.items()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "structure.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
