"""``tailwatch demo`` through the real CLI: help for every option, progress lines while it runs,
and the closing tables with the corpus and leakage half."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor.cli import _parser
from monitor.demo.progress import DemoProgress
from monitor.store import Store
from tests.support.net import free_port
from tests.support.report_runs import _run


def _demo_options() -> list[tuple[str, str | None]]:
    parser = _parser("demo")
    (commands,) = [a for a in parser._actions if a.dest == "command"]
    demo = commands.choices["demo"]  # type: ignore[index]
    return [(a.option_strings[-1], a.help) for a in demo._actions if a.option_strings]


def test_every_demo_option_has_help() -> None:
    options = [(name, text) for name, text in _demo_options() if name != "--help"]
    assert len(options) >= 9
    assert [name for name, text in options if not text] == []
    shown = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "demo", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    flat = " ".join(shown.split())
    for name, text in options:
        assert name in shown
        assert " ".join(str(text).split()).split("(default")[0][:30].replace("%%", "%") in flat


def test_demo_prints_progress_and_the_corpus_half(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "demo", "--workdir", str(tmp_path / "demo"),
         "--generations", "3", "--every", "0.5", "--interval", "1", "--sample-size", "400",
         "--port", str(free_port()), "--exit-when-done"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()

    def first(pattern: str) -> int:
        return next(i for i, line in enumerate(lines) if re.search(pattern, line))

    # One line per publication and per measurement; the second version waits for the first's.
    assert first(r"^published gen-000 \(1/3\)") < first(r"^measured generator demo-gan gen-000: ")
    assert first(r"^measured generator demo-gan gen-000: ") < first(r"^published gen-001 \(2/3\)")
    assert re.search(r"measured generator demo-gan gen-002: coverage \d\.\d{3} .* -> \w+",
                     done.stdout)  # fmt: skip
    assert re.search(r"measured corpus demo-corpus snapshot-002: .*unlabelled 100 .*-> leakage",
                     done.stdout)  # fmt: skip
    # Closing tables: the generator's versions, then every snapshot of both corpora.
    corpus = first(r"^Corpus demo-corpus ")
    rows = {line.split()[0]: line.split() for line in lines[corpus + 2 : corpus + 5]}
    assert list(rows) == ["snapshot-000", "snapshot-001", "snapshot-002"]
    assert rows["snapshot-000"][-1] == "healthy" and rows["snapshot-002"][-1] == "leakage"
    assert rows["snapshot-002"][4] == "100"  # unlabelled synthetic rows: 50 per later snapshot
    evaluation = first(r"^Corpus demo-eval ")
    assert [line.split()[-1] for line in lines[evaluation + 2 : evaluation + 5]] == ["healthy"] * 3
    assert first(r"^gen-002 ") < corpus and "Leakage:" in done.stdout


def test_quiet_measurement_says_it_is_still_measuring(tmp_path: Path) -> None:
    lines: list[str] = []
    with Store(tmp_path / "tailwatch.duckdb") as store:
        progress = DemoProgress(
            store, [("generator", "g")], out=lines.append, quiet_seconds=1.0, compiling=True
        )
        progress.published.append("gen-000")
        progress.start()
        deadline = time.monotonic() + 60
        while not lines and time.monotonic() < deadline:
            time.sleep(0.2)
        progress.stop()
    assert lines and re.fullmatch(
        r"  \.\.\. measuring gen-000 \(\d+ s; the first run compiles the kernels\)", lines[0]
    )


@pytest.mark.skipif(
    importlib.util.find_spec("markovify") is not None, reason="markovify is installed here"
)
def test_text_demo_without_markovify_says_so(tmp_path: Path) -> None:
    """Without the [text] extra the text demo stops at once with the fix, not silently."""
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "demo", "--scenario", "text", "--workdir",
         str(tmp_path / "demo"), "--port", str(free_port())],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    assert "pip install 'tailwatch[text]'" in done.stderr


def test_a_measurement_just_before_stop_is_still_printed(tmp_path: Path) -> None:
    """The daemon may stop within the second after its last measurement: stop() polls once more."""
    lines: list[str] = []
    with Store(tmp_path / "tailwatch.duckdb") as store:
        progress = DemoProgress(store, [("generator", "g")], out=lines.append).start()
        store.record_run(_run("g", 0))
        progress.stop()
    assert len(lines) == 1 and re.match(r"measured generator g v\d+: coverage \d\.\d{3}", lines[0])
