"""The line that announces compiling Tailwatch's kernels, and whether they are cached.

Where Numba caches them is configured by ``collectors`` itself when it is imported
(:mod:`collectors._cache`; ``NUMBA_CACHE_DIR`` set in the environment, e.g. by the service unit,
wins), so that a process importing only ``collectors`` (a Ray worker) uses the same cache as the
daemon. The names are re-exported here for callers of the former home.
"""

from __future__ import annotations

import logging
import os

from collectors._cache import configure_numba_cache, user_cache_dir

__all__ = ["announce_compilation", "configure_numba_cache", "kernels_cached", "user_cache_dir"]

COMPILING = "compiling kernels (first run, cached afterwards)"


def kernels_cached() -> bool:
    """True when the k-NN kernels' compiled code is in Numba's cache (no compilation due)."""
    import numba

    from collectors.knn import kernels as _kernels

    # numba declares no type for a dispatcher's private _cache: read it with getattr
    caches = [
        getattr(value, "_cache", None)
        for value in vars(_kernels).values()
        if isinstance(value, numba.core.registry.CPUDispatcher)
    ]
    paths = [getattr(c, "_cache_file", None) for c in caches if c is not None]
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
