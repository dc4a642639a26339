"""Tailwatch's daemon, CLI, store, exporter and reports."""

from monitor.kernel_cache import configure_numba_cache

configure_numba_cache()  # before any collectors kernel is declared (see monitor.kernel_cache)
