"""``tailwatch_run_seconds``: the histogram of run durations, read from the store's runs.

Every recorded run (a version or snapshot measured, or failed) carries its duration; the exporter
counts them into fixed buckets by subject kind and status (bounded labels: 2 x 2 series of
buckets), so ``histogram_quantile(0.9, rate(tailwatch_run_seconds_bucket[1h]))`` gives the slow
runs and ``tailwatch_run_duration_seconds`` (a gauge) stays each subject's latest run. Being read
from the store, the counts survive restarts; runs removed by retention leave them (a counter
reset to Prometheus's ``rate``).
"""

from __future__ import annotations

from prometheus_client.core import HistogramMetricFamily

from monitor.exporter.series import BY_NAME
from monitor.store import Store

__all__ = ["RUN_SECONDS_BUCKETS", "run_duration_histogram"]

NAME = "tailwatch_run_seconds"
# Upper bounds (seconds): a small version measures in about a second, a corpus scan in minutes.
RUN_SECONDS_BUCKETS: tuple[float, ...] = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)

_QUERY = """
SELECT s.kind, r.status, count(*) AS runs, sum(r.duration_seconds) AS total,
       {buckets}
FROM runs r JOIN subjects s ON s.id = r.subject_id
GROUP BY s.kind, r.status
ORDER BY s.kind, r.status
"""


def run_duration_histogram(store: Store) -> HistogramMetricFamily:
    """The histogram family over every run in ``store`` (no samples before the first run)."""
    buckets = ", ".join(
        f"count(*) FILTER (WHERE r.duration_seconds <= ${i + 1}) AS le_{i}"
        for i in range(len(RUN_SECONDS_BUCKETS))
    )
    table = store.fetch_arrow(
        _QUERY.format(buckets=buckets), [float(b) for b in RUN_SECONDS_BUCKETS]
    ).to_pylist()
    family = HistogramMetricFamily(NAME, BY_NAME[NAME].help, labels=BY_NAME[NAME].labels)
    for row in table:
        counts = [
            (f"{bound:g}" if bound != int(bound) else f"{bound:.1f}", float(row[f"le_{i}"]))
            for i, bound in enumerate(RUN_SECONDS_BUCKETS)
        ]
        counts.append(("+Inf", float(row["runs"])))
        family.add_metric([row["kind"], row["status"]], counts, sum_value=float(row["total"]))
    return family
