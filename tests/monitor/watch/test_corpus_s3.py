"""Corpora, dumps and known-human data in object storage: a real S3 server (moto's server mode)
on 127.0.0.1, never the internet; the S3 paths must give the same figures as the local files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from collectors.sources import storage
from collectors.sources.readers import discover_versions, read_table, resolve_files
from monitor.settings import ConfigError, load_settings
from monitor.store.database import Store
from monitor.store.registry import RegistryFiles
from monitor.watch.corpus import CorpusWatch
from tests.support.corpora import edited, figures, labelled, texts
from tests.support.generators import write
from tests.support.net import free_port
from tests.support.s3_faults import use_credentials

moto_server = pytest.importorskip("moto.server", reason="moto[server] (extra 's3') not installed")
boto3 = pytest.importorskip("boto3")
pytest.importorskip("fsspec")

BUCKET = "corpora"
KEY_ID, SECRET = "tailwatch-test-key", "tailwatch-test-secret-do-not-log"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A moto S3 server on a free loopback port, for the whole module."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Credentials from the environment chain, the endpoint from the options; a fresh bucket."""
    use_credentials(monkeypatch, KEY_ID, SECRET)
    storage.configure({f"s3://{BUCKET}": {"endpoint_url": endpoint}})
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    try:
        yield client
    finally:
        listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        for item in listed:
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
        client.delete_bucket(Bucket=BUCKET)
        storage.configure({})


def upload(client: object, root: Path) -> None:
    """Mirror ``root`` into the bucket (single PUTs)."""
    for path in sorted(root.rglob("*")):
        if path.is_file():
            key = path.relative_to(root).as_posix()
            client.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())  # type: ignore[attr-defined]


def planted(root: Path) -> None:
    """Two text snapshots with exact and edited leaks, a dump and known-human data."""
    dump, human, fresh = texts(200, 1), texts(300, 2), texts(150, 3)
    write(root / "dump" / "a.parquet", pd.DataFrame({"text": dump}))
    write(root / "human" / "a.parquet", pd.DataFrame({"text": human}))
    first = labelled(
        [
            (pd.DataFrame({"text": fresh[:140]}), "human"),
            (pd.DataFrame({"text": human[:20]}), "human"),
            (pd.DataFrame({"text": dump[:12]}), "human"),
            (pd.DataFrame({"text": dump[12:15]}), "unknown"),
            (pd.DataFrame({"text": [edited(t) for t in dump[15:30]]}), "human"),
            (pd.DataFrame({"text": dump[30:55]}), "synthetic"),
        ]
    )
    second = labelled(
        [
            (pd.DataFrame({"text": fresh[:100]}), "human"),
            (pd.DataFrame({"text": dump[:40]}), "human"),
            (pd.DataFrame({"text": dump[40:90]}), "synthetic"),
        ]
    )
    write(root / "snapshots" / "s1" / "part-0.parquet", first.iloc[:120])
    write(root / "snapshots" / "s1" / "part-1.parquet", first.iloc[120:])
    write(root / "snapshots" / "s2.parquet", second)


def watch_of(base: str, store: Store) -> CorpusWatch:
    from monitor.settings import CorpusSettings

    sources = [
        RegistryFiles("dump:chat", "synthetic", f"{base}/dump/*", ("text",), "chat"),
        RegistryFiles("human:web", "human", f"{base}/human/*", ("text",)),
    ]
    settings = CorpusSettings(
        name="texts",
        snapshots=f"{base}/snapshots/*",
        content_columns=["text"],
        max_synthetic_fraction=0.2,
    )
    return CorpusWatch(settings, store, registry_sources=sources)


