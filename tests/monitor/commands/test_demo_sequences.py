"""``tailwatch demo --scenario sequences`` (issue 28): the real Mauna Loa CO2 quarters, a
self-consuming sequence generator and its healthy control, measured by the daemon. After the run,
``tailwatch check --config`` judges the stored history: the loop pages
``temporal_structure_loss`` (collapse suspected), the control, refitted on fresh bootstraps of
the real training quarters, stays healthy on every sequence check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.net import free_port

SEQUENCE_CHECKS = ("temporal_structure_loss", "sequence_length_shift", "forecast_utility_decline")


def _judge(workdir: Path, generator: str) -> dict:
    out = workdir / f"{generator}.json"
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "check", "--config", "tailwatch.toml",
         "--generator", generator, "--json", str(out)],
        cwd=workdir, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return json.loads(out.read_text(encoding="utf-8"))["subjects"][0]


def test_sequence_demo_pages_the_loop_and_not_the_control(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "demo", "--scenario", "sequences",
         "--workdir", str(workdir), "--generations", "9", "--every", "0.5", "--interval", "1",
         "--port", str(free_port()), "--exit-when-done"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Generator demo-seq (figures against the real reference):" in done.stdout
    assert "Generator demo-seq-control (figures against the real reference):" in done.stdout
    loop = _judge(workdir, "demo-seq")
    checks = {c["check"]: c for c in loop["checks"]}
    assert loop["level"] == "collapse suspected", loop
    assert checks["temporal_structure_loss"]["state"] == "breached"
    control = _judge(workdir, "demo-seq-control")
    checks = {c["check"]: c for c in control["checks"]}
    for check in SEQUENCE_CHECKS:
        assert checks[check]["state"] == "ok", checks[check]
