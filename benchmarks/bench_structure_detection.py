"""Detection benchmark of the structure checks (issue 23): breaks that keep the marginals.

Run from the repository root (needs statsmodels, in the ``bench`` extra)::

    python -m benchmarks.bench_structure_detection [--quick] [--seeds 0 1] [--rows 1000]

``--quick`` (about 5 minutes on 2 loaded cores): seeds 0 and 1, and the broken scenarios
measured up to version 7 (onset + 2, all the lag criterion reads); the controls keep 9 versions.

Table: statsmodels' Fair survey (:func:`benchmarks.detection.data.fair`: 6 coded numeric columns,
two occupations with rare categories, the class ``affair``); per seed the shuffled table's first
2,000 rows are the reference, the rest the holdout. Generator: scikit-learn's GaussianMixture, one
model per class (:func:`benchmarks.detection.generators.synthesize`, ``gmm``), each version fitted
on a fresh bootstrap of the reference: the healthy control (refit noise only). Nine versions; from
the fifth on, four scenarios break the control's versions:

- ``interaction``: ``occupation`` permuted within each class (its share and its relation to the
  class stay; its relations to education and the husband's occupation are gone);
- ``minority``: the rarest category of the two occupation columns with at least
  :data:`MINORITY_ROWS` rows expected at the versions' size (``occupation_husb`` o3, about 7 %)
  thinned to a tenth of its share (90 % of its rows replaced by copies of other rows);
- ``rare`` (reported, not required): ``occupation`` o6 (about 2 %: 20 rows of 1,000) thinned to a
  tenth: at the floor of the category test (:mod:`monitor.checks.rules_category_shares`: with the
  refit noise of a 2,000-row reference a tenfold thinning breaches half the 1,000-row versions
  from about 17 rows expected, nine in ten from about 23; ``benchmarks.bench_category_floor``), so
  found or not by how many rows the generator's first versions drew;
- ``joint``: every column permuted on its own (every marginal exact, the joint gone);
- ``modes``: the ``affair = yes`` class collapsed onto 3 of its rows (its share kept).

Each version is measured by :class:`collectors.metrics.structure.StructureReference` (healthy
levels from real holdout draws at the versions' size), plus the two core figures the structure
checks also judge (:data:`CORE`: ``correlation_difference`` in ``dependence_shift``, ``mmd`` in
``detectability_rise``) from the daemon's :class:`collectors.generator.GeneratorReference` with
their healthy levels, and judged by :func:`evaluate_checks` with
the default thresholds, exactly as the daemon judges stored versions; a scenario *pages* at the
first version where a collapse check has breached ``persistence`` (2) versions in a row. Printed:
per scenario and seed the versions each structure check breached, the paging version and the lag
(paging version - 5), the structure gaps breached, and what the core figures alone breach
(``correlation_difference`` and ``mmd`` without the family's figures); a healthy control must
never page nor breach a structure check.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from benchmarks.detection.data import fair
from benchmarks.detection.generators import synthesize
from collectors.healthy import HealthyLevels
from collectors.metrics.structure import StructureMeasurement, StructureReference
from collectors.recipe import ReferenceRecipe
from monitor.checks import CheckThresholds, VersionFigures, evaluate_checks

VERSIONS = 9
ONSET = 4  # versions before the break (the break is in version ONSET + 1 on)
REFERENCE_ROWS = 2000
SCENARIOS = ("control", "interaction", "minority", "joint", "modes", "rare")
REQUIRED = ("interaction", "minority", "joint", "modes")  # must page within 2 versions
MINORITY_ROWS = 50
CORE = ("correlation_difference", "mmd")  # core figures judged by structure checks
GAP_CHECKS = (
    "dependence_gap", "interaction_gap", "detectability_gap", "category_share_gap",
    "class_coverage_gap", "boundary_coverage_gap",
)  # fmt: skip
CORE_CHECKS = ("dependence_shift", "detectability_rise", "dependence_gap", "detectability_gap")
STRUCTURE_CHECKS = (
    "dependence_shift", "interaction_loss", "detectability_rise", "category_share_shift",
    "class_coverage_decline", "boundary_coverage_decline",
)  # fmt: skip


def interaction_break(frame: pd.DataFrame, target: str, rng: np.random.Generator) -> pd.DataFrame:
    """``occupation`` permuted within each class of ``target``."""
    out = frame.copy()
    for _, index in out.groupby(target).groups.items():
        out.loc[index, "occupation"] = rng.permutation(out.loc[index, "occupation"].to_numpy())
    return out


def thin(frame: pd.DataFrame, column: str, category: str, rng: np.random.Generator) -> pd.DataFrame:
    """``category`` of ``column`` at a tenth of its share (90 % of its rows replaced)."""
    rare = np.flatnonzero(frame[column].to_numpy() == category)
    drop = rng.choice(rare, size=round(0.9 * len(rare)), replace=False)
    others = frame[frame[column] != category]
    fill = others.iloc[rng.choice(len(others), size=len(drop), replace=True)]
    return pd.concat([frame.drop(index=frame.index[drop]), fill], ignore_index=True)


def permute_all(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Every column permuted on its own."""
    return pd.DataFrame({c: rng.permutation(frame[c].to_numpy()) for c in frame.columns})


