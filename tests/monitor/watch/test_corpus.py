"""Tests of monitor.watch.corpus over a real DuckDB store and real Parquet files.

Every expected figure is counted from the rows the test plants in a snapshot, never copied
from a run: leaks are rows whose content a generator run or a synthetic dump registered.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.request
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families

from collectors.provenance.definition import fingerprint_frame, fingerprint_texts
from monitor.exporter.server import serve
from monitor.settings import CorpusSettings, ExporterSettings, SchedulerSettings
from monitor.status import status_document
from monitor.store.database import Store
from monitor.store.registry import RegistryFiles, SyntheticRegistry
from monitor.watch.corpus import WATCH_ONLY_FIELDS, CorpusWatch, scan_settings
from monitor.watch.generator import GeneratorWatch
from tests.support.corpora import KIND, corpus, edited, figures, labelled, texts
from tests.support.generators import (
    COLUMNS,
    SAMPLE_SIZE,
    T0,
    VERSION_ROWS,
    Clock,
    collapsed,
    generator,
    real,
    version_path,
    write,
)
from tests.support.net import free_port


def corpus_runs(store: Store, name: str) -> pd.DataFrame:
    return store.runs(KIND, name, limit=1000).sort_values("id").reset_index(drop=True)


def registered(store: Store, table: str, source: str) -> list[int]:
    rows = store.fetch_arrow(f"SELECT fingerprint FROM {table} WHERE source = ?", [source])
    return rows.column("fingerprint").to_pylist()


# --------------------------------------------------------------------------- exact leakage


def test_sampled_generator_rows_labelled_human_are_counted_as_leaks(
    tmp_path: Path, store: Store
) -> None:
    gan = GeneratorWatch(generator(tmp_path, "gan"), store)
    version = write(version_path(gan.settings, "v1"), collapsed(VERSION_ROWS, 7, 0.6))
    assert gan.scan().measured == 1
    sampled = store.fetch_arrow("SELECT fingerprint FROM synthetic_registry")["fingerprint"]
    rows = pd.read_parquet(version)
    was_sampled = np.isin(fingerprint_frame(rows, COLUMNS), sampled.to_numpy())
    assert was_sampled.sum() == SAMPLE_SIZE < len(rows)
    leaked, synthetic = rows[was_sampled].iloc[:25], rows[was_sampled].iloc[25:55]
    unsampled = rows[~was_sampled].iloc[:20]  # generator output never registered: not found
    human = real(300, 123)
    frame = labelled(
        [(human, "human"), (leaked, "human"), (unsampled, "human"), (synthetic, "synthetic")]
    )
    write(tmp_path / "mix" / "s1" / "part.parquet", frame)
    total, p, q = len(frame), len(leaked), len(synthetic)
    # Labelled synthetic rows alone are within the tight budget; the leaks push it over.
    tight = (q + p / 2) / total
    loose = (q + p + 1) / total
    for name, budget in (("mix", tight), ("loose", loose)):
        settings = corpus(tmp_path, name, snapshots=str(tmp_path / "mix" / "*"))
        settings = settings.model_copy(update={"max_synthetic_fraction": budget})
        assert CorpusWatch(settings, store).scan().measured == 1

    got = figures(store, "mix")
    assert got[("unlabeled_synthetic_rows", "snapshot")] == p
    assert got[("unlabeled_synthetic_rows", "generator:gan")] == p
    assert got[("unlabeled_synthetic_ratio", "snapshot")] == pytest.approx(p / (total - q))
    assert got[("synthetic_fraction", "snapshot")] == pytest.approx(q / total)
    assert got[("known_synthetic_fraction", "snapshot")] == pytest.approx((p + q) / total)
    assert got[("rows", "snapshot")] == total
    assert got[("rows", "provenance:human")] == len(human) + p + len(unsampled)
    assert got[("rows", "provenance:synthetic")] == q
    assert got[("rows", "provenance:unknown")] == 0
    assert got[("budget_exceeded", "snapshot")] == 1
    assert got[("synthetic_budget_ratio", "snapshot")] == pytest.approx(tight)
    assert figures(store, "loose")[("budget_exceeded", "snapshot")] == 0
    by_generator = store.run_details(KIND, "mix", "unlabeled_synthetic_by_generator")
    assert by_generator["content"].tolist() == [f'[["gan", {p}]]']


def test_known_human_rows_are_never_leaks(tmp_path: Path, store: Store) -> None:
    settings = generator(tmp_path, "gan")
    reference = pd.read_parquet(settings.reference)
    echoed, novel = reference.iloc[:10], collapsed(14, 21, 0.5)
    dump = write(tmp_path / "dump" / "echo.parquet", pd.concat([echoed, novel]))
    sources = [RegistryFiles("dump:echo", "synthetic", str(dump), tuple(COLUMNS), "gan")]
    frame = labelled([(real(100, 55), "human"), (echoed, "human"), (novel, "human")])
    write(tmp_path / "web" / "s1.parquet", frame)
    web = CorpusWatch(corpus(tmp_path, "web"), store, registry_sources=sources)
    assert web.scan().measured == 1
    # Nothing says yet that the echoed rows are human: all dump rows count.
    assert figures(store, "web", "s1")[("unlabeled_synthetic_rows", "snapshot")] == 24

    # Fitting the generator registers its reference (and holdout) as known human.
    gan = GeneratorWatch(settings, store)
    write(version_path(settings, "v1"), collapsed(VERSION_ROWS, 8, 0.7))
    assert gan.scan().measured == 1
    assert len(registered(store, "known_human", "reference:gan")) == len(reference)
    write(tmp_path / "web" / "s2.parquet", frame)
    assert web.scan().measured == 1
    got = figures(store, "web", "s2")
    assert got[("unlabeled_synthetic_rows", "snapshot")] == len(novel)
    assert got[("unlabeled_synthetic_rows", "generator:gan")] == len(novel)


# --------------------------------------------------------------------------- text corpora


def text_corpus(root: Path, store: Store) -> tuple[CorpusWatch, dict[str, int]]:
    """A text snapshot against a dump and known-human texts; returns the planted counts."""
    dump, human, fresh = texts(200, 1), texts(300, 2), texts(150, 3)
    write(root / "dump" / "a.parquet", pd.DataFrame({"text": dump}))
    write(root / "human" / "a.parquet", pd.DataFrame({"text": human}))
    parts = {
        "fresh": (fresh[:140], "human"),
        "fresh unknown": (fresh[140:], "unknown"),
        "known human": (human[:20], "human"),
        "leaked": (dump[:12], "human"),
        "leaked unknown": (dump[12:15], "unknown"),
        "edited": ([edited(t) for t in dump[15:30]], "human"),
        "synthetic": (dump[30:55], "synthetic"),
    }
    frame = labelled([(pd.DataFrame({"text": t}), label) for t, label in parts.values()])
    write(root / "texts" / "s1.parquet", frame)
    sources = [
        RegistryFiles("dump:chat", "synthetic", str(root / "dump" / "*"), ("text",), "chat"),
        RegistryFiles("human:web", "human", str(root / "human" / "*"), ("text",)),
    ]
    watch = CorpusWatch(
        corpus(root, "texts", content_columns=["text"]), store, registry_sources=sources
    )
    assert watch.scan().measured == 1
    n = {key: len(t) for key, (t, _) in parts.items()}
    by_label = Counter(frame["provenance"])
    return watch, {
        "rows": len(frame),
        "human": by_label["human"],
        "synthetic": by_label["synthetic"],
        "unknown": by_label["unknown"],
        "leaked": n["leaked"] + n["leaked unknown"],
        "edited": n["edited"],
    }


def test_text_leaks_are_exact_and_edited_copies_are_near_duplicates(
    tmp_path: Path, store: Store
) -> None:
    _, n = text_corpus(tmp_path, store)
    got = figures(store, "texts")
    assert got[("unlabeled_synthetic_rows", "snapshot")] == n["leaked"]
    assert got[("unlabeled_synthetic_rows", "generator:chat")] == n["leaked"]
    assert got[("rows", "provenance:unknown")] == n["unknown"]
    not_synthetic = n["rows"] - n["synthetic"]
    assert got[("near_duplicate_sample_rows", "snapshot")] == not_synthetic
    near = got[("near_duplicate_synthetic_rows", "snapshot")]
    assert near == n["leaked"] + n["edited"]  # exact copies are near-duplicates too
    ratio = got[("near_duplicate_synthetic_ratio", "snapshot")]
    assert ratio == pytest.approx(near / not_synthetic)
    lower = got[("near_duplicate_synthetic_ratio_lower", "snapshot")]
    upper = got[("near_duplicate_synthetic_ratio_upper", "snapshot")]
    assert lower < ratio < upper
    assert 0 <= got[("near_duplicate_expected_false_positives", "snapshot")] < 5


# --------------------------------------------------------------------------- resume


def _difference(new: pd.DataFrame, old: pd.DataFrame) -> tuple[int, int]:
    """Rows added and removed: the multiset difference of the rows themselves."""
    a = Counter(map(tuple, new[COLUMNS].itertuples(index=False)))
    b = Counter(map(tuple, old[COLUMNS].itertuples(index=False)))
    return sum((a - b).values()), sum((b - a).values())


def test_a_restart_resumes_and_each_snapshot_is_scanned_once(tmp_path: Path) -> None:
    path, settings = tmp_path / "tw.duckdb", corpus(tmp_path, "web")
    base = real(150, 1)
    s1 = base.iloc[:100]
    s2 = pd.concat([base.iloc[10:110], base.iloc[:5]])  # 5 rows twice
    s3 = pd.concat([base.iloc[30:110], base.iloc[:5], base.iloc[:8], real(25, 2)])

    def snapshot(name: str, frame: pd.DataFrame) -> None:
        write(tmp_path / "web" / name / "part.parquet", labelled([(frame, "human")]))

    snapshot("s1", s1)
    snapshot("s2", s2)
    with Store(path) as store:
        assert CorpusWatch(settings, store).scan().measured == 2
    with Store(path) as store:
        watch = CorpusWatch(settings, store)
        outcome = watch.scan()
        assert (outcome.measured, outcome.failed, outcome.pending) == (0, 0, 0)
        assert len(corpus_runs(store, "web")) == 2

        snapshot("s3", s3)
        due, waiting = watch.todo()
        assert [(i, v.name) for i, v in due] == [(2, "s3")] and waiting == 0
        assert watch.scan().measured == 1
        assert corpus_runs(store, "web")["version"].tolist() == ["s1", "s2", "s3"]
        for version, new, old in (("s1", s1, s1.iloc[:0]), ("s2", s2, s1), ("s3", s3, s2)):
            got = figures(store, "web", version)
            added, removed = _difference(new, old)
            assert (got[("rows_added", "snapshot")], got[("rows_removed", "snapshot")]) == (
                added,
                removed,
            ), version

        old_fingerprint = store.measured(KIND, "web")["s2"]
        rewritten = pd.concat([base.iloc[:90], real(7, 3)])
        snapshot("s2", rewritten)
        assert [v.name for _, v in watch.todo()[0]] == ["s2"]
        assert watch.scan().measured == 1
        assert watch.scan().measured == 0
        assert store.measured(KIND, "web")["s2"] != old_fingerprint
        history = store.history(KIND, "web")
        assert history.loc[history["version"] == "s2", "run_id"].nunique() == 2
        got = figures(store, "web", "s2")
        added, removed = _difference(rewritten, s1)
        assert (got[("rows_added", "snapshot")], got[("rows_removed", "snapshot")]) == (
            added,
            removed,
        )


# --------------------------------------------------------------------------- failures


def test_bad_snapshots_fail_back_off_give_up_and_recover(tmp_path: Path, store: Store) -> None:
    clock = Clock(T0)
    retry = SchedulerSettings(retry_initial_seconds=10, retry_max_seconds=10, retry_max_attempts=2)
    folder = tmp_path / "bad"
    write(folder / "s1" / "part.parquet", labelled([(real(50, 1), "human")]))
    unlabelled = write(folder / "s2" / "part.parquet", real(50, 2))  # no provenance column
    corrupt = folder / "s3" / "part.parquet"
    corrupt.parent.mkdir(parents=True)
    corrupt.write_bytes(np.random.default_rng(3).bytes(4096))
    bad = CorpusWatch(corpus(tmp_path, "bad"), store, scheduler=retry, clock=clock)

    def failed() -> pd.DataFrame:
        all_runs = corpus_runs(store, "bad")
        return all_runs[all_runs["status"] == "failed"]

    outcome = bad.scan()
    assert (outcome.measured, outcome.failed) == (1, 2)
    errors = dict(zip(failed()["version"], failed()["error"], strict=True))
    assert str(unlabelled) in errors["s2"] and "'provenance'" in errors["s2"], errors["s2"]
    assert str(corrupt) in errors["s3"] and "cannot read" in errors["s3"], errors["s3"]
    assert failed()["metric_count"].tolist() == [0, 0]
    assert set(store.history(KIND, "bad")["version"]) == {"s1"}

    write(tmp_path / "good" / "s1.parquet", labelled([(real(40, 4), "human")]))
    assert CorpusWatch(corpus(tmp_path, "good"), store).scan().measured == 1
    assert figures(store, "good")[("rows", "snapshot")] == 40

    clock.advance(9.5)
    assert bad.todo() == ([], 2)
    assert bad.scan().pending == 2 and len(failed()) == 2
    clock.advance(0.5)
    assert [v.name for _, v in bad.todo()[0]] == ["s2", "s3"]
    assert bad.scan().failed == 2 and len(failed()) == 4
    clock.advance(86_400)  # two attempts used: given up
    assert bad.todo() == ([], 2)

    write(unlabelled, labelled([(real(50, 2), "human")]))
    assert [v.name for _, v in bad.todo()[0]] == ["s2"]
    assert bad.scan().measured == 1
    statuses = corpus_runs(store, "bad").query("version == 's2'")["status"].tolist()
    assert statuses == ["failed", "failed", "ok"]
    assert figures(store, "bad", "s2")[("rows", "provenance:human")] == 50
    assert bad.todo() == ([], 1)


# --------------------------------------------------------------------------- the registry


def test_registry_sync_is_idempotent_and_skips_a_bad_source(tmp_path: Path, store: Store) -> None:
    dump, human = texts(120, 1), texts(60, 2)
    dump_file = write(tmp_path / "dump" / "a.parquet", pd.DataFrame({"text": dump}))
    write(tmp_path / "human" / "a.parquet", pd.DataFrame({"text": human}))
    nothing = str(tmp_path / "nothing" / "*.parquet")
    sources = [
        RegistryFiles("dump:none", "synthetic", nothing, ("text",)),
        RegistryFiles("dump:a", "synthetic", str(tmp_path / "dump" / "*"), ("text",), "chat"),
        RegistryFiles("human:h", "human", str(tmp_path / "human" / "*"), ("text",)),
    ]
    registry = SyntheticRegistry(store)

    def sources_table() -> dict[str, tuple]:
        rows = store.fetch_arrow("SELECT * FROM registry_sources").to_pylist()
        listed = Counter(row["source"] for row in rows)
        assert set(listed.values()) == {1}, listed
        return {row["source"]: (row["rows"], row["registered_at"]) for row in rows}

    first: dict[str, tuple] = {}
    for attempt in range(2):
        failures = registry.sync(sources)
        assert [source for source, _ in failures] == ["dump:none"]
        assert nothing in str(failures[0][1])
        assert sorted(registered(store, "synthetic_registry", "dump:a")) == sorted(
            fingerprint_texts(dump).tolist()
        )
        assert len(registered(store, "known_human", "human:h")) == len(human)
        if attempt == 0:
            first = sources_table()
    assert sources_table() == first  # the second sync registered nothing again
    assert set(first) == {"dump:a", "human:h"}
    assert registry.counts() == {"synthetic": len(dump), "human": len(human)}
    generators = store.fetch_arrow("SELECT DISTINCT generator FROM synthetic_registry")
    assert generators["generator"].to_pylist() == ["chat"]

    changed = dump[:50] + texts(30, 9)
    write(dump_file, pd.DataFrame({"text": changed}))
    assert [source for source, _ in registry.sync(sources)] == ["dump:none"]
    now = registered(store, "synthetic_registry", "dump:a")
    assert sorted(now) == sorted(fingerprint_texts(changed).tolist())
    assert not set(fingerprint_texts(dump[50:]).tolist()) & set(now)
    assert sources_table()["dump:a"][0] == len(changed)
    assert len(registered(store, "known_human", "human:h")) == len(human)


# --------------------------------------------------------------------------- status and export


def test_status_and_exporter_show_the_corpus(tmp_path: Path, store: Store) -> None:
    _, n = text_corpus(tmp_path, store)
    not_synthetic = n["rows"] - n["synthetic"]
    [entry] = [s for s in status_document(store)["subjects"] if s["kind"] == KIND]
    assert entry["name"] == "texts" and entry["last_status"] == "ok"
    assert entry["metrics"]["rows"] == n["rows"]
    assert entry["metrics"]["synthetic_fraction"] == pytest.approx(n["synthetic"] / n["rows"])
    ratio = entry["metrics"]["unlabeled_synthetic_ratio"]
    assert ratio == pytest.approx(n["leaked"] / not_synthetic)

    port = free_port()
    server, _ = serve(ExporterSettings(port=port), store)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    c = (("corpus", "texts"),)
    stored = figures(store, "texts")[("unlabeled_synthetic_rows", "snapshot")]
    assert samples[("tailwatch_corpus_unlabeled_synthetic_rows", c)] == stored == n["leaked"]
    assert samples[("tailwatch_corpus_rows", c)] == n["rows"]
    provenance = {
        dict(labels)["provenance"]: value
        for (name, labels), value in samples.items()
        if name == "tailwatch_corpus_provenance_rows"
    }
    assert provenance == {label: n[label] for label in ("human", "synthetic", "unknown")}
    assert ("tailwatch_corpus_snapshot_info", (*c, ("snapshot", "s1"))) in samples
    registered = store.fetch_arrow("SELECT count(*) AS n FROM synthetic_registry")["n"][0]
    synthetic = samples[("tailwatch_registry_fingerprints", (("kind", "synthetic"),))]
    assert synthetic == registered.as_py() > 0


def test_null_content_and_a_vanished_file_fail_unknown_labels_are_counted(
    tmp_path: Path, store: Store
) -> None:
    settings = corpus(tmp_path, "mix")
    good = labelled([(real(50, 1), "human")])
    write(tmp_path / "mix" / "s0" / "part.parquet", good)
    nulls = good.copy()
    nulls.loc[[3, 7, 9], "f1"] = np.nan
    write(tmp_path / "mix" / "s1" / "part.parquet", nulls)
    odd = good.copy()
    odd.loc[:4, "provenance"] = "bot?"
    odd.loc[5:6, "provenance"] = None
    write(tmp_path / "mix" / "s2" / "part.parquet", odd)
    watch = CorpusWatch(settings, store)
    outcome = watch.scan()
    assert (outcome.measured, outcome.failed) == (2, 1)
    table = store.runs(limit=100).set_index("version")
    error = table.loc["s1", "error"]
    assert "3 rows have null/NaN content" in error and "s1/part.parquet" in error, error
    # Unknown labels: counted as unknown, the raw values reported in the run's details.
    stored = figures(store, "mix", "s2")
    assert stored[("rows", "provenance:unknown")] == 7
    assert stored[("unrecognised_label_rows", "snapshot")] == 7
    details = store.run_details(KIND, "mix", "unrecognised_labels")
    listed = {value: rows for value, rows in json.loads(details["content"].iloc[-1])}
    assert listed == {"bot?": 5, "<null>": 2}
    # A file that vanishes between discovery and the scan: a failed run naming it.
    before = store.history(KIND, "mix")
    write(tmp_path / "mix" / "s3" / "part.parquet", good)
    (index, snapshot), *_ = watch.todo()[0]
    snapshot.paths[0].unlink()
    result, found = watch.measure(
        index, snapshot, watch.snapshots(), watch.registry.relation(), None
    )
    assert found is None and result.status == "failed"
    assert "no longer exists" in (result.error or "") and "s3" in (result.error or "")
    store.record_run(result)
    pd.testing.assert_frame_equal(store.history(KIND, "mix"), before)


def test_scan_settings_are_the_configuration_copied_by_name(tmp_path: Path) -> None:
    """Every ``[[corpora]]`` key is the scan's, under the same name, or a watch-only key."""
    config = CorpusSettings(
        name="c",
        snapshots=str(tmp_path / "*"),
        content_columns=["text", "title"],
        provenance_labels={"web": "human", "gen": "synthetic"},
        max_synthetic_fraction=0.2,
        tail_columns=["length"],
        near_duplicate_sample=50,
        seed=7,
        sampling={"above_rows": 10, "row_group_share": 0.5, "min_row_groups": 3},
    )
    scan = scan_settings(config)
    assert scan.content_columns == ("text", "title")
    assert scan.provenance_labels == {"web": "human", "gen": "synthetic"}
    assert scan.tail_columns == ("length",)
    assert (scan.max_synthetic_fraction, scan.near_duplicate_sample, scan.seed) == (0.2, 50, 7)
    assert (scan.sampling.above_rows, scan.sampling.row_group_share) == (10, 0.5)
    assert scan.sampling.min_row_groups == 3
    copied = set(type(config).model_fields) - WATCH_ONLY_FIELDS
    assert copied <= {f.name for f in dataclasses.fields(scan)}
