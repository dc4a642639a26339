"""The outcome a rule returns: (breached, limit, value, detail) of one check at one version."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.checks.healthy import HealthyLevels
    from monitor.checks.noise import VersionFigures
    from monitor.checks.thresholds import CheckThresholds

__all__ = ["NONE", "Outcome", "Rule"]

Outcome = tuple[bool | None, float | None, float | None, str]
NONE: Outcome = (None, None, None, "")

# How a check judges one version: (current, baseline, healthy, thresholds) -> outcome.
Rule = Callable[["VersionFigures", "VersionFigures", "HealthyLevels", "CheckThresholds"], Outcome]
