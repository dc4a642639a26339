"""Figure keys that a collector writes and a check reads: per-feature keys that are not catalog
names (written by a figure family), and a version figure computed outside the measures.

A module of its own, free of numeric imports, so that ``monitor.checks`` (pure verdict logic,
loaded by every CLI command) reads the keys without loading the measures.
"""

from __future__ import annotations

__all__ = ["CATEGORY_SHARE_PREFIX", "IMPORTANCE_CHANGE", "MISSING_KEY_SHARE"]

# A tested category's share in a version, per categorical column: ``category_share:<category>``
# (collectors.families.structure writes it; monitor.checks.rules_structure's
# category_share_shift reads it).
CATEGORY_SHARE_PREFIX = "category_share:"

# Per feature: how much its permutation importance changed between the real-trained and the
# version-trained model of the worst audited column (interaction_loss names the features).
IMPORTANCE_CHANGE = "importance_change"

# A sequence version's share of rows without an entity or time (collectors.sources.entities
# counts them; collectors.sequences.names catalogs it; monitor.checks.rules_missing judges it).
MISSING_KEY_SHARE = "sequence_missing_key_share"
