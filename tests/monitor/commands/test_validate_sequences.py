"""``tailwatch validate`` checks a sequence generator's ``entity_column`` and ``time_column``
(issue 28) in the reference and the latest version, naming the key, file and column; the settings
refuse an inconsistent pair before any file is read. Real files, the real CLI in a subprocess."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from monitor.demo.sequence_data import co2_weekly


def _validate(folder: Path, entity: str, time: str) -> subprocess.CompletedProcess[str]:
    (folder / "tailwatch.toml").write_text(
        f"""
[storage]
path = "tailwatch.duckdb"
[[generators]]
name = "co2"
reference = "real.parquet"
versions = "versions/*"
entity_column = "{entity}"
time_column = "{time}"
sample_size = 20
""",
        encoding="utf-8",
    )
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "validate", "--config", "tailwatch.toml"],
        cwd=folder, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _files(folder: Path) -> None:
    frame = co2_weekly().frame
    frame.to_parquet(folder / "real.parquet", index=False)
    (folder / "versions").mkdir(exist_ok=True)
    frame.drop(columns="quarter").to_parquet(folder / "versions" / "v1.parquet", index=False)


def test_validate_names_missing_and_unordered_sequence_columns(tmp_path: Path) -> None:
    _files(tmp_path)
    done = _validate(tmp_path, "quarter", "trend")
    assert done.returncode == 2, done.stdout + done.stderr  # problems found
    out = done.stdout + done.stderr
    # the version lacks the sequence key; the time column is text, not an order
    assert "generators[0] (co2).entity_column" in out and "'quarter' does not exist" in out
    assert "generators[0] (co2).time_column" in out
    assert "column 'trend' has type VARCHAR" in out


def test_validate_accepts_the_sequence_columns(tmp_path: Path) -> None:
    _files(tmp_path)
    frame = co2_weekly().frame
    frame.to_parquet(tmp_path / "versions" / "v1.parquet", index=False)
    done = _validate(tmp_path, "quarter", "week")
    out = done.stdout + done.stderr
    assert "entity_column" not in out and "time_column" not in out, out


def test_settings_refuse_a_time_column_without_entity(tmp_path: Path) -> None:
    _files(tmp_path)
    done = _validate(tmp_path, "week", "week")
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "entity_column and time_column are both 'week'" in out


def test_init_suggests_the_sequence_columns_of_an_event_log(tmp_path: Path) -> None:
    data = tmp_path / "co2"
    (data / "real").mkdir(parents=True)
    (data / "versions").mkdir()
    frame = co2_weekly().frame
    frame.to_parquet(data / "real" / "part-0.parquet", index=False)
    frame.to_parquet(data / "versions" / "v1.parquet", index=False)
    out = tmp_path / "tailwatch.toml"
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "init", str(data), "--out", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    generator = tomllib.loads(out.read_text(encoding="utf-8"))["generators"][0]
    assert generator["entity_column"] == "quarter"  # ~176 quarters of ~13 weekly readings
    assert generator["time_column"] == "week"
    assert "quarter" in generator["columns"] and "quarter" not in generator["categorical"]
    # entities (half the keys; DuckDB's approximate distinct count)
    assert abs(generator["sample_size"] - frame["quarter"].nunique() // 2) <= 2
    checked = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "validate", "--config", str(out), "--no-port"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
