"""The notebook results' views: ``plot()``, the drift table in the HTML repr, the text repr,
``Comparison.breached``, version names from paths, and every README Python example run.

One small collapsing history is measured once (module fixture); the plot is inspected through
matplotlib's own artists (panel titles, the red breach markers), the HTML by parsing it.
"""

from __future__ import annotations

import re
import shlex
import sys
import types
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import tailwatch
from monitor.demo.tabular import real_sample

README = Path(__file__).resolve().parents[2] / "README.md"
COLUMNS = ["f0", "f1", "f2", "segment"]


def _collapsed(rows: int, seed: int) -> pd.DataFrame:
    frame = real_sample(rows, seed)[COLUMNS]
    numeric = COLUMNS[:3]
    centres = frame.groupby("segment")[numeric].transform("mean")
    frame[numeric] = centres + 0.2 * (frame[numeric] - centres)
    return frame


@pytest.fixture(scope="module")
def history() -> tailwatch.Comparison:
    real = real_sample(600, 1)[COLUMNS]
    versions = [real_sample(200, 2)[COLUMNS], _collapsed(200, 3), _collapsed(200, 4)]
    return tailwatch.compare(real, versions, categorical=["segment"], regions=4)


class _Tables(HTMLParser):
    """The text of every table's header cells, per table."""

    def __init__(self) -> None:
        super().__init__()
        self.heads: list[list[str]] = []
        self._in_th = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.heads.append([])
        self._in_th = tag == "th"

    def handle_endtag(self, tag: str) -> None:
        if tag == "th":
            self._in_th = False

    def handle_data(self, data: str) -> None:
        if self._in_th:
            self.heads[-1].append(data)


def _red_markers(fig: Figure, panel: str) -> int:
    """How many versions the panel titled ``panel`` marks as breaching (the large red dots)."""
    (ax,) = [a for a in fig.axes if a.get_title(loc="left") == panel]
    red = [line for line in ax.get_lines() if line.get_marker() == "o" and line.get_ms() == 7]
    return sum(int(np.isfinite(np.asarray(line.get_ydata(), dtype=float)).sum()) for line in red)


def test_plot_draws_the_reports_small_multiples(history: tailwatch.Comparison) -> None:
    fig = history.plot()
    assert isinstance(fig, Figure)
    titles = {ax.get_title(loc="left") for ax in fig.axes if ax.get_visible()}
    assert {"Coverage", "Recall", "Precision", "Density"} <= titles
    coverage = next(r for r in history.checks if r.check == "coverage_decline")
    assert _red_markers(fig, "Coverage") == sum(bool(f) for f in coverage.breached) >= 1
    assert _red_markers(fig, "Precision") == 0 or "precision_decline" in history.breached
    (coverage_ax,) = [a for a in fig.axes if a.get_title(loc="left") == "Coverage"]
    assert [t.get_text() for t in coverage_ax.get_xticklabels()] == history.versions
    assert fig.get_supxlabel().endswith(f": {history.level}")

    one = history[-1].plot()  # an evaluation: the versions up to it, its own limits
    assert isinstance(one, Figure) and _red_markers(one, "Coverage") >= 1
    alone = history[0].plot()  # the baseline alone: one version, no breach
    assert _red_markers(alone, "Coverage") == 0


def test_html_repr_has_the_drift_table(history: tailwatch.Comparison) -> None:
    for html in (history._repr_html_(), history[-1]._repr_html_()):
        parser = _Tables()
        parser.feed(html)
        drift = [head for head in parser.heads if head[:2] == ["column", "kind"]]
        assert drift, "no per-column drift table"
        assert {"KS", "TV", "change", "flagged"} <= set(drift[0])
        for column in COLUMNS:
            assert f">{column}<" in html
    assert "flagged" in history[-1]._repr_html_()
    # The baseline alone has its own columns too (change against itself: 0).
    assert "<table" in history[0]._repr_html_()


def test_text_repr_is_one_short_line(history: tailwatch.Comparison) -> None:
    for text in (repr(history), repr(history[-1]), repr(history[0])):
        assert "\n" not in text and len(text) < 200
        assert "coverage" not in text.replace("coverage_decline", "")  # no figure dump
    assert repr(history).startswith("<Comparison of 3 versions (v0 .. v2): collapse suspected")
    assert repr(history[0]) == "<Evaluation v0: healthy>"
    assert "coverage_decline" in repr(history[-1])


def test_comparison_breached_is_the_latest_versions(history: tailwatch.Comparison) -> None:
    assert history.breached == history[-1].breached
    assert "coverage_decline" in history.breached


def test_paths_keep_their_file_names(tmp_path: Path) -> None:
    real_sample(500, 1)[COLUMNS].to_parquet(tmp_path / "real.parquet", index=False)
    (tmp_path / "versions").mkdir()
    for name, seed in (("gen-003", 2), ("gen-004", 3)):
        real_sample(150, seed)[COLUMNS].to_parquet(tmp_path / "versions" / f"{name}.parquet")
    spark = tmp_path / "gen-005"
    spark.mkdir()
    real_sample(150, 4)[COLUMNS].to_parquet(spark / "part-0.parquet", index=False)
    paths = [tmp_path / "versions" / "gen-003.parquet", str(tmp_path / "versions" / "gen-004.*")]
    result = tailwatch.compare(
        tmp_path / "real.parquet", [*paths, spark / "part-0.parquet"], regions=4
    )
    assert result.versions == ["gen-003", "gen-004", "gen-005"]
    frames = tailwatch.compare(
        real_sample(500, 1)[COLUMNS], [real_sample(150, 2)[COLUMNS]] * 2, regions=4
    )
    assert frames.versions == ["v0", "v1"]  # frames keep their positions as names


def _python_blocks() -> list[tuple[int, str]]:
    text = README.read_text(encoding="utf-8")
    return [
        (text[: m.start()].count("\n") + 1, m.group(1))
        for m in re.finditer(r"```python\n(.*?)```", text, re.S)
    ]


class _BashOperator:
    """Airflow's ``BashOperator`` as far as the README uses it (Airflow is not a dependency):
    keeps its arguments; the test runs the command through Tailwatch's own parser, and
    tests/monitor/commands/test_check.py runs it for real against a config and a store."""

    def __init__(self, *, task_id: str, bash_command: str, cwd: str) -> None:
        self.task_id, self.bash_command, self.cwd = task_id, bash_command, cwd


def test_every_readme_python_example_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from monitor.cli import _chosen, _parser

    blocks = _python_blocks()
    assert len(blocks) >= 2
    operators = types.ModuleType("airflow.operators.bash")
    operators.BashOperator = _BashOperator  # type: ignore[attr-defined]
    for name in ("airflow", "airflow.operators"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "airflow.operators.bash", operators)
    for line, code in blocks:
        namespace: dict[str, object] = {"__name__": f"readme_line_{line}"}
        exec(compile(code, f"{README}:{line}", "exec"), namespace)
        for value in namespace.values():
            if isinstance(value, _BashOperator):
                argv = shlex.split(value.bash_command)
                assert argv[0] == "tailwatch"
                _parser(_chosen(argv[1:])).parse_args(argv[1:])  # a usage error exits 2 here
    printed = capsys.readouterr().out
    assert "collapse suspected" in printed
