"""Where Numba caches Tailwatch's compiled kernels, and the line that announces compiling them.

The kernels (``collectors/knn/kernels.py`` and the corpus kernels) are ``@njit(cache=True)``: Numba
writes them beside the source (``collectors/__pycache__``) when that folder is writable. A
non-editable install often is not (system site-packages, a read-only container image), and a
service user may have no usable home: then :func:`configure_numba_cache` points
``NUMBA_CACHE_DIR`` at ``$CACHE_DIRECTORY`` (systemd's ``CacheDirectory=``),
``$XDG_CACHE_HOME/tailwatch/numba`` or ``~/.cache/tailwatch/numba``. It must run before
``collectors`` is imported (Numba reads the variable when a kernel is declared): ``monitor``'s
``__init__`` calls it. A ``NUMBA_CACHE_DIR`` already set is left alone.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import tempfile
from pathlib import Path

__all__ = ["announce_compilation", "configure_numba_cache", "kernels_cached", "user_cache_dir"]

COMPILING = "compiling kernels (first run, cached afterwards)"


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
    """Set ``NUMBA_CACHE_DIR`` when the kernels' folder is not writable; returns the cache dir
    in use (None: Numba's default, beside the source)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    if package_dir is None:
        spec = importlib.util.find_spec("collectors")  # finds the folder, imports nothing
        if spec is None or not spec.submodule_search_locations:
            return None
        package_dir = Path(next(iter(spec.submodule_search_locations)))
    if _writable(package_dir / "__pycache__"):
        return None
    target = user_cache_dir()
    if not _writable(target):
        return None  # Numba then tries its own user-wide cache, or compiles every start
    os.environ["NUMBA_CACHE_DIR"] = str(target)
    return str(target)


def kernels_cached() -> bool:
    """True when the k-NN kernels' compiled code is in Numba's cache (no compilation due)."""
    import numba

    from collectors.knn import kernels as _kernels

    dispatchers = [
        value
        for value in vars(_kernels).values()
        if isinstance(value, numba.core.registry.CPUDispatcher) and value._cache is not None
    ]
    paths = [getattr(d._cache, "_cache_file", None) for d in dispatchers]
    return any(p is not None and os.path.exists(p._index_path) for p in paths)


def announce_compilation(log: logging.Logger) -> bool:
    """Log :data:`COMPILING` once when the kernels are not cached yet; returns whether it did."""
    try:
        cold = not kernels_cached()
    except Exception:  # Numba internals moved: say nothing rather than fail a scan
        return False
    if cold:
        log.info(COMPILING, extra={"numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR", "")})
    return cold
