"""Text generators (issue 17): detection on real text with a real generator, and throughput.

Real human text: the docstring paragraphs of this Python's standard library (read with ``ast``;
never a download), split by module into a reference, a holdout and a training pool. The
generator is a library's: ``markovify`` (word Markov chains of order 2, one paragraph a line),
in three regimes (Shumailov et al. 2024, Nature; Gerstgrasser et al. 2024 for the fresh loop):

- ``self-consuming``: generation 0 is trained on real paragraphs, each later one only on the
  previous generation's output;
- ``fresh``: each generation is trained on the previous one's output plus as many fresh real
  paragraphs;
- ``healthy``: each generation is trained on a fresh bootstrap of the real training pool.

Per generation it prints ground truth measured without Tailwatch (distinct words of the version,
``str.lower`` and ``\\w+``, and the mass of words that are rare in the real pool: at most 3
occurrences) beside Tailwatch's figures (vocabulary retention, rare-mass ratio, distinct-2,
semantic diversity) and the verdict the daemon would reach (``evaluate_checks`` over the history
with the healthy levels of the versions' size, ``generator_verdict``). Targets: the healthy
control never alerted; the self-consuming loop alerted ("collapse suspected") within 2 versions
of its vocabulary falling below 80 % of its first version's.

Throughput: one version of 10,000 generated texts of about 200 tokens measured against the real
reference (the reference fitted and the healthy levels taken once, beforehand); wall time and the
peak resident memory of the process.

    python -m benchmarks.bench_text [--seeds 3] [--generations 10] [--rows 1000] [--quick]
"""

from __future__ import annotations

import argparse
import re
import resource
import time
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from collectors.text import TextReference
from monitor.checks import HealthyLevels as CheckLevels
from monitor.checks import VersionFigures, evaluate_checks, generator_verdict
from monitor.demo import markov_texts, stdlib_paragraphs

REGIMES = ("self-consuming", "fresh", "healthy")
SHOWN = ("text_vocabulary_retention", "text_rare_mass_ratio", "text_distinct_2")
WORD = re.compile(r"\w+")


def split_real(seed: int = 0) -> tuple[list[str], list[str], list[str]]:
    """(reference, holdout, training pool): whole modules to one side, by a hash of the name."""
    parts: tuple[list[str], list[str], list[str]] = ([], [], [])
    for module, items in stdlib_paragraphs().items():
        parts[zlib.crc32(f"{seed}:{module}".encode()) % 3].extend(items)
    return parts


@dataclass
class Row:
    generation: int
    vocabulary: int
    rare_mass: float
    figures: dict[str, float]
    level: str
    breached: list[str]


def run_regime(
    regime: str,
    fitted: TextReference,
    pool: list[str],
    rare_words: set[str],
    rows: int,
    generations: int,
    seed: int,
) -> list[Row]:
    rng = np.random.default_rng(seed)
    healthy = fitted.healthy_at(rows)
    assert healthy is not None
    levels = CheckLevels(healthy.figures, healthy.spread, healthy.meta)
    bootstrap = regime == "healthy"  # every healthy version: a fresh bootstrap of the pool
    training = [pool[i] for i in rng.choice(len(pool), rows, replace=bootstrap)]
    history: list[VersionFigures] = []
    out: list[Row] = []
    for generation in range(generations):
        texts = markov_texts(training, rows, seed * 1000 + generation)
        words = [w for text in texts for w in WORD.findall(text.lower())]
        measured = fitted.measure(texts, details=False)
        history.append(
            VersionFigures(
                f"gen-{generation}",
                measured.figures,
                fitted.reference_rows,
                len(texts),
                spread=healthy.spread,
            )
        )
        results = evaluate_checks(history, levels)
        verdict = generator_verdict(results)
        out.append(
            Row(
                generation,
                len(set(words)),
                sum(w in rare_words for w in words) / max(len(words), 1),
                measured.figures,
                verdict.level,
                [r.check for r in results if r.kind != "gap" and r.streak > 0],
            )
        )
        if regime == "self-consuming":
            training = texts
        elif regime == "fresh":
            fresh = [pool[i] for i in rng.choice(len(pool), rows, replace=False)]
            training = texts + fresh
        else:
            training = [pool[i] for i in rng.choice(len(pool), rows, replace=True)]
    return out


