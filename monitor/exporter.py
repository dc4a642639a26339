"""The Prometheus exporter: a custom collector over the store, served with optional TLS and auth.

Gauges come from the stored history on every scrape (cached until the next committed write), so
they are right after a restart and never show half a run. Series names, types and labels are
defined once in :mod:`monitor.exported`. The HTTP server is prometheus-client's own WSGI stack
(``make_wsgi_app``, ``ThreadingWSGIServer``) with two additions the client library does not offer:
HTTP basic auth (the maintainers declined it) and a read-only JSON status endpoint,
``/api/status``, which ``tailwatch status`` uses while the daemon holds the DuckDB file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import platform
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import duckdb
import pandas as pd
from prometheus_client import make_wsgi_app
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.registry import CollectorRegistry

from monitor.checks import DECLINE_METRICS, CheckThresholds, declining_versions, evaluate_checks
from monitor.exported import (
    BY_NAME,
    CORPUS_FIGURES,
    RELATIVE_METRICS,
    generator_series,
    healthy_series,
    relative_series,
)
from monitor.history import version_figures
from monitor.registry import SyntheticRegistry
from monitor.settings import ExporterSettings
from monitor.status import status_document
from monitor.store import Store

__all__ = ["ScanState", "StoreCollector", "serve", "tailwatch_version"]

log = logging.getLogger("tailwatch.exporter")


def tailwatch_version() -> str:
    try:
        return package_version("tailwatch")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class ScanState:
    """What the scheduler knows about one subject and the store does not."""

    kind: str
    subject: str
    interval_seconds: float
    last_scan_ok_unix: float | None
    pending: int
    scan_errors: int


class _Families:
    """Builds metric families by name, from the one list of exported series."""

    def __init__(self) -> None:
        self._families: dict[str, Metric] = {}

    def add(self, name: str, labels: Iterable[str], value: float) -> None:
        series = BY_NAME[name]
        family = self._families.get(name)
        if family is None:
            if series.type == "counter":
                family = CounterMetricFamily(
                    name.removesuffix("_total"), series.help, labels=series.labels
                )
            elif series.type == "info":
                family = InfoMetricFamily(name.removesuffix("_info"), series.help, labels=[])
            else:
                family = GaugeMetricFamily(name, series.help, labels=series.labels)
            self._families[name] = family
        labels = list(labels)
        if series.type == "info":
            family.add_metric([], dict(zip(series.labels, labels, strict=True)))
        else:
            family.add_metric(labels, float(value))

    def all(self) -> list[Metric]:
        return list(self._families.values())


class StoreCollector:
    """A prometheus-client collector over the store's latest results."""

    def __init__(
        self,
        store: Store,
        *,
        scans: Callable[[], list[ScanState]] = list,
        thresholds: Callable[[str], CheckThresholds] = lambda _name: CheckThresholds(),
    ) -> None:
        self.store = store
        self.scans = scans
        self.thresholds = thresholds
        self._lock = threading.Lock()
        self._cached: tuple[int, list[Metric]] | None = None

    def describe(self) -> list[Metric]:
        return []  # families depend on the store; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        families = _Families()
        try:
            yield from self._stored()
        except duckdb.Error as error:  # a scrape must not crash on a store problem
            log.error("scrape could not read the store", extra={"error": str(error)})
        for state in self.scans():
            labels = (state.kind, state.subject)
            families.add("tailwatch_scan_interval_seconds", labels, state.interval_seconds)
            families.add("tailwatch_pending_versions", labels, state.pending)
            families.add("tailwatch_scan_errors_total", labels, state.scan_errors)
            if state.last_scan_ok_unix is not None:
                families.add(
                    "tailwatch_scan_last_success_timestamp_seconds", labels, state.last_scan_ok_unix
                )
        families.add(
            "tailwatch_build_info",
            (tailwatch_version(), platform.python_version(), duckdb.__version__),
            1,
        )
        yield from families.all()

    def _stored(self) -> list[Metric]:
        with self._lock:
            generation = self.store.generation
            if self._cached is None or self._cached[0] != generation:
                self._cached = (generation, self._build())
            return self._cached[1]

    def _build(self) -> list[Metric]:
        families = _Families()
        statuses = self.store.latest_runs()
        for (kind, subject, status), count in sorted(self.store.run_counts().items()):
            families.add("tailwatch_runs_total", (kind, subject, status), count)
        for s in statuses:
            labels = (s.kind, s.subject)
            if s.last_ok_finished_at is not None:
                families.add(
                    "tailwatch_last_success_timestamp_seconds",
                    labels,
                    s.last_ok_finished_at.timestamp(),
                )
            if s.last_status is not None:
                families.add("tailwatch_last_run_failed", labels, s.last_status == "failed")
            if s.last_duration_seconds is not None:
                families.add("tailwatch_run_duration_seconds", labels, s.last_duration_seconds)
        for s in statuses:
            if s.kind == "generator" and s.last_ok_version is not None:
                self._generator(families, s.subject, s.last_ok_version, s.versions_measured)
            elif s.kind == "corpus" and s.last_ok_version is not None:
                self._corpus(families, s.subject, s.last_ok_version)
        for kind, rows in SyntheticRegistry(self.store).counts().items():
            families.add("tailwatch_registry_fingerprints", (kind,), rows)
        return families.all()

    def _generator(self, families: _Families, name: str, version: str, measured: int) -> None:
        g = (name,)
        history = self.store.history("generator", name)
        if history.empty:
            return
        latest_run = history["run_id"].iloc[-1]
        latest = history[history["run_id"] == latest_run]
        for row in latest.itertuples():
            if row.scope == "reference" and f"tailwatch_generator_{row.metric}" in BY_NAME:
                families.add(generator_series(row.metric), g, row.value)
            elif row.scope == "healthy" and healthy_series(row.metric) in BY_NAME:
                families.add(healthy_series(row.metric), g, row.value)
            elif row.scope in ("baseline", "previous") and row.metric in RELATIVE_METRICS:
                families.add(relative_series(row.metric, row.scope), g, row.value)
        families.add("tailwatch_generator_version_info", (name, version), 1)
        families.add("tailwatch_generator_version_index", g, int(latest["version_index"].iloc[0]))
        families.add("tailwatch_generator_versions_measured", g, measured)
        regions = self.store.regions_history("generator", name)
        for row in regions[regions["run_id"] == latest_run].itertuples():
            if not pd.isna(row.coverage):
                families.add(
                    "tailwatch_generator_region_coverage", (name, str(row.region)), row.coverage
                )
        versions, healthy = version_figures(history)
        for check in evaluate_checks(versions, healthy, self.thresholds(name)):
            families.add(
                "tailwatch_generator_check_breach_versions", (name, check.check), check.streak
            )
            if check.limit is not None:
                families.add("tailwatch_generator_check_limit", (name, check.check), check.limit)
        for metric in DECLINE_METRICS:
            families.add(
                "tailwatch_generator_declining_versions",
                (name, metric),
                declining_versions(versions, metric),
            )

    def _corpus(self, families: _Families, name: str, snapshot: str) -> None:
        history = self.store.history("corpus", name)
        if history.empty:
            return
        latest = history[history["run_id"] == history["run_id"].iloc[-1]]
        for row in latest.itertuples():
            if row.scope == "snapshot" and row.metric in CORPUS_FIGURES:
                families.add(f"tailwatch_corpus_{row.metric}", (name,), row.value)
            elif row.metric == "rows" and row.scope.startswith("provenance:"):
                label = row.scope.removeprefix("provenance:")
                families.add("tailwatch_corpus_provenance_rows", (name, label), row.value)
        families.add("tailwatch_corpus_snapshot_info", (name, snapshot), 1)


