"""End to end: the daemon, a real Prometheus and a real Alertmanager on 127.0.0.1.

The daemon runs the built-in scenario (``tailwatch demo``) in a subprocess; Prometheus scrapes it
every second and evaluates rules/tailwatch.rules.yml; Alertmanager runs deploy/alertmanager.yml
with its webhook URLs pointed at a receiver this test runs. A collapsing generator must bring
TailwatchCoverageDecline to firing and to the receiver of critical alerts; a healthy generator,
over the same number of versions, must fire nothing; every dashboard query must return data.
Everything is bounded in time and every process is stopped, also when the test fails.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from collectors.sequences.names import SEQUENCE_METRICS
from tests.rules.tools import (
    DEPLOY,
    REPO,
    RULES_FILE,
    alertmanager,
    free_port,
    http_json,
    instant_query,
    load_rules,
    prometheus,
    wait_until,
)
from tests.support.dashboards import NAMES, load, queries, substitute

pytestmark = pytest.mark.slow

GENERATIONS = 8
EVERY_SECONDS = 2
GENERATOR = "demo-gan"  # the demo's generator name
CORPUS = "demo-corpus"  # the demo's leaking corpus (demo-eval stays clean)
# Figures that exist only for generators with real-rare categories (the demo has none).
CONDITIONAL_SERIES = {
    "tailwatch_generator_rare_category_mass",
    "tailwatch_generator_healthy_rare_category_mass",
}
# Figures of generators configured with a ``target`` (the utility probe) or a ``text_column``
# (text generators): the demo's tabular generator has neither, so their panels (and the limits of
# their checks) may be empty only while the daemon exports none of them.
CONDITIONAL_CHECKS = {
    "utility_decline": "tailwatch_generator_utility_ratio",
    "class_lost": "tailwatch_generator_classes_lost",
    "vocabulary_loss": "tailwatch_generator_text_vocabulary_retention",
    "rare_mass_loss": "tailwatch_generator_text_rare_mass_ratio",
    "diversity_decline": "tailwatch_generator_text_distinct_1",
    "length_tail_loss": "tailwatch_generator_text_length_short_share",
    "safe_share_decline": "tailwatch_generator_safe_synthetic_share",  # the mixing sweep (target)
    # The decision boundary: a probe of a categorical target (issue 23).
    "boundary_coverage_decline": "tailwatch_generator_boundary_coverage",
    # Sequence generators (entity_column and time_column, issue 28); rhythm: timestamps only.
    "temporal_structure_loss": "tailwatch_generator_sequence_length_ks",
    "sequence_length_shift": "tailwatch_generator_sequence_length_ks",
    "rhythm_loss": "tailwatch_generator_hour_tv",
    "forecast_utility_decline": "tailwatch_generator_predictive_mae_ratio",
}
CONDITIONAL_SERIES |= {
    "tailwatch_generator_utility_ratio",
    "tailwatch_generator_healthy_utility_ratio",
    "tailwatch_generator_classes_lost",
    "tailwatch_generator_class_share_ratio_min",
    *(
        f"tailwatch_generator_{prefix}text_{name}"
        for prefix in ("", "healthy_")
        for name in (
            "vocabulary_retention",
            "rare_mass_ratio",
            "distinct_1",
            "distinct_2",
            "distinct_3",
            "distinct_4",
            "semantic_diversity",
            "length_short_share",
            "length_long_share",
        )
    ),
}
CONDITIONAL_SERIES |= {  # the mixing sweep: generators with a target (issue 29)
    f"tailwatch_generator_safe_synthetic_share{suffix}" for suffix in ("", "_low", "_high")
}
CONDITIONAL_SERIES |= {  # the decision boundary: generators with a categorical target (issue 23)
    f"tailwatch_generator_{prefix}boundary_coverage" for prefix in ("", "healthy_")
}
CONDITIONAL_SERIES |= {  # every sequence figure: generators of sequences only (issue 28)
    f"tailwatch_generator_{prefix}{entry[0]}"
    for entry in SEQUENCE_METRICS
    for prefix in ("", "healthy_")
}
SERIES = re.compile(r"tailwatch_[a-z0-9_]+")


class Webhook:
    """An Alertmanager webhook receiver: records every notification by path."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with webhook.lock:
                    webhook.received.append((self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def alerts(self) -> list[tuple[str, dict[str, Any]]]:
        """(path, alert) of every alert in every notification so far."""
        with self.lock:
            return [(path, alert) for path, body in self.received for alert in body["alerts"]]

    @contextmanager
    def running(self) -> Iterator[Webhook]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join(timeout=10)


def alertmanager_config(webhook_url: str) -> dict[str, Any]:
    """deploy/alertmanager.yml with its receivers pointed at the test's webhook, short waits."""
    config = yaml.safe_load((DEPLOY / "alertmanager.yml").read_text(encoding="utf-8"))
    for receiver in config["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = f"{webhook_url}/{receiver['name']}"
    config["route"].update(group_wait="1s", group_interval="2s", repeat_interval="1h")
    return config


@contextmanager
def demo_daemon(workdir: Path, scenario: str, port: int) -> Iterator[subprocess.Popen]:
    """``tailwatch demo`` serving /metrics on ``port`` until the test ends."""
    workdir.mkdir(parents=True, exist_ok=True)
    log = (workdir / "daemon.log").open("wb")
    args = [
        sys.executable, "-m", "monitor.cli", "demo", "--workdir", str(workdir),
        "--scenario", scenario, "--generations", str(GENERATIONS),
        "--every", str(EVERY_SECONDS), "--interval", "1", "--sample-size", "1000",
        "--port", str(port),
    ]  # fmt: skip
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
        log.close()


def daemon_log(workdir: Path) -> str:
    path = workdir / "daemon.log"
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def short_hold_rules(folder: Path) -> Path:
    """The shipped rules with every one-minute hold (`for: 1m`) cut to 10 s.

    Versions arrive every 2 s here; what this test proves is the path from /metrics through
    Prometheus and Alertmanager to the receiver. How long a breach must hold is proved by
    promtool's unit tests on the shipped file (tests/rules), so the test need not wait it out.
    """
    text = RULES_FILE.read_text(encoding="utf-8")
    assert "for: 1m" in text
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / RULES_FILE.name
    path.write_text(text.replace("for: 1m", "for: 10s"), encoding="utf-8")
    return path


@contextmanager
def stack(tmp_path: Path, scenario: str) -> Iterator[dict[str, Any]]:
    """Daemon + Alertmanager + Prometheus + webhook; yields their URLs and the webhook."""
    daemon_port = free_port()
    with ExitStack() as stack:
        webhook = stack.enter_context(Webhook().running())
        am_url = stack.enter_context(
            alertmanager(tmp_path / "alertmanager", alertmanager_config(webhook.url))
        )
        process = stack.enter_context(demo_daemon(tmp_path / "daemon", scenario, daemon_port))
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(short_hold_rules(tmp_path / "rules"))],
            "alerting": {
                "alertmanagers": [{"static_configs": [{"targets": [am_url.split("//")[1]]}]}]
            },
            "scrape_configs": [
                {
                    "job_name": "tailwatch",
                    "static_configs": [{"targets": [f"127.0.0.1:{daemon_port}"]}],
                }
            ],
        }
        prom_url = stack.enter_context(prometheus(tmp_path / "prometheus", config))
        yield {
            "prometheus": prom_url,
            "alertmanager": am_url,
            "webhook": webhook,
            "process": process,
            "daemon_dir": tmp_path / "daemon",
        }


def _alive(env: dict[str, Any]) -> None:
    if env["process"].poll() is not None:
        pytest.fail(f"the daemon exited early:\n{daemon_log(env['daemon_dir'])}")


def _value(prom_url: str, expr: str) -> float | None:
    result = instant_query(prom_url, expr)["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def _all_versions_measured(env: dict[str, Any]) -> bool:
    _alive(env)
    expr = f'tailwatch_generator_versions_measured{{generator="{GENERATOR}"}}'
    return (_value(env["prometheus"], expr) or 0) >= GENERATIONS


def test_collapse_fires_coverage_decline_through_alertmanager(tmp_path: Path) -> None:
    with stack(tmp_path, "collapse") as env:
        prom = env["prometheus"]

        def firing() -> list[dict[str, Any]]:
            _alive(env)
            alerts = http_json(f"{prom}/api/v1/alerts")["data"]["alerts"]
            return [
                a
                for a in alerts
                if a["labels"]["alertname"] == "TailwatchCoverageDecline" and a["state"] == "firing"
            ]

        # versions every 2 s; the breach needs 2 versions, then its hold (10 s here). About a
        # minute on an idle machine; the generous limits are for a loaded one (they cost only
        # when the test fails).
        (alert,) = wait_until(firing, timeout=480, interval=1, what="TailwatchCoverageDecline")
        assert alert["labels"]["generator"] == GENERATOR
        assert alert["labels"]["severity"] == "critical"
        assert alert["labels"]["job"] == "tailwatch"
        assert float(alert["value"]) >= 2
        assert alert["annotations"]["runbook_url"].endswith("#tailwatchcoveragedecline")
        assert "unknown" not in alert["annotations"]["description"], alert["annotations"]

        def delivered() -> list[tuple[str, dict[str, Any]]]:
            return [
                (path, a)
                for path, a in env["webhook"].alerts()
                if a["labels"].get("alertname") == "TailwatchCoverageDecline"
            ]

        deliveries = wait_until(delivered, timeout=60, interval=0.5, what="the webhook delivery")
        path, sent = deliveries[0]
        assert path == "/pager", "critical alerts route to the pager receiver"
        assert sent["status"] == "firing"
        assert sent["labels"]["generator"] == GENERATOR
        assert sent["labels"]["severity"] == "critical"
        assert sent["labels"]["check"] == "coverage_decline"

        # The demo's collapse also drops real segments (categories of 2-5 %): a page too, and
        # the gaps that come with the collapse never page (their ticket waits 1 h).
        def category_lost() -> list[dict[str, Any]]:
            _alive(env)
            alerts = http_json(f"{prom}/api/v1/alerts")["data"]["alerts"]
            return [
                a
                for a in alerts
                if a["labels"]["alertname"] == "TailwatchCategoryLost" and a["state"] == "firing"
            ]

        (lost,) = wait_until(category_lost, timeout=240, interval=1, what="TailwatchCategoryLost")
        assert lost["labels"]["severity"] == "critical"
        assert "unknown" not in lost["annotations"]["description"], lost["annotations"]
        paged = {a["labels"].get("check", "") for path, a in env["webhook"].alerts()
                 if path == "/pager"}  # fmt: skip
        assert not {check for check in paged if check.endswith("_gap")}, paged

        # Every dashboard query returns data from this Prometheus, the corpora's included.
        wait_until(lambda: _all_versions_measured(env), timeout=300, what="all versions")
        wait_until(lambda: _all_snapshots_scanned(env), timeout=300, what="all snapshots")
        # The demo's only categorical column has no category under 1 %, so no rare-category
        # figure exists for it: those queries may be empty only while the daemon exports none.
        absent = {
            series
            for series in CONDITIONAL_SERIES
            if not instant_query(prom, f"{{__name__=~'{series}'}}")["data"]["result"]
        }
        absent_checks = {c for c, series in CONDITIONAL_CHECKS.items() if series in absent}
        empty = []
        for name in NAMES:
            for where, expr in queries(load(name)):
                if where.startswith("annotation"):
                    continue  # event markers: empty while nothing of theirs fires
                answer = instant_query(prom, substitute(expr))
                assert answer["status"] == "success", f"{name} {where}: {answer}"
                excused = set(re.findall(SERIES, expr)) <= absent or any(
                    f'check="{check}"' in expr for check in absent_checks
                )
                if not answer["data"]["result"] and not excused:
                    empty.append(f"{name} {where}: {expr}")
        assert not empty, "dashboard queries without data:\n" + "\n".join(empty)

        # The demo corpus takes in unlabelled rows of earlier generations and outgrows its
        # budget: both alerts fire for it, and none for the clean human-only corpus.
        def leaking() -> set[tuple[str, str]]:
            _alive(env)
            alerts = http_json(f"{prom}/api/v1/alerts")["data"]["alerts"]
            return {
                (a["labels"]["alertname"], a["labels"].get("corpus", ""))
                for a in alerts
                if a["state"] == "firing" and "corpus" in a["labels"]
            }

        wanted = {
            ("TailwatchUnlabeledSyntheticRows", CORPUS),
            ("TailwatchSyntheticBudgetExceeded", CORPUS),
            ("TailwatchNearDuplicateSyntheticLeak", CORPUS),
        }
        fired = wait_until(
            lambda: leaking() if wanted <= leaking() else None,
            timeout=300,
            interval=2,
            what="the leakage alerts",
        )
        assert not {corpus for _, corpus in fired} - {CORPUS}, fired

        def leak_delivered() -> list[tuple[str, dict[str, Any]]]:
            return [
                (path, a)
                for path, a in env["webhook"].alerts()
                if a["labels"].get("alertname") == "TailwatchUnlabeledSyntheticRows"
            ]

        path, sent = wait_until(leak_delivered, timeout=60, interval=0.5, what="leak delivery")[0]
        assert path == "/pager", "critical alerts route to the pager receiver"
        assert sent["status"] == "firing"
        assert sent["labels"]["corpus"] == CORPUS
        assert sent["labels"]["severity"] == "critical"
        unlabeled = _value(prom, f'tailwatch_corpus_unlabeled_synthetic_rows{{corpus="{CORPUS}"}}')
        assert unlabeled == 50 * (GENERATIONS - 1)  # the demo leaks 50 rows per later snapshot


def _all_snapshots_scanned(env: dict[str, Any]) -> bool:
    _alive(env)
    expr = 'tailwatch_runs_total{kind="corpus",status="ok"}'
    result = instant_query(env["prometheus"], expr)["data"]["result"]
    counts = {r["metric"]["subject"]: float(r["value"][1]) for r in result}
    return len(counts) == 2 and min(counts.values()) >= GENERATIONS


def _subject_alerts() -> str:
    """Alerts about generators and corpora (not the time-based ones about the daemon)."""
    names = [
        rule["alert"]
        for rule in load_rules()
        if "alert" in rule
        and rule["_group"] in ("tailwatch-generators", "tailwatch-fidelity", "tailwatch-corpora")
    ]
    return "|".join(sorted(names))


def test_healthy_generator_fires_nothing(tmp_path: Path) -> None:
    with stack(tmp_path, "healthy") as env:
        prom = env["prometheus"]
        wait_until(lambda: _all_versions_measured(env), timeout=360, what="all versions")
        # Long enough for the last version's figures to be scraped and every rule evaluated
        # (1 s each): the assertions below read alerts that were ever pending, not only firing.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            _alive(env)
            time.sleep(2)
        fired = instant_query(prom, 'count_over_time(ALERTS{alertstate="firing"}[10m])')
        assert fired["data"]["result"] == [], f"alerts fired: {fired['data']['result']}"
        assert env["webhook"].alerts() == []
        # Versions arrive every 2 s here, hours apart in production: a version-based alert that
        # was pending at all here would fire there. Time-based daemon alerts (the target before
        # its first scrape, versions waiting) may be pending for a moment.
        pending = instant_query(
            prom, f'max_over_time(ALERTS{{alertname=~"{_subject_alerts()}"}}[10m])'
        )["data"]["result"]
        streaks = instant_query(
            prom, "max_over_time(tailwatch_generator_check_breach_versions[10m]) >= 2"
        )["data"]["result"]
        assert pending == [], (
            "a healthy generator breached collapse checks two versions in a row: "
            + ", ".join(f"{s['metric'].get('check')}={s['value'][1]}" for s in streaks)
            + f" (alerts pending: {[a['metric']['alertname'] for a in pending]})"
        )
