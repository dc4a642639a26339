"""A corpus's report section: figures per snapshot, provenance mix, and the leakage verdict.

Reads whatever corpus figures are stored (scope ``snapshot``; the provenance mix as metric
``rows`` with scope ``provenance:<label>``). The leakage rules read the policy figures the corpus
scan computed itself (``budget_exceeded``, ``human_only_violation_rows``) and the leakage ratios:
an unlabelled synthetic row is leakage; a near-duplicate share is leakage only when the lower
bound of its interval is above the rate the human null expects (expected false positives over
the sample's rows), as in the alert rule; otherwise it is within the null's expected false
positives, and that is healthy, not watch (:func:`corpus_level`). The section names how the
near-duplicates were calibrated: on known-human data, or with the documented default of
:mod:`collectors.corpus.near_defaults` and its null rate measured on real human text.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import SupportsFloat

import pandas as pd

from monitor.report.model import Alert, CorpusSection, Series, Verdict
from monitor.store import Store

__all__ = ["LEAKAGE_RULES", "calibration_text", "corpus_level", "corpus_section"]

# check -> what it means; these are the corpus rows of the alerts table.
LEAKAGE_RULES: dict[str, str] = {
    "synthetic_budget": "known synthetic share above the corpus's budget",
    "human_only": "synthetic rows in a human-only corpus",
    "unlabeled_synthetic": "registered synthetic records in the corpus without a synthetic label",
    "near_duplicate_synthetic": "near-duplicates of synthetic records above the null rate",
}
WATCH_SHARE_OF_BUDGET = 0.8


def _value(x: SupportsFloat | None) -> float | None:
    if x is None:
        return None
    number = float(x)
    return number if math.isfinite(number) else None


def _breaches(f: dict[str, float]) -> list[tuple[str, float | None, float | None]]:
    """(check, value, limit) of every leakage rule one snapshot's figures break."""
    out: list[tuple[str, float | None, float | None]] = []
    if f.get("budget_exceeded", 0.0) >= 1.0:
        out.append(
            (
                "synthetic_budget",
                f.get("known_synthetic_fraction", f.get("synthetic_fraction")),
                f.get("synthetic_budget_ratio"),
            )
        )
    if f.get("human_only_violation_rows", 0.0) > 0:
        out.append(("human_only", f["human_only_violation_rows"], 0.0))
    if f.get("unlabeled_synthetic_ratio", 0.0) > 0:
        out.append(("unlabeled_synthetic", f["unlabeled_synthetic_ratio"], 0.0))
    null_rate = _null_rate(f)
    if f.get("near_duplicate_synthetic_ratio_lower", 0.0) > null_rate:
        out.append(("near_duplicate_synthetic", f.get("near_duplicate_synthetic_ratio"), null_rate))
    return out


def _null_rate(f: dict[str, float]) -> float:
    """The near-duplicate rate the human null expects: expected false positives per sampled row."""
    rows = f.get("near_duplicate_sample_rows", 0.0)
    return f.get("near_duplicate_expected_false_positives", 0.0) / rows if rows else 0.0


def corpus_level(f: dict[str, float]) -> tuple[str, tuple[str, ...]]:
    """("leakage" | "watch" | "healthy", reasons) of one snapshot's figures.

    Leakage: a rule of :data:`LEAKAGE_RULES` is broken. Watch: the synthetic share is near its
    budget. Near-duplicates within the null's expected false positives are healthy (named in
    the reasons). ``tailwatch status`` and the report use this one rule.
    """
    broken = _breaches(f)
    if broken:
        return "leakage", tuple(LEAKAGE_RULES[check] for check, _, _ in broken)
    budget = f.get("synthetic_budget_ratio")
    share = f.get("known_synthetic_fraction", f.get("synthetic_fraction"))
    if budget is not None and share is not None and share > WATCH_SHARE_OF_BUDGET * budget:
        return "watch", (f"synthetic share {share:.3f} is near its budget {budget:.3f}",)
    found = f.get("near_duplicate_synthetic_rows", 0.0)
    if f.get("near_duplicate_synthetic_ratio", 0.0) > 0:
        expected = f.get("near_duplicate_expected_false_positives", 0.0)
        return "healthy", (
            f"{found:.0f} near-duplicates of synthetic records, within the "
            f"{expected:.2f} false positives the null expects",
        )
    return "healthy", ()


