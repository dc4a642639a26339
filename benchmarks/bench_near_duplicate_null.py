"""False-positive rate of the near-duplicate defaults on real human data that ships here.

Run from the repository root::

    make bench-null        # = python -m benchmarks.bench_near_duplicate_null (about 1 minute)
    python -m benchmarks.bench_near_duplicate_null --quick

The defaults of :mod:`collectors.corpus.near_defaults` (used when a corpus has a synthetic dump
but no known-human data) flag a corpus row by a fixed rule, so their false-positive rate is
measured here, on real human rows against a realistic synthetic dump (a generator fit on *other*
real rows of the same kind, so the dump shares vocabulary, phrasing and boilerplate with the
human rows but copies none of them on purpose):

- text, source ``stdlib``: the docstrings of this Python's standard library (read with ``ast``
  from the ``.py`` files, no import; ``site-packages``, test suites, ``idlelib``, ``lib2to3`` and
  ``ensurepip`` left out), split into paragraphs at blank lines, paragraphs of at least
  ``MIN_WORDS`` words. Modules are split in two halves by a hash of their path: the generator (a
  word-level Markov chain of order 2, Shannon 1948's n-gram model) is fit on one half and writes
  ``DUMP_ROWS`` synthetic paragraphs (lengths drawn from the training paragraphs); the other
  half's paragraphs are the human null.
- text, source ``usr-share-doc``: the same on the plain and gzipped text files under
  ``/usr/share/doc`` (README, NEWS, changelogs, copyright files), split by package. Copyright files
  repeat the same licence paragraphs across packages: this is the boilerplate stress case.
- vectors: scikit-learn's bundled real tables (breast cancer, wine, diabetes, digits, iris), each
  split in two halves; a Gaussian mixture and a kernel density are fit on one half and sample
  ``VECTOR_DUMP_ROWS`` synthetic rows each; the other half is the human null.

For each it prints the flagged share of the human rows (the false-positive rate) with its 95 %
Wilson interval, and, as a check that the rule is not blind, the share of planted edited copies
of dump rows that it flags (text: rows of at least 50 words, one word in 50 replaced, a comma
added, line breaks and case changed; vectors: every value rounded to 3 significant digits). It
ends with the figures shipped in ``collectors.corpus.near_defaults`` (``TEXT_NULL``,
``VECTOR_NULL``) and whether they agree.
"""

from __future__ import annotations

import argparse
import gzip
import time
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn import datasets
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KernelDensity

from collectors.corpus import (
    TEXT_NULL,
    VECTOR_NULL,
    DefaultTextNearDuplicates,
    DefaultVectorNearDuplicates,
    wilson_interval,
)
from monitor.demo import paragraphs, stdlib_paragraphs
from tests.support.near_duplicates import round_significant
from tests.support.text import MarkovText

DUMP_ROWS = 5_000
VECTOR_DUMP_ROWS = 2_000
PLANTED = 200
MAX_NULL = 20_000  # human rows measured per text source at most (a seeded sample)
SKIP_PARTS = frozenset(
    {"site-packages", "test", "tests", "idlelib", "lib2to3", "ensurepip", "idle_test"}
)
DOC_SUFFIXES = (".txt", ".md", ".rst", ".gz", "")


@dataclass(frozen=True)
class Figure:
    """One measurement: ``flagged`` of ``rows`` human rows, planted copies found."""

    kind: str
    source: str
    generator: str
    rows: int
    flagged: int
    planted: int
    planted_found: int
    seconds: float

    def line(self) -> str:
        low, high = wilson_interval(self.flagged, self.rows)
        rate = self.flagged / self.rows if self.rows else float("nan")
        found = self.planted_found / self.planted if self.planted else float("nan")
        return (
            f"| {self.kind} | {self.source} | {self.generator} | {self.rows:,} | {self.flagged} "
            f"| {rate:.5f} | [{low:.5f}, {high:.5f}] | {found:.3f} | {self.seconds:.0f} |"
        )


# --------------------------------------------------------------------------- human text


def doc_paragraphs(root: Path = Path("/usr/share/doc")) -> dict[str, list[str]]:
    """Paragraphs of the text files under /usr/share/doc, by package (first folder)."""
    out: dict[str, list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.suffix not in DOC_SUFFIXES:
            continue
        try:
            raw = path.read_bytes()
            if path.suffix == ".gz":
                raw = gzip.decompress(raw)
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile):
            continue
        if "\0" in text:
            continue
        out[path.relative_to(root).parts[0]] += paragraphs(text)
    return dict(out)


