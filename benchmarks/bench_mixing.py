"""Time of a version's mixing sweep (issue 29) at the default size, against one TSTR fit.

Run from the repository root::

    python -m benchmarks.bench_mixing            # 2,000-row versions, 3 tables (about 5 minutes)
    python -m benchmarks.bench_mixing --quick    # 500 rows, one repeat, a smoke test
    python -m benchmarks.bench_mixing --verdicts # safe shares of four generators (about 6 minutes)

Real tables shipped in scikit-learn (breast cancer: 30 features, 2 classes; wine: 13 features, 3
classes; diabetes: 10 features, regression), each resampled with replacement to 6,000 rows and
jittered by 1 % of each column's spread (so the gate sees the default size: a version's TSTR
fit and every mix train on 2,000 rows, the pinned model scores 2,000 real holdout rows). A fitted
reference (the daemon's recipe, structure family off) measures each version's sweep with the
default plan (0, 10, 25, 50, 75, 90, 100 %, 5 seeds: 25 fits; the 0 % point and the pairing are
the TRTR draws and the 100 % point the TSTR fit, all reused), ``--repeats`` times: the median per
table is reported beside the median of one TSTR fit on the same rows (the floor: the sweep is 25
such fits) and their ratio. The TRTR draws at the version's size are a one-off per reference and
size (shared with the utility probe), reported apart. Target: under 30 s per version on 2 cores.
Writes ``benchmarks/results/mixing.json`` (``mixing-quick.json`` with ``--quick``).

``--verdicts`` (about 6 minutes on 2 loaded cores) measures what the issue's proof asks instead of
the cost: statsmodels' fair table (6,366 real rows, 8 features, class ``affair`` = affairs > 0,
32 % positive), per seed split into 2,000 real holdout rows (the test rows), a real training
pool of 2,366 rows (the reference) and 2,000 fresh real rows the reference never saw; versions of
``--rows`` (default 1,000) rows from four generators: fresh real rows (honest), a per-class
Gaussian mixture fitted on the reference (honest-ish), a generator degrading over six versions
(version ``v`` of fresh rows with Gaussian noise of ``v / 5`` of each column's spread added and
the labels of a ``0.6 v / 5`` share of its rows shuffled), and fresh rows with every label
shuffled. Each version gets the default sweep (:class:`collectors.gates.mixing.MixingPlan`)
against the gate's TRTR draws (8) and TSTR fit, over ``--seeds`` seeds (each a new split and new
versions); the safe share and its interval per version and seed are printed and written to
``benchmarks/results/mixing-verdicts.json``, with the load average and whether the curve's ends
equal the TRTR and TSTR figures.
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
from sklearn.mixture import GaussianMixture
from statsmodels.datasets import fair  # type: ignore[import-untyped]

from collectors.gates.mixing import MixingPlan, mixing_sweep
from collectors.gates.utility import fit_and_score, trtr_draws, utility
from collectors.generator import GeneratorReference
from collectors.recipe import ReferenceRecipe
from monitor.checks import CheckThresholds, VersionFigures
from monitor.checks.healthy import HealthyLevels
from monitor.checks.rules_mixing import safe_share_decline

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
        "load_average": round(os.getloadavg()[0], 2),
        "sweep_seconds_median": round(sweep, 3),
        "sweep_seconds": [round(s, 3) for s in sweeps],
        "tstr_fit_seconds_median": round(fit, 4),
        "sweep_over_fit": round(sweep / fit, 2),
        "trtr_draws_seconds_once": round(trtr, 3),
        "safe_synthetic_share": safe,
    }


def fair_table() -> tuple[np.ndarray, np.ndarray]:
    """statsmodels' fair table: the 8 feature columns and the class ``affairs > 0``."""
    frame = fair.load_pandas().data
    x = frame.drop(columns="affairs").to_numpy(dtype=np.float64)
    return x, (frame["affairs"] > 0).to_numpy().astype(np.int64)


