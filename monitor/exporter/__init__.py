"""Prometheus: the one list of exported series, and the HTTP server that renders them from the
store."""

from monitor.exporter.server import (
    DaemonHealth,
    ExporterError,
    FeatureGauges,
    feature_gauges,
    serve,
)

__all__ = ["DaemonHealth", "ExporterError", "FeatureGauges", "feature_gauges", "serve"]
