"""Object storage that fails (issue 25, items 2 and 3): a real S3 server (moto) on 127.0.0.1, with
a real HTTP proxy in front of it answering ``503 SlowDown`` while an outage lasts.

- A short outage is retried inside the scan: nothing fails.
- A long one is a storage failure: no failed run is recorded (no attempts used, no cool-down),
  the subject backs off, ``/-/ready`` is not ready and the scan errors are counted (also seen
  over real HTTP: ``/-/ready`` 503 with the reason, the counter on ``/metrics``); once the
  store answers again the snapshots are measured.
- Wrong or unknown credentials, a missing bucket, nothing listening: ``scan --once``,
  ``validate`` and ``check`` name the cause and exit 2 (they said "measured 0" and "pattern
  matches no snapshot"); ``validate`` and ``check`` read ``s3://`` as ``scan`` does.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families

from collectors.sources import storage, storage_errors
from monitor.cli import main
from monitor.daemon import Daemon, open_store
from monitor.exporter.server import serve
from monitor.settings import ExporterSettings, load_settings
from monitor.store.database import Store
from monitor.watch.base import Watch
from tests.support.corpora import labelled, texts
from tests.support.generators import write
from tests.support.net import free_port

_THROTTLED = ("SLOW_DOWN", "SERVICE_UNAVAILABLE", "503")

pytest.importorskip("moto.server", reason="moto[server] (extra 's3') not installed")
boto3 = pytest.importorskip("boto3")
pytest.importorskip("fsspec")
from tests.support.s3_faults import (  # noqa: E402
    FaultProxy,
    fault_proxy,
    is_data_read,
    moto_server,
    use_credentials,
)

BUCKET = "corpora"
KEY_ID, SECRET = "tailwatch-faults-key", "tailwatch-faults-secret"
FAST = storage_errors.RetryPolicy(attempts=3, initial_seconds=0.01, max_seconds=0.05)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def bucket(endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Two labelled text snapshots in a fresh bucket; credentials from the environment."""
    use_credentials(monkeypatch, KEY_ID, SECRET)
    monkeypatch.setattr(storage_errors, "RETRY", FAST)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    human, synthetic = texts(80, 1), texts(20, 2)
    for name, rows in (("s1", 60), ("s2", 100)):
        frame = labelled(
            [
                (pd.DataFrame({"text": human[: rows - 10]}), "human"),
                (pd.DataFrame({"text": synthetic[:10]}), "synthetic"),
            ]
        )
        path = write(tmp_path / "data" / f"{name}.parquet", frame)
        client.put_object(Bucket=BUCKET, Key=f"snapshots/{name}.parquet", Body=path.read_bytes())
    try:
        yield endpoint
    finally:
        for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
        client.delete_bucket(Bucket=BUCKET)
        storage.configure({})


def config(tmp_path: Path, endpoint: str, bucket: str = BUCKET) -> Path:
    path = tmp_path / "tailwatch.toml"
    path.write_text(
        f'[storage]\npath = "{tmp_path / "tw.duckdb"}"\n'
        f'[[corpora]]\nname = "texts"\nsnapshots = "s3://{bucket}/snapshots/*"\n'
        'content_columns = ["text"]\n'
        f'[storage_options."s3://{bucket}"]\nendpoint_url = "{endpoint}"\n',
        encoding="utf-8",
    )
    return path


@contextmanager
def _daemon_behind(
    bucket: str, tmp_path: Path
) -> Iterator[tuple[FaultProxy, Store, Daemon, Watch]]:
    """A daemon over a fresh store, reading ``bucket`` through a fault proxy: (proxy, store,
    daemon, its corpus watch)."""
    with fault_proxy(bucket) as proxy:
        settings = load_settings(config(tmp_path, proxy.url))
        settings.configure_storage()
        with open_store(settings) as store:
            daemon = Daemon(settings, store)
            yield proxy, store, daemon, daemon.watches[0]


def test_a_short_outage_is_retried_inside_the_scan(tmp_path: Path, bucket: str) -> None:
    with fault_proxy(bucket) as proxy:
        settings = load_settings(config(tmp_path, proxy.url))
        settings.configure_storage()
        proxy.fail(requests=8)  # more than the S3 client's own 3 attempts
        with open_store(settings) as store:
            outcome = Daemon(settings, store).watches[0].scan()
        assert (outcome.measured, outcome.failed) == (2, 0)
        assert proxy.refused == 8


def test_a_long_outage_is_a_storage_failure_never_bad_data(tmp_path: Path, bucket: str) -> None:
    with _daemon_behind(bucket, tmp_path) as (proxy, store, daemon, watch):
        start = watch.clock()
        proxy.fail(only=is_data_read)  # discovery answers, reading the snapshots does not
        assert daemon.scan_subject(watch, publish=False) is None
        assert "object storage unavailable" in str(watch.storage_error)
        # The store's own words are quoted: SLOW_DOWN when a body is read, SERVICE_UNAVAILABLE
        # where the client reports only the status (arrow's GetObject), or the bare 503.
        assert any(cause in str(watch.storage_error) for cause in _THROTTLED), watch.storage_error
        assert len(store.runs("corpus", "texts")) == 0  # no failed run: no attempt used
        assert not daemon.health().ready
        assert [s.scan_errors for s in daemon.scan_states()] == [1]
        proxy.fail()  # now listing fails too: still the store's outage, not "no snapshots"
        watch.clock = lambda: start + timedelta(hours=1)
        assert daemon.scan_subject(watch, publish=False) is None
        assert [s.scan_errors for s in daemon.scan_states()] == [2]
        assert len(store.runs("corpus", "texts")) == 0
        proxy.heal()
        watch.clock = lambda: start + timedelta(hours=2)
        outcome = daemon.scan_subject(watch, publish=False)
        assert outcome is not None and (outcome.measured, outcome.failed) == (2, 0)
        assert daemon.health().ready and watch.storage_error is None


