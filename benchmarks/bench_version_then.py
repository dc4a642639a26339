"""One version's cost now against the same measurement at an earlier commit, in one run.

Issue 23's budget is relative ("keep the per-version total within 1.5x today's"): today's is the
daemon's measurement of a version at the commit the issue was filed on. This benchmark checks the
tree of ``--commit`` out with ``git archive`` into a temporary folder and times, in separate
processes alternated ``--pairs`` times on the same machine, the daemon's measurement of one
2,000-row version of statsmodels' Fair survey (2,000-row reference, the other 2,366 rows as
holdout, no target, gates on):

- ``then``: ``GeneratorReference(...).measure`` of that commit (the figures it had);
- ``now``: ``ReferenceRecipe().fit(...).model.measure`` of this tree with every figure family on
  (structure included), and ``now, no structure`` with ``structure=None``.

Each process measures the version twice to warm up, then 7 times; it reports the medians of wall
and CPU seconds (``time.process_time``: every thread). The ratios are medians over the pairs.

    python -m benchmarks.bench_version_then                   # c6ae27a: issue 23 filed
    python -m benchmarks.bench_version_then --commit 1ebd650 --pairs 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILED = "c6ae27a"  # the tree issue 23 was filed against (a31ca73 added its first measures)

# Run in a fresh interpreter with the tree to time first on sys.path: it must work with the old
# API (GeneratorReference) and the new one (ReferenceRecipe), so it imports neither at the top.
_MEASURE = r"""
import json, statistics, sys, time
import numpy as np
from statsmodels.datasets import fair as fair_data

SEED = 20_261_207
NUMERIC = ["rate_marriage", "age", "yrs_married", "children", "religious", "educ", "affairs"]
CATEGORICAL = ["occupation", "occupation_husb", "affair"]
raw = fair_data.load_pandas().data
frame = raw[NUMERIC].astype(float).copy()
for column in ("occupation", "occupation_husb"):
    frame[column] = raw[column].map(lambda v: f"o{int(v)}")
frame["affair"] = np.where(raw["affairs"] > 0, "yes", "no")
table = frame.sample(frac=1.0, random_state=SEED).reset_index(drop=True)
rows = 2000
reference = table.iloc[:rows].reset_index(drop=True)
version = table.iloc[rows : 2 * rows].reset_index(drop=True)
holdout = table.iloc[2 * rows :].reset_index(drop=True)
mode = sys.argv[1]
if mode == "then":
    from collectors.generator import GeneratorReference

    model = GeneratorReference(
        reference, holdout=holdout, gates=True, categorical=CATEGORICAL, seed=SEED,
        sample_size=rows,
    )
else:
    from collectors.recipe import ReferenceRecipe

    settings = {"seed": SEED, "categorical": tuple(CATEGORICAL), "sample_size": rows}
    if mode == "now, no structure":
        settings["structure"] = None
    model = ReferenceRecipe(**settings).fit(reference, holdout=holdout).model
model.measure(version)
model.measure(version)
wall, cpu = [], []
for _ in range(7):
    start, start_cpu = time.perf_counter(), time.process_time()
    model.measure(version)
    wall.append(time.perf_counter() - start)
    cpu.append(time.process_time() - start_cpu)
print(json.dumps({"wall": statistics.median(wall), "cpu": statistics.median(cpu)}))
"""

MODES = ("then", "now", "now, no structure")


def export_tree(commit: str, folder: Path) -> None:
    """The tracked files of ``commit`` under ``folder`` (``git archive``; nothing executed)."""
    archive = folder / "tree.tar"
    subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--output", str(archive), commit], check=True
    )
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "tree", filter="data")


def measure(mode: str, tree: Path) -> dict[str, float]:
    """Wall and CPU medians of one process timing ``mode`` with ``tree`` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, mode],
        env=env,
        cwd=tree,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commit", default=FILED, help="the earlier tree (default: issue 23's)")
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at start")
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory(prefix="tailwatch-then-") as tmp:
        export_tree(args.commit, Path(tmp))
        trees = {"then": Path(tmp) / "tree", "now": ROOT, "now, no structure": ROOT}
        for _ in range(args.pairs):
            for mode in MODES:
                runs[mode].append(measure(mode, trees[mode]))
                print(f"  {mode}: {runs[mode][-1]}", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    print()
    print("| measurement | wall (s) | CPU (s) | wall / then | CPU / then |")
    print("|---|---:|---:|---:|---:|")
    then = runs["then"]
    for mode in MODES:
        wall = statistics.median(r["wall"] for r in runs[mode])
        cpu = statistics.median(r["cpu"] for r in runs[mode])
        ratio_wall = statistics.median(
            r["wall"] / t["wall"] for r, t in zip(runs[mode], then, strict=True)
        )
        ratio_cpu = statistics.median(
            r["cpu"] / t["cpu"] for r, t in zip(runs[mode], then, strict=True)
        )
        label = f"{mode} ({args.commit})" if mode == "then" else mode
        print(f"| {label} | {wall:.3f} | {cpu:.3f} | {ratio_wall:.2f}x | {ratio_cpu:.2f}x |")
    print(f"medians over {args.pairs} alternated pairs; issue 23's bound: now / then <= 1.5x")


if __name__ == "__main__":
    main()
