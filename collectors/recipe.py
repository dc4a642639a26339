"""How a reference is fitted: one recipe for the daemon, ``tailwatch check`` and the facade.

:class:`ReferenceRecipe` holds the settings (k, regions, seed, sample size, healthy draws,
columns, the gates' target/task, a text generator's column and embedder) and :meth:`fit` turns
real rows into a fitted reference: the holdout split (a configured holdout, or a seeded share of
the reference, :func:`split_holdout`), the row-count constraints (:mod:`collectors.constraints`),
the feature map and distance model with the gates (:class:`collectors.generator.GeneratorReference`)
or the text reference (:class:`collectors.text.TextReference`), and the key under which its
healthy levels are cached (:mod:`collectors.healthy_cache`).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, replace

import pandas as pd

from collectors.constraints import (
    check_k,
    check_reference_rows,
    check_sample_size,
    check_version_rows,
)
from collectors.families import FamilyBuilder
from collectors.families.sequences import sequence_family
from collectors.families.structure import StructureOptions, structure_family
from collectors.gates import Task
from collectors.gates.mixing import MixingPlan
from collectors.generator import GeneratorReference
from collectors.healthy import HEALTHY_DRAWS, HealthyCache
from collectors.healthy_cache import code_version, frame_fingerprint
from collectors.sources.entities import (
    check_sequence_columns,
    drop_missing_keys,
    entity_count,
    split_entities,
)
from collectors.text import TOKEN_BUDGET, TextReference

__all__ = [
    "HOLDOUT_MAX_SHARE",
    "HOLDOUT_SHARE",
    "FittedReference",
    "ReferenceRecipe",
    "forget_fitted",
    "holdout_rows",
    "split_holdout",
]

HOLDOUT_SHARE = 0.2  # of the reference, held out for the healthy levels when none is configured
HOLDOUT_MAX_SHARE = 0.5  # ... or up to half of it, so that the holdout holds a version's rows
MEMO_SIZE = 1  # fitted references kept per process by ReferenceRecipe.fit(memo=True)


def holdout_rows(rows: int, sample_size: int) -> int:
    """Rows held out of a reference of ``rows`` when no holdout is configured.

    At least ``HOLDOUT_SHARE`` of it, and as many as a version's ``sample_size`` up to
    ``HOLDOUT_MAX_SHARE``: healthy levels are measured at the versions' size, without repeated
    rows where the holdout is that large (:class:`collectors.healthy.HealthyLevels`).
    """
    wanted = min(max(sample_size, HOLDOUT_SHARE * rows), HOLDOUT_MAX_SHARE * rows)
    return round(wanted)


def split_holdout(
    rows: pd.DataFrame, sample_size: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference, holdout): a seeded shuffle of ``rows`` with :func:`holdout_rows` held out."""
    shuffled = rows.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    cut = holdout_rows(len(shuffled), sample_size)
    return shuffled.iloc[cut:].reset_index(drop=True), shuffled.iloc[:cut]


@dataclass(frozen=True)
class FittedReference:
    """A fitted reference and the real rows it was fitted on (after the holdout split)."""

    model: GeneratorReference | TextReference
    reference: pd.DataFrame
    holdout: pd.DataFrame
    # Sequences: rows of the reference / holdout left out for a missing entity or time, one
    # line each (collectors.sources.entities.MissingKeys.note); empty otherwise.
    notes: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return len(self.reference)

    @property
    def input_columns(self) -> list[str]:
        """The columns a version must hold (the text column of a text generator)."""
        if isinstance(self.model, TextReference):
            return self.model.input_columns
        return list(self.model.feature_map.input_columns)


_MEMO: OrderedDict[str, FittedReference] = OrderedDict()


def forget_fitted() -> None:
    """Drop the fitted references kept by :meth:`ReferenceRecipe.fit` (``memo=True``)."""
    _MEMO.clear()