def _get(url: str) -> tuple[int, str]:
    """(status, body) of a real HTTP GET; HTTP errors are answers too."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _samples(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a real scrape of ``/metrics``, by (name, sorted labels)."""
    status, body = _get(f"{base}/metrics")
    assert status == 200, body
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def test_a_long_outage_is_seen_over_http_and_recovers(tmp_path: Path, bucket: str) -> None:
    """Scraped as Prometheus and the kubelet do: during a long outage ``/-/ready`` answers 503
    with the reason and ``tailwatch_scan_errors_total`` rises at each scan; no failed run is
    recorded; once the store answers the snapshots are measured and ``/-/ready`` is 200."""
    errors = ("tailwatch_scan_errors_total", (("kind", "corpus"), ("subject", "texts")))
    with _daemon_behind(bucket, tmp_path) as (proxy, store, daemon, watch):
        start = watch.clock()
        port = free_port()
        server, _ = serve(
            ExporterSettings(port=port), store, scans=daemon.scan_states, health=daemon.health
        )
        base = f"http://127.0.0.1:{port}"
        try:
            assert _get(f"{base}/-/ready")[0] == 200
            assert _samples(base).get(errors, 0.0) == 0.0
            proxy.fail(only=is_data_read)  # the outage outlasts every retry of every scan
            for scan in range(1, 4):  # three scans, an hour apart (past the backoff)
                watch.clock = lambda scan=scan: start + timedelta(hours=scan)
                assert daemon.scan_subject(watch, publish=False) is None
                status, reason = _get(f"{base}/-/ready")
                assert status == 503 and "object storage" in reason, (status, reason)
                samples = _samples(base)
                assert samples[errors] == scan
                assert samples[("tailwatch_ready", ())] == 0
            assert len(store.runs("corpus", "texts")) == 0  # no failed run, no cool-down
            proxy.heal()
            watch.clock = lambda: start + timedelta(hours=5)
            outcome = daemon.scan_subject(watch, publish=False)
            assert outcome is not None and (outcome.measured, outcome.failed) == (2, 0)
            assert _get(f"{base}/-/ready") == (200, "ready\n")
            samples = _samples(base)
            assert samples[("tailwatch_ready", ())] == 1
            assert samples[errors] == 3  # a counter: the outage stays counted
            rows = ("tailwatch_corpus_rows", (("corpus", "texts"),))
            assert samples[rows] == 90  # s2: the 80 human texts there are, 10 synthetic
        finally:
            server.shutdown()
            server.server_close()


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize(
    ("case", "meaning"),
    [
        ("missing bucket", "the bucket does not exist"),
        ("nothing listening", "nothing answers at the endpoint"),
        ("unknown key", "the access key is unknown to the server"),
        ("wrong secret", "the secret key is wrong"),
    ],
)
def test_access_problems_are_named_and_exit_2(
    tmp_path: Path,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: str,
    meaning: str,
) -> None:
    from moto.core.authorization import enable_iam_authentication

    endpoint, name = bucket, BUCKET
    if case == "missing bucket":
        name = "no-such-bucket"
    elif case == "nothing listening":
        endpoint = f"http://127.0.0.1:{free_port()}"
    elif case == "unknown key":
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000")
    elif case == "wrong secret":  # a real key of a real user, with another secret
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
        user = f"tailwatch-{tmp_path.name[-12:]}"
        iam.create_user(UserName=user)
        key = iam.create_access_key(UserName=user)["AccessKey"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-" + key["SecretAccessKey"])
    path = str(config(tmp_path, endpoint, name))
    commands = [
        ["scan", "--once", "--config", path],
        ["validate", "--config", path, "--no-port"],
        ["check", "--config", path, "--corpus", "texts"],
    ]
    checked = case in ("unknown key", "wrong secret")
    with enable_iam_authentication() if checked else _nothing():
        for argv in commands:
            code, output = run_cli(argv, capsys)
            assert code == 2, (argv, output)
            assert meaning in output, (argv, output)
            assert "measured 0" not in output and "matches no snapshot" not in output
            assert os.environ["AWS_SECRET_ACCESS_KEY"] not in output  # never shown


def test_validate_and_check_read_s3_as_scan_does(
    tmp_path: Path, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(config(tmp_path, bucket))
    code, output = run_cli(["validate", "--config", path, "--no-port"], capsys)
    assert code == 0, output
    code, output = run_cli(["check", "--config", path, "--corpus", "texts"], capsys)
    assert code in (0, 1), output  # a verdict, not a failure to read
    assert "httpfs" not in output


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
