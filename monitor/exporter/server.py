"""The Prometheus exporter: a custom collector over the store, served with optional TLS and auth.

Gauges come from the stored history on every scrape (cached until the next committed write), so
they are right after a restart and never show half a run. Series names, types and labels are
defined once in :mod:`monitor.exporter.series`. The exposition is prometheus-client's own
(``make_wsgi_app``); the server around it adds what the client library does not offer:

- a worker thread per connection from a bounded pool, with the TLS handshake done there under a
  timeout (never in ``accept()``), a deadline for the whole request and a bound on connections
  per client address (:mod:`monitor.exporter.http`), so silent or slow clients cannot hold up
  scrapes or probes;
- HTTP basic auth (the maintainers declined it) on everything but the probes;
- ``/-/healthy`` (the process serves HTTP) and ``/-/ready`` (the store is usable and Tailwatch's
  own storage is not failing), unauthenticated by design and saying nothing sensitive;
- ``/api/status``, a read-only JSON document built once per published state (a committed write
  or a change of the scans' state), not per request; without auth it hides absolute paths and
  error texts unless ``status_details`` is set;
- ``/runbooks/`` and ``/runbooks/<alert>``: the runbooks that ship with the package
  (:mod:`monitor.runbooks`), unauthenticated like the probes: the alerts' ``runbook_url`` must
  open for whoever is paged, and they hold nothing about the monitored data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import math
import os
import platform
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
from prometheus_client import GCCollector, PlatformCollector, ProcessCollector, make_wsgi_app
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import CollectorRegistry

from monitor import __version__
from monitor.checks import (
    DECLINE_METRICS,
    CheckThresholds,
    declining_versions,
    evaluate_checks,
    generator_verdict,
)
from monitor.exporter.durations import run_duration_histogram
from monitor.exporter.http import ExporterServer
from monitor.exporter.series import (
    BY_NAME,
    CORPUS_FIGURES,
    FEATURE_STATISTICS,
    RELATIVE_METRICS,
    TAIL_SIDES,
    VERDICTS,
    generator_series,
    healthy_series,
    relative_series,
)
from monitor.runbooks import load_runbooks
from monitor.settings import ExporterSettings, Settings
from monitor.status import status_document
from monitor.store import (
    FAILED_FIGURES,
    Store,
    SyntheticRegistry,
    latest_run,
    version_figures,
)
from monitor.watch import ScanState

__all__ = [
    "DaemonHealth",
    "ExporterError",
    "ExporterServer",
    "FeatureGauges",
    "PublishedStatus",
    "StoreCollector",
    "feature_gauges",
    "serve",
]
PROBES = ("/-/healthy", "/-/ready", "/healthz")  # never behind basic auth
RUNBOOKS = "/runbooks/"  # the runbooks that ship with the package: never behind basic auth

log = logging.getLogger("tailwatch.exporter")


@dataclass(frozen=True)
class DaemonHealth:
    """Readiness and the read copy's cost, as the daemon reports them."""

    ready: bool = True
    reason: str | None = None  # short and without paths: /-/ready shows it to anyone
    store_errors: int = 0
    read_copy_publishes: int = 0
    read_copy_bytes: int = 0
    read_copy_seconds: float | None = None
    read_copy_published_unix: float | None = None


@dataclass(frozen=True)
class FeatureGauges:
    """Which columns of a generator get per-feature gauges: ``columns`` when configured
    (``monitored_columns``), else the latest version's ``top`` columns by drift. Either way the
    ``feature`` label takes a bounded set of values, whatever the width of the data."""

    columns: tuple[str, ...] | None = None
    top: int = 10

    def choose(self, per_feature: dict[str, dict[str, float]]) -> list[tuple[str, str, float]]:
        """(column, statistic, drift) of the chosen columns, worst first for the top N."""
        drift = {}
        for column, values in per_feature.items():
            for statistic in FEATURE_STATISTICS:
                value = values.get(statistic)
                if value is not None and math.isfinite(value):
                    drift[column] = (statistic, float(value))
                    break
        if self.columns is not None:
            chosen = [column for column in self.columns if column in drift]
        else:
            chosen = sorted(drift, key=lambda c: (-drift[c][1], c))[: self.top]
        return [(column, *drift[column]) for column in chosen]


def feature_gauges(settings: Settings) -> Callable[[str], FeatureGauges]:
    """Each configured generator's per-feature gauge selection (the default for others)."""
    by_name = {
        g.name: FeatureGauges(
            None if g.monitored_columns is None else tuple(g.monitored_columns),
            g.top_drifting_columns,
        )
        for g in settings.generators
    }
    return lambda name: by_name.get(name, FeatureGauges())


class ExporterError(RuntimeError):
    """The exporter cannot start; the message names the address or file at fault."""


