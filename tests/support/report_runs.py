"""Builders shared by the tests (moved from tests/monitor/report/test_checks_section.py); no test
module imports another."""

from __future__ import annotations

from collectors.result import MetricValue, RunResult
from tests.support.report_histories import synthetic_run

HEALTHY = {"coverage": 0.97, "recall": 0.95, "precision": 0.96, "density": 1.0,
           "authenticity": 0.5, "categories_lost": 0.0, "rare_category_mass": 0.006}  # fmt: skip


def _run(name: str, index: int, *, precision: float = 0.95, lost: float = 0.0) -> RunResult:
    figures = {**HEALTHY, "precision": precision, "categories_lost": lost,
               "rare_category_mass": 0.006 - index / 2000}  # fmt: skip
    run = synthetic_run(name, f"v{index}", index, figures, HEALTHY)
    run.metrics.append(MetricValue("categories_lost", "feature:segment", lost))
    return run
