"""Lexical tails and diversity of a text sample: exact counts, no model.

Model collapse in language models shows first in the lexicon: each generation trained on the
previous one's text loses rare words and constructions (Shumailov et al. 2024, Nature 631:755,
"AI models collapse when trained on recursively generated data": the tails vanish first), the
rank-frequency curve's tail is cut (Dohmatob et al. 2024, ICML, "A Tale of Tails: Model Collapse
as a Change of Scaling Laws"), and lexical diversity falls over recursive fine-tuning faster than
semantic diversity (Guo et al. 2024, NAACL Findings, "The Curious Decline of Linguistic Diversity:
Training Language Models on Synthetic Text": type-token ratio and distinct-n at fixed budgets,
self-repetition).

Type counts grow with the number of tokens counted, so every type count here is taken at a fixed
*token budget* ``B``: the expected number of types (or n-gram types) in ``B`` tokens drawn at
random without replacement from the sample, computed exactly by rarefaction (Hurlbert 1971,
Ecology 52:577, eq. 14: ``E[S_B] = sum_i 1 - C(T - t_i, B) / C(T, B)`` for a type of count
``t_i`` among ``T``). A random ``B``-subset of ``T`` exchangeable draws is itself ``B`` draws, so
the figure estimates the same quantity whatever the sample size (``T >= B``) and carries no
subsampling noise. Shares (rare-type mass, novelty, length tails, repetition) are proportions and
need no budget.

Pure functions over :class:`collectors.text.tokenize.EncodedTexts`; n-grams never cross a text's
end. n-grams of two or more tokens are identified by a 64-bit mix of their ids (SplitMix64,
Steele et al. 2014, OOPSLA): exact for single tokens; for n-grams two different ones share a code
with probability about ``D^2 / 2^65`` (5e-8 for a million distinct n-grams).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from collectors.text.tokenize import EncodedTexts

__all__ = [
    "DISTINCT_N",
    "LENGTH_TAIL_Q",
    "NOVELTY_N",
    "RARE_TAIL_MASS",
    "REPETITION_N",
    "TTR_BUDGET",
    "ZIPF_RANKS",
    "LexicalReference",
    "distinct_n",
    "length_tail_shares",
    "ngram_codes",
    "ngram_novelty",
    "rare_types",
    "rarefied_types",
    "self_repetition",
    "type_counts",
    "zipf_slope",
]

DISTINCT_N: tuple[int, ...] = (1, 2, 3, 4)
NOVELTY_N = 4  # n-gram novelty against the reference: 4-grams (as Guo et al. 2024's n-gram stats)
REPETITION_N = 4  # seq-rep-4 (Welleck et al. 2020, ICLR, unlikelihood training)
TTR_BUDGET = 1_000  # type-token ratio at this many tokens
RARE_TAIL_MASS = 0.1  # the reference's rare types: the rarest count classes holding 10 % of tokens
LENGTH_TAIL_Q = 0.05  # short and long texts: beyond the reference's 5 % and 95 % length quantiles
ZIPF_RANKS = 1_000  # Zipf slope fitted over the top ranks (fewer when the reference has fewer)
ZIPF_MIN_COUNT = 5  # ... whose reference count is at least this

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (a bijection of uint64), element-wise."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def ngram_codes(texts: EncodedTexts, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(code of every n-gram inside a text, index of its text); single tokens' codes are ids."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    lengths = texts.lengths
    counts = np.maximum(lengths - (n - 1), 0)
    text_of = np.repeat(np.arange(texts.texts), counts)
    starts = texts.offsets[:-1][text_of] + (
        np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    ids = texts.ids.astype(np.uint64)
    codes = ids[starts]
    with np.errstate(over="ignore"):
        for j in range(1, n):
            codes = _splitmix(codes) ^ ids[starts + j]
    return codes, text_of


def type_counts(codes: np.ndarray) -> np.ndarray:
    """How often each distinct code occurs."""
    if codes.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    return np.unique(codes, return_counts=True)[1]


def _absent_probability(counts: np.ndarray, total: int, budget: int) -> np.ndarray:
    """P(a type of each count is absent from ``budget`` draws without replacement of ``total``)."""
    counts = np.asarray(counts, dtype=np.float64)
    rest = total - counts
    out = np.zeros_like(counts)
    possible = rest >= budget
    r = rest[possible]
    out[possible] = np.exp(
        gammaln(r + 1) - gammaln(r - budget + 1) - gammaln(total + 1) + gammaln(total - budget + 1)
    )
    return out


def rarefied_types(counts: np.ndarray, budget: int) -> float:
    """Expected distinct types in ``budget`` of the ``sum(counts)`` tokens (Hurlbert 1971).

    With ``budget`` at or above the total, the number of types present.

    >>> round(rarefied_types(np.array([2, 1, 1]), 2), 6)  # a a b c: pairs hold 11/6 types
    1.833333
    """
    counts = np.asarray(counts)
    counts = counts[counts > 0]
    total = int(counts.sum())
    if budget >= total:
        return float(counts.shape[0])
    values, multiplicity = np.unique(counts, return_counts=True)
    absent = _absent_probability(values, total, budget)
    return float(np.sum(multiplicity * (1.0 - absent)))


def distinct_n(texts: EncodedTexts, n: int, budget: int) -> float:
    """Distinct n-grams per n-gram at a budget of ``budget`` n-grams (Li et al. 2016, NAACL,
    "A Diversity-Promoting Objective Function for Neural Conversation Models", distinct-n),
    rarefied so that it does not fall as the sample grows (``budget`` capped at the n-grams
    there are). NaN without n-grams."""
    codes, _ = ngram_codes(texts, n)
    if codes.shape[0] == 0:
        return float("nan")
    b = min(budget, codes.shape[0])
    return rarefied_types(type_counts(codes), b) / b


def ngram_novelty(sample: EncodedTexts, reference_codes: np.ndarray, n: int = NOVELTY_N) -> float:
    """Share of the sample's n-grams (occurrences) that never occur in the reference.

    ``reference_codes`` are the reference's distinct n-gram codes, sorted
    (:meth:`LexicalReference.fit` keeps them). NaN without n-grams.
    """
    codes, _ = ngram_codes(sample, n)
    if codes.shape[0] == 0:
        return float("nan")
    where = np.searchsorted(reference_codes, codes)
    where = np.minimum(where, max(reference_codes.shape[0] - 1, 0))
    seen = reference_codes[where] == codes if reference_codes.shape[0] else np.zeros_like(codes)
    return float(1.0 - np.mean(seen))


def self_repetition(texts: EncodedTexts, n: int = REPETITION_N) -> float:
    """Mean over texts (with at least one n-gram) of ``1 - distinct n-grams / n-grams``: the
    share of a text's n-grams that repeat one earlier in the same text (seq-rep-n, Welleck et al.
    2020, ICLR). NaN when no text has an n-gram."""
    codes, text_of = ngram_codes(texts, n)
    if codes.shape[0] == 0:
        return float("nan")
    order = np.lexsort((codes, text_of))
    c, t = codes[order], text_of[order]
    first = np.ones(c.shape[0], dtype=bool)
    first[1:] = (c[1:] != c[:-1]) | (t[1:] != t[:-1])
    total = np.bincount(t, minlength=texts.texts)
    distinct = np.bincount(t[first], minlength=texts.texts)
    has = total > 0
    return float(np.mean(1.0 - distinct[has] / total[has]))


def rare_types(counts: np.ndarray, mass: float = RARE_TAIL_MASS) -> np.ndarray:
    """Mask of the rare types: the rarest whole count classes holding at least ``mass``.

    Count classes (all types seen once, all seen twice, ...) are taken whole from the rarest up
    until their tokens reach ``mass`` of all tokens, so ties never split a class.

    >>> rare_types(np.array([5, 1, 1, 2, 1]), 0.3).tolist()  # 3 of 10 tokens are singletons
    [False, True, True, False, True]
    """
    counts = np.asarray(counts)
    total = counts.sum()
    if total <= 0:
        return np.zeros(counts.shape[0], dtype=bool)
    values, multiplicity = np.unique(counts, return_counts=True)
    cumulative = np.cumsum(values * multiplicity) / total
    cut = values[min(int(np.searchsorted(cumulative, mass - 1e-12)), values.shape[0] - 1)]
    return counts <= cut


def length_tail_shares(lengths: np.ndarray, short: float, long: float) -> tuple[float, float]:
    """(share of texts with at most ``short`` tokens, share with at least ``long``)."""
    lengths = np.asarray(lengths)
    if lengths.shape[0] == 0:
        return float("nan"), float("nan")
    return float(np.mean(lengths <= short)), float(np.mean(lengths >= long))


def zipf_slope(counts: np.ndarray, ranks: int) -> float:
    """Least-squares slope of log frequency on log rank over ranks 1..``ranks`` (Zipf 1949;
    about -1 for natural text; a steeper fall is a cut tail, Dohmatob et al. 2024). Ranks the
    sample lacks are left out; NaN with fewer than 3."""
    ordered = np.sort(np.asarray(counts)[np.asarray(counts) > 0])[::-1][:ranks]
    if ordered.shape[0] < 3:
        return float("nan")
    x = np.log(np.arange(1, ordered.shape[0] + 1))
    y = np.log(ordered / ordered.sum())
    return float(np.polyfit(x, y, 1)[0])


@dataclass(frozen=True)
class LexicalReference:
    """What the lexical figures need of the reference, computed once.

    ``budget``: the token budget of the type counts (capped per sample at the tokens it has).
    """

    counts: np.ndarray  # count of each reference type id (index = id)
    rare: np.ndarray  # mask over type ids: the reference's rare types
    rare_share: float  # share of reference tokens that are rare types
    expected_types: float  # E[types in `budget` reference tokens]
    novelty_codes: np.ndarray  # sorted distinct NOVELTY_N-gram codes of the reference
    short_length: float  # text lengths at or below this are "short" (the 5 % quantile)
    long_length: float  # ... at or above this "long" (the 95 % quantile)
    short_share: float  # the reference's own shares beyond them (ties make them >= 5 %)
    long_share: float
    zipf_ranks: int
    budget: int

    @classmethod
    def fit(cls, reference: EncodedTexts, budget: int) -> LexicalReference:
        """Fit on the reference's encoding (ids below ``reference.known`` only)."""
        counts = np.bincount(reference.ids, minlength=reference.known).astype(np.int64)
        rare = rare_types(counts) & (counts > 0)
        total = int(counts.sum())
        b = min(budget, total)
        codes, _ = ngram_codes(reference, NOVELTY_N)
        lengths = reference.lengths
        short, long = np.quantile(lengths, [LENGTH_TAIL_Q, 1.0 - LENGTH_TAIL_Q])
        short_share, long_share = length_tail_shares(lengths, short, long)
        ranks = min(ZIPF_RANKS, max(3, int(np.sum(counts >= ZIPF_MIN_COUNT))))
        return cls(
            counts=counts,
            rare=rare,
            rare_share=float(counts[rare].sum() / total) if total else float("nan"),
            expected_types=rarefied_types(counts, b),
            novelty_codes=np.unique(codes),
            short_length=float(short),
            long_length=float(long),
            short_share=short_share,
            long_share=long_share,
            zipf_ranks=ranks,
            budget=b,
        )

    def vocabulary_retention(self, sample: EncodedTexts) -> float:
        """Expected reference types among ``budget`` sample tokens over expected reference types
        among ``budget`` reference tokens (about 1 for a generator that keeps the vocabulary;
        the share of the reference's types seen, at a matched token budget)."""
        if sample.tokens == 0:
            return float("nan")
        b = min(self.budget, sample.tokens)
        counts = np.bincount(sample.ids, minlength=sample.known)
        absent = _absent_probability(counts[: self.counts.shape[0]], sample.tokens, b)
        seen = (counts[: self.counts.shape[0]] > 0) & (self.counts > 0)
        return float(np.sum(1.0 - absent[seen]) / self.expected_types)

    def rare_mass_ratio(self, sample: EncodedTexts) -> float:
        """Share of sample tokens that are reference-rare types over the reference's share (the
        text form of ``tail_frequency_ratio``; about 1 while the tail lives)."""
        if sample.tokens == 0 or not self.rare_share > 0:
            return float("nan")
        known = sample.ids[sample.ids < self.rare.shape[0]]
        return float(np.count_nonzero(self.rare[known]) / sample.tokens / self.rare_share)

    def figures(self, sample: EncodedTexts) -> dict[str, float]:
        """Every lexical figure of ``sample`` by catalog name."""
        figures = {
            "text_vocabulary_retention": self.vocabulary_retention(sample),
            "text_rare_mass_ratio": self.rare_mass_ratio(sample),
            "text_ngram_novelty": ngram_novelty(sample, self.novelty_codes),
            "text_self_repetition": self_repetition(sample),
            "text_tokens_mean": float(np.mean(sample.lengths)) if sample.texts else float("nan"),
        }
        for n in DISTINCT_N:
            figures[f"text_distinct_{n}"] = distinct_n(sample, n, self.budget)
        if sample.tokens:
            b = min(TTR_BUDGET, sample.tokens)
            figures["text_type_token_ratio"] = rarefied_types(type_counts(sample.ids), b) / b
        short, long = length_tail_shares(sample.lengths, self.short_length, self.long_length)
        figures["text_length_short_share"] = short
        figures["text_length_long_share"] = long
        figures["text_zipf_slope"] = zipf_slope(type_counts(sample.ids), self.zipf_ranks)
        return figures
