"""Healthy real-vs-real levels as the checks read them (one type; re-exported by
:mod:`monitor.checks`)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["HealthyLevels"]


class HealthyLevels(dict[str, float]):
    """Healthy real-vs-real levels by figure, carrying their spread and how they were measured.

    A ``dict`` so that callers that only need the levels use it as one.
    """

    def __init__(
        self,
        levels: Mapping[str, float] | None = None,
        spread: Mapping[str, float] | None = None,
        meta: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(levels or {})
        self.spread: dict[str, float] = dict(spread or {})
        self.meta: dict[str, float] = dict(meta or {})

    @property
    def reliable(self) -> bool:
        """False when the holdout was too small for the level to say anything."""
        return bool(self) and self.meta.get("healthy_reliable", 1.0) >= 1.0

    @property
    def repeated_rows(self) -> bool:
        """True when the draws repeated holdout rows (coverage and recall levels biased low)."""
        return self.meta.get("healthy_with_replacement", 0.0) >= 1.0