def test_s3_paths_give_the_same_figures_as_the_local_files(
    tmp_path: Path, s3: object, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "data"
    planted(root)
    upload(s3, root)
    caplog.set_level(logging.DEBUG)
    with Store(tmp_path / "local.duckdb") as local, Store(tmp_path / "remote.duckdb") as remote:
        assert watch_of(str(root), local).scan().measured == 2
        outcome = watch_of(f"s3://{BUCKET}", remote).scan()
        assert (outcome.measured, outcome.failed) == (2, 0), remote.runs("corpus", "texts")
        for snapshot in ("s1", "s2"):
            here, there = figures(local, "texts", snapshot), figures(remote, "texts", snapshot)
            assert there == here
        # the planted leaks are really there (not two equally empty scans)
        s1 = figures(remote, "texts", "s1")
        assert s1[("unlabeled_synthetic_rows", "snapshot")] == 15
        assert s1[("near_duplicate_synthetic_rows", "snapshot")] == 30
        s2 = figures(remote, "texts", "s2")
        assert s2[("rows_added", "snapshot")] > 0 and s2[("rows_removed", "snapshot")] > 0
        assert s2[("budget_exceeded", "snapshot")] == 1
    assert SECRET not in caplog.text and KEY_ID not in caplog.text


def test_discovery_fingerprints_objects_by_etag_and_a_rewrite_is_scanned_again(
    tmp_path: Path, s3: object
) -> None:
    root = tmp_path / "data"
    planted(root)
    upload(s3, root)
    found = discover_versions(f"s3://{BUCKET}/snapshots/*")
    assert [v.name for v in found] == ["s1", "s2"]
    assert [p.name for p in found[0].paths] == ["part-0.parquet", "part-1.parquet"]
    assert str(found[1].paths[0]) == f"s3://{BUCKET}/snapshots/s2.parquet"
    assert [str(p) for p in resolve_files(f"s3://{BUCKET}/dump/*")] == [
        f"s3://{BUCKET}/dump/a.parquet"
    ]
    frame = read_table(resolve_files(f"s3://{BUCKET}/human/*"), columns=["text"], sample_size=7)
    assert len(frame) == 7
    with Store(tmp_path / "tw.duckdb") as store:
        watch = watch_of(f"s3://{BUCKET}", store)
        assert watch.scan().measured == 2
        assert watch.scan().measured == 0  # unchanged objects: nothing to do
        s2 = pd.read_parquet(root / "snapshots" / "s2.parquet").iloc[:50]
        write(root / "snapshots" / "s2.parquet", s2)
        s3.put_object(  # type: ignore[attr-defined]
            Bucket=BUCKET,
            Key="snapshots/s2.parquet",
            Body=(root / "snapshots" / "s2.parquet").read_bytes(),
        )
        again = discover_versions(f"s3://{BUCKET}/snapshots/*")
        assert again[0].fingerprint == found[0].fingerprint
        assert again[1].fingerprint != found[1].fingerprint
        assert watch.scan().measured == 1
        assert figures(store, "texts", "s2")[("rows", "snapshot")] == 50


def test_urls_are_kept_and_credentials_in_them_refused(tmp_path: Path) -> None:
    config = tmp_path / "tailwatch.toml"
    config.write_text(
        '[[corpora]]\nname = "c"\nsnapshots = "s3://bucket/corpus/*"\n'
        '[storage_options."s3://bucket"]\nendpoint_url = "http://127.0.0.1:9"\n'
        'secret_key = "hidden-value"\n',
        encoding="utf-8",
    )
    storage.configure({})
    settings = load_settings(config)
    assert settings.corpora[0].snapshots == "s3://bucket/corpus/*"
    assert "hidden-value" not in repr(settings)
    assert storage.options_for("s3://bucket/corpus/x") == {}  # loading configures nothing
    settings.configure_storage()  # the explicit start-up call
    assert storage.options_for("s3://bucket/corpus/x")["endpoint_url"] == "http://127.0.0.1:9"
    config.write_text(
        '[[corpora]]\nname = "c"\nsnapshots = "s3://key:secret@bucket/corpus/*"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="credentials in a URL"):
        load_settings(config)
    storage.configure({})
