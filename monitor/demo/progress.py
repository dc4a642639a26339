"""What ``tailwatch demo`` prints while it runs, and its closing tables.

The demo's daemon logs only warnings, so without these lines nothing shows for the first minute
(the measuring kernels compile on a first run) and the gauges seem to jump. :class:`DemoProgress`
polls the store once a second from its own thread and prints one line per version or snapshot
measured (its key figures and the subject's level, as ``tailwatch status`` computes them), and a
"still measuring" line every ``quiet_seconds`` while a measurement is under way. The closing
tables list every version of the generator and every snapshot of each corpus (synthetic share
against its budget, unlabelled synthetic rows, near-duplicates and the leakage level).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TextIO

from monitor.report import corpus_level
from monitor.status import status_document
from monitor.store import Store, figures_by_version, latest_level, open_history

__all__ = ["CORPUS_SHOWN", "DemoProgress", "corpus_rows", "generator_rows", "print_tables"]

GENERATOR_SHOWN = ("coverage", "recall", "precision", "density")
# (metric, heading, format) of a corpus snapshot's closing row.
CORPUS_SHOWN: tuple[tuple[str, str, str], ...] = (
    ("rows", "rows", ".0f"),
    ("known_synthetic_fraction", "synthetic", ".3f"),
    ("synthetic_budget_ratio", "budget", ".2f"),
    ("unlabeled_synthetic_rows", "unlabelled", ".0f"),
    ("near_duplicate_synthetic_ratio", "near-dup", ".4f"),
)


def _cell(value: float | None, spec: str, width: int) -> str:
    if value is None or not math.isfinite(value):
        return f"{'–':>{width}}"
    return f"{format(value, spec):>{width}}"


class DemoProgress:
    """Prints what the daemon measured as it measures it (a daemon thread; :meth:`stop` ends it).

    ``subjects``: the (kind, name) pairs to follow; ``thresholds``: each generator's checks, for
    its level.
    """

    def __init__(
        self,
        store: Store,
        subjects: Iterable[tuple[str, str]],
        *,
        thresholds: Callable[[str], Any] | None = None,
        out: Callable[[str], None] = print,
        quiet_seconds: float = 10.0,
        compiling: bool = False,
    ) -> None:
        self.store = store
        self.subjects = list(subjects)
        self.thresholds = thresholds
        self.out = out
        self.quiet_seconds = quiet_seconds
        self.compiling = compiling
        self.published: list[str] = []  # versions the demo published (its publisher appends)
        self._seen: dict[tuple[str, str], int] = {s: 0 for s in self.subjects}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-progress", daemon=True)

    def start(self) -> DemoProgress:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ends the thread, then prints what was measured since its last poll (the daemon may
        stop within the second after its last measurement, before the thread polls again)."""
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            lines = self.poll()
        except Exception:  # a closing store: the closing tables still show every version
            lines = []
        for line in lines:
            self.out(line)

    def measured(self, kind: str, name: str) -> int:
        """Versions or snapshots of the subject measured so far (as last polled)."""
        return self._seen.get((kind, name), 0)

    def _run(self) -> None:
        started = last_line = time.monotonic()
        last_error = ""
        while not self._stop.wait(1.0):
            try:
                lines = self.poll()
            except Exception as error:  # a busy or closing store: try again next second
                text = f"  (progress unavailable: {error})"
                lines = [] if self._stop.is_set() or text == last_error else [text]
                last_error = text
            now = time.monotonic()
            if lines:
                for line in lines:
                    self.out(line)
                last_line = now
                self.compiling = False
            elif now - last_line >= self.quiet_seconds and self.published:
                waited = now - started if self.compiling else now - last_line
                why = "; the first run compiles the kernels" if self.compiling else ""
                self.out(f"  ... measuring {self.published[-1]} ({waited:.0f} s{why})")
                last_line = now

    def poll(self) -> list[str]:
        """Lines for what was measured since the last poll (none when nothing new)."""
        counts = {}
        for kind, name in self.subjects:
            counts[(kind, name)] = len(self.store.measured(kind, name))
        changed = [s for s in self.subjects if counts[s] != self._seen[s]]
        if not changed:
            return []
        document = status_document(self.store, thresholds=self.thresholds)
        by_subject = {(s["kind"], s["name"]): s for s in document["subjects"]}
        lines = []
        for subject in changed:
            self._seen[subject] = counts[subject]
            entry = by_subject.get(subject)
            if entry is not None:
                lines.append(_line(entry))
        return lines


