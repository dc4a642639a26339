"""The corpus watch with ``[corpora.engine] kind = "ray"`` on a real local Ray cluster (2 CPUs):
the same stored runs as with DuckDB, and a scan whose workers keep dying is a failed run that
backs off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from monitor.settings import CorpusSettings, SchedulerSettings, Settings
from monitor.store.database import Store
from monitor.store.registry import RegistryFiles
from monitor.watch.corpus import CorpusWatch
from tests.support.corpora import KIND, corpus, edited, figures, labelled, texts
from tests.support.generators import T0, Clock, write

ray = pytest.importorskip("ray")
from collectors.corpus.ray_scan import RayEngine  # noqa: E402
from tests.support.ray_faults import KillingEngine  # noqa: E402

RAY = {"kind": "ray", "num_cpus": 2}


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """A local Ray cluster of 2 CPUs, started once: the other module of Ray tests finds it running
    with its workers warm (starting one costs 10-25 s on 2 busy cores); Ray stops it at exit."""
    RayEngine(num_cpus=2).start()
    yield


def world(root: Path) -> list[RegistryFiles]:
    """A synthetic dump, known-human texts and two snapshots of a text corpus (exact and edited
    leaks, labels, rows removed and added); returns the registry sources."""
    dump, human, fresh = texts(60, 1), texts(40, 2), texts(300, 3)
    write(root / "dump" / "a.parquet", pd.DataFrame({"text": dump}))
    write(root / "human" / "a.parquet", pd.DataFrame({"text": human}))
    s1 = labelled(
        [
            (pd.DataFrame({"text": fresh[:200]}), "human"),
            (pd.DataFrame({"text": dump[:10]}), "human"),  # exact leaks
            (pd.DataFrame({"text": [edited(t) for t in dump[10:20]]}), "web"),  # edited leaks
            (pd.DataFrame({"text": dump[20:40]}), "synthetic"),
            (pd.DataFrame({"text": human[:5]}), "unknown"),
        ]
    )
    s2 = pd.concat(
        [s1.iloc[50:], s1.iloc[:3], labelled([(pd.DataFrame({"text": fresh[200:]}), "human")])]
    )
    for name, frame in (("s1", s1), ("s2", s2)):
        for engine in ("duck", "ray"):
            write(root / engine / name / "part.parquet", frame)
    return [
        RegistryFiles("dump:chat", "synthetic", str(root / "dump" / "*"), ("text",), "chat"),
        RegistryFiles("human:web", "human", str(root / "human" / "*"), ("text",)),
    ]


def settings(root: Path, name: str, **overrides: object) -> CorpusSettings:
    """The corpus ``name`` (its snapshots under ``root / name``) with labels and a budget."""
    return corpus(
        root,
        name,
        content_columns=["text"],
        provenance_labels={"human": "human", "web": "human", "synthetic": "synthetic"},
        max_synthetic_fraction=0.05,
        **overrides,
    )


def test_ray_engine_stores_what_duckdb_stores(tmp_path: Path, cluster) -> None:
    """Every stored figure, the run details and the multiset files are equal; the engine is not
    part of the reference key (switching engines rescans nothing)."""
    sources = world(tmp_path)
    watches = {}
    for engine, extra in (("duck", {}), ("ray", {"engine": RAY})):
        store = Store(tmp_path / f"{engine}.duckdb")
        watch = CorpusWatch(settings(tmp_path, engine, **extra), store, registry_sources=sources)
        assert watch.scan().measured == 2
        watches[engine] = watch
    duck, ray_ = watches["duck"], watches["ray"]
    assert duck.reference_key() == ray_.reference_key()
    for version in ("s1", "s2"):
        assert figures(ray_.store, "ray", version) == figures(duck.store, "duck", version), version
    got = figures(ray_.store, "ray", "s1")
    assert got[("unlabeled_synthetic_rows", "snapshot")] == 10
    assert got[("near_duplicate_synthetic_rows", "snapshot")] == 20
    assert got[("budget_exceeded", "snapshot")] == 1
    assert (got[("rows_added", "snapshot")], got[("rows_removed", "snapshot")]) == (245, 0)
    got = figures(ray_.store, "ray", "s2")
    assert (got[("rows_added", "snapshot")], got[("rows_removed", "snapshot")]) == (100, 47)
    runs = {e: w.store.runs(KIND, e, limit=10).sort_values("id") for e, w in watches.items()}
    assert runs["ray"]["status"].tolist() == ["ok", "ok"]
    for (_, d), (_, r) in zip(runs["duck"].iterrows(), runs["ray"].iterrows(), strict=True):
        assert (d["version"], d["sample_rows"], d["metric_count"]) == (
            r["version"],
            r["sample_rows"],
            r["metric_count"],
        )
    for snapshot in duck.snapshots():
        twin = next(s for s in ray_.snapshots() if s.name == snapshot.name)
        assert pd.read_parquet(duck.fingerprint_file(snapshot)).equals(
            pd.read_parquet(ray_.fingerprint_file(twin))
        )
    for watch in watches.values():
        watch.store.close()


class DyingWatch(CorpusWatch):
    """The corpus watch whose Ray workers die on every attempt (no retry)."""

    def engine(self) -> KillingEngine:
        return KillingEngine(batch_rows=1_000, max_retries=0)


def test_a_scan_whose_workers_die_is_a_failed_run_that_backs_off(
    tmp_path: Path, store: Store, cluster
) -> None:
    sources = world(tmp_path)
    clock = Clock(T0)
    retry = SchedulerSettings(retry_initial_seconds=60, retry_max_seconds=60, retry_max_attempts=3)
    watch = DyingWatch(
        settings(tmp_path, "ray", engine=RAY),
        store,
        registry_sources=sources,
        scheduler=retry,
        clock=clock,
    )
    (tmp_path / "ray" / "s2" / "part.parquet").unlink()  # one snapshot: one failure is enough
    (tmp_path / "ray" / "s2").rmdir()
    outcome = watch.scan()
    assert (outcome.measured, outcome.failed) == (0, 1)
    runs = store.runs(KIND, "ray", limit=10)
    assert runs["status"].tolist() == ["failed"] and runs["metric_count"].tolist() == [0]
    assert "the Ray scan failed" in runs["error"][0] and "'s1'" in runs["error"][0], runs["error"][
        0
    ]
    assert not any(watch.folder.glob("*.parquet")), "a multiset was written for a failed scan"
    assert watch.todo()[0] == []  # backing off
    clock.advance(60)
    assert len(watch.todo()[0]) == 1


def test_engine_settings_are_checked(tmp_path: Path) -> None:
    """Cluster options only for Ray, num_cpus only for a local cluster, one cluster a daemon."""
    for bad, message in (
        ({"address": "auto"}, "are for kind"),
        ({"kind": "ray", "address": "auto", "num_cpus": 2}, "sizes a local cluster"),
    ):
        with pytest.raises(ValidationError, match=message):
            settings(tmp_path, "c", engine=bad)
    one, other = (settings(tmp_path, n, engine=e) for n, e in (("a", RAY), ("b", {"kind": "ray"})))
    with pytest.raises(ValidationError, match="different clusters"):
        Settings(corpora=[one, other])
    assert (
        Settings(corpora=[one, settings(tmp_path, "b", engine=RAY)]).corpora[1].engine.kind == "ray"
    )
