"""Catalog records of the structure figures: :data:`STRUCTURE_METRICS`, defined in
:mod:`collectors.metrics.catalog` (the one list of metric names) and part of its
``GENERATOR_METRICS`` since the generator collector measures them per version
(:mod:`collectors.families.structure`). Re-exported here for the structure package's readers (a
test checks every figure :meth:`StructureReference.measure` returns has a record).
"""

from __future__ import annotations

from collectors.metrics.catalog import STRUCTURE_METRICS

__all__ = ["STRUCTURE_METRICS"]
