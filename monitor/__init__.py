"""Tailwatch's daemon, CLI, store, exporter and reports."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _package_version

from monitor.kernel_cache import configure_numba_cache

try:
    __version__ = _package_version("tailwatch")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

configure_numba_cache()  # before any collectors kernel is declared (see monitor.kernel_cache)
