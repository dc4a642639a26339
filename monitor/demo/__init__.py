"""The built-in demo scenarios: a tabular generator that loses its tails, a language model that
loses its words.
"""

from monitor.demo.tabular import CORPUS_BUDGET, FEATURES, DemoScenario
from monitor.demo.text import (
    TEXT_GENERATOR,
    TEXT_SHOWN,
    TextDemoScenario,
    markov_texts,
    paragraphs,
    stdlib_paragraphs,
)

__all__ = [
    "CORPUS_BUDGET",
    "FEATURES",
    "TEXT_GENERATOR",
    "TEXT_SHOWN",
    "DemoScenario",
    "TextDemoScenario",
    "markov_texts",
    "paragraphs",
    "stdlib_paragraphs",
]
