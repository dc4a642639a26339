"""The check registry: one record per check, and every list of checks derived from it.

A :class:`Check` declares everything about one check: its name (a Prometheus label value), its
kind, its description, the figures it reads, what its reported value is, the thresholds it reads
(declared once, :class:`monitor.checks.thresholds.Threshold`), its rule and the alert that fires
on it (whose runbook section is ``## <alert>`` in docs/runbooks.md). :func:`register` adds a
record; from the registry come :data:`CHECKS`, :data:`GAPS`, :data:`CHECK_KINDS`, :data:`RULES`,
:data:`WATCHES` and :data:`DESCRIPTIONS` (dicts kept up to date in place, so an importer's
reference stays current), :class:`~monitor.checks.thresholds.CheckThresholds`, the settings
section (:func:`monitor.settings.check_settings_model`, rebuilt through :func:`on_change`), the
report's watch list, ``status``, JUnit cases and the rules-file test. The built-in records are in
:mod:`monitor.checks.records`; /tmp/team/CHECKS-HOWTO.md (and README) says how to add one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from monitor.checks.outcome import Rule
from monitor.checks.thresholds import GENERAL, Threshold, declare, threshold_table, withdraw

__all__ = [
    "CHECKS",
    "CHECK_KINDS",
    "DESCRIPTIONS",
    "GAPS",
    "RULES",
    "WATCHES",
    "Check",
    "Kind",
    "on_change",
    "record",
    "records",
    "register",
    "registered",
    "unregister",
]

# collapse: a change against the generator's own baseline (pages); privacy: copying or exposed
# training rows, judged from the first version on (pages, as privacy); gap: far from the healthy
# real-vs-real level (a fidelity finding: a ticket, never a page).
Kind = Literal["collapse", "privacy", "gap"]
KINDS: tuple[str, ...] = ("collapse", "privacy", "gap")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


@dataclass(frozen=True)
class Check:
    """One check, declared once.

    ``reads``: the figures (catalog metric names, per-feature figures as ``feature:<name>``)
    the rule reads; ``watches``: what the reported value is, for people (the report's
    "(coverage 0.61, limit 0.70)"); ``thresholds``: every threshold the rule reads besides the
    general ones (:data:`monitor.checks.thresholds.GENERAL`); ``alert``: the alert rule on it
    in rules/tailwatch.rules.yml (paging severity for change and privacy checks, ``info`` for
    gaps) whose runbook is the ``## <alert>`` section of docs/runbooks.md.
    """

    name: str
    kind: Kind
    description: str
    reads: tuple[str, ...]
    watches: str
    rule: Rule
    alert: str
    thresholds: tuple[Threshold, ...] = field(default=())

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"check name {self.name!r}: lower case, digits and _ (a label value)")
        if self.kind not in KINDS:
            raise ValueError(f"check {self.name}: kind {self.kind!r} is not one of {KINDS}")
        if self.kind == "gap" and not self.name.endswith("_gap"):
            raise ValueError(f"gap {self.name}: a gap's name ends in _gap (the rules select them)")
        if self.kind != "gap" and self.name.endswith("_gap"):
            raise ValueError(f"check {self.name}: only gaps end in _gap")
        if not self.alert.startswith("Tailwatch"):
            raise ValueError(f"check {self.name}: alert {self.alert!r} must start with Tailwatch")
        for t in self.thresholds:
            t.check(t.default)


_RECORDS: dict[str, Check] = {}
_OWNED: dict[str, str] = {}  # threshold name -> the first check that declared it
_LISTENERS: list[Callable[[], None]] = []

# Derived views, kept current in place (their importers hold these very objects).
CHECKS: dict[str, str] = {}  # change and privacy checks (page) -> description
GAPS: dict[str, str] = {}  # fidelity findings (tickets) -> description
CHECK_KINDS: dict[str, Kind] = {}  # every check -> kind, change checks first, gaps last
RULES: dict[str, Rule] = {}
WATCHES: dict[str, str] = {}  # every check -> what its value is
DESCRIPTIONS: dict[str, str] = {}  # every check -> description


def _derive() -> None:
    ordered = [r for r in _RECORDS.values() if r.kind != "gap"]
    ordered += [r for r in _RECORDS.values() if r.kind == "gap"]
    for view in (CHECKS, GAPS, CHECK_KINDS, RULES, WATCHES, DESCRIPTIONS):
        view.clear()
    for r in ordered:
        (GAPS if r.kind == "gap" else CHECKS)[r.name] = r.description
        CHECK_KINDS[r.name] = r.kind
        RULES[r.name] = r.rule
        WATCHES[r.name] = r.watches
        DESCRIPTIONS[r.name] = r.description
    for listener in _LISTENERS:
        listener()


def register(check: Check) -> Check:
    """Add ``check`` (its new thresholds with it); a second record of one name is an error."""
    if check.name in _RECORDS:
        raise ValueError(f"check {check.name!r} is registered already")
    known = threshold_table()
    for t in check.thresholds:
        if t.name in known and known[t.name] != t:
            raise ValueError(f"threshold {t.name!r} declared twice, differently")
    for t in check.thresholds:
        if declare(t):
            _OWNED[t.name] = check.name
    _RECORDS[check.name] = check
    _derive()
    return check


def unregister(name: str) -> None:
    """Remove a check and the thresholds it declared that no other record reads."""
    check = _RECORDS.pop(name)
    still_read = {t.name for r in _RECORDS.values() for t in r.thresholds}
    for t in check.thresholds:
        if _OWNED.get(t.name) == name and t.name not in still_read:
            _OWNED.pop(t.name)
            withdraw(t.name)
    _derive()


@contextmanager
def registered(check: Check) -> Iterator[Check]:
    """``check`` registered for the ``with`` block (tests), removed after it."""
    register(check)
    try:
        yield check
    finally:
        unregister(check.name)


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` after every registration change (the settings section rebuilds)."""
    _LISTENERS.append(listener)


def records() -> Mapping[str, Check]:
    """Every registered check by name, in registration order."""
    return _RECORDS


def record(name: str) -> Check:
    """The record of check ``name``; KeyError naming the known checks."""
    try:
        return _RECORDS[name]
    except KeyError:
        raise KeyError(f"unknown check {name!r}; known: {sorted(_RECORDS)}") from None


for _general in GENERAL:
    declare(_general)
