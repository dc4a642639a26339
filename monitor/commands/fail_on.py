"""``--fail-on``: the findings that fail ``tailwatch check`` and ``tailwatch report``, and the
error that exits 2 (the gate could not judge).

Standard library only, so that a command's parser can name them without importing the checks.
"""

from __future__ import annotations

import argparse

__all__ = ["DEFAULT_FAIL_ON", "FINDINGS", "GateError", "fail_on_argument", "parse_fail_on"]

FINDINGS = ("collapse", "privacy", "leakage", "fidelity-gap", "budget")
# Privacy fails by default as it did when it counted as collapse; ``--fail-on collapse`` gates
# on collapse alone, ``--fail-on privacy`` on privacy alone.
DEFAULT_FAIL_ON = ("collapse", "privacy", "leakage")


def parse_fail_on(text: str) -> tuple[str, ...]:
    """``"collapse,leakage"`` -> its findings; ``"none"`` -> (); an unknown name: ValueError."""
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if names == ("none",):
        return ()
    unknown = [n for n in names if n not in FINDINGS]
    if unknown or not names:
        raise ValueError(
            f"--fail-on: unknown finding(s) {unknown or [text]}; choose from "
            f"{', '.join(FINDINGS)} (comma-separated) or none"
        )
    return names


def fail_on_argument(text: str) -> tuple[str, ...]:
    """:func:`parse_fail_on` for argparse (a bad value is a usage error, exit 2)."""
    try:
        return parse_fail_on(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


class GateError(ValueError):
    """The check could not judge: bad usage or data (exit 2)."""