def _line(entry: Mapping[str, Any]) -> str:
    """One subject's latest measurement as one line."""
    kind, name, version = entry["kind"], entry["name"], entry.get("last_ok_version")
    metrics = entry.get("metrics", {})
    level = entry.get("level", "")
    if kind == "generator":
        shown = "  ".join(
            f"{m} {metrics[m]:.3f}" for m in GENERATOR_SHOWN if metrics.get(m) is not None
        )
    else:
        shown = "  ".join(
            f"{heading} {format(metrics[m], spec)}"
            for m, heading, spec in CORPUS_SHOWN
            if metrics.get(m) is not None and math.isfinite(metrics[m])
        )
    return f"measured {kind} {name} {version}: {shown}  -> {level}"


def generator_rows(
    store: Store, name: str, shown: tuple[str, ...]
) -> tuple[list[str], Mapping[str, float]] | None:
    """The generator's closing table (header, healthy row, one row per version), or None."""
    history = store.history("generator", name)
    if history.empty:
        return None
    names = history.drop_duplicates("version_index").set_index("version_index")["version"]
    levels = latest_level(history, "healthy")
    lines = [f"{'version':<12}" + "".join(f"{n.removeprefix('text_')[:12]:>13}" for n in shown)]
    lines.append(f"{'healthy':<12}" + "".join(_cell(levels.get(n), ".3f", 13) for n in shown))
    for index, figures in figures_by_version(history, "reference").items():
        lines.append(
            f"{names[index]:<12}" + "".join(_cell(figures.get(n), ".3f", 13) for n in shown)
        )
    return lines, levels


def corpus_rows(store: Store, name: str) -> list[str]:
    """A corpus's closing table: one row per snapshot with its leakage level."""
    history = store.history("corpus", name)
    if history.empty:
        return [f"{name}: no snapshot scanned yet."]
    names = history.drop_duplicates("version_index").set_index("version_index")["version"]
    head = f"{'snapshot':<14}" + "".join(f"{h:>12}" for _, h, _ in CORPUS_SHOWN) + "  level"
    lines = [head]
    for index, figures in figures_by_version(history, "snapshot").items():
        level, _ = corpus_level(dict(figures))
        cells = "".join(_cell(figures.get(m), spec, 12) for m, _, spec in CORPUS_SHOWN)
        lines.append(f"{names[index]:<14}{cells}  {level}")
    return lines


def print_tables(
    path: str,
    generator: str,
    shown: tuple[str, ...],
    corpora: Iterable[str] = (),
    out: TextIO | None = None,
) -> None:
    """The demo's closing tables: the generator's versions, then each corpus's snapshots."""

    def say(text: str = "") -> None:
        print(text, file=out)

    store, _ = open_history(path)
    with store:
        generator_table = generator_rows(store, generator, shown)
        corpus_tables = {name: corpus_rows(store, name) for name in corpora}
    if generator_table is None:
        say("No version measured yet.")
    else:
        say(f"Generator {generator} (figures against the real reference):")
        for line in generator_table[0]:
            say(line)
    for name, lines in corpus_tables.items():
        say(f"\nCorpus {name} (synthetic share of rows, its budget, unlabelled synthetic rows, "
            "near-duplicates of synthetic records, leakage level):")  # fmt: skip
        for line in lines:
            say(line)
