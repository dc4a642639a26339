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
kernels): everything before the first version is read.

The command line's own start-up (issue 27), from the same install: the wall time of
``tailwatch --version`` and ``--help`` (median of ``--repeat`` runs), of ``import monitor.cli``,
the time until ``tailwatch check`` first holds one of its data files open (the parent polls the
child's ``/proc/PID/fd``; no code is patched), and ``python -X importtime``'s largest imports
(cumulative) of ``import monitor.cli`` and of the ``check`` command's module. ``--cli-only`` skips
the scans; ``--source DIR`` installs another tree (e.g. an older commit's ``git archive``) for a
before/after comparison on the same machine. Writes benchmarks/results/cold_start.json.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import select
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


def _median_wall(argv: list[str], env: dict[str, str], cwd: Path, repeat: int) -> float:
    walls = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True, timeout=300)
        walls.append(time.perf_counter() - began)
    return round(float(np.median(walls)), 3)


_IN_OPEN = 0x20


def _first_open(argv: list[str], env: dict[str, str], cwd: Path, folders: list[Path]) -> float:
    """Seconds from the start of ``argv`` until a file in ``folders`` is opened (inotify's
    IN_OPEN, so no code is patched and a read of a few milliseconds is seen); then killed."""
    libc = ctypes.CDLL(None, use_errno=True)
    watcher = libc.inotify_init()
    if watcher < 0:
        raise OSError(ctypes.get_errno(), "inotify_init")
    try:
        for folder in folders:
            if libc.inotify_add_watch(watcher, str(folder).encode(), _IN_OPEN) < 0:
                raise OSError(ctypes.get_errno(), f"inotify_add_watch {folder}")
        began = time.perf_counter()
        child = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            while child.poll() is None:
                ready, _, _ = select.select([watcher], [], [], 0.5)
                if ready:
                    return round(time.perf_counter() - began, 3)
        finally:
            child.kill()
            _, stderr = child.communicate(timeout=60)
        raise RuntimeError(f"{argv} opened nothing in {folders}: {stderr.decode()[-2000:]}")
    finally:
        os.close(watcher)


def _import_times(statement: str, env: dict[str, str], cwd: Path, top: int = 12) -> list:
    """``python -X importtime``'s ``top`` largest imports by cumulative time (seconds)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((parts[2].rstrip(), int(parts[1]) / 1e6))
    rows.sort(key=lambda row: -row[1])
    return [[name, round(seconds, 3)] for name, seconds in rows[:top]]


def command_line(root: Path, site: Path, env: dict[str, str], repeat: int) -> dict[str, object]:
    """The CLI's start-up from the install in ``site`` (see the module's docstring)."""
    env = {**env, "PYTHONPATH": str(site)}
    cli = [sys.executable, "-m", "monitor.cli"]
    data = root / "claims"
    reference = str((data / "real" / "part-0.parquet").resolve())
    version = str((data / "versions" / "v1.parquet").resolve())
    check = [*cli, "check", version, "--reference", reference]
    return {
        "version_seconds": _median_wall([*cli, "--version"], env, root, repeat),
        "help_seconds": _median_wall([*cli, "--help"], env, root, repeat),
        "import_monitor_cli_seconds": _median_wall(
            [sys.executable, "-c", "import monitor.cli"], env, root, repeat
        ),
        "check_first_file_open_seconds": sorted(
            _first_open(check, env, root, [data / "real", data / "versions"]) for _ in range(repeat)
        ),
        "importtime_monitor_cli": _import_times("import monitor.cli", env, root),
        "importtime_check_command": _import_times(
            "import monitor.cli; monitor.cli.COMMANDS['check'].load("
            "monitor.cli.COMMANDS['check'].target)"
            if _lazy(site)
            else "import monitor.cli",
            env,
            root,
        ),
    }


def _lazy(site: Path) -> bool:
    return "COMMANDS: dict[str, Command]" in (site / "monitor" / "cli.py").read_text()


def _scans(root: Path, site: Path, env: dict[str, str], repeat: int) -> dict[str, list]:
    config = root / "work" / "tailwatch.toml"
    subprocess.run(
        [sys.executable, "-m", "monitor.cli", "init", str(root / "claims"), "--out", str(config)],
        env={**env, "PYTHONPATH": str(site)},
        check=True,
        capture_output=True,
    )
    runs: dict[str, list[dict[str, float | bool]]] = {"no cache": [], "cached": []}
    for i in range(repeat):
        fresh = {**env, "NUMBA_CACHE_DIR": str(root / f"empty-{i}")}
        runs["no cache"].append(_scan(site, config, fresh))
    runs["first run"] = [_scan(site, config, env)]
    for _ in range(repeat):
        runs["cached"].append(_scan(site, config, env))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each kind")
    parser.add_argument("--cli-only", action="store_true", help="the command line's start-up only")
    parser.add_argument("--source", type=Path, default=REPO, help="the tree to install")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tailwatch-cold-") as temporary:
        root = Path(temporary)
        site = root / "site"
        began = time.time()
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), "."],
            cwd=args.source,
            check=True,
        )
        install = time.time() - began
        assert (site / "monitor" / "runbooks.md").is_file(), "runbooks.md missing from the wheel"
        _data(root / "claims")
        env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
        result: dict[str, object] = {
            "source": str(args.source),
            "install_seconds": round(install, 1),
            "command_line": command_line(root, site, env, max(args.repeat, 3)),
        }
        if not args.cli_only:
            result["runs"] = _scans(root, site, env, args.repeat)
    result["load_average"] = os.getloadavg()
    result["python"] = sys.version.split()[0]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
