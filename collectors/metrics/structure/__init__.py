"""Structure fidelity: the joint and conditional structure a version keeps or breaks while every
marginal holds (issue 23). Pure functions: frames/arrays in, numbers out, no I/O.

- :mod:`.pairs`: pair dependence across types (Spearman, bias-corrected Cramér's V, eta);
- :mod:`.detection`: the classifier two-sample test (C2ST, detection AUC);
- :mod:`.categories`: a binomial test of every category's share;
- :mod:`.conditional`: per-column predictive audits (interaction loss, permutation importance);
- :mod:`.classes`: label-conditional coverage and recall;
- :mod:`.boundary`: coverage of the real rows near the target's decision boundary;
- :mod:`.measure`: all of them for one version against a prepared reference, and their healthy
  (real-vs-real) levels at the version's size.
"""

from collectors.metrics.structure.boundary import boundary_coverage, probe_margin, uncertain_rows
from collectors.metrics.structure.categories import (
    CategoryShare,
    CategoryShares,
    CategoryShift,
    category_share_shift,
    category_shares,
)
from collectors.metrics.structure.classes import ClassCoverage, class_coverage, class_figures
from collectors.metrics.structure.conditional import (
    ColumnAudit,
    TargetScreen,
    audit_column,
    screen_targets,
)
from collectors.metrics.structure.detection import DetectionResult, detection_auc
from collectors.metrics.structure.measure import (
    StructureHealthy,
    StructureMeasurement,
    StructureReference,
    structure_healthy,
)
from collectors.metrics.structure.pairs import (
    PairDependence,
    PairShift,
    correlation_ratio,
    cramers_v,
    pair_dependence,
    spearman,
)

__all__ = [
    "CategoryShare",
    "CategoryShares",
    "CategoryShift",
    "ClassCoverage",
    "ColumnAudit",
    "DetectionResult",
    "PairDependence",
    "PairShift",
    "StructureHealthy",
    "StructureMeasurement",
    "StructureReference",
    "TargetScreen",
    "audit_column",
    "boundary_coverage",
    "category_share_shift",
    "category_shares",
    "class_coverage",
    "class_figures",
    "correlation_ratio",
    "cramers_v",
    "detection_auc",
    "pair_dependence",
    "probe_margin",
    "screen_targets",
    "spearman",
    "structure_healthy",
    "uncertain_rows",
]
