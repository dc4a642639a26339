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
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from monitor.checks import CHECK_KINDS, CHECKS, GAPS
from monitor.cli import main
from monitor.commands.check import corpus_gate, parse_fail_on, write_json, write_junit
from monitor.demo.tabular import DemoScenario, real_sample
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


def _suites(path: Path) -> dict[str, ET.Element]:
    return {suite.get("name", ""): suite for suite in ET.parse(path).getroot().iter("testsuite")}


# Checks a tabular generator without a target column has no figures for.
NOT_TABULAR = {
    "utility_decline",
    "class_lost",
    "vocabulary_loss",
    "rare_mass_loss",
    "diversity_decline",
    "length_tail_loss",
}
# Listed even where this size leaves them too few rows (then skipped with the reason).
TABULAR = {"coverage_decline", "tail_thinning", "tail_excess", "tail_gap", "category_lost"}


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
    assert TABULAR <= set(cases) <= set(CHECK_KINDS) - NOT_TABULAR  # the checks that apply
    (suite,) = _suites(tmp_path / "tailwatch-junit.xml").values()
    assert suite.get("name") == "v8"  # the subject (the version: no --name), not "real"
    assert float(suite.get("time", "0")) > 0
    assert all(float(case.get("time", "0")) > 0 for case in cases.values())
    assert sum(float(c.get("time", "0")) for c in cases.values()) == pytest.approx(
        float(suite.get("time", "0")), abs=0.01 * len(cases)
    )
    failed = {name for name, case in cases.items() if case.find("failure") is not None}
    assert {"coverage_decline", "recall_decline"} <= failed
    assert not failed & {"precision_gap", "coverage_gap"}  # gaps are not in the default fail-on
    document = json.loads((tmp_path / "tailwatch.json").read_text())
    (subject,) = document["subjects"]
    assert document["failed"] and subject["version"] == "v8" and subject["level"] == "watch"
    assert subject["baseline"] == "baseline:v7"

    _write(tmp_path / "data" / "versions" / "v8.parquet", real_sample(200, 4)[COLUMNS])
    assert main([*argv[1:], "--name", "claims-gan"]) == 0  # a healthy version passes
    cases = _junit(tmp_path / "tailwatch-junit.xml")
    assert TABULAR <= set(cases) <= set(CHECK_KINDS) - NOT_TABULAR
    assert set(_suites(tmp_path / "tailwatch-junit.xml")) == {"claims-gan"}
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
    assert main(["report", "--config", config, "--out", out]) == 0  # fails only with --fail-on
    assert main(["report", "--config", config, "--out", out, "--fail-on", "collapse"]) == 1
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
    # the snapshot has no near-duplicate figures; human_only is listed where its figure is
    assert set(cases) == {*LEAKAGE_RULES, "synthetic_budget_near"} - {
        "near_duplicate_synthetic",
        "human_only",
    }
    assert {c.check for c in corpus_gate("mix", "s1", clean).cases} == {
        "synthetic_budget",
        "synthetic_budget_near",
    }
    no_budget = {"rows": 1000.0, "unlabeled_synthetic_ratio": 0.0, "human_only_violation_rows": 0}
    assert {c.check for c in corpus_gate("h", "s1", no_budget, human_only=True).cases} == {
        "human_only",
        "unlabeled_synthetic",
    }
    assert {c.check for c in corpus_gate("h", "s1", no_budget, human_only=False).cases} == {
        "unlabeled_synthetic"
    }
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
    assert main(["check", "--config", str(tmp_path / "t.toml"), "--name", "x"]) == 2
    assert "--name names a VERSION's subject" in capsys.readouterr().err
    missing = tmp_path / "nowhere.toml"
    assert main(["check", "--config", str(missing), "--generator", "g"]) == 2
    assert f"config file {missing} does not exist" in capsys.readouterr().err


def test_every_configured_subject(tmp_path: Path) -> None:
    """``check --config F`` alone: every generator and corpus, one suite each, the worst exit."""
    scenario = DemoScenario(tmp_path, rows=600, train_rows=300)
    scenario.write_reference()
    published: list[pd.DataFrame] = []
    generations = scenario.generations()
    for index in range(3):
        published.append(next(generations))
        scenario.write_version(index, published[-1])
    scenario.write_snapshot(published)
    config = scenario.config(tmp_path, 9, 2.0, 300)
    (tmp_path / "tailwatch.toml").write_text(config, encoding="utf-8")
    command = [sys.executable, "-m", "monitor.cli", "check", "--config", "tailwatch.toml"]
    outputs = ["--junit", "j.xml", "--json", "j.json"]
    done = subprocess.run(
        [*command, *outputs], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 1, done.stderr  # the corpus leaks; nothing is an error
    suites = _suites(tmp_path / "j.xml")
    assert list(suites) == ["demo-gan", "demo-corpus", "demo-eval"]
    assert all(float(s.get("time", "0")) > 0 for s in suites.values())
    gan = {c.get("name") for c in suites["demo-gan"].iter("testcase")}
    assert gan <= set(CHECKS) | set(GAPS) and not gan & NOT_TABULAR
    assert {"coverage_decline", "tail_thinning", "category_lost", "precision_gap"} <= gan
    corpus = {c.get("name"): c for c in suites["demo-corpus"].iter("testcase")}
    assert "human_only" not in corpus and "synthetic_budget" in corpus
    assert corpus["unlabeled_synthetic"].find("failure") is not None
    evaluation = {c.get("name") for c in suites["demo-eval"].iter("testcase")}
    assert "human_only" in evaluation and "synthetic_budget" not in evaluation
    document = json.loads((tmp_path / "j.json").read_text())
    assert [s["subject"] for s in document["subjects"]] == ["demo-gan", "demo-corpus", "demo-eval"]
    assert document["failed"] and document["errors"] == 0
    assert "demo-corpus" in done.stdout and "leakage -> FAIL" in done.stdout

    # A subject that cannot be judged is an error suite; the others are still checked: exit 2.
    broken = config + '\n[[generators]]\nname = "gone"\nreference = "nowhere/*.parquet"\n'
    broken += 'versions = "nowhere/v/*.parquet"\n'
    (tmp_path / "tailwatch.toml").write_text(broken, encoding="utf-8")
    done = subprocess.run(
        [*command, *outputs, "--fail-on", "none"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 2, done.stderr
    assert "generator gone" in done.stderr
    suites = _suites(tmp_path / "j.xml")
    assert list(suites) == ["demo-gan", "gone", "demo-corpus", "demo-eval"]
    assert suites["gone"].get("errors") == "1"
    error = suites["gone"].find("testcase/error")
    assert error is not None and "nowhere" in error.get("message", "")
    assert suites["demo-gan"].get("errors") == "0"
