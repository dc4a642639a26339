"""The checks' thresholds: each declared once (:class:`Threshold`), read as one object.

A :class:`Threshold` carries its default, its constraints (as pydantic's ``Field`` takes them:
``gt``, ``ge``, ``lt``, ``le``) and its documentation. The thresholds a check reads are declared
on its record (:mod:`monitor.checks.registry`); the ones every check shares (``noise_sigmas``,
``persistence``, ``baseline_versions``) here. From this one table come :class:`CheckThresholds`
(what the rules read: ``t.coverage_share``) and the ``[generators.checks]`` settings section
(:func:`monitor.settings.check_settings_model`), so a threshold is never declared twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import FrozenInstanceError, dataclass
from typing import Any

__all__ = [
    "BASELINE_VERSIONS",
    "GENERAL",
    "NOISE_SIGMAS",
    "PERSISTENCE",
    "CheckThresholds",
    "Threshold",
    "threshold_table",
]


@dataclass(frozen=True)
class Threshold:
    """One threshold: name (the ``[generators.checks]`` key), default, constraints, doc."""

    name: str
    default: float | int
    doc: str
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None

    @property
    def type(self) -> type:
        return int if isinstance(self.default, int) else float

    def constraints(self) -> dict[str, float]:
        """The pydantic ``Field`` constraints (``gt``, ``ge``, ``lt``, ``le``) that are set."""
        bounds = {"gt": self.gt, "ge": self.ge, "lt": self.lt, "le": self.le}
        return {k: v for k, v in bounds.items() if v is not None}

    def check(self, value: float) -> None:
        """ValueError naming the threshold when ``value`` breaks a constraint."""
        tests = {
            "gt": lambda b: value > b,
            "ge": lambda b: value >= b,
            "lt": lambda b: value < b,
            "le": lambda b: value <= b,
        }
        for key, bound in self.constraints().items():
            if not tests[key](bound):
                raise ValueError(f"{self.name} must be {key} {bound}, got {value!r}")


NOISE_SIGMAS = Threshold(
    "noise_sigmas",
    3.0,
    "standard deviations of the healthy version-to-version noise a figure must move by",
    ge=0,
)
PERSISTENCE = Threshold(
    "persistence",
    2,
    'versions in a row a change check must hold for "collapse suspected" (the rules use 2)',
    ge=1,
)
# The baseline: the first version, or the median of the first few (steadier against a lucky
# first draw of a noisy refit, at the cost of detection lag; benchmarks/README.md).
BASELINE_VERSIONS = Threshold(
    "baseline_versions",
    1,
    "the baseline: the median of the first this many versions (1: the first version)",
    ge=1,
    le=20,
)
GENERAL: tuple[Threshold, ...] = (NOISE_SIGMAS, PERSISTENCE, BASELINE_VERSIONS)

# name -> declaration, in declaration order; filled by monitor.checks.registry.register.
_TABLE: dict[str, Threshold] = {}


def threshold_table() -> Mapping[str, Threshold]:
    """Every declared threshold by name (the records' and the general ones)."""
    return _TABLE


def declare(threshold: Threshold) -> bool:
    """Add ``threshold`` to the table; False when it was there (the same declaration).

    Two different declarations of one name are an error: a threshold has one home.
    """
    known = _TABLE.get(threshold.name)
    if known is not None:
        if known != threshold:
            raise ValueError(f"threshold {threshold.name!r} declared twice, differently")
        return False
    _TABLE[threshold.name] = threshold
    return True


def withdraw(name: str) -> None:
    _TABLE.pop(name, None)


class _ThresholdsType(type):
    def __getattr__(cls, name: str) -> Any:
        """``CheckThresholds.coverage_share``: the declared default."""
        if name in _TABLE:
            return _TABLE[name].default
        raise AttributeError(name)


def _rebuild(values: dict[str, float | int]) -> CheckThresholds:
    return CheckThresholds(**values)


class CheckThresholds(metaclass=_ThresholdsType):
    """How far a figure must move before a version breaches (config: ``[generators.checks]``).

    One attribute per declared threshold (:func:`threshold_table`), its default unless given:
    ``CheckThresholds(coverage_share=0.8).coverage_share``. Frozen, compared by value. Values
    are not validated here (the settings section validates what users write).
    """

    __slots__ = ("_values",)
    _values: dict[str, float | int]

    def __init__(self, **values: float | int) -> None:
        unknown = sorted(set(values) - set(_TABLE))
        if unknown:
            raise TypeError(
                f"CheckThresholds() got unknown threshold(s) {unknown}; known: {sorted(_TABLE)}"
            )
        chosen = {name: values.get(name, t.default) for name, t in _TABLE.items()}
        object.__setattr__(self, "_values", chosen)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        if name in _TABLE:  # declared after this object was made
            return _TABLE[name].default
        raise AttributeError(f"no threshold {name!r}; known: {sorted(_TABLE)}")

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to threshold {name!r}")

    def as_dict(self) -> dict[str, float | int]:
        """Every threshold's value (declared ones this object predates: their defaults)."""
        return {name: getattr(self, name) for name in _TABLE}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CheckThresholds):
            return NotImplemented
        return self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.as_dict().items())))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"CheckThresholds({inner})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (dict(self._values),))
