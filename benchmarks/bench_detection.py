"""Real-data detection suite: do Tailwatch's verdicts match the ground truth? (issue 11)

Run from the repository root::

    python -m benchmarks.bench_detection            # = make bench-detection: 3 seeds, 7 generations
    python -m benchmarks.bench_detection --quick    # smoke run: 1 seed, 4 generations, 2 data sets

Data sets that ship inside installed packages (``benchmarks.detection.data``: scikit-learn's digits
and breast cancer, statsmodels' Fair affairs survey), generators from libraries
(``benchmarks.detection.generators``: Gaussian mixture, kernel density, Gaussian copula), each in
three regimes per seed:

- ``self``: a self-consuming loop; generation 0 is fit on the real training split, generation t on
  generation t - 1's output only;
- ``fresh``: a fresh-data loop; generation 0 as above, generation t on half a fresh bootstrap of the
  real training split and half a random draw of generation t - 1's output;
- ``healthy``: a healthy control; every generation is fit on a fresh bootstrap of the real
  training split.

Every generation is written as a Parquet file into the scenario's versions folder and the
scenario's :class:`monitor.watch.generator.GeneratorWatch` scans it at once (as the daemon would)
into one DuckDB store; the reference is the real training split, the holdout a real holdout. The
ground truth (``benchmarks.detection.truth``) is measured independently of Tailwatch; the scores
(false alarms, lags) are in ``benchmarks.detection.scoring``. Prints Markdown tables and writes
``benchmarks/results/detection[-quick].json`` (and ``.md``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.detection import truth as gt
from benchmarks.detection.data import DATASETS, GRID_DATASETS, Dataset, load
from benchmarks.detection.generators import GENERATORS, GRID_GENERATORS, synthesize
from benchmarks.detection.scoring import (
    CONTROLS,
    REGIMES,
    Scenario,
    control_summary,
    control_table,
    scenario_table,
    summarize,
    summary_tables,
)
from benchmarks.detection.tailwatch_side import open_watch, tailwatch_verdicts

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _seed(*parts: object) -> int:
    """A fixed seed derived from the scenario's names (stable across runs and machines)."""
    return zlib.crc32("/".join(map(str, parts)).encode()) % (2**31)


def _training_data(
    regime: str, data: Dataset, previous: pd.DataFrame | None, rng: np.random.Generator
) -> pd.DataFrame:
    """What generation t is fit on, by regime (``previous`` is None for generation 0)."""
    real = data.train
    rows = len(real)
    if regime == "healthy":
        return real.iloc[rng.integers(0, rows, rows)].reset_index(drop=True)
    if previous is None:
        return real
    if regime == "self":
        return previous
    half = rows // 2
    if regime == "fresh_ref":
        # Later generations see other real rows than the reference (the first saw the reference).
        if len(data.pool) == 0:
            raise ValueError(f"{data.name}: no real rows outside the splits for {regime!r}")
        real = data.pool
    fresh = real.iloc[rng.integers(0, len(real), half)]
    kept = previous.iloc[rng.choice(len(previous), rows - half, replace=False)]
    return pd.concat([fresh, kept], ignore_index=True)


def run_scenario(
    scenario: Scenario, data: Dataset, store: Any, work: Path, generations: int
) -> None:
    """Generate, write and scan every generation; measure its ground truth."""
    started = time.perf_counter()
    folder = work / data.name / scenario.name / "versions"
    folder.mkdir(parents=True)
    watch = open_watch(store, scenario.name, data, work / data.name, folder)
    base = _seed(scenario.dataset, scenario.generator, scenario.regime, scenario.seed)
    rng = np.random.default_rng(base)
    previous: pd.DataFrame | None = None
    for generation in range(generations):
        fit_on = _training_data(scenario.regime, data, previous, rng)
        version = synthesize(scenario.generator, data, fit_on, len(data.train), base + generation)
        version.to_parquet(folder / f"gen{generation:02d}.parquet", index=False)
        outcome = watch.scan()
        if outcome.failed:
            failures = store.failures("generator", scenario.name)
            raise RuntimeError(f"{scenario.name} generation {generation}: {failures}")
        scenario.truths.append(gt.ground_truth(data, version))
        previous = version
    scenario.verdicts = tailwatch_verdicts(store, watch.settings)
    scenario.seconds = time.perf_counter() - started


def _prepare(name: str, work: Path, trtr: dict[str, float]) -> Dataset:
    """Load data set ``name`` and write its reference and holdout under ``work`` (once)."""
    data = load(name)
    if name not in trtr:
        trtr[name] = gt.trtr(data)
        (work / name).mkdir()
        data.train.to_parquet(work / name / "reference.parquet", index=False)
        data.holdout.to_parquet(work / name / "holdout.parquet", index=False)
    return data


# --------------------------------------------------------------------------- run


def code_version() -> dict[str, Any]:
    """Where ``monitor`` was imported from and its commit (a git checkout or a COMMIT file)."""
    import monitor

    root = Path(monitor.__file__).resolve().parent.parent
    info: dict[str, Any] = {"monitor_path": str(root)}
    marker = root / "COMMIT"
    if marker.exists():
        info["commit"] = marker.read_text().strip()
        info["dirty"] = False
        return info
    try:
        info["commit"] = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "monitor", "collectors"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        info["dirty"] = bool(status.strip())
    except (OSError, subprocess.CalledProcessError):
        info["commit"] = None
    return info


