"""Operations (issue 27): the run-duration histogram and prometheus-client's process, platform and
GC collectors on a real HTTP scrape; the "verdict changed" WARNING line with its reasons; the
CLI's ``--log-format``."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import urllib.request
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.checks import CheckThresholds
from monitor.daemon import Daemon
from monitor.exporter.durations import RUN_SECONDS_BUCKETS
from monitor.exporter.server import serve
from monitor.logs import JsonFormatter, PlainFormatter
from monitor.settings import ExporterSettings, load_settings
from monitor.store.database import Store
from monitor.verdict_log import VerdictLog
from tests.support.generators import collapsed, generator, real, version_path, write
from tests.support.net import free_port
from tests.support.report_runs import _run

DURATIONS = (0.3, 0.7, 4.0, 45.0, 700.0)  # seconds, one run each


def _scrape(store: Store) -> dict[str, object]:
    port = free_port()
    server, _ = serve(ExporterSettings(port=port), store)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
            text = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    return {family.name: family for family in text_string_to_metric_families(text)}


def test_scrape_has_run_histogram_and_default_collectors(tmp_path: Path) -> None:
    with Store(tmp_path / "tw.duckdb") as store:
        for i, seconds in enumerate(DURATIONS):
            run = _run("gan", i)
            failed = i == len(DURATIONS) - 1
            store.record_run(
                replace(
                    run,
                    finished_at=run.started_at + timedelta(seconds=seconds),
                    status="failed" if failed else "ok",
                    error="boom" if failed else None,
                    metrics=[] if failed else run.metrics,
                )
            )
        families = _scrape(store)

    histogram = families["tailwatch_run_seconds"]
    assert histogram.type == "histogram"
    samples = {
        (s.name, s.labels.get("status"), s.labels.get("le")): s.value
        for s in histogram.samples
        if s.labels.get("kind") == "generator"
    }
    ok = [d for d in DURATIONS[:-1]]
    for bound in RUN_SECONDS_BUCKETS:
        le = f"{float(bound)}"
        expected = sum(d <= bound for d in ok)
        assert samples[("tailwatch_run_seconds_bucket", "ok", le)] == expected, le
    assert samples[("tailwatch_run_seconds_bucket", "ok", "+Inf")] == len(ok)
    assert samples[("tailwatch_run_seconds_count", "ok", None)] == len(ok)
    assert samples[("tailwatch_run_seconds_sum", "ok", None)] == pytest.approx(sum(ok))
    assert samples[("tailwatch_run_seconds_count", "failed", None)] == 1
    assert samples[("tailwatch_run_seconds_bucket", "failed", "600.0")] == 0
    assert samples[("tailwatch_run_seconds_bucket", "failed", "1800.0")] == 1
    assert {s.labels["kind"] for s in histogram.samples} == {"generator"}  # bounded labels

    # the last run's gauge stays (the daemon dashboard reads it)
    assert families["tailwatch_run_duration_seconds"].samples[0].value == DURATIONS[-1]
    # prometheus-client's default collectors
    assert families["process_cpu_seconds"].samples[0].value > 0
    assert families["process_resident_memory_bytes"].samples[0].value > 0
    assert families["python_info"].samples[0].labels["implementation"]
    assert "python_gc_objects_collected" in families


def test_verdict_change_is_a_warning_with_its_reasons(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tailwatch.verdict")
    with Store(tmp_path / "tw.duckdb") as store:
        verdicts = VerdictLog(store, lambda _name: CheckThresholds())
        for i in range(2):
            store.record_run(_run("steady", i))
        verdicts.prime("generator", "steady")  # healthy at start: no line
        assert verdicts.levels[("generator", "steady")] == "healthy"
        assert verdicts.observe("generator", "steady") == "healthy"
        assert not caplog.records
        levels = []
        for i in (2, 3, 4):  # loses a category from version 2 on
            store.record_run(_run("steady", i, lost=1.0))
            levels.append(verdicts.observe("generator", "steady"))
    assert levels == ["watch", "collapse suspected", "collapse suspected"]
    first, second = caplog.records  # one line per change, none while the level holds
    assert first.levelno == second.levelno == logging.WARNING
    assert first.getMessage() == "verdict changed"
    fields = vars(second)
    assert (fields["previous_level"], fields["level"]) == ("watch", "collapse suspected")
    assert fields["subject"] == "steady" and fields["kind"] == "generator"
    (reason,) = fields["reasons"]
    assert reason.startswith("category_lost (2 version(s) in a row")
    line = PlainFormatter().format(second)
    assert line.startswith("WARNING tailwatch.verdict: verdict changed")
    assert 'level="collapse suspected"' in line and "category_lost" in line
    assert json.loads(JsonFormatter().format(second))["reasons"] == [reason]


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_log_format_option(tmp_path: Path, log_format: str) -> None:
    config = tmp_path / "tailwatch.toml"
    config.write_text(
        '[storage]\npath = "tw.duckdb"\n[[generators]]\nname = "gan"\n'
        'reference = "missing/*.parquet"\nversions = "versions/*"\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "scan", "--once", "--config", str(config),
         "--log-format", log_format],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if "tailwatch." in ln or '"logger"' in ln]
    assert lines, done.stderr
    if log_format == "json":
        entries = [json.loads(line) for line in lines]
        assert any(e["level"] == "error" and e["logger"].startswith("tailwatch") for e in entries)
    else:
        assert any(line.startswith("ERROR tailwatch.") for line in lines), lines
        assert not any(line.startswith("{") for line in lines)


def test_daemon_logs_the_verdict_change_of_a_collapsing_generator(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Through the daemon's scan: healthy versions, then a collapsed one per scan; one WARNING
    line when the verdict leaves healthy, with the breached checks as reasons."""
    settings = generator(tmp_path, "gan")
    config = tmp_path / "tailwatch.toml"
    config.write_text(
        f'[storage]\npath = "{tmp_path / "tw.duckdb"}"\n[[generators]]\nname = "gan"\n'
        f'reference = "{settings.reference}"\nversions = "{settings.versions}"\n'
        'categorical = ["segment"]\nsample_size = 200\nregions = 4\n',
        encoding="utf-8",
    )
    loaded = load_settings(config)
    caplog.set_level(logging.WARNING, logger="tailwatch.verdict")
    with Store(loaded.storage.path) as store:
        daemon = Daemon(loaded, store)
        watch = daemon.watches[0]
        for name, frame in [
            ("v1", real(300, 1)),
            ("v2", real(300, 2)),
            ("v3", collapsed(300, 3, 0.1)),
            ("v4", collapsed(300, 4, 0.1)),
        ]:
            write(version_path(settings, name), frame)
            outcome = daemon.scan_subject(watch, publish=False)
            assert outcome is not None and outcome.measured == 1
    lines = [r for r in caplog.records if r.getMessage() == "verdict changed"]
    assert lines, "no verdict change logged"
    assert [(vars(r)["previous_level"], vars(r)["level"]) for r in lines][-1][1] == (
        daemon.verdicts.levels[("generator", "gan")]
    )
    assert vars(lines[0])["previous_level"] == "healthy"
    assert all(r.levelno == logging.WARNING and vars(r)["reasons"] for r in lines)
    assert any("coverage_decline" in " ".join(vars(r)["reasons"]) for r in lines)
