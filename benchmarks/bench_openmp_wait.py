"""OpenMP's wait policy: libgomp's default (spin, then sleep) against PASSIVE (issue 26).

``collectors`` sets ``OMP_WAIT_POLICY=PASSIVE`` unless it is set (:mod:`collectors._threads`).
This times, in new processes alternated (libgomp reads the policy once, when it is loaded), with
the default policy (the variable removed after ``collectors`` set it, before scikit-learn loads)
and with PASSIVE, medians of ``--repeats``, wall and CPU seconds of the process (every thread):

- ``kmeans``: the reference's regions (:func:`collectors.metrics.regions.fit_regions`, k-means of
  ``--rows`` x 64 digit rows), alone;
- ``kmeans beside a thread``: the same while another thread of the process runs NumPy sorts (as
  the structure family's thread runs beside the k-NN work and the k-means);
- ``evaluate``: one cold ``tailwatch.evaluate`` at ``--rows`` rows (``bench_evaluate``'s data, a
  warm-up evaluate first), every figure the same under both policies (asserted).

    python -m benchmarks.bench_openmp_wait --rows 10000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

_CHILD = r"""
import json, os, sys, threading, time
import collectors  # sets OMP_WAIT_POLICY=PASSIVE unless set
if sys.argv[1] == "default":
    os.environ.pop("OMP_WAIT_POLICY")  # before scikit-learn (and so libgomp) loads
import numpy as np
from benchmarks.bench_evaluate import digit_rows
rows, case = int(sys.argv[2]), sys.argv[3]
if case == "evaluate":
    import tempfile
    import tailwatch
    tailwatch.evaluate(digit_rows(400, 4), digit_rows(400, 5), holdout=digit_rows(200, 6),
                       cache=False)
    real, holdout, version = digit_rows(rows, 1), digit_rows(rows // 2, 2), digit_rows(rows, 3)
    with tempfile.TemporaryDirectory() as cache:
        wall, cpu = time.perf_counter(), time.process_time()
        result = tailwatch.evaluate(real, version, holdout=holdout, cache=cache)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    figures = {key: repr(value) for key, value in sorted(result.figures.items())}
else:
    from collectors.metrics.regions import fit_regions
    x = digit_rows(rows, 1).to_numpy()
    x -= x.mean(axis=0)
    fit_regions(x[:500], 20, 0)  # warm-up: libgomp's threads started
    stop = threading.Event()
    def busy():
        data = np.random.default_rng(0).normal(size=200_000)
        while not stop.is_set():
            np.sort(data)
    beside = threading.Thread(target=busy) if case == "beside" else None
    if beside is not None:
        beside.start()
    wall, cpu = time.perf_counter(), time.process_time()
    labels = fit_regions(x, 20, 0)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    stop.set()
    figures = {"labels": labels.tolist()}
policy = os.environ.get("OMP_WAIT_POLICY")
print(json.dumps({"wall": wall, "cpu": cpu, "figures": figures, "policy": policy}))
"""


def run(policy: str, rows: int, case: str) -> dict[str, object]:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, policy, str(rows), case],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    out: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--cases", nargs="+", default=["alone", "beside", "evaluate"], help="what to time"
    )
    args = parser.parse_args(argv)
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (1 min) at start")
    names = {"alone": "kmeans", "beside": "kmeans beside a thread", "evaluate": "evaluate, cold"}
    print("| case | default: wall (s) | default: CPU (s) | PASSIVE: wall (s) | PASSIVE: CPU (s) "
          "| wall ratio | CPU ratio |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for case in args.cases:
        times: dict[str, list[tuple[float, float]]] = {"default": [], "passive": []}
        figures: dict[str, object] = {}
        for _ in range(args.repeats):
            for policy in ("default", "passive"):
                out = run(policy, args.rows, case)
                assert out["policy"] == (None if policy == "default" else "PASSIVE"), out["policy"]
                times[policy].append((float(out["wall"]), float(out["cpu"])))  # type: ignore[arg-type]
                figures.setdefault(policy, out["figures"])
                assert out["figures"] == figures[policy]
        assert figures["default"] == figures["passive"], "the policy changed a figure"
        med = {
            policy: tuple(statistics.median(t[i] for t in runs) for i in range(2))
            for policy, runs in times.items()
        }
        (dw, dc), (pw, pc) = med["default"], med["passive"]
        print(f"| {names[case]} ({args.rows:,} rows) | {dw:.2f} | {dc:.2f} | {pw:.2f} | {pc:.2f} "
              f"| {dw / pw:.2f} | {dc / pc:.2f} |")  # fmt: skip
    print(f"medians of {args.repeats}, alternated; the same figures under both policies")
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at the end")


if __name__ == "__main__":
    main()
