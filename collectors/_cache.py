"""Where Numba caches the collectors' compiled kernels: configured when ``collectors`` is imported.

The kernels (``collectors/knn/kernels.py`` and the corpus kernels) are ``@njit(cache=True)``: Numba
writes them beside the source (``collectors/__pycache__``) when that folder is writable. A
non-editable install often is not (system site-packages, a read-only container image), and a
service user may have no usable home: then :func:`configure_numba_cache` points
``NUMBA_CACHE_DIR`` at ``$CACHE_DIRECTORY`` (systemd's ``CacheDirectory=``),
``$XDG_CACHE_HOME/tailwatch/numba`` or ``~/.cache/tailwatch/numba``. It must run before any kernel
is declared (Numba reads the variable then): ``collectors/__init__`` calls it, so every process
that imports any part of ``collectors`` (the daemon, the CLI, a notebook, a Ray worker that
imports only the corpus scan) has it set. A ``NUMBA_CACHE_DIR`` already set is left alone.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

__all__ = ["configure_numba_cache", "configured_cache_dir", "user_cache_dir"]

_CONFIGURED: list[str | None] = []  # the result of the import-time call, once made


def _writable(folder: Path) -> bool:
    """True when a file can be created in ``folder`` (made if missing), as Numba tries it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def user_cache_dir() -> Path:
    """``$CACHE_DIRECTORY/numba`` (systemd), else ``$XDG_CACHE_HOME`` or ``~/.cache`` with
    ``tailwatch/numba``."""
    systemd = os.environ.get("CACHE_DIRECTORY", "").split(":")[0]
    if systemd:
        return Path(systemd) / "numba"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tailwatch" / "numba"


def configure_numba_cache(package_dir: Path | None = None) -> str | None:
    """Set ``NUMBA_CACHE_DIR`` when the kernels' folder (``package_dir``, default: this package's
    folder) is not writable; returns the cache dir in use (None: Numba's default, beside the
    source)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    if package_dir is None:
        package_dir = Path(__file__).resolve().parent
    if _writable(package_dir / "__pycache__"):
        return None
    target = user_cache_dir()
    if not _writable(target):
        return None  # Numba then tries its own user-wide cache, or compiles every start
    os.environ["NUMBA_CACHE_DIR"] = str(target)
    if "numba" in sys.modules:  # imported before us: it read its settings already
        sys.modules["numba"].core.config.reload_config()
    return str(target)


def configure_once() -> None:
    """:func:`configure_numba_cache` for this process (``collectors/__init__``), remembered."""
    if not _CONFIGURED:
        _CONFIGURED.append(configure_numba_cache())


def configured_cache_dir() -> str | None:
    """What the import-time configuration chose (None: Numba's default); ``RuntimeError`` when
    it has not run (``collectors`` not imported through its ``__init__``)."""
    if not _CONFIGURED:
        raise RuntimeError("the kernel cache was not configured: import collectors first")
    return _CONFIGURED[0]
