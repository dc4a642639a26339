"""Builders shared by the tests (moved from tests/monitor/watch/test_corpus.py); no test module
imports another."""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pandas as pd

from monitor.settings import CorpusSettings
from monitor.store.database import Store
from tests.support.generators import (
    COLUMNS,
)

KIND = "corpus"
_LETTERS = np.array(list(string.ascii_lowercase))


VOCABULARY = ["".join(w) for w in np.random.default_rng(0).choice(_LETTERS, (400, 6))]


def texts(n: int, seed: int) -> list[str]:
    """Random 20-word texts: two of them share almost no character 5-shingles."""
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(VOCABULARY, 20)) for _ in range(n)]


def edited(text: str) -> str:
    words = text.split()
    words[10] = "changed"
    return " ".join(words)


def labelled(parts: list[tuple[pd.DataFrame, str]]) -> pd.DataFrame:
    """The parts stacked, each with its provenance label."""
    return pd.concat([f.assign(provenance=label) for f, label in parts], ignore_index=True)


def corpus(root: Path, name: str, **overrides: object) -> CorpusSettings:
    values: dict[str, object] = {
        "name": name,
        "snapshots": str(root / name / "*"),
        "content_columns": COLUMNS,
    }
    values.update(overrides)
    return CorpusSettings(**values)  # type: ignore[arg-type]


def figures(store: Store, name: str, version: str | None = None) -> dict[tuple[str, str], float]:
    """(metric, scope) -> value of the latest ok run (of ``version`` when given)."""
    history = store.history(KIND, name)
    if version is not None:
        history = history[history["version"] == version]
    history = history[history["run_id"] == history["run_id"].max()]
    keys = zip(history["metric"], history["scope"], strict=True)
    return dict(zip(keys, history["value"], strict=True))