def _verdict(name: str, snapshot: str, f: dict[str, float], alerts: list[Alert]) -> Verdict:
    latest = [a for a in alerts if a.version == snapshot]
    if latest:
        return Verdict(
            "leakage",
            tuple(f"{name}: {a.description} in snapshot {snapshot}" for a in latest),
            f"{name}: {', '.join(a.check for a in latest)} in snapshot {snapshot}",
        )
    level, reasons = corpus_level(f)
    if level == "watch":
        return Verdict("watch", tuple(f"{name}: {r}" for r in reasons))
    return Verdict(
        "healthy",
        (f"{name}: no leakage in snapshot {snapshot}", *(f"{name}: {r}" for r in reasons)),
    )


def calibration_text(store: Store, name: str, snapshot: str | None = None) -> str | None:
    """How the near-duplicates of the corpus's latest scan (of ``snapshot``) were calibrated."""
    details = store.run_details("corpus", name, "near_duplicate_calibration")
    if snapshot is not None:
        details = details[details["version"] == snapshot]
    if details.empty:
        return None
    return str(json.loads(details.iloc[-1]["content"]))


def corpus_section(store: Store, name: str, since: datetime | None) -> CorpusSection:
    """One corpus's section (``since`` narrows the snapshots shown)."""
    history = store.history("corpus", name)
    runs = store.runs("corpus", name, limit=1_000_000)
    failed = runs[runs["status"] == "failed"]
    if since is not None:
        history = history[history["finished_at"] >= pd.Timestamp(since)]
        failed = failed[failed["finished_at"] >= pd.Timestamp(since)]
    last_error = None if failed.empty else f"{failed.iloc[0]['version']}: {failed.iloc[0]['error']}"
    if history.empty:
        return CorpusSection(
            name, (), (), {}, {}, (), Verdict("no data", (f"{name}: no snapshot scanned",)),
            len(failed), last_error, ("No snapshot of this corpus has been scanned successfully.",),
        )  # fmt: skip
    keep = history[["version", "run_id", "finished_at"]].drop_duplicates("run_id")
    keep = keep.drop_duplicates("version", keep="last")
    order = list(keep["run_id"])
    history = history[history["run_id"].isin(order)]

    def series(frame: pd.DataFrame) -> dict[str, Series]:
        table = frame.pivot_table(index="key", columns="run_id", values="value")
        return {
            str(key): tuple(_value(table.loc[key].get(run_id)) for run_id in order)
            for key in sorted(table.index)
        }

    snapshot = history[history["scope"] == "snapshot"].assign(key=lambda d: d["metric"])
    mix = history[(history["metric"] == "rows") & history["scope"].str.startswith("provenance:")]
    mix = mix.assign(key=mix["scope"].str.removeprefix("provenance:"))
    figures = series(snapshot) if not snapshot.empty else {}
    provenance = series(mix) if not mix.empty else {}
    snapshots = tuple(keep["version"])
    per_snapshot = [
        {k: x for k, v in figures.items() if (x := v[i]) is not None} for i in range(len(order))
    ]
    alerts = [
        Alert("corpus", name, snap, check, value, limit, LEAKAGE_RULES[check])
        for snap, f in zip(snapshots, per_snapshot, strict=True)
        for check, value, limit in _breaches(f)
    ]
    notes = []
    latest = per_snapshot[-1]
    synthetic = latest.get("synthetic_fraction")
    if synthetic is None and provenance.get("synthetic"):
        synthetic = provenance["synthetic"][-1]
    if synthetic is not None and synthetic == 0 and not latest.get("unlabeled_synthetic_ratio"):
        notes.append(f"Snapshot {snapshots[-1]} holds no synthetic rows.")
    if not provenance:
        notes.append("No provenance mix is stored for this corpus.")
    calibration = calibration_text(store, name, snapshots[-1])
    if calibration is not None:
        notes.append(f"Near-duplicates calibrated on {calibration}.")
    elif "near_duplicate_synthetic_ratio" not in latest:
        notes.append("No near-duplicate figure: no synthetic dump has this corpus's columns.")
    return CorpusSection(
        name=name,
        snapshots=snapshots,
        finished_at=tuple(pd.Timestamp(m).isoformat() for m in keep["finished_at"]),
        figures=figures,
        provenance=provenance,
        alerts=tuple(alerts),
        verdict=_verdict(name, snapshots[-1], latest, alerts),
        failed_runs=len(failed),
        last_error=last_error,
        notes=tuple(notes),
    )
