"""The floor of ``category_share_shift`` (issue 23): how many expected rows a class thinned tenfold
needs before the rule finds it, with the refit noise the rule models.

Run from the repository root (a few seconds)::

    python -m benchmarks.bench_category_floor [--draws 4000] [--seed 1]

Simulated, not measured on a generator: per draw, five generators are each fitted on a bootstrap of
a reference of N rows (the share they learn is Binomial(N, p) / N) and each samples a version of m
rows (Binomial(m, learned share)); the first four are the anchor versions, the fifth is judged,
healthy or with 90 % of the class's rows replaced (as ``thin`` in
:mod:`benchmarks.bench_structure_detection`). Printed per expected count m p: the share of draws
in which the rule's test (:func:`monitor.checks.rules_structure.share_z` against the Bonferroni
limit for 13 categories, with the share ratio below ``category_share_low``) breaches, beside the
two-proportion Wald test on shares it replaced (pooled null variance, the same refit terms and
anchor), and both tests' breach rate on healthy versions.
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Sequence

import numpy as np
from scipy.stats import norm

from monitor.checks import CheckThresholds
from monitor.checks.rules_structure import ShareAnchor, share_scale, share_z

ANCHORS = 4
CATEGORIES = 13  # categories the Fair benchmark tests at 1,000 rows


def _wald(share: float, rows: int, anchor: float, reference: int) -> float:
    """The two-proportion Wald z the arcsine test replaced (pooled share, the same refit terms,
    the median's variance factor pi / 2 it used)."""
    pooled = (share * rows + anchor * rows * ANCHORS) / (rows * (ANCHORS + 1))
    factor = math.pi / 2
    terms = 1 / rows + 1 / reference + factor * (1 / rows + 1 / reference) / ANCHORS
    variance = pooled * (1 - pooled) * terms
    return (share - anchor) / math.sqrt(variance) if variance > 0 else 0.0


def breach_rates(
    expected: float, rows: int, reference: int, draws: int, rng: np.random.Generator
) -> dict[str, float]:
    """Breach rates of both tests for a class of ``expected`` rows, thinned and healthy."""
    t = CheckThresholds()
    limit = float(norm.isf(norm.sf(t.noise_sigmas) / (2 * CATEGORIES)))
    learned = rng.binomial(reference, expected / rows, size=(draws, ANCHORS + 1)) / reference
    counts = rng.binomial(rows, learned)
    hits = {"arcsine thinned": 0, "wald thinned": 0, "arcsine healthy": 0, "wald healthy": 0}
    for row in counts:
        past, now = row[:ANCHORS], int(row[ANCHORS])
        share = float(np.median(past)) / rows
        if share * rows < 10:
            continue
        anchor = ShareAnchor(
            share, statistics.median(share_scale(c / rows, rows) for c in past), ANCHORS, rows
        )
        for label, count in (("thinned", now - round(0.9 * now)), ("healthy", now)):
            ratio = count / rows / share
            off = ratio < t.category_share_low or ratio > t.category_share_high
            z_arcsine = share_z(count / rows, rows, anchor, reference)
            z_wald = _wald(count / rows, rows, share, reference)
            hits[f"arcsine {label}"] += off and abs(z_arcsine) > limit
            hits[f"wald {label}"] += off and abs(z_wald) > limit
    return {key: value / draws for key, value in hits.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reference", type=int, default=2000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print(f"reference {args.reference} rows, {ANCHORS} anchor versions, {CATEGORIES} categories, "
          f"{args.draws} draws per row\n")  # fmt: skip
    print("| version rows | expected rows | arcsine: thinned found | Wald: thinned found "
          "| arcsine: healthy breach | Wald: healthy breach |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|")
    for rows in (1000, 2000):
        for expected in (12, 15, 17, 20, 23, 25, 30, 35, 40, 45):
            r = breach_rates(expected, rows, args.reference, args.draws, rng)
            found = f"{r['arcsine thinned']:.3f} | {r['wald thinned']:.3f}"
            quiet = f"{r['arcsine healthy']:.4f} | {r['wald healthy']:.4f}"
            print(f"| {rows} | {expected} | {found} | {quiet} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
