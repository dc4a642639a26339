"""``tailwatch init`` on a real data folder, then ``tailwatch validate`` on what it wrote."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from monitor.commands.init import detect

REPO = Path(__file__).resolve().parents[3]


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, rows),
            "amount": rng.lognormal(size=rows),
            "region": rng.choice(["north", "south", "east", "west"], rows),
            "tier": rng.integers(1, 4, rows),
            "active": rng.random(rows) > 0.5,
        }
    )


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "monitor.cli", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_init_writes_a_config_that_validates(tmp_path: Path) -> None:
    data = tmp_path / "claims"
    (data / "real").mkdir(parents=True)
    (data / "versions").mkdir()
    _frame(800, 0).to_parquet(data / "real" / "part-0.parquet")
    _frame(300, 1).to_csv(data / "holdout.csv", index=False)
    for i in range(3):
        _frame(300, 2 + i).to_parquet(data / "versions" / f"v{i}.parquet")
    out = tmp_path / "conf" / "tailwatch.toml"

    done = _cli("init", str(data), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    config = tomllib.loads(out.read_text(encoding="utf-8"))
    generator = config["generators"][0]
    assert generator["name"] == "claims"
    assert generator["reference"] == "../claims/real/*.parquet"
    assert generator["holdout"] == "../claims/holdout.csv"
    assert generator["versions"] == "../claims/versions/*.parquet"
    assert generator["columns"] == ["age", "amount", "region", "tier", "active"]
    # strings and booleans by type, 'tier' by its 3 values; 'age' (72 values) is measured
    assert generator["categorical"] == ["region", "tier", "active"]
    assert "#   tier: BIGINT, ~3 distinct (categorical)" in out.read_text(encoding="utf-8")

    checked = _cli("validate", "--config", str(out), "--no-port", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ok" in checked.stdout

    again = _cli("init", str(data), "--out", str(out), cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr


def test_detect_folders_of_versions_and_notes(tmp_path: Path) -> None:
    data = tmp_path / "d"
    for version in ("gen-1", "gen-2"):
        (data / "synthetic" / version).mkdir(parents=True)
        _frame(50, 3).to_parquet(data / "synthetic" / version / "part.parquet")
    (data / "train.csv").parent.mkdir(exist_ok=True)
    _frame(100, 4).to_csv(data / "train.csv", index=False)
    layout = detect(data, tmp_path)
    assert layout.reference == "d/train.csv"
    assert layout.versions == "d/synthetic/*"  # one folder per version
    assert layout.holdout is None
    assert any("holdout" in note for note in layout.notes)
    assert layout.rows == 100


def _real_table(rows: int, seed: int, *, zone: str | None = None) -> pd.DataFrame:
    """A table as they come: NaN, missing labels, timestamps, booleans, identifiers, text."""
    rng = np.random.default_rng(seed)
    frame = _frame(rows, seed)
    frame["amount"] = frame["amount"].where(rng.random(rows) > 0.09)  # 9 % missing
    frame["region"] = frame["region"].where(rng.random(rows) > 0.03, None)
    signup = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 2 * 8760, rows), "h")
    frame["signup"] = signup.tz_localize(zone) if zone else signup
    frame["born"] = (
        pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 15000, rows), "D")
    ).date
    frame["customer_id"] = np.arange(seed * 100_000, seed * 100_000 + rows)
    frame["email"] = [f"user{seed}.{i}@example.com" for i in range(rows)]
    frame["comment"] = [
        f"the parcel {i} came {rng.choice(['late', 'early'])} and was fine" for i in range(rows)
    ]
    frame["empty"] = np.nan
    return frame


def test_init_on_real_tables_writes_what_validate_accepts(tmp_path: Path) -> None:
    data = tmp_path / "shop"
    (data / "reference").mkdir(parents=True)
    (data / "versions").mkdir()
    _real_table(600, 0).to_parquet(data / "reference" / "part-0.parquet")
    _real_table(200, 1).to_csv(data / "reference.csv", index=False)  # ignored: folder first
    for i in range(2):
        _real_table(200, 2 + i).to_parquet(data / "versions" / f"v{i}.parquet")
    csv = tmp_path / "csvshop"
    (csv / "versions").mkdir(parents=True)
    _real_table(600, 4).to_csv(csv / "real.csv", index=False)
    _real_table(200, 5).to_csv(csv / "versions" / "v0.csv", index=False)

    for folder in (data, csv):
        out = tmp_path / f"{folder.name}.toml"
        done = _cli("init", str(folder), "--out", str(out), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        text = out.read_text(encoding="utf-8")
        generator = tomllib.loads(text)["generators"][0]
        assert generator["columns"] == [
            "age", "amount", "region", "tier", "active", "signup", "born",
        ]  # fmt: skip
        assert generator["categorical"] == ["region", "tier", "active"]
        assert "datetime: drift, tails, calendar, range" in text
        for line in (
            "left out: column 'customer_id': identifier: an integer unique per row",
            "left out: column 'email': identifier",
            "left out: column 'comment': free text; measure it as a text generator with "
            "text_column",
            "left out: column 'empty': missing in every row",
        ):
            assert line in done.stdout, done.stdout
        checked = _cli("validate", "--config", str(out), "--no-port", cwd=tmp_path)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    # The daemon's path measures what init wrote: NaN, timestamps, dates, booleans; fresh rows pass.
    gate = _cli("check", "--config", str(tmp_path / "shop.toml"), cwd=tmp_path)
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "generator shop v1: healthy -> PASS" in gate.stdout
    assert "reference: column 'amount' is missing in" in gate.stderr  # the note, as the reference


def test_validate_names_a_time_zone_mismatch(tmp_path: Path) -> None:
    data = tmp_path / "zones"
    (data / "versions").mkdir(parents=True)
    _real_table(300, 0).to_parquet(data / "real.parquet")
    _real_table(100, 1, zone="UTC").to_parquet(data / "versions" / "v0.parquet")
    out = tmp_path / "tailwatch.toml"
    assert _cli("init", str(data), "--out", str(out), cwd=tmp_path).returncode == 0
    checked = _cli("validate", "--config", str(out), "--no-port", cwd=tmp_path)
    assert checked.returncode == 2
    # DuckDB spells the zoned type per version (TIMESTAMP WITH TIME ZONE, TIMESTAMPTZ_NS): the
    # message names both types as read and says which side is zoned.
    assert re.search(
        r"column 'signup' is TIMESTAMP\S*( WITH TIME ZONE)? \(zoned\) in the latest version but "
        r"TIMESTAMP\S* \(naive\) in the reference",
        checked.stdout,
    ), checked.stdout
    assert "time zone mismatch" in checked.stdout
