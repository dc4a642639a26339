"""Table cells shared by the report's sections (structure, sequences): a finite number or a share,
or a dash."""

from __future__ import annotations

import math

__all__ = ["Table", "number", "share"]

# A section's table: its title, its column headers and its rows of formatted cells.
Table = tuple[str, tuple[str, ...], list[list[str]]]


def _finite(value: object) -> bool:
    return value is not None and isinstance(value, int | float) and math.isfinite(value)


def number(value: object, digits: int = 3) -> str:
    """``value`` to ``digits`` decimals; a dash for a missing, non-numeric or non-finite one."""
    return f"{value:.{digits}f}" if _finite(value) else "–"


def share(value: object) -> str:
    """``value`` as a percentage with one decimal; a dash as :func:`number` gives one."""
    return f"{value:.1%}" if _finite(value) else "–"