class _Families:
    """Builds metric families by name, from the one list of exported series."""

    def __init__(self) -> None:
        self._families: dict[str, CounterMetricFamily | GaugeMetricFamily | InfoMetricFamily] = {}

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
        if isinstance(family, InfoMetricFamily):  # series.type == "info"
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
        health: Callable[[], DaemonHealth] = DaemonHealth,
        features: Callable[[str], FeatureGauges] = lambda _name: FeatureGauges(),
    ) -> None:
        self.store = store
        self.scans = scans
        self.thresholds = thresholds
        self.health = health
        self.features = features
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
        health = self.health()
        families.add("tailwatch_ready", (), health.ready)
        families.add("tailwatch_store_errors_total", (), health.store_errors)
        families.add("tailwatch_read_copy_publishes_total", (), health.read_copy_publishes)
        families.add("tailwatch_read_copy_written_bytes_total", (), health.read_copy_bytes)
        if health.read_copy_seconds is not None:
            families.add("tailwatch_read_copy_duration_seconds", (), health.read_copy_seconds)
        if health.read_copy_published_unix is not None:
            families.add(
                "tailwatch_read_copy_last_publish_timestamp_seconds",
                (),
                health.read_copy_published_unix,
            )
        families.add(
            "tailwatch_build_info",
            (__version__, platform.python_version(), duckdb.__version__),
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
        return [*families.all(), run_duration_histogram(self.store)]

    def _failed_figures(
        self, families: _Families, kind: str, name: str, run_id: int
    ) -> list[tuple[str, str]]:
        """(metric, scope) of the figures the latest run could not compute; counted per subject."""
        details = self.store.run_details(kind, name, FAILED_FIGURES)
        rows = details[details["run_id"] == run_id]["content"]
        failed = [(f["metric"], f["scope"]) for text in rows for f in json.loads(text)]
        families.add("tailwatch_failed_figures", (kind, name), len(failed))
        return failed

    def _generator(self, families: _Families, name: str, version: str, measured: int) -> None:
        g = (name,)
        history = self.store.history("generator", name)
        latest = latest_run(history)
        if latest is None:
            return
        for metric, value in latest.figures("reference").items():
            if generator_series(metric) in BY_NAME:
                families.add(generator_series(metric), g, value)
        for metric, value in latest.figures("healthy").items():
            if healthy_series(metric) in BY_NAME:
                families.add(healthy_series(metric), g, value)
        for anchor in ("baseline", "previous"):
            for metric, value in latest.figures(anchor).items():
                if metric in RELATIVE_METRICS:
                    families.add(relative_series(metric, anchor), g, value)
        for metric, scope in self._failed_figures(families, "generator", name, latest.run_id):
            # NaN, not absent: the figure was due and could not be computed (reason in status)
            if scope == "reference" and generator_series(metric) in BY_NAME:
                families.add(generator_series(metric), g, math.nan)
        families.add("tailwatch_generator_version_info", (name, version), 1)
        families.add("tailwatch_generator_version_index", g, latest.version_index)
        families.add("tailwatch_generator_versions_measured", g, measured)
        regions = self.store.regions_history("generator", name)
        for row in regions[regions["run_id"] == latest.run_id].itertuples():
            if not pd.isna(row.coverage):
                families.add(
                    "tailwatch_generator_region_coverage", (name, str(row.region)), row.coverage
                )
        versions, healthy = version_figures(history)
        thresholds = self.thresholds(name)
        results = evaluate_checks(versions, healthy, thresholds)
        for check in results:
            families.add(
                "tailwatch_generator_check_breach_versions", (name, check.check), check.streak
            )
            if check.limit is not None:
                families.add("tailwatch_generator_check_limit", (name, check.check), check.limit)
            if check.value is not None:
                families.add("tailwatch_generator_check_value", (name, check.check), check.value)
        level = generator_verdict(results, thresholds).level.replace(" ", "_")
        for state in VERDICTS:
            families.add("tailwatch_generator_verdict", (name, state), int(state == level))
        for metric in DECLINE_METRICS:
            families.add(
                "tailwatch_generator_declining_versions",
                (name, metric),
                declining_versions(versions, metric),
            )
        per_feature = {k: dict(v) for k, v in versions[-1].per_feature.items()} if versions else {}
        for column, statistic, drift in self.features(name).choose(per_feature):
            families.add("tailwatch_generator_feature_drift", (name, column, statistic), drift)
            for side in TAIL_SIDES:
                ratio = per_feature[column].get(f"tail_frequency_ratio_{side}")
                if ratio is not None and math.isfinite(ratio):
                    families.add(
                        "tailwatch_generator_feature_tail_frequency_ratio",
                        (name, column, side),
                        ratio,
                    )

    def _corpus(self, families: _Families, name: str, snapshot: str) -> None:
        latest = self.store.latest_run("corpus", name)
        if latest is None:
            return
        for metric, scope in self._failed_figures(families, "corpus", name, latest.run_id):
            if scope == "snapshot" and metric in CORPUS_FIGURES:
                families.add(f"tailwatch_corpus_{metric}", (name,), math.nan)
        for metric, value in latest.figures("snapshot").items():
            if metric in CORPUS_FIGURES:
                families.add(f"tailwatch_corpus_{metric}", (name,), value)
        for scope, figures in latest.scopes.items():
            if scope.startswith("provenance:") and "rows" in figures:
                label = scope.removeprefix("provenance:")
                families.add("tailwatch_corpus_provenance_rows", (name, label), figures["rows"])
        families.add("tailwatch_corpus_snapshot_info", (name, snapshot), 1)


# -- HTTP -------------------------------------------------------------------------------------


def _authorised(environ: dict[str, Any], username: str, password_sha256: str) -> bool:
    header = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        user, password = "", ""
    digest = hashlib.sha256(password.encode("utf-8")).hexdigest()
    return hmac.compare_digest(user.encode(), username.encode()) & hmac.compare_digest(
        digest, password_sha256
    )


def _basic_auth(app: Callable, username: str, password_sha256: str) -> Callable:
    """Wrap ``app`` so that every request but the probes needs HTTP basic auth."""

    def guarded(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        public = path in PROBES or path == RUNBOOKS.rstrip("/") or path.startswith(RUNBOOKS)
        if public or _authorised(environ, username, password_sha256):
            return app(environ, start_response)
        start_response(
            "401 Unauthorized",
            [("WWW-Authenticate", 'Basic realm="tailwatch"'), ("Content-Type", "text/plain")],
        )
        return [b"authentication required\n"]

    return guarded


_HIDDEN = "hidden (set exporter.status_details to show error texts)"


def _redacted(document: dict[str, Any]) -> dict[str, Any]:
    """The status document without absolute paths or error texts."""
    document["store"] = os.path.basename(str(document.get("store", "")))
    for subject in document.get("subjects", []):
        for key in ("last_error", "storage_error"):
            if subject.get(key):
                subject[key] = _HIDDEN
    return document


class PublishedStatus:
    """``/api/status`` served from the published state, not recomputed per request.

    The document (every generator's checks over its history: ~50 ms) is built once per state: a
    committed write of the store, a change of the scans' state or of the daemon's health. Requests
    in between get the same bytes (~as cheap as ``/metrics``' cached families); concurrent requests
    after a change wait for one build instead of each building it.
    """

    def __init__(
        self,
        store: Store,
        scans: Callable[[], list[ScanState]],
        health: Callable[[], DaemonHealth],
        thresholds: Callable[[str], CheckThresholds],
        details: bool,
    ) -> None:
        self.store = store
        self.scans = scans
        self.health = health
        self.thresholds = thresholds
        self.details = details
        self._lock = threading.Lock()
        self._cached: tuple[tuple[Any, ...], bytes] | None = None
        self.builds = 0  # how many times the document was built (tests read it)

    def body(self) -> bytes:
        """The JSON document of the current state; raises ``duckdb.Error`` (never cached)."""
        states = tuple(self.scans())
        current = self.health()
        key = (self.store.generation, states, current)
        with self._lock:
            if self._cached is None or self._cached[0] != key:
                document = self._build(list(states), current)
                self._cached = (key, json.dumps(document, indent=2).encode())
                self.builds += 1
            return self._cached[1]

    def _build(self, states: list[ScanState], current: DaemonHealth) -> dict[str, Any]:
        document = status_document(self.store, states, self.thresholds)
        by_subject = {(s.kind, s.subject): s for s in states}
        for subject in document["subjects"]:
            state = by_subject.get((subject["kind"], subject["name"]))
            if state is not None:
                subject["store_errors"] = state.store_errors
                subject["storage_error"] = state.storage_error
        document["daemon"] = {
            "ready": current.ready,
            "reason": current.reason,
            "store_errors": current.store_errors,
            "scan_errors": sum(s.scan_errors for s in states),
            "read_copy": {
                "publishes": current.read_copy_publishes,
                "written_bytes": current.read_copy_bytes,
                "last_seconds": current.read_copy_seconds,
            },
        }
        return document if self.details else _redacted(document)


def _ready(store: Store, health: Callable[[], DaemonHealth]) -> tuple[bool, str]:
    current = health()
    if not current.ready:
        return False, current.reason or "not ready"
    try:
        store.subjects()
    except Exception as error:  # what went wrong goes to the logs, not to anyone asking
        first = str(error).strip().splitlines()
        cause = f"{type(error).__name__}: {first[0]}" if first else type(error).__name__
        log.error("readiness: the store cannot be read", extra={"error": cause})
        return False, "the store cannot be read"
    return True, "ready"


def _application(
    registry: CollectorRegistry,
    store: Store,
    status: PublishedStatus,
    health: Callable[[], DaemonHealth],
) -> Callable:
    metrics_app = make_wsgi_app(registry)
    details = status.details

    def app(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/api/status":
            try:
                body = status.body()
                start_response("200 OK", [("Content-Type", "application/json")])
            except duckdb.Error as error:
                log.error("status could not read the store", extra={"error": str(error)})
                message = str(error) if details else "the store cannot be read"
                body = json.dumps({"error": message}).encode()
                start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [body]
        if path in ("/-/healthy", "/healthz"):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        if path == "/-/ready":
            ready, reason = _ready(store, health)
            code = "200 OK" if ready else "503 Service Unavailable"
            start_response(code, [("Content-Type", "text/plain")])
            return [f"{reason}\n".encode()]
        if path == RUNBOOKS.rstrip("/") or path.startswith(RUNBOOKS):
            return _runbook(path, start_response)
        if path == "/":
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [
                b"<html><head><title>Tailwatch</title></head><body><h1>Tailwatch</h1>"
                b'<p><a href="/metrics">/metrics</a> &middot; <a href="/api/status">'
                b'/api/status</a> &middot; <a href="/runbooks/">/runbooks/</a></p></body></html>'
            ]
        return metrics_app(environ, start_response)

    return app


def _runbook(path: str, start_response: Callable) -> Iterable[bytes]:
    """``/runbooks/``: every runbook; ``/runbooks/<alert>``: its section (404 when unknown)."""
    headers = [("Content-Type", "text/html; charset=utf-8")]
    if path == RUNBOOKS.rstrip("/"):
        start_response("301 Moved Permanently", [("Location", RUNBOOKS)])
        return [b""]
    name = path.removeprefix(RUNBOOKS).strip("/")
    runbooks = load_runbooks()
    page = runbooks.page() if not name else runbooks.section_page(name)
    if page is None:
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [f"no runbook {name!r}; see {RUNBOOKS}\n".encode()]
    start_response("200 OK", headers)
    return [page.encode()]


def _tls_context(settings: ExporterSettings) -> ssl.SSLContext | None:
    if not (settings.tls_certfile and settings.tls_keyfile):
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.tls_certfile, settings.tls_keyfile)
    except (ssl.SSLError, OSError) as error:
        cause = getattr(error, "reason", None) or getattr(error, "strerror", None) or error
        raise ExporterError(
            f"cannot load the TLS certificate {settings.tls_certfile} with key "
            f"{settings.tls_keyfile}: {cause} (both must be PEM files, the key matching the "
            "certificate)"
        ) from error
    return context


def serve(
    settings: ExporterSettings,
    store: Store,
    *,
    scans: Callable[[], list[ScanState]] = list,
    thresholds: Callable[[str], CheckThresholds] = lambda _name: CheckThresholds(),
    health: Callable[[], DaemonHealth] = DaemonHealth,
    features: Callable[[str], FeatureGauges] = lambda _name: FeatureGauges(),
) -> tuple[ExporterServer, threading.Thread]:
    """Start the HTTP server in a daemon thread; returns it so the caller can shut it down.

    Raises :class:`ExporterError` naming the certificate or the address when it cannot start.
    """
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        StoreCollector(store, scans=scans, thresholds=thresholds, health=health, features=features)
    )
    # prometheus-client's default collectors: process_* (CPU, memory, open files), python_info
    # and python_gc_*, as on its default registry.
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    auth = bool(settings.basic_auth_username and settings.basic_auth_password_sha256)
    status = PublishedStatus(store, scans, health, thresholds, settings.status_details or auth)
    app = _application(registry, store, status, health)
    if auth:
        assert settings.basic_auth_username and settings.basic_auth_password_sha256
        app = _basic_auth(app, settings.basic_auth_username, settings.basic_auth_password_sha256)
    tls = _tls_context(settings)
    try:
        server = ExporterServer(
            (settings.host, settings.port),
            tls,
            workers=settings.max_connections,
            handshake_timeout=settings.handshake_timeout_seconds,
            read_timeout=settings.read_timeout_seconds,
            request_timeout=settings.request_timeout_seconds,
            per_client=settings.max_connections_per_client,
        )
    except OSError as error:
        raise ExporterError(
            f"cannot listen on {settings.host}:{settings.port}: {error.strerror or error}"
        ) from error
    server.set_app(app)
    thread = threading.Thread(target=server.serve_forever, name="tailwatch-exporter", daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    log.info(
        "exporter listening",
        extra={"url": f"{scheme}://{settings.host}:{server.server_port}/metrics"},
    )
    return server, thread
