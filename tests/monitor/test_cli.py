"""The CLI's surface (issue 27): a light start-up, a help line per command, ``report``'s exit
status and file modes."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli import COMMANDS, main

MEASURING_STACK = ("numpy", "pandas", "scipy", "duckdb", "pyarrow", "sklearn", "numba")


def _tailwatch(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_lists_every_command_in_plain_text() -> None:
    done = _tailwatch("--help")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for name, command in COMMANDS.items():
        assert any(line.split()[:1] == [name] and command.help in line for line in lines), name
    assert len(COMMANDS) == 11
    assert "``" not in done.stdout  # no raw reStructuredText


def test_help_and_version_import_no_measuring_stack() -> None:
    probe = (
        "import json, sys\n"
        "import monitor.cli\n"
        "for argv in (['--help'], ['--version'], ['run', '--help'], ['status', '--help'],\n"
        "             ['report', '--help'], ['check', '--help']):\n"
        "    try:\n"
        "        monitor.cli.main(argv)\n"
        "    except SystemExit as stop:\n"
        "        assert stop.code == 0, (argv, stop.code)\n"
        f"print(json.dumps([m for m in {MEASURING_STACK!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []
    # the probe can fail: a subcommand whose module imports the stack at once (verify) shows it
    loaded = subprocess.run(
        [sys.executable, "-c", probe.replace("'status', '--help'", "'verify', '--help'")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "numpy" in json.loads(loaded.stdout.splitlines()[-1])


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_answers_its_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([name, "--help"])
    assert stop.value.code == 0
    assert f"usage: tailwatch {name}" in capsys.readouterr().out.replace("\n", " ")


def _report_config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "tailwatch.toml"
    config.write_text(
        f'[storage]\npath = "tailwatch.duckdb"\n[reports]\nout_dir = "www/reports"\n{extra}',
        encoding="utf-8",
    )
    assert main(["scan", "--once", "--config", str(config)]) == 0  # creates the store
    return config


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_report_files_readable_by_the_group(tmp_path: Path) -> None:
    config = _report_config(tmp_path)
    assert main(["report", "--config", str(config)]) == 0
    (folder,) = (tmp_path / "www" / "reports").iterdir()
    files = sorted(folder.iterdir())
    assert [p.name for p in files] == ["report.html", "report.json", "report.md"]
    assert {_mode(p) for p in files} == {0o640}
    assert {_mode(p) for p in (folder, folder.parent, folder.parent.parent)} == {0o750}
    assert _mode(tmp_path / "tailwatch.duckdb") == 0o600  # the store stays private


def test_report_file_mode_setting(tmp_path: Path) -> None:
    config = _report_config(tmp_path, 'file_mode = "0600"\n')
    assert main(["report", "--config", str(config)]) == 0
    (folder,) = (tmp_path / "www" / "reports").iterdir()
    assert {_mode(p) for p in folder.iterdir()} == {0o600}
    assert _mode(folder) == 0o700
    bad = tmp_path / "bad.toml"
    bad.write_text('[reports]\nfile_mode = "rw-r-----"\n', encoding="utf-8")
    assert main(["report", "--config", str(bad)]) == 2  # a config error
