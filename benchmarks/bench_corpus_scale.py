"""Sampled estimates against the full scan on one large snapshot (issue 16).

Run from the repository root::

    python -m benchmarks.bench_corpus_scale                  # 100 million rows (a few minutes)
    python -m benchmarks.bench_corpus_scale --rows 2000000   # a smoke run

A snapshot of short texts (``doc-<n>``) and a provenance column is written as Parquet files of
50,000-row row groups. 10 % of the rows are labelled synthetic. Rows not labelled synthetic are
leaked registry records at a rate that varies by row group (Beta(20, 1980): mean 1 %, sd 0.22 pp),
the clustering a corpus written in batches has. The full scan
(:func:`collectors.corpus.scan.scan_snapshot`, DuckDB, 2 threads) gives the truth; the sampled scan
reads ``--share`` of the row groups (at least ``--min-groups``). Printed and written to
``benchmarks/results/corpus-scale.json``: rows/s of both, the sampled estimate of the unlabelled
synthetic ratio, its 95 % interval's half-width and its error against the truth (percentage
points), and the bytes read against the snapshot's bytes.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from collectors.corpus import CorpusSettings, SamplingSettings, scan_snapshot
from collectors.provenance import fingerprint_texts

GROUP = 50_000
REGISTRY = 200_000
OUT = Path(__file__).parent / "results" / "corpus-scale.json"


def write_snapshot(folder: Path, rows: int, seed: int = 0) -> list[Path]:
    """Files of 2 million rows (40 row groups each); returns their paths."""
    rng = np.random.default_rng(seed)
    files, per_file = [], 2_000_000
    for start in range(0, rows, per_file):
        n = min(per_file, rows - start)
        groups = -(-n // GROUP)
        leak_rate = np.repeat(rng.beta(20, 1980, groups), GROUP)[:n]
        synthetic = rng.random(n) < 0.10
        leaked = ~synthetic & (rng.random(n) < leak_rate)
        ids = pa.array(np.arange(start, start + n))
        text = pc.binary_join_element_wise("doc-", pc.cast(ids, pa.string()), "")
        registry_ids = pa.array(rng.integers(0, REGISTRY, n))
        syn_text = pc.binary_join_element_wise("syn-", pc.cast(registry_ids, pa.string()), "")
        text = pc.if_else(pa.array(leaked | synthetic), syn_text, text)
        labels = pa.array(np.where(synthetic, "synthetic", "human")).dictionary_encode()
        path = folder / f"part-{start // per_file:05d}.parquet"
        pq.write_table(pa.table({"text": text, "provenance": labels}), path, row_group_size=GROUP)
        files.append(path)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--share", type=float, default=0.02)
    parser.add_argument("--min-groups", type=int, default=100)
    parser.add_argument("--keep", type=Path, default=None, help="write the snapshot here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        files = sorted(folder.glob("part-*.parquet")) or write_snapshot(folder, args.rows)
        written = time.perf_counter() - started
        registry_texts = [f"syn-{i}" for i in range(REGISTRY)]
        registry = pa.table(
            {
                "fingerprint": pa.array(fingerprint_texts(registry_texts), type=pa.uint64()),
                "generator": ["writer"] * REGISTRY,
                "version": ["v1"] * REGISTRY,
                "known_human": [False] * REGISTRY,
            }
        )
        connection = duckdb.connect(config={"threads": 2, "memory_limit": "8GB"})
        connection.register("registry", registry)
        base = {"content_columns": ("text",), "provenance_column": "provenance"}
        started = time.perf_counter()
        sampled = scan_snapshot(
            connection,
            files,
            "registry",
            CorpusSettings(
                **base,  # type: ignore[arg-type]
                sampling=SamplingSettings(
                    above_rows=1, row_group_share=args.share, min_row_groups=args.min_groups
                ),
            ),
        )
        sampled_seconds = time.perf_counter() - started
        started = time.perf_counter()
        full = scan_snapshot(connection, files, "registry", CorpusSettings(**base))  # type: ignore[arg-type]
        full_seconds = time.perf_counter() - started
    pp = 100.0
    result = {
        "rows": full.rows,
        "files": len(files),
        "row_groups": -(-full.rows // GROUP),
        "write_seconds": round(written, 1),
        "full_scan_seconds": round(full_seconds, 1),
        "full_rows_per_second": round(full.rows / full_seconds),
        "sampled_seconds": round(sampled_seconds, 2),
        "sample_row_groups": sampled.sample_row_groups,
        "sample_rows": sampled.sample_rows,
        "bytes_read": int(sampled.bytes_read),
        "bytes_total": int(sampled.bytes_total),
        "bytes_read_share": round(sampled.bytes_read / sampled.bytes_total, 4),
        "truth_unlabeled_synthetic_ratio_pp": round(full.unlabeled_synthetic_ratio * pp, 4),
        "estimate_pp": round(sampled.unlabeled_synthetic_ratio * pp, 4),
        "error_pp": round(
            (sampled.unlabeled_synthetic_ratio - full.unlabeled_synthetic_ratio) * pp, 4
        ),
        "half_width_pp": round(
            (sampled.unlabeled_synthetic_ratio_upper - sampled.unlabeled_synthetic_ratio_lower)
            / 2
            * pp,
            4,
        ),
        "covered": sampled.unlabeled_synthetic_ratio_lower
        <= full.unlabeled_synthetic_ratio
        <= sampled.unlabeled_synthetic_ratio_upper,
        "truth_synthetic_fraction_pp": round(full.synthetic_fraction * pp, 4),
        "estimate_synthetic_fraction_pp": round(sampled.synthetic_fraction * pp, 4),
    }
    print(json.dumps(result, indent=2))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
