"""Table cells shared by the report's sections (structure, sequences): a finite number or a dash."""

from __future__ import annotations

import math

__all__ = ["Table", "number"]

# A section's table: its title, its column headers and its rows of formatted cells.
Table = tuple[str, tuple[str, ...], list[list[str]]]


def number(value: object, digits: int = 3) -> str:
    """``value`` to ``digits`` decimals; a dash for a missing, non-numeric or non-finite one."""
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return "–"
    return f"{value:.{digits}f}"
