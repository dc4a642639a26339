"""Added time of the three gates (issue 15) per version, against the existing metrics' time.

Run from the repository root::

    python -m benchmarks.bench_gates            # 5,000-row versions (about 2 minutes on 2 cores)
    python -m benchmarks.bench_gates --quick    # 1,000 rows, a smoke test

One process, one table (sklearn's ``make_classification``: 20 numeric features, one categorical
column, a binary target; reference 20,000 rows, holdout 5,000, versions of ``--rows`` rows), two
fitted references on the same data: one measures the existing metrics only, the other the
existing metrics and the gates (utility probe with ``target``, membership attack, verdicts). Each
version is measured by both, alternately, ``--repeats`` times: the medians of the two and of
their difference (the gates' added time per version) are reported with the ratio
``added / existing`` (target: under 25 %). The one-off costs per reference and sample size (the
gates' preparation, the real-vs-real TRTR draws) are reported apart: they are paid once, not per
version. Writes ``benchmarks/results/gates.json`` (``gates-quick.json`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification

from collectors.generator import GeneratorReference

RESULTS = Path(__file__).parent / "results"


def table(rows: int, seed: int) -> pd.DataFrame:
    x, y = make_classification(
        n_samples=rows, n_features=20, n_informative=8, n_redundant=4, random_state=seed
    )
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(20)])
    frame["segment"] = np.random.default_rng(seed).choice(list("abcdef"), size=rows)
    frame["target"] = y
    return frame


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def run(rows: int, repeats: int) -> dict[str, object]:
    # One distribution (make_classification's seed fixes it), split into disjoint parts.
    data = table(25_000 + rows * repeats, 0)
    reference, holdout = data.iloc[:20_000], data.iloc[20_000:25_000].reset_index(drop=True)
    versions = [
        data.iloc[25_000 + i * rows : 25_000 + (i + 1) * rows].reset_index(drop=True)
        for i in range(repeats)
    ]
    settings = dict(holdout=holdout, categorical=["segment"], sample_size=rows, seed=0)
    plain = GeneratorReference(reference, **settings)
    prepare = time.perf_counter()
    gated = GeneratorReference(reference, gates=True, target="target", **settings)
    prepare = time.perf_counter() - prepare
    assert gated.gates is not None
    trtr = timed(lambda: gated.gates.trtr_at(min(rows, 2000)))
    plain.measure(versions[0])  # warm-up (numba, caches)
    gated.measure(versions[0])
    existing, total, added = [], [], []
    for version in versions:
        a = timed(lambda v=version: plain.measure(v))
        b = timed(lambda v=version: gated.measure(v))
        existing.append(a)
        total.append(b)
        added.append(b - a)
    figures = gated.measure(versions[0]).figures
    median_existing = statistics.median(existing)
    median_added = statistics.median(added)
    return {
        "rows": rows,
        "repeats": repeats,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "existing_seconds_median": median_existing,
        "with_gates_seconds_median": statistics.median(total),
        "added_seconds_median": median_added,
        "added_ratio": median_added / median_existing,
        "one_off_fit_with_gates_seconds": prepare,  # the whole reference fit, gates included
        "one_off_trtr_draws_seconds": trtr,
        "sample_figures": {k: figures[k] for k in ("utility_ratio", "membership_auc",
                                                   "verified_yield") if k in figures},
        "machine": platform.processor() or platform.machine(),
    }  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000-row versions, 3 repeats")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    rows, repeats = (1000, 3) if args.quick else (args.rows, args.repeats)
    result = run(rows, repeats)
    RESULTS.mkdir(exist_ok=True)
    name = "gates-quick.json" if args.quick else "gates.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print("| rows | existing metrics (median s) | with gates | added | added / existing |")
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {rows:,} | {result['existing_seconds_median']:.3f} | "
        f"{result['with_gates_seconds_median']:.3f} | {result['added_seconds_median']:.3f} | "
        f"{100 * result['added_ratio']:.1f} % |"
    )
    print(
        "one-off per reference: fit (gates included) "
        f"{result['one_off_fit_with_gates_seconds']:.2f} s, "
        f"TRTR draws {result['one_off_trtr_draws_seconds']:.2f} s"
    )


if __name__ == "__main__":
    main()
