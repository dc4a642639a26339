"""Builders shared by the tests (moved from tests/collectors/text/test_measure.py); no test module
imports another."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from collectors.text import tokenize


class MarkovText:
    """Word-level Markov chain of order 2 (Shannon 1948): the simplest text generator."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.next: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.starts: list[tuple[str, str]] = []
        self.lengths: list[int] = []
        for text in texts:
            words = text.split()
            self.starts.append((words[0], words[1]))
            self.lengths.append(len(words))
            for a, b, c in zip(words, words[1:], words[2:], strict=False):
                self.next[(a, b)].append(c)

    def sample(self, rows: int, rng: np.random.Generator) -> list[str]:
        out = []
        for _ in range(rows):
            a, b = self.starts[int(rng.integers(len(self.starts)))]
            words = [a, b]
            length = self.lengths[int(rng.integers(len(self.lengths)))]
            while len(words) < length:
                options = self.next.get((words[-2], words[-1]))
                if not options:
                    break
                words.append(options[int(rng.integers(len(options)))])
            out.append(" ".join(words))
        return out


def lose_rare_words(texts: list[str], keep: int) -> list[str]:
    """Each text with only the ``keep`` most frequent words of all texts (the tail cut)."""
    counts = Counter(token for text in texts for token in tokenize(text))
    common = {token for token, _ in counts.most_common(keep)}
    return [" ".join(t for t in tokenize(text) if t in common) or "the" for text in texts]