def onset(rows: list[Row]) -> int | None:
    """First generation whose vocabulary is below 80 % of generation 0's."""
    first = rows[0].vocabulary
    return next((r.generation for r in rows if r.vocabulary < 0.8 * first), None)


def alerted(rows: list[Row]) -> int | None:
    return next((r.generation for r in rows if r.level == "collapse suspected"), None)


def detection(args: argparse.Namespace) -> None:
    print(f"# Detection: {args.rows} texts a version, {args.generations} generations")
    for seed in range(args.seeds):
        reference, holdout, pool = split_real(seed)
        counts = Counter(w for text in pool for w in WORD.findall(text.lower()))
        rare_words = {w for w, c in counts.items() if c <= 3}
        started = time.perf_counter()
        fitted = TextReference(reference, holdout=holdout, seed=seed, sample_size=args.rows)
        fitted.healthy_at(args.rows)
        print(
            f"\n## seed {seed}: reference {len(reference)}, holdout {len(holdout)}, "
            f"pool {len(pool)} paragraphs; fitted with healthy levels in "
            f"{time.perf_counter() - started:.1f} s"
        )
        for regime in REGIMES:
            rows = run_regime(regime, fitted, pool, rare_words, args.rows, args.generations, seed)
            print(f"\n{regime}")
            print(
                f"{'gen':>3} {'vocab':>6} {'rare':>6} "
                + " ".join(f"{n.removeprefix('text_')[:14]:>14}" for n in SHOWN)
                + f" {'semantic':>8}  verdict (breached checks)"
            )
            for r in rows:
                print(
                    f"{r.generation:>3} {r.vocabulary:>6} {r.rare_mass:>6.3f} "
                    + " ".join(f"{r.figures.get(n, float('nan')):>14.3f}" for n in SHOWN)
                    + f" {r.figures.get('text_semantic_diversity', float('nan')):>8.3f}  "
                    + f"{r.level} ({', '.join(r.breached) or '-'})"
                )
            start, alarm = onset(rows), alerted(rows)
            verdict = ""
            if regime == "healthy":
                verdict = "PASS" if alarm is None else "FAIL (false alarm)"
            elif regime == "self-consuming":
                ok = start is not None and alarm is not None and alarm <= start + 2
                verdict = "PASS" if ok else "FAIL"
            print(f"vocabulary < 80 % at gen {start}; alerted at gen {alarm} {verdict}")


def throughput(args: argparse.Namespace) -> None:
    reference, holdout, pool = split_real(0)
    rows = 2_000 if args.quick else 10_000
    lines = markov_texts(pool, rows * 10, 7)
    texts: list[str] = []
    current: list[str] = []
    for line in lines:  # join generated paragraphs into texts of about 200 words
        current.append(line)
        if sum(len(x.split()) for x in current) >= 200:
            texts.append(" ".join(current))
            current = []
            if len(texts) == rows:
                break
    started = time.perf_counter()
    fitted = TextReference(reference, holdout=holdout)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    measured = fitted.measure(texts)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tokens = measured.figures["text_tokens_mean"] * len(texts)
    print(
        f"\n# Throughput: {len(texts)} texts, {tokens:,.0f} tokens "
        f"({measured.figures['text_tokens_mean']:.0f} a text): measured in {seconds:.1f} s "
        f"(reference of {len(reference)} texts fitted in {fit_seconds:.1f} s); "
        f"peak RSS {peak:.0f} MiB"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--generations", type=int, default=10)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="1 seed, 6 generations, small sizes")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.generations, args.rows = 1, 6, 500
    detection(args)
    if not args.skip_throughput:
        throughput(args)


if __name__ == "__main__":
    main()
