"""Hand-made runs for store tests: finite metrics m0.. in one or more scopes, regions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from collectors.result import MetricValue, RegionValue, RunResult

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def run(
    version: str,
    index: int,
    *,
    status: str = "ok",
    subject: str = "gan",
    kind: str = "generator",
    fingerprint: str = "fp",
    minute: int = 0,
    n_metrics: int = 50,
    n_regions: int = 3,
    offset: float = 0.0,
    scopes: Sequence[str] = ("reference",),
) -> RunResult:
    """A run with ``n_metrics`` finite metrics m0.. per scope (metric i of the s-th scope is
    i + offset + s / 4) and ``n_regions`` regions, started ``minute`` minutes after T0."""
    start = T0 + timedelta(minutes=minute)
    return RunResult(
        subject_kind=kind,  # type: ignore[arg-type]
        subject=subject,
        version=version,
        fingerprint=fingerprint,
        version_index=index,
        started_at=start,
        finished_at=start + timedelta(seconds=30),
        status=status,  # type: ignore[arg-type]
        error="boom" if status == "failed" else None,
        reference_rows=1000,
        sample_rows=500,
        metrics=[
            MetricValue(f"m{i}", scope, i + offset + 0.25 * s)
            for s, scope in enumerate(scopes)
            for i in range(n_metrics)
        ],
        regions=[RegionValue(r, 10 * (r + 1), 0.5, 1.0) for r in range(n_regions)],
    )