def halves(groups: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """(training, null) paragraphs: whole groups (modules, packages) go to one side by hash."""
    train: list[str] = []
    null: list[str] = []
    for key, items in groups.items():
        (train if zlib.crc32(key.encode()) % 2 == 0 else null).extend(items)
    return train, null


# --------------------------------------------------------------------------- text generator


def edit_text(text: str, rng: np.random.Generator) -> str:
    """An edited copy: one word in 50 replaced, a comma added, line breaks and case changed.

    With word 5-grams one replaced word removes up to 5 shingles: a 50-word row keeps a
    Jaccard of about 0.8 after one replacement, so this is about the heaviest edit the
    published threshold is meant to catch.
    """
    words = text.split()
    for _ in range(max(1, len(words) // 50)):
        words[int(rng.integers(len(words)))] = "edited"
    words[int(rng.integers(len(words)))] += ","
    out = "\n".join(" ".join(words[i : i + 12]) for i in range(0, len(words), 12))
    return out.upper() if rng.random() < 0.5 else out


def measure_text(
    source: str, groups: dict[str, list[str]], dump_rows: int, max_null: int | None, seed: int
) -> Figure:
    rng = np.random.default_rng(seed)
    train, null = halves(groups)
    null = list(dict.fromkeys(null))  # a paragraph repeated inside the null counts once
    if max_null is not None and len(null) > max_null:
        null = [null[i] for i in sorted(rng.choice(len(null), max_null, replace=False))]
    started = time.perf_counter()
    dump = MarkovText(train).sample(dump_rows, rng)
    detector = DefaultTextNearDuplicates(dump)
    result = detector.measure(null)
    long_rows = [t for t in dump if len(t.split()) >= 50]
    planted = [edit_text(long_rows[int(i)], rng) for i in rng.choice(len(long_rows), PLANTED)]
    found = detector.measure(planted)
    return Figure(
        "text",
        source,
        "Markov order 2",
        result.sample_rows,
        result.count,
        found.sample_rows,
        found.count,
        time.perf_counter() - started,
    )


# --------------------------------------------------------------------------- vectors


TABLES = {
    "breast_cancer": datasets.load_breast_cancer,
    "wine": datasets.load_wine,
    "diabetes": datasets.load_diabetes,
    "digits": datasets.load_digits,
    "iris": datasets.load_iris,
}


def measure_vectors(dump_rows: int, seed: int) -> list[Figure]:
    out = []
    for name, load in TABLES.items():
        data = np.asarray(load().data, dtype=float)
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(data))
        train, null = data[order[: len(data) // 2]], data[order[len(data) // 2 :]]
        spread = train.std(axis=0)  # isotropic bandwidth: half the median column spread
        generators = {
            "Gaussian mixture (5)": GaussianMixture(5, random_state=seed).fit(train),
            "kernel density": KernelDensity(
                bandwidth=0.5 * float(np.median(spread[spread > 0]))
            ).fit(train),
        }
        for label, model in generators.items():
            started = time.perf_counter()
            if isinstance(model, GaussianMixture):
                dump = model.sample(dump_rows)[0]
            else:
                dump = model.sample(dump_rows, random_state=seed)
            detector = DefaultVectorNearDuplicates(dump)
            result = detector.measure(null)
            planted = round_significant(dump[rng.choice(len(dump), PLANTED)], 3)
            found = detector.measure(planted)
            out.append(
                Figure(
                    "vector",
                    name,
                    label,
                    result.sample_rows,
                    result.count,
                    found.sample_rows,
                    found.count,
                    time.perf_counter() - started,
                )
            )
    return out


def pooled(figures: Sequence[Figure], generator: str) -> tuple[int, int]:
    chosen = [f for f in figures if f.generator == generator]
    return sum(f.rows for f in chosen), sum(f.flagged for f in chosen)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller samples (< 1 minute)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    dump_rows = 1_000 if args.quick else DUMP_ROWS
    max_null = 2_000 if args.quick else MAX_NULL
    print(f"defaults: {DefaultTextNearDuplicates(['x y z']).calibration.split(', null')[0]}")
    header = (
        "| kind | human rows from | synthetic dump from | human rows | flagged | FPR "
        "| 95 % Wilson | planted found | s |\n|---|---|---|---:|---:|---:|---|---:|---:|"
    )
    print(header, flush=True)
    figures = []
    for source, groups in (
        ("stdlib", stdlib_paragraphs(SKIP_PARTS)),
        ("usr-share-doc", doc_paragraphs()),
    ):
        figures.append(measure_text(source, groups, dump_rows, max_null, args.seed))
        print(figures[-1].line(), flush=True)
    for figure in measure_vectors(VECTOR_DUMP_ROWS if not args.quick else 500, args.seed):
        figures.append(figure)
        print(figure.line(), flush=True)
    print()
    stdlib = next(f for f in figures if f.source == "stdlib")
    for generator in ("Gaussian mixture (5)", "kernel density"):
        rows, flagged = pooled(figures, generator)
        low, high = wilson_interval(flagged, rows)
        print(f"vectors pooled, {generator}: {flagged} of {rows} [{low:.5f}, {high:.5f}]")
    for name, shipped, figure_rows, figure_flagged in (
        ("TEXT_NULL", TEXT_NULL, stdlib.rows, stdlib.flagged),
        (
            "VECTOR_NULL",
            VECTOR_NULL,
            *max(
                (pooled(figures, g) for g in ("Gaussian mixture (5)", "kernel density")),
                key=lambda p: (p[1] + 1) / (p[0] + 1),
            ),
        ),
    ):
        measured = (figure_flagged + 1) / (figure_rows + 1)
        low, high = wilson_interval(figure_flagged, figure_rows)
        agrees = low <= shipped.rate <= max(high, measured)
        print(
            f"{name}: shipped {shipped.flagged} of {shipped.rows} (rate {shipped.rate:.2g}); "
            f"measured now {figure_flagged} of {figure_rows} (rate {measured:.2g}): "
            + ("agrees" if agrees else "DIFFERS: update collectors/corpus/near_defaults.py")
        )


if __name__ == "__main__":
    main()