# -- HTTP -------------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s", format % args)


def _basic_auth(app: Callable, username: str, password_sha256: str) -> Callable:
    """Wrap ``app`` so that every request needs HTTP basic auth with the configured user."""

    def guarded(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, encoded = header.partition(" ")
        ok = False
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(encoded).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                user, password = "", ""
            digest = hashlib.sha256(password.encode("utf-8")).hexdigest()
            ok = hmac.compare_digest(user.encode(), username.encode()) & hmac.compare_digest(
                digest, password_sha256
            )
        if not ok:
            start_response(
                "401 Unauthorized",
                [("WWW-Authenticate", 'Basic realm="tailwatch"'), ("Content-Type", "text/plain")],
            )
            return [b"authentication required\n"]
        return app(environ, start_response)

    return guarded


def _application(registry: CollectorRegistry, store: Store, scans: Callable[[], list[ScanState]]):
    metrics_app = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/api/status":
            try:
                body = json.dumps(status_document(store, scans()), indent=2).encode()
                start_response("200 OK", [("Content-Type", "application/json")])
            except duckdb.Error as error:
                body = json.dumps({"error": str(error)}).encode()
                start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [body]
        if path in ("/-/healthy", "/healthz"):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        if path == "/":
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [
                b"<html><head><title>Tailwatch</title></head><body><h1>Tailwatch</h1>"
                b'<p><a href="/metrics">/metrics</a> &middot; <a href="/api/status">'
                b"/api/status</a></p></body></html>"
            ]
        return metrics_app(environ, start_response)

    return app


def serve(
    settings: ExporterSettings,
    store: Store,
    *,
    scans: Callable[[], list[ScanState]] = list,
    thresholds: Callable[[str], CheckThresholds] = lambda _name: CheckThresholds(),
) -> tuple[ThreadingWSGIServer, threading.Thread]:
    """Start the HTTP server in a daemon thread; returns it so the caller can shut it down."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store, scans=scans, thresholds=thresholds))
    app = _application(registry, store, scans)
    if settings.basic_auth_username and settings.basic_auth_password_sha256:
        app = _basic_auth(app, settings.basic_auth_username, settings.basic_auth_password_sha256)
    server = make_server(
        settings.host, settings.port, app, ThreadingWSGIServer, handler_class=_QuietHandler
    )
    if settings.tls_certfile and settings.tls_keyfile:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(settings.tls_certfile, settings.tls_keyfile)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, name="tailwatch-exporter", daemon=True)
    thread.start()
    scheme = "https" if settings.tls_certfile else "http"
    log.info(
        "exporter listening",
        extra={"url": f"{scheme}://{settings.host}:{server.server_port}/metrics"},
    )
    return server, thread
