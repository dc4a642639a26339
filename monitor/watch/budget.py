"""A corpus budget taken from a generator's evidence (issue 29).

``max_synthetic_fraction = "from:<generator>"`` in a ``[[corpora]]`` entry makes the corpus's
synthetic budget the generator's latest ``safe_synthetic_share``: the largest share of its rows a
model can take in training before its score on real rows leaves the all-real score's tolerance
(:mod:`collectors.gates.mixing`; Bertrand et al. 2024, ICLR, Thm. 1 and Gerstgrasser et al. 2024,
arXiv 2404.01413: the real share in the mix is what keeps retraining stable). The latest is the
newest ok run of the generator's newest measured version that holds the figure, read from the
store at each scan, so the budget follows the evidence from the next snapshot on.

The configuration refuses a name that is no configured generator, or one without a ``target``
(:class:`monitor.settings.Settings`). Until the generator has a safe share in the store (no
version measured yet, or none with the sweep) the budget is **0**: no synthetic share is budgeted
without evidence, so any known synthetic row exceeds it (the corpus's budget alert fires) and
:attr:`Budget.note` says why; the scan itself goes on.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.store import Store

__all__ = ["FROM", "NO_EVIDENCE_BUDGET", "Budget", "budget_generator", "resolve_budget"]

FROM = "from:"
NO_EVIDENCE_BUDGET = 0.0  # the budget while the generator has no safe share yet
FIGURE = "safe_synthetic_share"


@dataclass(frozen=True)
class Budget:
    """The budget a scan applies: ``value`` (None: no budget), the generator it came from, the
    version whose safe share it is, and a note (why it is 0, or what was read)."""

    value: float | None
    generator: str | None = None
    version: str | None = None
    note: str = ""

    @property
    def evidence(self) -> bool:
        """Whether the budget is a measured safe share (not a number from the file, not 0 for
        want of evidence)."""
        return self.version is not None


def budget_generator(value: float | str | None) -> str | None:
    """The generator named by ``"from:<generator>"``, else None."""
    if isinstance(value, str) and value.startswith(FROM):
        return value.removeprefix(FROM)
    return None


def resolve_budget(value: float | str | None, store: Store) -> Budget:
    """The budget of a corpus whose ``max_synthetic_fraction`` is ``value`` (module doc)."""
    name = budget_generator(value)
    if name is None:
        if isinstance(value, str):
            raise ValueError(f"max_synthetic_fraction {value!r}: a share or 'from:<generator>'")
        return Budget(value)
    history = store.history("generator", name)
    rows = history[(history["scope"] == "reference") & (history["metric"] == FIGURE)]
    if rows.empty:
        measured = ("generator", name) in store.subjects()
        why = (
            "has no safe_synthetic_share yet (no version measured with the mixing sweep)"
            if measured
            else "has no measured version yet"
        )
        note = (
            f"budget from generator {name!r}: it {why}; the budget is {NO_EVIDENCE_BUDGET:g} "
            "until it has one (no synthetic share is budgeted without evidence)"
        )
        return Budget(NO_EVIDENCE_BUDGET, name, None, note)
    last = rows.iloc[-1]  # ordered by version index, then finish time
    share = float(last["value"])
    version = str(last["version"])
    note = f"budget from generator {name!r}: safe_synthetic_share {share:g} of version {version}"
    return Budget(share, name, version, note)
