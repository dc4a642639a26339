"""Lexical figures against hand counts and brute force on small texts, and their invariance to
the sample size (the same source at 1,000 and 5,000 texts)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from collectors.text import (
    LexicalReference,
    distinct_n,
    encode,
    fit_vocabulary,
    length_tail_shares,
    ngram_novelty,
    rare_types,
    rarefied_types,
    self_repetition,
    semantic_diversity,
    tokenize,
    zipf_slope,
)
from collectors.text.lexical import ngram_codes

# -- tokenisation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Hello,  WORLD!\n", ["hello", "world"]),
        ("Straße STRASSE", ["strasse", "strasse"]),  # full case folding
        ("ＡＢＣ ﬁne", ["abc", "fine"]),  # NFKC: full-width, ligature
        ("don't l’homme o'", ["don't", "l’homme", "o"]),  # apostrophe inside a word only
        ("self-consuming snake_case", ["self", "consuming", "snake", "case"]),
        ("version 2.0 costs $5", ["version", "2", "0", "costs", "5"]),
        ("हिन्दी भाषा", ["हिन्दी", "भाषा"]),  # combining marks stay in the word
        ("模型崩溃 AI", ["模", "型", "崩", "溃", "ai"]),  # one CJK ideograph a token
        ("x𝐀y 𠀀", ["xay", "𠀀"]),  # astral: NFKC maths letter, astral CJK
        ("Cafe\u0301", ["café"]),  # NFKC composes
        ("", []),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_encode_keeps_reference_ids_and_numbers_new_types_in_order() -> None:
    vocabulary, reference = fit_vocabulary(["a b c a", "b d"])
    assert reference.ids.tolist() == [0, 1, 2, 0, 1, 3] and reference.offsets.tolist() == [0, 4, 6]
    sample = encode(["a x b y x", "", "d"], vocabulary)
    assert sample.ids.tolist() == [0, 4, 1, 5, 4, 3]
    assert sample.lengths.tolist() == [5, 0, 1]
    assert sample.new_types == ("x", "y") and sample.known == 4
    assert sample.subset(np.array([2, 0])).ids.tolist() == [3, 0, 4, 1, 5, 4]


# -- counts against brute force ---------------------------------------------------------------


def _brute_expected_types(tokens: list[str], budget: int, wanted: set[str] | None = None) -> float:
    """Mean over every budget-subset of positions of the distinct (wanted) types it holds."""
    subsets = list(itertools.combinations(range(len(tokens)), budget))
    seen = [
        {tokens[i] for i in s} & (wanted if wanted is not None else set(tokens)) for s in subsets
    ]
    return sum(len(s) for s in seen) / len(subsets)


def test_rarefied_types_equals_the_mean_over_every_subset() -> None:
    tokens = ["a", "a", "a", "b", "b", "c", "d", "d", "d", "d", "e"]
    counts = np.unique(tokens, return_counts=True)[1]
    for budget in (1, 2, 3, 5, 8, 11, 20):
        expected = _brute_expected_types(tokens, min(budget, len(tokens)))
        assert rarefied_types(counts, budget) == pytest.approx(expected, rel=1e-12)


def test_distinct_n_by_hand_and_ngrams_stay_inside_texts() -> None:
    texts = encode(["a b a b", "a b c"])
    # bigrams: ab ba ab | ab bc -> 5, of 3 types; the pair (b, a) across texts is not one.
    assert ngram_codes(texts, 2)[0].shape[0] == 5
    assert distinct_n(texts, 2, budget=100) == pytest.approx(3 / 5)
    assert distinct_n(texts, 1, budget=100) == pytest.approx(3 / 7)
    assert distinct_n(texts, 3, budget=100) == pytest.approx(3 / 3)  # aba bab abc
    assert math.isnan(distinct_n(texts, 4, budget=100)) is False  # abab: one 4-gram
    assert distinct_n(texts, 4, budget=100) == 1.0
    # at a budget of 2 unigrams: the brute-force mean over all pairs of the 7 tokens
    tokens = ["a", "b", "a", "b", "a", "b", "c"]
    assert distinct_n(texts, 1, budget=2) == pytest.approx(_brute_expected_types(tokens, 2) / 2)


def test_vocabulary_retention_by_hand_and_by_brute_force() -> None:
    vocabulary, reference = fit_vocabulary(["a b c d"])
    lexical = LexicalReference.fit(reference, budget=100)
    assert lexical.budget == 4 and lexical.expected_types == 4
    # 2 of the 4 reference types, x is not one: 2 / 4
    assert lexical.vocabulary_retention(encode(["a a b x"], vocabulary)) == pytest.approx(0.5)
    vocabulary, reference = fit_vocabulary(["a a b c", "c d e f g"])
    lexical = LexicalReference.fit(reference, budget=3)
    sample_tokens = ["a", "a", "a", "b", "x", "x", "y", "g"]
    sample = encode([" ".join(sample_tokens)], vocabulary)
    wanted = set("abcdefg")
    expected = _brute_expected_types(sample_tokens, 3, wanted) / _brute_expected_types(
        ["a", "a", "b", "c", "c", "d", "e", "f", "g"], 3
    )
    assert lexical.vocabulary_retention(sample) == pytest.approx(expected, rel=1e-12)


def test_rare_types_take_whole_count_classes() -> None:
    assert rare_types(np.array([5, 1, 1, 2, 1]), 0.3).tolist() == [False, True, True, False, True]
    # singletons hold 2/10 < 0.3: the class of count 2 joins (both types), 6/10
    assert rare_types(np.array([4, 1, 2, 1, 2]), 0.3).tolist() == [False, True, True, True, True]


def test_rare_mass_ratio_by_hand() -> None:
    vocabulary, reference = fit_vocabulary(["the the the the the cat dog"])
    lexical = LexicalReference.fit(reference, budget=100)
    assert lexical.rare.tolist() == [False, True, True] and lexical.rare_share == pytest.approx(
        2 / 7
    )
    sample = encode(["the cat cat the"], vocabulary)
    assert lexical.rare_mass_ratio(sample) == pytest.approx((2 / 4) / (2 / 7))
    assert lexical.rare_mass_ratio(encode(["the the bird"], vocabulary)) == 0.0


def test_novelty_repetition_and_length_tails_by_hand() -> None:
    vocabulary, reference = fit_vocabulary(["a b c d e"])
    lexical = LexicalReference.fit(reference, budget=100)
    sample = encode(["a b c d x", "b c d e", "a b"], vocabulary)
    # 4-grams: abcd (seen), bcdx (new) | bcde (seen): one of three is novel
    assert ngram_novelty(sample, lexical.novelty_codes) == pytest.approx(1 / 3)
    # abcdabcd: abcd bcda cdab dabc abcd -> 1 - 4/5; abcd: 0; "a b" has no 4-gram
    repeated = encode(["a b c d a b c d", "a b c d", "a b"])
    assert self_repetition(repeated) == pytest.approx((0.2 + 0.0) / 2)
    lengths = np.array([1, 2, 2, 3, 5, 8, 8])
    assert length_tail_shares(lengths, 2, 8) == (3 / 7, 2 / 7)


def test_length_thresholds_are_the_reference_quantiles() -> None:
    texts = [" ".join(["w"] * n) for n in range(1, 101)]  # lengths 1..100
    vocabulary, reference = fit_vocabulary(texts)
    lexical = LexicalReference.fit(reference, budget=100)
    assert lexical.short_length == pytest.approx(np.quantile(np.arange(1, 101), 0.05))
    assert lexical.short_share == pytest.approx(5 / 100)  # lengths 1..5 are <= 5.95
    assert lexical.long_share == pytest.approx(5 / 100)  # lengths 96..100 are >= 95.05
    figures = lexical.figures(encode(["w w w", "w " * 99 + "w"], vocabulary))
    assert figures["text_length_short_share"] == 0.5 and figures["text_length_long_share"] == 0.5


def test_zipf_slope_of_an_exact_power_law() -> None:
    counts = np.round(1e6 / np.arange(1, 201) ** 1.3)
    assert zipf_slope(counts, 200) == pytest.approx(-1.3, abs=1e-3)
    assert zipf_slope(counts[:50], 200) == pytest.approx(-1.3, abs=1e-3)  # ranks it has
    assert math.isnan(zipf_slope(np.array([3, 1]), 10))


def test_semantic_diversity_equals_the_pairwise_mean() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(40, 6))
    x[3] = 0.0  # a zero row has cosine similarity 0 with every row
    unit = x / np.where(
        np.linalg.norm(x, axis=1, keepdims=True) > 0, np.linalg.norm(x, axis=1, keepdims=True), 1
    )
    brute = [1 - unit[i] @ unit[j] for i in range(40) for j in range(40) if i != j]
    assert semantic_diversity(x) == pytest.approx(np.mean(brute), rel=1e-12)
    assert math.isnan(semantic_diversity(x[:1]))


# -- invariance to sample size ----------------------------------------------------------------


def _markov_source(seed: int) -> list[str]:
    """A fixed source of texts: an order-1 chain over a Zipfian vocabulary (10,000 texts)."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(3000)]
    weights = 1.0 / np.arange(1, 3001)
    weights /= weights.sum()
    successors = rng.choice(3000, size=(3000, 8), p=weights)
    texts = []
    for _ in range(10_000):
        length = int(rng.integers(5, 60))
        state = int(rng.choice(3000, p=weights))
        out = [words[state]]
        for step in rng.integers(0, 8, size=length - 1):
            state = (
                int(successors[state, step])
                if rng.random() < 0.8
                else int(rng.choice(3000, p=weights))
            )
            out.append(words[state])
        texts.append(" ".join(out))
    return texts


