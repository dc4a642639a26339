"""Speed of the sequence figures (issue 28): a version of 2,000 sequences (~110,000 events).

Run from the repository root (needs statsmodels, in the ``bench`` extra)::

    python -m benchmarks.bench_sequences                  # about 1-2 minutes
    python -m benchmarks.bench_sequences --sequences 500  # smaller, a smoke run

Data: statsmodels' World Bank fertility panel (219 countries x 54 years, real missing values; see
``monitor.demo.sequence_data``). The versions come from :class:`SequenceModel` (an AR(1) level
model and a Markov chain of the demographic stage) fitted on the real panel: ``--sequences``
sequences of 54 events. Two references:

- ``real``: the real panel split by country, 1/3 reference (73 countries), 2/3 holdout;
- ``large``: ``--sequences`` model sequences as the reference and twice as many as the holdout
  (a reference as large as the version: the k-NN and detection cost grows with it), with the
  healthy levels at the version's size (8 draws of whole entities).

Timed (median of ``--repeats``, BLAS and the models limited to ``--threads`` threads, this
process): ``prepare`` (:class:`SequenceReference`), ``measure`` (every figure of one version) and
its parts, and ``healthy`` (once per size, ``large`` only). Prints a Markdown table and writes
``benchmarks/results/sequences.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd
from threadpoolctl import threadpool_limits

from collectors.sequences import SequenceReference
from collectors.sequences.generators import SequenceModel, shuffle_within
from collectors.sequences.sampling import split_by_shares
from collectors.sequences.summaries import sequence_detection, sequence_prdc, summaries
from monitor.demo.sequence_data import fertility_panel

T = TypeVar("T")
RESULTS = Path(__file__).resolve().parent / "results"


def timed(function: Callable[[], T], repeats: int) -> tuple[float, T]:
    """Median seconds over ``repeats`` (at least 1) calls, and the last result."""
    seconds = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def parts(ref: SequenceReference, version: pd.DataFrame, repeats: int) -> dict[str, float]:
    """Seconds of the costlier parts of one measurement."""
    prepared = ref._prepare(version, "version")
    summary = ref.standardise(summaries(prepared, ref.numeric, ref.top_states))
    out = {
        "prepare version": timed(lambda: ref._prepare(version, "version"), repeats)[0],
        "summaries": timed(lambda: summaries(prepared, ref.numeric, ref.top_states), repeats)[0],
        "sequence PRDC": timed(lambda: sequence_prdc(ref.summaries, summary), repeats)[0],
        "detection (3 folds)": timed(lambda: sequence_detection(ref.summaries, summary), repeats)[
            0
        ],
    }
    if ref.forecaster is not None:
        forecaster = ref.forecaster
        out["predictive (ridge)"] = timed(lambda: forecaster.figures(prepared), repeats)[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sequences", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    data = fertility_panel()
    model = SequenceModel.fit(data.frame, data.entity, data.time, data.numeric, data.categorical)
    version = model.sample(args.sequences, seed=3)

    def prepare(reference: pd.DataFrame, holdout: pd.DataFrame) -> SequenceReference:
        return SequenceReference(
            reference,
            holdout,
            entity=data.entity,
            time=data.time,
            numeric=data.numeric,
            categorical=data.categorical,
        )

    out: dict[str, object] = {
        "sequences": args.sequences,
        "events": len(version),
        "threads": args.threads,
        "load": os.getloadavg(),
    }
    rows: list[tuple[str, float]] = []
    with threadpool_limits(args.threads):
        reference, holdout = split_by_shares(data.frame, data.entity, [1, 2], seed=0)
        seconds, real_ref = timed(lambda: prepare(reference, holdout), 1)
        rows.append(("real reference (73 countries): prepare", seconds))
        seconds, measured = timed(lambda: real_ref.measure(version), args.repeats)
        rows.append((f"real reference: measure {args.sequences} sequences", seconds))
        out["real_figures"] = measured.figures
        large_ref_frame = model.sample(args.sequences, seed=1)
        large_holdout = model.sample(2 * args.sequences, seed=2)
        seconds, large = timed(lambda: prepare(large_ref_frame, large_holdout), 1)
        rows.append((f"large reference ({args.sequences} sequences): prepare", seconds))
        seconds, measured = timed(lambda: large.measure(version), args.repeats)
        rows.append((f"large reference: measure {args.sequences} sequences", seconds))
        out["large_figures"] = measured.figures
        for name, value in parts(large, version, args.repeats).items():
            rows.append((f"  of which {name}", value))
        shuffled = shuffle_within(version, data.entity, data.time, seed=0)
        seconds, measured = timed(lambda: large.measure(shuffled), args.repeats)
        rows.append(("large reference: measure the shuffled version", seconds))
        out["shuffled_figures"] = measured.figures
        seconds, healthy = timed(lambda: large.healthy_at(args.sequences), 1)
        rows.append((f"large reference: healthy levels at {args.sequences} (8 draws)", seconds))
        out["healthy"] = {"figures": healthy.figures, "spread": healthy.spread}
    out["seconds"] = dict(rows)
    print(
        f"{args.sequences} sequences, {len(version)} events, {args.threads} threads, load "
        f"{out['load']}"
    )
    print("| step | seconds |\n|---|---:|")
    for name, value in rows:
        print(f"| {name} | {value:.2f} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sequences.json").write_text(json.dumps(out, indent=2, default=float))


if __name__ == "__main__":
    main()
