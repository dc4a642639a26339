"""Prometheus: the one list of exported series, and the HTTP server that renders them from the
store."""

from monitor.exporter.server import DaemonHealth, ExporterError, serve

__all__ = ["DaemonHealth", "ExporterError", "serve"]
