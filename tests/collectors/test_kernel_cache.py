"""Numba's cache folder for a read-only install (configured by importing ``collectors``, so a
process that imports only ``collectors``, as a Ray worker does, has it), and the
first-compilation log line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from collectors._cache import configure_numba_cache
from monitor.kernel_cache import COMPILING
from monitor.kernel_cache import configure_numba_cache as former_home

REPO = Path(__file__).resolve().parents[2]


def test_cache_dir_moves_to_the_user_cache_when_the_package_is_not_writable(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    writable = tmp_path / "pkg"
    writable.mkdir()
    assert configure_numba_cache(writable) is None  # beside the source: Numba's default
    assert "NUMBA_CACHE_DIR" not in os.environ
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")  # nothing can be created below it, not even by root
    chosen = configure_numba_cache(blocked / "collectors")
    assert chosen == str(tmp_path / "cache" / "tailwatch" / "numba")
    assert os.environ["NUMBA_CACHE_DIR"] == chosen and Path(chosen).is_dir()
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert configure_numba_cache(blocked) == str(tmp_path / "mine")  # a set one is kept
    assert former_home is configure_numba_cache  # monitor.kernel_cache keeps the name


def test_importing_collectors_alone_configures_the_cache(tmp_path: Path) -> None:
    """A read-only copy of the package (its ``__pycache__`` is a file: nothing can be written
    there, not even by root); a process that imports only the corpus scan's SQL, never
    ``monitor``, gets ``NUMBA_CACHE_DIR`` in the user cache before any kernel is declared."""
    site = tmp_path / "site"
    shutil.copytree(
        REPO / "collectors", site / "collectors", ignore=shutil.ignore_patterns("__pycache__")
    )
    (site / "collectors" / "__pycache__").write_text("read-only install")
    script = (
        "import os, sys\n"
        "import collectors.corpus.sql\n"
        "from collectors._cache import configured_cache_dir\n"
        "print('monitor' in sys.modules, configured_cache_dir(), os.environ['NUMBA_CACHE_DIR'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "CACHE_DIRECTORY")}
    env |= {"PYTHONPATH": str(site), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    chosen = str(tmp_path / "cache" / "tailwatch" / "numba")
    assert done.stdout.split() == ["False", chosen, chosen]


def test_first_compilation_is_announced(tmp_path: Path) -> None:
    """With an empty cache the one line is logged before anything compiles."""
    script = (
        "import logging, sys\n"
        "from monitor.kernel_cache import announce_compilation\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stdout, format='%(message)s')\n"
        "print(announce_compilation(logging.getLogger('tailwatch.test')))\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [COMPILING, "True"]
