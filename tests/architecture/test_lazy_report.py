"""``tailwatch check``'s modules do not import the report writer's plotting library."""

from __future__ import annotations

import subprocess
import sys

CHECK_PATH = [
    "monitor.commands.check",
    "monitor.commands.gate",
    "monitor.commands.check_files",
    "monitor.verdict_log",
    "monitor.status",
    "monitor.measure",
]


def test_check_path_leaves_matplotlib_unloaded() -> None:
    imports = [f"import {name}" for name in CHECK_PATH]
    code = "; ".join([*imports, "import sys", "print('matplotlib' in sys.modules)"])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_report_names_still_import() -> None:
    """The names load on first use, from their modules."""
    import monitor.report as report
    from monitor.report.corpus import corpus_level
    from monitor.report.write import write_report

    assert report.corpus_level is corpus_level and report.write_report is write_report
    assert sorted(report.__all__) == sorted(report._HOMES)
