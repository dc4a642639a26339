"""The facade's measurement: :mod:`monitor.measure` (frames in, version figures out).

Kept as the facade's import path; the code lives in ``monitor`` so that ``tailwatch check``
(``monitor.commands.check``) measures without importing the facade above it.
"""

from __future__ import annotations

from monitor.measure import Measured, Table, as_frame, healthy_levels, measure_versions

__all__ = ["Measured", "Table", "as_frame", "healthy_levels", "measure_versions"]
