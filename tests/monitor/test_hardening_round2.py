"""Issue 25, hardening round 2 (items 6 and 7): a real DuckDB file damaged on disk, real CLI
subprocesses, a real daemon holding the store's lock."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from sklearn.datasets import load_wine

from monitor.daemon import open_store
from monitor.settings import load_settings
from monitor.store.database import Store, StoreDamaged, StoreError, StoreLocked, snapshot_path
from tests.support.net import free_port, wait_http
from tests.support.report_histories import small_run as _run

ROOT = Path(__file__).resolve().parents[2]
FILE_HEADER_BYTES = 3 * 4096  # DuckDB: a main header and two database headers, then blocks


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )  # fmt: skip


def _store_with_row_groups(path: Path) -> None:
    """A store whose metrics table spans several row groups (DuckDB: 122,880 rows each), with
    its read copy published."""
    with Store(path) as opened:
        run_id = opened.record_run(_run(0))
        opened.write(
            lambda cursor: cursor.execute(
                "INSERT INTO metrics SELECT ?, 'm' || range, 'feature:x', random() "
                "FROM range(300000)",
                [run_id],
            )
        )
        opened.checkpoint()
        opened.publish_snapshot(snapshot_path(path))


def _damage_a_later_row_group(path: Path, table: str) -> None:
    """Overwrite bytes inside a data block of the table's third row group (not its first)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        block_size = int(con.execute("PRAGMA database_size").fetchone()[2])  # type: ignore[index]
        rows = con.execute(
            "SELECT block_id, block_offset FROM pragma_storage_info(?) "
            "WHERE row_group_id = 2 AND block_id >= 0 AND segment_type <> 'VALIDITY' "
            "ORDER BY block_id DESC LIMIT 1",
            [table],
        ).fetchall()
    finally:
        con.close()
    assert rows, "the table has no third row group on disk"
    block_id, block_offset = rows[0]
    position = FILE_HEADER_BYTES + block_id * block_size + 8 + block_offset + 64
    with open(path, "r+b") as handle:
        handle.seek(position)
        handle.write(b"\xde\xad\xbe\xef" * 64)


def test_damage_in_a_later_row_group_is_found_at_start_up(tmp_path: Path) -> None:
    """Issue 25, item 6: the start-up check reads every block, so damage beyond the first row
    group is named at open (with the read copy and 'tailwatch restore'), not at the first scan;
    ``status`` prints the store and the hint, never DuckDB's raw "Corrupt database file"."""
    path = tmp_path / "tw.duckdb"
    _store_with_row_groups(path)
    _damage_a_later_row_group(path, "metrics")
    with pytest.raises(StoreDamaged) as caught:
        Store(path)
    message = str(caught.value)
    assert str(path) in message and "tailwatch restore" in message
    assert str(snapshot_path(path)) in message and "metrics" in message
    with pytest.raises(StoreDamaged):
        Store(path, read_only=True)
    config = tmp_path / "tailwatch.toml"
    config.write_text(f'[storage]\npath = "{path}"\n', encoding="utf-8")
    for command in ("status", "report"):
        done = _cli(command, "--config", str(config))
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        (line,) = done.stderr.strip().splitlines()
        assert str(path) in line and "tailwatch restore" in line, line
        assert "Corrupt database file" not in line, line
    restored = _cli("restore", "--config", str(config))
    assert restored.returncode == 0, restored.stderr
    with Store(path, read_only=True) as good:
        assert good.runs()["version"].tolist() == ["v0"]


# --------------------------------------------------------------------------- 7. clarity


@pytest.fixture
def running_daemon(tmp_path: Path) -> Iterator[Path]:
    """A real ``tailwatch run`` holding the store; yields its config (stopped afterwards)."""
    port = free_port()
    config = tmp_path / "tailwatch.toml"
    config.write_text(
        f'[storage]\npath = "{tmp_path / "tw.duckdb"}"\n[exporter]\nport = {port}\n',
        encoding="utf-8",
    )
    daemon = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "run", "--config", str(config)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/-/ready", timeout=120)
        yield config
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)


def test_beside_a_running_daemon_the_lock_is_named_at_once(running_daemon: Path) -> None:
    """Item 7: not DuckDB's raw lock error after a 15 s wait, but who holds the store (the
    daemon, its PID) and what to do, without waiting for a daemon that will not let go."""
    settings = load_settings(running_daemon)
    with pytest.raises(StoreLocked) as caught:
        open_store(settings, wait_seconds=600)  # a daemon: no wait at all
    error = caught.value
    assert error.daemon and error.holder_pid is not None
    text = str(error)
    assert settings.storage.path in text and "running Tailwatch daemon" in text
    assert "Stop the daemon" in text and "tailwatch status" in text
    assert "Conflicting lock" not in text
    done = _cli("prune", "--config", str(running_daemon), "--keep-versions", "3")
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "running Tailwatch daemon" in line and "Stop the daemon" in line, line


def test_a_store_path_that_is_a_folder_is_called_a_folder(tmp_path: Path) -> None:
    """Item 7: a folder is not a damaged store to be moved aside."""
    for read_only in (False, True):
        with pytest.raises(StoreError) as caught:
            Store(tmp_path, read_only=read_only)
        text = str(caught.value)
        assert "is a folder" in text and "damaged" not in text and "move the file" not in text
        assert str(tmp_path / "tailwatch.duckdb") in text
    assert not isinstance(caught.value, StoreDamaged)


def _shell_umask() -> None:
    os.umask(0o022)  # a shell's usual umask: files 0644 unless Tailwatch sets its own


def test_verify_and_init_write_under_the_umask_not_the_shells(tmp_path: Path) -> None:
    """Item 7: the version's rows (verify --out) and the config (init) are 0600, as the store
    and reports are, whatever umask the shell had (before: 0644, readable by every user)."""
    data = load_wine(as_frame=True).frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    folder = tmp_path / "data"
    folder.mkdir()
    data.iloc[:120].to_parquet(folder / "reference.parquet", index=False)
    data.iloc[120:].to_parquet(tmp_path / "v1.parquet", index=False)
    out = tmp_path / "out"
    commands = [
        ["verify", str(tmp_path / "v1.parquet"), "--reference", str(folder / "reference.parquet"),
         "--out", str(out)],
        ["init", str(folder), "--out", str(tmp_path / "tailwatch.toml")],
    ]  # fmt: skip
    for command in commands:
        done = subprocess.run(
            [sys.executable, "-m", "monitor.cli", *command],
            capture_output=True, text=True, timeout=180, cwd=ROOT, preexec_fn=_shell_umask,
        )  # fmt: skip
        assert done.returncode == 0, (command[0], done.stderr)
    written = [out / "rows.parquet", out / "kept.parquet", out / "verify.json"]
    for path in [*written, tmp_path / "tailwatch.toml"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, (path, oct(path.stat().st_mode))
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
