"""``tailwatch validate`` names each config mistake before work; a failed run's log line says why.

Real files and real subprocesses: one config holding many kinds of mistake, a port held by a real
socket, and ``scan --once`` on a terminal (a pseudo-terminal) for the plain-text log format.
"""

from __future__ import annotations

import os
import pty
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from monitor.cli import main


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _frame(rows: int = 50) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "amount": [float(i) for i in range(rows)],
            "region": ["a", "b"] * (rows // 2),
            "when": pd.date_range("2026-01-01", periods=rows, freq="D"),
            "text": ["row"] * rows,
            "provenance": ["human"] * rows,
            "raw": [b"\x00"] * rows,  # BLOB: a type Tailwatch does not measure
        }
    )


def test_validate_names_each_kind_of_mistake(tmp_path: Path) -> None:
    _frame().to_parquet(tmp_path / "real.parquet", index=False)
    (tmp_path / "holdout.parquet").write_bytes(b"not parquet at all")
    (tmp_path / "versions").mkdir()
    _frame()[["amount", "region"]].to_parquet(tmp_path / "versions" / "v1.parquet", index=False)
    (tmp_path / "snapshots").mkdir()
    _frame()[["text"]].to_parquet(tmp_path / "snapshots" / "s1.parquet", index=False)
    (tmp_path / "not-a-folder").write_text("a file where the store's folder should be")
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    port = held.getsockname()[1]
    (tmp_path / "tailwatch.toml").write_text(
        f"""
[storage]
path = "not-a-folder/tailwatch.duckdb"
[exporter]
port = {port}
[[generators]]
name = "typo-glob"
reference = "reals/*.parquet"
versions = "versions/*"
[[generators]]
name = "columns"
reference = "real.parquet"
holdout = "holdout.parquet"
versions = "versions/*"
columns = ["amount", "regoin", "when", "raw"]
categorical = ["amount"]
[[generators]]
name = "categorical"
reference = "real.parquet"
versions = "empty/*"
categorical = ["segmnet"]
[[generators]]
name = "sampler"
reference = "real.parquet"
sampler = "no_such_module.samplers:draw"
[[corpora]]
name = "mix"
snapshots = "snapshots/*"
content_columns = ["txt"]
[[synthetic_dumps]]
name = "dump"
path = "dumps/*.parquet"
""",
        encoding="utf-8",
    )
    try:
        done = _cli("validate", "--config", "tailwatch.toml", cwd=tmp_path)
    finally:
        held.close()
    assert done.returncode == 2, done.stderr
    out = done.stdout
    expected = [
        # (key, what else the line must name)
        ("generators[0] (typo-glob).reference:", "matches no data files"),
        ("generators[1] (columns).holdout:", "holdout.parquet cannot read it"),
        ("generators[1] (columns).columns:", "column=regoin column 'regoin' does not exist"),
        ("generators[1] (columns).columns:", "column=raw column 'raw' has type BLOB"),
        ("generators[1] (columns).versions:", "column=when column 'when' does not exist"),
        ("generators[2] (categorical).categorical:", "column=segmnet"),
        ("generators[2] (categorical).versions:", "does not exist"),
        ("generators[3] (sampler).sampler:", "cannot import module 'no_such_module.samplers'"),
        ("corpora[0] (mix).content_columns:", "column=txt"),
        ("synthetic_dumps[0] (dump).path:", "matches no data files"),
        ("storage.path:", "not writable"),
        ("exporter.port:", f"127.0.0.1:{port} cannot be bound"),
    ]
    lines = out.splitlines()
    for key, detail in expected:
        assert any(key in line and detail in line for line in lines), (key, detail, out)
    # Timestamps are measured (issue 24): 'when' is never called a type Tailwatch cannot measure.
    assert not any("column 'when' has type" in line for line in lines), out
    assert f"{len(lines) - 1} problem(s)" in lines[0]


def test_missing_config_and_broken_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["validate", "--config", str(tmp_path / "nope.toml")]) == 2
    assert f"config file {tmp_path / 'nope.toml'} does not exist" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)  # no ./tailwatch.toml: said as such, not as "no history"
    assert main(["status"]) == 2
    assert "no config file" in capsys.readouterr().err

    (tmp_path / "tailwatch.toml").write_text(
        '[[generators]]\nname = "g"\nreference = "missing/*.parquet"\nversions = "v/*"\n'
    )
    config = str(tmp_path / "tailwatch.toml")
    assert main(["check", "--config", config, "--generator", "g"]) == 2  # before any work
    err = capsys.readouterr().err
    assert "generators[0] (g).reference" in err and "matches no data files" in err
    assert not (tmp_path / "tailwatch.duckdb").exists()


def test_plain_log_line_keeps_the_reason(tmp_path: Path) -> None:
    """On a terminal, ``scan --once`` logs plain text that still says why the run failed."""
    (tmp_path / "versions").mkdir()
    pd.DataFrame({"x": [1.0, 2.0]}).to_parquet(tmp_path / "versions" / "v1.parquet")
    (tmp_path / "tailwatch.toml").write_text(
        '[[generators]]\nname = "gan"\nreference = "real/*.parquet"\nversions = "versions/*"\n'
    )
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "scan", "--once", "--config", "tailwatch.toml"],
        cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower,
    )  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=120)
    os.close(leader)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r", "\n")
    line = next((x for x in text.splitlines() if "run failed" in x), None)
    assert line is not None, text
    assert line.startswith("WARNING tailwatch.generator: run failed generator=gan version=v1 ")
    assert 'error="pattern' in line and "matches no data files" in line
    assert process.returncode == 1
