"""The corpus figures' SQL, written once: named fragments used by the exact DuckDB scan
(:mod:`collectors.corpus.figures`), the sampled scan (:mod:`collectors.corpus.sampling`) and the
Ray engine's merge (:mod:`collectors.corpus.ray_scan`).

Every fragment reads a :class:`Counted` relation: rows (one per snapshot row, counted with
``count(*)``) or partial counts (a ``rows`` column, counted with ``sum(rows)``), with the columns
of the scan's fingerprint table: ``fingerprint``, ``_tw_label`` (0 human, 1 synthetic,
2 unknown), ``_tw_raw`` (an unrecognised raw label), ``_tw_generator``, ``_tw_version``. So the
grouping, ordering and ties of every list are the same whichever path counted them.

Definitions (see :mod:`collectors.corpus.scan`): a leak fingerprint is one the registry holds
with no ``known_human`` entry; a leaked row is a row not labelled synthetic whose fingerprint is
a leak, counted under every generator that registered it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from collectors.corpus.settings import CODES, CorpusSettings

__all__ = [
    "MAX_LISTED",
    "NOT_SYNTHETIC",
    "Counted",
    "Counts",
    "count",
    "generators",
    "label_counts",
    "leak_fingerprints",
    "leaked_by_generator",
    "leaked_rows",
    "not_synthetic",
    "registry_generators",
    "unrecognised",
    "unrecognised_rows",
]

MAX_LISTED = 10  # unrecognised labels listed
NOT_SYNTHETIC = f"_tw_label <> {CODES['synthetic']}"  # rows where a leak can hide


@dataclass(frozen=True)
class Counted:
    """A relation of the fingerprint table's columns and how its rows are counted."""

    relation: str  # a table name or a parenthesised SELECT
    count: str = "count(*)"  # partial counts: "sum(rows)"

    def where(self, condition: str) -> Counted:
        """The same rows restricted by ``condition``."""
        return Counted(f"(SELECT * FROM {self.relation} WHERE {condition})", self.count)


def leak_fingerprints(registry: str) -> str:
    """The registry's leak fingerprints: registered with no ``known_human`` entry."""
    return (
        f"(SELECT fingerprint FROM {registry} GROUP BY fingerprint "
        "HAVING NOT bool_or(coalesce(known_human, false)))"
    )


def registry_generators(registry: str) -> str:
    """Each registered fingerprint with each generator that registered it (as text)."""
    return f"(SELECT DISTINCT fingerprint, CAST(generator AS VARCHAR) AS generator FROM {registry})"


def not_synthetic(rows: Counted) -> Counted:
    """The rows not labelled synthetic (where a leak can hide)."""
    return rows.where(NOT_SYNTHETIC)


def label_counts(rows: Counted) -> str:
    """Rows by label code."""
    return f"SELECT _tw_label, {rows.count} FROM {rows.relation} GROUP BY 1"


def unrecognised(rows: Counted) -> str:
    """The :data:`MAX_LISTED` most frequent unrecognised raw labels (ties by name)."""
    return (
        f"SELECT _tw_raw, {rows.count} FROM {rows.relation} WHERE _tw_raw IS NOT NULL "
        f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {MAX_LISTED}"
    )


def unrecognised_rows(rows: Counted) -> str:
    """Rows whose raw label is unrecognised (NULL included)."""
    return f"SELECT {rows.count} FROM {rows.relation} WHERE _tw_raw IS NOT NULL"


def generators(rows: Counted, settings: CorpusSettings) -> str:
    """Rows by (generator, version), the ``max_generators`` largest (ties by name)."""
    return (
        f"SELECT _tw_generator, _tw_version, {rows.count} FROM {rows.relation} "
        f"WHERE _tw_generator IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 "
        f"LIMIT {int(settings.max_generators)}"
    )


def leaked_rows(candidates: Counted, registry: str) -> str:
    """Rows of ``candidates`` (rows not labelled synthetic) whose fingerprint is a leak."""
    return (
        f"SELECT {candidates.count} FROM {candidates.relation} t "
        f"SEMI JOIN {leak_fingerprints(registry)} l USING (fingerprint)"
    )


def leaked_by_generator(candidates: Counted, registry: str) -> str:
    """Leaked rows of ``candidates`` by generator of origin (ties by name)."""
    return (
        f"SELECT r.generator, {candidates.count} FROM {candidates.relation} t "
        f"SEMI JOIN {leak_fingerprints(registry)} l USING (fingerprint) "
        f"JOIN {registry_generators(registry)} r ON r.fingerprint = t.fingerprint "
        "GROUP BY 1 ORDER BY 2 DESC, 1"
    )


@dataclass(frozen=True)
class Counts:
    """What a snapshot's figures are computed from, however it was counted (or sampled)."""

    labels: dict[str, int]  # rows by label name (human, synthetic, unknown)
    leaked: int
    leaked_by_generator: list[tuple[Any, Any]]
    unrecognised_rows: int
    unrecognised: list[tuple[Any, Any]]
    generators: list[tuple[Any, Any, Any]]

    @property
    def rows(self) -> int:
        return sum(self.labels.values())


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    value = connection.execute(sql).fetchall()[0][0]
    return int(value or 0)


def count(
    connection: duckdb.DuckDBPyConnection,
    rows: Counted,
    registry: str,
    settings: CorpusSettings,
    *,
    labels: Counted | None = None,
    raw: Counted | None = None,
    by_generator: Counted | None = None,
    candidates: Counted | None = None,
    leaks: tuple[int, list[tuple[Any, Any]]] | None = None,
) -> Counts:
    """The :class:`Counts` of ``rows`` (a table of a row per snapshot row). The Ray merge, whose
    partials hold each count in its own part, names the relation of each (``labels``, ``raw``,
    ``by_generator``, ``candidates``: rows not labelled synthetic), and passes ``leaks`` (leaked
    rows, by generator) when the workers counted them."""
    labels, raw, by_generator = labels or rows, raw or rows, by_generator or rows
    candidates = candidates or not_synthetic(rows)
    by_label = dict(connection.execute(label_counts(labels)).fetchall())
    if leaks is None:
        leaks = (
            _scalar(connection, leaked_rows(candidates, registry)),
            connection.execute(leaked_by_generator(candidates, registry)).fetchall(),
        )
    return Counts(
        labels={name: int(by_label.get(code, 0)) for name, code in CODES.items()},
        leaked=leaks[0],
        leaked_by_generator=leaks[1],
        unrecognised_rows=_scalar(connection, unrecognised_rows(raw)),
        unrecognised=connection.execute(unrecognised(raw)).fetchall(),
        generators=connection.execute(generators(by_generator, settings)).fetchall(),
    )
