"""OpenMP's wait policy is set before scikit-learn loads (collectors._threads), in new processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from collectors._threads import WAIT_POLICY


def _python(code: str, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", code], env=env, capture_output=True, text=True, check=True
    )


def _environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"}
    env.update(extra)
    return env


def test_passive_unless_set() -> None:
    code = "import os, collectors; print(os.environ['OMP_WAIT_POLICY'])"
    assert _python(code, _environment()).stdout.strip() == WAIT_POLICY == "PASSIVE"
    kept = _python(code, _environment(OMP_WAIT_POLICY="ACTIVE")).stdout.strip()
    assert kept == "ACTIVE"  # a user's choice is kept


ENTRIES = [
    "tailwatch",
    "monitor.commands.service",
    "monitor.watch.generator",
    "monitor.demo.tabular",
    "collectors.metrics.regions",
]


@pytest.mark.parametrize("entry", ENTRIES)
def test_set_before_scikit_learn_loads(entry: str) -> None:
    """Every entry point imports ``collectors`` (and so sets the policy) before scikit-learn,
    which loads libgomp, is imported: ``-X importtime`` lists modules as their imports finish, so
    the setting module must come before the first scikit-learn module."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {entry}"],
        env=_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    names = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line]
    assert "collectors._threads" in names
    first_sklearn = next(i for i, name in enumerate(names) if re.match(r"sklearn(\.|$)", name))
    assert names.index("collectors._threads") < first_sklearn
