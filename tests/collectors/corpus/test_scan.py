"""Tests for collectors.corpus.scan: planted leakage in real Parquet snapshots, and every bad
input."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from collectors.corpus.near_duplicates import TextNearDuplicates
from collectors.corpus.scan import (
    GAUGE_FIELDS,
    CorpusSettings,
    corpus_metrics,
    scan_snapshot,
    snapshot_files,
)
from collectors.provenance.definition import fingerprint_texts
from collectors.sources.readers import SourceError
from tests.support.near_duplicates import edit, make_text

SETTINGS = CorpusSettings(
    content_columns=("text",),
    provenance_column="provenance",
    generator_column="generator",
    provenance_labels={
        "human": "human",
        "synthetic": "synthetic",
        "unknown": "unknown",
        "web": "human",
    },
    max_synthetic_fraction=0.15,
    near_duplicate_sample=10_000,
)


@pytest.fixture(scope="module")
def world() -> dict:
    """A registry (synthetic rows, plus known-human copies), known-human text, and a corpus."""
    rng = np.random.default_rng(11)
    synthetic = [make_text(rng, template=i % 3 == 0) for i in range(600)]
    human_known = [make_text(rng, template=i % 3 == 0) for i in range(1000)]
    memorised = human_known[:40]  # the generator reproduced these human rows
    registry = duckdb.connect()
    fingerprints = fingerprint_texts(synthetic + memorised)
    registry.execute(
        "CREATE TABLE registry (fingerprint UBIGINT, generator VARCHAR, version VARCHAR, "
        "known_human BOOLEAN)"
    )
    registry.executemany(
        "INSERT INTO registry VALUES (?, ?, ?, ?)",
        [
            (int(f), "chatbot" if (i // 12) % 2 else "writer", "v1", i >= len(synthetic))
            for i, f in enumerate(fingerprints)
        ],
    )
    # corpus: 5000 rows; 50 exact copies (1 %) and 50 edited copies (1 %), all labelled human
    exact = [synthetic[i].upper() if i % 2 else "  " + synthetic[i] for i in range(0, 600, 12)]
    near = [edit(synthetic[i], rng) for i in range(6, 600, 12)]
    hard = [make_text(rng, template=True) for _ in range(1200)] + memorised
    plain = [make_text(rng) for _ in range(3500 - 100 - len(hard))]
    human_texts = exact + near + hard + plain
    labelled_synthetic = [make_text(rng) for _ in range(500)]
    unknown = [make_text(rng) for _ in range(900)]
    odd = [make_text(rng) for _ in range(100)]
    texts = human_texts + labelled_synthetic + unknown + odd
    provenance = (
        ["human"] * (len(human_texts) - 500)
        + ["web"] * 500
        + ["synthetic"] * 500
        + ["unknown"] * 900
        + ["bot?"] * 60
        + [None] * 40
    )
    generator = [None] * len(human_texts) + ["chatbot"] * 500 + [None] * 1000
    detector = TextNearDuplicates(synthetic, human_known[40:])
    return {
        "registry": registry,
        "texts": texts,
        "provenance": provenance,
        "generator": generator,
        "planted": len(exact) + len(near),
        "exact": len(exact),
        "detector": detector,
        "rng": rng,
        "synthetic": synthetic,
    }


def _write(folder, texts, provenance, generator, parts: int = 3, **extra) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    order = np.random.default_rng(0).permutation(len(texts))
    paths = []
    for p, chunk in enumerate(np.array_split(order, parts)):
        columns = {
            "text": [texts[i] for i in chunk],
            "provenance": [provenance[i] for i in chunk],
            "generator": [generator[i] for i in chunk],
        }
        for name, values in extra.items():
            columns[name] = [values[i] for i in chunk]
        path = folder / f"part-{p}.parquet"
        pq.write_table(pa.table(columns), path)
        paths.append(path)
    return snapshot_files(folder)


def test_planted_leakage_is_recovered(tmp_path, world) -> None:
    files = _write(tmp_path / "s1", world["texts"], world["provenance"], world["generator"])
    connection = world["registry"].cursor()
    figures = scan_snapshot(
        connection,
        files,
        "registry",
        SETTINGS,
        fingerprints_out=tmp_path / "s1.parquet",
        near_duplicates=world["detector"],
    )
    assert figures.rows == 5000
    assert (figures.human_rows, figures.synthetic_rows, figures.unknown_rows) == (3500, 500, 1000)
    assert figures.unrecognised_label_rows == 100
    assert dict(figures.unrecognised_labels) == {"bot?": 60, "<null>": 40}
    assert figures.synthetic_fraction == pytest.approx(0.1)
    # exact leakage: every exact copy, nothing else (known-human copies are not leaks)
    assert figures.unlabeled_synthetic_rows == world["exact"]
    assert figures.unlabeled_synthetic_ratio == pytest.approx(world["exact"] / 4500)
    assert dict(figures.unlabeled_synthetic_by_generator) == {"chatbot": 25, "writer": 25}
    assert figures.known_synthetic_fraction == pytest.approx(550 / 5000)
    assert figures.budget_exceeded == 0
    assert figures.rows_by_generator == (("chatbot", None, 500),)
    assert (figures.rows_added, figures.rows_removed) == (5000, 0)
    # near-duplicates (exact copies included): recall >= 0.95 at precision >= 0.99
    near = figures.near_duplicates
    assert near is not None and near.sample_rows == 4500
    planted = world["planted"]
    assert planted * 0.95 <= near.count <= planted / 0.99
    truth = planted / 4500
    assert figures.near_duplicate_synthetic_ratio_lower <= truth
    assert truth <= figures.near_duplicate_synthetic_ratio_upper
    assert figures.near_duplicate_expected_false_positives < 10
    metrics = {(m.metric, m.scope): m.value for m in corpus_metrics(figures)}
    assert metrics[("rows", "provenance:unknown")] == 1000
    assert metrics[("unlabeled_synthetic_rows", "generator:writer")] == 25
    assert metrics[("budget_exceeded", "snapshot")] == 0
    assert {"rows", "synthetic_fraction", "near_duplicate_synthetic_ratio_upper"} <= set(
        GAUGE_FIELDS
    )
    # the next snapshot: planted rows removed, 30 rows added; budget exceeded; human-only policy
    keep = list(range(planted, 5000))
    texts = [world["texts"][i] for i in keep] + [make_text(world["rng"]) for _ in range(30)]
    provenance = [world["provenance"][i] for i in keep] + ["synthetic"] * 30
    generator = [world["generator"][i] for i in keep] + ["writer"] * 30
    files2 = _write(tmp_path / "s2", texts, provenance, generator, parts=2)
    strict = CorpusSettings(
        content_columns=("text",),
        provenance_column="provenance",
        max_synthetic_fraction=0.1,
        human_only=True,
    )
    second = scan_snapshot(
        connection, files2, "registry", strict, previous_fingerprints=tmp_path / "s1.parquet"
    )
    assert (second.rows_added, second.rows_removed) == (30, planted)
    assert second.unlabeled_synthetic_rows == 0
    assert second.budget_exceeded == 1
    assert second.human_only_violation_rows == 530
    assert math.isnan(second.near_duplicate_synthetic_ratio)


def test_clean_corpus_has_no_exact_leak(tmp_path, world) -> None:
    start = world["planted"]
    texts, provenance = world["texts"][start:], world["provenance"][start:]
    files = _write(tmp_path / "clean", texts, provenance, world["generator"][start:], parts=1)
    figures = scan_snapshot(world["registry"].cursor(), files, "registry", SETTINGS)
    assert figures.unlabeled_synthetic_rows == 0
    assert figures.unlabeled_synthetic_ratio == 0.0


def test_tail_frequency_against_the_first_snapshot(tmp_path, world) -> None:
    rng = np.random.default_rng(4)
    n = 3000
    texts = [f"row {i}" for i in range(n)]
    first = _write(
        tmp_path / "t1", texts, ["human"] * n, [None] * n, parts=1, amount=list(rng.normal(size=n))
    )
    same = _write(
        tmp_path / "t2", texts, ["human"] * n, [None] * n, parts=1, amount=list(rng.normal(size=n))
    )
    shrunk = _write(
        tmp_path / "t3",
        texts,
        ["human"] * n,
        [None] * n,
        parts=1,
        amount=list(0.3 * rng.normal(size=n)),
    )
    connection = world["registry"].cursor()
    healthy = scan_snapshot(connection, same, "registry", SETTINGS, baseline=first)
    collapsed = scan_snapshot(connection, shrunk, "registry", SETTINGS, baseline=first)
    assert 0.6 < healthy.tail_frequency_ratio < 1.5
    assert collapsed.tail_frequency_ratio < 0.1


def test_bad_inputs_are_named(tmp_path, world) -> None:
    connection = world["registry"].cursor()
    good = _write(tmp_path / "good", ["a b", "c d"], ["human", "human"], [None, None], parts=1)
    no_provenance = tmp_path / "nop" / "part.parquet"
    no_provenance.parent.mkdir()
    pq.write_table(pa.table({"text": ["x"]}), no_provenance)
    with pytest.raises(
        SourceError, match=r"file .*nop/part.parquet lacks column\(s\) \['provenance'"
    ):
        scan_snapshot(connection, [no_provenance], "registry", SETTINGS)
    nulls = _write(tmp_path / "nulls", ["a", None, None], ["human"] * 3, [None] * 3, parts=1)
    with pytest.raises(
        SourceError, match=r"2 rows have null/NaN content .*part-0.parquet \(2 rows\)"
    ):
        scan_snapshot(connection, nulls, "registry", SETTINGS)
    corrupt = tmp_path / "bad" / "part.parquet"
    corrupt.parent.mkdir()
    corrupt.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(SourceError, match=r"cannot read file .*bad/part.parquet"):
        scan_snapshot(connection, [corrupt], "registry", SETTINGS)
    gone = tmp_path / "gone.parquet"
    with pytest.raises(SourceError, match=r"file .*gone.parquet no longer exists"):
        scan_snapshot(connection, [*good, gone], "registry", SETTINGS)
    with pytest.raises(ValueError, match=r"registry relation 'nothing'"):
        scan_snapshot(connection, good, "nothing", SETTINGS)
    with pytest.raises(SourceError, match="matches no data files"):
        snapshot_files(tmp_path / "empty-nothing-here")
    with pytest.raises(ValueError, match="labels"):
        CorpusSettings(
            content_columns=("text",), provenance_column="p", provenance_labels={"x": "robot"}
        )  # type: ignore[dict-item]


def test_every_gauge_has_a_catalog_entry() -> None:
    from collectors.metrics.catalog import CORPUS_BY_NAME

    assert set(GAUGE_FIELDS) == set(CORPUS_BY_NAME)
    assert all(spec.paper for spec in CORPUS_BY_NAME.values())
