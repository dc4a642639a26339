"""The exporter over a real store and a real HTTP server: gauges, TLS, basic auth, /api/status."""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
import subprocess
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from collectors.result import MetricValue, RegionValue, RunResult
from monitor.exporter.series import BY_NAME
from monitor.exporter.server import serve
from monitor.settings import ExporterSettings
from monitor.store.database import Store
from tests.rules.tools import ensure_tool
from tests.support.net import free_port, self_signed_cert

T0 = datetime(2026, 1, 1, tzinfo=UTC)
COVERAGES = (0.95, 0.80, 0.60)


def _run(index: int, coverage: float) -> RunResult:
    start = T0 + timedelta(minutes=index)
    return RunResult(
        subject_kind="generator",
        subject="gan",
        version=f"v{index}",
        fingerprint=f"fp{index}",
        version_index=index,
        started_at=start,
        finished_at=start + timedelta(seconds=3),
        status="ok",
        reference_rows=1000,
        sample_rows=1000,
        metrics=[
            MetricValue("coverage", "reference", coverage),
            MetricValue("precision", "reference", 0.9),
            MetricValue("coverage", "healthy", 0.97),
            MetricValue("coverage", "baseline", coverage / COVERAGES[0]),
        ],
        regions=[RegionValue(0, 500, coverage, 1.0), RegionValue(1, 500, 0.0, 0.0)],
    )


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "tw.duckdb") as opened:
        for index, coverage in enumerate(COVERAGES):
            opened.record_run(_run(index, coverage))
        yield opened


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_plain_scrape_matches_the_store(store: Store) -> None:
    port = free_port()
    server, _ = serve(ExporterSettings(port=port), store)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
        samples = _samples(text)
        g = (("generator", "gan"),)
        assert samples[("tailwatch_generator_coverage", g)] == COVERAGES[-1]
        assert samples[("tailwatch_generator_healthy_coverage", g)] == 0.97
        ratio = samples[("tailwatch_generator_coverage_vs_baseline_ratio", g)]
        assert ratio == pytest.approx(COVERAGES[-1] / COVERAGES[0])
        assert ("tailwatch_generator_version_info", (("generator", "gan"), ("version", "v2"))) in (
            samples
        )
        region = (("generator", "gan"), ("region", "1"))
        assert samples[("tailwatch_generator_region_coverage", region)] == 0.0
        ok = (("kind", "generator"), ("status", "ok"), ("subject", "gan"))
        assert samples[("tailwatch_runs_total", ok)] == 3
        # coverage 0.80 and 0.60 are below 0.9 * 0.95 minus 3 binomial sd: two versions in a row
        streak = (("check", "coverage_decline"), ("generator", "gan"))
        assert samples[("tailwatch_generator_check_breach_versions", streak)] == 2
        # every family is one of the declared series
        for family in text_string_to_metric_families(text):
            if family.name.startswith("tailwatch_"):
                declared = {family.name, family.name + "_total", family.name + "_info"}
                assert declared & set(BY_NAME), family.name
        # promtool agrees with the naming conventions
        checked = subprocess.run(
            [ensure_tool("promtool"), "check", "metrics"],
            input=text,
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        # a new committed run shows on the next scrape
        store.record_run(_run(3, 0.5))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            assert _samples(response.read().decode())[("tailwatch_generator_coverage", g)] == 0.5
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=10) as response:
            document = json.loads(response.read())
        assert document["subjects"][0]["metrics"]["coverage"] == 0.5
    finally:
        server.shutdown()
        server.server_close()


def test_tls_and_basic_auth(store: Store, tmp_path: Path) -> None:
    cert, key = self_signed_cert(tmp_path)
    port = free_port()
    settings = ExporterSettings(
        port=port,
        tls_certfile=str(cert),
        tls_keyfile=str(key),
        basic_auth_username="prom",
        basic_auth_password_sha256=hashlib.sha256(b"s3cret").hexdigest(),
    )
    server, _ = serve(settings, store)
    context = ssl.create_default_context(cafile=str(cert))
    url = f"https://127.0.0.1:{port}/metrics"
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10, context=context)
        assert refused.value.code == 401
        wrong = urllib.request.Request(url)
        wrong.add_header("Authorization", "Basic " + base64.b64encode(b"prom:nope").decode())
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(wrong, timeout=10, context=context)
        assert denied.value.code == 401
        good = urllib.request.Request(url)
        good.add_header("Authorization", "Basic " + base64.b64encode(b"prom:s3cret").decode())
        with urllib.request.urlopen(good, timeout=10, context=context) as response:
            samples = _samples(response.read().decode())
        assert samples[("tailwatch_generator_coverage", (("generator", "gan"),))] == COVERAGES[-1]
        with pytest.raises((urllib.error.URLError, ConnectionError)):  # no plain HTTP
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5)
        with urllib.request.urlopen(good, timeout=10, context=context) as response:
            assert response.status == 200  # a bad client does not take the server down
    finally:
        server.shutdown()
        server.server_close()
