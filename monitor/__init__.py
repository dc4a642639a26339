"""Tailwatch's daemon, CLI, store, exporter and reports."""

# collectors' import-time settings (Numba's kernel cache, OpenMP's wait policy) come before any
# module of this package imports scikit-learn (collectors._cache, collectors._threads).
import collectors  # noqa: F401  # isort: skip
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _package_version

try:
    __version__ = _package_version("tailwatch")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"
