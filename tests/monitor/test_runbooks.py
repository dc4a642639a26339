"""The runbooks served by the exporter: real HTTP against a real server over a real store."""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from monitor.exporter.server import serve
from monitor.runbooks import anchor_of, load_runbooks, render_markdown
from monitor.settings import ExporterSettings
from monitor.store.database import Store
from tests.support.net import free_port

REPO = Path(__file__).resolve().parents[2]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_runbooks_are_served_without_auth_and_metrics_still_need_it(tmp_path: Path) -> None:
    """With basic auth on, /metrics answers 401 while /runbooks/<alert> (any case) gives the
    alert's section, /runbooks/ every section with its anchor, and an unknown alert 404."""
    port = free_port()
    settings = ExporterSettings(
        port=port,
        basic_auth_username="prometheus",
        basic_auth_password_sha256=hashlib.sha256(b"secret").hexdigest(),
    )
    with Store(tmp_path / "tw.duckdb") as store:
        server, _ = serve(settings, store)
        try:
            base = f"http://127.0.0.1:{port}"
            assert _get(f"{base}/metrics")[0] == 401
            status, body = _get(f"{base}/runbooks/tailwatchcoveragedecline")
            assert status == 200
            assert '<h2 id="tailwatchcoveragedecline">TailwatchCoverageDecline</h2>' in body
            assert "mode collapse" in body  # the section's text
            assert "TailwatchRecallDecline" not in body  # and only that section
            assert _get(f"{base}/runbooks/TailwatchCoverageDecline")[1] == body
            status, page = _get(f"{base}/runbooks/")
            assert status == 200
            anchors = set(re.findall(r'<h2 id="([^"]+)"', page))
            assert {"tailwatchcoveragedecline", "tailwatchrunfailing"} <= anchors
            status, missing = _get(f"{base}/runbooks/nosuchalert")
            assert status == 404 and "nosuchalert" in missing
        finally:
            server.shutdown()
            server.server_close()


def test_every_rule_has_a_served_section_that_matches_docs() -> None:
    """The packaged runbooks are docs/runbooks.md (one source), with a section per alert."""
    packaged = load_runbooks()
    assert packaged.text == (REPO / "docs" / "runbooks.md").read_text(encoding="utf-8")
    rules = yaml.safe_load((REPO / "rules" / "tailwatch.rules.yml").read_text(encoding="utf-8"))
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    assert alerts
    for rule in alerts:
        # A default deployment's link: the daemon's exporter address, then the section's anchor.
        base, _, anchor = rule["annotations"]["runbook_url"].partition("#")
        assert base == "http://127.0.0.1:9108/runbooks/", rule["alert"]
        assert anchor == rule["alert"].lower()
        assert packaged.section_page(anchor) is not None, rule["alert"]


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("**Do.** run `tailwatch status` <now>", "<p><strong>Do.</strong> run <code>tailwatch "
         "status</code> &lt;now&gt;</p>"),
        ("- one\n  - two", '<ul>\n<li>one</li>\n<li style="margin-left:1.5em">two</li>\n</ul>'),
        ("```sh\na < b\n```", "<pre><code>a &lt; b</code></pre>"),
        ("[x](javascript:void)", '<p><a href="#">x</a></p>'),
    ],
)  # fmt: skip
def test_markdown_subset_is_rendered_escaped(markdown: str, html: str) -> None:
    assert render_markdown(markdown) == html


def test_anchor_is_githubs() -> None:
    assert anchor_of("How the alerts work") == "how-the-alerts-work"
    assert anchor_of("TailwatchCoverageDecline") == "tailwatchcoveragedecline"
