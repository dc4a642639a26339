"""Test-run wiring shared by the whole suite.

The suite runs on two pytest-xdist workers (``-n 2 --dist loadgroup`` in pyproject's addopts):
most of its time is spent waiting on real servers and subprocesses, which overlap well. Every
test module stays whole on one worker (its module-scoped fixtures are built once), and the
modules that start a local Ray cluster share one group, so two clusters never start at once.
"""

from __future__ import annotations

import pytest

RAY_MODULES = frozenset(
    {
        "tests/collectors/corpus/test_figure_paths.py",
        "tests/collectors/corpus/test_ray_scan.py",
        "tests/collectors/corpus/test_ray_storage_faults.py",
        "tests/collectors/sources/test_formats.py",
        "tests/monitor/watch/test_corpus_ray.py",
    }
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """One xdist group per module; the Ray modules together. First among the hooks: xdist's
    worker reads the ``xdist_group`` marks in its own hook of the same name."""
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        group = "ray" if module in RAY_MODULES else module
        item.add_marker(pytest.mark.xdist_group(group))