def _versions() -> dict[str, str]:
    names = ("numpy", "pandas", "scikit-learn", "scipy", "duckdb", "copulas", "statsmodels")
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 4 generations, 2 data sets")
    parser.add_argument("--seeds", type=int, help="seeds per scenario (default 3; quick 1)")
    parser.add_argument("--generations", type=int, help="versions per scenario (default 7)")
    parser.add_argument("--datasets", nargs="+", choices=sorted(DATASETS))
    parser.add_argument("--generators", nargs="+", choices=GENERATORS)
    parser.add_argument(
        "--summary-only", action="store_true", help="print the summary, not every scenario's table"
    )
    parser.add_argument("--out", type=Path, help="results JSON (default benchmarks/results/)")
    parser.add_argument(
        "--controls",
        choices=("yes", "no", "only"),
        default="yes",
        help="issue 22's controls with a known verdict beside the grid (only: without the grid)",
    )
    args = parser.parse_args(argv)
    seeds = args.seeds or (1 if args.quick else 3)
    generations = args.generations or (4 if args.quick else 7)
    datasets = args.datasets or (["breast_cancer", "fair"] if args.quick else list(GRID_DATASETS))
    generators = args.generators or list(GRID_GENERATORS)
    logging.getLogger("tailwatch").setLevel(logging.WARNING)
    from monitor.store import Store

    started = time.perf_counter()
    scenarios: list[Scenario] = []
    tables: list[str] = []
    trtr: dict[str, float] = {}
    controls: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="tailwatch-detection-") as tmp:
        work = Path(tmp)
        with Store(work / "tailwatch.duckdb") as store:
            for name in datasets if args.controls != "only" else []:
                data = _prepare(name, work, trtr)
                for kind in generators:
                    cell = [
                        Scenario(name, kind, regime, seed)
                        for regime in REGIMES
                        for seed in range(seeds)
                    ]
                    for s in cell:
                        run_scenario(s, data, store, work, generations)
                        print(f"{s.name}: {s.seconds:.1f} s", file=sys.stderr, flush=True)
                    healthy = [s for s in cell if s.regime == "healthy"]
                    band = gt.envelope(t for s in healthy for t in s.truths)
                    noisy = {
                        c
                        for s in healthy
                        for v in s.verdicts
                        for c, n in v["streaks"].items()
                        if n >= 2 and c in v["change"]
                    }
                    for s in cell:
                        s.onset, s.criteria = gt.onset(s.truths, band)
                        s.noisy_checks = noisy
                        tables.append(scenario_table(s, trtr[name]))
                    scenarios += cell
            for control in CONTROLS if args.controls != "no" else ():
                data = _prepare(control.dataset, work, trtr)
                runs = [
                    Scenario(control.dataset, control.generator, control.regime, seed)
                    for seed in range(seeds)
                ]
                for s in runs:
                    run_scenario(s, data, store, work, generations)
                    print(f"{s.name}: {s.seconds:.1f} s", file=sys.stderr, flush=True)
                    s.criteria = [[] for _ in s.truths]
                    tables.append(scenario_table(s, trtr[control.dataset]))
                controls.append(control_summary(control, runs))
    elapsed = time.perf_counter() - started
    summary = summarize(scenarios)
    meta = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m benchmarks.bench_detection", *(argv or sys.argv[1:])]),
        "seeds": seeds,
        "generations": generations,
        "datasets": datasets,
        "generators": generators,
        "seconds": round(elapsed, 1),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "code": code_version(),
        "versions": _versions(),
        "trtr": trtr,
        "onset_rule": gt.__doc__,
    }
    results = {
        "meta": meta,
        "summary": summary,
        "controls": controls,
        "scenarios": [
            {
                "name": s.name,
                "dataset": s.dataset,
                "generator": s.generator,
                "regime": s.regime,
                "seed": s.seed,
                "seconds": round(s.seconds, 2),
                "onset": s.onset,
                "alarms": s.alarms,
                "lag": s.lag,
                "specific_alarms": s.specific_alarms,
                "specific_lag": s.specific_lag,
                "noisy_checks": sorted(s.noisy_checks),
                "generations": [
                    {"truth": gt.as_dict(t), "criteria": c, "tailwatch": v}
                    for t, c, v in zip(s.truths, s.criteria, s.verdicts, strict=True)
                ],
            }
            for s in scenarios
        ],
    }
    out = args.out or RESULTS_DIR / ("detection-quick.json" if args.quick else "detection.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=str))
    markdown = "\n".join(tables)
    controls_md = control_table(controls) if controls else ""
    out.with_suffix(".md").write_text(
        markdown + "\n" + summary_tables(summary) + "\n" + controls_md
    )
    if not args.summary_only:
        print(markdown)
    print(summary_tables(summary))
    print(controls_md)
    print(
        f"{len(scenarios)} scenarios and {sum(len(c['seeds']) for c in controls)} controls in "
        f"{elapsed:.0f} s; code {meta['code']}; "
        f"results in {out} (every scenario's table in {out.with_suffix('.md')})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
