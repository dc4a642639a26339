"""OpenMP's idle threads sleep instead of spinning: configured when ``collectors`` is imported.

scikit-learn's k-means (the reference's regions) and histogram gradient boosting (the structure
family) run on OpenMP (GNU libgomp). By default an idle OpenMP thread spins at a barrier for a
while before it sleeps, which is free only when every thread has a core of its own. Tailwatch
never has that: a version's structure figures run in a worker thread beside the k-NN work, a
reference's families are fitted beside its k-means, the daemon serves scrapes beside a scan, and
CI machines and notebooks share their cores. Measured on 2 shared cores (benchmarks/README.md,
issue 26, session 10; ``python -m benchmarks.bench_openmp_wait``): k-means of 10,000 x 64 rows
took 5-6 s of CPU spinning against 1.0-1.4 s with the passive policy, 4-9x the wall time.

:func:`configure_openmp_wait` sets ``OMP_WAIT_POLICY=PASSIVE`` unless the variable is set
already (a user's choice is kept). libgomp reads it once, when it is loaded, so it must run before
scikit-learn is imported: ``collectors/__init__`` calls it. A process that imported scikit-learn
before ``collectors`` keeps libgomp's default. Only where idle threads wait changes, never what
they compute: every figure is the same.
"""

from __future__ import annotations

import os

__all__ = ["WAIT_POLICY", "configure_openmp_wait"]

WAIT_POLICY = "PASSIVE"


def configure_openmp_wait() -> str:
    """Set ``OMP_WAIT_POLICY`` to :data:`WAIT_POLICY` unless it is set; returns the value in
    use."""
    return os.environ.setdefault("OMP_WAIT_POLICY", WAIT_POLICY)
