"""Cold start of ``tailwatch scan --once`` on a fresh non-editable install (issue 14).

Installs the working tree with ``pip install --no-deps --target`` into a temporary folder, writes
a small data folder (2,000 real rows, 1,000 holdout rows, one 1,000-row version; four numeric
columns and one categorical) and its config with ``tailwatch init``, then runs ``scan --once``
from that install (the checkout is not on the path) three ways, each on a fresh store:

- ``no cache``: ``NUMBA_CACHE_DIR`` is a new empty folder every run: every start compiles the
  kernels (an install whose cache cannot be written or kept);
- ``first run``: the fresh install's first start (compiles and writes the cache);
- ``cached``: the next start (loads the compiled kernels).

Start-up is the time from the process start to the JSON log line ``reference fitted`` (imports,
config, store, reading and fitting the reference with its healthy draws, which run the k-NN
kernels): everything before the first version is read. Writes benchmarks/results/cold_start.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "cold_start.json"


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.normal(45, 12, rows),
            "amount": rng.lognormal(size=rows),
            "score": rng.random(rows),
            "tenure": rng.exponential(3, rows),
            "region": rng.choice(["north", "south", "east", "west"], rows),
        }
    )


def _data(folder: Path) -> None:
    (folder / "real").mkdir(parents=True)
    (folder / "versions").mkdir()
    _frame(2000, 0).to_parquet(folder / "real" / "part-0.parquet")
    _frame(1000, 1).to_parquet(folder / "holdout.parquet")
    _frame(1000, 2).to_parquet(folder / "versions" / "v1.parquet")


def _scan(site: Path, config: Path, env: dict[str, str]) -> dict[str, float | bool]:
    store = config.parent / "tailwatch.duckdb"
    for leftover in config.parent.glob("tailwatch.duckdb*"):
        leftover.unlink()
    started = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "scan", "--once", "--config", str(config)],
        cwd=config.parent,
        env={**env, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    wall = time.time() - started
    if done.returncode != 0:
        raise RuntimeError(f"scan failed ({done.returncode}): {done.stderr[-2000:]}")
    events: dict[str, float] = {}
    compiling = False
    for line in done.stderr.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        moment = datetime.fromisoformat(entry["time"]).timestamp()
        events.setdefault(entry["message"], moment - started)
        compiling |= entry["message"].startswith("compiling kernels")
    assert store.exists()
    return {
        "startup_seconds": round(events["reference fitted"], 2),
        "first_version_measured_seconds": round(events["version measured"], 2),
        "wall_seconds": round(wall, 2),
        "announced_compiling": compiling,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tailwatch-cold-") as temporary:
        root = Path(temporary)
        site = root / "site"
        began = time.time()
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), "."],
            cwd=REPO,
            check=True,
        )
        install = time.time() - began
        assert (site / "monitor" / "runbooks.md").is_file(), "runbooks.md missing from the wheel"
        _data(root / "claims")
        config = root / "work" / "tailwatch.toml"
        env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
        subprocess.run(
            [sys.executable, "-m", "monitor.cli", "init", str(root / "claims"), "--out",
             str(config)],
            env={**env, "PYTHONPATH": str(site)},
            check=True,
            capture_output=True,
        )  # fmt: skip
        runs: dict[str, list[dict[str, float | bool]]] = {"no cache": [], "cached": []}
        for i in range(args.repeat):
            fresh = {**env, "NUMBA_CACHE_DIR": str(root / f"empty-{i}")}
            runs["no cache"].append(_scan(site, config, fresh))
        runs["first run"] = [_scan(site, config, env)]
        for _ in range(args.repeat):
            runs["cached"].append(_scan(site, config, env))
        imports = []
        for _ in range(args.repeat):
            began = time.time()
            subprocess.run(
                [sys.executable, "-c", "import monitor.cli"],
                cwd=root,
                env={**env, "PYTHONPATH": str(site)},
                check=True,
            )
            imports.append(round(time.time() - began, 2))
    result = {
        "install_seconds": round(install, 1),
        "import_monitor_cli_seconds": imports,
        "runs": runs,
        "load_average": os.getloadavg(),
        "python": sys.version.split()[0],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
