"""Near-duplicates of a corpus with a synthetic dump and no known-human data (real DuckDB store).

Before the default calibration such a corpus got no near-duplicate figure at all; now it gets
one, flagged as the documented default in the store, ``tailwatch status`` (and /api/status, the
same document) and the report, and a corpus whose near-duplicates stay within the null's expected
false positives is healthy.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from monitor.report.corpus import corpus_section
from monitor.status import format_status, status_document
from monitor.store.database import Store
from monitor.store.registry import RegistryFiles
from monitor.watch.corpus import CorpusWatch
from tests.support.corpora import corpus, figures, labelled, texts
from tests.support.generators import write


def formatted(text: str) -> str:
    """An edited copy the published word-shingle rule is meant to catch: case, punctuation."""
    return text.upper().replace(" ", ", ", 3)


def scan(root: Path, store: Store, *, known_human: bool, planted: int) -> CorpusWatch:
    dump, human, fresh = texts(200, 1), texts(300, 2), texts(300, 3)
    write(root / "dump" / "a.parquet", pd.DataFrame({"text": dump}))
    write(root / "human" / "a.parquet", pd.DataFrame({"text": human}))
    parts = [
        (pd.DataFrame({"text": fresh}), "human"),
        (pd.DataFrame({"text": [formatted(t) for t in dump[:planted]]}), "human"),
        (pd.DataFrame({"text": dump[100:120]}), "synthetic"),
    ]
    write(root / "texts" / "s1.parquet", labelled(parts))
    sources = [RegistryFiles("dump:chat", "synthetic", str(root / "dump" / "*"), ("text",))]
    if known_human:
        sources.append(RegistryFiles("human:web", "human", str(root / "human" / "*"), ("text",)))
    watch = CorpusWatch(
        corpus(root, "texts", content_columns=["text"]), store, registry_sources=sources
    )
    assert watch.scan().measured == 1
    return watch


def test_without_known_human_data_the_default_gives_a_figure_and_says_so(
    tmp_path: Path, store: Store
) -> None:
    scan(tmp_path, store, known_human=False, planted=0)
    got = figures(store, "texts")
    assert got[("near_duplicate_sample_rows", "snapshot")] == 300
    assert got[("near_duplicate_synthetic_rows", "snapshot")] == 0
    assert got[("near_duplicate_default_calibration", "snapshot")] == 1
    assert 0 < got[("near_duplicate_expected_false_positives", "snapshot")] < 1

    [entry] = status_document(store)["subjects"]
    assert entry["level"] == "healthy"
    assert entry["near_duplicate_calibration"].startswith(
        "default Jaccard threshold 0.8 on 5-word shingles"
    )
    text = format_status(status_document(store))
    assert "near-duplicates calibrated on default Jaccard threshold 0.8" in text
    assert "healthy" in text

    section = corpus_section(store, "texts", None)
    assert section.verdict.level == "healthy"
    assert any("calibrated on default Jaccard threshold 0.8" in n for n in section.notes)


def test_planted_copies_are_a_finding_under_the_default(tmp_path: Path, store: Store) -> None:
    scan(tmp_path, store, known_human=False, planted=15)
    got = figures(store, "texts")
    assert got[("near_duplicate_synthetic_rows", "snapshot")] == 15
    [entry] = status_document(store)["subjects"]
    assert entry["level"] == "leakage"
    assert corpus_section(store, "texts", None).verdict.level == "leakage"


def test_with_known_human_data_status_and_report_name_it(tmp_path: Path, store: Store) -> None:
    scan(tmp_path, store, known_human=True, planted=0)
    assert figures(store, "texts")[("near_duplicate_default_calibration", "snapshot")] == 0
    [entry] = status_document(store)["subjects"]
    assert entry["near_duplicate_calibration"].startswith("known-human data (300 rows")
    assert entry["level"] == "healthy"
    notes = corpus_section(store, "texts", None).notes
    assert any("calibrated on known-human data" in n for n in notes)
