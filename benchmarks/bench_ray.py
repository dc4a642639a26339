"""Full corpus scans on Ray against the DuckDB path on the same snapshot (issue 16 part 3).

Run from the repository root (needs ``pip install -e '.[ray]'``)::

    python -m benchmarks.bench_ray                   # 10 million rows, 3 timed scans each (~5 min)
    python -m benchmarks.bench_ray --rows 1000000    # a smoke run

One snapshot of 20 Parquet files (``--files``; row groups of 50,000 rows) is written as in
:mod:`benchmarks.bench_corpus_scale`: short texts (``doc-<n>``), 10 % labelled synthetic, rows
not labelled synthetic leaked registry records at about 1 %; the registry holds 200,000
synthetic records. Each engine runs in its own process: DuckDB with 1 and 2 threads, Ray on a
local cluster of 1 and 2 CPUs (``ray.init(num_cpus=N)``: N workers, each counting with a
one-thread DuckDB). Every engine first scans once untimed (Ray: workers start and load Numba's
cache), then ``--repeats`` timed scans; the medians are printed and written to
``benchmarks/results/ray.json`` with the machine's load average, and every engine's figures must
be equal (rows, mix, leaks). A second, smaller snapshot of ~1 KB texts (``--long-rows``) gives the
bytes per second a worker fingerprints, for planning a corpus by its size.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from collectors.corpus.ray_scan import RayEngine
from collectors.corpus.scan import CorpusSettings, scan_snapshot
from collectors.provenance.definition import fingerprint_texts

GROUP = 50_000
REGISTRY = 200_000
SETTINGS = CorpusSettings(content_columns=("text",), provenance_column="provenance")
ENGINES = ("duckdb-1", "duckdb-2", "ray-1", "ray-2")
OUT = Path(__file__).parent / "results" / "ray.json"
WORDS = np.array(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota"])


def body(text_bytes: int) -> str:
    """The words appended to every text of a long-text snapshot (and to the registry's)."""
    if text_bytes <= 16:
        return ""
    return " " + " ".join(np.random.default_rng(1).choice(WORDS, text_bytes // 6))


def write_snapshot(folder: Path, rows: int, files: int, text_bytes: int, seed: int = 0) -> None:
    """``files`` Parquet files of ``rows`` rows in all; texts of about ``text_bytes`` bytes."""
    rng = np.random.default_rng(seed)
    per_file = -(-rows // files)
    for index, start in enumerate(range(0, rows, per_file)):
        n = min(per_file, rows - start)
        synthetic = rng.random(n) < 0.10
        leaked = ~synthetic & (rng.random(n) < 0.01)
        ids = pc.cast(pa.array(np.arange(start, start + n)), pa.string())
        text = pc.binary_join_element_wise("doc-", ids, "")
        registry_ids = pc.cast(pa.array(rng.integers(0, REGISTRY, n)), pa.string())
        syn_text = pc.binary_join_element_wise("syn-", registry_ids, "")
        text = pc.if_else(pa.array(leaked | synthetic), syn_text, text)
        if text_bytes > 16:  # long texts: the id, then the same words (leaks still match)
            text = pc.binary_join_element_wise(text, pa.array([body(text_bytes)] * n), "")
        labels = pa.array(np.where(synthetic, "synthetic", "human")).dictionary_encode()
        table = pa.table({"text": text, "provenance": labels})
        pq.write_table(table, folder / f"part-{index:05d}.parquet", row_group_size=GROUP)


def registry(connection: duckdb.DuckDBPyConnection, text_bytes: int) -> None:
    """The registry relation: the 200,000 synthetic records the snapshot leaks from."""
    texts = [f"syn-{i}{body(text_bytes)}" for i in range(REGISTRY)]
    connection.register(
        "registry",
        pa.table(
            {
                "fingerprint": pa.array(fingerprint_texts(texts), type=pa.uint64()),
                "generator": ["writer"] * REGISTRY,
                "version": ["v1"] * REGISTRY,
                "known_human": [False] * REGISTRY,
            }
        ),
    )


class Recording(RayEngine):
    """The Ray engine, keeping each scan's dataset for Ray's stats (``dataset.stats()``)."""

    datasets: ClassVar[list[Any]] = []

    def partials(self, dataset: Any, plan: Any) -> Any:
        out = super().partials(dataset, plan)
        self.datasets.append(out)
        return out


def run_engine(engine: str, folder: Path, repeats: int, text_bytes: int) -> dict[str, object]:
    """Scan the snapshot once untimed, then ``repeats`` times; the median and the figures."""
    kind, n = engine.split("-")
    files = sorted(folder.glob("part-*.parquet"))
    connection = duckdb.connect(config={"threads": int(n) if kind == "duckdb" else 2})
    registry(connection, text_bytes)
    scan_engine = None
    if kind == "ray":
        scan_engine = Recording(num_cpus=int(n))
        started = time.perf_counter()
        scan_engine.start()
        start_seconds = time.perf_counter() - started
    times = []
    figures = None
    for attempt in range(repeats + 1):
        started = time.perf_counter()
        figures = scan_snapshot(connection, files, "registry", SETTINGS, engine=scan_engine)
        if attempt:  # the first scan warms up
            times.append(time.perf_counter() - started)
    assert figures is not None
    median = statistics.median(times)
    result: dict[str, object] = {
        "engine": engine,
        "seconds": [round(t, 2) for t in times],
        "median_seconds": round(median, 2),
        "rows_per_second": round(figures.rows / median),
        "text_bytes_per_second": round(text_bytes_total(files) / median),
        "figures": [
            figures.rows,
            figures.synthetic_rows,
            figures.unlabeled_synthetic_rows,
            figures.rows_added,
        ],
    }
    if kind == "ray":
        result["cluster_start_seconds"] = round(start_seconds, 1)
        # the scan tasks' own time (Ray's stats): per-worker throughput without the per-scan
        # fixed cost (listing files, scheduling, merging on the driver)
        stats = Recording.datasets[-1].stats()
        block = stats.split("MapBatches(scan_batch)", 1)[1]
        total = re.search(r"Remote wall time: .*?, ([\d.]+)(us|ms|s) total", block)
        assert total is not None, block[:500]
        scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0}[total.group(2)]
        seconds = float(total.group(1)) * scale
        result["task_seconds"] = round(seconds, 2)
        result["rows_per_worker_second"] = round(figures.rows / seconds)
        result["text_bytes_per_worker_second"] = round(text_bytes_total(files) / seconds)
    return result


def text_bytes_total(files: list[Path]) -> int:
    """The UTF-8 bytes of every text: what the fingerprint kernels read."""
    return sum(
        int(pc.sum(pc.binary_length(pq.read_table(f, columns=["text"])["text"])).as_py())
        for f in files
    )


def measure(folder: Path, repeats: int, text_bytes: int) -> list[dict[str, object]]:
    """Every engine in its own process (a Ray cluster's size is fixed when it starts)."""
    results = []
    for engine in ENGINES:
        command = [
            sys.executable,
            "-m",
            "benchmarks.bench_ray",
            "--engine",
            engine,
            "--folder",
            str(folder),
            "--repeats",
            str(repeats),
            "--text-bytes",
            str(text_bytes),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode or not lines:
            raise SystemExit(f"{engine} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        results.append(json.loads(lines[-1]))
        print(json.dumps(results[-1]), flush=True)
    if len({json.dumps(r["figures"]) for r in results}) != 1:
        raise SystemExit(f"the engines' figures differ: {[r['figures'] for r in results]}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--long-rows", type=int, default=1_000_000, help="0: skip")
    parser.add_argument("--engine", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--text-bytes", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:  # one engine, in this process
        print(json.dumps(run_engine(args.engine, args.folder, args.repeats, args.text_bytes)))
        return
    load_before = os.getloadavg()
    report: dict[str, object] = {"rows": args.rows, "files": args.files, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        short = Path(tmp) / "short"
        short.mkdir()
        write_snapshot(short, args.rows, args.files, 0)
        report["bytes"] = sum(p.stat().st_size for p in short.glob("*.parquet"))
        report["short_texts"] = measure(short, args.repeats, 0)
        if args.long_rows:
            long = Path(tmp) / "long"
            long.mkdir()
            write_snapshot(long, args.long_rows, args.files, 1_000)
            report["long_rows"] = args.long_rows
            report["long_bytes"] = sum(p.stat().st_size for p in long.glob("*.parquet"))
            report["long_texts"] = measure(long, args.repeats, 1_000)
    by = {r["engine"]: r for r in report["short_texts"]}  # type: ignore[union-attr]
    report["ray_scaling_2_over_1"] = round(
        by["ray-2"]["rows_per_second"] / by["ray-1"]["rows_per_second"], 2
    )
    report["ray_1_over_duckdb_1"] = round(
        by["ray-1"]["rows_per_second"] / by["duckdb-1"]["rows_per_second"], 2
    )
    report["load_average_before_after"] = [round(load_before[0], 1), round(os.getloadavg()[0], 1)]
    print(json.dumps(report, indent=2))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
