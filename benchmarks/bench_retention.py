"""History retention over 200 versions: the store's size with and without pruning (issue 14).

Records 200 generator runs of realistic size (the test's: headline, healthy and per-feature
figures for 30 features, 20 regions, a ~150 KB histograms detail) into a real DuckDB file twice:
unpruned, and pruned to ``keep_versions = 20`` every 10 versions (as the daemon's schedule does,
with its CHECKPOINT); then compacts the pruned file (copy into a fresh file, atomic replace).
Writes benchmarks/results/retention.json.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np

from monitor.store import Store, compact_file, prune, store_bytes
from tests.support.report_histories import generator_run

RESULTS = Path(__file__).resolve().parent / "results" / "retention.json"


def main() -> None:
    rng = np.random.default_rng(3)
    sizes: list[int] = []
    prune_seconds: list[float] = []
    with tempfile.TemporaryDirectory(prefix="tailwatch-retention-") as temporary:
        root = Path(temporary)
        with Store(root / "pruned.duckdb") as pruned, Store(root / "all.duckdb") as everything:
            for index in range(200):
                run = generator_run(index, rng)
                pruned.record_run(run)
                everything.record_run(run)
                if index % 10 == 9:
                    result = prune(pruned, keep_versions=20, keep_days=None)
                    prune_seconds.append(round(result.seconds, 3))
                    sizes.append(store_bytes(pruned.path))
            everything.checkpoint()
            unbounded = store_bytes(everything.path)
        began = time.monotonic()
        before, after = compact_file(root / "pruned.duckdb")
        compact_seconds = time.monotonic() - began
    mib = 1 << 20
    result = {
        "unpruned_mib_at_200": round(unbounded / mib, 1),
        "pruned_mib_every_10_versions": [round(s / mib, 1) for s in sizes],
        "pruned_max_mib": round(max(sizes) / mib, 1),
        "compacted_mib": round(after / mib, 1),
        "compact_seconds": round(compact_seconds, 2),
        "prune_seconds_max": max(prune_seconds),
        "before_compaction_mib": round(before / mib, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
