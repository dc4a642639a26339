"""The row-count and sample-size constraints of a fitted reference, declared once.

Every k-NN figure needs each point to have ``k`` other points of its own set (Naeem et al. 2020:
the radius of a point is the distance to its k-th nearest other point), so the reference, the
holdout, every version and every configured sample must hold more than ``k`` rows. The settings
(``monitor.settings``), the recipe (:mod:`collectors.recipe`), the daemon and the facade all check
through these functions, so the rule and its messages live here only. Light: no heavy imports.
"""

from __future__ import annotations

__all__ = ["check_k", "check_reference_rows", "check_sample_size", "check_version_rows"]


def check_k(k: object) -> int:
    """``k`` as an int (ValueError unless a positive integer)."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    return k


def check_sample_size(size: int | None, k: int, what: str = "sample_size") -> None:
    """A configured sample size (rows per version, or of the reference) must exceed ``k``."""
    if size is None:
        return
    if isinstance(size, bool) or not isinstance(size, int) or size < 2:
        raise ValueError(f"{what} must be an integer of at least 2, got {size!r}")
    if size <= k:
        raise ValueError(f"{what} ({size}) must be > k ({k})")


def check_reference_rows(reference: int, holdout: int, k: int, label: str | None = None) -> None:
    """The reference and the holdout must each hold more than ``k`` rows."""
    if reference <= k or holdout <= k:
        where = f"{label}: " if label else ""
        raise ValueError(
            f"{where}{reference} reference and {holdout} holdout rows; both must be more than "
            f"k = {k}"
        )


def check_version_rows(rows: int, k: int, label: str) -> None:
    """A version's sample must hold more than ``k`` rows; ``label`` names the version."""
    if rows <= k:
        raise ValueError(f"{label}: {rows} rows; need more than k = {k}")
