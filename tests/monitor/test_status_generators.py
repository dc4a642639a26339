"""The generator part of ``tailwatch status`` and ``/api/status``: verdict level, breached change
checks and fidelity gaps (listed as such), from a real DuckDB store written by record_run."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from monitor.checks import CheckThresholds
from monitor.cli import main
from monitor.exporter.server import serve
from monitor.settings import ExporterSettings
from monitor.status import format_status, status_document
from monitor.store.database import Store
from tests.support.net import free_port
from tests.support.report_runs import _run


def _store(path: Path) -> Path:
    runs = [_run("blurry", i, precision=0.5) for i in range(4)]  # a constant precision gap
    runs += [_run("steady", i, lost=1.0 if i >= 2 else 0.0) for i in range(4)]  # loses a category
    runs += [_run("fine", i) for i in range(3)]
    with Store(path) as store:
        for run in runs:
            store.record_run(run)
    return path


def test_generators_carry_verdict_change_checks_and_gaps(tmp_path: Path) -> None:
    with Store(_store(tmp_path / "tw.duckdb"), read_only=True) as store:
        document = status_document(store)
    by_name = {s["name"]: s for s in document["subjects"]}
    blurry, steady, fine = by_name["blurry"], by_name["steady"], by_name["fine"]
    assert blurry["level"] == "healthy" and blurry["change_checks"] == []
    (gap,) = blurry["fidelity_gaps"]
    assert gap["check"] == "precision_gap" and gap["kind"] == "gap"
    assert gap["versions_in_a_row"] == 4 and gap["constant"] is True
    assert gap["value"] == 0.5 and gap["limit"] is not None and gap["limit"] > 0.5
    assert steady["level"] == "collapse suspected"
    (lost,) = steady["change_checks"]
    assert (lost["check"], lost["kind"], lost["versions_in_a_row"]) == ("category_lost",
                                                                         "collapse", 2)  # fmt: skip
    assert lost["detail"] == "segment (1 more)"
    (cat_gap,) = steady["fidelity_gaps"]
    assert cat_gap["check"] == "category_gap" and cat_gap["constant"] is False
    assert fine["level"] == "healthy"
    assert fine["change_checks"] == [] and fine["fidelity_gaps"] == []

    text = format_status(document)
    header = next(line for line in text.splitlines() if line.startswith("name"))
    assert header.split()[-1] == "verdict"
    assert "steady: collapse suspected: change checks breached: category_lost (2 versions in a " \
           "row; categories_lost 1.000, limit 0.000; segment (1 more))" in text  # fmt: skip
    assert "blurry: fidelity gaps (tickets, not a collapse): precision_gap (constant since v0, " \
           "4 versions; precision 0.500, limit" in text  # fmt: skip
    assert blurry["verdict"] == "healthy; fidelity gap" and gap["since"] == "v0"
    assert "blurry: healthy: change checks" not in text
    assert not any(line.startswith("  fine:") for line in text.splitlines())


def test_configured_thresholds_decide_the_level(tmp_path: Path) -> None:
    with Store(_store(tmp_path / "tw.duckdb"), read_only=True) as store:
        document = status_document(
            store, thresholds=lambda name: CheckThresholds(persistence=3 if name == "steady" else 2)
        )
    by_name = {s["name"]: s for s in document["subjects"]}
    assert by_name["steady"]["level"] == "watch", "two versions do not reach persistence = 3"
    assert by_name["blurry"]["level"] == "healthy"


def test_status_command_honours_the_configured_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``tailwatch status`` reads ``[generators.checks]`` (issue 25 item 7): with persistence 3
    the two-version category loss is "watch", as the exporter, ``check`` and the report say."""
    _store(tmp_path / "tw.duckdb")
    config = tmp_path / "tailwatch.toml"
    config.write_text(
        '[storage]\npath = "tw.duckdb"\n[[generators]]\nname = "steady"\n'
        'reference = "real/*.parquet"\nversions = "v/*"\n[generators.checks]\npersistence = 3\n',
        encoding="utf-8",
    )
    assert main(["status", "--config", str(config), "--json"]) == 0
    by_name = {s["name"]: s for s in json.loads(capsys.readouterr().out)["subjects"]}
    assert by_name["steady"]["level"] == "watch"
    assert by_name["blurry"]["level"] == "healthy"  # not configured: the defaults
    config.write_text(config.read_text(encoding="utf-8").replace("persistence = 3", ""))
    assert main(["status", "--config", str(config), "--json"]) == 0
    by_name = {s["name"]: s for s in json.loads(capsys.readouterr().out)["subjects"]}
    assert by_name["steady"]["level"] == "collapse suspected"


def test_api_status_honours_the_configured_checks(tmp_path: Path) -> None:
    """``/api/status`` over real HTTP judges with the daemon's thresholds (issue 25 item 7), as
    its ``/metrics`` verdict gauge does."""
    port = free_port()
    with Store(_store(tmp_path / "tw.duckdb"), read_only=True) as store:
        server, _ = serve(
            ExporterSettings(port=port),
            store,
            thresholds=lambda name: CheckThresholds(persistence=3 if name == "steady" else 2),
        )
        try:
            url = f"http://127.0.0.1:{port}"
            with urllib.request.urlopen(f"{url}/api/status", timeout=10) as response:
                document = json.loads(response.read())
            with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
                metrics = response.read().decode()
        finally:
            server.shutdown()
            server.server_close()
    by_name = {s["name"]: s for s in document["subjects"]}
    assert by_name["steady"]["level"] == "watch"
    assert 'tailwatch_generator_verdict{generator="steady",verdict="watch"} 1.0' in metrics
    value = 'tailwatch_generator_check_value{check="category_lost",generator="steady"} 1.0'
    assert value in metrics
