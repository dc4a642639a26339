"""Healthy real-vs-real levels as the checks read them: one type, defined in collectors
(:class:`collectors.healthy.HealthyLevels`, a ``dict`` of levels carrying ``spread``, ``meta``,
``reliable`` and ``repeated_rows``) and re-exported here and by :mod:`monitor.checks`."""

from __future__ import annotations

from collectors.healthy import HealthyLevels

__all__ = ["HealthyLevels"]
