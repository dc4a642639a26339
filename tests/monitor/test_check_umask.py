"""``tailwatch check`` writes under Tailwatch's umask, not the shell's (issue 25 item 7).

Through the real command line in a child process whose shell umask is 0022 (files 0644 unless
Tailwatch sets its own): with VERSION and ``--reference`` every file it writes (JUnit, JSON, the
healthy-level cache) and every folder it makes are 0600 / 0700, the default ``[storage] umask``
0077; with ``--config`` they follow the configured umask (0027: files 0640, folders 0750), the
store file included. Real files, modes read back with ``os.stat``.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from sklearn.datasets import load_wine

ROOT = Path(__file__).resolve().parents[2]


def _shell_umask() -> None:
    os.umask(0o022)


def _tables(tmp_path: Path) -> tuple[Path, Path]:
    data = load_wine(as_frame=True).frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    real, versions = tmp_path / "real", tmp_path / "versions"
    real.mkdir()
    versions.mkdir()
    data.iloc[:110].to_parquet(real / "reference.parquet", index=False)
    data.iloc[110:].to_parquet(versions / "v1.parquet", index=False)
    return real / "reference.parquet", versions / "v1.parquet"


def _check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "check", *args],
        capture_output=True, text=True, timeout=300, cwd=ROOT, preexec_fn=_shell_umask,
    )  # fmt: skip


def _modes(root: Path) -> dict[str, int]:
    """Mode bits of every file and folder under ``root`` (itself included)."""
    out = {str(root): stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        out[str(path)] = stat.S_IMODE(path.stat().st_mode)
    return out


def test_check_writes_0600_under_the_default_umask(tmp_path: Path) -> None:
    reference, version = _tables(tmp_path)
    out, cache = tmp_path / "out" / "ci", tmp_path / "cache"
    done = _check(
        str(version), "--reference", str(reference), "--junit", str(out / "check.xml"),
        "--json", str(out / "check.json"), "--cache-dir", str(cache),
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    written = {**_modes(tmp_path / "out"), **_modes(cache)}
    files = {p: m for p, m in written.items() if Path(p).is_file()}
    folders = {p: m for p, m in written.items() if Path(p).is_dir()}
    assert str(out / "check.xml") in files and str(out / "check.json") in files
    assert len([p for p in files if p.startswith(str(cache))]) >= 1, "no cache file written"
    assert set(files.values()) == {0o600}, {p: oct(m) for p, m in files.items()}
    assert set(folders.values()) == {0o700}, {p: oct(m) for p, m in folders.items()}


def test_check_with_config_writes_under_the_configured_umask(tmp_path: Path) -> None:
    reference, version = _tables(tmp_path)
    store = tmp_path / "state" / "tw.duckdb"
    config = tmp_path / "tailwatch.toml"
    config.write_text(
        f'[storage]\npath = "{store}"\numask = "0027"\n\n'
        f'[[generators]]\nname = "wine"\nreference = "{reference}"\n'
        f'versions = "{version.parent}/*.parquet"\nsample_size = 68\n',
        encoding="utf-8",
    )
    out = tmp_path / "out" / "ci"
    done = _check(
        "--config", str(config), "--generator", "wine", "--junit", str(out / "check.xml"),
        "--json", str(out / "check.json"),
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    written = {**_modes(tmp_path / "out"), **_modes(store.parent)}
    files = {p: m for p, m in written.items() if Path(p).is_file()}
    folders = {p: m for p, m in written.items() if Path(p).is_dir()}
    assert {str(out / "check.xml"), str(out / "check.json"), str(store)} <= set(files)
    assert set(files.values()) == {0o640}, {p: oct(m) for p, m in files.items()}
    assert set(folders.values()) == {0o750}, {p: oct(m) for p, m in folders.items()}
