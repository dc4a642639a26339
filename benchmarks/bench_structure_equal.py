"""Before/after equality of the structure figures on real data (a cost change must not move them).

Run at two commits (a snapshot of each: ``git archive <commit> | tar -x -C /tmp/<dir>``) and
compare::

    PYTHONPATH=/tmp/before python -m benchmarks.bench_structure_equal dump /tmp/before.json
    PYTHONPATH=/tmp/after python -m benchmarks.bench_structure_equal dump /tmp/after.json
    python -m benchmarks.bench_structure_equal compare /tmp/before.json /tmp/after.json

Tables: scikit-learn's wine (178 rows) and breast cancer (569 rows), 8 numeric columns, the class
and a quartile-binned column as categories, a third each as reference, version and holdout.
Versions: fresh rows, the binned column permuted (its relations broken), a numeric column spread
3x (the version's k-NN tie tolerance above the reference's), the rarest class down to 3 rows
(coverage by nearest distances), the fresh rows again (cached real side); without a target and
with the class as target (boundary coverage); and the healthy levels at half the reference's size.
Dumped: every figure, per-feature figure, per-class coverage/recall and audit (errors and
importance changes), as JSON (floats written exactly); ``compare`` exits 1 on any difference.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_wine


def _frame(loader: object) -> pd.DataFrame:
    data = loader()  # type: ignore[operator]
    frame = pd.DataFrame(data.data[:, :8], columns=[f"x{i}" for i in range(8)])
    frame["cls"] = np.array(["a", "b", "c"])[data.target]
    bins = pd.qcut(data.data[:, 9], 4, labels=["q1", "q2", "q3", "q4"])
    frame["bin"] = np.asarray(bins, dtype=object).astype(str)
    return frame


def dump(path: Path) -> None:
    import collectors
    from collectors.metrics.structure import StructureReference

    out: dict[str, object] = {"collectors": str(collectors.__file__)}
    for name, loader in [("wine", load_wine), ("breast_cancer", load_breast_cancer)]:
        table = _frame(loader).sample(frac=1.0, random_state=0).reset_index(drop=True)
        n = len(table) // 3
        reference = table.iloc[:n].reset_index(drop=True)
        version = table.iloc[n : 2 * n].reset_index(drop=True)
        holdout = table.iloc[2 * n :].reset_index(drop=True)
        rng = np.random.default_rng(1)
        broken = version.copy()
        broken["bin"] = rng.permutation(broken["bin"].to_numpy())
        spread = version.copy()
        spread["x0"] = spread["x0"] * 3.0
        few = version.copy()
        classes = few["cls"].to_numpy().copy()
        classes[np.flatnonzero(classes == "c")[3:]] = "a"
        few["cls"] = classes
        versions = {"fresh": version, "broken": broken, "spread": spread, "few": few}
        versions["fresh_again"] = version
        for target in (None, "cls"):
            structure = StructureReference(
                reference, holdout, categorical=["cls", "bin"], target=target, seed=3
            )
            for label, frame in versions.items():
                measured = structure.measure(frame)
                out[f"{name}/{target}/{label}"] = {
                    "figures": measured.figures,
                    "per_feature": measured.per_feature(),
                    "classes": {
                        column: [vars(entry) for entry in entries]
                        for column, entries in measured.classes.items()
                    },
                    "audits": [
                        [
                            a.column,
                            a.real_error,
                            a.version_error,
                            [list(c) for c in a.importance_change],
                        ]
                        for a in measured.audits
                    ],
                }
            healthy = structure.healthy_at(n // 2, draws=3)
            out[f"{name}/{target}/healthy"] = {"levels": healthy.figures, "spread": healthy.spread}
    path.write_text(json.dumps(out, indent=1, sort_keys=True, default=str))
    print(f"{len(out) - 1} measurements written to {path} ({out['collectors']})")


def compare(before: Path, after: Path) -> int:
    first, second = json.loads(before.read_text()), json.loads(after.read_text())
    first.pop("collectors", None)
    second.pop("collectors", None)
    differ = sorted(k for k in first.keys() | second.keys() if first.get(k) != second.get(k))
    print(f"{len(first)} measurements, {len(differ)} differ" + (f": {differ}" if differ else ""))
    return 1 if differ else 0


def main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1] == "dump":
        dump(Path(sys.argv[2]))
    elif len(sys.argv) >= 4 and sys.argv[1] == "compare":
        raise SystemExit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
