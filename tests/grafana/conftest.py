"""A real Prometheus (Debian's, installed when missing) to parse every dashboard query."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rules.tools import RULES_FILE, prometheus


@pytest.fixture(scope="session")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "rule_files": [str(RULES_FILE)],
        "scrape_configs": [],
    }
    with prometheus(tmp_path_factory.mktemp("prometheus"), config) as url:
        yield url