@dataclass(frozen=True)
class ReferenceRecipe:
    """The settings a reference is fitted with; the constraints are checked on construction."""

    k: int = 5
    regions: int = 20
    seed: int = 0
    sample_size: int | None = None  # rows per version: sizes the holdout split and the levels
    healthy_draws: int = HEALTHY_DRAWS
    columns: tuple[str, ...] | None = None
    categorical: tuple[str, ...] = ()
    target: str | None = None  # the utility probe's target column (collectors.gates)
    task: Task | None = None
    text_column: str | None = None  # measured as text (collectors.text)
    embedder: str | None = None
    token_budget: int = TOKEN_BUDGET
    gates: bool = True  # membership attack and per-sample verdicts, as the daemon
    # Optional figure families (collectors.families); None switches one off.
    structure: StructureOptions | None = field(default_factory=StructureOptions)  # issue 23
    # The mixing sweep of versions with a target (issue 29, collectors.gates.mixing); None: off.
    mixing: MixingPlan | None = field(default_factory=MixingPlan)
    # Sequences (issue 28): rows are events of entities in this column, ordered by time_column;
    # the holdout, the versions and the healthy draws take whole entities (sample_size counts
    # entities; collectors.sources.entities).
    entity_column: str | None = None
    time_column: str | None = None

    def __post_init__(self) -> None:
        check_k(self.k)
        check_sample_size(self.sample_size, self.k)
        if self.columns is not None:
            object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "categorical", tuple(self.categorical or ()))
        if self.text_column is not None and (self.categorical or self.target is not None):
            raise ValueError("a text generator ('text_column') takes no 'categorical' or 'target'")
        if self.time_column is not None and self.entity_column is None:
            raise ValueError(f"time_column {self.time_column!r} needs an 'entity_column'")
        if self.entity_column is not None and self.text_column is not None:
            raise ValueError("a text generator ('text_column') takes no 'entity_column'")
        if self.entity_column is not None and self.entity_column == self.time_column:
            raise ValueError(f"entity_column and time_column are both {self.entity_column!r}")

    def split(
        self, reference: pd.DataFrame, holdout: pd.DataFrame | None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(reference, holdout): the holdout given, else a seeded share of the reference (of its
        entities, whole, for sequences: :func:`collectors.sources.entities.split_entities`)."""
        if holdout is not None:
            return reference, holdout
        size = self.sample_size if self.sample_size is not None else 0
        if self.entity_column is not None:
            check_sequence_columns(reference, self.entity_column, self.time_column, "reference")
            held = holdout_rows(entity_count(reference, self.entity_column), size)
            return split_entities(reference, self.entity_column, held, self.seed)
        return split_holdout(reference, size, self.seed)

    def families(self) -> tuple[FamilyBuilder, ...]:
        """Builders of the optional figure families these settings switch on."""
        builders: list[FamilyBuilder] = []
        # Structure figures are per row; a sequence generator's levels are keyed by entities.
        if self.structure is not None and self.entity_column is None:
            builders.append(structure_family(self.structure))
        if self.entity_column is not None and self.time_column is not None:  # issue 28
            builders.append(sequence_family(self.entity_column, self.time_column))
        return tuple(builders)

    def check_version(self, rows: int, label: str) -> None:
        """A version's sample holds more than ``k`` rows (ValueError naming ``label``)."""
        check_version_rows(rows, self.k, label)

    def key(
        self,
        reference: pd.DataFrame,
        holdout: pd.DataFrame,
        training: pd.DataFrame | None = None,
    ) -> str:
        """Content fingerprint of everything the healthy levels depend on but the size."""
        settings = asdict(self)
        parts = [
            frame_fingerprint(reference),
            frame_fingerprint(holdout),
            frame_fingerprint(training),
            json.dumps(settings, sort_keys=True, default=str),
            code_version(),
        ]
        return hashlib.sha256("/".join(parts).encode()).hexdigest()

    def fit(
        self,
        reference: pd.DataFrame,
        *,
        holdout: pd.DataFrame | None = None,
        training: pd.DataFrame | None = None,
        label: str | None = None,
        cache: HealthyCache | None = None,
        memo: bool = False,
    ) -> FittedReference:
        """Split, check and fit ``reference`` (``label`` names it in errors).

        ``cache``: where healthy levels are loaded from and saved to (none: measured each time).
        ``memo``: keep the fitted reference in this process (the last ``MEMO_SIZE`` ones, by
        :meth:`key`) and return it again for the same inputs: a notebook or a CI job evaluating
        version after version against one reference fits it once. The key covers the content,
        settings and code, so a memoized reference is the one this call would fit.
        """
        notes: list[str] = []
        if self.entity_column is not None:  # rows without a key: left out and counted
            where = label or "reference"
            reference, missing = drop_missing_keys(
                reference, self.entity_column, self.time_column, where
            )
            notes += [missing.note()] if missing.dropped else []
            if holdout is not None:
                holdout, missing = drop_missing_keys(
                    holdout, self.entity_column, self.time_column, f"holdout of {where}"
                )
                notes += [missing.note()] if missing.dropped else []
        reference, held = self.split(reference, holdout)
        check_reference_rows(len(reference), len(held), self.k, label)
        key = self.key(reference, held, training) if cache is not None or memo else None
        if memo and key is not None and key in _MEMO:
            _MEMO.move_to_end(key)
            fitted = _MEMO[key]
            fitted.model.healthy_cache = cache
            return replace(fitted, notes=tuple(notes))  # this call's rows left out
        n_regions = min(self.regions, len(reference))
        model: GeneratorReference | TextReference
        if self.text_column is not None:
            model = TextReference(
                reference,
                holdout=held,
                text_column=self.text_column,
                k=self.k,
                n_regions=n_regions,
                seed=self.seed,
                sample_size=self.sample_size,
                healthy_draws=self.healthy_draws,
                embedder=self.embedder,
                token_budget=self.token_budget,
                healthy_cache=cache,
                healthy_key=key,
            )
        else:
            model = GeneratorReference(
                reference,
                holdout=held,
                gates=self.gates,
                target=self.target,
                task=self.task,
                training=training,
                columns=list(self.columns) if self.columns is not None else None,
                categorical=list(self.categorical) or None,
                k=self.k,
                n_regions=n_regions,
                seed=self.seed,
                sample_size=self.sample_size,
                healthy_draws=self.healthy_draws,
                healthy_cache=cache,
                healthy_key=key,
                families=self.families(),
                mixing=self.mixing,
                entity_column=self.entity_column,
                time_column=self.time_column,
            )
        fitted = FittedReference(model, reference, held, tuple(notes))
        if memo and key is not None:
            _MEMO[key] = fitted
            while len(_MEMO) > MEMO_SIZE:
                _MEMO.popitem(last=False)
        return fitted