INVARIANT = [
    "text_vocabulary_retention",
    "text_rare_mass_ratio",
    "text_ngram_novelty",
    "text_self_repetition",
    "text_distinct_1",
    "text_distinct_2",
    "text_distinct_3",
    "text_distinct_4",
    "text_type_token_ratio",
    "text_length_short_share",
    "text_length_long_share",
    "text_zipf_slope",
    "text_tokens_mean",
]


def test_figures_do_not_move_with_sample_size() -> None:
    """The same source at 1,000 and 5,000 texts: every figure within 3 of its standard
    deviations over 1,000-text draws (or 2 % when that is tighter), while plain types per token
    (no budget) falls by far more."""
    source = _markov_source(11)
    vocabulary, reference = fit_vocabulary(source[:4000])
    lexical = LexicalReference.fit(reference, budget=5_000)
    pool = source[4000:]
    rng = np.random.default_rng(0)
    small = [
        lexical.figures(
            encode([pool[i] for i in rng.choice(6000, 1000, replace=False)], vocabulary)
        )
        for _ in range(6)
    ]
    large = lexical.figures(encode(pool[:5000], vocabulary))
    for name in INVARIANT:
        values = np.array([f[name] for f in small])
        tolerance = max(3 * values.std(ddof=1), 0.02 * abs(values.mean()), 1e-9)
        assert abs(large[name] - values.mean()) <= tolerance, (name, large[name], values)
    plain = [encode(pool[:n], vocabulary) for n in (1000, 5000)]
    ratios = [len(np.unique(e.ids)) / e.tokens for e in plain]
    assert ratios[1] < 0.6 * ratios[0]  # what the budget is for
