"""Issue 12, hardening: each numbered finding, tried as an operator's worst day would.

Real things only: a real DuckDB file, a real TLS server and raw sockets, real subprocesses of
the CLI, and file permissions that bite (scenarios needing them run in a child process without
root's permission override, :mod:`tests.monitor.hardening_child`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import ssl
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from prometheus_client.parser import text_string_to_metric_families

from collectors.result import MetricValue
from monitor.daemon import Daemon
from monitor.exporter.server import ExporterError, serve
from monitor.settings import ExporterSettings, load_settings
from monitor.store.database import Store, StoreDamaged, snapshot_path
from monitor.store.schema import MIGRATIONS, Migration, migrate
from tests.monitor.hardening_child import without_permission_override
from tests.support.generators import generator, real, version_path, write
from tests.support.net import free_port, self_signed_cert
from tests.support.report_histories import small_run as _run

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "s3cret"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "tw.duckdb") as opened:
        opened.record_run(_run(0))
        yield opened


def _get(url: str, *, context: ssl.SSLContext | None = None, auth: bool = False, timeout=5.0):
    """(status, body) of a GET; HTTP errors are answers too."""
    request = urllib.request.Request(url)
    if auth:
        token = base64.b64encode(f"prometheus:{PASSWORD}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )  # fmt: skip


def _child(*args: str) -> dict:
    done = subprocess.run(
        without_permission_override([sys.executable, "-m", "tests.monitor.hardening_child", *args]),
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


# --------------------------------------------------------------------------- 1. TLS


def test_a_silent_tls_client_does_not_delay_scrapes(store: Store, tmp_path: Path) -> None:
    cert, key = self_signed_cert(tmp_path)
    port = free_port()
    settings = ExporterSettings(
        port=port, tls_certfile=str(cert), tls_keyfile=str(key), handshake_timeout_seconds=2
    )
    server, _ = serve(settings, store)
    context = ssl.create_default_context(cafile=str(cert))
    silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]  # send nothing
    try:
        for path in ("/metrics", "/-/healthy"):
            started = time.monotonic()
            status, body = _get(f"https://127.0.0.1:{port}{path}", context=context, timeout=5)
            assert status == 200 and body
            assert time.monotonic() - started < 1.0, path
        # the silent clients are dropped after the handshake timeout; their workers come back
        silent[0].settimeout(5)
        assert silent[0].recv(1) == b""
    finally:
        for connection in silent:
            connection.close()
        server.shutdown()
        server.server_close()


def test_connections_beyond_the_pool_are_refused_not_queued(store: Store) -> None:
    port = free_port()
    server, _ = serve(ExporterSettings(port=port, max_connections=2), store)
    silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
    try:
        time.sleep(0.2)  # both workers hold a silent client
        started = time.monotonic()
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            _get(f"http://127.0.0.1:{port}/metrics", timeout=3)
        assert time.monotonic() - started < 1.0
    finally:
        for connection in silent:
            connection.close()
    time.sleep(0.2)
    assert _get(f"http://127.0.0.1:{port}/metrics")[0] == 200
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------------------- 7. probes and auth


def test_probes_answer_without_credentials_while_metrics_needs_them(store: Store) -> None:
    port = free_port()
    digest = hashlib.sha256(PASSWORD.encode()).hexdigest()
    settings = ExporterSettings(
        port=port, basic_auth_username="prometheus", basic_auth_password_sha256=digest
    )
    server, _ = serve(settings, store)
    base = f"http://127.0.0.1:{port}"
    try:
        assert _get(f"{base}/-/healthy") == (200, "ok\n")
        assert _get(f"{base}/-/ready") == (200, "ready\n")
        assert _get(f"{base}/metrics")[0] == 401
        assert _get(f"{base}/api/status")[0] == 401
        status, text = _get(f"{base}/metrics", auth=True)
        assert status == 200 and "tailwatch_generator_coverage" in text
    finally:
        server.shutdown()
        server.server_close()
    deployment = (ROOT / "deploy" / "kubernetes" / "deployment.yaml").read_text()
    assert "path: /-/ready" in deployment and "path: /-/healthy" in deployment


def test_unauthenticated_status_shows_no_paths_or_error_texts(tmp_path: Path) -> None:
    with Store(tmp_path / "tw.duckdb") as opened:
        failed = _run(1)
        failed.status, failed.metrics = "failed", []
        failed.error = f"cannot read {tmp_path}/secret/v1.parquet: Permission denied"
        opened.record_run(failed)
        for details, shown in ((False, False), (True, True)):
            port = free_port()
            server, _ = serve(ExporterSettings(port=port, status_details=details), opened)
            try:
                body = _get(f"http://127.0.0.1:{port}/api/status")[1]
            finally:
                server.shutdown()
                server.server_close()
            assert (str(tmp_path) in body) is shown, body
            document = json.loads(body)
            assert document["store"] == (str(tmp_path / "tw.duckdb") if shown else "tw.duckdb")


# --------------------------------------------------------------------------- 2. discovery


def test_an_unreadable_file_and_a_symlink_loop_fail_only_their_own_entry(tmp_path: Path) -> None:
    document = _child("discovery", str(tmp_path))
    gan = document["generator"]
    first = {r["version"]: r for r in gan[:4]}
    assert {v: r["status"] for v, r in first.items()} == {
        "v1": "ok", "v2": "failed", "v3": "failed", "v4": "ok",
    }  # fmt: skip
    assert "v2.parquet" in first["v2"]["error"] and "Permission denied" in first["v2"]["error"]
    assert "v3.parquet" in first["v3"]["error"] and "symbolic links" in first["v3"]["error"]
    # backing off: nothing tried within the wait; then one more attempt each, capped at 2
    assert document["again"][0] == {"measured": 0, "failed": 0, "pending": 2}
    assert document["retried"][0]["failed"] == 2
    # the file made readable again is a changed entry: measured at once
    assert document["fixed"]["measured"] == 1
    assert [r["status"] for r in gan if r["version"] == "v2"] == ["failed", "failed", "ok"]
    corpus = {r["version"]: r for r in document["corpus"][:3]}
    assert {v: r["status"] for v, r in corpus.items()} == {
        "s1": "ok", "s2": "failed", "s3": "ok",
    }  # fmt: skip
    assert "s2.parquet" in corpus["s2"]["error"]


# --------------------------------------------------------------------------- 3. storage outages


def test_an_outage_of_the_state_folder_does_not_drop_the_snapshot(tmp_path: Path) -> None:
    # 12 s of outage; the retry settings would give a snapshot up after 3 failures in ~3 s
    document = _child("outage", str(tmp_path), "12")
    assert not any(step["scanned"] for step in document["during"])
    assert not any(step["ready"] for step in document["during"])
    assert document["runs"] == [{"version": "s1", "status": "ok", "error": None}]
    assert document["after_measured"] == 1 and document["ready_after"]
    assert document["store_errors"] >= 5 and document["scan_errors"] == document["store_errors"]


def test_a_given_up_version_is_retried_after_the_cool_down(tmp_path: Path) -> None:
    from monitor.settings import SchedulerSettings
    from monitor.watch.generator import GeneratorWatch
    from tests.monitor.hardening_child import Clock

    clock = Clock()
    retry = SchedulerSettings(
        retry_initial_seconds=1,
        retry_max_seconds=1,
        retry_max_attempts=1,
        retry_cooldown_seconds=3600,
    )
    settings = generator(tmp_path, "gan")
    version_path(settings, "v1").parent.mkdir(parents=True)
    version_path(settings, "v1").write_bytes(b"not parquet")
    with Store(tmp_path / "tw.duckdb") as opened:
        gan = GeneratorWatch(settings, opened, scheduler=retry, clock=clock)
        assert gan.scan().failed == 1
        clock.advance(3599)
        assert gan.todo() == ([], 1)  # given up
        clock.advance(1)
        assert [v.name for _, v in gan.todo()[0]] == ["v1"]  # the cap expired
        assert gan.scan().failed == 1
        assert gan.todo() == ([], 1)


# --------------------------------------------------------------------------- 6. write failures


def test_a_read_only_store_is_a_scan_error_and_a_readiness_failure(tmp_path: Path) -> None:
    settings = generator(tmp_path, "gan")
    write(version_path(settings, "v1"), real(300, 1))
    config = tmp_path / "tailwatch.toml"
    config.write_text(
        f'[storage]\npath = "{tmp_path / "tw.duckdb"}"\n[[generators]]\nname = "gan"\n'
        f'reference = "{settings.reference}"\nversions = "{settings.versions}"\n'
        "sample_size = 200\nregions = 4\n",
        encoding="utf-8",
    )
    loaded = load_settings(config)
    Store(loaded.storage.path).close()  # created and migrated
    with Store(loaded.storage.path, read_only=True) as read_only:
        daemon = Daemon(loaded, read_only)
        assert daemon.scan_subject(daemon.watches[0], publish=False) is None
        port = free_port()
        server, _ = serve(
            ExporterSettings(port=port), read_only, scans=daemon.scan_states, health=daemon.health
        )
        try:
            base = f"http://127.0.0.1:{port}"
            status, reason = _get(f"{base}/-/ready")
            assert status == 503 and "storage" in reason and str(tmp_path) not in reason
            document = json.loads(_get(f"{base}/api/status")[1])
            (subject,) = document["subjects"]
            assert subject["scan_errors"] == 1 and subject["store_errors"] == 1
            assert document["daemon"]["ready"] is False
            samples = {
                s.name: s.value
                for f in text_string_to_metric_families(_get(f"{base}/metrics")[1])
                for s in f.samples
            }
            assert samples["tailwatch_store_errors_total"] == 1
            assert samples["tailwatch_ready"] == 0
            assert samples["tailwatch_scan_errors_total"] == 1
        finally:
            server.shutdown()
            server.server_close()
        assert read_only.runs().empty  # nothing was recorded against the version


# --------------------------------------------------------------------------- 4. damaged store


def _filled_store(path: Path) -> None:
    with Store(path) as opened:
        metrics = [MetricValue(f"m{j}", "reference", 0.5) for j in range(40)]
        for index in range(300):
            opened.record_run(_run(index, metrics=metrics))
        opened.publish_snapshot(snapshot_path(path))


def test_a_truncated_store_refuses_to_start_and_status_prints_one_line(tmp_path: Path) -> None:
    path = tmp_path / "tw.duckdb"
    _filled_store(path)
    copy = snapshot_path(path)
    good = copy.read_bytes()
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)
    config = tmp_path / "tailwatch.toml"
    config.write_text(f'[storage]\npath = "{path}"\n[exporter]\nport = {free_port()}\n')
    started = _cli("run", "--config", str(config), timeout=60)
    assert started.returncode == 2, started.stderr
    (line,) = started.stderr.strip().splitlines()
    assert "damaged" in line and str(copy) in line and "tailwatch restore" in line
    status = _cli("status", "--config", str(config))
    assert status.returncode == 2 and len(status.stderr.strip().splitlines()) == 1
    assert "damaged" in status.stderr and not status.stdout
    assert copy.read_bytes() == good  # the read copy was never touched
    restored = _cli("restore", "--config", str(config))
    assert restored.returncode == 0, restored.stderr
    assert any(p.name.startswith("tw.duckdb.damaged-") for p in tmp_path.iterdir())
    after = _cli("status", "--json", "--config", str(config))
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["subjects"][0]["versions_measured"] == 300
    assert copy.read_bytes() == good


def test_a_damaged_store_is_named_with_its_read_copy(tmp_path: Path) -> None:
    path = tmp_path / "tw.duckdb"
    _filled_store(path)
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)
    with pytest.raises(StoreDamaged, match="tailwatch restore"):
        Store(path)


# --------------------------------------------------------------------------- 5. migrations


def test_a_failed_migration_names_the_allocation_failure(tmp_path: Path) -> None:
    # Too little memory for the COMMIT: DuckDB ends the transaction itself, so an unguarded
    # ROLLBACK would raise "no transaction is active" over the real cause.
    con = duckdb.connect(str(tmp_path / "m.duckdb"), config={"memory_limit": "8MB"})
    con.execute("SET temp_directory = ''")
    migrate(con)
    big = Migration(
        len(MIGRATIONS) + 1,
        "a large table",
        "CREATE TABLE big AS SELECT range AS i, md5(range::VARCHAR) AS s FROM range(100000)",
    )
    with pytest.raises(Exception) as caught:
        migrate(con, (*MIGRATIONS, big), path="m.duckdb")
    message = str(caught.value)
    assert "could not allocate" in message and "no transaction is active" not in message
    assert f"migration {big.version}" in message
    con.close()


# --------------------------------------------------------------------------- 8. files and CLI


def test_files_are_created_0600_and_folders_0700(tmp_path: Path) -> None:
    settings = generator(tmp_path, "gan")
    write(version_path(settings, "v1"), real(300, 1))
    corpus = tmp_path / "corpus"
    write(corpus / "s1.parquet", real(50, 2).assign(provenance="human"))
    config = tmp_path / "tailwatch.toml"
    config.write_text(
        f'[storage]\npath = "{tmp_path / "state" / "tw.duckdb"}"\n'
        f'[[generators]]\nname = "gan"\nreference = "{settings.reference}"\n'
        f'versions = "{settings.versions}"\nsample_size = 200\nregions = 4\n'
        f'[[corpora]]\nname = "mix"\nsnapshots = "{corpus}/*"\n'
        'content_columns = ["f0", "f1", "f2"]\n',
        encoding="utf-8",
    )
    done = _cli("scan", "--once", "--config", str(config), timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    state = tmp_path / "state"
    created = [p for p in state.rglob("*")]
    assert state / "tw.duckdb" in created and state / "tw.duckdb.snapshot" in created
    assert any(p.suffix == ".parquet" for p in created)  # the corpus fingerprints
    for path in [state, *created]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_cli_errors_are_one_line_with_exit_code_2(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("not a certificate")
    occupied = socket.socket()
    occupied.bind(("127.0.0.1", 0))
    occupied.listen()
    port = occupied.getsockname()[1]
    try:
        for extra, expected in (
            (f'tls_certfile = "{cert}"\ntls_keyfile = "{cert}"\n', str(cert)),
            ("", f"127.0.0.1:{port}"),
        ):
            config = tmp_path / "tailwatch.toml"
            config.write_text(
                f'[storage]\npath = "{tmp_path / "tw.duckdb"}"\n[exporter]\nport = {port}\n{extra}',
                encoding="utf-8",
            )
            done = _cli("run", "--config", str(config), timeout=60)
            assert done.returncode == 2, done.stderr
            (line,) = done.stderr.strip().splitlines()
            assert expected in line, line
    finally:
        occupied.close()
    # the store's folder is a file: an OSError, one line, exit code 2
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    config.write_text(f'[storage]\npath = "{blocker / "tw.duckdb"}"\n', encoding="utf-8")
    done = _cli("scan", "--once", "--config", str(config))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_garbage_certificate_and_busy_port_name_the_file_and_address(store: Store, tmp_path):
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(os.urandom(300))
    with pytest.raises(ExporterError, match=str(garbage)):
        serve(ExporterSettings(tls_certfile=str(garbage), tls_keyfile=str(garbage)), store)
    port = free_port()
    server, _ = serve(ExporterSettings(port=port), store)
    try:
        with pytest.raises(ExporterError, match=f"127.0.0.1:{port}"):
            serve(ExporterSettings(port=port), store)
    finally:
        server.shutdown()
        server.server_close()


def test_read_copy_is_published_at_a_bounded_rate(tmp_path: Path) -> None:
    config = tmp_path / "tailwatch.toml"
    config.write_text(
        # 3 s: five records and publishes fit in it even on a loaded 2-core machine
        f'[storage]\npath = "{tmp_path / "tw.duckdb"}"\nread_copy_interval_seconds = 3\n',
        encoding="utf-8",
    )
    loaded = load_settings(config)
    with Store(loaded.storage.path) as opened:
        daemon = Daemon(loaded, opened)
        daemon.publish()
        for index in range(5):  # five scans that record something, in quick succession
            opened.record_run(_run(index))
            daemon.publish(force=False)
        assert daemon.read_copy_publishes == 1
        time.sleep(3)
        daemon.publish_wanted()  # the scheduler's job: the latest state is published
        assert daemon.read_copy_publishes == 2
        assert daemon.read_copy_bytes >= 2 * snapshot_path(opened.path).stat().st_size // 2
        daemon.publish_wanted()  # nothing new: nothing written
        assert daemon.read_copy_publishes == 2
    with Store(snapshot_path(loaded.storage.path), read_only=True) as copy:
        assert copy.latest_runs()[0].last_version == "v4"


# --------------------------------------------------------------------------- 8. figures


def test_non_finite_figures_are_failed_figures_with_a_reason(store: Store) -> None:
    metrics = [MetricValue("coverage", "reference", 0.5), MetricValue("mmd", "reference", math_inf)]
    store.record_run(_run(1, metrics=metrics))
    details = store.run_details("generator", "gan", "failed_figures")
    (content,) = details[details["version"] == "v1"]["content"]
    assert json.loads(content) == [
        {"metric": "mmd", "scope": "reference", "reason": "not finite (inf)"}
    ]
    port = free_port()
    server, _ = serve(ExporterSettings(port=port), store)
    try:
        text = _get(f"http://127.0.0.1:{port}/metrics")[1]
    finally:
        server.shutdown()
        server.server_close()
    samples = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}
    assert samples["tailwatch_failed_figures"] == 1
    assert samples["tailwatch_generator_mmd"] != samples["tailwatch_generator_mmd"]  # NaN
    assert samples["tailwatch_generator_coverage"] == 0.5


math_inf = float("inf")
