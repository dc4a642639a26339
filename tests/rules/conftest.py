"""Fixtures for the rule tests: Debian's promtool and amtool, installed when missing."""

from __future__ import annotations

import pytest

from tests.rules.tools import ensure_tool


@pytest.fixture(scope="session")
def promtool() -> str:
    return ensure_tool("promtool")


@pytest.fixture(scope="session")
def amtool() -> str:
    return ensure_tool("amtool")
