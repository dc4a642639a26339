"""``tailwatch check`` and ``report --fail-on``: the README's CI example run on real files.

The GitHub Actions step runs through the CLI's ``main`` (a collapsed version exits 1, a healthy
one 0); the Airflow task runs as a subprocess against a real config and DuckDB store. JUnit files
are parsed with ``xml.etree``.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from monitor.checks import CHECK_KINDS
from monitor.cli import main
from monitor.commands.check import corpus_gate, parse_fail_on, write_json, write_junit
from monitor.demo.tabular import real_sample
from monitor.report.corpus import LEAKAGE_RULES

REPO = Path(__file__).resolve().parents[3]
COLUMNS = ["f0", "f1", "f2", "segment"]


def _readme_commands() -> tuple[str, str]:
    """The GitHub Actions ``run:`` command and the Airflow ``bash_command`` from README."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    step = re.search(r"- name: Tailwatch gate\n  run: >-\n((?:    .+\n)+)", text)
    task = re.search(r"bash_command=\(\n((?:\s+\".*\"\n)+)\s+\)", text)
    assert step and task, "README lost its CI example"
    github = " ".join(line.strip() for line in step.group(1).splitlines())
    airflow = "".join(json.loads(line.strip()) for line in task.group(1).splitlines())
    return github, airflow


def _collapsed(rows: int, seed: int) -> pd.DataFrame:
    frame = real_sample(rows, seed)[COLUMNS]
    numeric = COLUMNS[:3]
    centres = frame.groupby("segment")[numeric].transform("mean")
    frame[numeric] = centres + 0.2 * (frame[numeric] - centres)
    return frame


def _write(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)


def _junit(path: Path) -> dict[str, ET.Element]:
    cases = ET.parse(path).getroot().iter("testcase")
    return {case.get("name", ""): case for case in cases}


def test_github_step_exits_by_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    github, _ = _readme_commands()
    argv = shlex.split(github)
    assert argv[:2] == ["tailwatch", "check"]
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "data" / "real.parquet", real_sample(800, 1)[COLUMNS])
    _write(tmp_path / "data" / "versions" / "v7.parquet", real_sample(200, 2)[COLUMNS])
    _write(tmp_path / "data" / "versions" / "v8.parquet", _collapsed(200, 3))

    assert main(argv[1:]) == 1  # collapsed against its baseline
    cases = _junit(tmp_path / "tailwatch-junit.xml")
    assert set(cases) == set(CHECK_KINDS)  # one testcase per check, named
    failed = {name for name, case in cases.items() if case.find("failure") is not None}
    assert {"coverage_decline", "recall_decline"} <= failed
    assert not failed & {"precision_gap", "coverage_gap"}  # gaps are not in the default fail-on
    document = json.loads((tmp_path / "tailwatch.json").read_text())
    (subject,) = document["subjects"]
    assert document["failed"] and subject["version"] == "v8" and subject["level"] == "watch"
    assert subject["baseline"] == "baseline:v7"

    _write(tmp_path / "data" / "versions" / "v8.parquet", real_sample(200, 4)[COLUMNS])
    assert main(argv[1:]) == 0  # a healthy version passes
    cases = _junit(tmp_path / "tailwatch-junit.xml")
    assert set(cases) == set(CHECK_KINDS)
    assert not [c for c in cases.values() if c.find("failure") is not None]
    assert json.loads((tmp_path / "tailwatch.json").read_text())["subjects"][0]["level"] == (
        "healthy"
    )


def test_airflow_task_and_report_fail_on(tmp_path: Path) -> None:
    _, airflow = _readme_commands()
    _write(tmp_path / "real" / "reference.parquet", real_sample(800, 1)[COLUMNS])
    _write(tmp_path / "versions" / "v1.parquet", real_sample(200, 2)[COLUMNS])
    _write(tmp_path / "versions" / "v2.parquet", _collapsed(200, 3))
    _write(tmp_path / "versions" / "v3.parquet", _collapsed(200, 4))
    (tmp_path / "tailwatch.toml").write_text(
        """
[storage]
path = "tailwatch.duckdb"
[[generators]]
name = "claims-gan"
reference = "real/*.parquet"
versions = "versions/*"
categorical = ["segment"]
sample_size = 200
regions = 4
""",
        encoding="utf-8",
    )
    done = subprocess.run(
        shlex.split(airflow), cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1, done.stderr
    assert "claims-gan v3: collapse suspected -> FAIL" in done.stdout
    document = json.loads((tmp_path / "tailwatch.json").read_text())
    assert document["subjects"][0]["versions"] == ["v1", "v2", "v3"]
    cases = _junit(tmp_path / "tailwatch-junit.xml")
    assert cases["coverage_decline"].find("failure") is not None

    config = str(tmp_path / "tailwatch.toml")
    out = str(tmp_path / "reports")
    assert main(["report", "--config", config, "--out", out]) == 1
    assert main(["report", "--config", config, "--out", out, "--fail-on", "none"]) == 0


def test_corpus_verdicts_and_fail_on(tmp_path: Path) -> None:
    clean = {"rows": 1000.0, "known_synthetic_fraction": 0.1, "synthetic_budget_ratio": 0.3}
    assert corpus_gate("mix", "s1", clean).failing(parse_fail_on("leakage,budget")) == []

    near = {**clean, "known_synthetic_fraction": 0.27}
    gate = corpus_gate("mix", "s2", near)
    assert gate.level == "watch"
    assert gate.failing(parse_fail_on("collapse,leakage")) == []
    assert [c.check for c in gate.failing(("budget",))] == ["synthetic_budget_near"]

    leaked = {**clean, "unlabeled_synthetic_ratio": 0.01, "budget_exceeded": 1.0}
    gate = corpus_gate("mix", "s3", leaked)
    assert gate.level == "leakage"
    failing = {c.check for c in gate.failing(("leakage",))}
    assert failing == {"unlabeled_synthetic", "synthetic_budget"}
    assert {c.check for c in gate.failing(("budget",))} == {"synthetic_budget"}

    write_junit([gate], ("budget",), tmp_path / "j.xml")
    cases = _junit(tmp_path / "j.xml")
    assert set(cases) == {*LEAKAGE_RULES, "synthetic_budget_near"}
    assert cases["synthetic_budget"].find("failure") is not None
    skipped = cases["unlabeled_synthetic"].find("skipped")
    assert skipped is not None and "not failing" in skipped.get("message", "")
    write_json([gate], ("leakage",), tmp_path / "j.json")
    assert json.loads((tmp_path / "j.json").read_text())["failed"] is True


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="unknown finding"):
        parse_fail_on("collapse,typo")
    with pytest.raises(SystemExit) as raised:
        main(["check", "x.parquet", "--reference", "r.parquet", "--fail-on", "typo"])
    assert raised.value.code == 2
    assert main(["check", str(tmp_path / "v.parquet")]) == 2
    assert "needs --reference" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "v.parquet"), "--reference", str(tmp_path)]) == 2
    assert "matches no data files" in capsys.readouterr().err
    missing = tmp_path / "nowhere.toml"
    assert main(["check", "--config", str(missing), "--generator", "g"]) == 2
    assert f"config file {missing} does not exist" in capsys.readouterr().err
