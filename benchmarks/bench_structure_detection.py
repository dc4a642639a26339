"""Draft detection experiment for the structure figures (issue 23): breaks that keep marginals.

Run from the repository root (needs statsmodels, in the ``bench`` extra; about 1-2 minutes)::

    python -m benchmarks.bench_structure_detection [--seeds 0 1] [--versions 7] [--rows 1000]

Table: statsmodels' Fair survey (benchmarks.detection.data.fair: 6 coded numeric columns, two
occupations, the class ``affair``); the first 2,000 shuffled rows are the reference, the other
4,366 the holdout. Generator: scikit-learn's GaussianMixture, one model per class
(benchmarks.detection.generators, ``gmm``), each version fit on a fresh bootstrap of the
reference (a healthy control: refit noise only). From version ``--onset`` on, two scenarios
break the control's versions while keeping every marginal:

- ``interaction``: ``occupation`` permuted within each class: its share and its relation to the
  class stay, its relations to education and the husband's occupation are gone;
- ``minority``: occupation o6 (1.7 % of the rows) thinned to a tenth: 90 % of its rows replaced by
  copies of the version's other rows.

Per version it prints the structure figures and flags each figure that moved from the baseline
(the mean of the versions before ``--onset``) by more than ``Z`` noise units in its bad
direction, the noise being the larger of the real-vs-real spread at the versions' size and the
baseline versions' own standard deviation (refit noise: a healthy generator's versions differ by
more than sampling noise). ``categories_off_share`` (the binomial test against the reference) is
printed, not flagged: a healthy GMM's argmax decoding keeps some category shares off the
reference in every version, a constant gap rather than a change; ``categories_off_baseline`` is
the same test against the pooled shares of the versions before the onset (change, not
distance), and ``category_shift_z_min`` the most negative per-category z of
:func:`collectors.metrics.structure.categories.category_share_shift` (the baseline versions'
shares with their own refit noise), flagged below -``Z``.
A draft: no persistence rule, no check wiring; the verdicts Tailwatch would page on belong to
H1's check registry.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
import pandas as pd

from benchmarks.detection.data import fair
from benchmarks.detection.generators import synthesize
from collectors.metrics.structure import StructureReference, category_shares
from collectors.metrics.structure.categories import category_share_shift

Z = 4.0
# figure -> +1 when a rise is bad, -1 when a fall is bad
WATCHED = {
    "dependence_difference_max": 1,
    "detection_auc": 1,
    "interaction_loss_max": 1,
    "class_coverage_min": -1,
    "category_share_ratio_min": -1,
}


def interaction_break(frame: pd.DataFrame, target: str, rng: np.random.Generator) -> pd.DataFrame:
    """Permute ``occupation`` within each class of ``target``."""
    out = frame.copy()
    for _, index in out.groupby(target).groups.items():
        out.loc[index, "occupation"] = rng.permutation(out.loc[index, "occupation"].to_numpy())
    return out


def thin_minority(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Occupation o6 at a tenth of its share (90 % of its rows replaced by other rows' copies)."""
    rare = np.flatnonzero(frame["occupation"].to_numpy() == "o6")
    drop = rng.choice(rare, size=round(0.9 * len(rare)), replace=False)
    others = frame[frame["occupation"] != "o6"]
    fill = others.iloc[rng.choice(len(others), size=len(drop), replace=True)]
    return pd.concat([frame.drop(index=frame.index[drop]), fill], ignore_index=True)


def flags(
    figures: dict[str, float],
    baseline: dict[str, float],
    spread: dict[str, float],
    refit: dict[str, float],
) -> str:
    """Figures beyond ``Z`` noise units from the baseline, the noise being the larger of the
    real-vs-real spread and the baseline versions' own dispersion (refit noise)."""
    out = []
    for name, sign in WATCHED.items():
        noise = max(spread.get(name, 0.0), refit.get(name, 0.0))
        if name in figures and name in baseline and noise > 0:
            z = sign * (figures[name] - baseline[name]) / noise
            if z > Z:
                out.append(f"{name}(z={z:.0f})")
    if figures.get("category_shift_z_min", 0.0) < -Z:  # already in noise units
        out.append(f"category_shift_z_min(z={figures['category_shift_z_min']:.0f})")
    return ", ".join(out) or "-"


def run(seed: int, versions: int, onset: int, rows: int) -> None:
    base = fair()
    table = pd.concat([base.train, base.holdout, base.test], ignore_index=True)
    table = table.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    reference = table.iloc[:2000].reset_index(drop=True)
    holdout = table.iloc[2000:].reset_index(drop=True)
    data = dataclasses.replace(base, train=reference, holdout=holdout)
    start = time.perf_counter()
    structure = StructureReference(
        reference[data.columns], holdout[data.columns], target=data.target, seed=seed
    )
    healthy = structure.healthy_at(rows)
    print(
        f"\n### seed {seed}: reference prepared and healthy levels at {healthy.drawn_rows} rows "
        f"in {time.perf_counter() - start:.0f} s"
    )
    rng = np.random.default_rng(seed)
    controls = []
    for v in range(versions):
        boot = reference.iloc[rng.choice(len(reference), len(reference), replace=True)]
        controls.append(synthesize("gmm", data, boot.reset_index(drop=True), rows, seed * 100 + v))
    scenarios = {
        "control": controls,
        "interaction": [
            c if v < onset else interaction_break(c, data.target, rng)
            for v, c in enumerate(controls)
        ],
        "minority": [c if v < onset else thin_minority(c, rng) for v, c in enumerate(controls)],
    }
    cache: dict[int, dict[str, float]] = {}
    columns = [*WATCHED, "category_shift_z_min", "categories_off_share", "categories_off_baseline"]
    for name, frames in scenarios.items():
        print(f"\n{name} (break from version {onset + 1})\n")
        print("| version | " + " | ".join(columns) + " | flags |")
        print("|---|" + "---|" * (len(columns) + 1))
        measured = []
        for frame in frames:
            key = id(frame)
            if key not in cache:
                cache[key] = structure.measure(frame, importance=False).figures
            measured.append(dict(cache[key]))
        pooled = pd.concat(frames[:onset], ignore_index=True)
        for frame, figures in zip(frames, measured, strict=True):
            # The same binomial test against the baseline versions' pooled shares: change, not
            # distance (a generator's constant category gaps cancel).
            shares = category_shares(pooled, frame, columns=structure.columns)
            figures["categories_off_baseline"] = shares.figures()["categories_off_share"]
            shifts = category_share_shift(frames[:onset], frame, columns=structure.columns)
            figures["category_shift_z_min"] = shifts[0].z if shifts else 0.0
        before = measured[:onset]
        baseline = {n: float(np.mean([m[n] for m in before if n in m])) for n in columns}
        refit = {n: float(np.std([m[n] for m in before if n in m], ddof=1)) for n in columns}
        for v, figures in enumerate(measured):
            cells = " | ".join(f"{figures.get(n, float('nan')):.3g}" for n in columns)
            print(f"| {v + 1} | {cells} | {flags(figures, baseline, healthy.spread, refit)} |")
    print("\nhealthy levels / sd:")
    for n in columns:
        print(f"  {n}: {healthy.figures.get(n, float('nan')):.3g} / {healthy.spread.get(n, 0):.3g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--versions", type=int, default=7)
    parser.add_argument("--onset", type=int, default=3, help="versions before the break")
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args()
    for seed in args.seeds:
        run(seed, args.versions, args.onset, args.rows)


if __name__ == "__main__":
    main()