def collapse_class(
    frame: pd.DataFrame, target: str, label: str, rng: np.random.Generator, modes: int = 3
) -> pd.DataFrame:
    """The rows of class ``label`` replaced by copies of ``modes`` of them (share kept)."""
    out = frame.copy()
    rows = np.flatnonzero(out[target].to_numpy() == label)
    keep = rng.choice(rows, size=min(modes, len(rows)), replace=False)
    out.iloc[rows] = out.iloc[keep[np.arange(len(rows)) % len(keep)]].to_numpy()
    return out


def version_figures(
    name: str,
    measured: StructureMeasurement,
    rows: tuple[int, int],
    spread: dict[str, float],
    core: dict[str, float] | None = None,
) -> VersionFigures:
    """A version as the store hands it to the checks: figures (with ``core`` figures),
    per-feature figures with each tested category's share and the worst audit's importance
    changes, the healthy spread."""
    per_feature = measured.check_features()
    figures = {**measured.figures, **(core or {})}
    return VersionFigures(name, figures, rows[0], rows[1], per_feature, spread)


def paging_version(flags: Sequence[bool | None], persistence: int) -> int | None:
    """The first version (1-based) ending a run of ``persistence`` breaches, None if none."""
    run = 0
    for index, flag in enumerate(flags):
        run = run + 1 if flag else 0
        if run >= persistence:
            return index + 1
    return None


