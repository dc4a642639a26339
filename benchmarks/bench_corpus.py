"""Speed and memory of a corpus snapshot scan against DuckDB's bare scan of the same files.

Run from the repository root::

    python -m benchmarks.bench_corpus            # 10 million rows, 1 million registry rows
    python -m benchmarks.bench_corpus --quick    # 1 million rows, 100,000 registry rows

A snapshot of generated text (about 450 characters a row: two paragraphs and a row number; a third
of the rows hold a blank line, a tenth curly quotes and accents, 1 in 100 an ellipsis, which NFKC
turns into three dots) and a provenance column is written as 8 Parquet files.
The registry holds the fingerprints of 1 row in 20 plus as many random ones. In a fresh
subprocess (DuckDB: 2 threads, memory_limit 2GB), alternating, ``repeats`` times each:

- bare: ``SELECT count(*), sum(hash(text)) FROM read_parquet(files)``;
- scan: :func:`collectors.corpus.scan.scan_snapshot` (mix + exact leakage; no near-duplicates, no
  tails, no previous snapshot).

It prints medians, their ratio (target <= 3), rows/s and the subprocess's peak RSS (``VmHWM``,
target < 4 GiB), and writes ``benchmarks/results/corpus[-quick].json``. The first scan of the
subprocess also loads (or, on a fresh checkout, compiles) the Numba kernels of the fingerprint.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

RESULTS_DIR = Path(__file__).resolve().parent / "results"
GiB = 2**30


def generate(folder: Path, rows: int, registry_rows: int) -> Path:
    """Write the snapshot (8 Parquet files) and a DuckDB database holding the registry."""
    rng = np.random.default_rng(20_261_123)
    words = [f"w{i}" for i in range(20_000)] + [
        "the",
        "of",
        "and",
        "to",
        "in",
        "a",
        "is",
        "that",
        "for",
        "it",
        "was",
        "on",
    ]
    paragraphs = []
    for k in range(20_000):
        text = " ".join(rng.choice(words, size=int(rng.integers(25, 45))))
        if k % 10 == 0:
            text = text.replace(" the ", " \u201cthe\u201d caf\u00e9 ", 1)
        if k % 200 == 7:
            text += " \u2026"
        paragraphs.append(text)
    with duckdb.connect(config={"threads": 2}) as connection:
        connection.execute("CREATE TABLE paras (k INTEGER, p VARCHAR)")
        connection.executemany("INSERT INTO paras VALUES (?, ?)", list(enumerate(paragraphs)))
        for part in range(8):
            lo, hi = part * rows // 8, (part + 1) * rows // 8
            connection.execute(
                f"""COPY (SELECT a.p || CASE WHEN i % 3 = 0 THEN chr(10) || chr(10) ELSE ' ' END
                       || i::VARCHAR || ' ' || b.p AS text,
                       CASE WHEN i % 10 < 7 THEN 'human' WHEN i % 10 < 9 THEN 'synthetic'
                            ELSE 'unknown' END AS provenance
                FROM range({lo}, {hi}) r(i)
                JOIN paras a ON a.k = i % 20000 JOIN paras b ON b.k = (i * 7 + 3) % 19997
                ORDER BY i) TO '{folder}/part-{part}.parquet' (FORMAT parquet)"""
            )
    database = folder / "registry.duckdb"
    from collectors.provenance import fingerprint_query

    files = sorted(folder.glob("*.parquet"))
    listed = ", ".join(f"'{p}'" for p in files)
    with duckdb.connect(str(database), config={"threads": 2}) as connection:
        query = fingerprint_query(
            connection,
            f"read_parquet([{listed}], file_row_number = true)",
            ["text"],
            keep=["file_row_number"],
        )
        connection.execute(
            "CREATE TABLE registry (fingerprint UBIGINT, generator VARCHAR, version VARCHAR, "
            "known_human BOOLEAN)"
        )
        connection.execute(
            f"INSERT INTO registry SELECT fingerprint, 'gen', 'v1', false FROM ({query}) "
            f"WHERE file_row_number % 20 = 0 LIMIT {registry_rows // 2}"
        )
        connection.execute(
            f"INSERT INTO registry SELECT CAST(hash(i, 'x') AS UBIGINT), 'gen', 'v2', false "
            f"FROM range({registry_rows - registry_rows // 2}) r(i)"
        )
    return database


def measure(folder: Path, repeats: int) -> dict[str, object]:
    """Runs in the subprocess: alternating bare and full scans, medians and peak RSS."""
    from collectors.corpus import CorpusSettings, scan_snapshot

    files = sorted(folder.glob("*.parquet"))
    listed = ", ".join(f"'{p}'" for p in files)
    connection = duckdb.connect(
        str(folder / "registry.duckdb"),
        read_only=True,
        config={"threads": 2, "memory_limit": "2GB"},
    )
    settings = CorpusSettings(content_columns=("text",), provenance_column="provenance")
    bare, scan = [], []
    figures = None
    for _ in range(repeats):
        start = time.perf_counter()
        connection.execute(f"SELECT count(*), sum(hash(text)) FROM read_parquet([{listed}])")
        connection.fetchall()
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        figures = scan_snapshot(connection.cursor(), files, "registry", settings)
        scan.append(time.perf_counter() - start)
    peak = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) * 1024
    assert figures is not None
    return {
        "rows": figures.rows,
        "unlabeled_synthetic_rows": figures.unlabeled_synthetic_rows,
        "bare_seconds": bare,
        "scan_seconds": scan,
        "bare_median": statistics.median(bare),
        "scan_median": statistics.median(scan),
        "ratio": statistics.median(scan) / statistics.median(bare),
        "rows_per_second": figures.rows / statistics.median(scan),
        "peak_rss_bytes": peak,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 million rows instead of 10")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.repeats)))
        return 0
    rows, registry_rows = (1_000_000, 100_000) if args.quick else (10_000_000, 1_000_000)
    with tempfile.TemporaryDirectory(prefix="tailwatch-bench-corpus-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        generate(folder, rows, registry_rows)
        generated = time.perf_counter() - start
        output = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.bench_corpus",
                "--measure",
                str(folder),
                "--repeats",
                str(args.repeats),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        result = json.loads(output.strip().splitlines()[-1])
    result |= {"snapshot_rows": rows, "registry_rows": registry_rows, "generate_seconds": generated}
    print("| rows | bare (s) | scan (s) | ratio | rows/s | peak RSS (GiB) |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {rows:,} | {result['bare_median']:.2f} | {result['scan_median']:.2f} | "
        f"{result['ratio']:.2f} | {result['rows_per_second']:,.0f} | "
        f"{result['peak_rss_bytes'] / GiB:.2f} |"
    )
    RESULTS_DIR.mkdir(exist_ok=True)
    name = "corpus-quick.json" if args.quick else "corpus.json"
    (RESULTS_DIR / name).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
