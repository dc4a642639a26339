"""Time of a version's mixing sweep (issue 29) at the default size, against one TSTR fit.

Run from the repository root::

    python -m benchmarks.bench_mixing            # 2,000-row versions, 3 tables (about 2 minutes)
    python -m benchmarks.bench_mixing --quick    # 500 rows, one repeat, a smoke test

Real tables shipped in scikit-learn (breast cancer: 30 features, 2 classes; wine: 13 features, 3
classes; diabetes: 10 features, regression), each resampled with replacement to 6,000 rows and
jittered by 1 % of each column's spread (so the gate sees the default size: a version's TSTR
fit and every mix train on 2,000 rows, the pinned model scores 2,000 real holdout rows). A fitted
reference (the daemon's recipe, structure family off) measures each version's sweep with the
default plan (0, 10, 25, 50, 75, 90, 100 %, 3 seeds: 15 fits; the 0 % point is the TRTR draws
and the 100 % point the TSTR fit, both reused), ``--repeats`` times: the median per table is
reported beside the median of one TSTR fit on the same rows (the floor: the sweep is 15 such
fits) and their ratio. The TRTR draws at the version's size are a one-off per reference and size
(shared with the utility probe), reported apart. Target: under 30 s per version on 2 cores.
Writes ``benchmarks/results/mixing.json`` (``mixing-quick.json`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

from collectors.gates.mixing import MixingPlan
from collectors.gates.utility import fit_and_score
from collectors.generator import GeneratorReference
from collectors.recipe import ReferenceRecipe

RESULTS = Path(__file__).parent / "results"
LOADERS: dict[str, Callable[..., object]] = {
    "breast_cancer": load_breast_cancer,
    "wine": load_wine,
    "diabetes": load_diabetes,
}


def resampled(name: str, rows: int, seed: int) -> pd.DataFrame:
    """``rows`` rows of the named table, drawn with replacement, numeric columns jittered."""
    frame = LOADERS[name](as_frame=True).frame  # type: ignore[attr-defined]
    rng = np.random.default_rng(seed)
    out = frame.iloc[rng.integers(0, len(frame), rows)].reset_index(drop=True)
    features = [c for c in out.columns if c != "target"]
    noise = rng.normal(0, 0.01, (rows, len(features))) * out[features].std().to_numpy()
    out[features] = out[features].to_numpy() + noise
    return out


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def run(name: str, rows: int, repeats: int) -> dict[str, object]:
    data = resampled(name, 2 * rows + 2 * rows + rows * repeats, seed=29)
    reference = data.iloc[: 2 * rows]
    holdout = data.iloc[2 * rows : 4 * rows].reset_index(drop=True)
    recipe = ReferenceRecipe(target="target", sample_size=rows, structure=None, mixing=MixingPlan())
    model = recipe.fit(reference, holdout=holdout).model
    assert isinstance(model, GeneratorReference) and model.gates is not None
    gates = model.gates
    versions = [
        data.iloc[4 * rows + i * rows : 4 * rows + (i + 1) * rows].reset_index(drop=True)
        for i in range(repeats)
    ]
    trtr = timed(lambda: gates.trtr_at(rows))  # one-off per reference and size
    sweeps, fits = [], []
    safe = []
    for version in versions:
        result, _ = gates.probe(version)
        x, y, _ = gates._probe_rows(version)
        n_classes = len(gates.classes) if gates.task == "classification" else 0
        start = time.perf_counter()
        fit_and_score(gates.task, x, y, gates.x_test, gates.y_test, n_classes=n_classes,
                      categorical=gates.categorical_mask)  # fmt: skip
        fits.append(time.perf_counter() - start)
        start = time.perf_counter()
        curve = gates.sweep(version, result.tstr)
        sweeps.append(time.perf_counter() - start)
        safe.append(curve.safe)
    sweep, fit = statistics.median(sweeps), statistics.median(fits)
    return {
        "table": name,
        "task": gates.task,
        "rows": rows,
        "test_rows": int(gates.x_test.shape[0]),
        "fits_per_sweep": MixingPlan().seeds * (len(MixingPlan().shares) - 2),
        "sweep_seconds_median": round(sweep, 3),
        "sweep_seconds": [round(s, 3) for s in sweeps],
        "tstr_fit_seconds_median": round(fit, 4),
        "sweep_over_fit": round(sweep / fit, 2),
        "trtr_draws_seconds_once": round(trtr, 3),
        "safe_synthetic_share": safe,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 rows, one repeat")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    rows, repeats = (500, 1) if args.quick else (2000, args.repeats)
    results = []
    for name in LOADERS:
        result = run(name, rows, repeats)
        results.append(result)
        print(
            f"{name:14} {result['task']:14} sweep {result['sweep_seconds_median']:6.2f} s "
            f"(one TSTR fit {result['tstr_fit_seconds_median']:.3f} s, x{result['sweep_over_fit']}"
            f"; TRTR draws once {result['trtr_draws_seconds_once']:.2f} s)",
            flush=True,
        )
    document = {
        "benchmark": "mixing",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "target_seconds": 30.0,
        "results": results,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("mixing-quick.json" if args.quick else "mixing.json")
    out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