def run(seed: int, rows: int, last: int = VERSIONS) -> list[dict[str, object]]:
    base = fair()
    table = pd.concat([base.train, base.holdout, base.test], ignore_index=True)
    table = table.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    reference = table.iloc[:REFERENCE_ROWS].reset_index(drop=True)
    holdout = table.iloc[REFERENCE_ROWS:].reset_index(drop=True)
    data = dataclasses.replace(base, train=reference, holdout=holdout)
    start = time.perf_counter()
    structure = StructureReference(
        reference[data.columns],
        holdout[data.columns],
        categorical=[*data.categorical, data.target],
        target=data.target,
        seed=seed,
    )
    measured_healthy = structure.healthy_at(rows)
    core = ReferenceRecipe(
        seed=seed, sample_size=rows, columns=tuple(data.columns),
        categorical=(*data.categorical, data.target), gates=False, structure=None, mixing=None,
    ).fit(reference[data.columns], holdout=holdout[data.columns]).model  # fmt: skip
    core_healthy = core.healthy_at(rows)
    assert core_healthy is not None
    levels = {**measured_healthy.figures, **{k: core_healthy[k] for k in CORE}}
    spread = {**measured_healthy.spread, **{k: core_healthy.spread[k] for k in CORE}}
    healthy = HealthyLevels(levels, spread)
    prepared = time.perf_counter() - start
    minority = min(
        (share, column, str(category))
        for column in ("occupation", "occupation_husb")
        for category, share in reference[column].value_counts(normalize=True).items()
        if share * rows >= MINORITY_ROWS
    )
    rng = np.random.default_rng(seed)
    controls = []
    for v in range(VERSIONS):
        boot = reference.iloc[rng.choice(len(reference), len(reference), replace=True)]
        controls.append(synthesize("gmm", data, boot.reset_index(drop=True), rows, seed * 100 + v))

    def broken(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
        if kind == "interaction":
            return interaction_break(frame, data.target, rng)
        if kind == "minority":
            return thin(frame, minority[1], minority[2], rng)
        if kind == "rare":
            return thin(frame, "occupation", "o6", rng)
        if kind == "joint":
            return permute_all(frame, rng)
        if kind == "modes":
            return collapse_class(frame, data.target, "yes", rng)
        return frame

    cache: dict[tuple[str, int], VersionFigures] = {}
    t = CheckThresholds()
    out = []
    for kind in SCENARIOS:
        history = []
        clock = time.perf_counter()
        for v, frame in enumerate(controls):
            if kind != "control" and v >= last:
                break
            key = ("control" if v < ONSET else kind, v)
            if key not in cache:
                version = broken(kind, frame) if v >= ONSET else frame
                figures = core.measure(version[data.columns], details=False).figures
                cache[key] = version_figures(
                    f"v{v + 1}",
                    structure.measure(version, importance=False),
                    (len(reference), rows),
                    spread,
                    {k: figures[k] for k in CORE if k in figures},
                )
            history.append(cache[key])
        results = {r.check: r for r in evaluate_checks(history, healthy, t)}
        collapse = [r for r in results.values() if r.kind == "collapse"]
        pages = [p for r in collapse if (p := paging_version(r.breached, t.persistence))]
        first = min(pages) if pages else None
        breaches = {
            name: [i + 1 for i, flag in enumerate(results[name].breached) if flag]
            for name in STRUCTURE_CHECKS
        }
        others = sorted(
            r.check for r in collapse if r.check not in STRUCTURE_CHECKS and any(r.breached)
        )
        gaps = {
            r.check: [i + 1 for i, flag in enumerate(r.breached) if flag]
            for r in results.values()
            if r.kind == "gap" and r.check in GAP_CHECKS and any(r.breached)
        }
        # What the core figures find on their own (the structure family switched off).
        core_only = [
            VersionFigures(
                h.version, {k: h.figures[k] for k in CORE if k in h.figures}, h.reference_rows,
                h.sample_rows, {}, h.spread,
            )
            for h in history
        ]  # fmt: skip
        by_core = {
            r.check: [i + 1 for i, flag in enumerate(r.breached) if flag]
            for r in evaluate_checks(core_only, healthy, t)
            if r.check in CORE_CHECKS and any(r.breached)
        }
        out.append(
            {
                "seed": seed,
                "scenario": kind,
                "pages_at": first,
                "lag": None if first is None or kind == "control" else first - (ONSET + 1),
                "breaches": {k: v for k, v in breaches.items() if v},
                "other": others,
                "gaps": gaps,
                "core": by_core,
                "seconds": time.perf_counter() - clock,
                "prepared": prepared,
                "minority": f"{minority[1]}={minority[2]} ({minority[0]:.1%})",
            }
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="seeds 0 and 1, 7 broken versions")
    args = parser.parse_args(argv)
    seeds, last = ([0, 1], ONSET + 3) if args.quick else (args.seeds, VERSIONS)
    rows = args.rows
    start = time.perf_counter()
    print(f"Fair survey, GMM per class, {VERSIONS} versions of {rows} rows, break from version "
          f"{ONSET + 1}; reference {REFERENCE_ROWS} rows\n")  # fmt: skip
    print(
        "| seed | scenario | pages at | lag | structure checks breached (versions) | others "
        "| gaps | core figures alone |"
    )
    print("|---|---|---|---|---|---|---|---|")
    failures = []
    for seed in seeds:
        for row in run(seed, rows, last):
            breaches = "; ".join(f"{k} {v}" for k, v in row["breaches"].items()) or "-"  # type: ignore[attr-defined]
            others = ", ".join(row["other"]) or "-"  # type: ignore[arg-type]
            gaps = "; ".join(f"{k} {v}" for k, v in row["gaps"].items()) or "-"  # type: ignore[attr-defined]
            core = "; ".join(f"{k} {v}" for k, v in row["core"].items()) or "-"  # type: ignore[attr-defined]
            name = str(row["scenario"])
            name += f" ({row['minority']})" if name == "minority" else ""
            lag_text = "-" if row["lag"] is None else row["lag"]
            print(f"| {seed} | {name} | {row['pages_at'] or '-'} | {lag_text} | {breaches} | "
                  f"{others} | {gaps} | {core} |", flush=True)  # fmt: skip
            if row["scenario"] == "control" and row["pages_at"] is not None:
                failures.append(f"seed {seed}: the healthy control pages")
            if row["scenario"] == "control" and (row["breaches"] or row["core"]):
                failures.append(f"seed {seed}: a structure check breaches on the healthy control")
            lag = row["lag"]
            if row["scenario"] in REQUIRED and (lag is None or not 0 <= int(lag) <= 2):  # type: ignore[call-overload]
                failures.append(f"seed {seed}: {row['scenario']} not paged within 2 versions")
    print(f"\n{time.perf_counter() - start:.0f} s in all")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
