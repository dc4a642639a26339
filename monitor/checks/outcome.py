"""The outcome a rule returns: (breached, limit, value, detail[, figure]) of one check at one
version."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.checks.healthy import HealthyLevels
    from monitor.checks.noise import VersionFigures
    from monitor.checks.thresholds import CheckThresholds

__all__ = ["NONE", "Outcome", "Rule"]

# (breached, limit, value, detail), or with a fifth element naming the figure that value and
# limit are when a check has several sub-tests (the one that breached).
Outcome = (
    tuple[bool | None, float | None, float | None, str]
    | tuple[bool | None, float | None, float | None, str, str]
)
NONE: Outcome = (None, None, None, "")

# How a check judges one version: (current, baseline, healthy, thresholds) -> outcome.
Rule = Callable[["VersionFigures", "VersionFigures", "HealthyLevels", "CheckThresholds"], Outcome]
