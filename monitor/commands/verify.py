"""``tailwatch verify``: a version's rows with their verdicts, and the kept subset, as Parquet.

Generate, then verify: each row of the version (files, a folder or a glob) is judged against the
real reference as the daemon judges samples (:mod:`collectors.gates.verify`): inside the real
support (some real k-NN ball holds it), authentic (no closer to a training row than the holdout
is), within the real ranges and categories. Written to ``--out``:

* ``rows.parquet``: every row with ``tailwatch_in_support``, ``tailwatch_authentic``,
  ``tailwatch_in_range``, ``tailwatch_known_categories``, ``tailwatch_kept`` and
  ``tailwatch_training_distance``;
* ``kept.parquet``: the rows kept;
* ``verify.json``: the yield, each verdict's share, and the trade-off: the raw version's and the
  kept subset's coverage, precision, recall, density (and utility with ``--target``).

Exit status: 0 done, 2 usage or data error (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import duckdb
import pandas as pd

from collectors.gates import Task
from collectors.recipe import ReferenceRecipe
from collectors.sources import read_table, resolve_files
from monitor.settings import StorageSettings

__all__ = ["add_arguments", "command_verify", "verify_frames"]

EXIT_OK, EXIT_DATA = 0, 2
TRADE_OFF = ("precision", "recall", "density", "coverage", "utility_ratio", "membership_auc")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``tailwatch verify``'s arguments."""
    parser.add_argument("version", help="the version's rows: a file, folder or glob")
    parser.add_argument("--reference", required=True, help="real data (file, folder or glob)")
    parser.add_argument("--holdout", help="real rows the generator never saw (default: 20 %%)")
    parser.add_argument("--training", help="the generator's training rows (default: reference)")
    parser.add_argument("--target", help="target column: utility of raw vs kept rows")
    parser.add_argument("--task", choices=("classification", "regression"), default=None)
    parser.add_argument("--categorical", nargs="+", default=None, metavar="COLUMN")
    parser.add_argument("--columns", nargs="+", default=None, metavar="COLUMN")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("verified"), help="output folder")


def _read(pattern: str, what: str, columns: list[str] | None) -> pd.DataFrame:
    return read_table(resolve_files(pattern), columns=columns, source=f"{what} ({pattern})")


def verify_frames(
    version: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    holdout: pd.DataFrame | None = None,
    training: pd.DataFrame | None = None,
    target: str | None = None,
    task: Task | None = None,
    categorical: list[str] | None = None,
    columns: list[str] | None = None,
    k: int = 5,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Every row of ``version`` with its verdicts, and the summary written to ``verify.json``."""
    recipe = ReferenceRecipe(  # the daemon's recipe (collectors.recipe): split, gates, checks
        k=k,
        seed=seed,
        sample_size=len(version) if len(version) > k else None,
        columns=tuple(columns) if columns is not None else None,
        categorical=tuple(categorical or ()),
        target=target,
        task=task,
        mixing=None,  # verdicts only: the mixing sweep is the version gate's (issue 29)
    )
    fitted = recipe.fit(reference, holdout=holdout, training=training).model
    version = version.reset_index(drop=True)
    raw = fitted.measure(version, source="version")
    assert raw.gates is not None and raw.gates.verdicts is not None
    verdicts = raw.gates.verdicts
    rows = verdicts.frame(version)
    kept = version[verdicts.kept].reset_index(drop=True)
    summary: dict[str, object] = {
        "rows": len(version),
        "kept_rows": len(kept),
        **{name: raw.figures[name] for name in verdicts.figures()},
        "raw": {n: raw.figures[n] for n in TRADE_OFF if n in raw.figures},
    }
    if len(kept) > k:
        subset = fitted.measure(kept, source="kept rows").figures
        summary["kept"] = {n: subset[n] for n in TRADE_OFF if n in subset}
    else:
        summary["kept"] = None  # too few rows kept to measure
    return rows, summary


def command_verify(args: argparse.Namespace) -> int:
    """``tailwatch verify``: write rows.parquet, kept.parquet and verify.json under ``--out``.

    The files hold the version's rows: they are written under the default ``[storage] umask``
    (0077: 0600 files, 0700 folders), as every file Tailwatch writes, never the shell's 0022.
    """
    os.umask(StorageSettings().umask_bits)
    try:
        columns = args.columns
        rows, summary = verify_frames(
            _read(args.version, "version", columns),
            _read(args.reference, "reference", columns),
            holdout=_read(args.holdout, "holdout", columns) if args.holdout else None,
            training=_read(args.training, "training", columns) if args.training else None,
            target=args.target,
            task=args.task,
            categorical=args.categorical,
            columns=columns,
            k=args.k,
            seed=args.seed,
        )
        args.out.mkdir(parents=True, exist_ok=True)
        rows.to_parquet(args.out / "rows.parquet", index=False)
        kept = rows[rows["tailwatch_kept"]].drop(
            columns=[c for c in rows.columns if c.startswith("tailwatch_")]
        )
        kept.to_parquet(args.out / "kept.parquet", index=False)
        (args.out / "verify.json").write_text(json.dumps(summary, indent=2) + "\n")
    except (ValueError, OSError, duckdb.Error) as error:
        text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
        print(f"tailwatch verify: {text or type(error).__name__}", file=sys.stderr)
        return EXIT_DATA
    print(
        f"verified {summary['rows']} rows: kept {summary['kept_rows']} "
        f"(yield {summary['verified_yield']:.3f}) -> {args.out}"
    )
    return EXIT_OK
