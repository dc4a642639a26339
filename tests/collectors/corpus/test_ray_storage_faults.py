"""The Ray engine on object storage that fails (issue 25 item 2): a real S3 server (moto) behind
a real HTTP proxy answering ``503 SlowDown``, read by the workers of a real local Ray cluster.

A short outage is retried (the whole scan again, counted once) and gives the DuckDB path's
figures; a long one raises :class:`StorageUnavailable` (a storage failure for the watch, never
a failed run nor a cool-down), not :class:`RayScanError`; an endpoint where nothing listens is
named at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from collectors.corpus.scan import CorpusSettings, scan_snapshot, snapshot_files
from collectors.provenance.definition import fingerprint_texts
from collectors.sources import storage, storage_errors
from tests.support.corpora import labelled, texts

ray = pytest.importorskip("ray")
pytest.importorskip("moto.server", reason="moto[server] (extra 's3') not installed")
boto3 = pytest.importorskip("boto3")
from collectors.corpus.ray_scan import RayEngine, RayScanError  # noqa: E402
from tests.support.s3_faults import (  # noqa: E402
    fault_proxy,
    is_data_read,
    moto_server,
    use_credentials,
)

BUCKET = "ray-corpora"
KEY_ID, SECRET = "tailwatch-ray-key", "tailwatch-ray-secret"
FAST = storage_errors.RetryPolicy(attempts=3, initial_seconds=0.01, max_seconds=0.05)
SETTINGS = CorpusSettings(
    content_columns=("text",),
    provenance_column="provenance",
    provenance_labels={"human": "human", "synthetic": "synthetic"},
)


@dataclasses.dataclass(frozen=True)
class OutageEngine(RayEngine):
    """The Ray engine, with an outage started when its first read begins (after the DuckDB
    path's footers were read on the driver: only the Ray path meets it)."""

    start_outage: list[Callable[[], None]] = dataclasses.field(default_factory=list)

    def read(
        self, paths: Sequence[Any], columns: Sequence[str], schema: Mapping[str, str] | None = None
    ) -> Any:
        while self.start_outage:
            self.start_outage.pop()()
        return super().read(paths, columns, schema)


ENGINE = RayEngine(batch_rows=50, max_retries=1)


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """A local Ray cluster of 2 CPUs (the other Ray modules find it running)."""
    RayEngine(num_cpus=2).start()
    yield


@pytest.fixture
def world(
    cluster: None, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict]:
    """One labelled snapshot (two Parquet files) in a bucket behind a fault proxy; the registry
    holds 10 of its synthetic texts and 5 of its human ones (leaks). Ray Data's own
    retries of S3 errors (10 attempts, up to 32 s apart) are off and ours are fast: bounded."""
    use_credentials(monkeypatch, KEY_ID, SECRET)
    monkeypatch.setattr(storage_errors, "RETRY", FAST)
    monkeypatch.setattr(ray.data.DataContext.get_current(), "retried_io_errors", [])
    human, synthetic = texts(90, 11), texts(30, 12)
    frame = labelled(
        [(pd.DataFrame({"text": human}), "human"), (pd.DataFrame({"text": synthetic}), "synthetic")]
    )
    registry = duckdb.connect()
    registry.register(
        "rows",
        pa.table(
            {
                "fingerprint": fingerprint_texts(synthetic[:10] + human[20:25] + human[:10]),
                "generator": ["chat"] * 25,
                "version": ["v1"] * 25,
                "known_human": [False] * 15 + [True] * 10,
            }
        ),
    )
    registry.execute("CREATE TABLE registry AS SELECT * FROM rows")
    folder = tmp_path_factory.mktemp("ray-s3")
    with moto_server() as endpoint, fault_proxy(endpoint) as proxy:
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        for part, rows in enumerate((frame.iloc[:60], frame.iloc[60:])):
            rows.to_parquet(folder / f"part-{part}.parquet", index=False)
            client.put_object(
                Bucket=BUCKET,
                Key=f"snap/part-{part}.parquet",
                Body=(folder / f"part-{part}.parquet").read_bytes(),
            )
        # explicit credentials: the file system reaches the workers pickled with them
        options = {"endpoint_url": proxy.url, "key": KEY_ID, "secret": SECRET}
        storage.configure({f"s3://{BUCKET}": options})
        try:
            yield {"proxy": proxy, "registry": registry, "files": folder}
        finally:
            storage.configure({})


def test_a_short_outage_is_retried_and_counted_once(world: dict) -> None:
    files = snapshot_files(f"s3://{BUCKET}/snap/")
    connection = world["registry"].cursor()
    duck = scan_snapshot(connection, snapshot_files(world["files"]), "registry", SETTINGS)
    proxy = world["proxy"]
    outage = [lambda: proxy.fail(requests=6, only=is_data_read)]  # past pyarrow's 3 attempts
    engine = OutageEngine(batch_rows=50, max_retries=1, start_outage=outage)
    figures = scan_snapshot(connection, files, "registry", SETTINGS, engine=engine)
    assert proxy.refused == 6
    assert (figures.rows, figures.synthetic_rows, figures.unlabeled_synthetic_rows) == (120, 30, 5)
    same = ("rows", "human_rows", "synthetic_rows", "unlabeled_synthetic_rows", "budget_exceeded")
    assert [getattr(figures, f) for f in same] == [getattr(duck, f) for f in same]


def test_a_long_outage_is_a_storage_failure_not_a_failed_scan(world: dict) -> None:
    files = snapshot_files(f"s3://{BUCKET}/snap/")
    proxy = world["proxy"]
    outage = [lambda: proxy.fail(only=is_data_read)]  # every read fails until healed
    engine = OutageEngine(batch_rows=50, max_retries=1, start_outage=outage)
    connection = world["registry"].cursor()
    with pytest.raises(storage_errors.StorageUnavailable) as raised:
        scan_snapshot(connection, files, "registry", SETTINGS, engine=engine)
    assert proxy.refused > 0 and not outage
    text = str(raised.value)
    assert not isinstance(raised.value, RayScanError)
    assert text.startswith("object storage unavailable"), text
    assert any(cause in text for cause in ("SLOW_DOWN", "SERVICE_UNAVAILABLE", "503")), text
    assert storage_errors.storage_failure(text) == text  # what the watch tells from bad data
    assert raised.value.retried  # the watch's own backoff follows, not another retry here
    proxy.heal()
    figures = scan_snapshot(connection, files, "registry", SETTINGS, engine=ENGINE)
    assert figures.rows == 120


def test_an_endpoint_where_nothing_listens_is_named(world: dict) -> None:
    """An access problem is named at once (exit 2 in the commands), never retried as an outage:
    the endpoint stops answering between discovery and the Ray read."""
    from tests.support.net import free_port

    files = snapshot_files(f"s3://{BUCKET}/snap/")
    dead = {"endpoint_url": f"http://127.0.0.1:{free_port()}", "key": KEY_ID, "secret": SECRET}
    engine = OutageEngine(
        batch_rows=50,
        max_retries=1,
        start_outage=[lambda: storage.configure({f"s3://{BUCKET}": dead})],
    )
    connection = world["registry"].cursor()
    with pytest.raises(storage_errors.StorageAccessError, match="nothing answers at the endpoint"):
        scan_snapshot(connection, files, "registry", SETTINGS, engine=engine)