def gaussian_mixture(
    x: np.ndarray, y: np.ndarray, rows: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` rows of a per-class Gaussian mixture (4 full-covariance components, class shares
    of ``y``) fitted on ``(x, y)``, in a random order."""
    xs, ys = [], []
    classes, counts = np.unique(y, return_counts=True)
    sizes = np.round(rows * counts / counts.sum()).astype(int)
    sizes[-1] = rows - sizes[:-1].sum()
    for label, size in zip(classes, sizes, strict=True):
        model = GaussianMixture(4, covariance_type="full", random_state=int(rng.integers(1 << 30)))
        sample, _ = model.fit(x[y == label]).sample(int(size))
        xs.append(sample)
        ys.append(np.full(int(size), label))
    order = rng.permutation(rows)
    return np.vstack(xs)[order], np.concatenate(ys)[order]


def degraded(
    x: np.ndarray, y: np.ndarray, level: float, spread: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``x`` with Gaussian noise of ``level`` times each column's ``spread`` and the labels of a
    ``0.6 level`` share of the rows shuffled among themselves."""
    noisy = x + rng.normal(0.0, 1.0, x.shape) * (level * spread)
    labels = y.copy()
    hit = rng.random(y.size) < 0.6 * level
    labels[hit] = rng.permutation(labels[hit])
    return noisy, labels


def verdict_versions(
    x: np.ndarray, y: np.ndarray, fresh_x: np.ndarray, fresh_y: np.ndarray, rows: int, seed: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The versions of the four generators (module doc), by name."""
    rng = np.random.default_rng([29, seed, 1])

    def fresh() -> tuple[np.ndarray, np.ndarray]:
        pick = rng.choice(fresh_y.size, rows, replace=fresh_y.size < rows)
        return fresh_x[pick], fresh_y[pick]

    out = {"fresh": fresh(), "mixture": gaussian_mixture(x, y, rows, rng)}
    spread = x.std(axis=0)
    for v in range(6):
        out[f"degrading v{v}"] = degraded(*fresh(), v / 5, spread, rng)
    xs, ys = fresh()
    out["shuffled"] = (xs, rng.permutation(ys))
    return out


def verdicts(rows: int, seeds: int) -> dict[str, object]:
    """The safe share per generator version and seed on the fair table (module doc)."""
    x_all, y_all = fair_table()
    plan = MixingPlan()
    load = [os.getloadavg()[0]]
    table: dict[str, list[dict[str, float]]] = {}
    ends_equal = True
    start = time.perf_counter()
    for seed in range(seeds):
        order = np.random.default_rng([29, seed]).permutation(y_all.size)
        test, real, fresh = order[:2000], order[2000:4366], order[4366:]
        xt, yt = x_all[test], y_all[test]
        x, y = x_all[real], y_all[real]
        trtr = trtr_draws("classification", x, y, xt, yt, rows, draws=8, n_classes=2, seed=seed)
        versions = verdict_versions(x, y, x_all[fresh], y_all[fresh], rows, seed)
        for name, (xs, ys) in versions.items():
            gate = utility("classification", xs, ys, xt, yt, trtr, n_classes=2, seed=seed)
            curve = mixing_sweep("classification", x, y, xs, ys, xt, yt, shares=plan.shares,
                                 seeds=plan.seeds, tolerance=plan.tolerance, n_classes=2,
                                 seed=seed, trtr=trtr, tstr=gate.tstr)  # fmt: skip
            ends_equal &= bool(curve.mean[0] == gate.trtr["balanced_accuracy"])
            ends_equal &= bool(curve.mean[-1] == gate.tstr["balanced_accuracy"])
            cell = {"safe": curve.safe, "low": curve.safe_low, "high": curve.safe_high,
                    "tstr": round(gate.tstr["balanced_accuracy"], 4),
                    "trtr": round(gate.trtr["balanced_accuracy"], 4)}  # fmt: skip
            table.setdefault(name, []).append(cell)
        load.append(os.getloadavg()[0])
        print(f"seed {seed}: {time.perf_counter() - start:.0f} s", flush=True)
    breaches = decline_against_fresh(table)
    for name, cells in table.items():
        text = "  ".join(f"{c['safe']:.2f} [{c['low']:.2f}, {c['high']:.2f}]" for c in cells)
        print(f"{name:13} {text}   TSTR {np.mean([c['tstr'] for c in cells]):.3f}"
              f"   safe_share_decline {sum(breaches[name])}/{len(cells)}")  # fmt: skip
    return {
        "benchmark": "mixing-verdicts",
        "table": "statsmodels fair (affairs > 0)",
        "rows": rows,
        "seeds": seeds,
        "plan": {"shares": list(plan.shares), "seeds": plan.seeds, "tolerance": plan.tolerance},
        "ends_equal_trtr_tstr": ends_equal,
        "seconds": round(time.perf_counter() - start, 1),
        "load_average": [round(v, 2) for v in load],
        "safe_share": table,
        "safe_share_decline_vs_fresh": breaches,
    }


def decline_against_fresh(table: dict[str, list[dict[str, float]]]) -> dict[str, list[bool]]:
    """Per version and seed: whether ``safe_share_decline`` (its rule, default thresholds)
    breaches with the same seed's fresh real rows as the baseline."""
    out: dict[str, list[bool]] = {}
    for name, cells in table.items():
        out[name] = []
        for cell, base in zip(cells, table["fresh"], strict=True):
            current = VersionFigures(name, _share_figures(cell), reference_rows=0, sample_rows=0)
            baseline = VersionFigures(
                "fresh", _share_figures(base), reference_rows=0, sample_rows=0
            )
            breached = safe_share_decline(current, baseline, HealthyLevels(), CheckThresholds())[0]
            out[name].append(bool(breached))
    return out


def _share_figures(cell: dict[str, float]) -> dict[str, float]:
    return {"safe_synthetic_share": cell["safe"], "safe_synthetic_share_low": cell["low"],
            "safe_synthetic_share_high": cell["high"]}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 rows, one repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--verdicts", action="store_true", help="safe shares on the fair table")
    parser.add_argument("--rows", type=int, default=1000, help="version rows (--verdicts)")
    parser.add_argument("--seeds", type=int, default=3, help="splits and versions (--verdicts)")
    args = parser.parse_args(argv)
    if args.verdicts:
        document = verdicts(args.rows, args.seeds)
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / "mixing-verdicts.json"
        out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {out}")
        return 0
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
