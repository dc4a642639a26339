"""Tests for collectors.corpus.near_defaults: near-duplicates without known-human data.

The human text is real: docstrings of this Python's standard library (read with ``ast``, no
import), the same source ``benchmarks/bench_near_duplicate_null.py`` measures the null on, here
on a fixed handful of modules so the test takes seconds. The synthetic dump comes from a
word-level Markov chain fit on *other* modules' docstrings; the vectors are scikit-learn's bundled
breast-cancer table.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.mixture import GaussianMixture

from collectors.corpus.near_defaults import (
    DEFAULT_JACCARD,
    TEXT_NULL,
    VECTOR_NULL,
    DefaultTextNearDuplicates,
    DefaultVectorNearDuplicates,
    word_shingles,
)
from monitor.demo.text import docstring_paragraphs
from monitor.report.corpus import corpus_level
from tests.support.near_duplicates import round_significant
from tests.support.text import MarkovText

STDLIB = Path(sysconfig.get_paths()["stdlib"])
GENERATOR_MODULES = ("argparse", "subprocess", "tarfile", "pathlib", "typing", "inspect")
HUMAN_MODULES = ("zipfile", "logging/__init__", "email/message", "shutil", "datetime", "pickle")


def module_paragraphs(modules: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for module in modules:
        out += docstring_paragraphs((STDLIB / f"{module}.py").read_text(encoding="utf-8"))
    return list(dict.fromkeys(out))


@pytest.fixture(scope="module")
def text_setup() -> tuple[DefaultTextNearDuplicates, list[str], list[str]]:
    dump = MarkovText(module_paragraphs(GENERATOR_MODULES)).sample(1500, np.random.default_rng(0))
    human = module_paragraphs(HUMAN_MODULES)
    return DefaultTextNearDuplicates(dump), dump, human


def light_edit(text: str, rng: np.random.Generator) -> str:
    """Case, punctuation and line breaks changed; one word in 50 replaced."""
    words = text.split()
    for _ in range(len(words) // 50):
        words[int(rng.integers(len(words)))] = "edited"
    words[int(rng.integers(len(words)))] += ";"
    out = "\n".join(" ".join(words[i : i + 9]) for i in range(0, len(words), 9))
    return out.upper() if rng.random() < 0.5 else out.title()


def figures_of(result: object) -> dict[str, float]:
    names = ("sample_rows", "ratio", "ratio_lower", "expected_false_positives", "count")
    keys = (
        "near_duplicate_sample_rows",
        "near_duplicate_synthetic_ratio",
        "near_duplicate_synthetic_ratio_lower",
        "near_duplicate_expected_false_positives",
        "near_duplicate_synthetic_rows",
    )
    return {k: float(getattr(result, n)) for k, n in zip(keys, names, strict=True)}


def test_word_shingles_fold_case_punctuation_and_whitespace() -> None:
    a = word_shingles("The quick, brown fox jumps over the lazy dog!")
    assert np.array_equal(a, word_shingles("the QUICK brown\n fox jumps over the  lazy dog"))
    assert a.size == 5  # 9 words: 5 word 5-grams
    assert word_shingles("three short words").size == 1
    assert word_shingles("").size == 0
    b = word_shingles("The quick brown fox jumps over the lazy cat")
    assert np.intersect1d(a, b).size == 4  # one word changed: the last 5-gram differs


def test_clean_human_text_stays_within_the_null_and_is_healthy(text_setup) -> None:
    detector, _, human = text_setup
    assert len(human) > 300
    result = detector.measure(human)
    assert result.default_calibration
    assert "default Jaccard threshold 0.8 on 5-word shingles" in result.calibration
    assert TEXT_NULL.source in result.calibration
    assert result.expected_false_positives == pytest.approx(len(human) * TEXT_NULL.rate)
    # Flagged rows are those at or above the published threshold, and few enough that the
    # interval's lower bound stays at or below the measured null rate: no finding.
    assert np.array_equal(result.flagged, result.score >= DEFAULT_JACCARD)
    assert result.ratio_lower <= TEXT_NULL.rate
    level, _ = corpus_level(figures_of(result))
    assert level == "healthy"


def test_planted_edited_copies_of_synthetic_rows_are_flagged(text_setup) -> None:
    detector, dump, human = text_setup
    rng = np.random.default_rng(1)
    long_rows = [t for t in dump if len(t.split()) >= 20]
    planted = [light_edit(long_rows[int(i)], rng) for i in rng.choice(len(long_rows), 40)]
    result = detector.measure(planted + human[:200])
    assert result.flagged[:40].mean() >= 0.95
    assert result.score[:40].min() >= 0.75
    level, reasons = corpus_level(figures_of(result))
    assert level == "leakage" and "near-duplicates" in reasons[0]
    # A heavier edit (a word in 10 replaced) is beyond the published threshold: not flagged.
    heavy = " ".join(w if i % 10 else "edited" for i, w in enumerate(long_rows[0].split()))
    assert not detector.measure([heavy]).flagged[0]


def test_vector_default_keeps_real_rows_out_and_finds_rounded_copies() -> None:
    data = load_breast_cancer().data
    order = np.random.default_rng(0).permutation(len(data))
    train, human = data[order[:285]], data[order[285:]]
    dump = GaussianMixture(5, random_state=0).fit(train).sample(1500)[0]
    detector = DefaultVectorNearDuplicates(dump)
    clean = detector.measure(human)
    assert clean.default_calibration and VECTOR_NULL.source in clean.calibration
    assert clean.ratio_lower <= VECTOR_NULL.rate
    assert corpus_level(figures_of(clean))[0] == "healthy"
    planted = round_significant(dump[:30], 3)
    found = detector.measure(np.vstack([planted, dump[:5], human[:100]]))
    assert found.flagged[:35].all()  # rounded and exact copies
    assert corpus_level(figures_of(found))[0] == "leakage"


def test_corpus_level_within_the_null_is_healthy_above_it_leakage() -> None:
    within = {
        "near_duplicate_sample_rows": 2000.0,
        "near_duplicate_synthetic_rows": 1.0,
        "near_duplicate_synthetic_ratio": 0.0005,
        "near_duplicate_synthetic_ratio_lower": 0.0001,
        "near_duplicate_expected_false_positives": 0.5,
    }
    level, reasons = corpus_level(within)
    assert level == "healthy" and "within" in reasons[0]
    above = within | {"near_duplicate_synthetic_ratio_lower": 0.0004}
    assert corpus_level(above)[0] == "leakage"


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="registry"):
        DefaultTextNearDuplicates([])
    with pytest.raises(ValueError, match="distinct"):
        DefaultVectorNearDuplicates(np.ones((5, 3)))
    with pytest.raises(ValueError, match="dimension"):
        DefaultVectorNearDuplicates(np.eye(4)).measure(np.ones((2, 3)))
